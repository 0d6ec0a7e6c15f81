"""Metrics over STEPS tables (with their RUNS): coordination metrics of multi-agent runs, after Kim et al., 'Towards a Science of Scaling Agent
Systems' (arXiv:2512.08296), section 3.3 and Table 5.

Everything reads the RUNS and STEPS tables (:mod:`agenteff.schema`), so the metrics apply to any logs in that
shape. Per run (:func:`run_coordination`):

* turns ``T``: model calls of the run (steps whose role is an agent role);
* message density: inter-agent messages per turn, where a step's messages are its recipients (the optional
  STEPS column ``recipients``: comma-separated agent ids the step's text was delivered to);
* redundancy: mean pairwise cosine similarity of the agents' outputs (each worker's or peer's text joined),
  TF-IDF vectors by default or any embedding function; 0 when fewer than two agents produce outputs;
* tokens (prompt + completion) and cost.

Per architecture (:func:`coordination`), against a baseline architecture (the single agent), with percentile
bootstrap confidence intervals over runs:

* success ``S``; mean turns ``T``; overhead % = ``(T_MAS - T_SAS) / T_SAS x 100``;
* efficiency ``E_c = S / (T / T_SAS)``;
* error amplification as the failure-rate ratio ``(1 - S_MAS) / (1 - S_SAS)``;
* trace-level error amplification: tokens per success relative to the single agent,
  ``(K_MAS / successes_MAS) / (K_SAS / successes_SAS)``, i.e. one plus the coordination-overhead tokens
  (tokens spent beyond the single agent's) per success, in units of the single agent's tokens per success;
* successes per 1,000 tokens; cost per success (USD).

The paper's fitted laws and the failure-rate ratio of its released configurations are study 02's own analysis
(:mod:`agenteff.studies.s02_coordination_topologies.laws`).
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd

from ._tables import require as _require

__all__ = [
    "AGENT_ROLES",
    "COORDINATION_METRICS",
    "run_coordination",
    "coordination",
    "coordination_table",
    "redundancy_tfidf",
    "trajectory_counts",
    "action_repetition_rate",
]

#: Step roles that are model calls by an agent (user, tool and system rows of a log are not turns).
AGENT_ROLES = ("single", "worker", "orchestrator", "aggregator", "peer")
#: Agent roles whose text counts as an agent's output for redundancy (coordinators' text is not an output).
_OUTPUT_ROLES = ("worker", "peer")

#: The metrics :func:`coordination` reports, with their units.
COORDINATION_METRICS = {
    "success": "fraction of runs",
    "turns": "model calls per run",
    "turns_sd": "model calls per run",
    "overhead_pct": "% turns over the baseline",
    "message_density": "inter-agent messages per turn",
    "redundancy": "mean pairwise cosine similarity",
    "efficiency": "success per relative turn",
    "error_amplification": "failure-rate ratio",
    "error_amplification_trace": "tokens-per-success ratio",
    "success_per_1k_tokens": "successes per 1,000 tokens",
    "cost_per_success": "USD per success",
}


def redundancy_tfidf(texts: list[str]) -> np.ndarray:
    """TF-IDF vectors (rows, L2-normalised) of ``texts``, fitted on ``texts`` themselves."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    nonempty = [t if t and t.strip() else "" for t in texts]
    if not any(nonempty):
        return np.zeros((len(texts), 1))
    return TfidfVectorizer(token_pattern=r"(?u)\b\w+\b").fit_transform(nonempty).toarray()


def _mean_pairwise_cosine(vectors: np.ndarray) -> float:
    if len(vectors) < 2:
        return 0.0
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit = np.divide(vectors, norms, out=np.zeros_like(vectors, dtype=float), where=norms > 0)
    similarity = unit @ unit.T
    upper = np.triu_indices(len(vectors), k=1)
    return float(similarity[upper].mean())


