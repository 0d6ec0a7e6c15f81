"""Study 02 on a real model: the recorded topology runs of SmolLM2-135M (data set ``smollm2-135m-topologies``,
card in ``data/recorded/README.md``), measured with the same Table-5 functions as the simulated runs.

Frames in, frames out: :func:`action_summary` (how the agents acted), :func:`table5_beside` (the paper, the
simulated illustration and the real model side by side); their claims rows are built by :func:`.claims.claims`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ... import datasets, metrics
from ...engines.topologies import ARCHITECTURES
from .analysis import Setting, measured_setting

__all__ = [
    "RECORDED_DATASET",
    "recorded_trajectories",
    "action_summary",
    "table5_beside",
]

RECORDED_DATASET = "smollm2-135m-topologies"
_ORDER = {a: i for i, a in enumerate(ARCHITECTURES)}


def recorded_trajectories() -> tuple[pd.DataFrame, pd.DataFrame, Setting]:
    """The recorded runs and steps (validated RUNS and STEPS) and their :class:`Setting` (which model answered,
    read from the runs)."""
    tables = datasets.tables(RECORDED_DATASET)
    return tables["runs"], tables["steps"], measured_setting(tables["runs"])


def action_summary(runs: pd.DataFrame, steps: pd.DataFrame) -> pd.DataFrame:
    """How the agents acted, per architecture and over all runs: runs, the action encoding, mean turns (model
    calls) per run, tool calls per run, the share of acting turns that made a tool call, malformed actions per
    run, the share of tool calls repeating an earlier identical call of the run (PANDO's action repetition),
    and the success rate."""
    counts = metrics.trajectory_counts(steps).set_index("run_id")
    repetition = metrics.action_repetition_rate(steps).set_index("run_id")
    acting = steps[steps["encoding"].fillna("") != ""] if "encoding" in steps else steps.iloc[0:0]
    calls_per_acting_turn = (acting["tool_calls"] != "[]").groupby(acting["run_id"]).mean()
    per_run = runs.set_index("run_id").assign(
        turns=counts["n_agent_steps"],
        tool_calls=counts["n_tool_calls"],
        acting_with_call=calls_per_acting_turn,
        repeats=repetition["n_repeats"],
        actions=repetition["n_actions"],
    )

    def summarise(group: pd.DataFrame) -> dict:
        return {
            "runs": len(group),
            "encoding": ",".join(sorted(set(group["action_encoding"]))) if "action_encoding" in group else "",
            "turns_per_run": group["turns"].mean(),
            "tool_calls_per_run": group["tool_calls"].mean(),
            "acting_turns_with_a_call": group["acting_with_call"].mean(),
            "malformed_per_run": group["malformed_actions"].mean() if "malformed_actions" in group else np.nan,
            "repeated_calls": group["repeats"].sum() / group["actions"].sum() if group["actions"].sum() else np.nan,
            "success": group["success"].astype(float).mean(),
        }

    rows = [{"architecture": arch, **summarise(group)} for arch, group in per_run.groupby("architecture")]
    rows.sort(key=lambda row: _ORDER.get(row["architecture"], len(_ORDER)))
    rows.append({"architecture": "all", **summarise(per_run)})
    return pd.DataFrame(rows).set_index("architecture")


def table5_beside(simulated: pd.DataFrame, recorded: pd.DataFrame) -> pd.DataFrame:
    """Two :func:`~.analysis.table5_comparison` tables as one: per metric and architecture the paper's value, the
    simulated measurement and the recorded real-model measurement."""
    keys = ["metric", "architecture"]
    both = simulated[[*keys, "paper", "measured"]].merge(
        recorded[[*keys, "measured"]], on=keys, how="outer", suffixes=("_simulated", "_real_model")
    )
    both = both.rename(columns={"measured_simulated": "simulated", "measured_real_model": "real model"})
    order = {m: i for i, m in enumerate(dict.fromkeys(simulated["metric"]))}
    both = both.sort_values(keys, key=lambda s: s.map(order) if s.name == "metric" else s.map(_ORDER))
    return both.set_index(keys)
