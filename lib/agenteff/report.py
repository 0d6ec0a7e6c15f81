"""Figures and claims: one plot style, one ``save_fig``, one claims-table format, and the figure gallery.

Every study notebook saves its figures through :func:`save_fig` into ``figures/<notebook>/`` (PNG and SVG, with
byte-stable metadata so re-runs do not churn), and writes its paper-vs-reproduced table with
:func:`write_claims` to ``figures/<notebook>/claims.csv``. :func:`build_gallery` turns those folders into
``figures/README.md`` so results can be browsed without running anything.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import matplotlib.figure
import numpy as np
import pandas as pd
import seaborn as sns

from .paths import figures_dir

__all__ = [
    "set_style",
    "seed_global_rng",
    "StudyFigure",
    "figure",
    "mark_simulated",
    "save_fig",
    "PaperValue",
    "PaperValues",
    "claim",
    "write_claims",
    "build_gallery",
    "CLAIM_COLUMNS",
    "CLAIM_STATUSES",
    "MANIFEST",
]

CLAIM_COLUMNS = ["key", "claim", "paper_value", "reproduced_value", "unit", "status", "note"]
# a claim's stable key: lower-case words joined by '-' or '_', in '/'-separated parts ("lodo/r2", "pass-hat-k/k4")
CLAIM_KEY = re.compile(r"^[a-z0-9]+(?:[-_.][a-z0-9]+)*(?:/[a-z0-9]+(?:[-_.][a-z0-9]+)*)*$")
CLAIM_STATUSES = ("reproduced", "differs", "not reproducible", "new")
MANIFEST = "figures.json"  # per-notebook {figure name: caption}


def set_style() -> None:
    """The collection's single plot style: readable at a glance, colour-blind safe, stable file output."""
    sns.set_theme(context="notebook", style="whitegrid", palette="colorblind")
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


def seed_global_rng(seed: int) -> None:
    """Seed numpy's global random state, which seaborn's strip-plot jitter draws from, so figures are byte-stable.

    Library code takes explicit ``seed``/``rng`` arguments; only plotting code that offers none needs this.
    """
    np.random.seed(seed)  # noqa: NPY002 -- the legacy global state is what seaborn draws from


@dataclass(frozen=True)
class StudyFigure:
    """What a study's figure function returns: the figure, the name of the files it is saved as (the function's
    own name) and its caption. A notebook passes it, as it is, to :func:`save_fig`."""

    name: str
    figure: matplotlib.figure.Figure
    caption: str


def figure(function: Callable[..., tuple[matplotlib.figure.Figure, str]]) -> Callable[..., StudyFigure]:
    """Marks a study's figure function. It returns ``(figure, caption)``; the decorated function returns a
    :class:`StudyFigure` named after the function, which is the name of the files :func:`save_fig` writes."""

    @functools.wraps(function)
    def make(*args, **kwargs) -> StudyFigure:
        fig, caption = function(*args, **kwargs)
        if not isinstance(caption, str) or not caption.strip():
            raise ValueError(f"figure function {function.__name__} returned no caption")
        return StudyFigure(function.__name__, fig, caption)

    make.study_figure = True  # type: ignore[attr-defined]  # how the study contract finds figure functions
    return make


def mark_simulated(fig: matplotlib.figure.Figure) -> matplotlib.figure.Figure:
    """Stamp a figure drawn from simulated data. Its title (or one axis title) must already say 'simulated'."""
    titles = [fig.get_suptitle()] + [ax.get_title() for ax in fig.axes]
    if not any("simulated" in t.lower() for t in titles):
        raise ValueError("a figure of simulated data must say 'simulated' in its title")
    fig.text(0.995, 0.005, "simulated data", ha="right", va="bottom", fontsize=8, color="0.4")
    return fig


def save_fig(result: StudyFigure, notebook: str) -> None:
    """Save a figure function's result as ``figures/<notebook>/<name>.png`` and ``.svg`` and record its caption."""
    if not isinstance(result, StudyFigure):
        raise TypeError(f"save_fig takes what a study's figure function returns, not {type(result).__name__}")
    out_dir = figures_dir() / notebook
    out_dir.mkdir(parents=True, exist_ok=True)
    result.figure.savefig(out_dir / f"{result.name}.png", metadata={"Software": None})
    _save_svg(result.figure, out_dir / f"{result.name}.svg")
    manifest_path = out_dir / MANIFEST
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    manifest[result.name] = result.caption
    manifest_path.write_text(json.dumps(dict(sorted(manifest.items())), indent=1) + "\n")


# Numbers in an SVG's attributes (coordinates, transforms, widths) are written to 1/100 pt rather than
# matplotlib's 6 decimals, so the last-digit noise of a computed value does not reach the file; text is untouched.
_SVG_ATTRIBUTE = re.compile(r'="[^"]*"')
_SVG_LONG_DECIMAL = re.compile(r"-?\d+\.\d{3,}")


