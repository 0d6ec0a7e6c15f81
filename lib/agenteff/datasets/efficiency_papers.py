"""Published efficiency figures carried in ``data/published/efficiency/`` (data card: README.md there).

One row per number: the paper, its arXiv id and version, where the number stands in the source, what it
measures, and its value and unit. Study 04 sets its own computations beside these.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..schema import Column, Schema, read_table

__all__ = ["PAPER_VALUES", "PAPER_VALUES_FILE", "parse", "paper_value"]

PAPER_VALUES_FILE = "published/efficiency/paper_values.csv"

PAPER_VALUES = Schema(
    "efficiency_paper_values",
    (
        Column("paper", "str", doc="short name of the paper"),
        Column("arxiv", "str", doc="arXiv id"),
        Column("version", "str", doc="paper version or repository commit the number was read from"),
        Column("location", "str", doc="table, section or figure of the source"),
        Column("quantity", "str", doc="what is measured"),
        Column("setting", "str", doc="model, benchmark and configuration"),
        Column("value", "float", doc="the published number"),
        Column("unit", "str", doc="unit of value"),
        Column("note", "str", nullable=True, doc="quotation or caveat"),
    ),
    unique=("paper", "version", "quantity", "setting"),
    doc="Published figures on agent cost and reliability, one row per number.",
    extra_columns=False,
)


def parse(files: dict[str, Path]) -> dict[str, pd.DataFrame]:
    """``{"paper_values": table}`` (parser for the data-set registry)."""
    return {"paper_values": read_table(files[PAPER_VALUES_FILE], PAPER_VALUES)}


def paper_value(table: pd.DataFrame, paper: str, quantity: str, setting: str | None = None) -> float:
    """The one published value matching ``paper``, ``quantity`` (and ``setting`` when several match)."""
    rows = table[(table["paper"] == paper) & (table["quantity"] == quantity)]
    if setting is not None:
        rows = rows[rows["setting"] == setting]
    if len(rows) != 1:
        raise KeyError(f"{len(rows)} published values match paper={paper!r}, quantity={quantity!r}, setting={setting!r}")
    return float(rows["value"].iloc[0])
