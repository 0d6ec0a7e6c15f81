"""The agent logs users already have, read into the project's tables: every analysis then applies to them.

``load(path_or_folder)`` reads Inspect AI eval logs (``.eval``, ``.json``), ATIF trajectories (Harbor), OTLP JSON
Lines traces (GenAI or OpenInference attributes), HAL ``_UPLOAD.json`` files and tau2-bench results files, and
returns an :class:`ImportedLog`: validated RUNS and STEPS (SAMPLES too when every run is a single model call), and
one row per file read. ``reprice(log)`` prices every call with the project's table (or yours), keeping the cost each log
recorded beside it. Bad input raises :class:`LogFormatError` naming the file, the sample or span, and the field.

Conventions (see :mod:`agenteff.logs._usage`): ``prompt_tokens`` includes cache reads and writes,
``completion_tokens`` includes reasoning; unknown counts are NA, never 0; grader calls are steps of role ``judge``
and stay out of a run's tokens and ``cost_usd`` (``judge_cost_usd`` holds their cost).
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from .. import schema
from ..llm.pricing import PriceTable, call_cost
from ..progress import progress
from . import atif, hal, inspect, otlp, tau2
from ._common import ImportedLog, LogFormatError, RunRecord, assemble, read_outcomes

__all__ = ["load", "reprice", "write", "detect_format", "ImportedLog", "LogFormatError", "FORMATS"]

FORMATS = ("inspect", "atif", "otlp", "hal", "tau2")


def detect_format(path: Path) -> str | None:
    """The format of one file from its name and first bytes, or None when it is none of :data:`FORMATS`."""
    name = path.name.lower()
    if name.endswith(".eval"):
        return "inspect"
    if name.endswith("_upload.json"):
        return "hal"
    if name.endswith((".jsonl", ".ndjson")):
        with open(path, encoding="utf-8", errors="replace") as handle:
            head = handle.read(4096)
        return "otlp" if "resourceSpans" in head else None
    if name.endswith(".json"):
        with open(path, "rb") as handle:
            head = handle.read(4096).decode("utf-8", errors="replace")
        if '"schema_version"' in head and "ATIF" in head:
            return "atif"
        if tau2.looks_like_results(head):
            return "tau2"
        if '"version"' in head and '"eval"' in head or '"status"' in head and '"version"' in head:
            return "inspect"
        if '"resourceSpans"' in head:
            return "otlp"
    return None


def _files(paths, format: str) -> list[tuple[Path, str]]:
    found = []
    for given in [paths] if isinstance(paths, str | os.PathLike) else list(paths):
        path = Path(given)
        if not path.exists():
            raise FileNotFoundError(f"{path}: no such file or folder")
        candidates = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for candidate in candidates:
            if candidate.name == "result.json" or atif.is_continuation(candidate):
                continue  # read with the trajectory they belong to
            kind = format if format != "auto" else detect_format(candidate)
            if kind is None:
                if not path.is_dir():
                    raise LogFormatError(f"{candidate}: not a log of a known format ({', '.join(FORMATS)})")
                continue
            found.append((candidate, kind))
    if not found:
        raise LogFormatError(f"{paths}: no log of a known format ({', '.join(FORMATS)}) found")
    return found


def load(
    paths,
    format: str = "auto",
    *,
    scorer: str | None = None,
    threshold: float = 1.0,
    outcomes: str | os.PathLike | None = None,
) -> ImportedLog:
    """Read logs (a file, a folder searched recursively, or a list of them) into validated tables.

    ``format``: ``"auto"`` (by name and content) or one of :data:`FORMATS` for every file. ``scorer``: the
    Inspect score to read (``"name"``, or ``"name/key"`` for a dict-valued score; default: each sample's first).
    ``threshold``: a run succeeds when its score is at least this (1.0: full credit; Inspect's C = 1, P = 0.5).
    ``outcomes``: a CSV or JSON Lines file with ``run_id`` (or ``trace_id``) and ``success`` or ``score``, for
    traces and trajectories that do not record their outcome.
    """
    if format != "auto" and format not in FORMATS:
        raise ValueError(f"format must be 'auto' or one of {FORMATS}, not {format!r}")
    if not 0 <= threshold <= 1:
        raise ValueError(f"threshold must be in [0, 1], got {threshold!r}")
    outcome_table = read_outcomes(outcomes) if outcomes is not None else None
    records: list[RunRecord] = []
    rows = []
    files = _files(paths, format)
    for path, kind in progress(files, desc="reading logs", unit="file"):
        if kind == "inspect":
            found, row = inspect.read(path, scorer=scorer, threshold=threshold)
        elif kind == "atif":
            found, row = atif.read(path, outcomes=outcome_table, threshold=threshold)
        elif kind == "otlp":
            found, row = otlp.read(path, outcomes=outcome_table, threshold=threshold)
        elif kind == "tau2":
            found, row = tau2.read(path, threshold=threshold)
        else:
            found, row = hal.read(path, threshold=threshold)
        records.extend(found)
        rows.append(row)
    run_ids = [record.run["run_id"] for record in records]
    repeated = next((r for r in run_ids if run_ids.count(r) > 1), None) if len(set(run_ids)) < len(run_ids) else None
    if repeated is not None:
        raise LogFormatError(f"run {repeated!r} appears twice: the same log was given twice, or two logs share ids")
    log = assemble(records, rows, source=str(paths))
    log.samples = _single_call_samples(log)
    return log


def _single_call_samples(log: ImportedLog) -> pd.DataFrame | None:
    """SAMPLES when every run is one model call without tools (a single-call evaluation), else None."""
    if log.runs.empty or "content" not in log.steps:
        return None
    calls = log.steps[log.steps["kind"].str.startswith("model", na=False) & log.steps["role"].ne("judge")]
    if "tool_calls" in calls and calls["tool_calls"].notna().any():
        return None
    if (log.steps["role"] == "tool").any() or calls["run_id"].value_counts().reindex(log.runs["run_id"]).ne(1).any():
        return None
    call = calls.set_index("run_id").loc[log.runs["run_id"]].reset_index()
    frame = pd.DataFrame(
        {
            "dataset": log.runs["suite"].to_numpy(),
            "problem_id": log.runs["task"].to_numpy(),
            "model": log.runs["model"].to_numpy(),
            "method": log.runs["architecture"].to_numpy(),
            "sample_index": (log.runs["seed"].astype("int64") - 1).clip(lower=0).to_numpy(),
            "output": call["content"].to_numpy(),
            "completion_tokens": call["completion_tokens"].to_numpy(),
            "answer": log.runs["answer"].to_numpy() if "answer" in log.runs else pd.NA,
            "gold": log.runs["target"].fillna("").to_numpy() if "target" in log.runs else "",
            "correct": log.runs["success"].to_numpy(),
        }
    )
    return schema.validate(frame, schema.SAMPLES, source="imported logs (samples)")


def reprice(log: ImportedLog, prices=None) -> ImportedLog:
    """The same log with every model call priced from ``prices`` (None: the project's ``data/prices.csv``; a
    CSV path, a table, or ``{model: {input, cached_input, cache_write, output}}``).

    Each step's and run's ``cost_usd`` becomes the re-priced cost (``cost_source`` "repriced"), and
    ``recorded_cost_usd`` keeps what the log recorded. A run's cost sums its agent calls; grader calls go to
    ``judge_cost_usd``. Calls answered from Inspect's local cache cost nothing. A run whose recorded totals hold
    calls that are no step (ATIF's summarisation calls) is priced from its totals and its model. A call whose
    model has no price or whose tokens are unknown leaves its run's cost unknown (NA, cost_source "none").
    """
    table = PriceTable.load(prices)
    steps = log.steps.copy()
    costs = []
    for row in steps.itertuples(index=False):
        if not str(row.kind).startswith("model"):
            costs.append(pd.NA)
        elif str(row.kind) == "model (Inspect cache)":
            costs.append(0.0)
        else:
            costs.append(_call_price(table, row))
    priced = pd.Series(costs, index=steps.index, dtype="Float64")
    steps["cost_usd"] = priced.astype("float64")
    steps["cost_source"] = ["repriced" if not pd.isna(c) else "none" for c in priced]
    runs = log.runs.copy()
    is_call = steps["kind"].str.startswith("model", na=False)
    agent = steps[is_call & steps["role"].ne("judge")].groupby("run_id")["cost_usd"]
    judge = steps[is_call & steps["role"].eq("judge")].groupby("run_id")["cost_usd"]
    agent_cost = agent.apply(lambda s: s.sum() if s.notna().all() else float("nan"))
    judge_cost = judge.apply(lambda s: s.sum() if s.notna().all() else float("nan"))
    from_steps = runs["run_id"].map(agent_cost)
    from_runs = pd.Series(
        [_run_price(table, run) for run in runs.itertuples(index=False)], index=runs.index, dtype="float64"
    )
    agent_calls = steps[is_call & steps["role"].ne("judge")].groupby("run_id")[["prompt_tokens", "completion_tokens"]]
    step_tokens = agent_calls.sum(min_count=1)
    # steps price a run when they hold all its tokens; totals that also count calls logged as no step (ATIF's
    # context summarisation) price it from the totals instead
    whole = (
        runs["prompt_tokens"].eq(runs["run_id"].map(step_tokens["prompt_tokens"]))
        & runs["completion_tokens"].eq(runs["run_id"].map(step_tokens["completion_tokens"]))
    ).fillna(False)
    has_steps = runs["run_id"].isin(agent_cost.index) & (whole | runs["prompt_tokens"].isna())
    runs["cost_usd"] = from_steps.where(has_steps, from_runs).astype("float64")
    runs["judge_cost_usd"] = runs["run_id"].map(judge_cost).astype("float64")
    runs["cost_source"] = ["repriced" if not pd.isna(c) else "none" for c in runs["cost_usd"]]
    return ImportedLog(
        runs=schema.validate(runs, schema.RUNS, source="re-priced runs"),
        steps=schema.validate(steps, schema.STEPS, source="re-priced steps"),
        files=log.files,
        samples=log.samples,
    )


def _count(value) -> int:
    return 0 if pd.isna(value) else int(value)


def _call_price(table: PriceTable, row) -> float:
    if pd.isna(row.model) or pd.isna(row.prompt_tokens) or pd.isna(row.completion_tokens):
        return float("nan")
    return call_cost(
        table.lookup(str(row.model)),
        int(row.prompt_tokens),
        int(row.completion_tokens),
        _count(getattr(row, "cached_tokens", pd.NA)),
        _count(getattr(row, "cache_write_tokens", pd.NA)),
    )


def _run_price(table: PriceTable, run) -> float:
    """A run without call steps (a log with totals only) priced from its own totals."""
    if pd.isna(run.prompt_tokens) or pd.isna(run.completion_tokens):
        return float("nan")
    return call_cost(
        table.lookup(str(run.model)),
        int(run.prompt_tokens),
        int(run.completion_tokens),
        _count(getattr(run, "cached_tokens", pd.NA)),
        _count(getattr(run, "cache_write_tokens", pd.NA)),
    )


def write(log: ImportedLog, folder: str | os.PathLike) -> list[Path]:
    """Write ``runs.parquet``, ``steps.parquet`` (and ``samples.parquet``) into ``folder``, validated."""
    folder = Path(folder)
    written = [
        schema.write_table(log.runs, folder / "runs.parquet", schema.RUNS),
        schema.write_table(log.steps, folder / "steps.parquet", schema.STEPS),
    ]
    if log.samples is not None:
        written.append(schema.write_table(log.samples, folder / "samples.parquet", schema.SAMPLES))
    return written
