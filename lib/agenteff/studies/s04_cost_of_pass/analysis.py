"""Study 04: cost-of-pass, accuracy-cost frontiers, pass^k and trajectory efficiency, on released agent runs.

Papers: Kapoor et al., "AI Agents That Matter" (arXiv:2407.01502: accuracy-cost Pareto frontiers, HumanEval
baselines); Yao et al., "tau-bench" (arXiv:2406.12045: pass^k); Wang et al., "Efficient Agents"
(arXiv:2508.02694: a cost-of-pass headline). The metrics themselves are shared (:mod:`agenteff.metrics`); this
module holds the study's analysis of its data sets (its figures are in :mod:`.figures`, its claims table in
:mod:`.claims`).

Sections, in the notebook's order: HumanEval strategies (``agent-eval-runs``), the Aider polyglot leaderboard
(``aider-polyglot``), pass^k (``tau-bench-airline-gpt4o``, ``agent-eval-simple-calls``), tau-bench trajectories,
token spread between identical runs, cost-of-pass of the study-02 topology runs (simulated by default), the Efficient Agents arithmetic.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from ... import metrics
from ...engines import topologies
from ...llm import SimModel
from ...llm.endpoints import Endpoint, resolve_endpoint

__all__ = [
    "DEFAULTS",
    "BASELINES",
    "RELIABILITY_MODEL",
    "SPREAD_THRESHOLD",
    "humaneval_strategies",
    "strategy_table",
    "baseline_frontier",
    "aider_leaderboard",
    "aider_summary",
    "aider_frontier_table",
    "aider_dominated_table",
    "tau_reliability",
    "logged_simple_runs",
    "humaneval_reliability",
    "tau_trajectories",
    "trajectory_outcomes",
    "repeating_runs",
    "efficiency_quality",
    "token_spread_by_task",
    "token_spread_summary",
    "TopologySetting",
    "topology_setting",
    "run_topologies",
    "simulated_models",
    "topology_cost",
    "topology_table",
    "efficient_agents_arithmetic",
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


# --- 5. token spread between identical runs -------------------------------------------------------------------


def token_spread_by_task(simple_runs: pd.DataFrame) -> tuple[float, pd.DataFrame]:
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
