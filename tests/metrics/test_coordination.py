"""Coordination metrics on small hand-computed trajectories."""

import numpy as np
import pandas as pd
import pytest

from agenteff import metrics, schema


def _run(run_id, architecture, success, cost, n_agents=1):
    return {
        "run_id": run_id,
        "task": "t",
        "suite": "s",
        "architecture": architecture,
        "n_agents": n_agents,
        "model": "m",
        "seed": 0,
        "success": success,
        "cost_usd": cost,
    }


def _step(run_id, step, agent, role, content="", recipients=""):
    return {
        "run_id": run_id,
        "step": step,
        "agent_id": agent,
        "role": role,
        "round": 0,
        "turn": step,
        "content": content,
        "prompt_tokens": 10,
        "completion_tokens": 5,
        "recipients": recipients,
    }


@pytest.fixture
def trajectories():
    """Single: 2 runs (1 success), 2 and 4 turns. Centralized: 2 runs (1 success), 6 turns each, 4 messages each.
    Independent: 2 runs, both failed, 3 turns each. Every turn costs 15 tokens."""
    runs = [
        _run("s1", "single", True, 0.1),
        _run("s2", "single", False, 0.2),
        _run("c1", "centralized", True, 0.3, 3),
        _run("c2", "centralized", False, 0.3, 3),
        _run("i1", "independent", False, 0.1, 2),
        _run("i2", "independent", False, 0.1, 2),
    ]
    steps = [_step("s1", k, "a1", "single", "x") for k in range(2)]
    steps += [_step("s2", k, "a1", "single", "x") for k in range(4)]
    steps.append({**_step("s2", 4, "tool", "tool", "{}"), "prompt_tokens": None, "completion_tokens": None})
    for run, (text1, text2) in {"c1": ("alpha beta", "alpha beta"), "c2": ("alpha", "gamma")}.items():
        steps += [
            _step(run, 0, "orchestrator", "orchestrator", "ASSIGN", "w1,w2"),
            _step(run, 1, "w1", "worker", text1),
            _step(run, 2, "w1", "worker", "", "orchestrator"),
            _step(run, 3, "w2", "worker", text2),
            _step(run, 4, "w2", "worker", "", "orchestrator"),
            _step(run, 5, "orchestrator", "orchestrator", "FINAL ANSWER: 1"),
        ]
    for run in ("i1", "i2"):
        steps += [
            _step(run, 0, "w1", "worker", "delta", "aggregator"),
            _step(run, 1, "w2", "worker", "delta epsilon", "aggregator"),
            _step(run, 2, "aggregator", "aggregator", "FINAL ANSWER: 2"),
        ]
    return (schema.validate(pd.DataFrame(runs), schema.RUNS), schema.validate(pd.DataFrame(steps), schema.STEPS))


def test_run_level_quantities(trajectories):
    per_run = metrics.run_coordination(*trajectories).set_index("run_id")
    assert per_run.loc["s2", "turns"] == 4  # the tool row is not a turn
    assert per_run.loc["c1", "messages"] == 4
    assert per_run.loc["c1", "message_density"] == pytest.approx(4 / 6)
    assert per_run.loc["c1", "tokens"] == 90
    assert per_run.loc["c1", "redundancy"] == pytest.approx(1.0)  # identical outputs
    assert per_run.loc["c2", "redundancy"] == pytest.approx(0.0)  # no shared word
    assert per_run.loc["s1", "redundancy"] == 0.0  # one agent: none by definition


def test_architecture_metrics_match_hand_computation(trajectories):
    result = metrics.coordination(*trajectories, n_boot=200, seed=1)
    value = result.set_index(["architecture", "metric"])["value"]
    # single: S = 0.5, T = 3, tokens 90 for 1 success, cost 0.3
    assert value["single", "turns"] == 3
    assert value["single", "overhead_pct"] == 0
    assert value["single", "error_amplification"] == 1
    assert value["single", "success_per_1k_tokens"] == pytest.approx(1000 / 90)
    assert value["single", "cost_per_success"] == pytest.approx(0.3)
    # centralized: S = 0.5, T = 6, 180 tokens for 1 success, cost 0.6
    assert value["centralized", "overhead_pct"] == pytest.approx(100.0)
    assert value["centralized", "efficiency"] == pytest.approx(0.5 / (6 / 3))
    assert value["centralized", "error_amplification"] == pytest.approx(1.0)
    assert value["centralized", "error_amplification_trace"] == pytest.approx((180 / 1) / (90 / 1))
    assert value["centralized", "message_density"] == pytest.approx(4 / 6)
    assert value["centralized", "redundancy"] == pytest.approx(0.5)
    assert value["centralized", "cost_per_success"] == pytest.approx(0.6)
    # independent: never succeeds, so failure-rate ratio (1 - 0) / (1 - 0.5) = 2 and per-success ratios undefined
    assert value["independent", "error_amplification"] == pytest.approx(2.0)
    assert value["independent", "overhead_pct"] == pytest.approx(0.0)
    assert value["independent", "message_density"] == pytest.approx(2 / 3)
    assert np.isnan(value["independent", "error_amplification_trace"])
    assert np.isnan(value["independent", "cost_per_success"])
    assert set(result["metric"]) == set(metrics.COORDINATION_METRICS)


def test_bootstrap_intervals_bracket_the_estimate(trajectories):
    result = metrics.coordination(*trajectories, n_boot=300, seed=0).dropna(subset=["ci_low"])
    assert (result["ci_low"] <= result["value"] + 1e-12).all()
    assert (result["value"] <= result["ci_high"] + 1e-12).all()
    rows = result.set_index(["architecture", "metric"])
    assert rows.loc[("centralized", "turns"), ["ci_low", "ci_high"]].tolist() == [6, 6]  # no spread, no width
    assert rows.loc[("single", "turns"), "ci_low"] == 2 and rows.loc[("single", "turns"), "ci_high"] == 4


def test_groups_without_baseline_get_no_relative_metrics(trajectories):
    runs, steps = trajectories
    runs = runs.assign(suite=np.where(runs["architecture"] == "single", "a", "b"))
    result = metrics.coordination(runs, steps, by="suite", n_boot=50).set_index(["suite", "architecture", "metric"])
    assert np.isnan(result.loc[("b", "centralized", "overhead_pct"), "value"])
    assert result.loc[("b", "centralized", "turns"), "value"] == 6
    table = metrics.coordination_table(result.reset_index(), by="suite")
    assert list(table.columns[:3]) == ["suite", "architecture", "success"]
