import math
import os
import time
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from agenteff import datasets
from agenteff.engines import sampling
from agenteff.engines.sampling import REASONER_DEFAULTS, simulated_reasoner
from agenteff.engines.sweep import SweepIncomplete, stored_jobs
from agenteff.llm.endpoints import resolve_endpoint
from agenteff.llm.sim import server_stats, sim_server
from agenteff.metrics import grading

PROBLEM = "What is 6 times 7?"
LOOKUP = {PROBLEM: "42", "Half of one?": "\\frac{1}{2}"}


def reply(problem=PROBLEM, seed=0, **params):
    model = SimpleNamespace(params=params)
    return simulated_reasoner(
        [{"role": "user", "content": problem}], None, model, np.random.default_rng(seed), gold_lookup=LOOKUP
    )


def test_reasoner_is_deterministic_per_seed():
    assert reply(seed=3) == reply(seed=3)
    assert reply(seed=3)["reasoning_content"] != reply(seed=4)["reasoning_content"]


def test_reasoning_length_follows_the_difficulty_and_verbosity():
    d = sampling.problem_difficulty_u(PROBLEM)
    need = REASONER_DEFAULTS["base_tokens"] * math.exp(REASONER_DEFAULTS["difficulty_scale"] * d)
    words = len(reply(spread=0.0, verbosity=2.0)["reasoning_content"].split())
    assert words == round(2.0 * need)


def test_correct_rate_matches_the_stated_formula():
    d = sampling.problem_difficulty_u(PROBLEM)
    verbosity = 1.2
    expected = 1.0 * (1 - 0.7 * d) / (1 + math.exp(-math.log(verbosity) / 0.25))
    answers = [
        grading.extract_answer(reply(seed=s, spread=0.0, verbosity=verbosity, skill=1.0)["content"])
        for s in range(3000)
    ]
    rate = np.mean([a == "42" for a in answers])
    assert abs(rate - expected) < 4 * math.sqrt(expected * (1 - expected) / 3000)


def test_long_answers_are_less_often_right_when_overthinking_is_on():
    def rate(overthink):
        hits = [
            grading.grade(reply(seed=s, spread=1.0, overthink=overthink)["content"], "42")["correct"]
            for s in range(2000)
        ]
        return np.mean(hits)

    assert rate(0.9) < rate(0.0) - 0.05


def test_wrong_answers_fail_the_grader():
    wrong = []
    for seed in range(200):
        for problem, gold in LOOKUP.items():
            content = reply(problem, seed=seed, skill=0.0)["content"]
            wrong.append(grading.grade(content, gold)["correct"])
    assert not any(wrong)


def test_unknown_problem_gets_no_answer():
    out = reply("Not in the set")
    assert grading.extract_answer(out["content"]) is None and out["reasoning_content"] is None


@pytest.mark.skipif(not os.environ.get(datasets.MIRROR_VARIABLE), reason="needs the data mirror (AGENTEFF_MIRROR)")
def test_run_sampling_against_the_simulated_endpoint():
    problems = datasets.load("lead-math-test")
    samples = sampling.run_sampling(problems, resolve_endpoint("simulated"), k=3, n_problems=4, seed=1)
    assert len(samples) == 12 and samples["problem_id"].nunique() == 4
    assert samples["simulated"].all() and samples["sample_index"].tolist()[:3] == [0, 1, 2]
    assert samples["problem_id"].tolist() == sorted(samples["problem_id"], key=int)  # problem, then sample order
    assert (samples["served_model"] == sampling.SIMULATED_MODEL).all()
    assert (samples["completion_tokens"] > samples["reasoning_tokens"]).all()
    regraded = [grading.is_equivalent(a, g) for a, g in zip(samples["answer"], samples["gold"])]
    assert samples["correct"].tolist() == regraded
    again = sampling.run_sampling(problems, resolve_endpoint("simulated"), k=3, n_problems=4, seed=1)
    pd.testing.assert_frame_equal(samples, again)


def test_max_tokens_reaches_every_call():
    problems = pd.DataFrame({"problem_id": ["p0", "p1"], "prompt": list(LOOKUP), "gold": list(LOOKUP.values())})
    lookup_model = sampling.reasoner_model()
    with sim_server([lookup_model]) as url:  # a simulated server treated as live: the road a live run takes
        endpoint = resolve_endpoint(url)
        cut = sampling.run_sampling(problems, endpoint, model=lookup_model.name, k=2, max_tokens=7)
    # the simulated reasoner cannot look these problems up: its short reply (11 tokens) is cut at 7
    assert (cut["finish_reason"] == "length").all() and (cut["completion_tokens"] <= 7).all()
    assert (cut["max_tokens"] == 7).all()  # recorded beside each sample: LEAD's clamp scales to it


def test_the_generation_timeout_grows_with_max_tokens():
    assert sampling.generation_timeout_s(None) == 30.0
    assert sampling.generation_timeout_s(300) == 30.0 + 300 / 15
    assert sampling.generation_timeout_s(300, tokens_per_s=30, overhead_s=5) == 15.0


