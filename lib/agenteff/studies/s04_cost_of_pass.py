"""Study 04: cost-of-pass, accuracy-cost frontiers, pass^k and trajectory efficiency, on released agent runs.

Papers: Kapoor et al., "AI Agents That Matter" (arXiv:2407.01502: accuracy-cost Pareto frontiers, HumanEval
baselines); Yao et al., "tau-bench" (arXiv:2406.12045: pass^k); Wang et al., "Efficient Agents"
(arXiv:2508.02694: a cost-of-pass headline). The metrics themselves are shared (:mod:`agenteff.metrics`); this
module holds the study's analysis of its data sets, one function per figure the notebook saves (each returns
``(figure, caption)``, captions built from the data), and :func:`claims`, the notebook's claims table.

Sections, in the notebook's order: HumanEval strategies (``agent-eval-runs``), the Aider polyglot leaderboard
(``aider-polyglot``), pass^k (``tau-bench-airline-gpt4o``, ``agent-eval-simple-calls``), tau-bench trajectories,
token spread between identical runs, cost-of-pass of the study-02 topology runs (simulated by default), the Efficient Agents arithmetic.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from .. import metrics, report
from ..engines import topologies
from ..llm import SimModel
from ..llm.endpoints import Endpoint, resolve_endpoint
from ..plots import MARKERS, draw_frontier

__all__ = [
    "DEFAULTS",
    "BASELINES",
    "RELIABILITY_MODEL",
    "SPREAD_THRESHOLD",
    "humaneval_strategies",
    "strategy_table",
    "humaneval_frontier_figure",
    "baseline_frontier",
    "aider_leaderboard",
    "aider_summary",
    "aider_frontier_table",
    "aider_dominated_table",
    "aider_frontier_figure",
    "tau_reliability",
    "logged_simple_runs",
    "humaneval_reliability",
    "pass_hat_k_figure",
    "tau_trajectories",
    "trajectory_outcomes",
    "repeating_runs",
    "efficiency_quality",
    "tau_trajectories_figure",
    "token_spread",
    "token_spread_summary",
    "token_spread_figure",
    "TopologySetting",
    "topology_setting",
    "run_topologies",
    "simulated_models",
    "topology_cost",
    "topology_table",
    "topology_figure",
    "efficient_agents_arithmetic",
    "frontier_claims",
    "reliability_claims",
    "trajectory_claims",
    "spread_claims",
    "topology_claims",
    "efficient_agents_claims",
    "claims",
]

#: Sizes that ``fast`` shrinks: (full run, fast run), settled by :func:`agenteff.params.settle`.
DEFAULTS = {"n_boot": (2000, 300), "topology_tasks": (12, 4)}
#: The paper's three simple HumanEval baselines (Kapoor et al., section 2).
BASELINES = ("retry", "warming", "escalation")
#: The HumanEval model whose pass^1 -> pass^k decline is reported as a claim.
RELIABILITY_MODEL = "gpt-4-turbo-2024-04-09"
#: A task's token use "varies" when its most expensive run used more than this multiple of its cheapest.
SPREAD_THRESHOLD = 1.5

_TAU_LEADERBOARD = "tau-bench/leaderboard-pass-hat-{k}"
_TAU_PAPER_TEXT = "tau-bench/paper-pass-hat-1"
_TAU_SOURCE = "historical_trajectories/gpt-4o-airline.json"
_NOT_INDEPENDENT = "(trials of a task are not independent)"


def _percent(frame: pd.DataFrame, **columns: str) -> pd.DataFrame:
    """``frame`` with each ``new=old`` column added as 100 x old."""
    return frame.assign(**{new: 100 * frame[old] for new, old in columns.items()})


def _tasks_per_run(costed: pd.DataFrame) -> int:
    """Attempts per row of a :func:`agenteff.metrics.cost_of_pass` table (tasks of one benchmark run)."""
    per_run = (costed["attempts"] / costed["n_rows"]).unique()
    if len(per_run) != 1:
        raise ValueError(f"runs of different sizes ({sorted(per_run)}): one caption cannot name a task count")
    return int(per_run[0])


def _runs_per_point(n_rows: pd.Series) -> str:
    """How many runs each point averages: one number, or the range."""
    counts = sorted(n_rows.unique())
    return str(counts[0]) if len(counts) == 1 else f"{counts[0]} to {counts[-1]}"


# --- 1. HumanEval strategies ----------------------------------------------------------------------------------


def humaneval_strategies(evaluations: pd.DataFrame, n_boot: int, seed: int) -> pd.DataFrame:
    """Cost-of-pass of every (release, strategy, model) over its runs, the mean cost of one run, and the
    accuracy-cost frontier within each model release (``dominated_by_strategy`` names the cheapest strategy that
    dominates a point)."""
    strategies = metrics.cost_of_pass(
        evaluations,
        by=["release", "strategy_name", "model"],
        success="n_solved",
        attempts="n_tasks",
        n_boot=n_boot,
        seed=seed,
    )
    strategies["cost_per_run_usd"] = strategies["total_cost_usd"] / strategies["n_rows"]
    strategies = metrics.pareto_frontier(strategies, cost="cost_per_run_usd", by="release")
    strategies["dominated_by_strategy"] = strategies["dominated_by"].map(strategies["strategy_name"])
    return strategies


def strategy_table(strategies: pd.DataFrame) -> pd.DataFrame:
    """The strategies for display: accuracy and gap in percent, cheapest first within each release."""
    return (
        _percent(strategies, accuracy_pct="accuracy", accuracy_gap_pp="accuracy_gap")
        .sort_values(["release", "cost_per_run_usd"])[
            [
                "release",
                "strategy_name",
                "model",
                "n_rows",
                "accuracy_pct",
                "cost_per_run_usd",
                "cost_of_pass_usd",
                "ci_low_usd",
                "ci_high_usd",
                "on_frontier",
                "cost_ratio",
                "accuracy_gap_pp",
            ]
        ]
        .round(4)
        .reset_index(drop=True)
    )


def humaneval_frontier_figure(strategies: pd.DataFrame):
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


def baseline_frontier(strategies: pd.DataFrame, baselines=BASELINES) -> pd.DataFrame:
    """Per release and baseline strategy: on the frontier when any of its model variants is; otherwise its best
    cost ratio, smallest accuracy gap (percentage points) and the strategy that dominates it."""
    return (
        strategies[strategies["strategy_name"].isin(baselines)]
        .sort_values("cost_ratio")
        .groupby(["release", "strategy_name"])
        .agg(
            runs=("n_rows", "min"),
            on_frontier=("on_frontier", "any"),
            best_cost_ratio=("cost_ratio", "min"),
            accuracy_gap_pp=("accuracy_gap", lambda s: 100 * s.min()),
            dominated_by=("dominated_by_strategy", "first"),
        )
        .reset_index()
    )


# --- 2. Aider polyglot ----------------------------------------------------------------------------------------

_AIDER_COLUMNS = [
    "edit_format",
    "accuracy_pct",
    "total_cost_usd",
    "cost_of_pass_usd",
    "ci_low_usd",
    "ci_high_usd",
    "cost_ratio",
    "accuracy_gap_pp",
    "dominated_by",
]


def aider_leaderboard(aider_runs: pd.DataFrame, n_boot: int, seed: int) -> pd.DataFrame:
    """Cost-of-pass and frontier of the leaderboard runs that record a cost (a cost of 0 is read as missing by
    the parser: free previews and local models are left out rather than read as free), indexed by model."""
    priced = aider_runs[aider_runs["cost_usd"].notna()]
    leaderboard = metrics.cost_of_pass(
        priced, by=["model", "edit_format"], success="pass_num_2", attempts="total_tests", n_boot=n_boot, seed=seed
    )
    leaderboard = metrics.pareto_frontier(leaderboard.set_index("model"), cost="total_cost_usd")
    return _percent(leaderboard, accuracy_pct="accuracy", accuracy_gap_pp="accuracy_gap")


def aider_summary(aider_runs: pd.DataFrame, leaderboard: pd.DataFrame) -> str:
    left_out = len(aider_runs) - len(leaderboard)
    return (
        f"{len(aider_runs)} runs, {len(leaderboard)} with a recorded cost ({left_out} left out), "
        f"{int(leaderboard['on_frontier'].sum())} on the frontier; "
        f"{_tasks_per_run(leaderboard)} exercises per run"
    )


def aider_frontier_table(leaderboard: pd.DataFrame) -> pd.DataFrame:
    return leaderboard[leaderboard["on_frontier"]].sort_values("total_cost_usd")[_AIDER_COLUMNS].round(3)


def aider_dominated_table(leaderboard: pd.DataFrame, n: int = 12) -> pd.DataFrame:
    """The ``n`` dominated runs that cost most times what an as-accurate run costs."""
    dominated = leaderboard[leaderboard["dominated"]]
    return dominated.sort_values("cost_ratio", ascending=False)[_AIDER_COLUMNS].head(n).round(3)


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


def aider_frontier_figure(leaderboard: pd.DataFrame):
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


# --- 3. pass^k ------------------------------------------------------------------------------------------------


def tau_reliability(tau_runs: pd.DataFrame, paper) -> pd.DataFrame:
    """pass^k of the released tau-bench trajectories for k = 1..trials, beside the published leaderboard."""
    trials = int(tau_runs.groupby("task").size().min())
    reliability = metrics.pass_hat_k(tau_runs, list(range(1, trials + 1)))
    reliability["published"] = [paper[_TAU_LEADERBOARD.format(k=k)].value for k in reliability["k"]]
    return reliability


def logged_simple_runs(simple_tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The runs of the HumanEval simple strategy whose calls were logged (five per model)."""
    runs = simple_tables["runs"]
    return runs[runs["n_calls"].notna()]


