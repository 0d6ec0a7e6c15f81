"""Study 04's figures: one function per file the notebook saves, each returning the figure and its caption (built
from the data); the topology figure of simulated runs says so and carries the stamp."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from ... import report
from ...engines import topologies
from ...plots import MARKERS, draw_frontier
from .analysis import _TAU_PAPER_TEXT, _runs_per_model, _runs_per_point, _tasks_per_run, _topology_source

__all__ = [
    "humaneval_frontier",
    "aider_frontier",
    "pass_hat_k",
    "tau_bench_trajectories",
    "token_spread",
    "topology_cost_of_pass",
]


@report.figure
def humaneval_frontier(strategies: pd.DataFrame):
    """Accuracy against the mean cost of one run, one panel per model release, the frontier outlined."""
    releases = sorted(strategies["release"].unique())
    names = sorted(strategies["strategy_name"].unique())
    fig, axes = plt.subplots(1, len(releases), figsize=(13, 5), sharey=True, layout="constrained", squeeze=False)
    for ax, release in zip(axes[0], releases):
        draw_frontier(
            ax,
            strategies[strategies["release"] == release],
            "cost_per_run_usd",
            "accuracy",
            hue="strategy_name",
            hue_order=names,
            style="strategy_name",
            style_order=names,
            accuracy_scale=100,
        )
        ax.set(title=f"HumanEval, {release} models", xlabel="mean cost of one HumanEval run (USD, log scale)")
    axes[0][0].set_ylabel("tasks solved (%)")
    fig.legend(*axes[0][-1].get_legend_handles_labels(), loc="outside right center", fontsize=9)
    fig.suptitle("Accuracy vs cost of HumanEval agent strategies (outlined: on the frontier)")
    caption = (
        f"Accuracy (% of {_tasks_per_run(strategies)} HumanEval tasks, mean of "
        f"{_runs_per_point(strategies['n_rows'])} runs) against the mean cost of one run (USD) for the agent strategies "
        "released with 'AI Agents That Matter', per model release; the grey step is the Pareto frontier, "
        "outlined points lie on it."
    )
    return fig, caption


def _cost_of_pass_intervals(ax: plt.Axes, table: pd.DataFrame, labels, colours=None, markers=None) -> None:
    """Cost-of-pass of each row with its bootstrap interval, one row of the plot each (log scale). An infinite
    upper bound (resamples with no success) is drawn to the right edge and says so."""
    positions = np.arange(len(table))
    point = table["cost_of_pass_usd"].to_numpy(dtype=float)
    low = table["ci_low_usd"].to_numpy(dtype=float)
    high = table["ci_high_usd"].to_numpy(dtype=float)
    finite = high[np.isfinite(high)]
    right_edge = 1.5 * (finite.max() if finite.size else point.max())
    ax.errorbar(
        point,
        positions,
        fmt="none",
        ecolor="0.4",
        xerr=[point - low, np.where(np.isfinite(high), high, right_edge) - point],
    )
    colours = ["C0"] * len(table) if colours is None else list(colours)
    markers = ["o"] * len(table) if markers is None else list(markers)
    for position, x, colour, marker, upper in zip(positions, point, colours, markers, high):
        ax.scatter(x, position, color=colour, marker=marker, s=60, zorder=3)
        if not np.isfinite(upper):
            ax.annotate(
                "upper bound: infinite",
                (right_edge, position),
                fontsize=7,
                xytext=(-4, 5),
                textcoords="offset points",
                ha="right",
            )
    ax.set_yticks(positions, list(labels), fontsize=8)
    ax.set_xscale("log")


@report.figure
def aider_frontier(leaderboard: pd.DataFrame):
    """Left: accuracy against the cost of the run, frontier models named; right: their cost-of-pass."""
    fig, (ax, ax_cop) = plt.subplots(
        1, 2, figsize=(15, 6), gridspec_kw={"width_ratios": [1.5, 1]}, layout="constrained"
    )
    points = leaderboard.rename_axis("model").reset_index()
    draw_frontier(ax, points, "total_cost_usd", "accuracy_pct", label="model")
    front = points[points["on_frontier"]].sort_values("total_cost_usd")
    ax.set_xlim(front["total_cost_usd"].min() / 5, None)  # room for the labels of the cheapest frontier runs
    ax.set(
        xlabel="total cost of the benchmark run (USD, log scale)",
        ylabel="exercises passed after 2 attempts (%)",
        title="Aider polyglot: accuracy vs cost (outlined: on the frontier)",
    )
    ax.legend(loc="lower right", fontsize=8)
    _cost_of_pass_intervals(ax_cop, front, front["model"])
    ax_cop.set(
        xlabel="cost-of-pass (USD per exercise passed, log scale; 95% CI)", title="Cost-of-pass of frontier models"
    )
    fig.suptitle(f"Aider polyglot leaderboard ({len(leaderboard)} runs with a recorded cost)")
    caption = (
        f"Aider polyglot leaderboard: share of {_tasks_per_run(leaderboard)} exercises passed after two "
        "attempts against the total cost of the run (USD); runs without a recorded cost are left out. "
        "Right: cost-of-pass (USD per exercise passed) of the frontier models with 95% binomial-bootstrap "
        "intervals."
    )
    return fig, caption


@report.figure
def pass_hat_k(reliability: pd.DataFrame, humaneval: pd.DataFrame, paper):
    """Left: tau-bench pass^k, computed and published (leaderboard and paper text); right: HumanEval models."""
    text_pass1 = paper[_TAU_PAPER_TEXT].value
    fig, (ax, ax_he) = plt.subplots(1, 2, figsize=(12, 4.5), layout="constrained")
    ax.plot(reliability["k"], 100 * reliability["pass_hat_k"], marker="o", label="computed from the trajectories")
    ax.scatter(
        reliability["k"],
        100 * reliability["published"],
        marker="x",
        s=80,
        color="k",
        zorder=3,
        label="published (tau-bench leaderboard)",
    )
    ax.scatter(
        [1],
        [100 * text_pass1],
        marker="s",
        facecolor="none",
        edgecolor="C3",
        s=70,
        zorder=3,
        label=f"paper text (about {100 * text_pass1:.0f}%)",
    )
    top = 100 * max(reliability["pass_hat_k"].max(), reliability["published"].max(), text_pass1)
    ax.set(
        xlabel="k (trials that must all succeed)",
        ylabel="pass^k (% of tasks)",
        xticks=list(reliability["k"]),
        title="tau-bench airline, GPT-4o tool calling",
        ylim=(0, 10 * np.ceil(top / 10 + 0.1)),
    )
    ax.legend()
    for model, curve in humaneval.groupby("model"):
        ax_he.plot(curve["k"], 100 * curve["pass_hat_k"], marker="o", label=model)
    runs = _runs_per_model(humaneval)
    ax_he.set(
        xlabel="k (trials that must all succeed)",
        ylabel="pass^k (% of tasks)",
        xticks=sorted(humaneval["k"].unique()),
        title=f"HumanEval, simple strategy, {runs} runs per model",
    )
    ax_he.legend(fontsize=8)
    fig.suptitle("Reliability falls with k: pass^k")
    tasks, trials = int(reliability["n_tasks"].iloc[0]), int(reliability["min_trials"].iloc[0])
    caption = (
        "pass^k (% of tasks whose k i.i.d. trials all succeed). Left: tau-bench airline GPT-4o computed from "
        f"the released {tasks} x {trials} trajectories (line) and the published leaderboard values (crosses). "
        f"Right: HumanEval, simple strategy, {runs} runs per model (agent-eval logs)."
    )
    return fig, caption


@report.figure
def tau_bench_trajectories(trajectories: pd.DataFrame, area: pd.DataFrame, curve: pd.DataFrame):
    """Repetition rate and tool calls by outcome, and the success-within-budget curve behind the EQA."""
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.5), layout="constrained")
    labelled = trajectories.assign(
        outcome=trajectories["success"].map({True: "success", False: "failure"}),
        repetition_pct=100 * trajectories["action_repetition_rate"],
    )
    top = 2.5 * np.ceil(labelled["repetition_pct"].max() / 2.5 + 1)
    sns.histplot(
        labelled,
        x="repetition_pct",
        hue="outcome",
        hue_order=["success", "failure"],
        bins=np.arange(0, top + 0.5, 2.5),
        stat="percent",
        common_norm=False,
        multiple="dodge",
        shrink=0.9,
        ax=axes[0],
    )
    axes[0].set(
        xlabel="action repetition rate (% of a run's tool calls)",
        ylabel="runs (% of outcome)",
        title="Repeated tool calls",
    )
    sns.histplot(
        labelled,
        x="n_tool_calls",
        hue="outcome",
        hue_order=["success", "failure"],
        discrete=True,
        stat="percent",
        common_norm=False,
        element="step",
        ax=axes[1],
    )
    axes[1].set(xlabel="tool calls per run (count)", ylabel="runs (% of outcome)", title="Tool calls")
    axes[2].plot(curve["budget"], 100 * curve["success_rate"])
    axes[2].fill_between(
        curve["budget"], 100 * curve["success_rate"], alpha=0.2, label=f"EQA = {area['eqa'].iloc[0]:.3f}"
    )
    axes[2].axhline(100 * area["success_rate"].iloc[0], color="0.5", ls="--", label="success rate")
    axes[2].set(
        xlabel="step budget (agent messages)",
        ylabel="runs solved within the budget (%)",
        title="Success within a step budget",
    )
    axes[2].legend()
    fig.suptitle(f"tau-bench airline, GPT-4o: {len(trajectories)} trajectories by outcome")
    trials = int(trajectories.groupby("task").size().max())
    caption = (
        f"tau-bench airline GPT-4o trajectories ({trajectories['task'].nunique()} tasks x {trials} trials). "
        "Left: action repetition rate (% of tool calls repeating an earlier identical call) by outcome; "
        "middle: tool calls per run; right: share of runs solved within a budget of agent messages, whose "
        "normalised area is the EQA."
    )
    return fig, caption


@report.figure
def token_spread(spread: pd.DataFrame):
    fig, ax = plt.subplots(figsize=(10, 4.5), layout="constrained")
    sns.boxplot(spread.assign(cv_pct=100 * spread["cv"]), x="cv_pct", y="model", ax=ax, fliersize=2, color="C0")
    runs = int(spread["n_runs"].max())
    ax.set(
        xlabel=f"coefficient of variation of completion tokens across {runs} runs (% of the task's mean)",
        ylabel="",
        title="HumanEval, simple strategy: per-task token spread between identical runs",
    )
    caption = (
        f"Per-task coefficient of variation (%) of completion tokens across {runs} runs of the same model "
        "with the same prompt (HumanEval, simple strategy, agent-eval logs); prompt tokens are identical "
        "across runs."
    )
    return fig, caption


@report.figure
def topology_cost_of_pass(cost: pd.DataFrame):
    """Accuracy against mean cost per run (frontier outlined), and cost-of-pass with intervals; titles say
    "simulated" or name the model that answered, from the data."""
    source = _topology_source(cost)
    simulated = source == "simulated"
    marked = "simulated; " if simulated else ""  # a live run's model is named in the figure's title
    fig, (ax, ax_cop) = plt.subplots(1, 2, figsize=(14, 5), layout="constrained")
    models = sorted(cost["model"].unique())
    architectures = [a for a in topologies.ARCHITECTURES if a in set(cost["architecture"])]
    costed = cost[cost["cost_per_attempt_usd"].notna()]
    if costed.empty:
        ax.text(0.5, 0.5, "no priced runs", ha="center", va="center", transform=ax.transAxes)
    else:
        draw_frontier(
            ax,
            costed,
            "cost_per_attempt_usd",
            "accuracy_pct",
            hue="model",
            hue_order=models,
            style="architecture",
            style_order=architectures,
        )
    ax.set(
        xlabel="mean cost of one run (USD at list prices, log scale)",
        ylabel="tasks solved (%)",
        title=f"Accuracy vs cost ({marked}outlined: on the frontier)",
    )
    if not costed.empty:
        ax.legend(fontsize=8, loc="lower right")
    solved_any = np.isfinite(cost["cost_of_pass_usd"])  # never succeeded (inf) or unpriced (NaN): no value
    unpriced = int(cost["cost_of_pass_usd"].isna().sum())
    ordered = cost[solved_any].sort_values(["model", "cost_of_pass_usd"]).reset_index(drop=True)
    colours = dict(zip(models, sns.color_palette("colorblind", len(models))))
    marks = dict(zip(architectures, MARKERS))
    if ordered.empty:  # a weak or unpriced model: nothing solved, or nothing priced
        ax_cop.text(
            0.5, 0.5, "no topology has a finite cost-of-pass", ha="center", va="center", transform=ax_cop.transAxes
        )
    else:
        _cost_of_pass_intervals(
            ax_cop,
            ordered,
            ordered["model"] + " / " + ordered["architecture"],
            colours=ordered["model"].map(colours),
            markers=ordered["architecture"].map(marks),
        )
    missing = f"{int((~solved_any).sum()) - unpriced} with no success" + (f", {unpriced} unpriced" if unpriced else "")
    ax_cop.set(
        xlabel="cost-of-pass (USD per solved task, log scale; 95% CI)",
        title=f"Cost-of-pass ({marked}not shown: {missing})",
    )
    if simulated:
        fig.suptitle("Study-02 topologies on the simulated endpoint: accuracy, cost and cost-of-pass (simulated)")
        caption = (
            f"Simulated runs of the {len(architectures)} study-02 topologies ({len(models)} simulated models "
            "priced at the list prices of the models they stand in for): accuracy against mean cost per run "
            "(USD), and cost-of-pass (USD per solved task) with 95% bootstrap intervals."
        )
    else:
        fig.suptitle(f"Study-02 topologies with {source}: accuracy, cost and cost-of-pass")
        caption = (
            f"Runs of the {len(architectures)} study-02 topologies with {source} (priced at their own list "
            "prices; unpriced models have no cost): accuracy against mean cost per run (USD), and cost-of-pass "
            "(USD per solved task) with 95% bootstrap intervals."
        )
    return (report.mark_simulated(fig) if simulated else fig), caption
