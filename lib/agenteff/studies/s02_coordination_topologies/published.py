"""The paper's fitted coordination laws, carried in ``data/published/coordination/paper_laws.csv`` (data card
beside it): the turn law ``T = a (n + b)^c``, the message-density law ``S = a + b ln(c)`` and the saturation
density ``c*`` of Kim et al. (arXiv:2512.08296 v2)."""
from __future__ import annotations

import pandas as pd

from ...paths import data_dir
from ...schema import Column, Schema, read_table

__all__ = ["PAPER_LAWS", "paper_laws"]

PAPER_LAWS = Schema(
    name="paper_laws",
    doc="Fitted laws stated in the paper, one row per parameter.",
    unique=("law", "parameter"),
    columns=(
        Column("law", "str", allowed=("turn_law", "density_law", "density_saturation"), doc="which law"),
        Column("parameter", "str", doc="parameter name within the law"),
        Column("value", "float", doc="the value as printed"),
        Column("where", "str", doc="where the paper states it"),
    ),
)


def paper_laws() -> pd.DataFrame:
    """The validated table of the paper's coordination laws."""
    return read_table(data_dir() / "published" / "coordination" / "paper_laws.csv", PAPER_LAWS)
