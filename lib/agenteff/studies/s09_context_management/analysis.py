"""Study 09's analysis: context growth, cache use, loops and step overhead measured on three sources of real
traces, and the traces re-costed under the context policies of IterResearch, ReSum, Agent-Omit and Terminus.

Sources: AgentStop's Qwen3-1.7B code agent on FRAMES (llama.cpp, with measured prefix-cache hits and energy),
four tau2-bench airline submissions (frontier models, per-call usage, no cache counts) and tau-bench's GPT-4o
airline trajectories (no token counts: used for loops and step overhead only).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from ... import datasets
from ...engines import context_ab
from ...metrics import context as cx
from ...metrics import context_policies as cp
from ...progress import progress
from ...report import PaperValues

__all__ = [
    "AGENTSTOP",
    "TAU2",
    "TAU_BENCH",
    "agent_call_table",
    "growth_by_source",
    "growth_fits",
    "cache_use",
    "context_policies",
    "policy_traces",
    "recost_by_source",
    "rebuilt_prompts",
    "policy_savings",
    "stationary_traces",
    "horizon_costs",
    "crossover_table",
    "workspace_context_budget",
    "mono_context_at",
    "resum_trigger_tokens",
    "resum_reach",
    "loop_runs",
    "loop_table",
    "capped_share",
    "first_repeat",
    "step_overhead",
    "run_live_ab",
    "live_ab_summary",
    "load_recorded_ab",
    "ab_actions",
]

AGENTSTOP = "AgentStop Qwen3-1.7B"
TAU2 = "tau2-bench"
TAU_BENCH = "tau-bench gpt-4o"


def _value(paper: PaperValues, key: str) -> float:
    """A published point value the analysis computes with (a qualitative row has none)."""
    value = paper[key].value
    if value is None:
        raise ValueError(f"paper value {key!r} has no point value")
    return value


def _tau2_label(submission: str) -> str:
    return f"{TAU2} {submission}"


def agent_call_table(agentstop_steps: pd.DataFrame, tau2_steps: pd.DataFrame, tau2_runs: pd.DataFrame) -> pd.DataFrame:
    """The agent's own calls of both token-counted sources (:func:`agenteff.metrics.context.agent_calls`), with
    ``source`` (AgentStop, or tau2-bench and the submission) and ``family`` (AgentStop or tau2-bench)."""
    stop = cx.agent_calls(agentstop_steps).assign(source=AGENTSTOP, family=AGENTSTOP)
    tau2 = cx.agent_calls(tau2_steps)
    submission = tau2_runs.set_index("run_id")["submission"]
    tau2 = tau2.assign(source=tau2["run_id"].map(submission).map(_tau2_label), family=TAU2)
    return pd.concat([stop, tau2], ignore_index=True)


def growth_by_source(calls: pd.DataFrame, min_runs: int = 5) -> pd.DataFrame:
    """Prompt tokens per call index and source (median, quartiles), where at least ``min_runs`` runs reach it."""
    table = cx.context_growth(calls, by="source")
    return table[table["n_runs"] >= min_runs].reset_index(drop=True)


def growth_fits(calls: pd.DataFrame, n_boot: int, seed: int) -> pd.DataFrame:
    """Per source: the median first prompt and growth per call, and the fit of cumulative prompt tokens
    ``a*T + b*T^2`` with bootstrap intervals (``2b`` estimates the growth per call)."""
    rows = []
    for source, sub in progress(calls.groupby("source", sort=True), desc="growth fits"):
        fit = cx.cumulative_prompt_fit(sub, n_boot=n_boot, seed=seed)
        rows.append(
            {
                "source": source,
                "runs": int(fit["n_runs"]),
                "first_prompt_median": sub.loc[sub["call"] == 1, "prompt_tokens"].median(),
                "growth_median": sub["growth"].median(),
                **{name: fit[name] for name in ("a", "a_low", "a_high", "b", "b_low", "b_high")},
            }
        )
    return pd.DataFrame(rows)


def cache_use(calls: pd.DataFrame, totals: pd.DataFrame, n_boot: int, seed: int) -> pd.DataFrame:
    """Per source: the measured prompt-cache utilisation (cached / prompt tokens, where the trace records cache
    hits) beside the one exact-prefix caching would give the observed mono-context prompts (from
    :func:`recost_by_source`)."""
    measured = cx.fresh_and_cached(calls, by="source", n_boot=n_boot, seed=seed)
    mono = totals[totals["policy"] == cp.MonoContext().name]
    rule = mono.groupby("source")[["cached_tokens", "prompt_tokens"]].sum()
    measured["pcu_exact_prefix"] = measured["source"].map(rule["cached_tokens"] / rule["prompt_tokens"])
    return measured[
        [
            "source",
            "n_runs",
            "prompt_tokens",
            "cached_tokens",
            "fresh_tokens",
            "pcu",
            "pcu_low",
            "pcu_high",
            "pcu_exact_prefix",
        ]
    ]


def context_policies(
    paper: PaperValues,
    report_sizes,
    summary_tokens: int,
    keep_last: int,
    placeholder_tokens: int,
    offload_threshold: int,
    offload_summary_tokens: int,
) -> list:
    """The policies compared: mono-context; IterResearch's workspace for each report size (refused above the
    report cap of the reference template, and its observation capped as the reproduction's config does); ReSum
    at its released trigger; omission; offloading of long tool outputs."""
    cap = _value(paper, "iterresearch/report-cap") * 1000
    too_large = [size for size in report_sizes if not 0 <= size <= cap]
    if too_large or not len(report_sizes):
        raise ValueError(f"report_sizes must be between 0 and the template's cap of {cap:g} tokens, got {report_sizes}")
    max_observation = _value(paper, "iterresearch/max-observation-tokens") * 1000
    return [
        cp.MonoContext(),
        *[cp.Workspace(float(size), max_observation) for size in report_sizes],
        cp.Resum(_resum_limit(paper), summary_tokens, _value(paper, "resum/trigger-share"), name="ReSum"),
        cp.Omission(keep_last, placeholder_tokens),
        cp.OffloadLongOutputs(offload_threshold, offload_summary_tokens),
    ]


def policy_traces(agentstop_steps: pd.DataFrame, tau2_steps: pd.DataFrame, tau2_runs: pd.DataFrame) -> dict:
    """``{source: [RunTrace, ...]}`` for AgentStop and each tau2-bench submission."""
    traces = {AGENTSTOP: cp.turn_traces(agentstop_steps)}
    submission = tau2_runs.set_index("run_id")["submission"]
    for trace in cp.turn_traces(tau2_steps):
        traces.setdefault(_tau2_label(submission[trace.run_id]), []).append(trace)
    return dict(sorted(traces.items()))


def recost_by_source(traces: dict, policies: list, prices: cp.Prices) -> pd.DataFrame:
    """Every run of every source re-costed under every policy (:func:`agenteff.metrics.context_policies.recost`)."""
    frames = [
        cp.recost(runs, policies, prices).assign(source=source)
        for source, runs in progress(traces.items(), desc="re-costing runs")
    ]
    return pd.concat(frames, ignore_index=True)


def rebuilt_prompts(traces: dict) -> pd.DataFrame:
    """Per source: agent calls, and those whose prompt shrank against the call before (the framework rebuilt it:
    AgentStop's forced final-answer call, or thinking blocks dropped from the history); they are priced as
    observed and uncached under every policy."""
    return pd.DataFrame(
        [
            {
                "source": source,
                "calls": sum(run.n_calls for run in runs),
                "rebuilt_calls": sum(len(run.rebuilt) for run in runs),
            }
            for source, runs in traces.items()
        ]
    )


def policy_savings(totals: pd.DataFrame) -> pd.DataFrame:
    """Per source and policy: main-context prompt tokens, model calls, the cost with and without caching, and each
    as a change against mono-context on the same runs (negative = cheaper), in percent."""
    sums = totals.groupby(["source", "policy"], sort=False)[
        ["model_calls", "main_prompt_tokens", "prompt_tokens", "output_tokens", "cost_cached_usd", "cost_uncached_usd"]
    ].sum()
    mono = sums.xs(cp.MonoContext().name, level="policy")
    table = sums.reset_index()
    for column, name in (
        ("main_prompt_tokens", "main_prompt_change_pct"),
        ("cost_uncached_usd", "cost_uncached_change_pct"),
        ("cost_cached_usd", "cost_cached_change_pct"),
    ):
        table[name] = 100 * (table[column] / table["source"].map(mono[column]) - 1)
    return table


def _family(source: str) -> str:
    return AGENTSTOP if source == AGENTSTOP else TAU2


def stationary_traces(traces: dict, horizon: int) -> dict:
    """Per source family: a synthetic run of ``horizon`` identical turns built from the medians of its real runs
    (first prompt, kept action, observation, completion) and the tool share of its observations."""
    if horizon < 2:
        raise ValueError(f"horizon must be at least 2 agent calls, got {horizon}")
    pooled: dict[str, list] = {}
    for source, runs in traces.items():
        pooled.setdefault(_family(source), []).extend(runs)
    out = {}
    for family, runs in sorted(pooled.items()):
        inner = [(r.action[:-1], r.observation[:-1], r.tool[:-1]) for r in runs if r.n_calls > 1]
        action = np.concatenate([a for a, _, _ in inner])
        observation = np.concatenate([o for _, o, _ in inner])
        tool = np.concatenate([t for *_, t in inner])
        out[family] = cp.stationary_trace(
            base=float(np.median([r.base for r in runs])),
            action=float(np.median(action)),
            observation=float(np.median(observation)),
            completion=float(np.median(np.concatenate([r.completion for r in runs]))),
            n_calls=horizon,
            tool_share=float(tool.sum() / observation.sum()) if observation.sum() > 0 else 1.0,
        )
    return out


def horizon_costs(stationary: dict, policies: list, prices: cp.Prices) -> pd.DataFrame:
    """Cumulative cost by horizon T of each family's stationary run under every policy."""
    frames = [
        cp.cumulative_cost_by_turn(run, policies, prices).assign(family=family)
        for family, run in progress(stationary.items(), desc="cost by horizon")
    ]
    return pd.concat(frames, ignore_index=True)


def crossover_table(costs: pd.DataFrame) -> pd.DataFrame:
    """Per family and policy: the horizon T* from which the policy is cheaper than mono-context, with and without
    prefix caching (missing: not cheaper at the longest horizon computed)."""
    mono = cp.MonoContext().name
    rows = []
    for family, sub in costs.groupby("family", sort=True):
        for policy in sub["policy"].unique():
            if policy == mono:
                continue
            rows.append(
                {
                    "family": family,
                    "policy": policy,
                    "t_star_cached": cp.crossover_horizon(sub, policy, mono, "cost_cached_usd"),
                    "t_star_uncached": cp.crossover_horizon(sub, policy, mono, "cost_uncached_usd"),
                }
            )
    table = pd.DataFrame(rows)
    return table.astype({"t_star_cached": "Int64", "t_star_uncached": "Int64"})


def workspace_context_budget(paper: PaperValues) -> pd.DataFrame:
    """IterResearch's "40k context" as the sum of its parts given by the reference (instructions and tools, the
    report cap, the observation cap), in k tokens, beside the stated figure."""
    parts = {
        "instructions and tools": _value(paper, "iterresearch/instructions-and-tools"),
        "report (template cap)": _value(paper, "iterresearch/report-cap"),
        "one observation (MAX_OBSERVATION_TOKENS)": _value(paper, "iterresearch/max-observation-tokens"),
    }
    table = pd.DataFrame({"part": list(parts), "k_tokens": list(parts.values())})
    total = pd.DataFrame({"part": ["sum"], "k_tokens": [table["k_tokens"].sum()]})
    stated = pd.DataFrame({"part": ["stated"], "k_tokens": [_value(paper, "iterresearch/context-40k")]})
    return pd.concat([table, total, stated], ignore_index=True)


def mono_context_at(fits: pd.DataFrame, n_calls: int) -> pd.DataFrame:
    """The prompt a mono-context agent would send at call ``n_calls`` at each source's median first prompt and
    median growth per call: ``first + (n_calls - 1) * growth``, in k tokens."""
    return fits.assign(
        n_calls=n_calls,
        prompt_k_tokens=(fits["first_prompt_median"] + (n_calls - 1) * fits["growth_median"]) / 1000,
    )[["source", "first_prompt_median", "growth_median", "n_calls", "prompt_k_tokens"]]


def _resum_limit(paper: PaperValues) -> float:
    return _value(paper, "resum/max-context") * 1024 - 1000  # MAX_CONTEXT k tokens less 1000, as released


def resum_trigger_tokens(paper: PaperValues) -> float:
    """ReSum's released trigger: ``share * (MAX_CONTEXT * 1024 - 1000)`` tokens."""
    return _value(paper, "resum/trigger-share") * _resum_limit(paper)


def resum_reach(calls: pd.DataFrame, trigger: float) -> pd.DataFrame:
    """Per source: runs, the largest prompt observed, and the share of runs whose prompt ever reaches the trigger."""
    peak = calls.groupby(["source", "run_id"])["prompt_tokens"].max().astype(float)
    table = peak.groupby("source").agg(runs="size", peak_prompt="max", reach=lambda v: float((v >= trigger).mean()))
    return table.reset_index().rename(columns={"reach": "share_reaching_trigger"})


def loop_runs(
    agentstop_runs: pd.DataFrame,
    agentstop_steps: pd.DataFrame,
    tau_bench_steps: pd.DataFrame,
    tau2_steps: pd.DataFrame,
    tau2_runs: pd.DataFrame,
) -> pd.DataFrame:
    """Per run, both ARR readings and the first repeat (:func:`agenteff.metrics.context.action_repetition_reading`),
    with ``group``: AgentStop runs split by whether they hit the step cap (action = the code they run), tau-bench
    and each tau2-bench submission (action = tool name and arguments)."""
    stop = cx.action_repetition_reading(cx.code_actions(agentstop_steps))
    capped = agentstop_runs.set_index("run_id")["hit_step_cap"]
    stop["group"] = np.where(stop["run_id"].map(capped), f"{AGENTSTOP} capped", f"{AGENTSTOP} uncapped")
    bench = cx.action_repetition_reading(cx.tool_call_actions(tau_bench_steps)).assign(group=TAU_BENCH)
    tau2 = cx.action_repetition_reading(cx.tool_call_actions(tau2_steps))
    tau2["group"] = tau2["run_id"].map(tau2_runs.set_index("run_id")["submission"]).map(_tau2_label)
    return pd.concat([stop, bench, tau2], ignore_index=True)


def loop_table(per_run: pd.DataFrame, n_boot: int, seed: int) -> pd.DataFrame:
    """Per group, both ARR readings pooled over runs (repeats / actions that could repeat), in percent, with
    bootstrap intervals over runs, and the share of runs with any repeat."""
    frame = per_run.assign(pairs=(per_run["n_actions"] - 1).clip(lower=0))
    consecutive = cx.pooled_ratio(frame, "repeats_consecutive", "pairs", by="group", n_boot=n_boot, seed=seed)
    any_earlier = cx.pooled_ratio(frame, "repeats_any_earlier", "n_actions", by="group", n_boot=n_boot, seed=seed)
    table = consecutive[["group", "n_runs"]].copy()
    for name, ratio in (("arr_consecutive", consecutive), ("arr_any_earlier", any_earlier)):
        table[f"{name}_pct"] = 100 * ratio["ratio"]
        table[f"{name}_low"] = 100 * ratio["low"]
        table[f"{name}_high"] = 100 * ratio["high"]
    with_repeat = per_run.groupby("group")["repeats_any_earlier"].apply(lambda v: float((v > 0).mean()))
    table["runs_with_repeat_pct"] = 100 * table["group"].map(with_repeat)
    return table


def capped_share(agentstop_runs: pd.DataFrame) -> pd.Series:
    """The step-capped AgentStop runs' share of all runs, prompt tokens, completion tokens and energy, in percent."""
    capped = agentstop_runs["hit_step_cap"].astype(bool)
    out = {"runs": 100 * capped.mean()}
    for column in ("prompt_tokens", "completion_tokens", "energy_mwh"):
        values = agentstop_runs[column].astype(float)
        out[column] = 100 * values[capped].sum() / values.sum()
    return pd.Series(out, name="capped share (%)")


def first_repeat(per_run: pd.DataFrame) -> pd.DataFrame:
    """Per group: how many runs repeat an action, and at which action the first repeat comes (median, quartiles)."""
    repeated = per_run[per_run["first_repeat_action"].notna()]
    stats = repeated["first_repeat_action"].astype(float).groupby(repeated["group"]).describe()
    return stats[["count", "25%", "50%", "75%", "max"]].rename(columns={"count": "runs_with_repeat"}).reset_index()


def step_overhead(
    per_run: pd.DataFrame,
    tau_bench_runs: pd.DataFrame,
    tau2_runs: pd.DataFrame,
    n_boot: int,
    seed: int,
) -> pd.DataFrame:
    """Per tool-calling group: SOR_min (the agent's tool calls over the task's gold actions, pooled over runs
    whose task has gold actions, with an interval) and SOR_fs (mean tool calls of failed over successful runs)."""
    runs = pd.concat(
        [tau_bench_runs[["run_id", "success", "n_gold_actions"]], tau2_runs[["run_id", "success", "n_gold_actions"]]],
        ignore_index=True,
    )
    frame = per_run.merge(runs, on="run_id", how="inner")
    with_gold = frame[frame["n_gold_actions"].fillna(0) > 0]
    sor_min = cx.pooled_ratio(with_gold, "n_actions", "n_gold_actions", by="group", n_boot=n_boot, seed=seed)
    sor_fs = cx.sor_fs_reading(frame, by="group", n_boot=n_boot, seed=seed)
    per_run_sor = cx.sor_min_reading(with_gold).groupby(with_gold["group"]).median()
    table = sor_min.rename(columns={"ratio": "sor_min", "low": "sor_min_low", "high": "sor_min_high"})
    table["sor_min_run_median"] = table["group"].map(per_run_sor)
    return table[["group", "n_runs", "sor_min", "sor_min_low", "sor_min_high", "sor_min_run_median"]].merge(
        sor_fs.rename(columns={"low": "sor_fs_low", "high": "sor_fs_high"}), on="group"
    )


def run_live_ab(endpoint, n_tasks: int, n_keys: int, record_words: int, seed: int, model=None) -> dict:
    """The A/B of :mod:`agenteff.engines.context_ab` (mono-context, workspace, omission as agents on the same
    generated lookup tasks) against ``endpoint``: ``{"steps", "runs"}``."""
    tasks = context_ab.lookup_tasks(n_tasks, n_keys, record_words, seed)
    return context_ab.run_context_ab(endpoint, tasks, model=model, seeds=(seed,))


def live_ab_summary(runs: pd.DataFrame) -> pd.DataFrame:
    """Per policy: runs, success rate, and per run the mean calls, prompt, cached and completion tokens and
    latency; ``prompt_vs_mono_pct`` is the prompt tokens' change against mono-context (negative = fewer)."""
    table = runs.groupby("architecture", sort=True).agg(
        runs=("run_id", "size"),
        success=("success", "mean"),
        calls=("n_calls", "mean"),
        prompt_tokens=("prompt_tokens", "mean"),
        cached_tokens=("cached_tokens", "mean"),
        completion_tokens=("completion_tokens", "mean"),
        latency_s=("latency_s", "mean"),
    )
    table["prompt_vs_mono_pct"] = 100 * (table["prompt_tokens"] / table.loc["mono-context", "prompt_tokens"] - 1)
    return table.rename_axis("policy").reset_index()


def load_recorded_ab() -> dict:
    """The A/B recorded on a real model (data set ``smollm2-135m-context-ab``): ``{"steps", "runs"}``."""
    return datasets.tables("smollm2-135m-context-ab")


def ab_actions(steps: pd.DataFrame) -> pd.DataFrame:
    """Per policy, what the agent's calls did: ``calls``, ``tool_calls`` (calls with a valid tool call),
    ``final_answers``, ``malformed`` (calls whose action could not be used) and ``distinct_keys`` (mean distinct
    keys looked up per episode)."""
    calls = steps[steps["kind"] == "llm_call"].copy()
    calls["n_tool_calls"] = calls["tool_calls"].map(lambda text: len(json.loads(text)))
    keys = calls.groupby(["policy", "run_id"])["tool_calls"].agg(
        lambda texts: len({call["arguments"].get("key") for text in texts for call in json.loads(text)})
    )
    table = calls.groupby("policy", sort=True).agg(
        calls=("step", "size"),
        tool_calls=("n_tool_calls", lambda n: int((n > 0).sum())),
        final_answers=("action", lambda a: int((a == "final_answer").sum())),
        malformed=("malformed", lambda m: int((m != "").sum())),
    )
    table["distinct_keys"] = keys.groupby("policy").mean()
    return table.reset_index()