def run_coordination(runs: pd.DataFrame, steps: pd.DataFrame, embed=None) -> pd.DataFrame:
    """Per-run coordination quantities: the RUNS columns plus turns, messages, message_density, tokens, cost_usd
    and redundancy.

    ``embed(texts) -> array`` turns agents' outputs into vectors for redundancy; the default fits TF-IDF over
    all agents' outputs in ``steps`` at once (one vocabulary and IDF for the whole comparison).
    """
    agent_steps = steps[steps["role"].isin(AGENT_ROLES)]
    grouped = agent_steps.groupby("run_id", sort=False)
    per_run = pd.DataFrame({"turns": grouped.size()})
    if "recipients" in agent_steps.columns:
        recipients = agent_steps["recipients"].fillna("").astype(str)
        counts = recipients.map(lambda r: len([x for x in r.split(",") if x.strip()]))
        per_run["messages"] = counts.groupby(agent_steps["run_id"]).sum()
    else:
        per_run["messages"] = np.nan
    token_columns = [c for c in ("prompt_tokens", "completion_tokens") if c in agent_steps.columns]
    per_run["tokens"] = (
        agent_steps[token_columns].fillna(0).astype(float).sum(axis=1).groupby(agent_steps["run_id"]).sum()
        if token_columns
        else np.nan
    )
    if "cost_usd" in agent_steps.columns:
        per_run["step_cost"] = agent_steps["cost_usd"].astype(float).groupby(agent_steps["run_id"]).sum()

    outputs = agent_steps[agent_steps["role"].isin(_OUTPUT_ROLES)]
    texts = (
        outputs.assign(content=outputs["content"].fillna("").astype(str) if "content" in outputs else "")
        .groupby(["run_id", "agent_id"], sort=False)["content"]
        .agg("\n".join)
        .reset_index()
    )
    if len(texts):
        vectors = np.asarray((embed or redundancy_tfidf)(texts["content"].tolist()), dtype=float)
        positions = texts.groupby("run_id", sort=False).indices
        per_run["redundancy"] = pd.Series({run: _mean_pairwise_cosine(vectors[idx]) for run, idx in positions.items()})
    else:
        per_run["redundancy"] = np.nan

    out = runs.merge(per_run, left_on="run_id", right_index=True, how="left", validate="one_to_one")
    out["turns"] = out["turns"].fillna(0).astype(int)
    out["redundancy"] = out["redundancy"].fillna(0.0)
    out["message_density"] = out["messages"] / out["turns"].where(out["turns"] > 0)
    if "cost_usd" not in out.columns and "step_cost" in out.columns:
        out["cost_usd"] = out["step_cost"]
    return out.drop(columns=["step_cost"], errors="ignore")


