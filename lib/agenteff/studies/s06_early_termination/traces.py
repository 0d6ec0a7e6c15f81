"""Agent traces as the early-stop predictor reads them, built from the project's RUNS and STEPS tables.

Any traces in those two shapes go through the same analysis: RUNS needs ``run_id`` and a success column; STEPS
needs ``run_id``, ``step``, the step's energy and its token log-probabilities (a JSON list of floats per step),
and, for the thought-token and overlap features, the step's generated tokens (a JSON list of strings) or else its
text (``content``). Steps are ordered by ``step`` within a run.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "Traces",
    "traces_from_tables",
    "longest_common_substring",
    "overlap_with_previous",
    "step_feature_blocks",
    "features_at_step",
    "THOUGHT_END",
]

#: The token that opens the agent's code block: tokens before it are the step's "thought" (the authors' rule).
THOUGHT_END = "<code"


def _json_list(value, where: str) -> list:
    if isinstance(value, (list, tuple, np.ndarray)):
        return list(value)
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return []
    try:
        parsed = json.loads(value)
    except (TypeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{where}: expected a JSON list, got {str(value)[:60]!r}") from exc
    if not isinstance(parsed, list):
        raise ValueError(f"{where}: expected a JSON list, got {type(parsed).__name__}")
    return parsed


@dataclass(frozen=True)
class Traces:
    """One agent run per row: its label, its per-step energy and its per-step generation."""

    run_ids: np.ndarray  # (n,) str
    failed: np.ndarray  # (n,) bool: the positive class of the predictor
    step_energy: np.ndarray  # (n, max_steps) float, zero past a run's last step
    n_steps: np.ndarray  # (n,) int
    logprobs: tuple  # n tuples of per-step float arrays
    tokens: tuple  # n tuples of per-step token lists (a step's text as one token when tokens are unknown)

    def __len__(self) -> int:
        return len(self.run_ids)

    @property
    def total_energy(self) -> np.ndarray:
        return self.step_energy.sum(axis=1)

    def energy_first(self, k: int) -> np.ndarray:
        """E_i(k): the energy of each run's first ``k`` steps."""
        return self.step_energy[:, :k].sum(axis=1)

    def subset(self, mask) -> Traces:
        mask = np.asarray(mask, dtype=bool)
        keep = np.flatnonzero(mask)
        return Traces(
            self.run_ids[mask],
            self.failed[mask],
            self.step_energy[mask],
            self.n_steps[mask],
            tuple(self.logprobs[i] for i in keep),
            tuple(self.tokens[i] for i in keep),
        )

    def relabel(self, failed) -> Traces:
        failed = np.asarray(failed, dtype=bool)
        if failed.shape != self.failed.shape:
            raise ValueError(f"relabel: need {len(self)} labels, got {failed.shape}")
        return Traces(self.run_ids, failed, self.step_energy, self.n_steps, self.logprobs, self.tokens)


def traces_from_tables(
    runs: pd.DataFrame,
    steps: pd.DataFrame,
    success: str = "success",
    energy: str = "energy_mwh",
    logprobs: str = "logprobs",
    tokens: str = "tokens",
    text: str = "content",
) -> Traces:
    """Build :class:`Traces` from RUNS and STEPS frames (runs without steps are an error: nothing to predict on).

    The label is ``failed = not success``. A step with unknown energy counts zero, as in the authors' sums.
    """
    for frame, columns, name in (
        (runs, ["run_id", success], "runs"),
        (steps, ["run_id", "step", energy, logprobs], "steps"),
    ):
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise ValueError(f"traces_from_tables: {name} lacks columns {missing}")
    if tokens not in steps.columns and text not in steps.columns:
        raise ValueError(f"traces_from_tables: steps need {tokens!r} (JSON token lists) or {text!r} (step text)")
    ordered = steps.sort_values(["run_id", "step"], kind="stable")
    groups = dict(tuple(ordered.groupby("run_id", sort=False)))
    absent = [r for r in runs["run_id"] if r not in groups]
    if absent:
        raise ValueError(f"traces_from_tables: {len(absent)} runs have no steps, e.g. {absent[0]!r}")
    per_run_lp, per_run_tokens, energies = [], [], []
    for run_id in runs["run_id"]:
        sub = groups[run_id]
        lp = tuple(
            np.asarray(_json_list(v, f"steps run {run_id!r} column {logprobs!r}"), dtype=float) for v in sub[logprobs]
        )
        if tokens in sub.columns:
            tk = tuple(
                tuple(str(t) for t in _json_list(v, f"steps run {run_id!r} column {tokens!r}")) for v in sub[tokens]
            )
        else:
            tk = tuple(("" if pd.isna(v) else str(v),) for v in sub[text])
        per_run_lp.append(lp)
        per_run_tokens.append(tk)
        energies.append(pd.to_numeric(sub[energy], errors="coerce").fillna(0.0).to_numpy(dtype=float))
    n_steps = np.array([len(e) for e in energies], dtype=int)
    step_energy = np.zeros((len(energies), int(n_steps.max()) if len(n_steps) else 0))
    for i, e in enumerate(energies):
        step_energy[i, : len(e)] = e
    failed = ~runs[success].astype(bool).to_numpy()
    return Traces(
        runs["run_id"].astype(str).to_numpy(), failed, step_energy, n_steps, tuple(per_run_lp), tuple(per_run_tokens)
    )


