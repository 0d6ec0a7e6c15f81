"""Counterfactual context policies on hand-made traces whose costs and crossover are worked out by hand."""

import numpy as np
import pandas as pd
import pytest

from agenteff.metrics import context_policies as cp
from agenteff.schema import STEPS, validate

TOKENS = cp.Prices(input=1e6, cached_input=1e6, output=1e6)  # one dollar per token: costs read as token counts
CACHED_FREE = cp.Prices(input=1e6, cached_input=0, output=1e6)


def _trace(n_calls=6):
    # base 100; every turn adds the agent's 10 tokens and a 90-token observation
    return cp.stationary_trace(base=100, action=10, observation=90, completion=10, n_calls=n_calls)


def test_mono_context_prompts_grow_and_the_cache_holds_the_last_prompt():
    priced = cp.price_calls(cp.MonoContext().calls(_trace(4)), CACHED_FREE)
    assert list(priced["prompt_tokens"]) == [100, 200, 300, 400]
    assert list(priced["cached_tokens"]) == [0, 100, 200, 300]
    # with free cache hits each call pays its 100 fresh tokens and 10 output tokens
    assert list(priced["cost_cached_usd"]) == [110, 110, 110, 110]
    assert list(priced["cost_uncached_usd"]) == [110, 210, 310, 410]


def test_workspace_crossover_without_caching_is_the_hand_worked_t5():
    # mono(T) = 100T + 50T(T-1) + 10T; workspace(T) = 100 + 250(T-1) + 60T (report of 50 output tokens a round):
    # mono - workspace = 50T^2 - 250T + 150 > 0 from T = 5 on (roots 0.70 and 4.30)
    policies = [cp.MonoContext(), cp.Workspace(report_tokens=50)]
    cumulative = cp.cumulative_cost_by_turn(_trace(12), policies, TOKENS)
    mono = cumulative[cumulative["policy"] == "mono-context"].set_index("turn")["cost_uncached_usd"]
    assert mono[4] == 100 * 4 + 50 * 4 * 3 + 10 * 4
    assert cp.crossover_horizon(cumulative, policies[1].name, "mono-context", "cost_uncached_usd") == 5


def test_crossover_is_none_when_the_policy_never_gets_cheaper():
    policies = [cp.MonoContext(), cp.Workspace(report_tokens=5000)]
    cumulative = cp.cumulative_cost_by_turn(_trace(6), policies, TOKENS)
    assert cp.crossover_horizon(cumulative, policies[1].name, "mono-context", "cost_uncached_usd") is None
    with pytest.raises(KeyError, match="no policy"):
        cp.crossover_horizon(cumulative, "nonsense", "mono-context")


def test_workspace_caps_the_observation_and_caches_only_its_fixed_prefix():
    trace = cp.stationary_trace(base=100, action=10, observation=90, completion=10, n_calls=3)
    priced = cp.price_calls(cp.Workspace(report_tokens=50, max_observation_tokens=40).calls(trace), CACHED_FREE)
    assert list(priced["prompt_tokens"]) == [100, 100 + 50 + 10 + 40, 200]
    assert list(priced["cached_tokens"]) == [0, 100, 100]  # the report changes every round
    assert list(priced["output_tokens"]) == [60, 60, 10]  # the last round writes no report


def test_resum_summarises_at_the_trigger_and_restarts_from_base_and_summary():
    # trigger 0.9 * 400 = 360: prompts 100, 200, 300, then 400 >= 360 -> summary call, context 100 + 30
    policy = cp.Resum(context_limit=400, summary_tokens=30)
    calls = policy.calls(_trace(6))
    priced = cp.price_calls(calls, CACHED_FREE)
    assert list(priced["prompt_tokens"]) == [100, 200, 300, 400, 130, 230, 330]
    assert list(priced["turn"]) == [1, 2, 3, 4, 4, 5, 6]
    assert priced["output_tokens"].iloc[3] == 30  # the summary is written as output
    assert priced["cached_tokens"].iloc[4] == 100  # after the reset only the base is shared
    assert priced["prompt_tokens"].max() < 0.9 * 400 + 100  # the saw-tooth stays bounded


def test_omission_replaces_old_observations_and_breaks_the_cache_there():
    priced = cp.price_calls(cp.Omission(keep_last=1, placeholder_tokens=2).calls(_trace(4)), CACHED_FREE)
    # turn 3 keeps o2, turns o1 into 2 tokens: 100 + (10+2) + (10+90); turn 4: 100 + 12 + 12 + 100
    assert list(priced["prompt_tokens"]) == [100, 200, 212, 224]
    # turn 3 shares base + a1 with turn 2's prompt (o1 changed); turn 4 shares base + a1 + ph1 + a2
    assert list(priced["cached_tokens"]) == [0, 100, 110, 122]


