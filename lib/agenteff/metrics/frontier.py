"""The accuracy-cost Pareto frontier: one function for every study that compares systems on accuracy and cost."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._tables import as_list as _as_list
from ._tables import groups as _groups
from ._tables import require as _require

__all__ = ["pareto_frontier"]


def pareto_frontier(points: pd.DataFrame, cost: str = "cost_usd", accuracy: str = "accuracy", by=None) -> pd.DataFrame:
    """Flag the points on the accuracy-cost Pareto frontier and measure how far the others are from it.

    Source: Kapoor et al., "AI Agents That Matter" (arXiv:2407.01502), section 2: agents should be compared on a
    joint accuracy-cost plot, and only those on the Pareto frontier are worth using.

    A point is dominated when another point of the same group (``by``) costs no more and is at least as
    accurate, and is strictly better on one of the two. The source does not say how to measure the distance of
    a dominated point; implemented, two readings that need no interpolation between frontier points:

    * ``accuracy_gap``: best accuracy reachable at the same or lower cost, minus the point's own accuracy
      (in the units of ``accuracy``);
    * ``cost_ratio``: the point's cost divided by the cheapest cost that reaches at least its accuracy
      (1 on the frontier; 3 means three times what is necessary).

    Returns a copy with columns ``on_frontier``, ``dominated``, ``accuracy_gap``, ``cost_ratio`` and
    ``dominated_by`` (the index label of the cheapest point that dominates it, else missing).
    """
    by = _as_list(by)
    _require(points, [cost, accuracy, *by], "pareto_frontier")
    if points[[cost, accuracy]].isna().any().any():
        raise ValueError(f"pareto_frontier: {cost!r} and {accuracy!r} must be filled; drop unpriced points first")
    if not points.index.is_unique:
        raise ValueError("pareto_frontier: the index names the points, so it must be unique")
    if by:
        parts = [_frontier_of(sub, cost, accuracy) for _, sub in _groups(points, by)]
        return pd.concat(parts).loc[points.index] if parts else _frontier_of(points, cost, accuracy)
    return _frontier_of(points, cost, accuracy)


def _frontier_of(points: pd.DataFrame, cost: str, accuracy: str) -> pd.DataFrame:
    c = points[cost].to_numpy(dtype=float)
    a = points[accuracy].to_numpy(dtype=float)
    no_worse = (c[None, :] <= c[:, None]) & (a[None, :] >= a[:, None])  # [i, j]: j no worse than i on both
    strictly = (c[None, :] < c[:, None]) | (a[None, :] > a[:, None])
    dominates = no_worse & strictly
    dominated = dominates.any(axis=1)
    out = points.copy()
    out["on_frontier"] = ~dominated
    out["dominated"] = dominated
    affordable = c[None, :] <= c[:, None]
    out["accuracy_gap"] = np.where(affordable, a[None, :], -np.inf).max(axis=1) - a
    enough = a[None, :] >= a[:, None]
    out["cost_ratio"] = c / np.where(enough, c[None, :], np.inf).min(axis=1)
    labels = list(points.index)
    cheapest = [labels[np.flatnonzero(row)[np.argmin(c[row])]] if row.any() else None for row in dominates]
    out["dominated_by"] = pd.Series(cheapest, index=points.index, dtype=object)
    return out