def humaneval_reliability(simple_runs: pd.DataFrame) -> pd.DataFrame:
    """pass^k per model for k = 1..runs per model."""
    trials = int(simple_runs.groupby(["model", "task"]).size().min())
    return metrics.pass_hat_k(simple_runs, list(range(1, trials + 1)), by="model")


def _runs_per_model(humaneval: pd.DataFrame) -> int:
    """Runs per model of a :func:`humaneval_reliability` table (each run tries every task once)."""
    counts = humaneval["min_trials"].unique()
    if len(counts) != 1:
        raise ValueError(f"models have different numbers of logged runs ({sorted(counts)})")
    return int(counts[0])


def pass_hat_k_figure(reliability: pd.DataFrame, humaneval: pd.DataFrame, paper):
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


# --- 4. tau-bench trajectories --------------------------------------------------------------------------------

_OUTCOME_METRICS = [
    "action_repetition_rate",
    "n_tool_calls",
    "n_agent_steps",
    "n_user_turns",
    "overhead_vs_gold",
    "overhead_vs_shortest",
]


def tau_trajectories(tau_runs: pd.DataFrame, tau_steps: pd.DataFrame) -> pd.DataFrame:
    """Per run: step counts, action repetition and the step overhead against the gold actions and against the
    shortest successful trial of the same task."""
    trajectories = (
        tau_runs[["run_id", "task", "success", "n_gold_actions"]]
        .merge(metrics.trajectory_counts(tau_steps), on="run_id")
        .merge(metrics.action_repetition_rate(tau_steps), on="run_id")
    )
    trajectories["shortest_successful"] = trajectories["task"].map(metrics.shortest_successful_steps(trajectories))
    trajectories["overhead_vs_gold"] = metrics.step_overhead_ratio(trajectories, minimal="n_gold_actions")
    trajectories["overhead_vs_shortest"] = metrics.step_overhead_ratio(trajectories, minimal="shortest_successful")
    return trajectories


