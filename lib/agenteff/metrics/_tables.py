"""Small helpers the metric modules share: grouping columns and required-column checks."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd


def as_list(by) -> list[str]:
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def groups(frame: pd.DataFrame, by: list[str]):
    """(key dict, sub-frame) pairs in sorted key order; the whole frame when ``by`` is empty."""
    if not by:
        yield {}, frame
        return
    for key, sub in frame.groupby(by, sort=True, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        yield dict(zip(by, key)), sub


def require(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise KeyError(f"{what} needs column(s) {missing}; the table has {list(frame.columns)}")
