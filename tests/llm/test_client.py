"""LLMClient against the simulated endpoint over real HTTP: results, cache, cost, retries, budgets, event loops."""

import asyncio
import math
import time

import pandas as pd
import pytest

from agenteff import datasets
from agenteff.llm import BudgetExceeded, LLMClient, PriceTable, RetriesExhausted, SimModel, call_cost, sim_server
from agenteff.llm.pricing import Price
from agenteff.llm.sim import server_stats

MODEL = "sim-test"
PRICES = {MODEL: {"input": 1.0, "cached_input": 0.5, "output": 2.0}}  # USD per million tokens
QUESTION = [{"role": "user", "content": "What is 17 * 23?"}]


def _question(i):
    return [{"role": "user", "content": f"What is {i} + 100?"}]


SIM_MODELS = [
    SimModel(MODEL, error_prob=0.0, latency_mean_s=0.005, latency_sd_s=0.001),
    SimModel(
        "sim-cacher",
        error_prob=0.0,
        latency_mean_s=0.0,
        latency_sd_s=0.0,
        params={"prompt_caching": True, "reasoning_words": 4},
    ),
]  # served by the sim_url fixture (tests/conftest.py)


def _client(url, tmp_path, **kwargs):
    kwargs.setdefault("prices", PRICES)
    return LLMClient(base_url=url, cache_dir=tmp_path / "cache", backoff_base_s=0.01, **kwargs)


def test_chat_answers_and_accounts(sim_url, tmp_path):
    with _client(sim_url, tmp_path) as client:
        result = client.chat(MODEL, QUESTION)
    assert result.content == "The answer is 391." and result.tool_calls == []
    assert (result.prompt_tokens, result.completion_tokens, result.cached_tokens) == (13, 6, 0)
    assert result.cost_usd == pytest.approx((13 * 1.0 + 6 * 2.0) / 1e6)
    assert result.simulated and not result.from_cache and result.model == MODEL
    assert 0 < result.latency_s < 0.05  # the latency the simulated endpoint played
    assert client.stats == {
        "requests_sent": 1,
        "cache_hits": 0,
        "retries": 0,
        "prompt_tokens": 13,
        "completion_tokens": 6,
        "cached_tokens": 0,
        "reasoning_tokens": 0,
        "cost_usd": pytest.approx(25e-6),
    }


def test_cached_and_reasoning_tokens_are_priced(sim_url, tmp_path):
    messages = [
        {"role": "user", "content": " ".join(["cat"] * 1100)},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": "What is 2 + 2?"},
    ]
    with _client(sim_url, tmp_path, prices={"sim-cacher": PRICES[MODEL]}) as client:
        result = client.chat("sim-cacher", messages)
    assert result.cached_tokens == 1024 and result.reasoning_tokens == 4
    assert result.message["reasoning_content"].count(" ") == 3
    expected = ((result.prompt_tokens - 1024) * 1.0 + 1024 * 0.5 + result.completion_tokens * 2.0) / 1e6
    assert result.cost_usd == pytest.approx(expected)


def test_tool_calls_are_parsed_and_replayable(sim_url, tmp_path):
    tool = {
        "type": "function",
        "function": {
            "name": "calculator",
            "description": "arithmetic",
            "parameters": {
                "type": "object",
                "properties": {"expression": {"type": "string"}},
                "required": ["expression"],
            },
        },
    }
    with _client(sim_url, tmp_path) as client:
        first = client.chat(MODEL, QUESTION, tools=[tool])
        (call,) = first.tool_calls
        assert call["name"] == "calculator" and call["arguments"] == {"expression": "17 * 23"}
        history = QUESTION + [first.to_openai_message(), {"role": "tool", "tool_call_id": call["id"], "content": "391"}]
        second = client.chat(MODEL, history, tools=[tool])
    assert first.finish_reason == "tool_calls"
    assert second.content == "Based on the tool result: 391"


def test_rerun_sends_zero_requests(sim_url, tmp_path):
    requests = [dict(model=MODEL, messages=_question(i)) for i in range(30)]
    with _client(sim_url, tmp_path, max_concurrency=4) as client:
        first = client.chat_many(requests)
    before = server_stats(sim_url)["chat_requests"]
    with _client(sim_url, tmp_path) as client:  # a new process would see the same: the cache is on disk
        again = client.chat_many(requests)
        assert client.stats["requests_sent"] == 0 and client.stats["cache_hits"] == 30
        assert client.stats["cost_usd"] == 0
    assert server_stats(sim_url)["chat_requests"] == before
    assert [r.content for r in again] == [r.content for r in first] == [f"The answer is {i + 100}." for i in range(30)]
    assert all(r.from_cache for r in again) and not any(r.from_cache for r in first)
    assert [r.cost_usd for r in again] == [r.cost_usd for r in first]


