"""Study 09's figures: each returns the figure and its caption for :func:`agenteff.report.save_fig`."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from ... import report
from ...metrics.context_policies import MonoContext

__all__ = ["context_growth", "policy_costs", "loop_share", "live_ab", "recorded_ab"]


@report.figure
def context_growth(growth: pd.DataFrame, fits: pd.DataFrame):
    """Median prompt tokens per agent call (quartile band) for every source."""
    fig, ax = plt.subplots(figsize=(8, 4.8))
    colours = dict(zip(growth["source"].unique(), sns.color_palette("colorblind", growth["source"].nunique())))
    for source, rows in growth.groupby("source", sort=False):
        ax.plot(rows["call"], rows["prompt_median"], marker=".", color=colours[source], label=source)
        ax.fill_between(rows["call"], rows["prompt_q25"], rows["prompt_q75"], color=colours[source], alpha=0.15, lw=0)
    ax.set_xlabel("agent call within the run")
    ax.set_ylabel("prompt tokens of the call (tokens)")
    ax.set_title("The prompt grows with every call (median, quartile band)")
    ax.legend(fontsize=8)
    growth_text = ", ".join(f"{row.source} {row.growth_median:.0f}" for row in fits.itertuples())
    caption = (
        "Prompt tokens of each agent call against its position in the run, median over the runs that reach it "
        "(band: quartiles; calls reached by fewer than 5 runs are left out). Real traces: AgentStop's Qwen3-1.7B "
        "code agent on FRAMES (llama.cpp) and four tau2-bench airline submissions (agent calls only; the user "
        f"simulator's calls are not counted). Median growth per call, tokens: {growth_text}. AgentStop's 11th "
        "call is the framework's forced final answer, sent with a rebuilt, shorter prompt."
    )
    return fig, caption


@report.figure
def policy_costs(costs: pd.DataFrame, price_model: str):
    """Cumulative cost against the horizon, per policy, without and with prefix caching, per source family."""
    families = list(costs["family"].unique())
    fig, axes = plt.subplots(
        len(families), 2, figsize=(12, 4.6 * len(families)), squeeze=False, constrained_layout=True
    )
    policies = list(costs["policy"].unique())
    colours = dict(zip(policies, sns.color_palette("colorblind", len(policies))))
    for row, family in zip(axes, families):
        sub = costs[costs["family"] == family]
        for ax, column, title in (
            (row[0], "cost_uncached_usd", "without caching"),
            (row[1], "cost_cached_usd", "with exact-prefix caching"),
        ):
            for policy, rows in sub.groupby("policy", sort=False):
                if policy == MonoContext().name:  # drawn on top: policies that match it early would hide it
                    ax.plot(rows["turn"], rows[column], "-", color="black", label=policy, lw=2, zorder=3)
                else:
                    ax.plot(rows["turn"], rows[column], "--", color=colours[policy], label=policy, lw=1.4)
            ax.set_xscale("log", base=2)
            ax.set_yscale("log")
            ax.set_xlabel("horizon T (agent calls)")
            ax.set_ylabel("cumulative cost (USD)")
            ax.set_title(f"{family}: {title}", fontsize=10)
    axes[0][1].legend(fontsize=7, loc="upper left")
    fig.suptitle(f"Re-costed context policies on a typical run of each source, priced as {price_model}")
    caption = (
        "Cumulative cost of the first T agent calls of a run made of identical turns (each source's median first "
        "prompt, kept action, observation and completion), under each context policy, without (left) and with "
        f"(right) exact-prefix caching, at the list prices of {price_model} from data/prices.csv. The turn sizes "
        "are measured; the policies are counterfactual (the agent's actions are kept as observed), and the "
        "workspace report size is an assumption swept up to the template's 6k cap."
    )
    return fig, caption


@report.figure
def loop_share(loops: pd.DataFrame, capped: pd.Series):
    """Both ARR readings per group with intervals; the step-capped AgentStop runs' share of runs, tokens and energy."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.8), gridspec_kw={"width_ratios": [3, 2]})
    ordered = loops.sort_values("group")
    positions = range(len(ordered))
    for offset, (name, label) in enumerate(
        (("arr_consecutive", "ARR, same as the previous action"), ("arr_any_earlier", "ARR, same as any earlier"))
    ):
        centre = ordered[f"{name}_pct"].to_numpy()
        errors = [centre - ordered[f"{name}_low"].to_numpy(), ordered[f"{name}_high"].to_numpy() - centre]
        left.barh([p + 0.4 * offset for p in positions], centre, height=0.4, xerr=errors, label=label, capsize=2)
    left.set_yticks([p + 0.2 for p in positions], ordered["group"], fontsize=8)
    left.set_xlabel("action repetition rate (%)")
    left.set_title("Repeated actions (95% bootstrap interval over runs)", fontsize=10)
    left.legend(fontsize=8)
    right.bar(range(len(capped)), capped.to_numpy(), color=sns.color_palette("colorblind")[3])
    labels = [name.removesuffix("_mwh").replace("_", " ") for name in capped.index]
    right.set_xticks(range(len(capped)), labels, fontsize=8, rotation=20)
    right.set_ylabel("share taken by step-capped runs (%)")
    right.set_title("AgentStop runs that hit the step cap", fontsize=10)
    right.set_ylim(0, 100)
    caption = (
        "Left: the action repetition rate (two readings of PANDO's ARR) per group: AgentStop's code agent split by "
        "whether the run hit the 10-step cap (action = the code it runs), tau-bench GPT-4o and four tau2-bench "
        "submissions (action = tool name and arguments). Right: the capped AgentStop runs' share of all runs, "
        "prompt tokens, completion tokens and measured energy."
    )
    return fig, caption


