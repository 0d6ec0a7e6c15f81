"""Task suites, the simulated agent, the five topologies, and the experiment runner over HTTP."""

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from agenteff import schema
from agenteff.engines.topologies import ARCHITECTURES, DEFAULT_MODELS, Limits, make_suite, run_experiment, run_topology
from agenteff.engines.topologies import protocol as P
from agenteff.engines.topologies.simagent import simulated_agent
from agenteff.engines.topologies.suites import grade
from agenteff.llm import PriceTable, call_cost


class InProcessClient:
    """Plays the simulated agent without a server: same behaviour, seeded per request like the server."""

    def __init__(self, error_prob=0.0, served_as=None, **params):
        self.model = SimpleNamespace(error_prob=error_prob, params=params)
        self.served_as = served_as  # the model id replies report (None: the one asked for)
        self.max_tokens = []  # the cap of every call, in order

    def chat(self, model, messages, tools=None, temperature=0.0, max_tokens=None, seed=0):
        self.max_tokens.append(max_tokens)
        messages = json.loads(json.dumps(messages))
        key = json.dumps([model, messages, seed], sort_keys=True)
        rng = np.random.default_rng(list(key.encode()))
        reply = simulated_agent(messages, tools, self.model, rng)
        calls = [
            {"id": f"call_{len(messages)}_{i}", "name": c["name"], "arguments": c["arguments"]}
            for i, c in enumerate(reply["tool_calls"])
        ]
        return SimpleNamespace(
            message={"content": reply["content"], "tool_calls": calls},
            content=reply["content"],
            tool_calls=calls,
            finish_reason="stop",
            prompt_tokens=7,
            completion_tokens=3,
            cached_tokens=0,
            latency_s=0.001,
            cost_usd=0.0,
            simulated=True,
            model=self.served_as or model,
        )


def _as_frames(results):
    runs = pd.DataFrame([r for r, _ in results])
    steps = pd.DataFrame([s for _, ss in results for s in ss])
    return schema.validate(runs, schema.RUNS), schema.validate(steps, schema.STEPS)


# --- suites -------------------------------------------------------------------------------------------------


def test_suites_are_deterministic_and_answers_verifiable():
    first, again, other = (
        make_suite("sequential", 5, seed=3),
        make_suite("sequential", 5, seed=3),
        make_suite("sequential", 5, seed=4),
    )
    assert [t.answer for t in first] == [t.answer for t in again]
    assert [t.prompt for t in first] != [t.prompt for t in other]
    for task in first:  # walking the chain through the tools gives the answer
        value = task.start
        for item in task.items:
            value = task.call(item.tool, {"value": value})["result"]
        assert value == task.answer
    for task in make_suite("parallel", 5, n_tools=6):
        assert len(task.tools) == 6
        total = sum(task.call(it.tool, {"entity": it.argument})["result"] for it in task.items)
        assert total == task.answer
        assert "error" in task.call(task.items[0].tool, {"entity": "NOBODY"})
    assert all(3 <= len(t.items) <= 9 for t in make_suite("parallel", 30))
    with pytest.raises(ValueError, match="unknown suite"):
        make_suite("chaotic", 1)


