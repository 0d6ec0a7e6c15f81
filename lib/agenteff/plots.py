"""Figure helpers several studies share. Each draws on a given matplotlib Axes and returns it, so a study's
figure function composes them; saving goes through :func:`agenteff.report.save_fig`."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

__all__ = ["draw_frontier"]


def draw_frontier(ax: plt.Axes, points: pd.DataFrame, cost: str, accuracy: str, *, hue: str | None = None,
                  label: str | None = None, accuracy_scale: float = 1.0, log_cost: bool = True,
                  frontier: str = "on_frontier") -> plt.Axes:
    """An accuracy-cost plot: every point, the Pareto frontier as a grey step line, frontier points outlined.

    ``points`` is the output of :func:`agenteff.metrics.pareto_frontier` (its ``frontier`` column flags the
    frontier). ``hue`` colours points by a column; ``label`` annotates frontier points with a column's values;
    ``accuracy_scale`` multiplies accuracy for display (100 for percent).
    """
    on = points[frontier].to_numpy(dtype=bool)
    y = points[accuracy].to_numpy(dtype=float) * accuracy_scale
    x = points[cost].to_numpy(dtype=float)
    order = np.argsort(x[on], kind="stable")
    ax.step(x[on][order], y[on][order], where="post", color="0.5", lw=1, zorder=1, label="Pareto frontier")
    groups = [(None, np.ones(len(points), dtype=bool))] if hue is None else [
        (name, (points[hue] == name).to_numpy()) for name in sorted(points[hue].unique())]
    colours = sns.color_palette("colorblind", len(groups))
    for (name, members), colour in zip(groups, colours):
        ax.scatter(x[members], y[members], color=colour, s=np.where(on[members], 80, 40),
                   edgecolor=np.where(on[members], "k", "none"), zorder=2, label=name)
    if label is not None:
        texts = points.loc[on, label].astype(str).to_numpy()[order]
        for position, (text, xi, yi) in enumerate(zip(texts, x[on][order], y[on][order])):
            above = position % 2 == 1  # alternate sides so neighbouring labels do not overlap
            ax.annotate(text, (xi, yi), fontsize=7, textcoords="offset points", xytext=(-6, 6) if above else (6, -11),
                        ha="right" if above else "left")
    if log_cost:
        ax.set_xscale("log")
    return ax
