"""Context metrics over a STEPS table: how an agent's prompt grows, what a prefix cache serves, how often actions
repeat, and how many steps a run takes against the minimum.

* :func:`agent_calls` -- the agent's own model calls of each run, numbered, with the prompt's growth per call;
* :func:`context_growth` -- prompt tokens per call index (median and quartiles over runs), by source;
* :func:`cumulative_prompt_fit` -- cumulative prompt tokens against calls, fitted as ``a*T + b*T^2``, with a
  bootstrap interval over runs (mono-context growth makes ``b`` half the per-call growth);
* :func:`fresh_and_cached` -- fresh and cached prompt tokens and the prompt-cache utilisation, with an interval;
* :func:`code_actions`, :func:`tool_call_actions` -- the "same action" of each source, made explicit;
* :func:`action_repetition_reading` -- two readings of PANDO's Action Repetition Rate, and the first repeat;
* :func:`sor_min_reading`, :func:`sor_fs_reading` -- two readings of PANDO's Step Overhead Ratio;
* :func:`pooled_ratio` -- a ratio of sums over runs with a percentile bootstrap over runs.

PANDO (arXiv:2605.24785) names ARR, SOR and PCU but no released code defines them; the functions whose name ends
in ``_reading`` compute this project's readings, each variant under its own column name.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ._tables import as_list as _as_list
from ._tables import require as _require
from .steps import AGENT_ROLES
from .steps import _actions as _call_actions

__all__ = [
    "agent_calls",
    "context_growth",
    "cumulative_prompt_fit",
    "fresh_and_cached",
    "code_actions",
    "tool_call_actions",
    "action_repetition_reading",
    "sor_min_reading",
    "sor_fs_reading",
    "pooled_ratio",
]


def agent_calls(steps: pd.DataFrame) -> pd.DataFrame:
    """The agent's own model calls: rows of an agent role (:data:`~agenteff.metrics.steps.AGENT_ROLES`) whose
    ``prompt_tokens`` is known, in step order, numbered ``call`` 1..T within each run.

    Added columns: ``call``, ``growth`` (prompt tokens minus the previous call's; NaN for the first call) and
    ``fresh_tokens`` (prompt minus cached, where the cache count is known). Messages of a user simulator, tool
    results and scripted messages without usage are left out: they are not the agent's calls.
    """
    _require(steps, ["run_id", "step", "role", "prompt_tokens"], "agent_calls")
    calls = steps[steps["role"].isin(AGENT_ROLES) & steps["prompt_tokens"].notna()]
    calls = calls.sort_values(["run_id", "step"]).reset_index(drop=True)
    calls["call"] = calls.groupby("run_id").cumcount() + 1
    prompt = calls["prompt_tokens"].astype(float)
    calls["growth"] = prompt - prompt.groupby(calls["run_id"]).shift(1)
    cached = calls["cached_tokens"].astype(float) if "cached_tokens" in calls else np.nan
    calls["fresh_tokens"] = prompt - cached
    return calls


def context_growth(calls: pd.DataFrame, by=None) -> pd.DataFrame:
    """Per group and call index: ``n_runs`` reaching that call and the median and quartiles of the prompt tokens,
    and the median growth from the previous call."""
    by = _as_list(by)
    _require(calls, [*by, "call", "prompt_tokens", "growth"], "context_growth")
    frame = calls.assign(prompt=calls["prompt_tokens"].astype(float))
    grouped = frame.groupby([*by, "call"], sort=True)
    table = grouped.agg(
        n_runs=("prompt", "size"),
        prompt_median=("prompt", "median"),
        prompt_q25=("prompt", lambda v: v.quantile(0.25)),
        prompt_q75=("prompt", lambda v: v.quantile(0.75)),
        growth_median=("growth", "median"),
    )
    return table.reset_index()


def _fit_quadratic(calls: np.ndarray, cumulative: np.ndarray) -> tuple[float, float]:
    design = np.column_stack([calls, calls**2])
    (a, b), *_ = np.linalg.lstsq(design, cumulative, rcond=None)
    return float(a), float(b)


def cumulative_prompt_fit(calls: pd.DataFrame, n_boot: int = 2000, seed: int = 0, level: float = 0.95) -> pd.Series:
    """Least-squares fit of a run's cumulative prompt tokens after T calls, ``C(T) = a*T + b*T^2`` (no
    intercept: nothing is sent before the first call), over every (run, T) point; the interval resamples runs.

    Under mono-context growth with a first prompt S and a constant growth g per call, ``C(T) = (S - g/2) T +
    (g/2) T^2`` exactly, so ``b`` estimates half the per-call growth and ``a`` the fixed prefix less that.
    Returns ``a, a_low, a_high, b, b_low, b_high, n_runs, n_points``.
    """
    if n_boot < 1:
        raise ValueError(f"cumulative_prompt_fit: n_boot must be at least 1, got {n_boot}")
    _require(calls, ["run_id", "call", "prompt_tokens"], "cumulative_prompt_fit")
    if calls.empty:
        raise ValueError("cumulative_prompt_fit: no agent calls with prompt tokens to fit")
    ordered = calls.sort_values(["run_id", "call"])
    cumulative = ordered.groupby("run_id")["prompt_tokens"].cumsum().astype(float).to_numpy()
    steps = ordered["call"].astype(float).to_numpy()
    runs = ordered["run_id"].to_numpy()
    run_ids, codes = np.unique(runs, return_inverse=True)
    rows_of = [np.flatnonzero(codes == i) for i in range(len(run_ids))]
    a, b = _fit_quadratic(steps, cumulative)
    rng = np.random.default_rng(seed)
    replicates = np.empty((n_boot, 2))
    for r in range(n_boot):
        rows = np.concatenate([rows_of[i] for i in rng.integers(0, len(run_ids), len(run_ids))])
        replicates[r] = _fit_quadratic(steps[rows], cumulative[rows])
    tail = (1 - level) / 2
    low, high = np.quantile(replicates, [tail, 1 - tail], axis=0)
    return pd.Series(
        {
            "a": a,
            "a_low": low[0],
            "a_high": high[0],
            "b": b,
            "b_low": low[1],
            "b_high": high[1],
            "n_runs": len(run_ids),
            "n_points": len(steps),
        }
    )


def pooled_ratio(
    frame: pd.DataFrame,
    numerator: str,
    denominator: str,
    by=None,
    n_boot: int = 2000,
    seed: int = 0,
    level: float = 0.95,
    run: str = "run_id",
) -> pd.DataFrame:
    """Per group, ``sum(numerator) / sum(denominator)`` with a percentile bootstrap interval that resamples runs
    (rows are first summed per run, so the calls of one run stay together). Rows with either value missing are
    left out. Returns ``by..., n_runs, numerator, denominator, ratio, low, high`` (NaN where the denominator is 0).
    """
    if n_boot < 1:
        raise ValueError(f"pooled_ratio: n_boot must be at least 1, got {n_boot}")
    by = _as_list(by)
    _require(frame, [*by, run, numerator, denominator], "pooled_ratio")
    known = frame[frame[numerator].notna() & frame[denominator].notna()]
    per_run = (
        known.assign(_n=known[numerator].astype(float), _d=known[denominator].astype(float))
        .groupby([*by, run], sort=True)[["_n", "_d"]]
        .sum()
        .reset_index()
    )
    rng = np.random.default_rng(seed)
    tail = (1 - level) / 2
    rows = []
    groups = per_run.groupby(by, sort=True) if by else [((), per_run)]
    for key, sub in groups:
        key = key if isinstance(key, tuple) else (key,)
        num, den = sub["_n"].to_numpy(), sub["_d"].to_numpy()
        picks = rng.integers(0, len(sub), (n_boot, len(sub)))
        with np.errstate(invalid="ignore", divide="ignore"):
            replicates = num[picks].sum(axis=1) / den[picks].sum(axis=1)
        replicates = replicates[np.isfinite(replicates)]
        total = den.sum()
        rows.append(
            {
                **dict(zip(by, key)),
                "n_runs": len(sub),
                numerator: num.sum(),
                denominator: total,
                "ratio": num.sum() / total if total > 0 else np.nan,
                "low": np.quantile(replicates, tail) if len(replicates) else np.nan,
                "high": np.quantile(replicates, 1 - tail) if len(replicates) else np.nan,
            }
        )
    return pd.DataFrame(rows)


def fresh_and_cached(calls: pd.DataFrame, by=None, n_boot: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Per group: prompt, cached and fresh tokens over the calls whose cache count is known, and the prompt-cache
    utilisation ``cached / prompt`` (pooled over calls; PANDO's PCU as :func:`prompt_cache_utilization` reads it)
    with a bootstrap interval over runs. Groups without any cache count get NaN, not zero."""
    by = _as_list(by)
    _require(calls, [*by, "run_id", "prompt_tokens", "cached_tokens"], "fresh_and_cached")
    ratio = pooled_ratio(calls, "cached_tokens", "prompt_tokens", by=by, n_boot=n_boot, seed=seed)
    ratio = ratio.rename(columns={"ratio": "pcu", "low": "pcu_low", "high": "pcu_high"})
    ratio["fresh_tokens"] = ratio["prompt_tokens"] - ratio["cached_tokens"]
    if by:
        everyone = calls[by].drop_duplicates().sort_values(by)
        ratio = everyone.merge(ratio, on=by, how="left") if not ratio.empty else everyone
    return ratio.reset_index(drop=True)


