"""The project's table schemas and their validation.

Every study reads and writes the same tables, so a user's own logs, once in one of these shapes, get every
analysis for free:

* ``RUNS``: one row per agent run (a task attempted by an architecture with a model and a seed);
* ``STEPS``: one row per message or action inside a run, joined to ``RUNS`` on ``run_id``;
* ``SAMPLES``: one row per sampled answer to a problem (length and overthinking analyses).

Study-specific tables of published figures (scaling configurations, leaderboards, node templates) are declared
with the same :class:`Schema` class next to their parsers.

:func:`validate` checks a frame against a schema and returns a copy with canonical dtypes. The first problem
found raises :class:`SchemaError` naming the source file, the 1-based data row and the column, so bad input is
caught on load and never half-processed. :func:`read_table` and :func:`write_table` validate on the way in and
out; writes go to a temporary file that replaces the target only when complete.
"""

from __future__ import annotations

import csv
import json
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "Column",
    "Schema",
    "SchemaError",
    "validate",
    "read_table",
    "write_table",
    "RUNS",
    "STEPS",
    "SAMPLES",
    "STEP_ROLES",
    "ARCHITECTURES",
    "RUN_STATUSES",
    "COST_SOURCES",
    "CACHE_CONVENTIONS",
]


class SchemaError(ValueError):
    """A table does not match its schema; the message names file, row and column."""


_KINDS = ("str", "int", "float", "bool", "float_list")  # float_list: JSON list of finite numbers, as text


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # one of _KINDS
    required: bool = True  # must the column be present?
    nullable: bool = False  # may a present column hold missing values?
    allowed: tuple | None = None
    minimum: float | None = None
    maximum: float | None = None
    doc: str = ""

    def __post_init__(self):
        if self.kind not in _KINDS:
            raise ValueError(f"column {self.name!r}: kind must be one of {_KINDS}, not {self.kind!r}")


@dataclass(frozen=True)
class Schema:
    name: str
    columns: tuple[Column, ...]
    unique: tuple[str, ...] = ()  # columns that together identify a row
    doc: str = ""
    extra_columns: bool = True  # keep columns the schema does not name

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def describe(self) -> pd.DataFrame:
        """The schema as a table, for documentation and the tour notebook."""
        return pd.DataFrame(
            [
                {
                    "column": c.name,
                    "type": c.kind,
                    "required": c.required,
                    "nullable": c.nullable,
                    "constraint": _constraint_text(c),
                    "meaning": c.doc,
                }
                for c in self.columns
            ]
        )


def _constraint_text(c: Column) -> str:
    parts = []
    if c.allowed is not None:
        parts.append("one of " + ", ".join(map(str, c.allowed)))
    if c.minimum is not None:
        parts.append(f">= {c.minimum:g}")
    if c.maximum is not None:
        parts.append(f"<= {c.maximum:g}")
    return "; ".join(parts)


def _fail(source, row_position, column, message):
    where = f"{source}: " if source else ""
    row = f"row {row_position + 1}, " if row_position is not None else ""
    raise SchemaError(f"{where}{row}column {column!r}: {message}")


def _show(value) -> str:
    """A value as the user wrote it (numpy scalars shown as plain numbers)."""
    return repr(value.item() if isinstance(value, np.generic) else value)


_TRUE = {"true", "1", "yes", "t", "y"}
_FALSE = {"false", "0", "no", "f", "n"}


