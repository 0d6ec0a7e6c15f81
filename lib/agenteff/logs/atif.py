"""ATIF trajectories (Harbor, Terminal-Bench 2): ``trajectory.json`` files, their continuation files and Harbor's
trial ``result.json``.

A trajectory and its continuations (``continued_trajectory_ref``, written when the agent summarised its context
and handed off) are one run. Each file's ``final_metrics`` are that file's own totals, summarisation calls that
appear in no step included, so the run's tokens and recorded cost are the sum of the files' ``final_metrics``
(the steps' own sums when a file has none). Steps a continuation copies from before the hand-off
(``is_copied_context``) are not repeated. ``prompt_tokens`` includes ``cached_tokens`` in ATIF, as here.
Per-step log-probabilities (``metrics.logprobs``) go to STEPS. The outcome is the verifier's reward in Harbor's
``result.json`` beside the trajectory (or one folder up), else the user's outcomes file.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from .. import schema
from ._common import RunRecord, fail, outcome_fields

__all__ = ["read", "read_trajectory", "trajectory_tables", "is_continuation"]

_CONTINUATION = re.compile(r"\.cont-\d+\.json$")
_ROLES = {"agent": "single", "user": "user", "system": "system"}


def is_continuation(path: Path) -> bool:
    return bool(_CONTINUATION.search(path.name))


def read(path: Path, outcomes: dict | None = None, threshold: float = 1.0) -> tuple[list[RunRecord], dict]:
    """The run of one trajectory (with its continuations) and its ``files`` row."""
    record, files = read_trajectory(path, outcomes)
    record.run |= _outcome(path, record.run["run_id"], outcomes, threshold)
    note = f"{len(files) - 1} continuation file(s)" if len(files) > 1 else ""
    row = {"path": str(path), "format": "atif", "status": record.run["status"], "runs": 1, "note": note}
    return [record], row


def read_trajectory(path: Path, outcomes: dict | None = None) -> tuple[RunRecord, list[Path]]:
    """A trajectory and its continuations as one run, without its outcome, and the files read."""
    chain = [_load(path)]
    files = [path]
    while ref := chain[-1].get("continued_trajectory_ref"):
        nxt = _continuation(files[-1], ref)
        if nxt is None:
            fail(files[-1], None, "continued_trajectory_ref", f"the continuation {ref!r} is not beside it")
        files.append(nxt)
        chain.append(_load(nxt))
    root = chain[0]
    agent = root.get("agent") or {}
    model = agent.get("model_name") or "unknown"
    run_id = str(root.get("session_id") or path.stem)
    if run_id == "NORMALIZED_SESSION_ID" or outcomes is not None and run_id not in outcomes:
        run_id = path.name.removesuffix(".json")  # golden-test fixtures share one placeholder id
    steps = []
    for doc, source in zip(chain, files):
        for position, step in enumerate(doc.get("steps") or []):
            if not step.get("is_copied_context"):
                steps.append(_step(step, model, source, f"steps[{position}]"))
    run = {
        "run_id": run_id,
        "task": run_id,
        "suite": "atif",
        "architecture": str(agent.get("name") or "unknown"),
        "n_agents": 1,
        "model": model,
        "seed": 0,
        **_totals(chain),
    }
    return RunRecord(run, steps), files


def trajectory_tables(paths: list[Path]) -> dict[str, pd.DataFrame]:
    """Trajectories whose outcome is not known: per-trajectory totals and validated STEPS (no RUNS, which needs
    an outcome)."""
    records = [read_trajectory(path)[0] for path in paths]
    steps = [
        {"run_id": r.run["run_id"], "step": position, "round": 0, **step}
        for r in records
        for position, step in enumerate(r.steps)
    ]
    return {
        "trajectories": pd.DataFrame([r.run for r in records]),
        "steps": schema.validate(pd.DataFrame(steps), schema.STEPS, source="ATIF trajectories (steps)"),
    }


def _load(path: Path) -> dict:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        fail(path, None, None, f"not valid JSON (truncated?): {exc}")
    version = str(doc.get("schema_version", ""))
    if not version.startswith("ATIF-v1."):
        fail(path, None, "schema_version", f"{version!r} is not an ATIF v1 trajectory")
    return doc


def _continuation(previous: Path, ref: str) -> Path | None:
    for candidate in (previous.parent / ref, previous.parent / previous.name.replace("trajectory.json", ref)):
        if candidate.exists() and candidate != previous:
            return candidate
    stem = re.sub(r"\.cont-\d+$", "", previous.name.removesuffix(".json"))
    suffix = ref.removeprefix("trajectory")
    candidate = previous.parent / f"{stem}{suffix}"
    return candidate if candidate.exists() else None


def _step(step: dict, model: str, path: Path, where: str) -> dict:
    metrics = step.get("metrics") or {}
    calls = step.get("tool_calls") or []
    source = step.get("source")
    if not isinstance(source, str) or source not in _ROLES:
        fail(path, where, "source", f"{source!r} is not one of {sorted(_ROLES)}")
    role = _ROLES[source]
    logprobs = metrics.get("logprobs")
    called = role == "single" and ("prompt_tokens" in metrics or "completion_tokens" in metrics)
    row = {
        "agent_id": "agent" if role == "single" else role,
        "role": role,
        "turn": 0,
        "kind": "model" if called else "message",
        "model": step.get("model_name") or model if role == "single" else pd.NA,
        "content": _content(step.get("message")),
        "tool_calls": json.dumps(
            [{"name": c.get("function_name"), "arguments": c.get("arguments")} for c in calls], sort_keys=True
        )
        if calls
        else pd.NA,
        "prompt_tokens": metrics.get("prompt_tokens", pd.NA),
        "completion_tokens": metrics.get("completion_tokens", pd.NA),
        "cached_tokens": metrics.get("cached_tokens", pd.NA),
        "cost_usd": metrics.get("cost_usd", pd.NA),
        "logprobs": json.dumps([_logprob(v, path, where) for v in logprobs]) if logprobs else pd.NA,
    }
    if called and "cached_tokens" in metrics:
        row["cache_convention"] = "input_includes_cache"
    return row


def _logprob(value, path: Path, where: str) -> float:
    number = value.get("logprob") if isinstance(value, dict) else value
    if not isinstance(number, int | float):
        fail(path, where, "metrics.logprobs", f"{value!r} is not a log-probability")
    return float(number)


def _content(message) -> object:
    if message is None:
        return pd.NA
    if isinstance(message, list):
        return "\n".join(str(p.get("text", "")) for p in message if isinstance(p, dict))
    return str(message)


def _totals(chain: list[dict]) -> dict:
    sums = {"prompt_tokens": 0, "completion_tokens": 0, "cached_tokens": 0, "cost_usd": 0.0}
    keys = {
        "prompt_tokens": "total_prompt_tokens",
        "completion_tokens": "total_completion_tokens",
        "cached_tokens": "total_cached_tokens",
        "cost_usd": "total_cost_usd",
    }
    for doc in chain:
        final = doc.get("final_metrics") or {}
        step_metrics = [s.get("metrics") or {} for s in doc.get("steps") or [] if not s.get("is_copied_context")]
        for ours, theirs in keys.items():
            if final.get(theirs) is not None:
                value = final[theirs]
            else:
                values = [m.get(ours) for m in step_metrics if m]
                value = sum(values) if values and all(v is not None for v in values) else None
            if value is None:
                sums[ours] = pd.NA
            elif not pd.isna(sums[ours]):
                sums[ours] += value
    return sums | {"cost_source": "none" if pd.isna(sums["cost_usd"]) else "recorded"}


def _outcome(path: Path, run_id: str, outcomes: dict | None, threshold: float) -> dict:
    if outcomes is not None and run_id in outcomes:
        return outcome_fields(outcomes[run_id], threshold) | {"status": "success"}
    for folder in (path.parent, path.parent.parent):
        result = folder / "result.json"
        if result.exists():
            return _harbor_result(result, threshold)
    fail(
        path,
        f"run {run_id!r}",
        "outcome",
        "no Harbor result.json beside the trajectory and no outcomes file entry: pass outcomes=<file> "
        "with run_id and success (or score)",
    )


def _harbor_result(path: Path, threshold: float) -> dict:
    try:
        result = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        fail(path, None, None, f"not valid JSON: {exc}")
    rewards = (result.get("verifier_result") or {}).get("rewards") or {}
    if result.get("exception_info"):
        return {"success": False, "score": pd.NA, "status": "error"}
    if "reward" not in rewards:
        fail(path, None, "verifier_result.rewards.reward", "the trial has no reward")
    reward = float(rewards["reward"])
    return {"success": reward >= threshold, "score": reward, "status": "success"}
