"""The response cache's batched reads and writes, and the client's use of them (one query per batch of replays,
replies written at the end of the event loop's turn and never lost at close)."""

import sqlite3

import pytest

from agenteff.llm import LLMClient, SimModel
from agenteff.llm.cache import ResponseCache


def _body(i: int) -> dict:
    return {"choices": [{"message": {"content": f"reply {i}"}}], "model": "m"}


def test_get_many_reads_every_stored_key_across_query_chunks(tmp_path):
    cache = ResponseCache(tmp_path)
    cache.put_many([(f"k{i}", "m", _body(i), i / 10) for i in range(2000)])  # more than two chunks of 900
    wanted = [f"k{i}" for i in range(0, 2000, 3)] + ["absent", "k0"]  # an absent key and a repeated one
    found = cache.get_many(wanted)
    assert set(found) == {f"k{i}" for i in range(0, 2000, 3)}
    assert found["k1998"] == (_body(1998), pytest.approx(199.8))
    assert cache.get_many([]) == {} and len(cache) == 2000
    cache.close()


def test_put_many_is_all_or_nothing(tmp_path):
    cache = ResponseCache(tmp_path)
    with pytest.raises(sqlite3.IntegrityError):
        cache.put_many([("a", "m", _body(1), 0.1), ("b", None, _body(2), 0.2)])  # model may not be NULL
    assert len(cache) == 0 and cache.get("a") is None
    cache.close()


SIM_MODELS = [
    SimModel("sim-c", error_prob=0.0, latency_mean_s=0.0, latency_sd_s=0.0)
]  # served by the sim_url fixture (tests/conftest.py)


def _requests(n):
    return [dict(model="sim-c", messages=[{"role": "user", "content": f"What is {i} + 1?"}]) for i in range(n)]


def test_a_replayed_batch_is_read_in_one_pass_and_sends_nothing(sim_url, tmp_path, monkeypatch):
    with LLMClient(base_url=sim_url, cache_dir=tmp_path, prices={}) as client:
        first = client.chat_many(_requests(30))
    reads = []
    with LLMClient(base_url=sim_url, cache_dir=tmp_path, prices={}) as client:
        original = client._cache.get_many
        monkeypatch.setattr(client._cache, "get_many", lambda keys: reads.append(len(keys)) or original(keys))
        monkeypatch.setattr(client._cache, "get", lambda key: pytest.fail("a per-call lookup in a batch"))
        again = client.chat_many(_requests(30) + _requests(2))  # two repeated requests in the same batch
        assert client.stats["requests_sent"] == 0 and client.stats["cache_hits"] == 32
    assert reads == [32]
    assert [r.content for r in again[:30]] == [r.content for r in first] and all(r.from_cache for r in again)


def test_replies_are_stored_before_the_next_call_and_at_close(sim_url, tmp_path):
    with LLMClient(base_url=sim_url, cache_dir=tmp_path, prices={}) as client:
        client.chat("sim-c", [{"role": "user", "content": "What is 5 + 5?"}])
        again = client.chat("sim-c", [{"role": "user", "content": "What is 5 + 5?"}])
        assert again.from_cache and client.stats["requests_sent"] == 1
        client.chat_many(_requests(5))
    # the last batch's replies were written (at the end of the loop's turn, or at close at the latest)
    assert len(ResponseCache(tmp_path)) == 6


def test_a_batch_starts_its_calls_as_earlier_ones_finish(sim_url, tmp_path, monkeypatch):
    with LLMClient(base_url=sim_url, cache_dir=tmp_path, prices={}, max_concurrency=4) as client:
        complete, alive, most = client._complete, [0], [0]

        async def counted(call, stop=None):
            alive[0] += 1
            most[0] = max(most[0], alive[0])
            try:
                return await complete(call, stop)
            finally:
                alive[0] -= 1

        monkeypatch.setattr(client, "_complete", counted)
        results = client.chat_many(_requests(60) + _requests(3))  # the repeats are sent once, with their first
        assert client.stats["requests_sent"] == 60 and client.stats["cache_hits"] == 3
    assert most[0] == 8  # twice max_concurrency started at a time, not all 60
    assert [r.content for r in results[60:]] == [r.content for r in results[:3]] and results[60].from_cache