def _coerce(series: pd.Series, col: Column, source) -> pd.Series:
    if col.kind == "float_list":
        return _coerce_float_list(series, col, source)
    missing = series.isna()
    if missing.any() and not col.nullable:
        _fail(
            source,
            int(np.flatnonzero(missing.to_numpy())[0]),
            col.name,
            "missing value in a column that must be filled",
        )
    present = series[~missing]
    if col.kind == "str":
        out = series.astype("string")
    elif col.kind == "bool":

        def to_bool(v):
            if isinstance(v, (bool, np.bool_)):
                return bool(v)
            if isinstance(v, (int, np.integer, float, np.floating)) and v in (0, 1):
                return bool(v)
            text = str(v).strip().lower()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
            raise ValueError(v)

        values = []
        for pos, v in enumerate(series.to_numpy(dtype=object)):
            if pd.isna(v):
                values.append(pd.NA)
                continue
            try:
                values.append(to_bool(v))
            except ValueError:
                _fail(source, pos, col.name, f"expected true/false, got {_show(v)}")
        out = pd.Series(values, index=series.index, dtype="boolean")
    else:
        numeric = pd.to_numeric(series, errors="coerce")
        exact = numeric  # integers as written, before any trip through float64 rounds them
        if numeric.dtype == object:  # integers beyond 64 bits stay Python ints
            numeric = pd.Series(
                [float(v) if v is not None and not pd.isna(v) else np.nan for v in numeric],
                index=series.index,
                dtype="float64",
            )
        bad = numeric.isna() & ~missing
        if bad.any():
            pos = int(np.flatnonzero(bad.to_numpy())[0])
            _fail(source, pos, col.name, f"expected a number, got {_show(series.iloc[pos])}")
        values = numeric.to_numpy(dtype=float)
        infinite = np.isinf(values)  # inf, or a number too large for a float (1e400)
        if infinite.any():
            pos = int(np.flatnonzero(infinite)[0])
            _fail(source, pos, col.name, f"expected a finite number, got {_show(series.iloc[pos])}")
        if col.kind == "int":
            fractional = ~np.isnan(values) & (values != np.round(values))
            if fractional.any():
                pos = int(np.flatnonzero(fractional)[0])
                _fail(source, pos, col.name, f"expected a whole number, got {_show(series.iloc[pos])}")
            too_large = _outside_int64(exact, values)
            if too_large.any():
                pos = int(np.flatnonzero(too_large)[0])
                _fail(source, pos, col.name, f"{_show(series.iloc[pos])} is too large for a 64-bit integer")
            out = numeric.astype("Int64")
        else:
            out = numeric.astype("float64")
    if col.allowed is not None and len(present):
        allowed = set(col.allowed)
        for pos, v in enumerate(out.to_numpy(dtype=object)):
            if not pd.isna(v) and v not in allowed:
                _fail(source, pos, col.name, f"{_show(v)} is not one of {sorted(map(str, allowed))}")
    if col.minimum is not None or col.maximum is not None:
        values = out.astype("float64").to_numpy()
        lo = col.minimum if col.minimum is not None else -np.inf
        hi = col.maximum if col.maximum is not None else np.inf
        outside = ~np.isnan(values) & ((values < lo) | (values > hi))
        if outside.any():
            pos = int(np.flatnonzero(outside)[0])
            _fail(source, pos, col.name, f"{_show(out.iloc[pos])} is outside [{lo:g}, {hi:g}]")
    return out


def _outside_int64(exact: pd.Series, values: np.ndarray) -> np.ndarray:
    """Which values do not fit a signed 64-bit integer, judged on the exact integers where pandas kept them
    (float64 rounds 2**63 - 1 up to 2**63)."""
    if exact.dtype.kind == "i":
        return np.zeros(len(values), dtype=bool)
    if exact.dtype.kind == "u":
        return exact.to_numpy() > np.iinfo(np.int64).max
    if exact.dtype == object:
        return np.array([not pd.isna(v) and not -(2**63) <= int(v) < 2**63 for v in exact], dtype=bool)
    return (values >= 2.0**63) | (values < -(2.0**63))


def _json_numbers(text) -> np.ndarray | None:
    """The numbers of a JSON list of numbers, or None when ``text`` is not one."""
    try:
        values = json.loads(text) if isinstance(text, str) else None
        numbers = np.asarray(values, dtype="float64")
    except (ValueError, TypeError):
        return None
    return numbers if isinstance(values, list) and numbers.ndim == 1 else None


def _coerce_float_list(series: pd.Series, col: Column, source) -> pd.Series:
    """Check each cell is a JSON list of finite numbers within the column's bounds; keep the text."""
    lo = col.minimum if col.minimum is not None else -np.inf
    hi = col.maximum if col.maximum is not None else np.inf
    for pos, text in enumerate(series.to_numpy(dtype=object)):
        if text is None or (not isinstance(text, str) and pd.isna(text)):
            if not col.nullable:
                _fail(source, pos, col.name, "missing value in a column that must be filled")
            continue
        numbers = _json_numbers(text)
        if numbers is None:
            _fail(source, pos, col.name, f"expected a JSON list of numbers, got {_show(text)[:80]}")
        else:
            bad = ~np.isfinite(numbers) | (numbers < lo) | (numbers > hi)
            if bad.any():
                at = int(np.flatnonzero(bad)[0])
                _fail(
                    source,
                    pos,
                    col.name,
                    f"element {at} ({float(numbers[at])!r}) is not a finite number in [{lo:g}, {hi:g}]",
                )
    return series.astype("string")