def _replicates(frame: pd.DataFrame, n_boot: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Absolute statistics of ``frame`` on the full sample (index 0) and ``n_boot`` bootstrap resamples."""
    n = len(frame)
    index = np.vstack([np.arange(n), rng.integers(0, n, size=(n_boot, n))])

    def take(column):
        return frame[column].to_numpy(dtype=float)[index]

    success, turns, tokens = take("success"), take("turns"), take("tokens")
    cost = take("cost_usd") if "cost_usd" in frame else np.full_like(turns, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return {
            "success": success.mean(axis=1),
            "turns": turns.mean(axis=1),
            "turns_sd": turns.std(axis=1, ddof=1) if n > 1 else np.full(n_boot + 1, np.nan),
            "message_density": np.nanmean(take("message_density"), axis=1),
            "redundancy": take("redundancy").mean(axis=1),
            "successes": success.sum(axis=1),
            "tokens": tokens.sum(axis=1),
            "cost": cost.sum(axis=1),
        }


def _derived(own: dict, base: dict | None) -> dict[str, np.ndarray]:
    nan = np.full_like(own["success"], np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = {k: own[k] for k in ("success", "turns", "turns_sd", "message_density", "redundancy")}
        out["success_per_1k_tokens"] = 1000 * own["successes"] / own["tokens"]
        out["cost_per_success"] = own["cost"] / own["successes"]
        if base is None:
            out.update(overhead_pct=nan, efficiency=nan, error_amplification=nan, error_amplification_trace=nan)
        else:
            out["overhead_pct"] = 100 * (own["turns"] - base["turns"]) / base["turns"]
            out["efficiency"] = own["success"] / (own["turns"] / base["turns"])
            out["error_amplification"] = (1 - own["success"]) / (1 - base["success"])
            out["error_amplification_trace"] = (own["tokens"] / own["successes"]) / (base["tokens"] / base["successes"])
    return {k: np.where(np.isfinite(v), v, np.nan) for k, v in out.items()}


def coordination(
    runs: pd.DataFrame,
    steps: pd.DataFrame,
    by=(),
    baseline: str = "single",
    n_boot: int = 1000,
    ci: float = 0.95,
    seed: int = 0,
    embed=None,
) -> pd.DataFrame:
    """Table-5 coordination metrics per architecture (and per ``by`` group), with bootstrap CIs.

    Returns one row per group, architecture and metric: ``value`` (full sample), ``ci_low``, ``ci_high``
    (percentile interval over ``n_boot`` resamples of runs, the baseline resampled independently), and
    ``n_runs``. Ratios with a zero denominator (a baseline that never fails, an architecture that never
    succeeds) are NaN. See the module docstring for the definitions.
    """
    by = [by] if isinstance(by, str) else list(by)
    per_run = run_coordination(runs, steps, embed=embed)
    rng = np.random.default_rng(seed)
    alpha = (1 - ci) / 2
    rows = []
    for key, group in per_run.groupby(by, sort=True) if by else [((), per_run)]:
        key = key if isinstance(key, tuple) else (key,)
        replicates = {
            arch: _replicates(frame, n_boot, rng) for arch, frame in group.groupby("architecture", sort=False)
        }
        base = replicates.get(baseline)
        for arch in sorted(replicates, key=lambda a: (a != baseline, a)):
            metrics = _derived(replicates[arch], base)
            for metric in COORDINATION_METRICS:
                values = metrics[metric]
                draws = values[1:][~np.isnan(values[1:])]
                low, high = np.quantile(draws, [alpha, 1 - alpha]) if len(draws) else (np.nan, np.nan)
                rows.append(
                    {
                        **dict(zip(by, key)),
                        "architecture": arch,
                        "metric": metric,
                        "value": float(values[0]),
                        "ci_low": float(low),
                        "ci_high": float(high),
                        "n_runs": int((group["architecture"] == arch).sum()),
                    }
                )
    return pd.DataFrame(rows)


def coordination_table(result: pd.DataFrame, by=()) -> pd.DataFrame:
    """:func:`coordination`'s long result as a Table-5-style grid: a row per (group, architecture), a column per
    metric (point values)."""
    by = [by] if isinstance(by, str) else list(by)
    table = result.pivot_table(index=[*by, "architecture"], columns="metric", values="value", sort=False)
    return table[[m for m in COORDINATION_METRICS if m in table.columns]].reset_index().rename_axis(columns=None)


# --- trajectory metrics (PANDO) -----------------------------------------------------------------------

#: Names that moved to study 02 in 0.2.0, old -> new (see CHANGELOG.md); the old ``agenteff.metrics.<name>``
#: works until 0.3.0. ``turn_law`` is ``turns_by_law`` since the study's figure function took its name.
_MOVED_TO_STUDY_02 = {
    "failure_rate_ratio": "failure_rate_ratio",
    "turn_law": "turns_by_law",
    "fit_turn_law": "fit_turn_law",
    "fit_density_law": "fit_density_law",
}


def __getattr__(name: str):
    if name in _MOVED_TO_STUDY_02:
        import importlib

        new, moved = "agenteff.studies.s02_coordination_topologies.laws", _MOVED_TO_STUDY_02[name]
        warnings.warn(
            f"agenteff.metrics.{name} has moved to {new}.{moved}; the old name goes in agenteff 0.3.0",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(importlib.import_module(new), moved)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _actions(tool_calls) -> list[tuple[str, str]]:
    """(name, canonical arguments) of each call in a STEPS ``tool_calls`` JSON cell."""
    if tool_calls is None or (isinstance(tool_calls, float) and np.isnan(tool_calls)) or tool_calls is pd.NA:
        return []
    calls = json.loads(tool_calls) if isinstance(tool_calls, str) else tool_calls
    out = []
    for call in calls or []:
        arguments = call.get("arguments")
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments)
            except json.JSONDecodeError:
                pass  # keep the raw text: two identical raw strings are still the same action
        out.append((str(call.get("name")), json.dumps(arguments, sort_keys=True)))
    return out


def trajectory_counts(steps: pd.DataFrame) -> pd.DataFrame:
    """Per run: ``n_steps`` (all messages), ``n_agent_steps`` (messages of the agent system, see
    :data:`AGENT_ROLES`), ``n_tool_calls`` and ``n_user_turns``."""
    _require(steps, ["run_id", "role"], "trajectory_counts")
    calls = steps["tool_calls"] if "tool_calls" in steps else pd.Series(pd.NA, index=steps.index)
    table = pd.DataFrame(
        {
            "run_id": steps["run_id"],
            "agent": steps["role"].isin(AGENT_ROLES),
            "user": steps["role"].eq("user"),
            "calls": [len(_actions(v)) for v in calls],
        }
    )
    return (
        table.groupby("run_id", sort=True)
        .agg(
            n_steps=("agent", "size"),
            n_agent_steps=("agent", "sum"),
            n_tool_calls=("calls", "sum"),
            n_user_turns=("user", "sum"),
        )
        .astype("int64")
        .reset_index()
    )


def action_repetition_rate(steps: pd.DataFrame, consecutive: bool = False) -> pd.DataFrame:
    """Share of a run's tool calls that repeat an earlier call with the same name and the same arguments.

    Source: PANDO (Li et al., "PANDO: Efficient Multimodal AI Agents via Online Skill Distillation",
    arXiv:2605.24785) names Action Repetition Rate as a trajectory-level measure of repeat-action loops.

    Where the source is unclear: the public text does not say whether a repeat must follow immediately or may
    recur anywhere earlier in the run, nor how arguments are compared. Implemented: a call is a repeat when an
    identical (name, arguments) call occurred anywhere earlier in the run (``consecutive=True``: only when it
    is identical to the immediately preceding call); arguments are compared as canonical JSON (key order
    ignored). Only tool calls count as actions; plain messages to the user do not. Runs without tool calls get
    NaN.

    Returns one row per run: ``run_id, n_actions, n_repeats, action_repetition_rate``.
    """
    _require(steps, ["run_id", "step", "tool_calls"], "action_repetition_rate")
    rows = []
    for run_id, sub in steps.sort_values(["run_id", "step"]).groupby("run_id", sort=True):
        actions = [a for cell in sub["tool_calls"] for a in _actions(cell)]
        if consecutive:
            repeats = sum(a == b for a, b in zip(actions[1:], actions[:-1]))
        else:
            seen: set = set()
            repeats = 0
            for action in actions:
                repeats += action in seen
                seen.add(action)
        rows.append(
            {
                "run_id": run_id,
                "n_actions": len(actions),
                "n_repeats": repeats,
                "action_repetition_rate": repeats / len(actions) if actions else np.nan,
            }
        )
    return pd.DataFrame(rows, columns=["run_id", "n_actions", "n_repeats", "action_repetition_rate"])
