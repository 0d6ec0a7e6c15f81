"""Agent Bazaar: the per-model, per-seed outcomes behind the paper's figures, and the model sizes.

Source: Karten et al., 'Agent Bazaar: Enabling Economic Alignment in Multi-Agent Marketplaces', arXiv:2605.17698;
github.com/sethkarten/AI-Bazaar (MIT), branch Market-v1 (a thesis snapshot), folder ``paper/fig``. The figure
scripts cache what they read from the (unreleased) run logs as JSON; these caches are the release:

* ``exp1/data/exp1_health_vs_size_metrics.json``: THE_CRASH (B2C food market, consumer discovery limit 3) for
  open-weight models x number of stabilizing firms k in {0, 3, 5}, per seed: bankruptcy rate, final mean price,
  price volatility (SD over time of the per-step mean price), unit cost;
* ``exp1/<release>/data/exp1_{heatmap,survival}_food.json`` and ``exp1_tokens_tokens.json``: the same per seed for
  a few frontier models over the grid k in 0..5 x discovery limit in {1, 3, 5}, firms in business at the end, and
  input/output tokens per run;
* ``exp2/<release>/data/exp2_{heatmap,score}_car.json`` and ``exp2_tokens_tokens.json``: THE_LEMON_MARKET (used
  cars) over Sybil cluster size K in {0, 3, 6, 9} x reputation visible or hidden, per seed: mean consumer surplus,
  Sybil revenue share, market volume (bids), and the authors' EAS per cell where the score was cached;
* ``scripts/exp1/exp1_health_vs_size.py``: its ``MODELS`` table gives each model's parameter count (read as a
  literal, never run).

A ``release`` is the figure folder (several folders hold repeated or renamed runs of one model; empty caches give
no rows). Seeds are not identified in the caches and their order differs between files (the scripts append in
completion order), so ``seed_index`` is a position within one cell of one file, not a seed id: pair metrics
within a file, never across files.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pandas as pd

from ..schema import Column, Schema, validate

__all__ = [
    "parse",
    "HEALTH_VS_SIZE",
    "MODEL_SIZES",
    "CRASH_CELLS",
    "CRASH_FIRMS",
    "CRASH_TOKENS",
    "LEMON_CELLS",
    "LEMON_PUBLISHED_EAS",
    "LEMON_TOKENS",
    "N_STAB_GRID",
    "DISCOVERY_GRID",
    "SYBIL_GRID",
    "REP_GRID",
    "model_label",
]

# grid axes of the cached cells "i,j" (paper/fig/scripts/exp1/exp1_paths.py, exp2/exp2_score.py)
N_STAB_GRID = (0, 1, 2, 3, 4, 5)
DISCOVERY_GRID = (1, 3, 5)
SYBIL_GRID = (0, 3, 6, 9)
REP_GRID = (True, False)

HEALTH_VS_SIZE_FILE = "paper/fig/exp1/data/exp1_health_vs_size_metrics.json"
SIZES_FILE = "paper/fig/scripts/exp1/exp1_health_vs_size.py"

_RELEASE = Column("release", "str", doc="figure folder under paper/fig/exp1 or exp2")
_MODEL = Column("model", "str", doc="model label (release folder without experiment prefix and provider)")
_SEED = Column("seed_index", "int", minimum=0, doc="position within the cell in this file (not a seed id)")
_CRASH_METRICS = (
    Column("bankruptcy_rate", "float", minimum=0, maximum=1, doc="share of firms bankrupt at the end"),
    Column("final_avg_price", "float", minimum=0, doc="mean price of surviving firms at the end (0 if none)"),
    Column("price_std", "float", minimum=0, doc="SD over time of the per-step mean price (volatility)"),
)

HEALTH_VS_SIZE = Schema(
    "bazaar_health_vs_size",
    (
        Column("model", "str"),
        Column("n_stab", "int", allowed=(0, 3, 5), doc="stabilizing firms"),
        _SEED,
        *_CRASH_METRICS,
        Column("unit_cost", "float", minimum=0),
    ),
    unique=("model", "n_stab", "seed_index"),
    doc="THE_CRASH per seed for open-weight models (discovery limit 3).",
    extra_columns=False,
)
MODEL_SIZES = Schema(
    "bazaar_model_sizes",
    (
        Column("model", "str"),
        Column("params_b", "float", minimum=0, doc="parameters, billions"),
        Column("openrouter_id", "str"),
        Column("developer", "str"),
    ),
    unique=("model",),
    doc="Dense open-weight models of the size study, as listed by the authors' script.",
    extra_columns=False,
)
CRASH_CELLS = Schema(
    "bazaar_crash_cells",
    (
        _RELEASE,
        _MODEL,
        Column("n_stab", "int", allowed=N_STAB_GRID),
        Column("discovery", "int", allowed=DISCOVERY_GRID),
        _SEED,
        *_CRASH_METRICS,
        Column("total_volume", "float", minimum=0, doc="units sold over the run"),
        Column("unit_cost", "float", minimum=0),
    ),
    unique=("release", "n_stab", "discovery", "seed_index"),
    doc="THE_CRASH per seed for frontier models over stabilizers x consumer discovery limit.",
    extra_columns=False,
)
CRASH_FIRMS = Schema(
    "bazaar_crash_firms",
    (
        _RELEASE,
        _MODEL,
        Column("n_stab", "int", allowed=N_STAB_GRID),
        Column("discovery", "int", allowed=DISCOVERY_GRID),
        _SEED,
        Column("firms_at_end", "int", minimum=0, doc="firms in business at the end"),
    ),
    unique=("release", "n_stab", "discovery", "seed_index"),
    doc="Firms surviving THE_CRASH per seed.",
    extra_columns=False,
)
CRASH_TOKENS = Schema(
    "bazaar_crash_tokens",
    (
        _RELEASE,
        _MODEL,
        Column("n_stab", "int", allowed=N_STAB_GRID),
        Column("discovery", "int", allowed=DISCOVERY_GRID),
        _SEED,
        Column("input_tokens", "int", minimum=0),
        Column("output_tokens", "int", minimum=0),
    ),
    unique=("release", "n_stab", "discovery", "seed_index"),
    doc="Tokens per THE_CRASH run (all agents).",
    extra_columns=False,
)
_LEMON_KEYS = (
    _RELEASE,
    _MODEL,
    Column("n_sybil", "int", allowed=SYBIL_GRID, doc="Sybil identities K"),
    Column("rep_visible", "bool", doc="reputation visible to buyers"),
    _SEED,
)
LEMON_CELLS = Schema(
    "bazaar_lemon_cells",
    (
        *_LEMON_KEYS,
        Column("source_file", "str", allowed=("heatmap", "score")),
        Column("consumer_welfare", "float", doc="mean consumer surplus over the run"),
        Column("sybil_rev_share", "float", minimum=0, maximum=1),
        Column("market_volume", "float", minimum=0),
    ),
    unique=("release", "source_file", "n_sybil", "rep_visible", "seed_index"),
    doc="THE_LEMON_MARKET per seed (from the heat-map cache and, where cached, the score cache).",
    extra_columns=False,
)
LEMON_PUBLISHED_EAS = Schema(
    "bazaar_lemon_published_eas",
    (
        _RELEASE,
        _MODEL,
        Column("n_sybil", "int", allowed=SYBIL_GRID),
        Column("rep_visible", "bool"),
        Column("eas_mean", "float"),
        Column("eas_se", "float", minimum=0),
        Column("n", "int", minimum=1),
        Column("baseline_vol", "float"),
        Column("w_min", "float"),
        Column("w_range", "float"),
        Column("vr_min", "float"),
        Column("vr_range", "float"),
    ),
    unique=("release", "n_sybil", "rep_visible"),
    doc="The authors' cached EAS per cell (exp2_score_car.json).",
    extra_columns=False,
)
LEMON_TOKENS = Schema(
    "bazaar_lemon_tokens",
    (*_LEMON_KEYS, Column("input_tokens", "int", minimum=0), Column("output_tokens", "int", minimum=0)),
    unique=("release", "n_sybil", "rep_visible", "seed_index"),
    doc="Tokens per THE_LEMON_MARKET run (all agents).",
    extra_columns=False,
)

_PER_RELEASE = re.compile(r"^paper/fig/(?P<exp>exp1|exp2)/(?P<release>[^/]+)/data/(?P<file>exp[12]_\w+)\.json$")


def model_label(release: str) -> str:
    """'exp1_anthropic_claude-sonnet-4.6' -> 'claude-sonnet-4.6' (typos and separators of the folders unified)."""
    label = re.sub(r"^\(.*?\)\s*", "", release)
    label = re.sub(r"^(OLD-)?exp[12]_", "", label)
    label = re.sub(r"^(openai|anthropic|antrhopic|meta-llama)[_-]", "", label)
    return label.replace("sonnet-4-6", "sonnet-4.6")


def _data(path: Path) -> dict:
    with open(path) as handle:
        content = json.load(handle)
    if not isinstance(content, dict) or not isinstance(content.get("data"), dict):
        raise ValueError(f"{path}: expected a figure cache {{'_meta': ..., 'data': {{...}}}}")
    return content["data"]


def _cell(key: str, rows: tuple, cols: tuple, path: Path) -> tuple:
    try:
        i, j = (int(part) for part in key.split(","))
        return rows[i], cols[j]
    except (ValueError, IndexError):
        raise ValueError(f"{path}: cell key {key!r} is not 'row,column' within {len(rows)} x {len(cols)}") from None


def _per_seed(cell: dict, metrics: tuple, path: Path, key: str) -> list[dict]:
    lengths = {m: len(cell.get(m, [])) for m in metrics}
    if len(set(lengths.values())) != 1:
        raise ValueError(f"{path}: cell {key}: metrics have different numbers of seeds {lengths}")
    return [{m: cell[m][s] for m in metrics} for s in range(lengths[metrics[0]])]


def _model_sizes(path: Path) -> pd.DataFrame:
    tree = ast.parse(path.read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "MODELS" for t in node.targets):
            entries = ast.literal_eval(node.value)
            frame = pd.DataFrame(entries, columns=["model", "params_b", "openrouter_id", "developer"])
            return validate(frame, MODEL_SIZES, source=path)
    raise ValueError(f"{path}: no MODELS table")


def parse(files: dict[str, Path]) -> dict[str, pd.DataFrame]:
    """Eight validated tables (see the schemas); empty caches give no rows."""
    rows: dict[str, list[dict]] = {
        name: []
        for name in (
            "health_vs_size",
            "crash_cells",
            "crash_firms",
            "crash_tokens",
            "lemon_cells",
            "lemon_published_eas",
            "lemon_tokens",
        )
    }
    path = files[HEALTH_VS_SIZE_FILE]
    with open(path) as handle:
        for model, by_k in json.load(handle).items():
            for n_stab, records in by_k.items():
                rows["health_vs_size"] += [
                    {"model": model, "n_stab": int(n_stab), "seed_index": s, **record}
                    for s, record in enumerate(records)
                ]
    for relative in sorted(files):
        match = _PER_RELEASE.match(relative)
        if not match:
            continue
        path, release, name = files[relative], match["release"], match["file"]
        ids = {"release": release, "model": model_label(release)}
        data = _data(path)
        if name == "exp1_heatmap_food":
            metrics = ("bankruptcy_rate", "final_avg_price", "price_std", "total_volume")
            for key, cell in data.get("per_seed_data", {}).items():
                n_stab, dlc = _cell(key, N_STAB_GRID, DISCOVERY_GRID, path)
                rows["crash_cells"] += [
                    {
                        **ids,
                        "n_stab": n_stab,
                        "discovery": dlc,
                        "seed_index": s,
                        **r,
                        "unit_cost": data.get("unit_cost", 1.0),
                    }
                    for s, r in enumerate(_per_seed(cell, metrics, path, key))
                ]
        elif name == "exp1_survival_food":
            for key, firms in data.get("per_seed_firms", {}).items():
                n_stab, dlc = _cell(key, N_STAB_GRID, DISCOVERY_GRID, path)
                rows["crash_firms"] += [
                    {**ids, "n_stab": n_stab, "discovery": dlc, "seed_index": s, "firms_at_end": f}
                    for s, f in enumerate(firms)
                ]
        elif name in ("exp1_tokens_tokens", "exp2_tokens_tokens"):
            exp1 = name.startswith("exp1")
            for key, records in data.items():
                first, second = (int(part) for part in key.split(","))  # values, not grid positions, here
                cell = (
                    {"n_stab": first, "discovery": second} if exp1 else {"n_sybil": first, "rep_visible": bool(second)}
                )
                rows["crash_tokens" if exp1 else "lemon_tokens"] += [
                    {**ids, **cell, "seed_index": s, "input_tokens": r["input"], "output_tokens": r["output"]}
                    for s, r in enumerate(records)
                ]
        elif name in ("exp2_heatmap_car", "exp2_score_car"):
            source = name.removeprefix("exp2_").removesuffix("_car")
            lemon_metrics = ("consumer_welfare", "sybil_rev_share", "market_volume")
            for key, cell in data.get("per_seed_data", {}).items():
                k, rep = _cell(key, SYBIL_GRID, REP_GRID, path)
                rows["lemon_cells"] += [
                    {**ids, "n_sybil": k, "rep_visible": rep, "seed_index": s, "source_file": source, **r}
                    for s, r in enumerate(_per_seed(cell, lemon_metrics, path, key))
                ]
            for key, cell in data.get("eas_cells", {}).items():
                k, rep = _cell(key, SYBIL_GRID, REP_GRID, path)
                rows["lemon_published_eas"].append(
                    {
                        **ids,
                        "n_sybil": k,
                        "rep_visible": rep,
                        **{c: cell[c] for c in LEMON_PUBLISHED_EAS.names if c in cell},
                    }
                )
    schemas = {
        "health_vs_size": HEALTH_VS_SIZE,
        "crash_cells": CRASH_CELLS,
        "crash_firms": CRASH_FIRMS,
        "crash_tokens": CRASH_TOKENS,
        "lemon_cells": LEMON_CELLS,
        "lemon_published_eas": LEMON_PUBLISHED_EAS,
        "lemon_tokens": LEMON_TOKENS,
    }
    tables = {
        name: validate(pd.DataFrame(rows[name], columns=schemas[name].names), schemas[name], source=f"bazaar {name}")
        for name in schemas
    }
    tables["model_sizes"] = _model_sizes(files[SIZES_FILE])
    return tables
