"""The MCPP planner's decisions are bit-identical to those of its first implementation (recorded below from it,
before the planner was restructured for speed: see the comments in agenteff.engines.workflows.kernels), so the
study-05 notebook's stored outputs stay valid; serial and parallel planners agree."""

import math

import numpy as np
import pandas as pd
import pytest

from agenteff import datasets
from agenteff.engines.workflows import MCPP, Instance, kernels, layered_dag, plan_decision, portfolio, simulate

PORTFOLIO = pd.DataFrame(
    {"model": ["strong", "light"], "success_power": [1.0, 2.0], "latency_scale": [1.0, 0.5], "cost_scale": [1.0, 0.25]}
)
NAN = math.nan
# cell (budget x, deadline x) -> first decision per seed 0..3 as (model, k) of the 3 source nodes and successes of
# 64 rollouts of the best pair; then 5 trials of MCPP under seed 9: success, completed, makespan, spent, decisions,
# first estimate, rollouts
RECORDED = {
    (3.0, 2.0): (
        [(1, 16, 6), (0, 4, 7), (0, 4, 7), (1, 16, 12)],
        [
            [0.0, 0.0, NAN, 72772.77249999999, 10.0, 0.078125, 49152.0],
            [0.0, 0.0, NAN, 72423.69, 11.0, 0.078125, 57344.0],
            [0.0, 0.0, NAN, 68677.2025, 11.0, 0.15625, 57344.0],
            [0.0, 0.0, NAN, 72542.9875, 13.0, 0.171875, 65536.0],
            [1.0, 1.0, 59.30551114834735, 64416.3975, 6.0, 0.09375, 36864.0],
        ],
    ),
    (8.0, 4.0): (
        [(0, 1, 46), (0, 4, 47), (1, 1, 51), (1, 1, 46)],
        [
            [0.0, 0.0, NAN, 137521.55000000002, 7.0, 0.75, 40960.0],
            [1.0, 1.0, 137.20980265466955, 190743.61750000002, 24.0, 0.78125, 110592.0],
            [0.0, 0.0, NAN, 144058.94499999998, 14.0, 0.75, 69632.0],
            [1.0, 1.0, 82.00819849376822, 178024.92, 7.0, 0.78125, 40960.0],
            [1.0, 1.0, 124.85473416633371, 128276.17500000005, 18.0, 0.703125, 86016.0],
        ],
    ),
}


@pytest.fixture(scope="module")
def dag():
    base = layered_dag(datasets.load("mcpp-node-templates"), 8, 3, 0.5, np.random.default_rng(2))
    return portfolio(base, PORTFOLIO)


@pytest.mark.parametrize("cell", sorted(RECORDED))
@pytest.mark.parametrize("parallel", [False, True])
def test_first_decisions_match_the_recorded_ones(dag, cell, parallel):
    instance = Instance(dag, cell[0] * dag.reference_cost(), cell[1] * dag.reference_latency())
    sources = [i for i, parents in enumerate(dag.parents) if not parents]
    assert sources == [0, 1, 2]
    for seed, (model, k, successes) in enumerate(RECORDED[cell][0]):
        models, ks, share, rollouts = plan_decision(instance, MCPP(), seed=seed, parallel=parallel)
        assert models[sources].tolist() == [model] * 3
        assert ks[sources].tolist() == [k] * 3
        assert share == successes / 64
        assert rollouts == 16 * 8 * 64  # 8 uniform + 8 random candidates, 2 models x 4 k continuations


@pytest.mark.parametrize("cell", sorted(RECORDED))
def test_mcpp_runs_match_the_recorded_ones(dag, cell):
    # later decisions see running batches, retries and partly spent budgets: every branch of the rollouts
    instance = Instance(dag, cell[0] * dag.reference_cost(), cell[1] * dag.reference_latency())
    trials = simulate(instance, MCPP(), 5, seed=9)
    expected = np.array(RECORDED[cell][1])
    np.testing.assert_array_equal(trials.drop(columns="trial").to_numpy(dtype=float), expected)


def test_parallel_planner_agrees_with_serial_on_long_continuations(dag):
    # a deadline and budget without effect: continuations retry light-model nodes many times, read from the
    # cache of continuation latencies; the parallel planner must give the serial planner's counts
    instance = Instance(dag, 100.0 * dag.reference_cost(), 100.0 * dag.reference_latency())
    policy = MCPP(k_values=(1,), n_random=0)
    for seed in range(3):
        serial = plan_decision(instance, policy, seed=seed, parallel=False)
        parallel = plan_decision(instance, policy, seed=seed, parallel=True)
        assert serial[2] == parallel[2] and np.array_equal(serial[0], parallel[0])


def test_uniform_at_is_the_stream_stepped_in_order():
    state = np.array([np.uint64(12345)], dtype=np.uint64)
    drawn = [kernels._uniform(state) for _ in range(5)]
    assert drawn == [kernels._uniform_at(np.uint64(12345), step) for step in range(1, 6)]
