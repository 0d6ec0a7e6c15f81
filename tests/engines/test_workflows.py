"""Study 05: workflow DAGs, the simulator's rules, the policies and MCPP's estimates."""

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import special, stats

from agenteff import datasets
from agenteff.engines.workflows import (
    MCPP,
    Dag,
    Instance,
    Seq,
    StaticSplit,
    chain_dag,
    kernels,
    layered_dag,
    load_instances,
    portfolio,
    save_instances,
    simulate,
)


def test_chain_seq_k_matches_closed_form():
    # one batch per node affordable, no deadline: success needs each node's single batch to succeed
    p1, p2, cost, n = 0.35, 0.6, 10.0, 40_000
    for k in (1, 3, 8):
        instance = Instance(chain_dag([[p1, 2.0, 1.0, cost], [p2, 3.0, 2.0, cost]]), 2 * k * cost, math.inf)
        measured = simulate(instance, Seq(k), n, seed=k)["success"].mean()
        exact = (1 - (1 - p1) ** k) * (1 - (1 - p2) ** k)
        assert abs(measured - exact) < 4 * math.sqrt(exact * (1 - exact) / n)


def test_budget_below_one_sample_never_completes():
    instance = Instance(chain_dag([[0.9, 1.0, 0.1, 10.0], [0.9, 1.0, 0.1, 10.0]]), 9.99, math.inf)
    for policy in (Seq(1), Seq(4), StaticSplit("uniform"), MCPP()):
        trials = simulate(instance, policy, 200, seed=0)
        assert not trials["success"].any() and not trials["completed"].any()


def test_partial_batch_when_budget_runs_short():
    # budget for 3 samples, Seq-5: the only batch launches 3 samples, so p = 1 - (1 - p)^3
    p, n = 0.3, 40_000
    instance = Instance(chain_dag([[p, 1.0, 0.1, 1.0]]), 3.0, math.inf)
    trials = simulate(instance, Seq(5), n, seed=1)
    exact = 1 - (1 - p) ** 3
    assert abs(trials["success"].mean() - exact) < 4 * math.sqrt(exact * (1 - exact) / n)
    assert trials["spent"].max() == pytest.approx(3.0)


def test_retries_until_success_without_limits():
    # unlimited budget: the number of single-sample batches is geometric, so mean spend = cost / p
    p, n = 0.25, 40_000
    instance = Instance(chain_dag([[p, 1.0, 0.1, 2.0]]), math.inf, math.inf)
    trials = simulate(instance, Seq(1), n, seed=2)
    assert trials["success"].all()
    sd = 2.0 * math.sqrt(1 - p) / p / math.sqrt(n)
    assert abs(trials["spent"].mean() - 2.0 / p) < 4 * sd


def test_deadline_judges_makespan_of_a_chain():
    # p = 1 and deterministic latencies (sd 0): makespan = 2 + 3 = 5 exactly
    dag = chain_dag([[1.0, 2.0, 0.0, 1.0], [1.0, 3.0, 0.0, 1.0]])
    for deadline, expected in ((5.0, True), (4.99, False)):
        for policy in (Seq(2), MCPP()):
            trials = simulate(Instance(dag, 100.0, deadline), policy, 5, seed=0)
            assert trials["success"].all() == expected
    baseline = simulate(Instance(dag, 100.0, 4.0), Seq(1), 5, seed=0)
    assert baseline["completed"].all() and np.allclose(baseline["makespan"], 5.0)  # runs on, judged afterwards
    mcpp = simulate(Instance(dag, 100.0, 4.0), MCPP(), 5, seed=0)
    assert not mcpp["completed"].any() and (mcpp["spent"] == 1.0).all()  # node 1's batch would end late


def test_children_wait_for_all_parents():
    # 0 and 1 run in parallel, 2 needs both: makespan = max(2, 7) + 1 with deterministic latencies
    dag = Dag(((), (), (0, 1)), [[1.0, 2.0, 0.0, 1.0], [1.0, 7.0, 0.0, 1.0], [1.0, 1.0, 0.0, 1.0]])
    trials = simulate(Instance(dag, 10.0, math.inf), Seq(1), 3, seed=0)
    assert np.allclose(trials["makespan"], 8.0) and (trials["spent"] == 3.0).all()