def longest_common_substring(a: str, b: str) -> int:
    """Length of the longest common substring of ``a`` and ``b`` (exact: difflib without its junk heuristic)."""
    if not a or not b:
        return 0
    match = difflib.SequenceMatcher(None, a, b, autojunk=False).find_longest_match(0, len(a), 0, len(b))
    return int(match.size)


def overlap_with_previous(current: str, previous: str) -> float:
    """Longest common substring of a step with the step before it, as a share of the step's length (0 if empty)."""
    return longest_common_substring(current, previous) / len(current) if current else 0.0


def _thought_tokens(step_tokens) -> int:
    return step_tokens.index(THOUGHT_END) if THOUGHT_END in step_tokens else len(step_tokens)


def step_feature_blocks(traces: Traces, n_smallest: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Per run and step, the features that depend on that step alone, computed once for every decision step.

    Returns ``blocks`` of shape (n, max_steps, n_smallest + 2): the ``n_smallest`` smallest token probabilities
    in ascending order (a step with fewer tokens is padded with probability 1, a token the model was sure of),
    the generated tokens, the thought tokens (tokens before ``<code``); and ``overlap`` (n, max_steps), the
    longest-common-substring overlap of each step with the previous one (NaN for the first step).
    """
    if n_smallest < 1:
        raise ValueError(f"n_smallest must be >= 1, got {n_smallest}")
    n, width = len(traces), traces.step_energy.shape[1]
    blocks = np.full((n, width, n_smallest + 2), np.nan)
    overlap = np.full((n, width), np.nan)
    for i in range(n):
        texts = ["".join(t) for t in traces.tokens[i]]
        for j, lp in enumerate(traces.logprobs[i]):
            smallest = np.sort(np.exp(lp))[:n_smallest]
            blocks[i, j, :n_smallest] = np.pad(smallest, (0, n_smallest - len(smallest)), constant_values=1.0)
            blocks[i, j, n_smallest] = len(lp)
            blocks[i, j, n_smallest + 1] = _thought_tokens(traces.tokens[i][j]) if j < len(traces.tokens[i]) else 0
            if j >= 1 and j < len(texts):
                overlap[i, j] = overlap_with_previous(texts[j], texts[j - 1])
    return blocks, overlap


def features_at_step(traces: Traces, k: int, blocks: np.ndarray, overlap: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The predictor's input at decision step ``k`` (1-based): features of the first ``k`` steps.

    Only runs that continue past step ``k`` are candidates (stopping a run that ends there saves nothing).
    Returns ``(X, eligible)``: X has one row per eligible run: the k per-step blocks side by side, then (for
    ``k >= 2``) the overlap of step k with step k-1.
    """
    if k < 1:
        raise ValueError(f"decision step k must be >= 1, got {k}")
    eligible = traces.n_steps > k
    chosen = blocks[eligible, :k, :]
    X = chosen.reshape(len(chosen), chosen.shape[1] * chosen.shape[2])
    if k >= 2:
        X = np.hstack([X, overlap[eligible, k - 1 : k]])
    return X, eligible