_CODE_START = "<code>"
_CODE_END = re.compile(r"</code>|<end_code>|```\s*$")
_FENCE = re.compile(r"```(?:py|python)?")


def _code_of(text) -> str | None:
    """The code block of a code agent's step, whitespace-normalised, or None when the step has none."""
    if not isinstance(text, str) or _CODE_START not in text:
        return None
    code = text.split(_CODE_START, 1)[1]
    code = _CODE_END.split(code, maxsplit=1)[0]
    # AgentStop stores newlines as the two characters backslash-n; both spellings are line breaks here
    lines = [_FENCE.sub("", line).strip() for line in code.replace("\\n", "\n").splitlines()]
    normalised = "\n".join(line for line in lines if line)
    return normalised or None


def code_actions(steps: pd.DataFrame, content: str = "content") -> pd.DataFrame:
    """A code agent's actions: for each agent step whose text holds a ``<code>`` block, the block with each line
    stripped and blank lines dropped. Two steps take the *same action* when these texts are equal (AgentStop's
    smolagents-style agent: the code it runs is its action). Returns ``run_id, step, action``."""
    _require(steps, ["run_id", "step", "role", content], "code_actions")
    agent = steps[steps["role"].isin(AGENT_ROLES)].sort_values(["run_id", "step"])
    actions = agent[content].map(_code_of)
    keep = actions.notna()
    return pd.DataFrame(
        {"run_id": agent["run_id"][keep], "step": agent["step"][keep], "action": actions[keep]}
    ).reset_index(drop=True)


