"""Context metrics on hand-made step tables: a loop, a cache-less trace, mono-context growth known in closed form."""

import json

import numpy as np
import pandas as pd
import pytest

from agenteff.metrics import context
from agenteff.schema import STEPS, validate


def _steps(rows):
    base = {"agent_id": "agent", "role": "single", "round": 0, "turn": 0}
    return validate(pd.DataFrame([{**base, **row} for row in rows]), STEPS)


def _mono_run(run_id, first, growth, n_calls, cached=True):
    """A run whose prompt starts at ``first`` and grows by ``growth`` per call; the cache holds the last prompt."""
    rows = []
    for t in range(n_calls):
        prompt = first + growth * t
        rows.append(
            {
                "run_id": run_id,
                "step": t,
                "turn": t,
                "prompt_tokens": prompt,
                "completion_tokens": 10,
                "cached_tokens": (prompt - growth if t else 0) if cached else None,
            }
        )
    return rows


def test_agent_calls_number_the_agents_calls_and_leave_out_the_user_and_tools():
    steps = _steps(
        [
            {"run_id": "r", "step": 0, "prompt_tokens": None, "content": "Hi"},  # scripted greeting: no usage
            {"run_id": "r", "step": 1, "agent_id": "user_simulator", "role": "user", "prompt_tokens": 50},
            {"run_id": "r", "step": 2, "prompt_tokens": 100, "completion_tokens": 5},
            {"run_id": "r", "step": 3, "agent_id": "tool", "role": "tool", "content": "{}"},
            {"run_id": "r", "step": 4, "prompt_tokens": 160, "completion_tokens": 7},
        ]
    )
    calls = context.agent_calls(steps)
    assert list(calls["step"]) == [2, 4]
    assert list(calls["call"]) == [1, 2]
    assert np.isnan(calls["growth"].iloc[0]) and calls["growth"].iloc[1] == 60


def test_cumulative_fit_recovers_half_the_growth_of_a_mono_context_trace():
    # P_t = 1000 + 200 (t - 1): C(T) = 900 T + 100 T^2 exactly, in every run and every resample
    steps = _steps(_mono_run("a", 1000, 200, 6) + _mono_run("b", 1000, 200, 4))
    fit = context.cumulative_prompt_fit(context.agent_calls(steps), n_boot=50, seed=1)
    assert fit["a"] == pytest.approx(900) and fit["b"] == pytest.approx(100)
    assert fit["b_low"] == pytest.approx(100) and fit["b_high"] == pytest.approx(100)
    assert fit["n_runs"] == 2 and fit["n_points"] == 10


def test_cumulative_fit_refuses_nonsense():
    with pytest.raises(ValueError, match="n_boot"):
        context.cumulative_prompt_fit(context.agent_calls(_steps(_mono_run("a", 10, 1, 3))), n_boot=0)
    with pytest.raises(ValueError, match="no agent calls"):
        context.cumulative_prompt_fit(context.agent_calls(_steps(_mono_run("a", 10, 1, 3)).iloc[:0]))


def test_pcu_of_a_cached_trace_and_nan_for_a_cache_less_one():
    steps = _steps(_mono_run("a", 1000, 200, 3) + _mono_run("b", 1000, 200, 3, cached=False))
    calls = context.agent_calls(steps).assign(source=lambda f: f["run_id"])
    table = context.fresh_and_cached(calls, by="source", n_boot=20).set_index("source")
    # run a: prompts 1000, 1200, 1400; cached 0, 1000, 1200 -> 2200 / 3600
    assert table.loc["a", "pcu"] == pytest.approx(2200 / 3600)
    assert table.loc["a", "fresh_tokens"] == 1400
    assert np.isnan(table.loc["b", "pcu"])  # unknown cache counts are not zero


