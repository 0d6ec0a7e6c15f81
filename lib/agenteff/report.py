"""Figures and claims: one plot style, one ``save_fig``, one claims-table format, and the figure gallery.

Every study notebook saves its figures through :func:`save_fig` into ``figures/<notebook>/`` (PNG and SVG, with
byte-stable metadata so re-runs do not churn), and writes its paper-vs-reproduced table with
:func:`write_claims` to ``figures/<notebook>/claims.csv``. :func:`build_gallery` turns those folders into
``figures/README.md`` so results can be browsed without running anything.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from .paths import figures_dir

__all__ = ["set_style", "save_fig", "claim", "write_claims", "read_claims", "build_gallery",
           "CLAIM_COLUMNS", "CLAIM_STATUSES", "MANIFEST"]

CLAIM_COLUMNS = ["claim", "paper_value", "reproduced_value", "unit", "status", "note"]
CLAIM_STATUSES = ("reproduced", "differs", "not reproducible", "new")
MANIFEST = "figures.json"  # per-notebook {figure name: caption}


def set_style() -> None:
    """The collection's single plot style: readable at a glance, colour-blind safe, stable file output."""
    sns.set_theme(context="notebook", style="whitegrid", palette="colorblind")
    # seaborn's strip-plot jitter draws from numpy's global random state: seed it so figures are byte-stable
    np.random.seed(0)
    pd.set_option("display.precision", 4)
    pd.set_option("display.max_columns", 30)
    pd.set_option("display.width", 140)
    matplotlib.rcParams.update(
        {
            "figure.dpi": 100,
            "savefig.dpi": 150,
            "savefig.bbox": "tight",
            "axes.titleweight": "bold",
            "svg.hashsalt": "agenteff",  # stable element ids, so SVGs do not change between identical runs
            "svg.fonttype": "none",
        }
    )


def save_fig(fig, name: str, notebook: str, caption: str, simulated: bool = False) -> None:
    """Save ``fig`` as ``figures/<notebook>/<name>.png`` and ``.svg`` and record its caption.

    ``simulated=True`` is required for figures drawn from simulated data: the figure must then say so in a
    title, and a 'simulated data' stamp is added to the corner.
    """
    if simulated:
        titles = [fig._suptitle.get_text() if fig._suptitle else ""] + [ax.get_title() for ax in fig.axes]
        if not any("simulated" in t.lower() for t in titles):
            raise ValueError(f"figure {name!r} shows simulated data, so its title must say 'simulated'")
        fig.text(0.995, 0.005, "simulated data", ha="right", va="bottom", fontsize=8, color="0.4")
    out_dir = figures_dir() / notebook
    out_dir.mkdir(parents=True, exist_ok=True)
    fig.savefig(out_dir / f"{name}.png", metadata={"Software": None})
    fig.savefig(out_dir / f"{name}.svg", metadata={"Date": None, "Creator": None})
    manifest_path = out_dir / MANIFEST
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    manifest[name] = caption
    manifest_path.write_text(json.dumps(dict(sorted(manifest.items())), indent=1) + "\n")


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def claim(claim: str, paper_value, reproduced_value, unit: str = "", tolerance: float | None = None,
          note: str = "", status: str | None = None) -> dict:
    """One row of a claims table.

    The status is derived unless given: no reproduced value -> 'not reproducible'; no paper value -> 'new';
    both numeric -> 'reproduced' when they agree within ``tolerance``, else 'differs' (the note then starts
    with the difference).
    """
    if status is None:
        if _missing(reproduced_value):
            status = "not reproducible"
        elif _missing(paper_value):
            status = "new"
        else:
            if tolerance is None:
                raise ValueError(f"claim {claim!r}: give a tolerance (or a status) to compare paper and reproduction")
            difference = float(reproduced_value) - float(paper_value)
            status = "reproduced" if abs(difference) <= tolerance else "differs"
            if status == "differs":
                prefix = f"differs by {difference:+.4g} {unit}".rstrip()
                note = f"{prefix}; {note}" if note else prefix
    if status not in CLAIM_STATUSES:
        raise ValueError(f"claim {claim!r}: status must be one of {CLAIM_STATUSES}, not {status!r}")
    return {"claim": claim, "paper_value": paper_value, "reproduced_value": reproduced_value,
            "unit": unit, "status": status, "note": note}


def write_claims(rows: list[dict], notebook: str) -> pd.DataFrame:
    """Write ``figures/<notebook>/claims.csv`` and return the table for display."""
    table = pd.DataFrame(rows, columns=CLAIM_COLUMNS)
    bad = ~table["status"].isin(CLAIM_STATUSES)
    if bad.any():
        raise ValueError(f"claims for {notebook}: unknown status {table.loc[bad, 'status'].iloc[0]!r}")
    out_dir = figures_dir() / notebook
    out_dir.mkdir(parents=True, exist_ok=True)
    table.to_csv(out_dir / "claims.csv", index=False)
    return table


def read_claims(notebook: str) -> pd.DataFrame:
    return pd.read_csv(figures_dir() / notebook / "claims.csv", keep_default_na=False)


def _markdown_table(table: pd.DataFrame) -> str:
    def cell(v):
        text = "" if _missing(v) else str(v)
        return text.replace("|", "\\|").replace("\n", " ")
    header = "| " + " | ".join(table.columns) + " |"
    rule = "|" + "---|" * len(table.columns)
    rows = ["| " + " | ".join(cell(v) for v in row) + " |" for row in table.itertuples(index=False)]
    return "\n".join([header, rule, *rows])


def build_gallery(root: Path | None = None) -> Path:
    """Write ``figures/README.md``: every figure with its caption and notebook, and every claims table."""
    root = Path(root) if root else figures_dir()
    lines = ["# Figures and claims", "",
             "Generated by `python -m agenteff reproduce` from the notebooks' outputs; do not edit by hand.", ""]
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        manifest_path = folder / MANIFEST
        claims_path = folder / "claims.csv"
        if not manifest_path.exists() and not claims_path.exists():
            continue
        lines += [f"## {folder.name}", "", f"Made by `notebooks/{folder.name}.ipynb`.", ""]
        if manifest_path.exists():
            for name, caption in json.loads(manifest_path.read_text()).items():
                lines += [f"### {name}", "", f"![{name}]({folder.name}/{name}.png)", "", caption, ""]
        if claims_path.exists():
            claims = pd.read_csv(claims_path, keep_default_na=False)
            counts = claims["status"].value_counts()
            summary = ", ".join(f"{counts[s]} {s}" for s in CLAIM_STATUSES if s in counts)
            lines += ["### Claims", "", f"{len(claims)} claims: {summary}.", "", _markdown_table(claims), ""]
    out = root / "README.md"
    out.write_text("\n".join(lines))
    return out