def tool_call_actions(steps: pd.DataFrame) -> pd.DataFrame:
    """A tool-calling agent's actions: one per tool call of an agent step, the tool's name with its arguments as
    canonical JSON (key order ignored). Two calls are the *same action* when name and arguments are equal
    (tau-bench, tau2-bench). Returns ``run_id, step, action``."""
    _require(steps, ["run_id", "step", "role", "tool_calls"], "tool_call_actions")
    agent = steps[steps["role"].isin(AGENT_ROLES)].sort_values(["run_id", "step"])
    rows = [
        {"run_id": run_id, "step": step, "action": f"{name}({arguments})"}
        for run_id, step, cell in zip(agent["run_id"], agent["step"], agent["tool_calls"])
        for name, arguments in _call_actions(cell)
    ]
    return pd.DataFrame(rows, columns=["run_id", "step", "action"])


def action_repetition_reading(actions: pd.DataFrame) -> pd.DataFrame:
    """Two readings of PANDO's Action Repetition Rate per run, from an actions table (:func:`code_actions`,
    :func:`tool_call_actions`, or any ``run_id, step, action`` table in order).

    * ``arr_consecutive``: the share of actions 2..n equal to the action just before (``repeats_consecutive /
      (n - 1)``; NaN with fewer than two actions);
    * ``arr_any_earlier``: the share of all n actions equal to any earlier action of the run (NaN without one).

    Also ``first_repeat_step`` (the ``step`` of the first action that repeats an earlier one; missing when none
    does) and ``first_repeat_action`` (its 1-based position among the run's actions): how early a loop shows.
    """
    _require(actions, ["run_id", "step", "action"], "action_repetition_reading")
    rows = []
    for run_id, sub in actions.sort_values(["run_id", "step"], kind="stable").groupby("run_id", sort=True):
        sequence = list(sub["action"])
        consecutive = sum(a == b for a, b in zip(sequence[1:], sequence[:-1]))
        seen: set = set()
        repeats, first = 0, None
        for position, action in enumerate(sequence):
            if action in seen:
                repeats += 1
                first = position if first is None else first
            seen.add(action)
        n = len(sequence)
        rows.append(
            {
                "run_id": run_id,
                "n_actions": n,
                "repeats_consecutive": consecutive,
                "repeats_any_earlier": repeats,
                "arr_consecutive": consecutive / (n - 1) if n > 1 else np.nan,
                "arr_any_earlier": repeats / n if n else np.nan,
                "first_repeat_step": sub["step"].iloc[first] if first is not None else pd.NA,
                "first_repeat_action": first + 1 if first is not None else pd.NA,
            }
        )
    table = pd.DataFrame(rows)
    for column in ("first_repeat_step", "first_repeat_action"):
        if column in table:
            table[column] = table[column].astype("Int64")
    return table


