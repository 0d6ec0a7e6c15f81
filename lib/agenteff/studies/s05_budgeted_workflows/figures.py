"""Figures of study 05: completion-probability heat-maps over the budget x deadline grid, MCPP's advantage,
its calibration and its planning speed. One figure function per saved figure, named after its files, returning
the figure and its caption (:func:`agenteff.report.figure`); every one is drawn from simulated workflows, so
each says so in its title and carries the 'simulated data' stamp."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from ... import report
from ...engines.workflows.policies import MCPP
from ...report import PaperValues
from .analysis import SHOWN_TWO_MODELS, SPEED_TARGET, Grid, advantage_over

__all__ = [
    "heatmaps_one_model",
    "heatmaps_two_models",
    "advantage_one_model_fixed",
    "advantage_two_models_fixed",
    "advantage_one_model",
    "advantage_two_models",
    "calibration",
    "planning_speed",
]
#: Published planning speeds shown beside ours: label -> paper-value key.
PUBLISHED_SPEEDS = {
    "authors' Python planner": "mcpp/python-planner-speed",
    "authors' numba kernel": "mcpp/numba-kernel-speed",
}


def _grid(frame: pd.DataFrame, value: str) -> pd.DataFrame:
    """``value`` as a table with deadlines as rows (largest on top) and budgets as columns, axes labelled
    compactly ("1.5" rather than "1.50")."""
    table = frame.pivot_table(index="deadline_x", columns="budget_x", values=value)
    table = table.sort_index(ascending=False)
    table.index = [f"{v:g}" for v in table.index]
    table.columns = [f"{v:g}" for v in table.columns]
    return table


def _heatmaps(summary: pd.DataFrame, policies, title: str, columns: int = 5):
    """One heat-map of completion probability per policy, same colour scale, values annotated."""
    rows = math.ceil(len(policies) / columns)
    fig, axes = plt.subplots(
        rows, columns, figsize=(3.3 * columns, 2.8 * rows + 0.6), sharex=True, sharey=True, squeeze=False
    )
    for ax, policy in zip(axes.flat, policies):
        sns.heatmap(
            _grid(summary[summary["policy"] == policy], "p"),
            ax=ax,
            vmin=0,
            vmax=1,
            cmap="viridis",
            annot=True,
            fmt=".2f",
            annot_kws={"fontsize": 6},
            cbar=False,
        )
        ax.set_title(policy, fontsize=10)
        ax.set_xlabel("")
        ax.set_ylabel("")
        ax.tick_params(axis="both", labelsize=8, labelrotation=0)
    for ax in axes.flat[len(policies) :]:
        ax.set_visible(False)
    fig.supxlabel("budget (x reference cost)")
    fig.supylabel("deadline (x reference latency)")
    fig.colorbar(axes.flat[0].collections[0], ax=axes, shrink=0.6, label="constrained completion probability")
    fig.suptitle(title)
    return fig


def _advantage_map(cells: pd.DataFrame, title: str):
    """MCPP minus the reference per cell (percentage points); significant differences (|z| > 2) are starred."""
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    points = cells.assign(points=100 * cells["difference"])
    table = _grid(points, "points")
    limit = max(5.0, float(np.nanmax(np.abs(table.to_numpy()))))
    marks = _grid(points.assign(mark=(points["verdict"] != "tie").astype(float)), "mark")
    labels = table.round(0).astype(int).astype(str) + marks.replace({1.0: "*", 0.0: ""})
    sns.heatmap(
        table,
        ax=ax,
        cmap="RdBu",
        vmin=-limit,
        vmax=limit,
        center=0,
        annot=labels,
        fmt="",
        annot_kws={"fontsize": 8},
        cbar_kws={"label": "MCPP minus reference (percentage points)"},
    )
    ax.set_xlabel("budget (x reference cost)")
    ax.set_ylabel("deadline (x reference latency)")
    ax.tick_params(axis="y", labelrotation=0)
    ax.set_title(title)
    return fig


def _calibration_plot(cells: pd.DataFrame, title: str):
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


def _speed_plot(speed: pd.DataFrame, published: dict[str, tuple[float, float]], target: float, title: str):
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


def _grid_heatmaps(grid: Grid, policies=None):
    """Completion-probability heat-maps of MCPP and the baselines (all, or ``policies``) on one grid."""
    shown = ["MCPP", *grid.baselines] if policies is None else list(policies)
    fig = _heatmaps(grid.summary, shown, f"Constrained completion probability, {grid.label} (simulated)")
    which = (
        "every baseline"
        if policies is None
        else f"a selection of the {len(grid.baselines)} baselines (all are in the tables)"
    )
    return report.mark_simulated(fig), (
        f"Share of simulated trials completing the whole DAG within budget and deadline, per policy, over "
        f"the budget x deadline grid; {grid.label} (authors' node templates), {grid.n_nodes}-node layered "
        f"DAGs; MCPP and {which}."
    )


@report.figure
def heatmaps_one_model(grid: Grid):
    """Completion-probability heat-maps of MCPP and every baseline on the one-model grid."""
    return _grid_heatmaps(grid)


@report.figure
def heatmaps_two_models(grid: Grid, policies=SHOWN_TWO_MODELS):
    """Completion-probability heat-maps of MCPP and a selection of the baselines on the two-model grid."""
    return _grid_heatmaps(grid, policies)


def _advantage_fixed(grid: Grid, baseline: str):
    fig = _advantage_map(
        advantage_over(grid, baseline), f"MCPP minus {baseline}, the strongest fixed baseline, {grid.label} (simulated)"
    )
    return report.mark_simulated(fig), (
        "MCPP's completion probability minus that of the baseline with the best grid average (chosen on "
        f"independent trials), percentage points; * marks |z| > 2. {grid.label.capitalize()}."
    )


@report.figure
def advantage_one_model_fixed(grid: Grid, baseline: str):
    """MCPP minus one fixed baseline (the strongest over the grid, :func:`~.analysis.strongest_baseline`) per cell
    of the one-model grid."""
    return _advantage_fixed(grid, baseline)


@report.figure
def advantage_two_models_fixed(grid: Grid, baseline: str):
    """The same on the two-model grid."""
    return _advantage_fixed(grid, baseline)


def _advantage_best(grid: Grid, cells: pd.DataFrame):
    fig = _advantage_map(cells, f"MCPP minus best baseline per cell, {grid.label} (simulated)")
    return report.mark_simulated(fig), (
        f"MCPP's completion probability minus that of the best of {len(grid.baselines)} baselines of each "
        "cell (chosen on independent trials), percentage points; * marks significant differences "
        f"(|z| > 2). {grid.label.capitalize()}."
    )


@report.figure
def advantage_one_model(grid: Grid, cells: pd.DataFrame):
    """MCPP minus the best baseline of each cell of the one-model grid (``cells`` from
    :func:`~.analysis.advantage_over_best`)."""
    return _advantage_best(grid, cells)


@report.figure
def advantage_two_models(grid: Grid, cells: pd.DataFrame):
    """The same on the two-model grid."""
    return _advantage_best(grid, cells)


@report.figure
def calibration(calibrated: pd.DataFrame):
    """MCPP's first-decision estimates against measured probabilities (from :func:`~.analysis.calibration_table`)."""
    fig = _calibration_plot(calibrated, "MCPP's estimate vs measured (simulated)")
    return report.mark_simulated(fig), (
        "MCPP's first-decision estimate of its completion probability against the measured share of "
        "successful trials, one point per grid cell (+-2 SE)."
    )


def _range(paper: PaperValues, key: str) -> tuple[float, float]:
    low, high = paper[key].low, paper[key].high
    if low is None or high is None:
        raise ValueError(f"paper value {key!r} is not a range (low and high)")
    return low, high


@report.figure
def planning_speed(speed: pd.DataFrame, paper: PaperValues, policy: MCPP | None = None):
    """Rollouts per second of one MCPP decision on one thread (``speed`` from
    :func:`~.analysis.measure_planning_speed`) beside the published ranges and the target."""
    policy = policy or MCPP()
    published = {label: _range(paper, key) for label, key in PUBLISHED_SPEEDS.items()}
    fig = _speed_plot(speed, published, SPEED_TARGET, "MCPP planning speed on one thread (simulated workflows)")
    ks = ", ".join(map(str, policy.k_values))
    return report.mark_simulated(fig), (
        f"Simulated rollouts per second of one MCPP decision on one thread ({policy.n_rollouts} rollouts per "
        f"candidate and continuation, k in {{{ks}}}) beside the ranges quoted for the authors' planner and "
        f"the {SPEED_TARGET:,.0f}/s target."
    )