def test_batch_latency_is_the_maximum_of_k_lognormals():
    mean, sd, k = 4.0, 2.0, 5
    sigma = math.sqrt(math.log1p((sd / mean) ** 2))
    mu = math.log(mean) - sigma**2 / 2
    u = (np.arange(4000) + 0.5) / 4000
    drawn = np.array([kernels.batch_latency(x, mu, sigma, k) for x in u])
    reference = np.random.default_rng(0).lognormal(mu, sigma, size=(20_000, k)).max(axis=1)
    assert stats.ks_2samp(drawn, reference).pvalue > 1e-3
    assert kernels.batch_latency(0.5, mu, sigma, 1) == pytest.approx(math.exp(mu), rel=1e-8)


def test_normal_quantile_matches_scipy():
    p = np.concatenate([np.geomspace(1e-12, 0.5, 50), 1 - np.geomspace(1e-12, 0.5, 50)])
    ours = np.array([kernels.normal_quantile(math.log(x)) for x in p])
    assert np.allclose(ours, special.ndtri(p), rtol=1e-8, atol=1e-8)


def test_running_batch_latency_is_conditioned_on_elapsed_time():
    mu, sigma, k, elapsed = 1.0, 0.6, 3, 4.0
    u = (np.arange(4000) + 0.5) / 4000
    drawn = np.array([kernels.batch_latency_beyond(x, mu, sigma, k, elapsed) for x in u])
    reference = np.exp(mu + sigma * np.random.default_rng(1).standard_normal((200_000, k))).max(axis=1)
    reference = reference[reference > elapsed]
    assert drawn.min() >= elapsed
    assert stats.ks_2samp(drawn, reference).pvalue > 1e-3


def test_static_split_sample_counts():
    dag = chain_dag([[0.5, 1.0, 0.1, 10.0], [0.25, 3.0, 0.1, 20.0]])
    budgets = np.array([120.0])
    _, uniform = StaticSplit("uniform").batches(dag, budgets, 1, np.random.default_rng(0))
    assert uniform[0, 0].tolist() == [6, 3]  # 60 / 10, 60 / 20
    _, latency = StaticSplit("latency").batches(dag, budgets, 1, np.random.default_rng(0))
    assert latency[0, 0].tolist() == [3, 4]  # shares 1/4, 3/4 of 120
    _, success = StaticSplit("success").batches(dag, budgets, 1, np.random.default_rng(0))
    assert success[0, 0].tolist() == [2, 4]  # weights 20, 80


def test_mcpp_estimate_agrees_with_measured_probability():
    # a single candidate and continuation (Seq-4 throughout): the planner's first estimate is an unbiased
    # estimate of the probability that the executed run succeeds
    templates = datasets.load("mcpp-node-templates")
    dag = layered_dag(templates, 6, 3, 0.5, np.random.default_rng(3))
    policy = MCPP(k_values=(4,), n_random=0)
    n = 4000
    for budget_x, deadline_x in ((6.0, 2.0), (10.0, 1.6)):
        instance = Instance(dag, budget_x * dag.reference_cost(), deadline_x * dag.reference_latency())
        trials = simulate(instance, policy, n, seed=11)
        measured, estimate = trials["success"].mean(), trials["estimate"].mean()
        assert 0.05 < measured < 0.95
        # each estimate averages 64 rollouts independent of the trial's own outcomes
        se = math.sqrt(measured * (1 - measured) / n + trials["estimate"].var() / n)
        assert abs(measured - estimate) < 4 * se


def test_mcpp_matches_its_best_single_policy_on_one_node():
    # one node, one model: MCPP chooses among Seq-k; it must do at least about as well as the best of them
    dag = chain_dag([[0.3, 2.0, 0.5, 1.0]])
    instance = Instance(dag, 16.0, 5.0)
    n = 4000
    mcpp = simulate(instance, MCPP(), n, seed=4)["success"].mean()
    best = max(simulate(instance, Seq(k), n, seed=4)["success"].mean() for k in (1, 4, 16))
    assert mcpp > best - 4 * math.sqrt(best * (1 - best) / n)


