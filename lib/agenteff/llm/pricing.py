"""Cost of a call from its token usage and a price table (USD per million tokens).

The default table is ``data/prices.csv`` (registry entry ``model-prices``; dated, one source per row). A model id
is matched exactly first, then without a ``provider/`` prefix (LiteLLM style), then by the longest table entry it
starts with followed by ``-`` (dated snapshots such as ``gpt-4o-2024-08-06`` are priced as ``gpt-4o``). A simulated
model is billed at the list price of the real model it names in ``SimModel.priced_as``:
:meth:`PriceTable.priced_as` adds those stand-ins to a table.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

__all__ = ["Price", "PriceTable", "call_cost"]


@dataclass(frozen=True)
class Price:
    model: str
    input_usd_per_mtok: float
    cached_input_usd_per_mtok: float
    output_usd_per_mtok: float
    cache_write_usd_per_mtok: float | None = None  # None: writing to the cache costs the input price


def call_cost(
    price: Price | None,
    prompt_tokens: int,
    completion_tokens: int,
    cached_tokens: int = 0,
    cache_write_tokens: int = 0,
) -> float:
    """USD of one call. ``prompt_tokens`` counts every prompt token: those read from the provider's cache are
    billed at the cached rate, those written to it at the cache-write rate, the rest at the input rate;
    completion tokens (reasoning tokens are part of them, as endpoints report usage) at the output rate.
    NaN when the model has no price."""
    if price is None:
        return math.nan
    uncached = max(prompt_tokens - cached_tokens - cache_write_tokens, 0)
    write_rate = price.input_usd_per_mtok if price.cache_write_usd_per_mtok is None else price.cache_write_usd_per_mtok
    return (
        uncached * price.input_usd_per_mtok
        + cached_tokens * price.cached_input_usd_per_mtok
        + cache_write_tokens * write_rate
        + completion_tokens * price.output_usd_per_mtok
    ) / 1e6


def _optional_rate(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


class PriceTable:
    """Look up the price of a model id in a table with the ``prices`` schema."""

    def __init__(self, table: pd.DataFrame):
        self._prices = {
            row.model: Price(
                row.model,
                float(row.input_usd_per_mtok),
                float(
                    row.input_usd_per_mtok if pd.isna(row.cached_input_usd_per_mtok) else row.cached_input_usd_per_mtok
                ),
                float(row.output_usd_per_mtok),
                _optional_rate(getattr(row, "cache_write_usd_per_mtok", None)),
            )
            for row in table.itertuples(index=False)
        }
        self._matches: dict[str, Price | None] = {}

    @classmethod
    def load(cls, prices=None) -> PriceTable:
        """From None (the project's table), a path to a CSV, a DataFrame, or ``{model: {input, cached_input,
        cache_write, output}}`` in USD per million tokens (``cached_input`` and ``cache_write`` default to
        ``input``)."""
        from ..datasets import load
        from ..datasets.prices import PRICES
        from ..schema import read_table, validate

        if isinstance(prices, PriceTable):
            return prices
        if prices is None:
            return cls(load("model-prices"))
        if isinstance(prices, (str, os.PathLike)):
            return cls(read_table(Path(prices), PRICES))
        if isinstance(prices, dict):
            prices = pd.DataFrame(
                [
                    {
                        "model": model,
                        "provider": "user",
                        "input_usd_per_mtok": p["input"],
                        "cached_input_usd_per_mtok": p.get("cached_input", p["input"]),
                        "cache_write_usd_per_mtok": p.get("cache_write", p["input"]),
                        "output_usd_per_mtok": p["output"],
                        "as_of": "",
                        "source": "given by the user",
                    }
                    for model, p in prices.items()
                ],
                columns=PRICES.names,
            )
        return cls(validate(prices, PRICES))

    def priced_as(self, stand_ins: dict[str, str]) -> PriceTable:
        """A copy in which each model id ``name`` of ``{name: real model}`` costs what its real model costs
        (looked up by the rules above); a real model without a price is an error, not a silently free model."""
        resolved = {name: self.lookup(real) for name, real in stand_ins.items()}
        unpriced = sorted(stand_ins[name] for name, price in resolved.items() if price is None)
        if unpriced:
            raise ValueError(
                f"no price for {unpriced}, which simulated models are priced as: add a row to "
                "data/prices.csv or pass prices={...}"
            )
        table = PriceTable(pd.DataFrame(columns=["model"]))
        table._prices = self._prices | {name: price for name, price in resolved.items() if price is not None}
        return table

    def lookup(self, model: str) -> Price | None:
        if model not in self._matches:
            self._matches[model] = self._match(model)
        return self._matches[model]

    def _match(self, model: str) -> Price | None:
        for candidate in self._candidates(model):
            if candidate in self._prices:
                return self._prices[candidate]
        prefixes = [m for m in self._prices if any(c.startswith(m + "-") for c in self._candidates(model))]
        return self._prices[max(prefixes, key=len)] if prefixes else None

    @staticmethod
    def _candidates(model: str) -> list[str]:
        bare = model.rsplit("/", 1)[-1]
        return [model, bare]
