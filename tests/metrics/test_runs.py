"""RUNS metrics (agenteff.metrics.runs) on hand-computed inputs, edge cases included: cost-of-pass, pass^k,
step overhead, prompt-cache utilisation, EQA, per-task spread, outcome comparisons."""

import math

import numpy as np
import pandas as pd
import pytest

from agenteff.metrics import (
    compare_outcomes,
    cost_of_pass,
    eqa,
    implied_relative_accuracy,
    pass_hat_k,
    per_task_spread,
    prompt_cache_utilization,
    relative_cost_of_pass_change,
    shortest_successful_steps,
    step_overhead_ratio,
    success_within_budget,
)
from agenteff.schema import RUNS, validate


def make_runs(rows):
    """A validated RUNS frame from (task, seed, success, cost) tuples, one architecture."""
    frame = pd.DataFrame(
        [
            {
                "run_id": f"{t}/{s}",
                "task": t,
                "suite": "s",
                "architecture": "a",
                "n_agents": 1,
                "model": "m",
                "seed": s,
                "success": ok,
                "cost_usd": c,
            }
            for t, s, ok, c in rows
        ]
    )
    return validate(frame, RUNS)


# --- cost of pass ---------------------------------------------------------------------------------------------


def test_cost_of_pass_is_total_cost_over_successes():
    runs = make_runs([("a", 0, True, 1.0), ("a", 1, False, 2.0), ("b", 0, True, 3.0), ("b", 1, False, 2.0)])
    out = cost_of_pass(runs, n_boot=0)
    row = out.iloc[0]
    assert row["cost_of_pass_usd"] == pytest.approx(8.0 / 2)  # 8 USD spent, 2 tasks solved
    assert row["accuracy"] == pytest.approx(0.5)
    assert row["cost_per_attempt_usd"] == pytest.approx(2.0)
    assert math.isnan(row["ci_low_usd"])


def test_cost_of_pass_is_infinite_without_success():
    runs = make_runs([("a", 0, False, 1.0), ("b", 0, False, 2.0)])
    row = cost_of_pass(runs, n_boot=200).iloc[0]
    assert row["cost_of_pass_usd"] == math.inf
    assert row["ci_low_usd"] == math.inf and row["ci_high_usd"] == math.inf


def test_cost_of_pass_one_trial_has_a_degenerate_interval():
    row = cost_of_pass(make_runs([("a", 0, True, 0.5)]), n_boot=100).iloc[0]
    assert row["cost_of_pass_usd"] == row["ci_low_usd"] == row["ci_high_usd"] == 0.5


def test_cost_of_pass_interval_brackets_the_estimate_and_can_be_infinite():
    # one success in four attempts: some resamples have no success, so the upper bound is infinite
    runs = make_runs([("a", 0, True, 1.0), ("a", 1, False, 1.0), ("a", 2, False, 1.0), ("a", 3, False, 1.0)])
    row = cost_of_pass(runs, n_boot=2000, seed=1).iloc[0]
    assert row["cost_of_pass_usd"] == pytest.approx(4.0)
    assert row["ci_low_usd"] <= 4.0 and row["ci_high_usd"] == math.inf
    # resampled ratios can only be cost (always 1 per attempt) x 4 / successes in {1..4}
    assert row["ci_low_usd"] in (1.0, 4 / 3, 2.0, 4.0)


def test_cost_of_pass_per_group_and_seed_reproducible():
    runs = make_runs([("a", 0, True, 1.0), ("a", 1, False, 3.0), ("b", 0, True, 2.0), ("b", 1, True, 2.0)])
    first = cost_of_pass(runs, by="task", n_boot=300, seed=7)
    again = cost_of_pass(runs, by="task", n_boot=300, seed=7)
    pd.testing.assert_frame_equal(first, again)
    assert list(first["task"]) == ["a", "b"]
    assert list(first["cost_of_pass_usd"]) == pytest.approx([4.0, 2.0])


