"""Metrics over RUNS tables (one row per agent run, or per-run frames derived from STEPS).

* :func:`cost_of_pass` -- expected money per solved task, with a bootstrap interval;
* :func:`relative_cost_of_pass_change`, :func:`implied_relative_accuracy` -- the arithmetic behind
  "X% cheaper per success" claims;
* :func:`pass_hat_k` -- tau-bench's reliability metric (all of k i.i.d. trials succeed);
* :func:`step_overhead_ratio`, :func:`shortest_successful_steps`, :func:`prompt_cache_utilization` -- PANDO's
  trajectory-level metrics on per-run counts;
* :func:`success_within_budget`, :func:`eqa` -- MMBench-GUI's Efficiency-Quality Area;
* :func:`per_task_spread` -- how much one task's token use varies across repeated runs of the same model;
* :func:`compare_outcomes` -- any per-run metric, successful versus failed runs.

Every function takes a table and returns a table (or a number); grouping columns are passed as ``by``.
"""

from __future__ import annotations

from math import comb

import numpy as np
import pandas as pd
from scipy import stats

from ._tables import as_list as _as_list
from ._tables import groups as _groups
from ._tables import require as _require

__all__ = [
    "cost_of_pass",
    "relative_cost_of_pass_change",
    "implied_relative_accuracy",
    "pass_hat_k",
    "step_overhead_ratio",
    "shortest_successful_steps",
    "prompt_cache_utilization",
    "success_within_budget",
    "eqa",
    "per_task_spread",
    "compare_outcomes",
]


# --- cost of pass -----------------------------------------------------------------------------------------