def test_runs_are_deterministic_given_the_seed():
    dag = layered_dag(datasets.load("mcpp-node-templates"), 6, 3, 0.5, np.random.default_rng(5))
    instance = Instance(dag, 3 * dag.reference_cost(), 2 * dag.reference_latency())
    first = simulate(instance, MCPP(), 50, seed=9)
    pd.testing.assert_frame_equal(first, simulate(instance, MCPP(), 50, seed=9))
    assert not first.equals(simulate(instance, MCPP(), 50, seed=10))


def test_instances_round_trip_through_json(tmp_path):
    dag = Dag(
        ((), (0,), (0,), (1, 2)), np.array([[[0.5, 2.0, 1.0, 10.0]] * 4, [[0.3, 1.0, 0.5, 2.0]] * 4]), ("big", "small")
    )
    path = save_instances([Instance(dag, 100.0, 20.0), Instance(dag, math.inf, 5.0)], tmp_path / "inst.json")
    loaded = load_instances(path)
    assert [(i.budget, i.deadline) for i in loaded] == [(100.0, 20.0), (math.inf, 5.0)]
    assert loaded[0].dag.parents == dag.parents and loaded[0].dag.model_names == ("big", "small")
    assert np.array_equal(loaded[0].dag.templates, dag.templates)
    node = json.loads(path.read_text())[0]["dag"]["nodes"][3]
    assert node["parents"] == [1, 2] and node["children"] == [] and node["template"]["cost_mean"] == 10.0


def test_single_instance_file_in_the_exchange_format(tmp_path):
    path = tmp_path / "one.json"
    path.write_text(
        json.dumps(
            {
                "budget": 50,
                "deadline": 9.5,
                "dag": {
                    "n_nodes": 2,
                    "nodes": [
                        {
                            "node_id": 1,
                            "parents": [0],
                            "children": [],
                            "template": {"success_prob": 0.5, "lat_mean": 2, "lat_std": 1, "cost_mean": 5},
                        },
                        {
                            "node_id": 0,
                            "parents": [],
                            "children": [1],
                            "template": {"success_prob": 0.9, "lat_mean": 1, "lat_std": 0.2, "cost_mean": 3},
                        },
                    ],
                },
            }
        )
    )
    (instance,) = load_instances(path)
    assert instance.dag.parents == ((), (0,)) and instance.dag.field("cost_mean").tolist() == [[3.0, 5.0]]


def test_dag_rejects_cycles_and_impossible_nodes():
    with pytest.raises(ValueError, match="cycle"):
        Dag(((1,), (0,)), [[0.5, 1.0, 0.1, 1.0]] * 2)
    with pytest.raises(ValueError, match="success_prob"):
        Dag(((),), [[0.0, 1.0, 0.1, 1.0]])


def test_layered_dag_structure():
    templates = datasets.load("mcpp-node-templates")
    dag = layered_dag(templates, 10, 4, 0.3, np.random.default_rng(0))
    layers = np.array_split(np.arange(10), 4)
    layer_of = {int(node): index for index, layer in enumerate(layers) for node in layer}
    for node, parents in enumerate(dag.parents):
        assert (len(parents) == 0) == (layer_of[node] == 0)
        assert all(layer_of[q] == layer_of[node] - 1 for q in parents)
    assert dag.reference_latency() >= dag.field("lat_mean")[0].max()


def test_portfolio_derives_models():
    dag = chain_dag([[0.5, 2.0, 1.0, 10.0]])
    models = pd.DataFrame(
        {
            "model": ["strong", "light"],
            "success_power": [1.0, 2.0],
            "latency_scale": [1.0, 0.5],
            "cost_scale": [1.0, 0.25],
        }
    )
    both = portfolio(dag, models)
    assert both.model_names == ("strong", "light")
    assert both.templates[1, 0].tolist() == [0.25, 1.0, 0.5, 2.5]


def test_node_templates_parse():
    templates = datasets.load("mcpp-node-templates")
    assert len(templates) == 5000 and templates["template_id"].is_unique
    assert templates["success_prob"].between(0, 1, inclusive="right").all()
