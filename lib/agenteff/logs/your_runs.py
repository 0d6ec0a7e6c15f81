"""Notebook 90 (your own runs): every analysis of the collection that applies to imported logs.

Not a study: nothing here is compared with a paper, so there is no claims table. Each function takes the
imported tables (:class:`agenteff.logs.ImportedLog`) and returns a table or, for the ``@report.figure``
functions, a figure with its caption. The metrics are the project's own (:mod:`agenteff.metrics`): this module
sits at the studies' layer, above the readers of :mod:`agenteff.logs` (which import nothing of it).

Groups are (suite, model): accuracy or cost pooled over different benchmarks would mean nothing.
"""

from __future__ import annotations

import json

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.ticker import MaxNLocator
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from .. import datasets, metrics, plots, report
from . import ImportedLog, load, reprice

__all__ = [
    "NOTEBOOK",
    "DEFAULTS",
    "import_runs",
    "files_read",
    "accuracy_and_cost",
    "cost_of_pass",
    "frontier",
    "pass_hat_k",
    "paired_comparison",
    "cache_use",
    "trajectories",
    "early_stop",
    "accuracy_cost_frontier",
    "pass_hat_k_curves",
    "paired_tasks",
    "tool_calls_per_run",
]

NOTEBOOK = "90_your_runs"
DEFAULTS = {"n_boot": (2000, 300)}
_GROUP = ["suite", "model"]


def import_runs(paths=None, format: str = "auto", *, scorer=None, threshold=1.0, outcomes=None, prices=None):
    """The logs at ``paths`` (None: the mirrored Inspect sample logs), every call re-priced from ``prices``
    (None: data/prices.csv) with the recorded cost kept beside it."""
    if paths is None:
        paths = sorted(datasets.fetch("inspect-sample-logs").values())
    return reprice(load(paths, format, scorer=scorer, threshold=threshold, outcomes=outcomes), prices)


def files_read(log: ImportedLog) -> pd.DataFrame:
    """One row per file: its format, the log's own status (an error or cancelled log says so) and its runs."""
    return log.files.assign(path=log.files["path"].map(lambda p: str(p).rsplit("/", 1)[-1]))


def _bootstrap_mean(values: np.ndarray, n_boot: int, rng: np.random.Generator) -> tuple[float, float]:
    if len(values) == 0:
        return np.nan, np.nan
    means = values[rng.integers(0, len(values), size=(n_boot, len(values)))].mean(axis=1)
    low, high = np.quantile(means, [0.025, 0.975])
    return float(low), float(high)


def accuracy_and_cost(log: ImportedLog, n_boot: int, seed: int) -> pd.DataFrame:
    """Per suite and model: runs, tasks, accuracy with its 95% Wilson interval, mean cost per run with a 95%
    percentile-bootstrap interval (priced runs only; ``priced_runs`` says how many), and grader cost apart."""
    rng = np.random.default_rng(seed)
    rows = []
    for (suite, model), runs in log.runs.groupby(_GROUP, sort=True):
        wins = int(runs["success"].sum())
        low, high = proportion_confint(wins, len(runs), alpha=0.05, method="wilson")
        costs = runs["cost_usd"].dropna().to_numpy(dtype=float)
        cost_low, cost_high = _bootstrap_mean(costs, n_boot, rng)
        rows.append(
            {
                "suite": suite,
                "model": model,
                "runs": len(runs),
                "tasks": runs["task"].nunique(),
                "accuracy": wins / len(runs),
                "accuracy_low": low,
                "accuracy_high": high,
                "priced_runs": len(costs),
                "cost_per_run_usd": costs.mean() if len(costs) else np.nan,
                "cost_low_usd": cost_low,
                "cost_high_usd": cost_high,
                "judge_cost_usd": runs["judge_cost_usd"].sum(min_count=1),
                "not_completed": int(runs["status"].ne("success").sum()),
            }
        )
    return pd.DataFrame(rows)


def _priced(runs: pd.DataFrame) -> pd.DataFrame:
    """Runs of groups whose every run has a cost: a group with an unpriced run is left out, not read as free."""
    complete = runs.groupby(_GROUP)["cost_usd"].transform(lambda s: s.notna().all())
    return runs[complete.astype(bool)]


