"""Magentic Marketplace: the released synthetic markets and their published welfare baselines.

Source: Bansal et al., 'Magentic Marketplace: An Open-Source Environment for Studying Agentic Markets',
arXiv:2510.25779; github.com/microsoft/multi-agent-marketplace (MIT), folder ``data/``. A market is a folder
``<name>/{customers,businesses}/*.yaml`` plus ``baseline_utilities.json``:

* a customer asks for some items, each with a reference price (what the item is worth to them: a met request is
  worth twice the sum of its reference prices), and for some amenities that the business must all offer;
* a business has a menu (item -> price), a table of amenities (name -> offered or not), a rating and a
  ``min_price_factor`` (how far it would discount, used by its negotiating agent);
* ``baseline_utilities.json`` holds the total customer welfare of four choosers computed by the authors: the
  optimal business, the cheapest, a random one and a random one with the requested amenities (the last two are
  statistics of 1,000 random draws: median with a bootstrap interval, quartiles, minimum, maximum).

Markets: ``mexican_{3_9,10_30,33_99,100_300}`` (restaurants) and ``contractors_{10_30,33_99,100_300}`` (home
services), named ``<domain>_<customers>_<businesses>``. Prices are read as given (dollars with two decimals).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import yaml

from ..schema import Column, Schema, validate

__all__ = [
    "parse",
    "CUSTOMERS",
    "CUSTOMER_ITEMS",
    "CUSTOMER_AMENITIES",
    "BUSINESSES",
    "BUSINESS_ITEMS",
    "BUSINESS_AMENITIES",
    "BASELINES",
    "BASELINE_NAMES",
]

_MARKET = Column("market", "str", doc="market folder, <domain>_<customers>_<businesses>")

CUSTOMERS = Schema(
    "magentic_customers",
    (
        _MARKET,
        Column("domain", "str", allowed=("mexican", "contractors")),
        Column("customer_id", "str"),
        Column("name", "str"),
        Column("request", "str", doc="the request in words, as the customer's assistant receives it"),
    ),
    unique=("market", "customer_id"),
    doc="One row per customer of a released market.",
    extra_columns=False,
)
CUSTOMER_ITEMS = Schema(
    "magentic_customer_items",
    (
        _MARKET,
        Column("customer_id", "str"),
        Column("item", "str"),
        Column("reference_price", "float", minimum=0, doc="the item's worth to the customer, USD"),
    ),
    unique=("market", "customer_id", "item"),
    doc="Items a customer requests, with their reference prices.",
    extra_columns=False,
)
CUSTOMER_AMENITIES = Schema(
    "magentic_customer_amenities",
    (_MARKET, Column("customer_id", "str"), Column("amenity", "str")),
    unique=("market", "customer_id", "amenity"),
    doc="Amenities a customer requires (all of them must be offered).",
    extra_columns=False,
)
BUSINESSES = Schema(
    "magentic_businesses",
    (
        _MARKET,
        Column("business_id", "str"),
        Column("name", "str"),
        Column("rating", "float", minimum=0, maximum=1),
        Column(
            "min_price_factor", "float", minimum=0, maximum=1, doc="lowest price the business accepts, x menu price"
        ),
        Column("progenitor_customer", "str", doc="the customer the generator built this business around"),
    ),
    unique=("market", "business_id"),
    doc="One row per business of a released market.",
    extra_columns=False,
)
BUSINESS_ITEMS = Schema(
    "magentic_business_items",
    (
        _MARKET,
        Column("business_id", "str"),
        Column("item", "str"),
        Column("price", "float", minimum=0, doc="menu price, USD"),
    ),
    unique=("market", "business_id", "item"),
    doc="A business's menu.",
    extra_columns=False,
)
BUSINESS_AMENITIES = Schema(
    "magentic_business_amenities",
    (_MARKET, Column("business_id", "str"), Column("amenity", "str"), Column("offered", "bool")),
    unique=("market", "business_id", "amenity"),
    doc="A business's amenity table (every amenity of the domain, offered or not).",
    extra_columns=False,
)
BASELINE_NAMES = ("optimal", "cheapest", "random", "random_with_amenities")
_JSON_BASELINES = {
    "pick_optimal_baseline": "optimal",
    "pick_cheapest_baseline": "cheapest",
    "pick_any_baseline": "random",
    "pick_any_with_amenities_baseline": "random_with_amenities",
}
BASELINES = Schema(
    "magentic_published_baselines",
    (
        _MARKET,
        Column("baseline", "str", allowed=BASELINE_NAMES),
        Column(
            "statistic",
            "str",
            allowed=("constant", "median", "median_ci_lower", "median_ci_upper", "q1", "q3", "min", "max"),
            doc="'constant' for the deterministic choosers; statistics of 1,000 draws for the random ones",
        ),
        Column("value", "float", doc="total customer welfare of the market, USD"),
    ),
    unique=("market", "baseline", "statistic"),
    doc="The published baseline welfare of each market (baseline_utilities.json).",
    extra_columns=False,
)

_FILE = re.compile(
    r"^data/(?:contractors/)?(?P<market>(?P<domain>mexican|contractors)_\d+_\d+)/"
    r"(?:(?P<kind>customers|businesses)/[^/]+\.ya?ml|baseline_utilities\.json)$"
)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader when built: ~1,100 files per load


def _record(path: Path, kind: str) -> dict:
    with open(path) as handle:
        record = yaml.load(handle, Loader=_LOADER)
    needed = {
        "customers": ("id", "name", "request", "menu_features", "amenity_features"),
        "businesses": (
            "id",
            "name",
            "rating",
            "progenitor_customer",
            "menu_features",
            "amenity_features",
            "min_price_factor",
        ),
    }[kind]
    if not isinstance(record, dict):
        raise ValueError(f"{path}: expected a mapping with keys {needed}, got {type(record).__name__}")
    missing = [key for key in needed if key not in record]
    if missing:
        raise ValueError(f"{path}: missing key(s) {missing}")
    if not isinstance(record["menu_features"], dict) or not record["menu_features"]:
        raise ValueError(f"{path}: menu_features must be a non-empty mapping item -> price")
    amenities = record["amenity_features"]
    if not isinstance(amenities, list if kind == "customers" else dict):
        raise ValueError(f"{path}: amenity_features must be a {'list' if kind == 'customers' else 'mapping'}")
    return record


def parse(files: dict[str, Path]) -> dict[str, pd.DataFrame]:
    """All markets as seven validated tables, sorted by market and id (not by file-system order)."""
    rows: dict[str, list[dict]] = {
        name: []
        for name in (
            "customers",
            "customer_items",
            "customer_amenities",
            "businesses",
            "business_items",
            "business_amenities",
            "baselines",
        )
    }
    for relative in sorted(files):
        match = _FILE.match(relative)
        if not match:
            raise ValueError(
                f"{relative}: not a market file (expected data/<market>/{{customers,businesses}}/*.yaml "
                "or baseline_utilities.json)"
            )
        market, domain, kind, path = match["market"], match["domain"], match["kind"], files[relative]
        if kind is None:
            with open(path) as handle:
                published = json.load(handle)
            for key, baseline in _JSON_BASELINES.items():
                if key not in published:
                    raise ValueError(f"{path}: missing baseline {key!r}")
                rows["baselines"] += [
                    {"market": market, "baseline": baseline, "statistic": statistic, "value": value}
                    for statistic, value in published[key].items()
                ]
            continue
        record = _record(path, kind)
        if kind == "customers":
            cid = record["id"]
            rows["customers"].append(
                {
                    "market": market,
                    "domain": domain,
                    "customer_id": cid,
                    "name": record["name"],
                    "request": record["request"],
                }
            )
            rows["customer_items"] += [
                {"market": market, "customer_id": cid, "item": item, "reference_price": price}
                for item, price in record["menu_features"].items()
            ]
            rows["customer_amenities"] += [
                {"market": market, "customer_id": cid, "amenity": amenity} for amenity in record["amenity_features"]
            ]
        else:
            bid = record["id"]
            rows["businesses"].append(
                {
                    "market": market,
                    "business_id": bid,
                    "name": record["name"],
                    "rating": record["rating"],
                    "min_price_factor": record["min_price_factor"],
                    "progenitor_customer": record["progenitor_customer"],
                }
            )
            rows["business_items"] += [
                {"market": market, "business_id": bid, "item": item, "price": price}
                for item, price in record["menu_features"].items()
            ]
            rows["business_amenities"] += [
                {"market": market, "business_id": bid, "amenity": amenity, "offered": offered}
                for amenity, offered in record["amenity_features"].items()
            ]
    schemas = {
        "customers": CUSTOMERS,
        "customer_items": CUSTOMER_ITEMS,
        "customer_amenities": CUSTOMER_AMENITIES,
        "businesses": BUSINESSES,
        "business_items": BUSINESS_ITEMS,
        "business_amenities": BUSINESS_AMENITIES,
        "baselines": BASELINES,
    }
    tables = {}
    for name, schema in schemas.items():
        frame = pd.DataFrame(rows[name], columns=schema.names)
        keys = [c for c in schema.unique]
        tables[name] = validate(frame.sort_values(keys, kind="stable"), schema, source=f"magentic {name}")
    _check_references(tables)
    return tables


def _check_references(tables: dict[str, pd.DataFrame]) -> None:
    """Every market has customers, businesses and baselines; every customer amenity exists in its domain."""
    markets = set(tables["customers"]["market"])
    for name in ("businesses", "baselines"):
        if set(tables[name]["market"]) != markets:
            raise ValueError(
                f"magentic: markets with customers {sorted(markets)} differ from markets with "
                f"{name} {sorted(set(tables[name]['market']))}"
            )
    known = set(zip(tables["business_amenities"]["market"], tables["business_amenities"]["amenity"]))
    for row in tables["customer_amenities"].itertuples():
        if (row.market, row.amenity) not in known:
            raise ValueError(
                f"magentic: customer {row.customer_id} of {row.market} requires amenity "
                f"{row.amenity!r}, which no business of the market lists"
            )