def test_samples_are_keyed_by_index_only_when_sampling(sim_url, tmp_path):
    with _client(sim_url, tmp_path) as client:
        greedy = [client.chat(MODEL, QUESTION, temperature=0.0, sample_index=i) for i in range(3)]
        sampled = [client.chat(MODEL, QUESTION, temperature=0.8, sample_index=i) for i in range(3)]
        assert [r.from_cache for r in greedy] == [False, True, True]
        assert not any(r.from_cache for r in sampled)
        assert client.chat(MODEL, QUESTION, temperature=0.8, sample_index=1).from_cache


def test_identical_calls_in_flight_are_sent_once(sim_url, tmp_path):
    with _client(sim_url, tmp_path, max_concurrency=8) as client:
        results = client.chat_many([dict(model=MODEL, messages=QUESTION)] * 10)
        assert client.stats["requests_sent"] == 1 and client.stats["cache_hits"] == 9
    assert {r.content for r in results} == {"The answer is 391."}


def test_retries_through_twenty_percent_faults():
    faults = {
        "rate_limit": 0.06,
        "server_error": 0.05,
        "malformed": 0.03,
        "disconnect": 0.03,
        "slow": 0.03,
        "slow_s": 2.0,
        "retry_after_s": 0.01,
        "seed": 7,
    }
    with sim_server([SimModel(MODEL, error_prob=0.0, latency_mean_s=0.002, latency_sd_s=0.0)], faults) as url:
        with LLMClient(
            base_url=url,
            cache=False,
            prices=PRICES,
            max_concurrency=16,
            max_retries=12,
            timeout_s=0.5,
            backoff_base_s=0.01,
        ) as client:
            results = client.chat_many([dict(model=MODEL, messages=_question(i)) for i in range(200)])
            stats = client.stats
        server = server_stats(url)
    assert [r.content for r in results] == [f"The answer is {i + 100}." for i in range(200)]
    assert stats["retries"] > 0
    assert server["chat_requests"] == stats["requests_sent"] == 200 + stats["retries"]  # every send counted
    faulted = sum(server[k] for k in ("rate_limit", "server_error", "malformed", "disconnect", "slow"))
    assert faulted == stats["retries"] >= 0.1 * 200  # each failed attempt was a fault
    assert 200 <= server["completed"] <= 200 + server["slow"]  # slow replies may finish after the client gave up


def test_retries_exhausted_names_the_error():
    with sim_server([SimModel(MODEL, latency_mean_s=0.0)], {"server_error": 1.0}) as url:
        with LLMClient(base_url=url, cache=False, prices=PRICES, max_retries=2, backoff_base_s=0.01) as client:
            with pytest.raises(RetriesExhausted, match=r"after 3 attempts.*HTTP 500.*simulated server error"):
                client.chat(MODEL, QUESTION)
            assert client.stats["requests_sent"] == 3


def test_retry_after_is_honoured_and_timeouts_retried():
    with sim_server([SimModel(MODEL, latency_mean_s=0.0)], {"rate_limit": 1.0, "retry_after_s": 0.3}) as url:
        with LLMClient(base_url=url, cache=False, prices=PRICES, max_retries=2, backoff_base_s=0.001) as client:
            started = time.perf_counter()
            with pytest.raises(RetriesExhausted, match="RateLimitError"):
                client.chat(MODEL, QUESTION)
            assert time.perf_counter() - started >= 2 * 0.3  # two waits of at least Retry-After
    with sim_server([SimModel(MODEL, latency_mean_s=0.0)], {"slow": 1.0, "slow_s": 10.0}) as url:
        with LLMClient(
            base_url=url, cache=False, prices=PRICES, max_retries=1, timeout_s=0.3, backoff_base_s=0.001
        ) as client:
            started = time.perf_counter()
            with pytest.raises(RetriesExhausted, match="APITimeoutError"):
                client.chat(MODEL, QUESTION)
            assert 0.6 <= time.perf_counter() - started < 6.0  # two 0.3 s timeouts, not a 10 s reply


def test_token_budget_stops_cleanly(sim_url, tmp_path):
    requests = [dict(model=MODEL, messages=_question(i)) for i in range(40)]
    with _client(sim_url, tmp_path, max_concurrency=1, budget_tokens=100) as client:
        with pytest.raises(BudgetExceeded, match=r"token budget reached: spent 1\d\d of 100 tokens") as caught:
            client.chat_many(requests)
        finished = [r for r in caught.value.results if r is not None]
        # one call at a time: calls stop at the first one that finds the budget spent
        assert sum(r.prompt_tokens + r.completion_tokens for r in finished) >= 100
        assert sum(r.prompt_tokens + r.completion_tokens for r in finished[:-1]) < 100
    with _client(sim_url, tmp_path, max_concurrency=1, budget_tokens=100) as client:
        again = client.chat_many(requests[: len(finished)])  # what was paid for is cached: free to read back
        assert client.stats["requests_sent"] == 0 and [r.content for r in again] == [r.content for r in finished]