def cost_of_pass(log: ImportedLog, n_boot: int, seed: int) -> pd.DataFrame:
    """Cost-of-pass per suite and model (:func:`agenteff.metrics.cost_of_pass`), priced groups only."""
    priced = _priced(log.runs)
    if priced.empty:
        return pd.DataFrame(columns=[*_GROUP, "cost_of_pass_usd"])
    table = metrics.cost_of_pass(
        priced.assign(success=priced["success"].astype(bool)), by=_GROUP, n_boot=n_boot, seed=seed
    )
    return table[
        [
            *_GROUP,
            "attempts",
            "successes",
            "accuracy",
            "cost_per_attempt_usd",
            "cost_of_pass_usd",
            "ci_low_usd",
            "ci_high_usd",
        ]
    ]


def frontier(log: ImportedLog) -> pd.DataFrame:
    """The accuracy-cost Pareto frontier within each suite (:func:`agenteff.metrics.pareto_frontier`)."""
    priced = _priced(log.runs)
    points = (
        priced.groupby(_GROUP, sort=True)
        .agg(accuracy=("success", "mean"), cost_usd=("cost_usd", "mean"), runs=("run_id", "size"))
        .reset_index()
    )
    if points.empty:
        return points
    return metrics.pareto_frontier(points, by="suite")[
        [*_GROUP, "runs", "accuracy", "cost_usd", "on_frontier", "accuracy_gap", "cost_ratio"]
    ]


def pass_hat_k(log: ImportedLog, max_k: int) -> pd.DataFrame:
    """pass^k (:func:`agenteff.metrics.pass_hat_k`) for k = 1 .. the fewest trials of a task, in each suite and
    model that ran every task at least twice; empty when no task was repeated."""
    repeated = log.runs.groupby(_GROUP).filter(lambda g: g.groupby("task").size().min() >= 2)
    if repeated.empty:
        return pd.DataFrame(columns=[*_GROUP, "k", "pass_hat_k", "n_tasks", "min_trials"])
    parts = []
    for _, runs in repeated.groupby(_GROUP, sort=True):
        trials = int(runs.groupby("task").size().min())
        parts.append(metrics.pass_hat_k(runs, list(range(1, min(trials, max_k) + 1)), by=_GROUP))
    return pd.concat(parts, ignore_index=True)


def paired_comparison(log: ImportedLog, model_a: str, model_b: str, n_boot: int, seed: int) -> pd.DataFrame:
    """Two models on the tasks both ran (same suite and task id): the difference in success rate (a - b) over
    shared tasks with a 95% paired-bootstrap interval (tasks resampled, each keeping both models' results), and
    an exact McNemar test on runs paired by task and trial. Never an unpaired test: the tasks are shared."""
    runs = log.runs
    known = set(runs["model"])
    for name in (model_a, model_b):
        if name not in known:
            raise ValueError(f"paired_comparison: no runs of model {name!r}; the logs have {sorted(known)}")
    per_task = runs.groupby(["suite", "task", "model"])["success"].mean().unstack("model")
    shared = per_task[[model_a, model_b]].dropna()
    row: dict = {"model_a": model_a, "model_b": model_b, "shared_tasks": len(shared)}
    if shared.empty:
        return pd.DataFrame([row | {"note": "the two models share no task"}])
    diff = (shared[model_a] - shared[model_b]).to_numpy(dtype=float)
    rng = np.random.default_rng(seed)
    boot = diff[rng.integers(0, len(diff), size=(n_boot, len(diff)))].mean(axis=1)
    pairs = runs[runs["model"].isin([model_a, model_b])].pivot_table(
        index=["suite", "task", "seed"], columns="model", values="success", aggfunc="first"
    )
    pairs = pairs.dropna(subset=[model_a, model_b]) if {model_a, model_b} <= set(pairs.columns) else pairs.iloc[0:0]
    only_a = int((pairs[model_a].astype(bool) & ~pairs[model_b].astype(bool)).sum()) if len(pairs) else 0
    only_b = int((~pairs[model_a].astype(bool) & pairs[model_b].astype(bool)).sum()) if len(pairs) else 0
    discordant = only_a + only_b
    row |= {
        "accuracy_a": shared[model_a].mean(),
        "accuracy_b": shared[model_b].mean(),
        "difference": diff.mean(),
        "ci_low": float(np.quantile(boot, 0.025)),
        "ci_high": float(np.quantile(boot, 0.975)),
        "paired_trials": len(pairs),
        "only_a_solved": only_a,
        "only_b_solved": only_b,
        "mcnemar_p": stats.binomtest(only_a, discordant, 0.5).pvalue if discordant else np.nan,
        "note": "" if len(shared) >= 10 else "fewer than 10 shared tasks: read the interval as very rough",
    }
    return pd.DataFrame([row])