def test_grade():
    task = make_suite("parallel", 1)[0]
    assert grade(task, task.answer) == (True, 1.0)
    success, score = grade(task, task.answer + task.answer // 10)
    assert not success and 0.85 < score < 0.95
    assert grade(task, None) == (False, 0.0)


# --- the simulated agent ------------------------------------------------------------------------------------


def _conversation(task, role="single", agent="a1", budget=10, **lines):
    return [
        {"role": "system", "content": P.system_prompt(role, agent, budget, **lines)},
        {"role": "user", "content": task.prompt},
    ]


def test_agent_calls_the_first_item_then_notes_the_result():
    task = make_suite("parallel", 1)[0]
    model = SimpleNamespace(error_prob=0.0, params={})
    messages = _conversation(task)
    reply = simulated_agent(messages, task.tools, model, np.random.default_rng(0))
    first = task.items[0]
    assert reply["tool_calls"] == [{"name": first.tool, "arguments": {"entity": first.argument}}]
    assert "CALL item 1" in reply["content"]
    messages += [
        {
            "role": "assistant",
            "content": reply["content"],
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": first.tool, "arguments": json.dumps({"entity": first.argument})},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": json.dumps({"result": 123})},
    ]
    reply = simulated_agent(messages, task.tools, model, np.random.default_rng(0))
    assert P.parse_notes(reply["content"]) == [P.Note(1, 123, first.tool, "entity", first.argument, 123)]


def test_orchestrator_checks_notes_against_evidence():
    task = make_suite("parallel", 1, min_items=2, max_items=2)[0]
    first, second = task.items
    messages = _conversation(task, "orchestrator", "orchestrator", 6, workers="w1,w2", worker_budget=3)
    messages += [
        {"role": "assistant", "content": "ASSIGN w1: items 1\nASSIGN w2: items 2"},
        {
            "role": "user",
            "content": "\n\n".join(
                [
                    P.block(
                        "REPORT from", "w1", f"NOTE item 1 = 50 (tool: {first.tool}(entity={first.argument}) -> 50)", 1
                    ),
                    P.block(
                        "REPORT from",
                        "w2",
                        f"NOTE item 2 = 61 (tool: {second.tool}(entity={second.argument}) -> 60)",
                        1,
                    ),
                ]
            ),
        },
    ]
    careful = SimpleNamespace(error_prob=0.0, params={"check_prob": 1.0})
    content = simulated_agent(messages, None, careful, np.random.default_rng(0))["content"]
    assert "ACCEPT item 1 = 50" in content and "REJECT item 2" in content
    assert P.parse_assignments(content) == {"w2": [2]} or P.parse_assignments(content) == {"w1": [2]}
    careless = SimpleNamespace(error_prob=0.0, params={"check_prob": 0.0})
    content = simulated_agent(messages, None, careless, np.random.default_rng(0))["content"]
    assert P.parse_final(content) == 111  # the misread value went through unchecked


def test_aggregator_synthesises_without_checking():
    task = make_suite("parallel", 1, min_items=2, max_items=2)[0]
    first, second = task.items
    messages = _conversation(task, "aggregator", "aggregator", 1)
    messages.append(
        {
            "role": "user",
            "content": "\n\n".join(
                [
                    P.block("OUTPUT from", "w1", f"NOTE item 1 = 7 (tool: {first.tool}(entity={first.argument}) -> 5)"),
                    P.block(
                        "OUTPUT from", "w2", f"NOTE item 2 = 10 (tool: {second.tool}(entity={second.argument}) -> 10)"
                    ),
                ]
            ),
        }
    )
    model = SimpleNamespace(error_prob=0.0, params={"check_prob": 1.0})
    assert P.parse_final(simulated_agent(messages, None, model, np.random.default_rng(0))["content"]) == 17


# --- the topologies -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("suite", ["parallel", "sequential"])
def test_every_topology_solves_every_task_without_errors(suite):
    client = InProcessClient(error_prob=0.0)
    tasks = make_suite(suite, 6)
    results = [run_topology(client, "m", t, a) for t in tasks for a in ARCHITECTURES]
    runs, steps = _as_frames(results)
    assert runs["success"].all()
    assert set(runs["n_agents"]) == {1, 3, 4}
    assert set(steps["role"]) == {"single", "worker", "orchestrator", "aggregator", "peer"}


def test_errors_without_checks_make_runs_fail():
    client = InProcessClient(error_prob=1.0, check_prob=0.0)
    runs, _ = _as_frames([run_topology(client, "m", t, "single") for t in make_suite("parallel", 4)])
    assert not runs["success"].any()


def test_turn_counts_and_messages_follow_the_protocol():
    task = make_suite("parallel", 1, min_items=4, max_items=4)[0]
    client = InProcessClient(error_prob=0.0)
    _, single = run_topology(client, "m", task, "single")
    assert len(single) == 5  # one call per item, then the answer
    run, steps = run_topology(client, "m", task, "centralized")
    frame = pd.DataFrame(steps)
    # orchestrator: assign + answer; workers (2 items each at most): w1 items 1,4 -> 3 turns, w2 and w3 -> 2 each
    assert frame.groupby("agent_id").size().to_dict() == {"orchestrator": 2, "w1": 3, "w2": 2, "w3": 2}
    assert frame.iloc[0]["recipients"] == "w1,w2,w3"
    assert (frame[frame["role"] == "worker"].groupby("agent_id")["recipients"].last() == "orchestrator").all()
    assert run["n_agents"] == 4 and run["prompt_tokens"] == 7 * len(steps)


def test_limits_bound_the_turns():
    task = make_suite("sequential", 1, min_items=6, max_items=6)[0]
    client = InProcessClient(error_prob=0.0)
    run, steps = run_topology(client, "m", task, "single", limits=Limits(max_iterations=3))
    assert len(steps) == 3 and not run["success"]
    run, steps = run_topology(client, "m", task, "centralized", limits=Limits(max_rounds=2))
    assert max(s["round"] for s in steps) == 3 and not run["success"]  # 2 rounds of 2 steps cannot finish 6
    with pytest.raises(ValueError, match="at least 1"):
        Limits(max_rounds=0)
    with pytest.raises(ValueError, match="needs at least 2"):
        run_topology(client, "m", task, "centralized", n_agents=1)


def test_agent_count_is_a_parameter():
    task = make_suite("parallel", 1, min_items=9, max_items=9)[0]
    client = InProcessClient(error_prob=0.0)
    for n in (2, 5, 9):
        run, steps = run_topology(client, "m", task, "decentralized", n_agents=n)
        assert run["success"] and {s["agent_id"] for s in steps} == {f"p{i}" for i in range(1, n + 1)}


# --- over HTTP ----------------------------------------------------------------------------------------------


def test_run_experiment_over_the_simulated_endpoint(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENTEFF_CACHE_DIR", str(tmp_path))
    kwargs = dict(
        architectures=["single", "hybrid"],
        suites=["parallel", "sequential"],
        n_tasks=2,
        models=["sim-strong"],
        seeds=[0, 1],
    )
    runs, steps = run_experiment(**kwargs)
    assert len(runs) == 2 * 2 * 2 * 2 and runs["simulated"].all()  # architectures x suites x tasks x seeds
    assert set(steps["run_id"]) == set(runs["run_id"])
    price = PriceTable.load(None).lookup(DEFAULT_MODELS["sim-strong"][1])  # the real model it is priced as
    billed = [call_cost(price, r.prompt_tokens, r.completion_tokens, r.cached_tokens) for r in runs.itertuples()]
    assert runs["cost_usd"].to_numpy() == pytest.approx(billed) and (runs["cost_usd"] > 0).all()
    again_runs, again_steps = run_experiment(**kwargs)  # from the response cache
    pd.testing.assert_frame_equal(runs, again_runs)
    pd.testing.assert_frame_equal(steps, again_steps)
    sweep, _ = run_experiment(
        architectures=["single", "centralized"],
        suites=["parallel"],
        n_tasks=1,
        models=["sim-strong"],
        n_agents=[1, 2, 3],
    )
    assert sweep[["architecture", "n_agents"]].values.tolist() == [
        ["single", 1],
        ["centralized", 2],
        ["centralized", 3],
    ]


def test_run_experiment_refuses_a_simulated_model_priced_as_an_unpriced_model():
    from agenteff.llm import SimModel

    with pytest.raises(ValueError, match=r"no price for \['no-such-model'\]"):
        run_experiment(
            architectures=["single"],
            suites=["parallel"],
            n_tasks=1,
            models=[SimModel("sim-x", priced_as="no-such-model")],
        )


def test_max_tokens_reaches_every_call_and_the_served_model_is_recorded():
    task = make_suite("sequential", 1)[0]
    client = InProcessClient(error_prob=0.0, served_as="weights-q4")
    run, steps = run_topology(client, "asked-for", task, "hybrid", max_tokens=77)
    assert len(client.max_tokens) == len(steps) > 5 and set(client.max_tokens) == {77}
    assert (run["model"], run["served_model"]) == ("asked-for", "weights-q4")
    run, _ = run_topology(InProcessClient(), "m", task, "single")
    assert run["served_model"] == "m"


def test_run_experiment_refuses_mixed_up_endpoints_and_limits():
    from agenteff.llm import SimModel, resolve_endpoint

    live = resolve_endpoint("http://127.0.0.1:9/v1")
    with pytest.raises(ValueError, match=r"simulated models \['sim-x'\] need the simulated endpoint"):
        run_experiment(live, models=[SimModel("sim-x")], n_tasks=1)
    with pytest.raises(ValueError, match="not by prices"):
        run_experiment(resolve_endpoint("simulated"), n_tasks=1, prices={"m": {"input": 1, "output": 1}})
    with pytest.raises(ValueError, match=r"unknown limit\(s\) \['max_turns'\]"):
        run_experiment(resolve_endpoint("simulated"), n_tasks=1, max_turns=3)
    with pytest.raises(TypeError, match=r"pass resolve_endpoint\(base_url\)"):
        run_experiment(n_tasks=1, base_url="http://127.0.0.1:9/v1")
    assert Limits.of({"max_rounds": 2}) == Limits(max_rounds=2) and Limits.of(None) == Limits()


def test_a_finished_grid_leaves_no_client_of_its_stopped_endpoint_behind(tmp_path, monkeypatch):
    from agenteff.engines import sweep

    monkeypatch.setenv("AGENTEFF_CACHE_DIR", str(tmp_path))
    before = dict(sweep._worker_clients)
    runs, _ = run_experiment(architectures=["single"], suites=["parallel"], n_tasks=2, models=["sim-weak"])
    assert len(runs) == 2 and sweep._worker_clients == before
