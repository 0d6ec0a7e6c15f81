"""Figure helpers several studies share. Each draws on a given matplotlib Axes and returns it, so a study's
figure function composes them; saving goes through :func:`agenteff.report.save_fig`."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

__all__ = ["MARKERS", "draw_frontier"]

#: Marker shapes for the levels of a ``style`` column, in order.
MARKERS = ("o", "s", "D", "^", "v", "P", "*", "X")


def _levels(points: pd.DataFrame, column: str | None, order) -> list:
    if column is None:
        return [None]
    return list(order) if order is not None else sorted(points[column].unique())


def draw_frontier(
    ax: plt.Axes,
    points: pd.DataFrame,
    cost: str,
    accuracy: str,
    *,
    hue: str | None = None,
    label: str | None = None,
    accuracy_scale: float = 1.0,
    log_cost: bool = True,
    frontier: str = "on_frontier",
    hue_order=None,
    style: str | None = None,
    style_order=None,
) -> plt.Axes:
    """An accuracy-cost plot: every point, the Pareto frontier as a grey step line, frontier points outlined.

    ``points`` is the output of :func:`agenteff.metrics.pareto_frontier` (its ``frontier`` column flags the
    frontier). ``hue`` colours points by a column and ``style`` picks their marker (:data:`MARKERS`) by a column
    (it may be the same column); ``hue_order`` and ``style_order`` fix the levels' order, so that several panels
    give a level the same colour and marker (default: the sorted values). Each drawn (hue, style) group is one
    legend entry, named by its levels. ``label`` annotates frontier points with a column's values;
    ``accuracy_scale`` multiplies accuracy for display (100 for percent).
    """
    on = points[frontier].to_numpy(dtype=bool)
    y = points[accuracy].to_numpy(dtype=float) * accuracy_scale
    x = points[cost].to_numpy(dtype=float)
    order = np.argsort(x[on], kind="stable")
    ax.step(x[on][order], y[on][order], where="post", color="0.5", lw=1, zorder=1, label="Pareto frontier")
    hues = _levels(points, hue, hue_order)
    styles = _levels(points, style, style_order)
    colours = sns.color_palette("colorblind", len(hues))
    for colour, hue_level in zip(colours, hues):
        for marker, style_level in zip(MARKERS * len(styles), styles):
            members = np.ones(len(points), dtype=bool)
            if hue is not None:
                members &= (points[hue] == hue_level).to_numpy()
            if style is not None:
                members &= (points[style] == style_level).to_numpy()
            if (hue is not None or style is not None) and not members.any():
                continue  # a combination of levels with no point: no empty legend entry
            named = [level for level in dict.fromkeys([hue_level, style_level]) if level is not None]
            ax.scatter(
                x[members],
                y[members],
                color=colour,
                marker=marker,
                s=np.where(on[members], 80, 40),
                edgecolor=np.where(on[members], "k", "none"),
                zorder=2,
                label=" / ".join(map(str, named)) if named else None,
            )
    if label is not None:
        texts = points.loc[on, label].astype(str).to_numpy()[order]
        for position, (text, xi, yi) in enumerate(zip(texts, x[on][order], y[on][order])):
            above = position % 2 == 1  # alternate sides so neighbouring labels do not overlap
            ax.annotate(
                text,
                (xi, yi),
                fontsize=7,
                textcoords="offset points",
                xytext=(-6, 6) if above else (6, -11),
                ha="right" if above else "left",
            )
    if log_cost:
        ax.set_xscale("log")
    return ax