def test_usd_budget_needs_prices_and_stops(sim_url, tmp_path):
    with _client(sim_url, tmp_path, budget_usd=1e-4, prices={"other": PRICES[MODEL]}) as client:
        with pytest.raises(ValueError, match="needs a price for model 'sim-test'"):
            client.chat(MODEL, QUESTION)
    with _client(sim_url, tmp_path, budget_usd=1e-4, max_concurrency=1) as client:
        with pytest.raises(BudgetExceeded, match=r"USD budget reached"):
            client.chat_many([dict(model=MODEL, messages=_question(i)) for i in range(100, 140)])
        assert client.stats["cost_usd"] >= 1e-4


def test_sync_chat_inside_a_running_loop_and_achat_from_another(sim_url, tmp_path):
    with _client(sim_url, tmp_path) as client:

        async def notebook_cell():  # a Jupyter kernel runs cells inside an event loop
            sync_result = client.chat(MODEL, _question(1))
            async_results = await asyncio.gather(*(client.achat(MODEL, _question(i)) for i in range(2, 6)))
            return sync_result, async_results

        sync_result, async_results = asyncio.run(notebook_cell())
    assert sync_result.content == "The answer is 101."
    assert [r.content for r in async_results] == [f"The answer is {i + 100}." for i in range(2, 6)]


def test_environment_configures_the_endpoint(sim_url, tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", sim_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-environment")
    with LLMClient(cache_dir=tmp_path, prices=PRICES) as client:
        assert client.chat(MODEL, QUESTION).content == "The answer is 391."
        assert "sk-from-environment" not in repr(client)
    monkeypatch.delenv("OPENAI_BASE_URL")
    monkeypatch.delenv("OPENAI_API_KEY")
    with pytest.raises(ValueError, match="OPENAI_BASE_URL"):
        LLMClient(cache_dir=tmp_path)


def test_call_cost_by_hand():
    price = Price("m", input_usd_per_mtok=2.5, cached_input_usd_per_mtok=1.25, output_usd_per_mtok=10.0)
    # 1,000 prompt tokens of which 400 cached, 200 completion tokens
    assert call_cost(price, 1000, 200, 400) == pytest.approx((600 * 2.5 + 400 * 1.25 + 200 * 10.0) / 1e6)
    assert math.isnan(call_cost(None, 10, 10))


def test_price_table_lookup_rules():
    table = PriceTable.load(
        {"gpt-4o": {"input": 2.5, "output": 10.0}, "gpt-4o-mini": {"input": 0.15, "cached_input": 0.075, "output": 0.6}}
    )
    assert table.lookup("gpt-4o").input_usd_per_mtok == 2.5
    assert table.lookup("gpt-4o").cached_input_usd_per_mtok == 2.5  # no cached price: billed as input
    assert table.lookup("gpt-4o-mini-2024-07-18").model == "gpt-4o-mini"  # longest dated-snapshot prefix
    assert table.lookup("gpt-4o-2024-08-06").model == "gpt-4o"
    assert table.lookup("openai/gpt-4o-mini").model == "gpt-4o-mini"  # LiteLLM provider prefix
    assert table.lookup("sim-gpt-4o") is None  # a simulated model is priced only through priced_as
    assert table.lookup("gpt-4") is None and table.lookup("llama-3") is None


def test_price_table_prices_simulated_models_as_the_real_model_they_name():
    table = PriceTable.load({"gpt-4o": {"input": 2.5, "cached_input": 1.25, "output": 10.0}})
    priced = table.priced_as({"sim-strong": "gpt-4o-2024-08-06"})  # resolved by the usual rules
    assert priced.lookup("sim-strong") == table.lookup("gpt-4o")
    assert priced.lookup("gpt-4o").output_usd_per_mtok == 10.0 and table.lookup("sim-strong") is None
    with pytest.raises(ValueError, match="no price for \\['llama-3'\\]"):
        table.priced_as({"sim-weak": "llama-3"})


def test_project_price_table_is_valid_dated_and_sourced():
    prices = datasets.load("model-prices")
    assert prices["model"].is_unique and len(prices) >= 10
    assert pd.to_datetime(prices["as_of"], format="%Y-%m-%d").notna().all()
    assert prices["source"].str.startswith("https://").all()
    assert (prices["cached_input_usd_per_mtok"] <= prices["input_usd_per_mtok"]).all()
    assert (prices["output_usd_per_mtok"] >= prices["input_usd_per_mtok"]).all()
    assert PriceTable.load(None).lookup("gpt-4o-mini-2024-07-18").model == "gpt-4o-mini"


def test_bad_price_file_names_row_and_column(tmp_path):
    bad = tmp_path / "prices.csv"
    bad.write_text(
        "model,provider,input_usd_per_mtok,cached_input_usd_per_mtok,output_usd_per_mtok,as_of,source\n"
        "m,p,1.0,0.5,2.0,2025-13-45,https://example.org\n"
    )
    from agenteff.datasets.prices import parse
    from agenteff.schema import SchemaError

    with pytest.raises(SchemaError, match="row 1, column 'as_of'"):
        parse({"prices.csv": bad})
