"""Per-token log-probabilities through the live path: requested with ``logprobs=True``, returned on the result,
simulated deterministically by the built-in endpoint, and read by study 06's predictor as STEPS rows."""

import json

import pandas as pd
import pytest

from agenteff.llm import LLMClient, SimModel
from agenteff.llm import client as client_module
from agenteff.llm.sim import approximate_tokens, token_logprobs
from agenteff.studies.s06_early_termination import step_feature_blocks, traces_from_tables

MODEL = "sim-logprobs"
QUESTION = [{"role": "user", "content": "What is 17 * 23?"}]


SIM_MODELS = [
    SimModel(MODEL, error_prob=0.0, latency_mean_s=0.0, latency_sd_s=0.0)
]  # served by the sim_url fixture (tests/conftest.py)


def test_logprobs_are_returned_when_asked(sim_url, tmp_path):
    with LLMClient(base_url=sim_url, cache_dir=tmp_path / "cache") as client:
        plain = client.chat(MODEL, QUESTION)
        scored = client.chat(MODEL, QUESTION, logprobs=True)
        again = client.chat(MODEL, QUESTION, logprobs=True)
    assert plain.logprobs is None
    tokens = [token for token, _ in scored.logprobs]
    assert "".join(tokens) == scored.content == plain.content == "The answer is 391."
    assert len(tokens) == scored.completion_tokens == approximate_tokens(scored.content)
    assert all(value <= 0 for _, value in scored.logprobs)
    assert again.from_cache and again.logprobs == scored.logprobs


def test_simulated_logprobs_are_deterministic_and_mostly_confident():
    text = " ".join(["word"] * 400)
    first, second = token_logprobs(text, seed=7), token_logprobs(text, seed=7)
    assert first == second and first != token_logprobs(text, seed=8)
    values = [t["logprob"] for t in first]
    assert sum(v > -0.5 for v in values) / len(values) > 0.8  # most tokens near-certain
    assert min(values) < -1  # and some uncertain
    assert token_logprobs(None, seed=1) == []


def test_malformed_logprobs_are_a_malformed_reply():
    body = {"choices": [{"message": {"content": "hi"}, "logprobs": {"content": [{"token": "hi"}]}}]}
    with pytest.raises(client_module._MalformedReply):
        client_module._parse_reply(body, QUESTION, None)


def test_live_replies_feed_the_early_stop_features(sim_url, tmp_path):
    with LLMClient(base_url=sim_url, cache_dir=tmp_path / "cache") as client:
        replies = [
            client.chat(MODEL, [{"role": "user", "content": f"What is {i} + 1?"}], logprobs=True) for i in range(2)
        ]
    steps = pd.DataFrame(
        [
            {
                "run_id": "mine",
                "step": k,
                "energy_mwh": 1.0,
                "content": r.content,
                "tokens": json.dumps([t for t, _ in r.logprobs]),
                "logprobs": json.dumps([v for _, v in r.logprobs]),
            }
            for k, r in enumerate(replies)
        ]
    )
    traces = traces_from_tables(pd.DataFrame({"run_id": ["mine"], "success": [True]}), steps)
    blocks, _ = step_feature_blocks(traces, n_smallest=3)
    assert blocks[0, 0, 3] == len(replies[0].logprobs)  # generated tokens of the first step