def test_pooled_ratio_interval_resamples_runs():
    frame = pd.DataFrame({"run_id": ["a", "a", "b"], "num": [1, 1, 0], "den": [2, 2, 4]})
    table = context.pooled_ratio(frame, "num", "den", n_boot=200, seed=0)
    assert table["ratio"].iloc[0] == pytest.approx(2 / 8)
    # resamples are {a,a}: 0.5, {a,b}: 0.25, {b,b}: 0
    assert table["low"].iloc[0] == 0 and table["high"].iloc[0] == pytest.approx(0.5)


def test_code_actions_read_the_code_block_and_normalise_whitespace():
    steps = _steps(
        [
            {"run_id": "r", "step": 0, "content": "Thought: x\\n<code>\\n  a = web_search(query='q')\\n\\nprint(a)\\n"},
            {
                "run_id": "r",
                "step": 1,
                "content": "Thought: again\n<code>\na = web_search(query='q')\nprint(a)\n</code>",
            },
            {"run_id": "r", "step": 2, "content": "Final answer: 42"},
        ]
    )
    actions = context.code_actions(steps)
    assert list(actions["step"]) == [0, 1]
    assert actions["action"].iloc[0] == actions["action"].iloc[1] == "a = web_search(query='q')\nprint(a)"


def test_tool_call_actions_ignore_argument_order():
    calls = [
        json.dumps([{"name": "get", "arguments": {"a": 1, "b": 2}}]),
        json.dumps([{"name": "get", "arguments": {"b": 2, "a": 1}}, {"name": "put", "arguments": {}}]),
    ]
    steps = _steps([{"run_id": "r", "step": i, "tool_calls": c} for i, c in enumerate(calls)])
    actions = context.tool_call_actions(steps)
    assert list(actions["action"]) == ['get({"a": 1, "b": 2})'] * 2 + ["put({})"]


def test_a_loop_gives_both_arr_readings_and_its_first_repeat():
    actions = pd.DataFrame(
        {
            "run_id": ["loop"] * 5 + ["clean"] * 2 + ["single"],
            "step": [0, 2, 4, 6, 8, 0, 1, 0],
            "action": ["a", "b", "b", "b", "a", "x", "y", "z"],
        }
    )
    table = context.action_repetition_reading(actions).set_index("run_id")
    # loop: a b b b a -> consecutive repeats 2 of 4 pairs; repeats of any earlier action 3 of 5; first at step 4
    assert table.loc["loop", "arr_consecutive"] == pytest.approx(2 / 4)
    assert table.loc["loop", "arr_any_earlier"] == pytest.approx(3 / 5)
    assert table.loc["loop", "first_repeat_step"] == 4 and table.loc["loop", "first_repeat_action"] == 3
    assert table.loc["clean", "arr_any_earlier"] == 0 and pd.isna(table.loc["clean", "first_repeat_step"])
    assert np.isnan(table.loc["single", "arr_consecutive"])


def test_sor_readings():
    runs = pd.DataFrame(
        {"n_actions": [4, 6, 2, 3], "n_gold_actions": [2, 0, 2, None], "success": [True, False, True, False]}
    )
    sor = context.sor_min_reading(runs)
    assert sor.iloc[0] == 2 and np.isnan(sor.iloc[1]) and sor.iloc[2] == 1 and np.isnan(sor.iloc[3])
    fs = context.sor_fs_reading(runs, n_boot=50)
    # failed runs take (6 + 3) / 2 = 4.5 steps, successful (4 + 2) / 2 = 3
    assert fs["sor_fs"].iloc[0] == pytest.approx(1.5)
    assert fs["low"].iloc[0] <= 1.5 <= fs["high"].iloc[0]
    only_solved = context.sor_fs_reading(runs[runs["success"]], n_boot=5)
    assert np.isnan(only_solved["sor_fs"].iloc[0])


def test_missing_columns_are_named():
    with pytest.raises(Exception, match="prompt_tokens"):
        context.agent_calls(pd.DataFrame({"run_id": ["r"], "step": [0], "role": ["single"]}))
