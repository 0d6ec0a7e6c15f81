"""Study 02 on a real model: the recorded topology runs of SmolLM2-135M (data set ``smollm2-135m-topologies``,
card in ``data/recorded/README.md``), measured with the same Table-5 functions as the simulated runs.

Frames in, frames out: :func:`action_summary` (how the agents acted), :func:`table5_beside` (the paper, the
simulated illustration and the real model side by side) and :func:`recorded_claims`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ... import datasets, metrics
from ...engines.topologies import ARCHITECTURES, RECORDING
from ...report import claim
from .analysis import _METRIC_NOTES, Setting, measured_setting

__all__ = [
    "RECORDED_DATASET",
    "recorded_trajectories",
    "action_summary",
    "table5_beside",
    "recorded_claims",
    "turns_claim",
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


def recorded_claims(table5: pd.DataFrame, summary: pd.DataFrame, setting: Setting) -> list[dict]:
    """Claims rows of the recorded real-model run: each Table-5 metric per architecture beside the paper's value,
    and the mean turns per run. Status 'new': a 135M model's coordination on short synthetic tasks is a
    measurement of that model, not a test of the paper's (whose models and trajectories differ)."""
    shorter = ", ".join(f"{name}={value}" for name, value in RECORDING["limits"].items())
    note = (
        f"{setting.measured_note} (recorded real-model run, data set {RECORDED_DATASET}; protocol {shorter}): "
        "this model's coordination, not a test of the paper's models"
    )
    rows = []
    for r in table5.itertuples(index=False):
        if not np.isfinite(r.measured):
            continue  # a ratio over no success (or no failure) has no value to show
        interval = f"95% CI [{r.ci_low:.3g}, {r.ci_high:.3g}]" if np.isfinite(r.ci_low) else "no CI"
        detail = f"{_METRIC_NOTES[r.metric]}; " if r.metric in _METRIC_NOTES else ""
        rows.append(
            claim(
                f"Table 5 {r.metric}: {r.architecture} ({setting.label}, recorded)",
                r.paper,
                round(float(r.measured), 4),
                metrics.COORDINATION_METRICS[r.metric],
                status="new",
                note=f"{interval}; {detail}{note}",
            )
        )
    rows.append(turns_claim(summary, setting, "recorded", note))
    return rows


def turns_claim(summary: pd.DataFrame, setting: Setting, source: str = "this run", note: str = "") -> dict:
    """The claims row of the mean turns (model calls) per run of an :func:`action_summary`, with its tool calls
    and malformed actions per run. The paper states no such number; on simulated agents the row describes the
    simulation ('not reproducible'), on a real model it is a measurement ('new'). ``source`` names the runs in
    the claim ("this run", "recorded"); ``note`` replaces the setting's note."""
    overall = summary.loc["all"]
    return claim(
        f"mean turns per run ({setting.label}, {source})",
        None,
        round(float(overall["turns_per_run"]), 3),
        "model calls per run",
        status="not reproducible" if setting.simulated else "new",
        note=f"{int(overall['runs'])} runs, {overall['tool_calls_per_run']:.2f} tool calls and "
        f"{overall['malformed_per_run']:.2f} malformed actions per run, actions encoded {overall['encoding']}; "
        f"{note or setting.measured_note}",
    )