def test_cost_of_pass_from_aggregate_rows():
    batches = pd.DataFrame({"system": ["x", "x"], "cost": [10.0, 14.0], "solved": [5, 7], "tasks": [10, 10]})
    row = cost_of_pass(batches, by="system", cost="cost", success="solved", attempts="tasks", n_boot=500).iloc[0]
    assert row["cost_of_pass_usd"] == pytest.approx(24.0 / 12)
    assert row["accuracy"] == pytest.approx(12 / 20)
    assert row["attempts"] == 20
    assert row["ci_low_usd"] < 2.0 < row["ci_high_usd"]


def test_cost_of_pass_aggregate_single_row_with_no_success():
    batch = pd.DataFrame({"cost": [3.0], "solved": [0], "tasks": [5]})
    row = cost_of_pass(batch, cost="cost", success="solved", attempts="tasks", n_boot=50).iloc[0]
    assert row["cost_of_pass_usd"] == math.inf and row["ci_low_usd"] == math.inf


def test_cost_of_pass_refuses_missing_costs():
    runs = make_runs([("a", 0, True, 1.0)])
    runs.loc[0, "cost_usd"] = np.nan
    with pytest.raises(ValueError, match="missing"):
        cost_of_pass(runs)


def test_relative_cost_of_pass_change():
    assert relative_cost_of_pass_change(0.4, 0.2) == pytest.approx(0.5)
    # same cost, accuracy halved: each success costs twice as much
    assert relative_cost_of_pass_change(1.0, 1.0, relative_accuracy=0.5) == pytest.approx(-1.0)
    assert relative_cost_of_pass_change(1.0, 0.5, relative_accuracy=0.8) == pytest.approx(1 - 0.625)
    with pytest.raises(ValueError):
        relative_cost_of_pass_change(0.0, 1.0)


def test_implied_relative_accuracy_inverts_the_change():
    change = relative_cost_of_pass_change(0.5, 0.3, relative_accuracy=0.9)
    assert implied_relative_accuracy(0.5, 0.3, change) == pytest.approx(0.9)
    assert implied_relative_accuracy(1.0, 0.5, 0.5) == pytest.approx(1.0)


# --- pass^k ---------------------------------------------------------------------------------------------------


def test_pass_hat_k_matches_hand_computation():
    # task a: 3 of 4 trials pass, task b: 1 of 4, task c: 4 of 4
    rows = [(t, s, s < n, 0.0) for t, n in (("a", 3), ("b", 1), ("c", 4)) for s in range(4)]
    out = pass_hat_k(make_runs(rows), [1, 2, 3, 4]).set_index("k")["pass_hat_k"]
    assert out[1] == pytest.approx((3 / 4 + 1 / 4 + 1) / 3)
    assert out[2] == pytest.approx((3 / 6 + 0 + 1) / 3)  # C(3,2)/C(4,2) = 3/6
    assert out[3] == pytest.approx((1 / 4 + 0 + 1) / 3)
    assert out[4] == pytest.approx((0 + 0 + 1) / 3)


def test_pass_hat_k_one_trial_and_k_beyond_trials():
    runs = make_runs([("a", 0, True, 0.0), ("b", 0, False, 0.0)])
    out = pass_hat_k(runs, [1, 2]).set_index("k")
    assert out.loc[1, "pass_hat_k"] == pytest.approx(0.5)
    assert math.isnan(out.loc[2, "pass_hat_k"])  # k larger than the trials: undefined, not zero
    assert out.loc[2, "min_trials"] == 1


def test_pass_hat_k_unequal_trials_uses_each_tasks_own_count():
    runs = make_runs(
        [("a", 0, True, 0.0), ("a", 1, True, 0.0), ("a", 2, False, 0.0), ("b", 0, True, 0.0), ("b", 1, False, 0.0)]
    )
    out = pass_hat_k(runs, 2).iloc[0]
    assert out["pass_hat_k"] == pytest.approx((1 / 3 + 0) / 2)
    assert math.isnan(pass_hat_k(runs, 3).iloc[0]["pass_hat_k"])  # task b has only 2 trials