def validate(frame: pd.DataFrame, schema: Schema, source: str | os.PathLike | None = None) -> pd.DataFrame:
    """Check ``frame`` against ``schema``; return a copy with canonical dtypes and the schema's columns first.

    ``source`` (usually the file the frame came from) is named in every error, with the 1-based data row and
    the column of the first problem.
    """
    source = str(source) if source is not None else schema.name
    if not isinstance(frame, pd.DataFrame):
        raise SchemaError(f"{source}: expected a table (pandas DataFrame), got {type(frame).__name__}")
    for col in schema.columns:
        if col.required and col.name not in frame.columns:
            raise SchemaError(f"{source}: column {col.name!r} is missing (schema {schema.name!r} needs {schema.names})")
    out = frame.reset_index(drop=True).copy()
    for col in schema.columns:
        if col.name in out.columns:
            out[col.name] = _coerce(out[col.name], col, source)
    if schema.unique:
        dup = out.duplicated(list(schema.unique), keep="first")
        if dup.any():
            pos = int(np.flatnonzero(dup.to_numpy())[0])
            key = ", ".join(f"{c}={out.iloc[pos][c]!r}" for c in schema.unique)
            _fail(
                source, pos, "+".join(schema.unique), f"duplicate row ({key}) in a table keyed by {list(schema.unique)}"
            )
    ordered = [c for c in schema.names if c in out.columns]
    rest = [c for c in out.columns if c not in ordered]
    if rest and not schema.extra_columns:
        raise SchemaError(f"{source}: column {rest[0]!r} is not part of schema {schema.name!r}")
    return out[ordered + rest]


def _check_csv_rows(path: Path) -> None:
    """Every data row has as many fields as the header: a file cut mid-row would otherwise read as missing
    values (and a cut ``False`` as ``F``)."""
    with open(path, newline="", encoding="utf-8") as handle:
        rows = csv.reader(handle)
        header = next(rows, None)
        if header is None:
            raise SchemaError(f"{path}: the file is empty (no header row)")
        for number, row in enumerate(rows, start=1):
            if row and len(row) != len(header):
                raise SchemaError(
                    f"{path}: row {number} has {len(row)} fields, the header {len(header)} "
                    f"(column {header[min(len(row), len(header)) - 1]!r} is the last one given): "
                    "the file is cut short or a field is not quoted"
                )


def read_csv(path: str | os.PathLike, **options) -> pd.DataFrame:
    """``pandas.read_csv(path, **options)`` of a regular file whose every data row has as many fields as its
    header, for parsers that reshape a CSV before validating it (a file cut short at a field boundary would
    otherwise load short, its missing fields as NaN). An empty file is left to pandas to refuse."""
    path = Path(path)
    _check_regular(path)
    if path.stat().st_size:
        _check_csv_rows(path)
    return pd.read_csv(path, **options)


def _read_csv(path: Path) -> pd.DataFrame:
    _check_csv_rows(path)
    return pd.read_csv(path, keep_default_na=True)


def _reader(path: Path):
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv
    if suffix == ".parquet":
        return pd.read_parquet
    if suffix in (".jsonl", ".ndjson"):
        return lambda p: pd.read_json(p, lines=True, dtype=False)
    raise SchemaError(f"{path}: unsupported table format {suffix!r} (use .csv, .parquet or .jsonl)")


# Reading and validating a table takes several times its size in memory: a bound keeps a wrong path (a disk
# image, a log) from exhausting the machine.
MAX_TABLE_BYTES = 1 << 30

_FILE_KINDS = (
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a folder"),
)


def _check_regular(path: Path) -> None:
    """A regular file within :data:`MAX_TABLE_BYTES` (a FIFO would block the read for ever, /dev/zero never end)."""
    try:
        info = path.stat()  # follows symlinks: a link to a regular file is fine
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: no such file") from None
    if not stat.S_ISREG(info.st_mode):
        kind = next((name for test, name in _FILE_KINDS if test(info.st_mode)), "not a file")
        raise SchemaError(f"{path}: not a regular file ({kind}); tables are read from files only")
    if info.st_size > MAX_TABLE_BYTES:
        raise SchemaError(
            f"{path}: {info.st_size:,} bytes, more than the {MAX_TABLE_BYTES:,} a table may have "
            "(agenteff.schema.MAX_TABLE_BYTES); is this the right file?"
        )