def _two_decimals(match: re.Match) -> str:
    text = f"{float(match.group()):.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _save_svg(fig, path: Path) -> None:
    fig.savefig(path, metadata={"Date": None, "Creator": None})
    svg = path.read_text(encoding="utf-8")
    path.write_text(
        _SVG_ATTRIBUTE.sub(lambda a: _SVG_LONG_DECIMAL.sub(_two_decimals, a.group()), svg), encoding="utf-8"
    )


def _missing(value) -> bool:
    # pd.NA is what an empty cell of a nullable string column reads as
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _number(value) -> float | None:
    return None if _missing(value) else float(value)


@dataclass(frozen=True)
class PaperValue:
    """One published number (a row of the ``paper-values`` data set): a point ``value``, an interval or range
    (``low``/``high``, one side missing for a bound), or neither for a qualitative claim."""

    key: str
    quantity: str
    value: float | None = None
    low: float | None = None
    high: float | None = None
    unit: str = ""
    source: str = ""  # e.g. "arXiv:2406.12045 v1, Table 2"

    @property
    def shown(self):
        """What the claims table shows in its ``paper_value`` column."""
        if self.value is not None:
            return self.value
        if self.low is not None and self.high is not None:
            return f"{self.low:g} to {self.high:g}"
        if self.high is not None:
            return f"<= {self.high:g}"
        if self.low is not None:
            return f">= {self.low:g}"
        return self.quantity

    def agrees(self, reproduced: float, tolerance: float) -> bool:
        """Within ``tolerance`` of the point value, or inside the interval widened by ``tolerance``."""
        if self.value is not None:
            return abs(reproduced - self.value) <= tolerance
        low = -math.inf if self.low is None else self.low - tolerance
        high = math.inf if self.high is None else self.high + tolerance
        return low <= reproduced <= high

    @property
    def numeric(self) -> bool:
        return self.value is not None or self.low is not None or self.high is not None


class PaperValues(Mapping):
    """Published numbers by key; ``values["tau-bench/leaderboard-pass-hat-1"]`` is a :class:`PaperValue`."""

    def __init__(self, values: dict[str, PaperValue]):
        self._values = dict(values)

    @classmethod
    def from_table(cls, table: pd.DataFrame) -> PaperValues:
        values = {}
        for row in table.itertuples(index=False):
            where = ", ".join(str(part) for part in (row.version, row.location) if not _missing(part) and part)
            paper = f"arXiv:{row.arxiv}" if not _missing(row.arxiv) and row.arxiv else row.paper
            values[row.key] = PaperValue(
                row.key,
                row.quantity,
                _number(row.value),
                _number(row.low),
                _number(row.high),
                "" if _missing(row.unit) else row.unit,
                f"{paper} {where}".strip(),
            )
        return cls(values)

    def __getitem__(self, key: str) -> PaperValue:
        try:
            return self._values[key]
        except KeyError:
            raise KeyError(
                f"no published value has key {key!r}; keys start with {sorted({k.split('/')[0] for k in self._values})}"
            ) from None

    def __iter__(self):
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


def claim(
    key: str,
    claim: str,
    paper_value,
    reproduced_value,
    unit: str = "",
    tolerance: float | None = None,
    note: str = "",
    status: str | None = None,
) -> dict:
    """One row of a claims table, under a stable ``key`` (unique within the study; see :data:`CLAIM_KEY`).

    ``paper_value`` is a :class:`PaperValue` (the normal case: every number a paper states comes from the
    ``paper-values`` data set), or a plain number or text, or None when the paper states nothing to compare.
    The status is derived unless given: no reproduced value -> 'not reproducible'; no paper value -> 'new';
    both numeric -> 'reproduced' when they agree within ``tolerance`` (for a published interval or bound: when
    the reproduced value lies inside it, widened by ``tolerance``), else 'differs' (the note then starts with the
    difference). A :class:`PaperValue` also gives the unit, unless ``unit`` is set, and its source is added to
    the note.
    """
    if not CLAIM_KEY.match(key):
        raise ValueError(f"claim key {key!r} is not lower-case words joined by '-', '_' or '/'")
    published = paper_value if isinstance(paper_value, PaperValue) else None
    if published is not None:
        unit = unit or published.unit
        paper_value = published.shown
    if status is None:
        if _missing(reproduced_value):
            status = "not reproducible"
        elif _missing(paper_value):
            status = "new"
        else:
            if tolerance is None:
                raise ValueError(f"claim {claim!r}: give a tolerance (or a status) to compare paper and reproduction")
            if published is not None and not published.numeric:
                raise ValueError(f"claim {claim!r}: the paper's claim {published.key!r} is qualitative; give a status")
            reproduced = float(reproduced_value)
            if published is not None and published.value is None:
                status = "reproduced" if published.agrees(reproduced, tolerance) else "differs"
                if status == "differs":
                    prefix = f"outside the published {published.shown} {unit}".rstrip()
                    note = f"{prefix}; {note}" if note else prefix
            else:
                difference = reproduced - float(paper_value)
                status = "reproduced" if abs(difference) <= tolerance else "differs"
                if status == "differs":
                    prefix = f"differs by {difference:+.4g} {unit}".rstrip()
                    note = f"{prefix}; {note}" if note else prefix
    if status not in CLAIM_STATUSES:
        raise ValueError(f"claim {claim!r}: status must be one of {CLAIM_STATUSES}, not {status!r}")
    if published is not None and published.source:
        note = f"{note} (paper: {published.source})" if note else f"paper: {published.source}"
    return {
        "key": key,
        "claim": claim,
        "paper_value": paper_value,
        "reproduced_value": reproduced_value,
        "unit": unit,
        "status": status,
        "note": note,
    }


