"""tau2-bench results files (``tau2 run`` saves them; the leaderboard's ``trajectories/*.json`` are the same).

The file is read by the data set's parser (:func:`agenteff.datasets.tau2_bench.results_tables`, streamed, one
simulation at a time), so the study and a user's own files take one road; this module maps its rows to the logs'
conventions. One simulation is one run, its trial the seed, tau2's reward the score (success: reward at least
``threshold``, within rounding). The agent, its tools and the user simulator are kept apart: the agent's calls are
steps of kind ``model`` and make the run's tokens, the user simulator's are steps of kind ``user simulator`` (role
``user``) whose tokens and recorded cost go to the run's ``user_*`` columns, never to the agent's; the scaffold's
fixed greeting is a ``message``. The files record each message's ``prompt_tokens`` and ``completion_tokens`` with
no cache split, so ``cached_tokens`` is unknown. ``agent_cost`` is the run's recorded cost. ``max_steps`` ends a
run with status ``limit``, an error termination with ``error``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..datasets.tau2_bench import REWARD_TOLERANCE, results_tables
from ..schema import SchemaError
from ._common import LogFormatError, RunRecord
from ._usage import normalise

__all__ = ["read", "looks_like_results"]

_KINDS = {"llm_call": "model", "fixed_message": "message", "tool_result": "tool"}
_STATUS = {"max_steps": "limit", "too_many_errors": "error", "agent_error": "error", "user_error": "error"}


def looks_like_results(head: str) -> bool:
    """Whether the first bytes of a ``.json`` file are those of a tau2-bench results file."""
    return '"user_info"' in head and '"num_trials"' in head


def read(path: Path, threshold: float = 1.0) -> tuple[list[RunRecord], dict]:
    """The runs of one results file (one per simulation) and its ``files`` row."""
    try:
        runs, steps = results_tables(path, label=path.stem)
    except SchemaError as error:
        raise LogFormatError(str(error)) from None
    by_run: dict[str, list[dict]] = {}
    for step in steps:
        by_run.setdefault(step["run_id"], []).append(step)
    records = [_record(run, by_run.get(run["run_id"], []), threshold) for run in runs]
    row = {"path": str(path), "format": "tau2", "status": "success", "runs": len(records), "note": ""}
    return records, row


def _record(run: dict, steps: list[dict], threshold: float) -> RunRecord:
    agent_model, user_model = run["model"], run["user_model"]
    return RunRecord(
        {
            "run_id": run["run_id"],
            "task": run["task"],
            "suite": run["suite"],
            "architecture": run["architecture"],
            "n_agents": 1,
            "model": agent_model,
            "seed": int(run["seed"]),
            "success": run["score"] >= threshold - REWARD_TOLERANCE,
            "score": run["score"],
            "status": _STATUS.get(str(run["termination_reason"]), "success"),
            "latency_s": _known(run["latency_s"]),
            "cost_usd": _known(run["cost_usd"]),
            "user_model": user_model,
            "user_prompt_tokens": run["user_prompt_tokens"],
            "user_completion_tokens": run["user_completion_tokens"],
            "user_cost_usd": _known(run["user_cost_usd"]),
            "termination_reason": run["termination_reason"],
        },
        [_step(step, agent_model, user_model) for step in steps],
    )


def _step(step: dict, agent_model: str, user_model: str) -> dict:
    user = step["agent_id"] == "user_simulator"
    kind = "user simulator" if user else _KINDS[step["kind"]]
    row = {
        "agent_id": step["agent_id"],
        "role": step["role"],
        "turn": step["turn"],
        "kind": kind,
        "content": step["content"],
        "tool_calls": step["tool_calls"],
        "cost_usd": _known(step["cost_usd"]) if kind in ("model", "user simulator") else pd.NA,
        "tool_name": step["tool_name"],
    }
    if kind in ("model", "user simulator"):
        row["model"] = user_model if user else agent_model
        row |= normalise(step["prompt_tokens"], step["completion_tokens"])
    return row


def _known(value):
    return pd.NA if value is None else float(value)