def cache_use(log: ImportedLog) -> pd.DataFrame:
    """Prompt-cache utilisation of agent calls per model (:func:`agenteff.metrics.prompt_cache_utilization`),
    with how each call's cache convention was decided."""
    calls = log.steps[log.steps["kind"].str.startswith("model", na=False) & log.steps["role"].ne("judge")]
    if calls.empty:
        return pd.DataFrame(columns=["model", "prompt_cache_utilization"])
    used = metrics.prompt_cache_utilization(calls, by="model")
    conventions = (
        calls.assign(cache_convention=calls["cache_convention"].fillna("unknown"))
        .groupby(["model", "cache_convention"])
        .size()
        .unstack(fill_value=0)
        .add_prefix("calls_")
        .reset_index()
    )
    return used.merge(conventions, on="model", how="left")


def trajectories(log: ImportedLog) -> pd.DataFrame:
    """Per suite and model: mean agent steps, tool calls and user turns per run
    (:func:`agenteff.metrics.trajectory_counts`), and the share of tool calls repeating an earlier identical call
    (:func:`agenteff.metrics.action_repetition_rate`, pooled over runs)."""
    counts = metrics.trajectory_counts(log.steps)
    repeats = metrics.action_repetition_rate(log.steps)
    table = log.runs[["run_id", *_GROUP]].merge(counts, on="run_id", how="left").merge(repeats, on="run_id", how="left")
    grouped = table.groupby(_GROUP, sort=True)
    out = grouped.agg(
        runs=("run_id", "size"),
        agent_steps=("n_agent_steps", "mean"),
        tool_calls=("n_tool_calls", "mean"),
        max_tool_calls=("n_tool_calls", "max"),
        actions=("n_actions", "sum"),
        repeats=("n_repeats", "sum"),
    ).reset_index()
    out["repeat_rate"] = out["repeats"] / out["actions"].where(out["actions"] > 0)
    return out


def early_stop(log: ImportedLog, first_steps: int = 3) -> pd.DataFrame:
    """Where steps carry log-probabilities: does the agent's confidence in its first ``first_steps`` calls
    (mean token log-probability) tell successful runs from failed ones? Successful against failed runs with
    :func:`agenteff.metrics.compare_outcomes`. One row saying so when no step has log-probabilities."""
    steps = log.steps[log.steps["logprobs"].notna()] if "logprobs" in log.steps else log.steps.iloc[0:0]
    if steps.empty:
        return pd.DataFrame([{"metric": "mean log-probability", "note": "no step of these logs has log-probabilities"}])
    early = steps.sort_values(["run_id", "step"]).groupby("run_id").head(first_steps)
    confidence = early.groupby("run_id")["logprobs"].agg(
        lambda cells: np.mean([x for c in cells for x in json.loads(c)])
    )
    runs = log.runs.merge(confidence.rename("early_mean_logprob").reset_index(), on="run_id")
    return metrics.compare_outcomes(runs, ["early_mean_logprob"])


# --- figures ----------------------------------------------------------------------------------------------


def _nothing_to_show(message: str):
    """A figure that says why there is nothing to draw for these logs (the notebook runs on any logs)."""
    fig, ax = plt.subplots(figsize=(5, 1.2))
    ax.axis("off")
    ax.text(0.5, 0.5, message, ha="center", va="center", wrap=True)
    return fig, f"Nothing to draw: {message}."


