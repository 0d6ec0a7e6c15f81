"""Agentic markets: welfare accounting of Magentic-style markets, and two seeded mechanisms.

Welfare accounting follows the Magentic Marketplace definition (arXiv:2510.25779; the authors'
``baseline_utilities.py`` and ``run_analytics.py``, re-implemented): a customer requests items with reference
prices and some amenities; buying the items from a business that offers every requested amenity is worth twice
the sum of the reference prices, minus the price paid; buying elsewhere is worth minus the price paid. All money
is handled in integer cents, so sums are exact and independent of the order of addition.

Mechanisms (deterministic from a seed, seconds on a laptop core):

* :func:`simulate_marketplace`: businesses answer a customer's search with proposals that arrive in order of
  their response latency; the customer's assistant chooses with a policy (first proposal, best of the first k,
  a noisy ranker, or an LLM through :class:`agenteff.llm.LLMClient`).
* :func:`simulate_crash`: Agent Bazaar's THE_CRASH with rule-based firms (undercut the cheapest rival by a
  margin, or hold a price floor as a stabilizer) and price-sensitive consumers.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["cents", "market_options"]


def cents(dollars) -> np.ndarray:
    """Dollar amounts with two decimals as exact integer cents."""
    return np.rint(np.asarray(dollars, dtype=float) * 100).astype(np.int64)


def market_options(tables: dict[str, pd.DataFrame], market: str) -> pd.DataFrame:
    """Every (customer, business) pair of ``market`` where the business sells all the customer's items.

    Columns: customer_id, business_id, price (cents, sum of menu prices of the requested items), value (cents,
    twice the sum of reference prices), amenities_met (every requested amenity offered), utility (cents).
    ``tables`` are those of the ``magentic-markets`` data set (or hand-made ones with the same columns).
    """
    wanted = tables["customer_items"].query("market == @market")
    menus = tables["business_items"].query("market == @market")
    if wanted.empty:
        raise ValueError(f"market {market!r} has no customers; known: {sorted(set(tables['customer_items']['market']))}")
    wanted = wanted.assign(reference=cents(wanted["reference_price"]))
    n_items = wanted.groupby("customer_id").size().rename("n_items")
    offers = wanted.merge(menus.assign(menu=cents(menus["price"])), on=["market", "item"])
    pairs = offers.groupby(["customer_id", "business_id"]).agg(
        items=("item", "size"), price=("menu", "sum"), reference=("reference", "sum")).reset_index()
    pairs = pairs.join(n_items, on="customer_id").query("items == n_items")
    required = tables["customer_amenities"].query("market == @market")
    offered = tables["business_amenities"].query("market == @market and offered")
    needs = required.groupby("customer_id").size()
    met = (required.merge(offered, on=["market", "amenity"]).groupby(["customer_id", "business_id"]).size()
           .rename("met").reset_index())
    pairs = pairs.merge(met, on=["customer_id", "business_id"], how="left").fillna({"met": 0})
    pairs["amenities_met"] = pairs["met"].to_numpy() >= pairs["customer_id"].map(needs).fillna(0).to_numpy()
    pairs["value"] = 2 * pairs["reference"]
    pairs["utility"] = np.where(pairs["amenities_met"], pairs["value"] - pairs["price"], -pairs["price"])
    columns = ["customer_id", "business_id", "price", "value", "amenities_met", "utility"]
    out = pairs[columns].sort_values(["customer_id", "business_id"]).reset_index(drop=True)
    unserved = sorted(set(n_items.index) - set(out["customer_id"]))
    if unserved:
        raise ValueError(f"market {market!r}: no business sells every item of customer(s) {unserved}")
    return out.astype({"price": "int64", "value": "int64", "utility": "int64", "amenities_met": bool})
