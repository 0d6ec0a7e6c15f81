"""Figures of study 05: completion-probability heat-maps over the budget x deadline grid, MCPP's advantage,
its calibration and its planning speed."""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

__all__ = ["heatmaps", "advantage_map", "calibration_plot", "speed_plot"]


def _grid(frame: pd.DataFrame, value: str) -> pd.DataFrame:
    """``value`` as a table with deadlines as rows (largest on top) and budgets as columns, axes labelled
    compactly ("1.5" rather than "1.50")."""
    table = frame.pivot_table(index="deadline_x", columns="budget_x", values=value)
    table = table.sort_index(ascending=False)
    table.index = [f"{v:g}" for v in table.index]
    table.columns = [f"{v:g}" for v in table.columns]
    return table


def heatmaps(summary: pd.DataFrame, policies, title: str, columns: int = 5):
    """One heat-map of completion probability per policy, same colour scale, values annotated."""
    rows = math.ceil(len(policies) / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(3.3 * columns, 2.8 * rows + 0.6), sharex=True, sharey=True,
                             squeeze=False)
    for ax, policy in zip(axes.flat, policies):
        sns.heatmap(_grid(summary[summary["policy"] == policy], "p"), ax=ax, vmin=0, vmax=1, cmap="viridis",
                    annot=True, fmt=".2f", annot_kws={"fontsize": 6}, cbar=False)
        ax.set_title(policy, fontsize=10)
        ax.set_xlabel("")
        ax.set_ylabel("")
        ax.tick_params(axis="both", labelsize=8, labelrotation=0)
    for ax in axes.flat[len(policies):]:
        ax.set_visible(False)
    fig.supxlabel("budget (x reference cost)")
    fig.supylabel("deadline (x reference latency)")
    fig.colorbar(axes.flat[0].collections[0], ax=axes, shrink=0.6, label="constrained completion probability")
    fig.suptitle(title)
    return fig


def advantage_map(cells: pd.DataFrame, title: str):
    """MCPP minus the reference per cell (percentage points); significant differences (|z| > 2) are starred."""
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    points = cells.assign(points=100 * cells["difference"])
    table = _grid(points, "points")
    limit = max(5.0, float(np.nanmax(np.abs(table.to_numpy()))))
    marks = _grid(points.assign(mark=(points["verdict"] != "tie").astype(float)), "mark")
    labels = table.round(0).astype(int).astype(str) + marks.replace({1.0: "*", 0.0: ""})
    sns.heatmap(table, ax=ax, cmap="RdBu", vmin=-limit, vmax=limit, center=0, annot=labels, fmt="",
                annot_kws={"fontsize": 8}, cbar_kws={"label": "MCPP minus reference (percentage points)"})
    ax.set_xlabel("budget (x reference cost)")
    ax.set_ylabel("deadline (x reference latency)")
    ax.tick_params(axis="y", labelrotation=0)
    ax.set_title(title)
    return fig


def calibration_plot(cells: pd.DataFrame, title: str):
    """MCPP's first-decision estimate against the measured completion probability, one point per cell."""
    fig, ax = plt.subplots(figsize=(5.2, 4.6))
    sns.scatterplot(data=cells, x="estimate", y="p", hue="setting", ax=ax, s=30)
    ax.errorbar(cells["estimate"], cells["p"], yerr=2 * cells["se"], fmt="none", ecolor="0.6", lw=0.8, zorder=0)
    ax.plot([0, 1], [0, 1], color="0.3", lw=1, ls="--", label="estimate = measured")
    ax.set_xlabel("MCPP's estimate at its first decision")
    ax.set_ylabel("measured completion probability (+-2 SE)")
    ax.legend(fontsize=8)
    ax.set_title(title)
    return fig


def speed_plot(speed: pd.DataFrame, published: dict[str, tuple[float, float]], target: float, title: str):
    """Rollouts per second per case (log scale) beside published ranges and the target."""
    fig, ax = plt.subplots(figsize=(7.5, 3.8))
    sns.barplot(data=speed, y="case", x="rollouts_per_second", ax=ax, color="C0")
    for (label, (low, high)), colour in zip(published.items(), ("C1", "C2")):
        ax.axvspan(low, high, color=colour, alpha=0.3, label=label)
    ax.axvline(target, color="C3", ls="--", label=f"target {target:,.0f}/s")
    ax.set_xscale("log")
    ax.set_xlabel("simulated rollouts per second (log scale)")
    ax.set_ylabel("")
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title(title)
    return fig