def test_offloading_long_tool_outputs_moves_them_to_an_uncached_subagent_call():
    policy = cp.OffloadLongOutputs(threshold=50, summary_tokens=20)
    priced = cp.price_calls(policy.calls(_trace(3)), CACHED_FREE)
    main = priced[priced["main"]]
    assert list(main["prompt_tokens"]) == [100, 130, 160]
    sub = priced[~priced["main"]]
    assert list(sub["prompt_tokens"]) == [90, 90] and list(sub["cached_tokens"]) == [0, 0]
    assert list(sub["output_tokens"]) == [20, 20]
    short = cp.price_calls(cp.OffloadLongOutputs(threshold=90, summary_tokens=20).calls(_trace(3)), TOKENS)
    assert short["main"].all()  # an output of exactly the threshold is kept


def _steps(rows):
    base = {"round": 0, "turn": 0}
    return validate(pd.DataFrame([{**base, **row} for row in rows]), STEPS)


def test_turn_traces_split_growth_into_action_and_observation_and_apportion_tools():
    steps = _steps(
        [
            {
                "run_id": "r",
                "step": 0,
                "agent_id": "agent",
                "role": "single",
                "prompt_tokens": 100,
                "completion_tokens": 10,
            },
            {"run_id": "r", "step": 1, "agent_id": "tool", "role": "tool", "content": "x" * 30},
            {
                "run_id": "r",
                "step": 2,
                "agent_id": "user",
                "role": "user",
                "content": "y" * 10,
                "prompt_tokens": 999,
                "completion_tokens": 5,
            },  # the user simulator's own call: not the agent's
            {
                "run_id": "r",
                "step": 3,
                "agent_id": "agent",
                "role": "single",
                "prompt_tokens": 150,
                "completion_tokens": 80,
            },
            {
                "run_id": "r",
                "step": 4,
                "agent_id": "agent",
                "role": "single",
                "prompt_tokens": 140,
                "completion_tokens": 7,
            },
        ]
    )
    (trace,) = cp.turn_traces(steps)
    assert trace.base == 100 and trace.n_calls == 3
    assert list(trace.action) == [10, 0, 0]  # growth 50 then -10 (clipped to 0)
    assert list(trace.observation) == [40, 0, 0]
    assert trace.tool[0] == pytest.approx(40 * 30 / 40)
    # the third prompt shrank: the framework rebuilt it, so every policy sends it as observed, uncached
    assert trace.rebuilt == {3: 140}
    mono = cp.price_calls(cp.calls_of(cp.MonoContext(), trace), CACHED_FREE)
    assert list(mono["prompt_tokens"]) == [100, 150, 140]
    assert list(mono["cached_tokens"]) == [0, 100, 0]
    omit = cp.price_calls(cp.calls_of(cp.Omission(keep_last=0), trace), CACHED_FREE)
    assert omit["prompt_tokens"].iloc[-1] == 140


def test_recost_totals_and_prices_from_a_table():
    table = pd.DataFrame(
        {
            "model": ["m"],
            "input_usd_per_mtok": [2.0],
            "cached_input_usd_per_mtok": [np.nan],
            "output_usd_per_mtok": [8.0],
        }
    )
    prices = cp.Prices.of(table, "m")
    assert prices.cached_input == 2.0  # no cached price: billed as input
    with pytest.raises(KeyError, match="no price"):
        cp.Prices.of(table, "other")
    result = cp.recost([_trace(3)], [cp.MonoContext()], prices).iloc[0]
    assert result["prompt_tokens"] == 600 and result["peak_prompt_tokens"] == 300
    assert result["cost_cached_usd"] == pytest.approx((600 * 2 + 30 * 8) / 1e6)


@pytest.mark.parametrize(
    "make",
    [
        lambda: cp.Prices(-1, 0, 0),
        lambda: cp.Workspace(report_tokens=-1),
        lambda: cp.Resum(context_limit=100, summary_tokens=10, trigger_share=1.5),
        lambda: cp.Omission(keep_last=-1),
        lambda: cp.OffloadLongOutputs(threshold=-5, summary_tokens=1),
        lambda: cp.stationary_trace(100, 10, 90, 10, n_calls=0),
    ],
)
def test_nonsense_parameters_are_refused(make):
    with pytest.raises(ValueError):
        make()