# Reproduced values are stored to 8 significant digits: a float's last digits change with the machine's BLAS,
# thread count and summation order, and 8 digits are far finer than any claim's tolerance while keeping a value a
# study already rounded to its unit (USD 72,876.91 to the cent). Rounding first to 12 decimals makes a zero
# computed as +-1e-17 a plain 0.0.
CLAIM_DIGITS = 8
_CLAIM_DECIMALS = 12


def _significant(value):
    """A float rounded to :data:`CLAIM_DIGITS` significant digits; anything else (text, ints, missing) unchanged."""
    if isinstance(value, float | np.floating) and math.isfinite(value):
        return float(f"{round(float(value), _CLAIM_DECIMALS):.{CLAIM_DIGITS}g}") + 0.0  # + 0.0: no "-0.0"
    return value


def write_claims(rows: list[dict], notebook: str) -> pd.DataFrame:
    """Write ``figures/<notebook>/claims.csv`` and return the table for display (reproduced floats to
    :data:`CLAIM_DIGITS` significant digits in both, so a re-run elsewhere writes the same bytes)."""
    table = pd.DataFrame(rows, columns=CLAIM_COLUMNS)
    table["reproduced_value"] = table["reproduced_value"].map(_significant)
    bad = ~table["status"].isin(CLAIM_STATUSES)
    if bad.any():
        raise ValueError(f"claims for {notebook}: unknown status {table.loc[bad, 'status'].iloc[0]!r}")
    repeated = table["key"][table["key"].duplicated()]
    if len(repeated):
        raise ValueError(f"claims for {notebook}: key {repeated.iloc[0]!r} is used twice")
    out_dir = figures_dir() / notebook
    out_dir.mkdir(parents=True, exist_ok=True)
    table.to_csv(out_dir / "claims.csv", index=False)
    return table


def _markdown_table(table: pd.DataFrame) -> str:
    def cell(v):
        text = "" if _missing(v) else str(v)
        return text.replace("|", "\\|").replace("\n", " ")

    header = "| " + " | ".join(table.columns) + " |"
    rule = "|" + "---|" * len(table.columns)
    rows = ["| " + " | ".join(cell(v) for v in row) + " |" for row in table.itertuples(index=False)]
    return "\n".join([header, rule, *rows])


def _provenance_lines(path: Path) -> list[str]:
    """The gallery's account of what made a folder's results (the runner's ``provenance.json``), if recorded."""
    if not path.exists():
        return []
    record = json.loads(path.read_text(encoding="utf-8"))
    parameters = ", ".join(f"`{name}={value!r}`" for name, value in record["parameters"].items()) or "none"
    data = ", ".join(f"`{name}` ({version})" for name, version in record["data"].items()) or "none loaded"
    packages = ", ".join(f"{name} {version}" for name, version in record["packages"].items())
    return [
        f"Provenance (`{path.parent.name}/{path.name}`): parameters {parameters}; data {data}; "
        f"packages {packages}; Python {record['python']}.",
        "",
    ]


def build_gallery(root: Path | None = None) -> Path:
    """Write ``figures/README.md``: every figure with its caption and notebook, and every claims table."""
    root = Path(root) if root else figures_dir()
    lines = [
        "# Figures and claims",
        "",
        "Generated by `python -m agenteff reproduce` from the notebooks' outputs; do not edit by hand.",
        "",
    ]
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        manifest_path = folder / MANIFEST
        claims_path = folder / "claims.csv"
        if not manifest_path.exists() and not claims_path.exists():
            continue
        lines += [f"## {folder.name}", "", f"Made by `notebooks/{folder.name}.ipynb`.", ""]
        lines += _provenance_lines(folder / "provenance.json")
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