def _ab_panels(steps: pd.DataFrame, runs: pd.DataFrame, who: str):
    """Prompt tokens per call by policy (left); fresh and cached prompt tokens per episode by policy (right)."""
    calls = steps[steps["kind"] == "llm_call"].copy()
    calls["call"] = calls.groupby("run_id").cumcount() + 1
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    per_call = calls.groupby(["policy", "call"])["prompt_tokens"].mean().reset_index()
    for policy, rows in per_call.groupby("policy", sort=True):
        left.plot(rows["call"], rows["prompt_tokens"], marker="o", label=policy)
    left.set_xlabel("agent call within the episode")
    left.set_ylabel("prompt tokens (mean over tasks, tokens)")
    left.legend(fontsize=8)
    totals = runs.groupby("architecture", sort=True)[["prompt_tokens", "cached_tokens"]].mean()
    fresh = totals["prompt_tokens"] - totals["cached_tokens"]
    right.bar(totals.index, fresh, label="fresh")
    right.bar(totals.index, totals["cached_tokens"], bottom=fresh, label="cached (reported by the endpoint)")
    right.set_ylabel("prompt tokens per episode (mean, tokens)")
    right.legend(fontsize=8)
    fig.suptitle(f"Context policies run as agents on the same lookup tasks ({who})")
    return fig


_AB_PANELS_CAPTION = (
    "Left: prompt tokens of each call; right: each episode's prompt tokens split into fresh and cached as the "
    "endpoint reported them."
)


@report.figure
def live_ab(steps: pd.DataFrame, runs: pd.DataFrame):
    """The A/B run by the notebook: prompt tokens per call by policy; fresh and cached prompt tokens per run."""
    simulated = bool(runs["simulated"].all())
    model = runs["served_model"].iloc[0]
    fig = _ab_panels(steps, runs, "simulated agent" if simulated else model)
    if simulated:
        report.mark_simulated(fig)
    caption = (
        f"Mono-context, IterResearch-style workspace and Agent-Omit-style omission run as agents on the same "
        f"generated lookup tasks ({'the simulated endpoint: a scripted lookup agent, simulated data' if simulated else model}). "
        + _AB_PANELS_CAPTION
    )
    return fig, caption


@report.figure
def recorded_ab(steps: pd.DataFrame, runs: pd.DataFrame):
    """The recorded real-model A/B (data set ``smollm2-135m-context-ab``), drawn as :func:`live_ab`."""
    if runs["simulated"].any():
        raise ValueError("recorded_ab draws a real model's recording; these runs are simulated")
    model = runs["served_model"].iloc[0]
    calls = steps[steps["kind"] == "llm_call"]
    fig = _ab_panels(steps, runs, f"{model}, recorded")
    caption = (
        f"The same A/B recorded on a real model, {model} on llama-server (data set smollm2-135m-context-ab), "
        f"acting through {'/'.join(sorted(set(calls['encoding'])))} actions: {len(runs)} episodes, {len(calls)} "
        f"model calls, {int((calls['tool_calls'] != '[]').sum())} of them with a tool call. " + _AB_PANELS_CAPTION
    )
    return fig, caption