def test_pass_hat_k_rejects_k_below_one():
    with pytest.raises(ValueError):
        pass_hat_k(make_runs([("a", 0, True, 0.0)]), 0)


# --- trajectory metrics on per-run counts ---------------------------------------------------------------------


def test_step_overhead_ratio_and_shortest_success():
    frame = pd.DataFrame(
        {
            "task": ["a", "a", "b", "c"],
            "success": [True, True, False, True],
            "n_tool_calls": [4, 6, 3, 2],
            "minimal_steps": [2, 2, 0, np.nan],
        }
    )
    ratio = step_overhead_ratio(frame)
    assert ratio.iloc[0] == 2.0 and ratio.iloc[1] == 3.0
    assert math.isnan(ratio.iloc[2]) and math.isnan(ratio.iloc[3])  # zero or unknown minimum: undefined
    shortest = shortest_successful_steps(frame)
    assert shortest["a"] == 4 and math.isnan(shortest["b"]) and shortest["c"] == 2


def test_prompt_cache_utilization_pools_known_rows():
    frame = pd.DataFrame(
        {"g": ["x", "x", "x", "y"], "prompt_tokens": [100, 300, 50, 0], "cached_tokens": [50, 150, np.nan, 0]}
    )
    out = prompt_cache_utilization(frame, by="g").set_index("g")
    assert out.loc["x", "prompt_cache_utilization"] == pytest.approx(200 / 400)  # the unknown row is left out
    assert out.loc["x", "n_rows_known"] == 2
    assert math.isnan(out.loc["y", "prompt_cache_utilization"])
    with pytest.raises(ValueError):
        prompt_cache_utilization(pd.DataFrame({"prompt_tokens": [1], "cached_tokens": [2]}))


def test_success_within_budget_and_eqa():
    frame = pd.DataFrame({"n_agent_steps": [1, 3, 2, 5], "success": [True, True, False, True]})
    curve = success_within_budget(frame, max_steps=4)
    assert list(curve["success_rate"]) == pytest.approx([0.25, 0.25, 0.5, 0.5])
    area = eqa(frame, max_steps=4).iloc[0]
    assert area["eqa"] == pytest.approx((0.25 + 0.25 + 0.5 + 0.5) / 4)
    assert area["success_rate"] == pytest.approx(0.75)


def test_eqa_no_success_and_by_group():
    frame = pd.DataFrame({"g": ["x", "x", "y"], "n_agent_steps": [1, 2, 1], "success": [False, False, True]})
    out = eqa(frame, max_steps=2, by="g").set_index("g")
    assert out.loc["x", "eqa"] == 0.0
    assert out.loc["y", "eqa"] == 1.0  # one-step success on every budget


# --- variability and outcomes ---------------------------------------------------------------------------------


def test_per_task_spread():
    runs = pd.DataFrame({"model": ["m"] * 4, "task": ["a", "a", "a", "b"], "completion_tokens": [10, 20, 30, 7]})
    out = per_task_spread(runs).set_index("task")
    assert out.loc["a", "mean"] == 20 and out.loc["a", "std"] == pytest.approx(10.0)
    assert out.loc["a", "cv"] == pytest.approx(0.5) and out.loc["a", "max_over_min"] == 3.0
    assert out.loc["b", "n_runs"] == 1 and math.isnan(out.loc["b", "cv"])


def test_compare_outcomes():
    frame = pd.DataFrame({"success": [True, True, False, False, False], "x": [1.0, 3.0, 5.0, 7.0, np.nan]})
    row = compare_outcomes(frame, "x").iloc[0]
    assert (row["n_success"], row["n_failure"]) == (2, 2)
    assert row["median_success"] == 2.0 and row["median_failure"] == 6.0
    assert row["mann_whitney_p"] == pytest.approx(1 / 3)  # exact test: 2 of the 6 orderings are as extreme
    empty = compare_outcomes(frame[frame["success"]], "x").iloc[0]
    assert math.isnan(empty["mann_whitney_p"])