def trajectory_outcomes(trajectories: pd.DataFrame) -> pd.DataFrame:
    """Successful against failed runs on every trajectory metric (Mann-Whitney)."""
    return metrics.compare_outcomes(trajectories, _OUTCOME_METRICS)


def repeating_runs(trajectories: pd.DataFrame) -> pd.DataFrame:
    """Runs, and runs with at least one repeated tool call, by outcome."""
    return trajectories.groupby("success")["n_repeats"].agg(runs="size", with_a_repeat=lambda s: int((s > 0).sum()))


def efficiency_quality(trajectories: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(area, curve)``: the EQA over budgets 1..the longest run's agent messages (``max_budget``), and the
    success-within-budget curve it integrates."""
    budget = int(trajectories["n_agent_steps"].max())
    area = metrics.eqa(trajectories, max_steps=budget).assign(max_budget=budget)
    return area, metrics.success_within_budget(trajectories, max_steps=budget)


def tau_trajectories_figure(trajectories: pd.DataFrame, area: pd.DataFrame, curve: pd.DataFrame):
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


# --- 5. token spread between identical runs -------------------------------------------------------------------


def token_spread(simple_runs: pd.DataFrame) -> tuple[float, pd.DataFrame]:
    """``(largest prompt-token spread, completion-token spread per model and task)``: prompts are identical
    across runs, so the first is 1 when the logs are consistent."""
    prompt = metrics.per_task_spread(simple_runs, value="prompt_tokens", by="model")
    return float(prompt["max_over_min"].max()), metrics.per_task_spread(
        simple_runs, value="completion_tokens", by="model"
    )


def token_spread_summary(spread: pd.DataFrame, threshold: float = SPREAD_THRESHOLD) -> pd.DataFrame:
    """Per model: tasks, median and 90th percentile of the per-task coefficient of variation (%), and the share
    of tasks (%) whose most expensive run used over ``threshold`` times the tokens of the cheapest."""
    return (
        spread.groupby("model")
        .agg(
            tasks=("task", "size"),
            median_cv_pct=("cv", lambda s: 100 * s.median()),
            p90_cv_pct=("cv", lambda s: 100 * s.quantile(0.9)),
            **{f"tasks_over_{threshold:g}x_pct": ("max_over_min", lambda s: 100 * (s > threshold).mean())},
        )
        .round(2)
    )


def token_spread_figure(spread: pd.DataFrame):
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


# --- 6. the study-02 topologies (simulated by default) ---------------------------------------------------------


@dataclass(frozen=True)
class TopologySetting:
    """Where the topology runs go and with which models: the endpoint (resolved once) and the models to run,
    :class:`~agenteff.llm.SimModel` objects on the simulated endpoint, model ids on a live one."""

    endpoint: Endpoint
    models: tuple
    limits: topologies.Limits = topologies.Limits()  # the protocol's turn and round limits


def topology_setting(
    base_url: str | None, models=None, simulated: dict | None = None, limits: dict | None = None
) -> TopologySetting:
    """The topology runs' setting from the notebook's parameters. ``base_url``: None uses ``OPENAI_BASE_URL``
    when set, else the simulated endpoint; "simulated" forces it (:func:`agenteff.llm.resolve_endpoint`). The
    simulated endpoint plays ``simulated`` (``{name: (error probability, priced-as model)}``, see
    :func:`simulated_models`); a live one is called with ``models`` (ids, priced by their own names), by default
    its one served model (asked of the endpoint, so an unreachable one fails here). ``limits`` overrides fields
    of study 02's protocol (:class:`agenteff.engines.topologies.Limits`)."""
    endpoint = resolve_endpoint(base_url)
    protocol_limits = topologies.Limits.of(limits)
    if endpoint.simulated:
        if not simulated:
            raise ValueError("the simulated endpoint needs simulated models: topology_models={name: (error, price)}")
        return TopologySetting(endpoint, tuple(simulated_models(simulated)), protocol_limits)
    if isinstance(models, str):
        models = [models]
    chosen = tuple(str(m) for m in models) if models else (endpoint.model_or_default(None),)
    return TopologySetting(endpoint, chosen, protocol_limits)


def run_topologies(
    setting: TopologySetting, n_tasks: int, seed: int, max_tokens: int, prices=None, scheduler=None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every study-02 topology on ``n_tasks`` tasks of both suites with every model of ``setting``
    (:func:`agenteff.engines.topologies.run_experiment`; resumable on a live endpoint). ``prices``: USD per
    million tokens for live models the project's price table lacks, ``{model: {"input", "output"}}``."""
    return topologies.run_experiment(
        setting.endpoint,
        n_tasks=n_tasks,
        models=list(setting.models),
        seeds=[seed],
        max_tokens=max_tokens,
        prices=prices,
        scheduler=scheduler,
        **asdict(setting.limits),
    )


def simulated_models(models: dict[str, tuple[float, str]]) -> list[SimModel]:
    """``{name: (per-write error probability, real model whose list price it takes)}`` as simulated models that
    play the topology agent and report cached prompt tokens (OpenAI's automatic-caching rule)."""
    return [
        SimModel(
            name,
            behaviour=topologies.BEHAVIOUR,
            error_prob=error,
            latency_mean_s=0.003,
            latency_sd_s=0.001,
            params={"prompt_caching": True},
            priced_as=priced_as,
        )
        for name, (error, priced_as) in models.items()
    ]


_BY = ["model", "architecture"]


def topology_cost(runs: pd.DataFrame, n_boot: int, seed: int) -> pd.DataFrame:
    """Per model and architecture: cost-of-pass with its interval, the frontier of mean cost per run against
    accuracy, prompt-cache utilisation, and where the runs came from (``simulated``, ``served_model``). A model
    without a price (a local one not in ``data/prices.csv``) keeps its accuracy, with no cost and off the
    frontier."""
    priced = runs.groupby(_BY)["cost_usd"].transform(lambda c: bool(c.notna().all())).astype(bool)
    parts = []
    if priced.any():
        cost = metrics.cost_of_pass(runs[priced], by=_BY, n_boot=n_boot, seed=seed)
        parts.append(metrics.pareto_frontier(cost, cost="cost_per_attempt_usd"))
    if not priced.all():
        grouped = runs[~priced].groupby(_BY, as_index=False)["success"]
        unpriced = grouped.agg(n_rows="size", successes="sum", accuracy="mean")
        unknown = dict.fromkeys(
            ["total_cost_usd", "cost_per_attempt_usd", "cost_of_pass_usd", "ci_low_usd", "ci_high_usd"], np.nan
        )
        parts.append(unpriced.assign(attempts=unpriced["n_rows"].astype(float), on_frontier=False, **unknown))
    cost = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    cache_use = metrics.prompt_cache_utilization(runs, by=_BY)
    served = (
        runs["served_model"].where(runs["served_model"].notna(), runs["model"])
        if "served_model" in runs
        else runs["model"]
    )
    origin = (
        runs.assign(served_model=served)
        .groupby(_BY, as_index=False)
        .agg(simulated=("simulated", "all"), served_model=("served_model", lambda s: ",".join(sorted(set(s)))))
    )
    cost = cost.merge(cache_use[[*_BY, "prompt_cache_utilization"]], on=_BY).merge(origin, on=_BY)
    return _percent(cost, accuracy_pct="accuracy")


def topology_table(cost: pd.DataFrame) -> pd.DataFrame:
    return cost[
        [
            "model",
            "architecture",
            "attempts",
            "accuracy_pct",
            "cost_per_attempt_usd",
            "cost_of_pass_usd",
            "ci_low_usd",
            "ci_high_usd",
            "on_frontier",
            "prompt_cache_utilization",
        ]
    ].round(4)


def _topology_source(cost: pd.DataFrame) -> str:
    """ "simulated", or the model(s) that answered (from the data)."""
    if bool(cost["simulated"].all()):
        return "simulated"
    answered = sorted({name for value in cost["served_model"] for name in str(value).split(",") if name})
    return f"model {', '.join(answered)}"


def topology_figure(cost: pd.DataFrame):
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
    return fig, caption


# --- 7. Efficient Agents arithmetic ---------------------------------------------------------------------------


def efficient_agents_arithmetic(paper) -> pd.DataFrame:
    """The abstract's cost-of-pass improvement beside what its own costs and accuracy ratio give, read two ways,
    and the accuracy ratio the stated improvement would need. Indexed by reading."""
    owl = paper["efficient-agents/owl-cost"].value
    efficient = paper["efficient-agents/efficient-agents-cost"].value
    relative = paper["efficient-agents/relative-performance"].value
    stated = paper["efficient-agents/cost-of-pass-improvement"].value
    rows = {
        "stated": ("stated in the abstract", stated),
        "as_cost_of_pass": ("costs are cost-of-pass values", metrics.relative_cost_of_pass_change(owl, efficient)),
        "as_cost_per_task": (
            f"costs per task, accuracy ratio {relative:g}",
            metrics.relative_cost_of_pass_change(owl, efficient, relative_accuracy=relative),
        ),
        "needed_accuracy_ratio": (
            "accuracy ratio needed for the stated improvement",
            metrics.implied_relative_accuracy(owl, efficient, stated),
        ),
    }
    return pd.DataFrame(
        [{"key": key, "reading": reading, "value": value} for key, (reading, value) in rows.items()]
    ).set_index("key")


# --- claims ---------------------------------------------------------------------------------------------------


def frontier_claims(baselines: pd.DataFrame, leaderboard: pd.DataFrame, paper) -> list[dict]:
    """The HumanEval baselines against the paper's frontier claim; the Aider leaderboard's frontier (new)."""
    off = baselines[~baselines["on_frontier"]]
    off_text = (
        "none"
        if off.empty
        else "; ".join(
            f"{r.strategy_name} ({r.release}) is dominated by {r.dominated_by}, costing {r.best_cost_ratio:.2f}x the "
            "cheapest as-accurate point"
            for r in off.itertuples()
        )
    )
    dominated = leaderboard[leaderboard["dominated"]]
    if dominated.empty:
        dominance = "no run is dominated"
    else:
        worst = dominated["cost_ratio"].idxmax()
        dominance = (
            f"median dominated run costs {dominated['cost_ratio'].median():.1f}x the cheapest as-accurate "
            f"run; largest: {worst} at {dominated.loc[worst, 'cost_ratio']:.0f}x"
        )
    return [
        report.claim(
            "HumanEval: retry, warming and escalation lie on the accuracy-cost Pareto frontier (Kapoor et al., fig. 1)",
            paper["ai-agents-that-matter/baselines-on-frontier"],
            f"{int(baselines['on_frontier'].sum())} of {len(baselines)} (strategy, release) pairs on it",
            status="reproduced" if off.empty else "differs",
            note=f"frontier of mean cost per run vs mean accuracy over {_runs_per_point(baselines['runs'])} runs, "
            f"per release; off the frontier: {off_text}",
        ),
        report.claim(
            "Aider polyglot: runs on the accuracy-cost frontier (of those with a recorded cost)",
            None,
            f"{int(leaderboard['on_frontier'].sum())} of {len(leaderboard)}",
            status="new",
            note=dominance,
        ),
    ]


def reliability_claims(
    reliability: pd.DataFrame, humaneval: pd.DataFrame, paper, model: str = RELIABILITY_MODEL
) -> list[dict]:
    """tau-bench pass^k against the leaderboard and the paper's text; one HumanEval model's decline (new)."""
    rows = [
        report.claim(
            f"tau-bench airline GPT-4o pass^{row.k}",
            paper[_TAU_LEADERBOARD.format(k=row.k)],
            round(row.pass_hat_k, 4),
            tolerance=0.005,
            note=f"computed from {_TAU_SOURCE}; published value from the repository leaderboard",
        )
        for row in reliability.itertuples()
    ]
    text = paper[_TAU_PAPER_TEXT]
    pass1 = reliability.loc[reliability["k"] == 1, "pass_hat_k"].iloc[0]
    rows.append(
        report.claim(
            f"tau-bench airline GPT-4o pass^1 as stated in the paper text (about {100 * text.value:.0f}%)",
            text,
            round(pass1, 4),
            tolerance=0.01,
            note="the released trajectories match the later leaderboard, not the paper's approximate figure; the sources "
            "do not explain the gap (presumably a different run)",
        )
    )
    of_model = humaneval[humaneval["model"] == model]
    curve, tasks = of_model.set_index("k")["pass_hat_k"], int(of_model["n_tasks"].iloc[0])
    rows.append(
        report.claim(
            f"HumanEval simple strategy, {model}: pass^1 -> pass^{curve.index.max()}",
            None,
            f"{curve[1]:.3f} -> {curve[curve.index.max()]:.3f}",
            unit="fraction",
            status="new",
            note=f"{_runs_per_model(of_model)} logged runs of {tasks} tasks (agent-eval)",
        )
    )
    return rows


def trajectory_claims(outcomes: pd.DataFrame, area: pd.DataFrame) -> list[dict]:
    """Repetition and tool calls, successful against failed runs, and the EQA (all new)."""
    by_metric = outcomes.set_index("metric")
    repetition, calls = by_metric.loc["action_repetition_rate"], by_metric.loc["n_tool_calls"]
    return [
        report.claim(
            "tau-bench airline GPT-4o: action repetition rate, successful vs failed runs",
            None,
            f"{100 * repetition['mean_success']:.2f}% vs {100 * repetition['mean_failure']:.2f}%",
            unit="% of tool calls",
            status="new",
            note=f"mean per run; Mann-Whitney p = {repetition['mann_whitney_p']:.2g} {_NOT_INDEPENDENT}",
        ),
        report.claim(
            "tau-bench airline GPT-4o: tool calls per run, successful vs failed (median)",
            None,
            f"{calls['median_success']:.0f} vs {calls['median_failure']:.0f}",
            unit="calls",
            status="new",
            note=f"Mann-Whitney p = {calls['mann_whitney_p']:.2g} {_NOT_INDEPENDENT}",
        ),
        report.claim(
            "tau-bench airline GPT-4o: Efficiency-Quality Area (budget 1..max agent messages)",
            None,
            round(area["eqa"].iloc[0], 4),
            unit="fraction",
            status="new",
            note=f"success rate {area['success_rate'].iloc[0]:.2f}; budgets 1..{area['max_budget'].iloc[0]}",
        ),
    ]


def spread_claims(spread: pd.DataFrame) -> list[dict]:
    """The range over models of the median per-task token spread (new)."""
    summary = token_spread_summary(spread)
    widest = summary["median_cv_pct"].idxmax()
    return [
        report.claim(
            f"HumanEval simple strategy: median per-task spread of completion tokens across {int(spread['n_runs'].max())} "
            "runs",
            None,
            f"{summary['median_cv_pct'].min():.1f}% to {summary['median_cv_pct'].max():.1f}%",
            unit="coefficient of variation",
            status="new",
            note=f"range over {len(summary)} models (widest: {widest}); prompts are identical",
        )
    ]


def topology_claims(cost: pd.DataFrame) -> list[dict]:
    """Per model, the topology with the lowest cost-of-pass (new; named "Simulated topologies" when the runs
    are simulated, per the data's ``simulated`` column when present)."""
    simulated = bool(cost["simulated"].all()) if "simulated" in cost else True
    rows = []
    for model, group in cost.groupby("model"):
        source = "simulated endpoint" if simulated else f"answered by {', '.join(sorted(set(group['served_model'])))}"
        name = f"{'Simulated topologies' if simulated else 'Topologies'}, {model}: lowest cost-of-pass"
        if group["cost_of_pass_usd"].isna().all():
            rows.append(
                report.claim(
                    name,
                    None,
                    None,
                    unit="USD per solved task",
                    status="new",
                    note=f"{source}; no price for {model}: add it to data/prices.csv or pass prices",
                )
            )
            continue
        cheapest = group.loc[group["cost_of_pass_usd"].idxmin()]
        rows.append(
            report.claim(
                name,
                None,
                f"{cheapest['architecture']} at {cheapest['cost_of_pass_usd']:.4f}",
                unit="USD per solved task",
                status="new",
                note=f"{source}; {int(cheapest['attempts'])} runs per topology; "
                f"95% CI {cheapest['ci_low_usd']:.4f} to {cheapest['ci_high_usd']:.4f}",
            )
        )
    return rows


def efficient_agents_claims(paper) -> list[dict]:
    """The stated improvement against both readings of the abstract's numbers (:func:`efficient_agents_arithmetic`)."""
    owl = paper["efficient-agents/owl-cost"].value
    efficient = paper["efficient-agents/efficient-agents-cost"].value
    relative = paper["efficient-agents/relative-performance"].value
    stated = paper["efficient-agents/cost-of-pass-improvement"]
    value = efficient_agents_arithmetic(paper)["value"]
    return [
        report.claim(
            "Efficient Agents: cost-of-pass improvement over OWL, costs read as cost-of-pass",
            stated,
            round(value["as_cost_of_pass"], 4),
            tolerance=0.005,
            note=f"1 - {efficient:g} / {owl:g} from the abstract's own numbers",
        ),
        report.claim(
            f"Efficient Agents: cost-of-pass improvement over OWL, costs per task and {100 * relative:.1f}% accuracy",
            stated,
            round(value["as_cost_per_task"], 4),
            tolerance=0.005,
            note=f"1 - ({efficient:g} / {relative:g}) / {owl:g}; {100 * stated.value:.1f}% would need Efficient Agents "
            f"at {100 * value['needed_accuracy_ratio']:.1f}% of OWL's accuracy, not {100 * relative:.1f}%; the "
            f"abstract alone cannot settle which comparison the {100 * stated.value:.1f}% describes",
        ),
    ]


def claims(paper, *, baselines, leaderboard, reliability, humaneval, outcomes, area, spread, topology) -> list[dict]:
    """The notebook's claims table, section by section (each part is its own function above): ``baselines`` from
    :func:`baseline_frontier`, ``leaderboard`` from :func:`aider_leaderboard`, ``reliability`` and ``humaneval``
    from :func:`tau_reliability` and :func:`humaneval_reliability`, ``outcomes`` and ``area`` from
    :func:`trajectory_outcomes` and :func:`efficiency_quality`, ``spread`` from :func:`token_spread`, ``topology``
    from :func:`topology_cost`; the Efficient Agents rows need only the paper values."""
    return [
        *frontier_claims(baselines, leaderboard, paper),
        *reliability_claims(reliability, humaneval, paper),
        *trajectory_claims(outcomes, area),
        *spread_claims(spread),
        *topology_claims(topology),
        *efficient_agents_claims(paper),
    ]
