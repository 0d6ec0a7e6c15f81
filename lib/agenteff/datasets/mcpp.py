"""Node templates released with the MCPP simulator: one row per (subtask, model) statistics record.

Source: Wang et al., 'On Time, Within Budget: Constraint-Driven Online Resource Allocation for Agentic Workflows',
arXiv:2605.06110; file ``simulator/example_rollout_stats.csv`` of github.com/WangXinglin/MCPP. Each row gives the
success probability of one sample, the mean and standard deviation of its latency (seconds) and its mean cost
(the release does not state the unit; the ratio cost/latency of about 330 suggests generated tokens). The study
(:mod:`agenteff.engines.workflows`) draws workflow nodes from these rows.

The paper's claims study 05 checks are in the ``paper-values`` data set (``data/published/mcpp/paper_values.csv``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..schema import Column, Schema, read_csv, validate

__all__ = ["parse", "TEMPLATES", "TEMPLATES_FILE"]

TEMPLATES_FILE = "simulator/example_rollout_stats.csv"

TEMPLATES = Schema(
    "mcpp_node_templates",
    (
        Column("template_id", "int", minimum=0, doc="0-based row of the released file"),
        Column("success_prob", "float", minimum=0, maximum=1, doc="probability that one sample succeeds"),
        Column("lat_mean", "float", minimum=0, doc="mean latency of one sample, seconds"),
        Column("lat_std", "float", minimum=0, doc="standard deviation of the latency of one sample, seconds"),
        Column("cost_mean", "float", minimum=0, doc="mean cost of one sample (unit unstated; ~tokens)"),
    ),
    unique=("template_id",),
    doc="Per-sample statistics of workflow nodes released with the MCPP simulator.",
    extra_columns=False,
)


def parse(files: dict[str, Path]) -> dict[str, pd.DataFrame]:
    """``{"templates": validated table}`` from the released statistics file."""
    path = files[TEMPLATES_FILE]
    raw = read_csv(path)
    raw.insert(0, "template_id", range(len(raw)))
    templates = validate(raw, TEMPLATES, source=path)
    not_positive = templates[["success_prob", "lat_mean", "cost_mean"]].le(0).any(axis=1)
    if not_positive.any():
        row = int(not_positive.to_numpy().nonzero()[0][0])
        raise ValueError(f"{path}: row {row + 1}: success_prob, lat_mean and cost_mean must be positive")
    return {"templates": templates}
