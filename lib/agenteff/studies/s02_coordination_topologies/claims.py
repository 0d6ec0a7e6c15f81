"""Study 02's claims table: every Table-5 quantity, both error-amplification definitions (released outcomes and
measured trajectories), the turn law and the message-density law, the paper's value beside the measurement."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pandas as pd

from ... import metrics
from ...engines import topologies
from ...engines.topologies import MULTI_AGENT_ARCHITECTURES, RECORDING
from ...report import PaperValue, PaperValues, claim
from .analysis import TURN_FIT_FIXED, TURN_FIT_FREE, Setting
from .laws import DENSITY_SATURATION_KEY, PAPER_LAW_KEYS
from .recorded import RECORDED_DATASET

__all__ = ["claims"]

#: What a reader needs to know to compare a Table-5 metric with ours.
_METRIC_NOTES = {
    "success_per_1k_tokens": "the paper's values would mean fewer than 100 tokens per success, so its unit "
    "cannot be successes per 1,000 tokens; the paper does not define it further",
    "message_density": "messages counted point to point (a report read by three agents is three messages)",
    "error_amplification": "failure-rate ratio (1 - S_MAS)/(1 - S_SAS)",
}
#: Table-5 values fixed by definition for the single-agent baseline.
_DEFINITIONAL = {"overhead_pct": "0", "message_density": "0", "redundancy": "0", "error_amplification": "1"}


def _interval_claim(key, name, paper_value, value, low, high, unit, note, simulated=False):
    """A claim judged by the measurement's confidence interval: reproduced when it contains the paper's value
    (a number, or a :class:`~agenteff.report.PaperValue` whose point value is compared).

    A measurement on simulated agents is shown beside the paper's value but cannot confirm or refute it: its
    status is 'not reproducible' (the paper's trajectories were not released), as in the other studies.
    """
    if value is None or not np.isfinite(value):
        return claim(key, name, paper_value, None, unit, note=note)
    published = paper_value.value if isinstance(paper_value, PaperValue) else paper_value
    inside = np.isfinite(low) and low <= published <= high
    status = "not reproducible" if simulated else "reproduced" if inside else "differs"
    interval = f"95% CI [{low:.3g}, {high:.3g}]" if np.isfinite(low) else "no CI"
    prefix = "" if inside or simulated else f"differs by {value - published:+.3g} {unit}".rstrip() + "; "
    return claim(
        key, name, paper_value, round(float(value), 4), unit, status=status, note=f"{prefix}{interval}; {note}"
    )


def claims(
    paper: PaperValues,
    *,
    table5: pd.DataFrame,
    published_ea: pd.DataFrame,
    measured: pd.DataFrame,
    turn_fits: dict[str, pd.DataFrame],
    density_fit: pd.DataFrame,
    setting: Setting,
    actions: pd.DataFrame,
    recorded_table5: pd.DataFrame,
    recorded_actions: pd.DataFrame,
    recorded_setting: Setting,
    limits: topologies.Limits | None = None,
) -> list[dict]:
    """Claims rows: every Table-5 quantity, both error-amplification definitions (published outcomes and
    measured trajectories), the turn law and the message-density law, paper beside measured.

    ``table5`` is :func:`table5_comparison` (the paper's Table 5, an input table, beside the measurement),
    ``turn_fits`` :func:`fit_turn_laws` (``a`` and ``c`` from the fit with ``b`` fixed, ``b`` from the free
    fit), ``paper`` the paper values (:func:`agenteff.datasets.paper_values`), looked up by key. With
    ``setting.simulated`` the measurements are an illustration (see :func:`_interval_claim`), except the
    single-agent values that hold by definition. ``limits``: the protocol the runs used, named in the notes of
    the measurements when it is not the paper's. ``actions`` is :func:`~.recorded.action_summary` of this run;
    ``recorded_table5``, ``recorded_actions`` and ``recorded_setting`` describe the recorded real-model run
    (:func:`~.recorded.recorded_trajectories`), whose rows are keyed ``recorded/...``.
    """
    measured_note, simulated = setting.measured_note, setting.simulated
    if limits is not None and limits != topologies.Limits():
        changed = [
            f"{f.name}={getattr(limits, f.name)}"
            for f in fields(limits)
            if getattr(limits, f.name) != getattr(topologies.Limits(), f.name)
        ]
        measured_note += f", with a protocol shorter than the paper's ({', '.join(changed)})"
    rows = []
    units = metrics.COORDINATION_METRICS
    for r in table5.itertuples(index=False):
        note = f"{_METRIC_NOTES[r.metric]}; {measured_note}" if r.metric in _METRIC_NOTES else measured_note
        definitional = r.architecture == "single" and r.metric in _DEFINITIONAL
        if definitional:
            note = f"{_DEFINITIONAL[r.metric]} by definition for the single-agent baseline"
        rows.append(
            _interval_claim(
                f"table5/{r.metric}/{r.architecture}",
                f"Table 5 {r.metric}: {r.architecture}",
                r.paper,
                r.measured,
                r.ci_low,
                r.ci_high,
                units[r.metric],
                note,
                simulated and not definitional,
            )
        )
    for r in published_ea.itertuples(index=False):
        rows.append(
            claim(
                f"error-amplification/v2-configs/{r.architecture}",
                f"error amplification as failure-rate ratio, released v2 configurations: {r.architecture}",
                r.paper,
                round(float(r.v2_configs), 4),
                "x",
                tolerance=0.05 * r.paper,
                note=f"mean over {r.v2_groups} benchmark-model pairs of (1 - S_MAS)/(1 - S_SAS); the "
                "paper's figure is not a failure-rate ratio of its own released outcomes",
            )
        )
        rows.append(
            claim(
                f"error-amplification/v3-instances/{r.architecture}",
                f"error amplification as failure-rate ratio, released v3 instances: {r.architecture}",
                r.paper,
                round(float(r.v3_instances), 4),
                "x",
                tolerance=0.05 * r.paper,
                note=f"mean over {r.v3_groups} benchmark-model pairs (SWE-bench Verified, "
                "Terminal-Bench; 20 instances each)",
            )
        )
    paper_ea = published_ea.set_index("architecture")["paper"]
    by_metric = measured.set_index(["architecture", "metric"])
    for arch in MULTI_AGENT_ARCHITECTURES:
        for metric, source, label in (
            ("error_amplification", "measured", "failure-rate ratio"),
            ("error_amplification_trace", "measured-trace", "trace-level tokens-per-success ratio"),
        ):
            if (arch, metric) in by_metric.index:
                m = by_metric.loc[(arch, metric)]
                rows.append(
                    _interval_claim(
                        f"error-amplification/{source}/{arch}",
                        f"error amplification as {label}, measured: {arch}",
                        paper_ea[arch],
                        m["value"],
                        m["ci_low"],
                        m["ci_high"],
                        "x",
                        measured_note,
                        simulated,
                    )
                )
    fixed, free = turn_fits[TURN_FIT_FIXED].set_index("param"), turn_fits[TURN_FIT_FREE].set_index("param")
    weakly = f"all three fitted; b is weakly identified by {free['agent_counts'].iloc[0]} agent counts"
    for param, fit, how in (
        ("a", fixed, "b fixed at the paper's value"),
        ("b", free, weakly),
        ("c", fixed, "b fixed at the paper's value"),
    ):
        r = fit.loc[param]
        rows.append(
            _interval_claim(
                f"turn-law/{param}",
                f"turn law T = a (n + b)^c: {param}",
                paper[PAPER_LAW_KEYS["turn"][param]],
                r["value"],
                r["ci_low"],
                r["ci_high"],
                "",
                f"least squares on per-run turns over the agent-count sweep, {how}; {measured_note}",
                simulated,
            )
        )
    for r in density_fit.itertuples(index=False):
        rows.append(
            _interval_claim(
                f"density-law/{r.param}",
                f"message-density law S = a + b ln(c): {r.param}",
                paper[PAPER_LAW_KEYS["density"][r.param]],
                r.value,
                r.ci_low,
                r.ci_high,
                "",
                f"OLS over {r.n} configurations; {measured_note}",
                simulated,
            )
        )
    rows.append(
        claim(
            "density-law/saturation",
            "message-density saturation c*",
            paper[DENSITY_SATURATION_KEY],
            None,
            note="the paper gives no operational definition of the saturation point to compute it from trajectories",
        )
    )
    rows.append(_turns_claim("turns-per-run", actions, setting, "this run"))
    return rows + _recorded_claims(recorded_table5, recorded_actions, recorded_setting)


def _recorded_claims(table5: pd.DataFrame, summary: pd.DataFrame, setting: Setting) -> list[dict]:
    """Rows of the recorded real-model run: each Table-5 metric per architecture beside the paper's value, and the
    mean turns per run. Status 'new': a 135M model's coordination on short synthetic tasks is a measurement of that
    model, not a test of the paper's (whose models and trajectories differ)."""
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
                f"recorded/table5/{r.metric}/{r.architecture}",
                f"Table 5 {r.metric}: {r.architecture} ({setting.label}, recorded)",
                r.paper,
                round(float(r.measured), 4),
                metrics.COORDINATION_METRICS[r.metric],
                status="new",
                note=f"{interval}; {detail}{note}",
            )
        )
    rows.append(_turns_claim("recorded/turns-per-run", summary, setting, "recorded", note))
    return rows


def _turns_claim(key: str, summary: pd.DataFrame, setting: Setting, source: str, note: str = "") -> dict:
    """The row of the mean turns (model calls) per run of an :func:`~.recorded.action_summary`, with its tool
    calls and malformed actions per run. The paper states no such number; on simulated agents the row describes
    the simulation ('not reproducible'), on a real model it is a measurement ('new'). ``source`` names the runs
    in the claim ("this run", "recorded"); ``note`` replaces the setting's note."""
    overall = summary.loc["all"]
    return claim(
        key,
        f"mean turns per run ({setting.label}, {source})",
        None,
        round(float(overall["turns_per_run"]), 3),
        "model calls per run",
        status="not reproducible" if setting.simulated else "new",
        note=f"{int(overall['runs'])} runs, {overall['tool_calls_per_run']:.2f} tool calls and "
        f"{overall['malformed_per_run']:.2f} malformed actions per run, actions encoded {overall['encoding']}; "
        f"{note or setting.measured_note}",
    )
