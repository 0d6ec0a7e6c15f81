"""Every number a paper states, in one schema: ``data/published/<topic>/paper_values.csv`` (a data card,
``README.md``, beside each file), registered together as the data set ``paper-values``.

One row per number: a key unique across all files (``<paper>/<quantity>``), the paper, its arXiv id and version,
where the number stands in the source, what it measures and under which setting, and the value: a point
(``value``), an interval or range the paper gives (``low``/``high``; a bound has one side), or neither for a
qualitative claim (its statement in ``quantity``). Studies look values up by key with
:func:`agenteff.datasets.paper_values` and pass them to :func:`agenteff.report.claim`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..report import PaperValues
from ..schema import Column, Schema, SchemaError, read_csv, validate

__all__ = ["PAPER_VALUES", "parse", "as_paper_values"]

PAPER_VALUES = Schema(
    "paper_values",
    (
        Column("key", "str", doc="unique across all files: <paper>/<quantity>, lower-case"),
        Column("paper", "str", doc="short name of the paper"),
        Column("arxiv", "str", nullable=True, doc="arXiv id, when the source is on arXiv"),
        Column("version", "str", doc="paper version, or repository and commit, the number was read from"),
        Column("location", "str", doc="table, section, figure or file of the source"),
        Column("quantity", "str", doc="what is measured (for a qualitative claim: the claim itself)"),
        Column("setting", "str", nullable=True, doc="model, benchmark and configuration"),
        Column("value", "float", nullable=True, doc="the published point value"),
        Column("low", "float", nullable=True, doc="lower end of a published interval or range (empty: unbounded)"),
        Column("high", "float", nullable=True, doc="upper end of a published interval or range (empty: unbounded)"),
        Column("unit", "str", nullable=True, doc="unit of value, low and high"),
        Column("note", "str", nullable=True, doc="quotation, what the interval is, or a caveat"),
    ),
    unique=("key",),
    doc="Published numbers of every paper the collection reproduces, one row per number.",
    extra_columns=False,
)


def _read(path: Path) -> pd.DataFrame:
    """One file, its text columns read as text: an arXiv id such as 2605.06110 must not become the number 2605.0611."""
    if not path.exists():
        raise SchemaError(f"{path}: no such file")
    text = {column.name: str for column in PAPER_VALUES.columns if column.kind == "str"}
    return validate(read_csv(path, dtype=text), PAPER_VALUES, source=path)


def parse(files: dict[str, Path]) -> dict[str, pd.DataFrame]:
    """``{"paper_values": table}``: all registered files, validated one by one, keys unique across files."""
    tables = [_read(path).assign(file=name) for name, path in files.items()]
    table = pd.concat(tables, ignore_index=True)
    repeated = table[table["key"].duplicated(keep=False)].sort_values("key")
    if not repeated.empty:
        first = repeated.iloc[0]
        raise SchemaError(
            f"{first['file']}: paper-value key {first['key']!r} is also used in "
            f"{', '.join(sorted(set(repeated.loc[repeated['key'] == first['key'], 'file'])))}"
        )
    return {"paper_values": table}


def as_paper_values(table: pd.DataFrame) -> PaperValues:
    """The table as a :class:`~agenteff.report.PaperValues` mapping, key -> :class:`~agenteff.report.PaperValue`."""
    return PaperValues.from_table(table)
