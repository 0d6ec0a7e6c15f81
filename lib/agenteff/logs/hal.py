"""HAL (princeton-pli/hal-harness) ``<run_id>_UPLOAD.json``, in both layouts of ``raw_logging_results``.

One task of a HAL run is one run here; repetitions appear as run ids ending ``_r0``, ``_r1``, ... and become the
seed. Each task's outcome is its ``raw_eval_results`` reward (or the listing in ``results.successful_tasks``).
Model calls come from ``raw_logging_results``: before hal-harness PR #147 a list of Weave calls (``weave_task_id``,
``summary.usage`` by model), after it a dict task -> ``{call_metadata: [{usage, ...}], model}``. HAL's usage
follows the Anthropic/OpenAI fields (``prompt_tokens`` with or without ``cache_read_input_tokens``): a call
whose cache reads exceed its prompt tokens left them out, and Anthropic models' prompt tokens never hold them. HAL's run-level ``total_cost`` prices cache reads at the
full input price, so it is not used; a task's own ``cost`` in ``raw_eval_results`` is kept as recorded.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from ._common import RunRecord, fail, score_value
from ._usage import normalise

__all__ = ["read"]

_REPETITION = re.compile(r"_r(\d+)$")


def read(path: Path, threshold: float = 1.0) -> tuple[list[RunRecord], dict]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        fail(path, None, None, f"not valid JSON (truncated?): {exc}")
    config = doc.get("config") or {}
    for field_name in ("config", "raw_eval_results"):
        if not isinstance(doc.get(field_name), dict):
            fail(path, None, field_name, "missing: not a HAL upload")
    run_name = str(config.get("run_id") or path.name.removesuffix("_UPLOAD.json"))
    repetition = _REPETITION.search(run_name)
    calls = _calls(doc.get("raw_logging_results"), path)
    successful = set(map(str, (doc.get("results") or {}).get("successful_tasks") or []))
    default_model = next(iter(doc.get("total_usage") or {}), "unknown")
    latencies = (doc.get("results") or {}).get("latencies") or {}
    records = []
    for task, result in sorted(doc["raw_eval_results"].items()):
        where = f"raw_eval_results[{task!r}]"
        task_calls = calls.get(str(task), [])
        score = _reward(result, path, where)
        if pd.isna(score):
            success = str(task) in successful
        else:
            success = score >= threshold
        steps = [
            {
                "agent_id": "agent",
                "role": "single",
                "turn": turn,
                "kind": "model",
                "model": model,
                "latency_s": latency,
                **_usage(model, usage, path, f"{where} call {turn}"),
            }
            for turn, (model, usage, latency) in enumerate(task_calls)
        ]
        run = {
            "run_id": f"{run_name}:{task}",
            "task": str(task),
            "suite": str(config.get("benchmark_name") or "hal"),
            "architecture": str(config.get("agent_name") or "hal"),
            "n_agents": 1,
            "model": task_calls[0][0] if task_calls else default_model,
            "seed": int(repetition.group(1)) if repetition else 0,
            "success": bool(success),
            "score": score,
            "status": "success",
            "latency_s": (latencies.get(str(task)) or {}).get("total_time", pd.NA),
        }
        cost = result.get("cost") if isinstance(result, dict) else None
        if cost is not None:
            run |= {"cost_usd": float(cost), "cost_source": "recorded"}
        records.append(RunRecord(run, steps))
    layout = "task dict (PR #147 on)" if isinstance(doc.get("raw_logging_results"), dict) else "Weave call list"
    note = f"raw_logging_results as a {layout}"
    return records, {"path": str(path), "format": "hal", "status": "success", "runs": len(records), "note": note}


def _reward(result, path: Path, where: str):
    if isinstance(result, dict):
        for key in ("reward", "score", "success"):
            if result.get(key) is not None:
                return score_value(result[key], path, where, key)
        return pd.NA
    return score_value(result, path, where, "value")


def _calls(raw, path: Path) -> dict[str, list[tuple[str, dict, object]]]:
    """task -> [(model, usage, latency_s)] in call order."""
    calls: dict[str, list] = {}
    if raw is None:
        return calls
    if isinstance(raw, dict):  # PR #147 on: task -> {call_metadata, model}
        for task, entry in raw.items():
            model = entry.get("model") or "unknown"
            for position, meta in enumerate(entry.get("call_metadata") or []):
                if "usage" not in meta:
                    fail(path, f"raw_logging_results[{task!r}].call_metadata[{position}]", "usage", "missing")
                calls.setdefault(str(task), []).append(
                    (meta.get("model") or model, meta["usage"], _seconds(meta.get("started_at"), meta.get("ended_at")))
                )
        return calls
    if not isinstance(raw, list):
        fail(path, None, "raw_logging_results", "neither a list of Weave calls nor a dict by task")
    for position, call in enumerate(raw):
        task = call.get("weave_task_id")
        if task is None:
            fail(path, f"raw_logging_results[{position}]", "weave_task_id", "missing")
        usage_by_model = (call.get("summary") or {}).get("usage") or {}
        for model, usage in usage_by_model.items():
            calls.setdefault(str(task), []).append(
                (model, usage, _seconds(call.get("started_at"), call.get("ended_at")))
            )
    return calls


def _usage(model: str, usage: dict, path: Path, where: str) -> dict:
    inp = usage.get("prompt_tokens", usage.get("input_tokens"))
    out = usage.get("completion_tokens", usage.get("output_tokens"))
    read = usage.get("cache_read_input_tokens")
    write = usage.get("cache_creation_input_tokens")
    if inp is None or out is None:
        fail(path, where, "usage.prompt_tokens", "a call without prompt or completion tokens")
    inp, out = int(inp), int(out)
    # Anthropic's prompt count never holds its cache tokens; others' may, unless the reads outnumber it
    excluded = "claude" in model or "anthropic" in model or int(read or 0) + int(write or 0) > int(inp)
    total = int(inp) + int(out) + (int(read or 0) + int(write or 0) if excluded else 0)
    return normalise(inp, out, total, read, write)


def _seconds(start, end) -> object:
    if not start or not end:
        return pd.NA
    try:
        return max((pd.Timestamp(end) - pd.Timestamp(start)).total_seconds(), 0.0)
    except ValueError:
        return pd.NA
