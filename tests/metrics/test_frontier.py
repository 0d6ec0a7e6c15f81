"""The accuracy-cost Pareto frontier (agenteff.metrics.frontier) on hand-computed inputs."""

import pandas as pd
import pytest

from agenteff.metrics import pareto_frontier


def test_pareto_frontier_flags_and_distances():
    points = pd.DataFrame(
        {"cost_usd": [1.0, 2.0, 3.0, 4.0, 2.0], "accuracy": [0.5, 0.7, 0.6, 0.9, 0.7]}, index=["A", "B", "C", "D", "E"]
    )
    out = pareto_frontier(points)
    assert list(out["on_frontier"]) == [True, True, False, True, True]  # B and E tie: neither dominates
    assert out.loc["C", "dominated_by"] == "B"
    assert out.loc["C", "accuracy_gap"] == pytest.approx(0.1)  # 0.7 reachable for <= 3 USD
    assert out.loc["C", "cost_ratio"] == pytest.approx(3.0 / 2.0)  # 0.6 reachable for 2 USD
    assert out.loc["A", "cost_ratio"] == 1.0 and out.loc["A", "accuracy_gap"] == 0.0
    assert out["dominated_by"].isna().sum() == 4


def test_pareto_frontier_same_cost_lower_accuracy_is_dominated():
    points = pd.DataFrame({"cost_usd": [1.0, 1.0], "accuracy": [0.4, 0.6]}, index=["low", "high"])
    out = pareto_frontier(points)
    assert list(out["dominated"]) == [True, False]
    assert out.loc["low", "cost_ratio"] == 1.0 and out.loc["low", "accuracy_gap"] == pytest.approx(0.2)


def test_pareto_frontier_by_group_compares_only_within_groups():
    points = pd.DataFrame({"g": ["x", "x", "y"], "cost_usd": [1.0, 2.0, 5.0], "accuracy": [0.9, 0.8, 0.1]})
    out = pareto_frontier(points, by="g")
    assert list(out["on_frontier"]) == [True, False, True]  # y's point is alone in its group
    assert list(out.index) == [0, 1, 2]


def test_pareto_frontier_of_lengths_keeps_identical_points():
    frame = pd.DataFrame({"accuracy": [0.5, 0.6, 0.4, 0.6, 0.5], "mean_length": [100, 200, 150, 250, 100]})
    out = pareto_frontier(frame, cost="mean_length")
    assert out["on_frontier"].tolist() == [True, True, False, False, True]


def test_pareto_frontier_single_point():
    out = pareto_frontier(pd.DataFrame({"cost_usd": [3.0], "accuracy": [0.2]}))
    assert bool(out["on_frontier"].iloc[0])
