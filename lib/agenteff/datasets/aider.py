"""Aider polyglot leaderboard: one row per benchmark run of a model (or model pair) on 225 coding exercises.

Source: ``aider/website/_data/polyglot_leaderboard.yml`` of github.com/Aider-AI/aider (Apache-2.0), the data
behind aider.chat/docs/leaderboards. Each entry gives the pass rates after the first and second attempt
(the model sees the test errors once), the number of passing cases, the total cost of the run in USD and the
mean wall time per case. A cost of 0 in the file means the cost was not recorded (free preview or local
models), so it is read as missing, not as free.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ..schema import Column, Schema, validate

__all__ = ["parse", "LEADERBOARD", "LEADERBOARD_FILE"]

LEADERBOARD_FILE = "aider/website/_data/polyglot_leaderboard.yml"

LEADERBOARD = Schema(
    "aider_polyglot_runs",
    (
        Column("run_id", "str", doc="the entry's dirname (unique per benchmark run)"),
        Column("model", "str", doc="model label as on the leaderboard"),
        Column("edit_format", "str", doc="how the model returns edits (diff, whole, architect, ...)"),
        Column("date", "str", doc="date of the run (YYYY-MM-DD)"),
        Column("total_tests", "int", minimum=1, doc="exercises in the benchmark (225): the denominator of the rates"),
        Column("test_cases", "int", minimum=1, doc="exercises completed (225; a few runs stopped at 223-224)"),
        Column("pass_num_1", "int", minimum=0, doc="exercises passed at the first attempt"),
        Column("pass_num_2", "int", minimum=0, doc="exercises passed after the second attempt"),
        Column("pass_rate_1", "float", minimum=0, maximum=100, doc="first-attempt pass rate, %"),
        Column(
            "pass_rate_2",
            "float",
            minimum=0,
            maximum=100,
            doc="second-attempt pass rate as published, % (the headline)",
        ),
        Column(
            "cost_usd", "float", nullable=True, minimum=0, doc="total cost of the run, USD; missing if not recorded"
        ),
        Column("seconds_per_case", "float", minimum=0, doc="mean wall time per exercise, seconds"),
        Column("prompt_tokens", "int", required=False, nullable=True, minimum=0, doc="prompt tokens, when recorded"),
        Column(
            "completion_tokens", "int", required=False, nullable=True, minimum=0, doc="completion tokens, when recorded"
        ),
        Column(
            "percent_cases_well_formed", "float", minimum=0, maximum=100, doc="responses in the expected edit format, %"
        ),
    ),
    unique=("run_id",),
    doc="One row per Aider polyglot benchmark run.",
)


def parse(files: dict[str, Path]) -> dict[str, pd.DataFrame]:
    """``{"runs": table}``: the leaderboard entries in file order."""
    path = files[LEADERBOARD_FILE]
    with open(path) as handle:
        entries = yaml.safe_load(handle)
    raw = pd.DataFrame(entries)
    cost = pd.to_numeric(raw["total_cost"], errors="coerce")
    table = pd.DataFrame(
        {
            "run_id": raw["dirname"],
            "model": raw["model"],
            "edit_format": raw["edit_format"],
            "date": raw["date"].astype(str),
            "total_tests": raw["total_tests"],
            "test_cases": raw["test_cases"],
            "pass_num_1": raw["pass_num_1"],
            "pass_num_2": raw["pass_num_2"],
            "pass_rate_1": raw["pass_rate_1"],
            "pass_rate_2": raw["pass_rate_2"],
            "cost_usd": cost.where(cost > 0),
            "seconds_per_case": raw["seconds_per_case"],
            "prompt_tokens": raw.get("prompt_tokens"),
            "completion_tokens": raw.get("completion_tokens"),
            "percent_cases_well_formed": raw["percent_cases_well_formed"],
        }
    )
    table = validate(table, LEADERBOARD, source=path)
    passed = table["pass_num_2"].to_numpy(dtype=float)
    stated = table["pass_rate_2"].to_numpy(dtype=float)
    # the file divides by all 225 exercises for most incomplete runs but by the completed ones for some,
    # and prints one decimal (one entry truncated rather than rounded): accept either denominator
    over_all = np.abs(stated - 100 * passed / table["total_tests"].to_numpy(dtype=float)) <= 0.1
    over_done = np.abs(stated - 100 * passed / table["test_cases"].to_numpy(dtype=float)) <= 0.06
    off = np.flatnonzero(~(over_all | over_done))
    if len(off):
        raise ValueError(
            f"{path}: entry {off[0] + 1}: pass_rate_2 {stated[off[0]]} matches neither "
            "pass_num_2 / total_tests nor pass_num_2 / test_cases"
        )
    return {"runs": table}
