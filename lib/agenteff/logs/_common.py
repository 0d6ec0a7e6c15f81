"""What every reader shares: the error type, the imported-log container, token arithmetic and table assembly."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import pandas as pd

from .. import schema

__all__ = ["LogFormatError", "ImportedLog", "RunRecord", "fail", "assemble", "read_outcomes", "score_value"]


class LogFormatError(ValueError):
    """A log cannot be imported; the message names the file, the sample or span, and the field."""


def fail(path, where: str | None, field_name: str | None, message: str) -> NoReturn:
    parts = [str(path)]
    if where:
        parts.append(where)
    if field_name:
        parts.append(f"field {field_name!r}")
    raise LogFormatError(f"{': '.join(parts)}: {message}")


@dataclass
class RunRecord:
    """One run as a reader found it: its RUNS row (tokens may be left out: summed from the steps) and steps."""

    run: dict
    steps: list[dict] = field(default_factory=list)


@dataclass
class ImportedLog:
    """The validated tables of one or more imported logs, and one row per file read (``files``: path, format,
    log status, runs, note), so an error or cancelled log shows as such rather than as an empty success."""

    runs: pd.DataFrame
    steps: pd.DataFrame
    files: pd.DataFrame
    samples: pd.DataFrame | None = None

    def summary(self) -> pd.DataFrame:
        """Per model: runs, successes, accuracy, tokens, cost and how many runs have a known cost."""
        runs = self.runs
        if runs.empty:
            return pd.DataFrame(columns=["model", "runs", "successes", "accuracy", "prompt_tokens", "cost_usd"])
        grouped = runs.groupby("model", sort=True)
        table = grouped.agg(
            runs=("run_id", "size"),
            successes=("success", "sum"),
            prompt_tokens=("prompt_tokens", lambda s: s.sum(min_count=1)),
            completion_tokens=("completion_tokens", lambda s: s.sum(min_count=1)),
            priced_runs=("cost_usd", "count"),
            cost_usd=("cost_usd", lambda s: s.sum(min_count=1)),
        ).reset_index()
        table.insert(3, "accuracy", table["successes"] / table["runs"])
        return table


_RUN_TOKENS = ("prompt_tokens", "completion_tokens", "cached_tokens", "cache_write_tokens", "reasoning_tokens")


def _known_sum(values: list) -> object:
    """Sum of a run's per-call counts; unknown (NA) when any call's count is unknown, never a silent 0."""
    if not values or any(v is None or pd.isna(v) for v in values):
        return pd.NA
    return sum(values)


def _run_totals(record: RunRecord) -> dict:
    """Fill a run's token and cost columns the reader left out from its model-call steps (judge calls apart)."""
    run = dict(record.run)
    calls = [s for s in record.steps if s.get("kind", "").startswith("model")]
    agent = [s for s in calls if s.get("role") != "judge"]
    judge = [s for s in calls if s.get("role") == "judge"]
    for name in _RUN_TOKENS:
        if name not in run:
            run[name] = _known_sum([s.get(name) for s in agent]) if agent else pd.NA
    if "cost_usd" not in run:
        run["cost_usd"] = _known_sum([s.get("cost_usd") for s in agent]) if agent else pd.NA
        run["cost_source"] = "none" if pd.isna(run["cost_usd"]) else "recorded"
    if "judge_cost_usd" not in run:
        run["judge_cost_usd"] = _known_sum([s.get("cost_usd") for s in judge]) if judge else pd.NA
    run.setdefault("cost_source", "none" if pd.isna(run["cost_usd"]) else "recorded")
    run.setdefault("recorded_cost_usd", run["cost_usd"])
    return run


def assemble(records: list[RunRecord], files: list[dict], source: str) -> ImportedLog:
    """Validated RUNS and STEPS from the readers' records (``source`` names the input in any schema error)."""
    runs = [_run_totals(r) for r in records]
    steps = []
    for record in records:
        for position, step in enumerate(record.steps):
            row = {"run_id": record.run["run_id"], "step": position, "round": 0, **step}
            row.setdefault("cost_source", "none" if pd.isna(row.get("cost_usd", pd.NA)) else "recorded")
            row.setdefault("recorded_cost_usd", row.get("cost_usd", pd.NA))
            steps.append(row)
    run_frame = pd.DataFrame(runs, columns=_columns(schema.RUNS, runs, _RUN_COLUMNS))
    step_frame = pd.DataFrame(steps, columns=_columns(schema.STEPS, steps, _STEP_COLUMNS))
    return ImportedLog(
        runs=schema.validate(run_frame, schema.RUNS, source=f"{source} (runs)"),
        steps=schema.validate(step_frame, schema.STEPS, source=f"{source} (steps)"),
        files=pd.DataFrame(files, columns=["path", "format", "status", "runs", "note"]),
    )


