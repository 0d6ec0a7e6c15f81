"""A live context A/B killed with kill -9 mid-run resumes: every episode stored exactly once, and no call that
was answered before the kill is made again (issue 22)."""

import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from agenteff.engines import context_ab
from agenteff.engines.sweep import stored_jobs
from agenteff.llm import SimModel, resolve_endpoint, sim_server
from agenteff.llm.sim import server_stats

#: Runs the A/B against a "live" endpoint (argv: URL, model); the parent kills it midway.
_AB_SCRIPT = """
import sys
from agenteff.engines import context_ab
from agenteff.llm import resolve_endpoint
tasks = context_ab.lookup_tasks(4, 3, 20, seed=5)
context_ab.run_context_ab(resolve_endpoint(sys.argv[1]), tasks, model=sys.argv[2], max_turns=6)
"""
_MODEL = "sim-live-lookup"
_EPISODES = 4 * len(context_ab.POLICIES)
#: Requests the killed run may have had in flight: answered by the server, never stored in the response cache.
_IN_FLIGHT = 4


@pytest.fixture(scope="module")
def slow_lookup_url():
    """A simulated lookup agent taken as a live endpoint (a URL, so the run store persists), acting only through
    structured actions as SmolLM2 does, slow enough to be killed midway."""
    model = SimModel(
        _MODEL,
        behaviour=f"{context_ab.__name__}:lookup_behaviour",
        error_prob=0.0,
        latency_mean_s=0.1,
        latency_sd_s=0.0,
        params={"prompt_caching": True, "json_schema": True, "native_tools": False},
    )
    with sim_server([model]) as url:
        yield url


def _stored(cache) -> int:
    stores = list(cache.rglob("runs.sqlite"))
    return stored_jobs(stores[0].parent) if stores else 0


def test_a_killed_live_ab_resumes_with_every_episode_once_and_no_call_repeated(slow_lookup_url, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    env = {**os.environ, "AGENTEFF_CACHE_DIR": str(cache), "TQDM_DISABLE": "1"}
    requests_at_start = server_stats(slow_lookup_url)["chat_requests"]
    child = subprocess.Popen([sys.executable, "-c", _AB_SCRIPT, slow_lookup_url, _MODEL], env=env)
    deadline = time.monotonic() + 120
    try:
        while _stored(cache) < 2 and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        stored_before = _stored(cache)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    killed_requests = server_stats(slow_lookup_url)["chat_requests"] - requests_at_start
    assert child.returncode == -signal.SIGKILL and 2 <= stored_before < _EPISODES, "the run was not killed midway"

    monkeypatch.setenv("AGENTEFF_CACHE_DIR", str(cache))
    endpoint = resolve_endpoint(slow_lookup_url)
    tasks = context_ab.lookup_tasks(4, 3, 20, seed=5)
    before = server_stats(slow_lookup_url)["chat_requests"]
    resumed = context_ab.run_context_ab(endpoint, tasks, model=_MODEL, max_turns=6)
    resumed_requests = server_stats(slow_lookup_url)["chat_requests"] - before
    runs, steps = resumed["runs"], resumed["steps"]
    assert len(runs) == _EPISODES and not runs.duplicated(["task", "architecture", "seed"]).any()
    assert not steps.duplicated(["run_id", "step"]).any() and _stored(cache) == _EPISODES
    calls = steps[steps["kind"] == "llm_call"]
    assert (calls["encoding"] == "structured").all() and calls["action"].eq("lookup").any()

    monkeypatch.setenv("AGENTEFF_CACHE_DIR", str(tmp_path / "fresh"))  # the same A/B uninterrupted, from scratch
    before = server_stats(slow_lookup_url)["chat_requests"]
    whole = context_ab.run_context_ab(endpoint, tasks, model=_MODEL, max_turns=6)
    whole_requests = server_stats(slow_lookup_url)["chat_requests"] - before
    pd.testing.assert_frame_equal(resumed["steps"].drop(columns="latency_s"), whole["steps"].drop(columns="latency_s"))
    # every call answered before the kill was replayed from the response cache, not asked again
    assert whole_requests <= killed_requests + resumed_requests <= whole_requests + _IN_FLIGHT
    assert resumed_requests < whole_requests