def sor_min_reading(runs: pd.DataFrame, steps: str = "n_actions", minimal: str = "n_gold_actions") -> pd.Series:
    """PANDO's Step Overhead Ratio read as ``SOR_min``: a run's steps over the task's minimal (gold) steps, per run.

    What counts as a step is the caller's ``steps`` column (here the agent's actions, counted like the gold
    actions); a task with no gold action, or an unknown count, gives NaN (the ratio is undefined)."""
    _require(runs, [steps, minimal], "sor_min_reading")
    floor = runs[minimal].astype(float)
    return (runs[steps].astype(float) / floor.where(floor > 0)).rename("sor_min")


def sor_fs_reading(
    runs: pd.DataFrame, steps: str = "n_actions", by=None, n_boot: int = 2000, seed: int = 0, level: float = 0.95
) -> pd.DataFrame:
    """PANDO's Step Overhead Ratio read as ``SOR_fs``: mean steps of failed runs over mean steps of successful
    runs, per group, with a bootstrap interval that resamples failed and successful runs separately.
    Returns ``by..., n_failed, n_successful, sor_fs, low, high``; NaN when either side has no run."""
    if n_boot < 1:
        raise ValueError(f"sor_fs_reading: n_boot must be at least 1, got {n_boot}")
    by = _as_list(by)
    _require(runs, [*by, steps, "success"], "sor_fs_reading")
    known = runs[runs["success"].notna() & runs[steps].notna()]
    rng = np.random.default_rng(seed)
    tail = (1 - level) / 2
    rows = []
    for key, sub in known.groupby(by, sort=True) if by else [((), known)]:
        key = key if isinstance(key, tuple) else (key,)
        solved = sub["success"].astype(bool).to_numpy()
        counts = sub[steps].astype(float).to_numpy()
        failed, successful = counts[~solved], counts[solved]
        row = {**dict(zip(by, key)), "n_failed": len(failed), "n_successful": len(successful)}
        if len(failed) and len(successful) and successful.mean() > 0:
            boot_failed = failed[rng.integers(0, len(failed), (n_boot, len(failed)))].mean(axis=1)
            boot_successful = successful[rng.integers(0, len(successful), (n_boot, len(successful)))].mean(axis=1)
            replicates = boot_failed / boot_successful
            row |= {
                "sor_fs": failed.mean() / successful.mean(),
                "low": np.quantile(replicates, tail),
                "high": np.quantile(replicates, 1 - tail),
            }
        else:
            row |= {"sor_fs": np.nan, "low": np.nan, "high": np.nan}
        rows.append(row)
    return pd.DataFrame(rows)