def read_table(path: str | os.PathLike, schema: Schema) -> pd.DataFrame:
    """Read a CSV, Parquet or JSON-lines file and validate it against ``schema``. Anything but a regular file of
    at most :data:`MAX_TABLE_BYTES` is refused before it is opened."""
    path = Path(path)
    _check_regular(path)
    try:
        frame = _reader(path)(path)
    except SchemaError:
        raise
    except Exception as exc:  # a parse error from pandas or pyarrow: say which file
        raise SchemaError(f"{path}: cannot be read as a table: {exc}") from exc
    return validate(frame, schema, source=path)


def write_table(frame: pd.DataFrame, path: str | os.PathLike, schema: Schema) -> Path:
    """Validate and write atomically: the target is replaced only by a complete file."""
    path = Path(path)
    table = validate(frame, schema, source=path)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        if suffix == ".csv":
            table.to_csv(tmp, index=False)
        elif suffix == ".parquet":
            table.to_parquet(tmp, index=False)
        elif suffix in (".jsonl", ".ndjson"):
            table.to_json(tmp, orient="records", lines=True)
        else:
            raise SchemaError(f"{path}: unsupported table format {suffix!r} (use .csv, .parquet or .jsonl)")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


# --- the three shared schemas -------------------------------------------------------------------------------

#: Beside ``model`` in RUNS and SAMPLES: servers such as llama.cpp answer under any model name asked.
_SERVED_MODEL = Column(
    "served_model",
    "str",
    required=False,
    nullable=True,
    doc="model id the reply reported (may differ from the one asked)",
)
#: The project's one list of multi-agent architectures, in the one order tables and figures use (the scaling
#: paper's). Here, in the core, because the data loaders and the engines both name them.
ARCHITECTURES = ("single", "independent", "centralized", "decentralized", "hybrid")
STEP_ROLES = ("single", "worker", "orchestrator", "aggregator", "peer", "user", "tool", "system", "judge")
#: How a run ended, as imported logs record it (a run with no status column is a completed one).
RUN_STATUSES = ("success", "error", "cancelled", "limit")
#: Where a cost came from: the log's own record, the project's (or the user's) price table, or nowhere.
COST_SOURCES = ("recorded", "repriced", "none")
#: How a logged call counted cached prompt tokens, decided per call from its totals (see agenteff.logs).
CACHE_CONVENTIONS = ("input_includes_cache", "input_excludes_cache", "no_cache_tokens", "from_version")


def _tokens(name: str, doc: str) -> Column:
    return Column(name, "int", required=False, nullable=True, minimum=0, doc=doc)


#: Optional columns of imported logs, the same in RUNS and STEPS.
_CACHE_WRITE = _tokens("cache_write_tokens", "prompt tokens written to the provider's cache (inside prompt_tokens)")
_REASONING = _tokens("reasoning_tokens", "reasoning tokens, when the log reports them (inside completion_tokens)")
_COST_SOURCE = Column(
    "cost_source", "str", required=False, nullable=True, allowed=COST_SOURCES, doc="where cost_usd came from"
)
_RECORDED_COST = Column(
    "recorded_cost_usd",
    "float",
    required=False,
    nullable=True,
    minimum=0,
    doc="the cost the log itself recorded, kept beside a re-priced cost_usd",
)

