"""Study 02's real-model part: the action summary, Table 5 beside the simulated one, and the claims of the
recorded SmolLM2 run, on hand-made tables worked out by hand."""

import json

import numpy as np
import pandas as pd
import pytest

from agenteff import schema
from agenteff.studies import s02_coordination_topologies as s02
from agenteff.studies.s02_coordination_topologies.claims import _recorded_claims, _turns_claim

F1 = json.dumps([{"name": "f", "arguments": {"x": 1}}])
G = json.dumps([{"name": "g", "arguments": {}}])


def _tables():
    runs = pd.DataFrame(
        [
            {"run_id": "A", "architecture": "single", "n_agents": 1, "success": True, "malformed_actions": 0},
            {"run_id": "B", "architecture": "centralized", "n_agents": 2, "success": False, "malformed_actions": 1},
        ]
    ).assign(task="t", suite="parallel", model="m", served_model="m", seed=0, action_encoding="structured")
    steps = pd.DataFrame(
        [
            ("A", 0, "single", "structured", F1, ""),
            ("A", 1, "single", "structured", F1, ""),  # the same call again: a repeat
            ("A", 2, "single", "structured", "[]", ""),  # the final answer
            ("B", 0, "orchestrator", "", "[]", ""),  # no tools offered: not an acting turn
            ("B", 1, "worker", "structured", "[]", "truncated"),
            ("B", 2, "worker", "structured", G, ""),
            ("B", 3, "orchestrator", "", "[]", ""),
        ],
        columns=["run_id", "step", "role", "encoding", "tool_calls", "malformed"],
    ).assign(agent_id="a", round=0, turn=0)
    return schema.validate(runs, schema.RUNS), schema.validate(steps, schema.STEPS)


def test_action_summary_by_hand():
    summary = s02.action_summary(*_tables())
    assert summary.index.tolist() == ["single", "centralized", "all"]
    single, central, both = (summary.loc[k] for k in ("single", "centralized", "all"))
    assert (single["runs"], single["turns_per_run"], single["tool_calls_per_run"]) == (1, 3, 2)
    assert single["acting_turns_with_a_call"] == pytest.approx(2 / 3) and single["repeated_calls"] == 0.5
    assert (central["turns_per_run"], central["tool_calls_per_run"], central["malformed_per_run"]) == (4, 1, 1)
    assert central["acting_turns_with_a_call"] == 0.5 and central["repeated_calls"] == 0 and central["success"] == 0
    assert (both["runs"], both["turns_per_run"], both["tool_calls_per_run"], both["success"]) == (2, 3.5, 1.5, 0.5)
    assert both["acting_turns_with_a_call"] == pytest.approx(7 / 12) and both["repeated_calls"] == pytest.approx(1 / 3)
    assert both["encoding"] == "structured"


def _table5(measured, low=np.nan, high=np.nan):
    return pd.DataFrame(
        [
            {"architecture": a, "metric": m, "paper": p, "measured": v, "ci_low": low, "ci_high": high}
            for (a, m, p), v in zip(
                [("single", "turns", 7.2), ("hybrid", "turns", 44.3), ("hybrid", "error_amplification", 5.1)], measured
            )
        ]
    )


def test_table5_beside_puts_paper_simulated_and_real_model_side_by_side():
    both = s02.table5_beside(_table5([7.0, 30.0, 1.2]), _table5([2.5, 9.0, np.nan]))
    assert both.columns.tolist() == ["paper", "simulated", "real model"]
    assert both.index.tolist() == [("turns", "single"), ("turns", "hybrid"), ("error_amplification", "hybrid")]
    assert both.loc[("turns", "hybrid")].tolist() == [44.3, 30.0, 9.0]
    assert np.isnan(both.loc[("error_amplification", "hybrid"), "real model"])


def test_recorded_claims_are_new_name_the_model_and_skip_what_has_no_value():
    runs, steps = _tables()
    setting = s02.measured_setting(runs.assign(simulated=False, served_model="smollm2-135m-instruct"))
    rows = _recorded_claims(_table5([2.5, 9.0, np.nan], 2.0, 3.0), s02.action_summary(runs, steps), setting)
    assert [r["key"] for r in rows] == [
        "recorded/table5/turns/single",
        "recorded/table5/turns/hybrid",
        "recorded/turns-per-run",
    ]
    assert [r["claim"] for r in rows] == [
        "Table 5 turns: single (model smollm2-135m-instruct, recorded)",
        "Table 5 turns: hybrid (model smollm2-135m-instruct, recorded)",
        "mean turns per run (model smollm2-135m-instruct, recorded)",
    ]
    assert {r["status"] for r in rows} == {"new"}  # never evidence for or against the paper
    assert rows[1]["paper_value"] == 44.3 and rows[1]["reproduced_value"] == 9.0
    assert rows[0]["note"].startswith(
        "95% CI [2, 3]; measured with smollm2-135m-instruct on synthetic suites (recorded real-model run"
    )
    assert rows[2]["reproduced_value"] == 3.5 and rows[2]["status"] == "new"
    assert rows[2]["note"].startswith(
        "2 runs, 1.50 tool calls and 0.50 malformed actions per run, actions encoded structured"
    )


def test_the_turns_claim_of_simulated_agents_describes_the_simulation():
    runs, steps = _tables()
    summary = s02.action_summary(runs, steps)
    simulated = _turns_claim("turns-per-run", summary, s02.measured_setting(runs.assign(simulated=True)), "this run")
    assert (
        simulated["claim"] == "mean turns per run (simulated, this run)" and simulated["status"] == "not reproducible"
    )
    assert simulated["note"].endswith(
        "simulated agents (serve-sim) on synthetic suites: the level is a property of the "
        "simulation, not evidence about the paper"
    )
    live = _turns_claim("turns-per-run", summary, s02.measured_setting(runs.assign(simulated=False)), "this run")
    assert (live["claim"], live["status"], live["reproduced_value"]) == (
        "mean turns per run (model m, this run)",
        "new",
        3.5,
    )