def test_an_unreachable_endpoint_fails_fast_with_a_clear_message():
    problems = pd.DataFrame({"problem_id": ["0"], "prompt": ["x"], "gold": ["1"]})
    started = time.monotonic()
    with pytest.raises(Exception, match="127.0.0.1:9") as raised:
        sampling.run_sampling(problems, resolve_endpoint("http://127.0.0.1:9/v1"), model="m", k=1)
    assert time.monotonic() - started < 20, "a refused connection should not be retried for long"
    assert "refused" in str(raised.value).lower() or "connect" in str(raised.value).lower()
    # without a model name, asking the endpoint which model it serves fails as clearly
    with pytest.raises(ConnectionError, match="cannot reach the endpoint at 127.0.0.1:9 to list its models"):
        sampling.run_sampling(problems, resolve_endpoint("http://127.0.0.1:9/v1"), k=1)
    assert time.monotonic() - started < 30


def _fail_on(problem_id: str, real_job):
    def job(endpoint, job, **options):
        if job.task == problem_id:
            raise RuntimeError(f"interrupted at problem {problem_id}")
        return real_job(endpoint, job, **options)

    return job


@pytest.mark.skipif(not os.environ.get(datasets.MIRROR_VARIABLE), reason="needs the data mirror (AGENTEFF_MIRROR)")
def test_an_interrupted_live_run_resumes_with_every_sample_exactly_once(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENTEFF_CACHE_DIR", str(tmp_path / "cache"))
    problems = datasets.load("lead-math-test")
    model = sampling.reasoner_model()
    with sim_server([model]) as url:
        endpoint = resolve_endpoint(url)  # treated as live: its run store is kept, so a re-run resumes
        options = dict(model=model.name, k=3, n_problems=6, seed=3, max_tokens=16384)
        chosen = sorted(problems.sample(n=6, random_state=3)["problem_id"], key=int)
        real_job = sampling._sample_problem
        monkeypatch.setattr(sampling, "_sample_problem", _fail_on(chosen[2], real_job))
        with pytest.raises(SweepIncomplete, match=f"1 of 6 jobs raised .*interrupted at problem {chosen[2]}"):
            sampling.run_sampling(problems, endpoint, **options)
        monkeypatch.setattr(sampling, "_sample_problem", real_job)
        asked_before = server_stats(url)["chat_requests"]
        resumed = sampling.run_sampling(problems, endpoint, **options)
        asked = server_stats(url)["chat_requests"] - asked_before
        straight = sampling.run_sampling(problems, resolve_endpoint("simulated"), **options)
    assert asked == 3  # the re-run asked only the interrupted problem's 3 samples
    keys = list(zip(resumed["problem_id"], resumed["sample_index"]))
    assert keys == [(p, i) for p in chosen for i in range(3)]  # each sample exactly once, in grid order
    pd.testing.assert_frame_equal(resumed, straight)  # the same samples as an uninterrupted run


_KILLED_RUN = """
import sys
from agenteff import datasets
from agenteff.engines import sampling
from agenteff.llm.endpoints import resolve_endpoint
url, model = sys.argv[1], sys.argv[2]
sampling.run_sampling(datasets.load("lead-math-test"), resolve_endpoint(url), model=model, **OPTIONS)
"""


@pytest.mark.skipif(not os.environ.get(datasets.MIRROR_VARIABLE), reason="needs the data mirror (AGENTEFF_MIRROR)")
def test_a_killed_live_run_resumes_with_every_sample_exactly_once(tmp_path, monkeypatch):
    import dataclasses
    import signal
    import subprocess
    import sys

    monkeypatch.setenv("AGENTEFF_CACHE_DIR", str(tmp_path / "cache"))
    options = dict(k=2, n_problems=8, seed=5, max_tokens=16384)
    problems = datasets.load("lead-math-test")
    slow = dataclasses.replace(sampling.reasoner_model(), latency_mean_s=0.4)  # same replies, each 0.4 s late
    with sim_server([slow]) as url:
        endpoint = resolve_endpoint(url)  # treated as live: its run store is kept
        script = _KILLED_RUN.replace("OPTIONS", repr(options))
        run = subprocess.Popen([sys.executable, "-c", script, url, slow.name], env=os.environ.copy())
        stored, deadline = 0, time.monotonic() + 120
        while stored < 2 and run.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
            stores = list((endpoint.cache_dir / "runs").glob("sampling-*/runs.sqlite"))
            stored = stored_jobs(stores[0].parent) if stores else 0
        run.send_signal(signal.SIGKILL)  # mid-way: some problems stored, others in flight or not started
        run.wait()
        stored = stored_jobs(stores[0].parent)
        assert 2 <= stored < 8, "the kill should land mid-way"
        asked_before = server_stats(url)["chat_requests"]
        resumed = sampling.run_sampling(problems, endpoint, model=slow.name, **options)
        asked = server_stats(url)["chat_requests"] - asked_before
        straight = sampling.run_sampling(problems, resolve_endpoint("simulated"), **options)
    # the stored problems were not asked again (replies the killed run had cached are not asked either)
    assert 0 < asked <= 2 * (8 - stored)
    keys = list(zip(resumed["problem_id"], resumed["sample_index"]))
    assert len(keys) == len(set(keys)) == 16  # every sample exactly once
    pd.testing.assert_frame_equal(resumed, straight)


def test_a_finished_sampling_run_leaves_no_client_of_its_stopped_endpoint_behind():
    from agenteff.engines import sweep

    before = dict(sweep._worker_clients)
    sampling.run_sampling(sampling.arithmetic_problems(2, seed=0), resolve_endpoint("simulated"), k=1, seed=1)
    assert sweep._worker_clients == before
