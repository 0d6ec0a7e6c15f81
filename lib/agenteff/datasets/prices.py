"""Parser of ``data/prices.csv``: USD per million tokens by model (registry entry ``model-prices``).

The table is carried in the repository with a data card (``data/prices.md``) giving the date and source of every
row; edit it, or pass your own table to :class:`agenteff.llm.LLMClient`, to price another endpoint.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..schema import Column, Schema, SchemaError, read_table

__all__ = ["PRICES", "parse"]

PRICES = Schema(
    name="prices",
    doc="List prices of model APIs in USD per million tokens, dated and sourced per row.",
    unique=("model",),
    columns=(
        Column("model", "str", doc="model id as the endpoint names it (dated snapshots match by prefix)"),
        Column("provider", "str", doc="who sells it"),
        Column("input_usd_per_mtok", "float", minimum=0, doc="prompt tokens not served from cache"),
        Column(
            "cached_input_usd_per_mtok",
            "float",
            nullable=True,
            minimum=0,
            doc="prompt tokens served from the provider's prompt cache (empty: billed as input)",
        ),
        Column("output_usd_per_mtok", "float", minimum=0, doc="completion tokens, reasoning tokens included"),
        Column(
            "cache_write_usd_per_mtok",
            "float",
            required=False,
            nullable=True,
            minimum=0,
            doc="prompt tokens written to the provider's prompt cache (empty or absent: billed as input)",
        ),
        Column("as_of", "str", doc="date the price was read from the source (YYYY-MM-DD)"),
        Column("source", "str", doc="the price page it was read from"),
    ),
)


def parse(files: dict[str, Path]) -> dict[str, pd.DataFrame]:
    path = files["prices.csv"]
    table = read_table(path, PRICES)
    dates = pd.to_datetime(table["as_of"], format="%Y-%m-%d", errors="coerce")
    if dates.isna().any():
        row = int(dates.isna().to_numpy().argmax())
        raise SchemaError(
            f"{path}: row {row + 1}, column 'as_of': expected a date YYYY-MM-DD, got {table['as_of'].iloc[row]!r}"
        )
    return {"prices": table}