def _ratio(cost_sums: np.ndarray, success_sums: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(success_sums > 0, cost_sums / np.where(success_sums > 0, success_sums, 1), np.inf)


def _bootstrap_cost_of_pass(costs, successes, attempts, n_boot, rng) -> np.ndarray:
    rows = rng.integers(0, len(costs), size=(n_boot, len(costs)))
    if attempts is None:
        drawn = successes[rows]
    else:
        # aggregate rows: resample the rows, then redraw each row's successes from its own pass rate
        rates = successes / attempts
        drawn = rng.binomial(attempts[rows].astype(np.int64), rates[rows])
    return _ratio(costs[rows].sum(axis=1), drawn.sum(axis=1))


def cost_of_pass(
    runs: pd.DataFrame,
    by=None,
    cost: str = "cost_usd",
    success: str = "success",
    attempts: str | None = None,
    n_boot: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Expected cost per solved task, ``sum(cost) / sum(successes)``, per group, with a bootstrap interval.

    Source: Erol et al., "Cost-of-Pass: An Economic Framework for Evaluating Language Models"
    (arXiv:2504.13359), used by Wang et al., "Efficient Agents" (arXiv:2508.02694): cost-of-pass is the expected
    cost of one attempt divided by the probability that an attempt succeeds. It is infinite when nothing succeeds.

    Where the source is unclear: it defines the population quantity ``E[cost] / P(success)``, not an estimator
    or an interval. Implemented: the ratio of sums (equal to mean cost / success rate) and a percentile
    bootstrap. Two shapes of input are accepted:

    * one row per attempt (``attempts=None``; ``success`` is a boolean): rows are resampled with replacement,
      cost and outcome together;
    * one row per batch of attempts (``attempts`` names the column of attempts per row and ``success`` holds the
      number solved): rows are resampled, and each drawn row's successes are redrawn from
      Binomial(attempts, solved / attempts) with its cost held fixed. With a single row (a leaderboard entry)
      the interval reflects only the binomial uncertainty of the pass count.

    Replicates with no success give an infinite cost-of-pass, so an upper bound may be ``inf``. Quantiles use
    the inverted-CDF rule (no interpolation), which keeps infinite replicates from turning into NaN.

    Returns one row per group: ``n_rows, attempts, successes, accuracy, total_cost_usd, cost_per_attempt_usd,
    cost_of_pass_usd, ci_low_usd, ci_high_usd``.
    """
    by = _as_list(by)
    _require(runs, [*by, cost, success] + ([attempts] if attempts else []), "cost_of_pass")
    if runs[cost].isna().any():
        raise ValueError(f"cost_of_pass: column {cost!r} has missing values; drop or price those runs first")
    if not 0 < level < 1:
        raise ValueError(f"cost_of_pass: level must be in (0, 1), got {level}")
    rng = np.random.default_rng(seed)
    tail = (1 - level) / 2
    rows = []
    for key, sub in _groups(runs, by):
        costs = sub[cost].to_numpy(dtype=float)
        solved = sub[success].astype(float).to_numpy()
        tries = sub[attempts].to_numpy(dtype=float) if attempts else None
        n_attempts = float(tries.sum()) if tries is not None else float(len(sub))
        point = float(_ratio(np.array([costs.sum()]), np.array([solved.sum()]))[0])
        if n_boot > 0:
            replicates = _bootstrap_cost_of_pass(costs, solved, tries, n_boot, rng)
            low, high = np.quantile(replicates, [tail, 1 - tail], method="inverted_cdf")
        else:
            low = high = np.nan
        rows.append(
            {
                **key,
                "n_rows": len(sub),
                "attempts": n_attempts,
                "successes": float(solved.sum()),
                "accuracy": solved.sum() / n_attempts if n_attempts else np.nan,
                "total_cost_usd": costs.sum(),
                "cost_per_attempt_usd": costs.sum() / n_attempts,
                "cost_of_pass_usd": point,
                "ci_low_usd": float(low),
                "ci_high_usd": float(high),
            }
        )
    return pd.DataFrame(rows)


def relative_cost_of_pass_change(baseline_cost: float, new_cost: float, relative_accuracy: float = 1.0) -> float:
    """Fractional reduction of cost-of-pass when cost goes ``baseline_cost -> new_cost`` and accuracy is scaled
    by ``relative_accuracy`` (new accuracy / baseline accuracy): ``1 - (new_cost / relative_accuracy) / baseline_cost``.

    Source: the cost-of-pass definition (Erol et al., arXiv:2504.13359): cost-of-pass = cost per attempt /
    success rate, so the baseline's accuracy cancels and only the ratio of accuracies matters.
    With ``relative_accuracy=1`` the costs are read as cost-of-pass values themselves.
    """
    if baseline_cost <= 0 or relative_accuracy <= 0:
        raise ValueError("baseline_cost and relative_accuracy must be positive")
    return 1.0 - (new_cost / relative_accuracy) / baseline_cost


def implied_relative_accuracy(baseline_cost: float, new_cost: float, change: float) -> float:
    """The accuracy ratio (new / baseline) under which ``baseline_cost -> new_cost`` gives a cost-of-pass
    reduction of ``change``: the inverse of :func:`relative_cost_of_pass_change`."""
    if baseline_cost <= 0 or change >= 1:
        raise ValueError("baseline_cost must be positive and change below 1")
    return new_cost / (baseline_cost * (1.0 - change))


# --- reliability ------------------------------------------------------------------------------------------


def pass_hat_k(runs: pd.DataFrame, k, by=None, task: str = "task", success: str = "success") -> pd.DataFrame:
    """tau-bench's pass^k: the chance that k i.i.d. trials of a task all succeed, averaged over tasks.

    Source: Yao et al., "tau-bench" (arXiv:2406.12045), section 5: with n trials of a task of which c succeed,
    the unbiased estimate is C(c, k) / C(n, k), and pass^k is its mean over tasks (pass^1 is the success rate).

    Where the source is unclear: its code assumes every task has the same number of trials. Implemented: each
    task uses its own n. When some task has fewer than k trials, C(n, k) = 0 and the estimate is undefined, so
    the group's pass^k is NaN (not silently averaged over the remaining tasks).

    ``k`` is an int or a list of ints; returns ``by..., k, pass_hat_k, n_tasks, min_trials``.
    """
    by = _as_list(by)
    _require(runs, [*by, task, success], "pass_hat_k")
    ks = [int(k)] if isinstance(k, int | np.integer) else [int(x) for x in k]
    if any(x < 1 for x in ks):
        raise ValueError(f"pass_hat_k: k must be >= 1, got {ks}")
    rows = []
    for key, sub in _groups(runs, by):
        per_task = sub.groupby(task, sort=True)[success].agg(
            trials="size", successes=lambda s: int(s.astype(bool).sum())
        )
        for kk in ks:
            if (per_task["trials"] < kk).any():
                value = np.nan
            else:
                value = float(
                    np.mean([comb(c, kk) / comb(n, kk) for n, c in zip(per_task["trials"], per_task["successes"])])
                )
            rows.append(
                {
                    **key,
                    "k": kk,
                    "pass_hat_k": value,
                    "n_tasks": len(per_task),
                    "min_trials": int(per_task["trials"].min()),
                }
            )
    return pd.DataFrame(rows)


# --- trajectory metrics -----------------------------------------------------------------------------------


def step_overhead_ratio(frame: pd.DataFrame, steps: str = "n_tool_calls", minimal: str = "minimal_steps") -> pd.Series:
    """Steps taken divided by the minimal steps the task needs (1 = no overhead).

    Source: PANDO (arXiv:2605.24785) names Step Overhead Ratio as steps over minimal steps.

    Where the source is unclear: what counts as a step and where the minimum comes from. Implemented: the
    caller chooses both columns (for example tool calls against the number of gold actions of a tau-bench task,
    or against :func:`shortest_successful_steps`). A minimum of zero or a missing minimum gives NaN, since the
    ratio is undefined for tasks whose correct solution takes no step.
    """
    _require(frame, [steps, minimal], "step_overhead_ratio")
    taken = frame[steps].astype(float)
    floor = frame[minimal].astype(float)
    return (taken / floor.where(floor > 0)).rename("step_overhead_ratio")


def shortest_successful_steps(
    frame: pd.DataFrame, steps: str = "n_tool_calls", task: str = "task", success: str = "success"
) -> pd.Series:
    """Per task, the fewest steps any successful run took: an empirical stand-in for the minimal steps.

    An upper bound on the true minimum (a shorter solution may exist); NaN for tasks that were never solved.
    """
    _require(frame, [steps, task, success], "shortest_successful_steps")
    solved = frame[frame[success].astype(bool)]
    return (
        solved.groupby(task)[steps]
        .min()
        .reindex(sorted(frame[task].unique()))
        .astype(float)
        .rename("shortest_successful_steps")
    )


def prompt_cache_utilization(
    frame: pd.DataFrame, by=None, prompt: str = "prompt_tokens", cached: str = "cached_tokens"
) -> pd.DataFrame:
    """Cached prompt tokens as a share of all prompt tokens, per group.

    Source: PANDO (arXiv:2605.24785) names Prompt Cache Utilization (prompt-cache reuse).

    Where the source is unclear: whether to average per call or pool tokens. Implemented: pooled,
    ``sum(cached) / sum(prompt)`` over rows where both are known (rows with an unknown cache count are left
    out, not read as zero). NaN when no row has both, or the pooled prompt tokens are zero.

    Returns ``by..., n_rows_known, prompt_tokens, cached_tokens, prompt_cache_utilization``.
    """
    by = _as_list(by)
    _require(frame, [*by, prompt, cached], "prompt_cache_utilization")
    rows = []
    for key, sub in _groups(frame, by):
        known = sub[sub[prompt].notna() & sub[cached].notna()]
        total = float(known[prompt].astype(float).sum())
        hit = float(known[cached].astype(float).sum())
        if hit > total:
            raise ValueError(f"prompt_cache_utilization: more cached than prompt tokens in group {key}")
        rows.append(
            {
                **key,
                "n_rows_known": len(known),
                "prompt_tokens": total,
                "cached_tokens": hit,
                "prompt_cache_utilization": hit / total if total > 0 else np.nan,
            }
        )
    return pd.DataFrame(rows)


def success_within_budget(
    frame: pd.DataFrame, max_steps: int, by=None, steps: str = "n_agent_steps", success: str = "success"
) -> pd.DataFrame:
    """Share of runs that succeeded using at most ``b`` steps, for every budget ``b = 1..max_steps``.

    Returns ``by..., budget, success_rate`` (the curve whose area :func:`eqa` reports).
    """
    by = _as_list(by)
    _require(frame, [*by, steps, success], "success_within_budget")
    if max_steps < 1:
        raise ValueError(f"success_within_budget: max_steps must be >= 1, got {max_steps}")
    budgets = np.arange(1, int(max_steps) + 1)
    rows: list[dict] = []
    for key, sub in _groups(frame, by):
        used = sub[steps].to_numpy(dtype=float)
        ok = sub[success].astype(bool).to_numpy()
        within = (
            (ok[None, :] & (used[None, :] <= budgets[:, None])).mean(axis=1)
            if len(sub)
            else np.full(len(budgets), np.nan)
        )
        rows.extend({**key, "budget": int(b), "success_rate": float(r)} for b, r in zip(budgets, within))
    return pd.DataFrame(rows)


def eqa(
    frame: pd.DataFrame, max_steps: int, by=None, steps: str = "n_agent_steps", success: str = "success"
) -> pd.DataFrame:
    """Efficiency-Quality Area: the area under the success-within-step-budget curve, normalised to [0, 1].

    Source: MMBench-GUI (Wang et al., arXiv:2507.19478) proposes EQA to reward agents that succeed in fewer
    steps: success accumulated as the step budget grows, integrated over budgets up to a maximum.

    Where the source is unclear: the budget grid and the normalisation. Implemented: integer budgets
    ``1..max_steps`` (a run using more steps than ``max_steps`` never counts), area = mean of the curve over the
    budgets, so EQA equals the success rate only if every success took a single step, and shrinks as successes
    need more steps.

    Returns ``by..., eqa, success_rate``.
    """
    by = _as_list(by)
    curve = success_within_budget(frame, max_steps, by=by, steps=steps, success=success)
    if by:
        area = curve.groupby(by, sort=True)["success_rate"].mean().rename("eqa").reset_index()
        rate = frame.groupby(by, sort=True)[success].agg(lambda s: s.astype(bool).mean()).rename("success_rate")
        return area.merge(rate.reset_index(), on=by)
    return pd.DataFrame({"eqa": [curve["success_rate"].mean()], "success_rate": [frame[success].astype(bool).mean()]})


# --- variability ------------------------------------------------------------------------------------------


def per_task_spread(
    runs: pd.DataFrame, value: str = "completion_tokens", by=("model",), task: str = "task"
) -> pd.DataFrame:
    """Spread of ``value`` across repeated runs of the same task (same group), one row per group and task.

    Returns ``by..., task, n_runs, mean, std (sample), min, max, cv (std / mean), max_over_min``. Tasks run once
    get NaN for ``std`` and ``cv``.
    """
    by = _as_list(by)
    _require(runs, [*by, task, value], "per_task_spread")
    known = runs[runs[value].notna()]
    grouped = known.groupby([*by, task], sort=True)[value]
    table = grouped.agg(n_runs="size", mean="mean", std="std", min="min", max="max").reset_index()
    table[["mean", "std", "min", "max"]] = table[["mean", "std", "min", "max"]].astype(float)
    table["cv"] = table["std"] / table["mean"].where(table["mean"] > 0)
    table["max_over_min"] = table["max"] / table["min"].where(table["min"] > 0)
    return table


def compare_outcomes(frame: pd.DataFrame, columns, outcome: str = "success") -> pd.DataFrame:
    """Successful versus failed runs, per metric column: count, mean and median of each side, and the two-sided
    Mann-Whitney U p-value (NaN when a side has no value).

    The test treats runs as independent; repeated trials of one task are not, so read the p-value as a rough
    guide rather than an exact level.
    """
    columns = _as_list(columns)
    _require(frame, [outcome, *columns], "compare_outcomes")
    won = frame[outcome].astype(bool)
    rows = []
    for column in columns:
        good = frame.loc[won, column].dropna().astype(float)
        bad = frame.loc[~won, column].dropna().astype(float)
        p_value = stats.mannwhitneyu(good, bad, alternative="two-sided").pvalue if len(good) and len(bad) else np.nan
        rows.append(
            {
                "metric": column,
                "n_success": len(good),
                "n_failure": len(bad),
                "mean_success": good.mean(),
                "mean_failure": bad.mean(),
                "median_success": good.median(),
                "median_failure": bad.median(),
                "mann_whitney_p": float(p_value),
            }
        )
    return pd.DataFrame(rows)