RUNS = Schema(
    name="runs",
    doc="One row per agent run: a task attempted by an architecture with a model and a seed.",
    unique=("run_id",),
    columns=(
        Column("run_id", "str", doc="unique id of the run; steps refer to it"),
        Column("task", "str", doc="task id within its suite"),
        Column("suite", "str", doc="benchmark or task suite"),
        Column(
            "architecture", "str", doc="single, independent, centralized, decentralized, hybrid, or a strategy name"
        ),
        Column("n_agents", "int", minimum=1, doc="agents in the system (orchestrators included)"),
        Column("model", "str", doc="model id as the endpoint names it"),
        _SERVED_MODEL,
        Column("seed", "int", doc="seed or trial index"),
        Column("success", "bool", doc="did the run solve the task?"),
        Column("score", "float", required=False, nullable=True, doc="graded score when finer than success"),
        Column("cost_usd", "float", required=False, nullable=True, minimum=0, doc="money spent on the run, USD"),
        Column("prompt_tokens", "int", required=False, nullable=True, minimum=0, doc="prompt tokens over all calls"),
        Column(
            "completion_tokens", "int", required=False, nullable=True, minimum=0, doc="completion tokens over all calls"
        ),
        Column(
            "cached_tokens",
            "int",
            required=False,
            nullable=True,
            minimum=0,
            doc="prompt tokens served from the provider's cache",
        ),
        Column("latency_s", "float", required=False, nullable=True, minimum=0, doc="wall time of the run, seconds"),
        Column("simulated", "bool", required=False, doc="true when the run came from the simulated endpoint"),
        Column("energy_mwh", "float", required=False, nullable=True, minimum=0, doc="energy measured for the run, mWh"),
        _CACHE_WRITE,
        _REASONING,
        _COST_SOURCE,
        _RECORDED_COST,
        Column(
            "judge_cost_usd",
            "float",
            required=False,
            nullable=True,
            minimum=0,
            doc="cost of grader calls, kept out of cost_usd",
        ),
        Column("status", "str", required=False, nullable=True, allowed=RUN_STATUSES, doc="how the run ended"),
    ),
)

STEPS = Schema(
    name="steps",
    doc="One row per message or action inside a run, in order.",
    unique=("run_id", "step"),
    columns=(
        Column("run_id", "str", doc="the run this step belongs to"),
        Column("step", "int", minimum=0, doc="0-based position of the step in the run"),
        Column("agent_id", "str", doc="which agent acted (or 'user', 'tool')"),
        Column("role", "str", allowed=STEP_ROLES, doc="the agent's role in the architecture"),
        Column("round", "int", minimum=0, doc="coordination round (0 for single-agent runs)"),
        Column("turn", "int", minimum=0, doc="the agent's own turn counter within the run"),
        Column("content", "str", required=False, nullable=True, doc="message text"),
        Column("tool_calls", "str", required=False, nullable=True, doc="JSON list of {name, arguments}"),
        Column("prompt_tokens", "int", required=False, nullable=True, minimum=0, doc="prompt tokens of this call"),
        Column(
            "completion_tokens", "int", required=False, nullable=True, minimum=0, doc="completion tokens of this call"
        ),
        Column(
            "cached_tokens", "int", required=False, nullable=True, minimum=0, doc="cached prompt tokens of this call"
        ),
        Column("latency_s", "float", required=False, nullable=True, minimum=0, doc="latency of this call, seconds"),
        Column("kind", "str", required=False, nullable=True, doc="what the step is (e.g. LLM call, tool call)"),
        Column(
            "energy_mwh", "float", required=False, nullable=True, minimum=0, doc="energy measured for this step, mWh"
        ),
        Column(
            "logprobs",
            "float_list",
            required=False,
            nullable=True,
            maximum=0,
            doc="JSON list of the log-probabilities of the step's generated tokens",
        ),
        Column("model", "str", required=False, nullable=True, doc="model that made this call"),
        Column("cost_usd", "float", required=False, nullable=True, minimum=0, doc="money spent on this call, USD"),
        _CACHE_WRITE,
        _REASONING,
        _COST_SOURCE,
        _RECORDED_COST,
        Column(
            "cache_convention",
            "str",
            required=False,
            nullable=True,
            allowed=CACHE_CONVENTIONS,
            doc="how the log counted cached tokens in this call's input",
        ),
    ),
)

SAMPLES = Schema(
    name="samples",
    doc="One row per sampled answer to a problem.",
    unique=("dataset", "problem_id", "model", "method", "sample_index"),
    columns=(
        Column("dataset", "str", doc="problem set"),
        Column("problem_id", "str", doc="problem id within the data set"),
        Column("model", "str", doc="model id"),
        _SERVED_MODEL,
        Column("method", "str", doc="sampling method or prompt variant"),
        Column("sample_index", "int", minimum=0, doc="0-based sample number for this problem and model"),
        Column("output", "str", required=False, nullable=True, doc="the full output text"),
        Column("completion_tokens", "int", required=False, nullable=True, minimum=0, doc="completion tokens"),
        Column("reasoning_tokens", "int", required=False, nullable=True, minimum=0, doc="reasoning tokens, when known"),
        Column("answer", "str", nullable=True, doc="extracted final answer"),
        Column("gold", "str", doc="reference answer"),
        Column("correct", "bool", doc="graded correct?"),
    ),
)