#: Columns every imported table has, whatever its format filled, so analyses need not ask (missing: NA).
_RUN_COLUMNS = (*_RUN_TOKENS, "cost_usd", "cost_source", "recorded_cost_usd", "judge_cost_usd", "latency_s", "status")
_STEP_COLUMNS = (
    *_RUN_TOKENS,
    "content",
    "tool_calls",
    "latency_s",
    "kind",
    "model",
    "cost_usd",
    "cost_source",
    "recorded_cost_usd",
    "cache_convention",
    "logprobs",
)


def _columns(table_schema: schema.Schema, rows: list[dict], always: tuple[str, ...]) -> list[str]:
    """The schema's required columns, ``always``, and the optional ones a reader filled; then any extra ones."""
    present: dict[str, None] = dict.fromkeys(always)
    for row in rows:
        present.update(dict.fromkeys(row))
    named = [c.name for c in table_schema.columns if c.required or c.name in present]
    return named + [c for c in present if c not in named]


_LETTER_SCORES = {"C": 1.0, "P": 0.5, "I": 0.0, "N": 0.0}


def score_value(value, path, where: str, field_name: str) -> float:
    """A score as a number: Inspect's letters (C = 1, P = 0.5, I and N = 0), booleans, numbers, or the mean of
    a dict of those (a scorer that reports several values)."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if text.upper() in _LETTER_SCORES:
            return _LETTER_SCORES[text.upper()]
        try:
            return float(text)
        except ValueError:
            fail(path, where, field_name, f"cannot read {value!r} as a score (C, P, I, N, a number or a boolean)")
    if isinstance(value, dict) and value:
        parts = [score_value(v, path, where, f"{field_name}.{k}") for k, v in value.items()]
        return sum(parts) / len(parts)
    fail(path, where, field_name, f"cannot read {value!r} as a score")


def read_outcomes(path: str | os.PathLike) -> dict[str, dict]:
    """A user's outcomes file (CSV or JSON Lines) with ``run_id`` (or ``trace_id``) and ``success`` and/or
    ``score``, and optionally ``task``: ``{run id: {success, score, task}}``."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such outcomes file")
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        table = pd.DataFrame(rows)
    else:
        table = pd.read_csv(path, dtype={"run_id": str, "trace_id": str, "task": str})
    key = "run_id" if "run_id" in table else "trace_id" if "trace_id" in table else None
    if key is None:
        fail(path, None, "run_id", "an outcomes file needs a run_id (or trace_id) column")
    if "success" not in table and "score" not in table:
        fail(path, None, "success", "an outcomes file needs a success or a score column")
    outcomes = {}
    for position, row in enumerate(table.to_dict("records")):
        where = f"row {position + 1}"
        entry: dict[str, object] = {}
        if "score" in row and not pd.isna(row["score"]):
            entry["score"] = score_value(row["score"], path, where, "score")
        if "success" in row and not pd.isna(row["success"]):
            entry["success"] = schema.validate(pd.DataFrame({"success": [row["success"]]}), _SUCCESS, path)[
                "success"
            ].iloc[0]
        if "task" in row and not pd.isna(row["task"]):
            entry["task"] = str(row["task"])
        outcomes[str(row[key])] = entry
    return outcomes


_SUCCESS = schema.Schema("outcomes", (schema.Column("success", "bool"),))


def outcome_fields(outcome: dict, threshold: float) -> dict:
    """RUNS ``success`` and ``score`` from an outcome: ``success`` as given, else ``score >= threshold``."""
    score = outcome.get("score", pd.NA)
    success = outcome.get("success")
    if success is None:
        success = bool(score >= threshold)
    return {"success": bool(success), "score": score}