@report.figure
def accuracy_cost_frontier(points: pd.DataFrame):
    """Accuracy against mean cost per run, one panel per suite, the frontier drawn."""
    if points.empty:
        return _nothing_to_show("no model of these logs has a price")
    suites = sorted(points["suite"].unique())
    fig, axes = plt.subplots(1, len(suites), figsize=(4.2 * len(suites), 3.6), squeeze=False)
    models = sorted(points["model"].unique())
    for ax, suite in zip(axes[0], suites):
        plots.draw_frontier(
            ax,
            points[points["suite"] == suite],
            "cost_usd",
            "accuracy",
            hue="model",
            hue_order=models,
            accuracy_scale=100,
        )
        ax.set(title=suite, xlabel="mean cost per run (USD, re-priced; log scale)", ylabel="accuracy (%)")
        ax.legend(fontsize=7)
    fig.tight_layout()
    caption = (
        "Accuracy against mean re-priced cost per run, per suite, for the models of the imported logs "
        f"({', '.join(models)}); the grey step line is the accuracy-cost Pareto frontier. Grader calls are not "
        "in the cost; models without a price are left out."
    )
    return fig, caption


@report.figure
def pass_hat_k_curves(table: pd.DataFrame):
    """pass^k against k for each suite and model with repeated trials."""
    if table.empty:
        return _nothing_to_show("no task of these logs was run more than once")
    fig, ax = plt.subplots(figsize=(5, 3.6))
    for (suite, model), sub in table.groupby(_GROUP, sort=True):
        ax.plot(sub["k"], sub["pass_hat_k"] * 100, marker="o", label=f"{model} ({suite})")
    ax.set(xlabel="k (trials that must all succeed)", ylabel="pass^k (%)", ylim=(0, 105))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(fontsize=8)
    caption = (
        "pass^k, the chance that k independent trials of a task all succeed (C(c, k) / C(n, k) averaged over "
        "tasks), for every model and suite of the imported logs whose tasks were each run at least twice."
    )
    return fig, caption


@report.figure
def paired_tasks(log: ImportedLog, model_a: str, model_b: str):
    """Per shared task: each model's success rate, joined by a line, so the pairing is visible."""
    per_task = log.runs.groupby(["suite", "task", "model"])["success"].mean().unstack("model")
    shared = per_task[[model_a, model_b]].dropna().reset_index()
    if shared.empty:
        return _nothing_to_show(f"{model_a} and {model_b} share no task")
    fig, ax = plt.subplots(figsize=(5, 3.6))
    labels = [f"{s}/{t}" for s, t in zip(shared["suite"], shared["task"])]
    for position, row in enumerate(shared.itertuples(index=False)):
        ax.plot([0, 1], [row[2] * 100, row[3] * 100], color="0.6", lw=1, zorder=1)
        ax.annotate(labels[position], (1.02, row[3] * 100), fontsize=7, va="center")
    ax.scatter(np.zeros(len(shared)), shared[model_a] * 100, zorder=2, label=model_a)
    ax.scatter(np.ones(len(shared)), shared[model_b] * 100, zorder=2, label=model_b)
    ax.set(xticks=[0, 1], xticklabels=["model a", "model b"], xlim=(-0.3, 1.5), ylabel="success rate on the task (%)")
    ax.legend(fontsize=8, loc="lower left")
    caption = (
        f"The {len(shared)} tasks both {model_a} (a) and {model_b} (b) ran: each task's success rate over its "
        "trials under each model, a line per task. The comparison table's interval resamples these tasks."
    )
    return fig, caption


@report.figure
def tool_calls_per_run(log: ImportedLog):
    """Tool calls per run, by model."""
    counts = log.runs[["run_id", "model"]].merge(metrics.trajectory_counts(log.steps), on="run_id", how="left")
    counts["n_tool_calls"] = counts["n_tool_calls"].fillna(0)
    fig, ax = plt.subplots(figsize=(6, 3.6))
    order = sorted(counts["model"].unique())
    sns.stripplot(data=counts, y="model", x="n_tool_calls", order=order, ax=ax, jitter=0.2, alpha=0.7)
    ax.set(xlabel="tool calls per run (count)", ylabel="model")
    caption = f"Tool calls per run for each model of the imported logs ({len(counts)} runs; one dot per run)."
    return fig, caption
