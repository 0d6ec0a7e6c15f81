"""The LEAD repository's MATH test problems: the default problem set for live sampling.

Source: github.com/CrazyMint/LEAD, ``data/math/test.parquet`` (LEAD, arXiv:2605.09806): 500 problems in the verl
format (a one-message prompt asking for the answer in ``\\boxed{}``, and the ground truth). The file carries no
MATH level or subject, so none is invented here.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..schema import Column, Schema, validate

__all__ = ["parse", "PROBLEMS"]

FILE = "data/math/test.parquet"

PROBLEMS = Schema(
    "lead_problems",
    (
        Column("dataset", "str", doc="data set name"),
        Column("problem_id", "str", doc="the file's extra_info.index"),
        Column("prompt", "str", doc="the user message, with the instruction to box the answer"),
        Column("gold", "str", doc="ground-truth answer (LaTeX)"),
        Column("data_source", "str", doc="the file's data_source field"),
    ),
    unique=("problem_id",),
    doc="Problems with ground-truth answers for live sampling.",
)


def parse(files: dict[str, Path]) -> dict[str, pd.DataFrame]:
    """``problems``: one row per test problem."""
    path = files[FILE]
    raw = pd.read_parquet(path)
    prompts = []
    for messages in raw["prompt"]:
        users = [m["content"] for m in messages if m["role"] == "user"]
        if len(users) != 1:
            raise ValueError(f"{path}: expected one user message per prompt, found {len(users)}")
        prompts.append(users[0])
    frame = pd.DataFrame(
        {
            "dataset": "lead-math-test",
            "problem_id": [str(info["index"]) for info in raw["extra_info"]],
            "prompt": prompts,
            "gold": [reward["ground_truth"] for reward in raw["reward_model"]],
            "data_source": raw["data_source"],
        }
    )
    return {"problems": validate(frame, PROBLEMS, source=path)}
