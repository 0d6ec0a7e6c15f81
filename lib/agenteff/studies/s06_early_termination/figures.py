"""Study 06's figures: one figure function per saved figure, named after its files, returning the figure and
its caption (:func:`agenteff.report.figure`)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from ... import report
from .overhead import agent_model

__all__ = ["waste_vs_drop", "roc_per_step", "energy_per_task", "cache_utilisation"]

_METHOD_LABELS = {
    "agentstop": "AgentStop classifier",
    "min_logprob": "min log-prob of step k",
    "mean_logprob": "mean log-prob of step k",
    "random": "random score",
    "stop_all": "stop all at k",
}


@report.figure
def waste_vs_drop(
    table: pd.DataFrame, focus_step: int, model: str, max_drop_pct: float = 5.0, max_axis_pct: float = 30.0
):
    """Left: AgentStop's waste reduction against performance drop per decision step k. Right: at ``focus_step``,
    AgentStop (with its bootstrap band), the baselines and the stop-everything rule. ``model``: the agent's model
    (:func:`~.overhead.agent_model`)."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.8), sharey=True)
    ours = table[table["method"] == "agentstop"]
    colours = sns.color_palette("viridis", ours["k"].nunique())
    for colour, (k, rows) in zip(colours, ours.groupby("k")):
        left.plot(rows["performance_drop_pct"], rows["waste_reduction_pct"], marker=".", color=colour, label=f"k = {k}")
    palette = dict(zip(_METHOD_LABELS, sns.color_palette("colorblind", len(_METHOD_LABELS))))
    at_k = table[table["k"] == focus_step]
    for method, rows in at_k.groupby("method", sort=False):
        colour = palette.get(method, "0.3")
        if method == "stop_all":
            right.scatter(
                rows["performance_drop_pct"],
                rows["waste_reduction_pct"],
                marker="X",
                s=80,
                color=colour,
                label=_METHOD_LABELS[method],
                zorder=3,
            )
            continue
        right.plot(
            rows["performance_drop_pct"],
            rows["waste_reduction_pct"],
            marker=".",
            color=colour,
            label=_METHOD_LABELS.get(method, method),
        )
        if method == "agentstop":
            right.fill_between(
                rows["performance_drop_pct"],
                rows["waste_reduction_low"],
                rows["waste_reduction_high"],
                color=colour,
                alpha=0.2,
                lw=0,
            )
    shown = table[table["performance_drop_pct"] <= max_axis_pct]["waste_reduction_pct"]
    lowest, highest = float(shown.min()), float(shown.max())
    for ax, title in ((left, "AgentStop per decision step k"), (right, f"All methods at k = {focus_step}")):
        ax.axvline(max_drop_pct, color="0.4", ls="--", lw=1)
        ax.plot([0, max_axis_pct], [0, max_axis_pct], color="0.8", lw=1, zorder=0)
        ax.set_xlim(-0.5, max_axis_pct)
        ax.set_ylim(min(-2.0, lowest - 2), highest + 5)
        ax.set_xlabel("performance drop (% of successes lost)")
        ax.set_title(title)
        ax.legend(fontsize=8, loc="upper left", ncol=2 if ax is left else 1)
    left.set_ylabel("waste reduction (% of failed runs' energy)")
    fig.suptitle("Early termination on FRAMES (Qwen3-1.7B agent): energy saved against successes lost")
    fig.tight_layout()
    return fig, (
        f"Waste reduction against performance drop per decision step (left) and all methods at k = {focus_step} "
        f"(right), FRAMES, {model} agent, grader labels"
    )


@report.figure
def roc_per_step(roc: pd.DataFrame, model: str):
    """Pooled out-of-fold ROC curve of the failure classifier at each decision step k, AUC in the legend."""
    fig, ax = plt.subplots(figsize=(6, 5))
    colours = sns.color_palette("viridis", roc["k"].nunique())
    for colour, (k, rows) in zip(colours, roc.groupby("k")):
        ax.plot(rows["fpr"], rows["tpr"], color=colour, label=f"k = {k} (AUC {rows['auc'].iloc[0]:.2f})")
    ax.plot([0, 1], [0, 1], color="0.6", ls="--", lw=1)
    ax.set_xlabel("false-positive rate (successful runs stopped)")
    ax.set_ylabel("true-positive rate (failed runs stopped)")
    ax.set_title("Failure prediction per decision step (out-of-fold)")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig, f"Out-of-fold ROC of the AgentStop failure classifier per decision step k (FRAMES, {model})"


@report.figure
def energy_per_task(per_task: pd.DataFrame):
    """Energy per task of the agent run against the energy of its first LLM call (mWh, log scale), by outcome
    (``per_task`` from :func:`~.overhead.run_energy`)."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    values = np.concatenate([per_task["run_energy_mwh"], per_task["first_call_energy_mwh"]])
    bins = np.geomspace(max(values[values > 0].min(), 1e-3), values.max(), 40).tolist()
    ax.hist(per_task["first_call_energy_mwh"], bins=bins, alpha=0.6, label="first LLM call of the run")
    for outcome, rows in per_task.groupby("success"):
        ax.hist(
            rows["run_energy_mwh"],
            bins=bins,
            histtype="step",
            lw=2,
            label=f"whole agent run, {'successful' if outcome else 'failed'}",
        )
    ax.set_xscale("log")
    ax.set_xlabel("energy per task (mWh, log scale)")
    ax.set_ylabel("runs")
    ax.set_title("Energy per task: agent run vs one LLM call (bare-LLM energy not released)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig, (
        f"Energy per FRAMES task of the {agent_model(per_task)} agent (whole run, by outcome) against the energy of "
        "the run's first LLM call; the bare model's energy was not released"
    )


@report.figure
def cache_utilisation(cache: pd.DataFrame):
    """Prompt-cache utilisation per step index, pooled over runs, with the number of calls above each bar."""
    per_step = cache[cache["step"] != "all"]
    overall = cache.loc[cache["step"] == "all", "prompt_cache_utilization"].iloc[0]
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.bar(per_step["step"].astype(str), per_step["prompt_cache_utilization"], color=sns.color_palette()[0])
    for x, (share, n) in enumerate(zip(per_step["prompt_cache_utilization"], per_step["n_rows_known"])):
        ax.annotate(f"n={n}", (x, share), ha="center", va="bottom", fontsize=8)
    ax.axhline(overall, color="0.3", ls="--", lw=1, label=f"all calls: {overall:.2f}")
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("step index (0 = first LLM call)")
    ax.set_ylabel("cached / prompt tokens")
    ax.set_title("Prompt-cache utilisation per agent step")
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig, "Prompt-cache utilisation (cached / prompt tokens, pooled) per agent step on FRAMES"
