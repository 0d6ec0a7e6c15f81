"""The simulated endpoint over real HTTP on 127.0.0.1: the plain openai SDK, determinism, usage, faults."""

import hashlib
import json
import math
import urllib.error
import urllib.request

import numpy as np
import openai
import pytest

from agenteff.llm import SimModel, approximate_tokens, sim_server
from agenteff.llm.sim import (
    SIMULATED_FINGERPRINT,
    SimServer,
    _latency,
    arithmetic_answer,
    default_behaviour,
    message_tokens,
    server_stats,
)

CALCULATOR = {
    "type": "function",
    "function": {
        "name": "calculator",
        "description": "evaluate an arithmetic expression",
        "parameters": {"type": "object", "properties": {"expression": {"type": "string"}}, "required": ["expression"]},
    },
}
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "current weather in a city",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "days": {"type": "integer"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["city"],
        },
    },
}
SIM_MODELS = [  # served by the sim_url fixture (tests/conftest.py)
    SimModel("sim-exact", error_prob=0.0, latency_mean_s=0.005, latency_sd_s=0.001),
    SimModel("sim-wrong", error_prob=1.0, latency_mean_s=0.005, latency_sd_s=0.0),
    SimModel(
        "sim-reasoner",
        error_prob=0.0,
        latency_mean_s=0.0,
        latency_sd_s=0.0,
        params={"reasoning_words": 7, "prompt_caching": True},
    ),
]


@pytest.fixture(scope="module")
def sdk(sim_url):
    return openai.OpenAI(base_url=sim_url, api_key="unused", max_retries=0)


def _post(url, body, path="/chat/completions"):
    request = urllib.request.Request(
        url + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_approximate_tokens_by_hand():
    assert approximate_tokens("What is 17 * 23?") == 6  # What, is, 17, *, 23, ?
    assert approximate_tokens("internationalization") == 5  # 20 characters: 1 + 19 // 4
    assert approximate_tokens("") == 0 and approximate_tokens(None) == 0
    # 3 to prime the reply + 4 framing per message + the texts
    assert (
        message_tokens([{"role": "user", "content": "What is 17 * 23?"}, {"role": "assistant", "content": "391"}])
        == 3 + 4 + 6 + 4 + 1
    )


def test_arithmetic_answer():
    assert arithmetic_answer("What is 17 * 23?") == 391
    assert arithmetic_answer("compute 2 + 3 * 4 please") == 14
    assert arithmetic_answer("no numbers here") is None


def test_plain_sdk_lists_models(sdk):
    listed = sdk.models.list()
    assert [m.id for m in listed] == ["sim-exact", "sim-wrong", "sim-reasoner"]
    assert {m.owned_by for m in listed} == {SIMULATED_FINGERPRINT}


def test_plain_sdk_chat_answer_and_usage(sdk):
    reply = sdk.chat.completions.create(
        model="sim-exact", messages=[{"role": "user", "content": "What is 17 * 23?"}], temperature=0
    )
    assert reply.choices[0].message.content == "The answer is 391."
    assert reply.choices[0].finish_reason == "stop"
    assert reply.system_fingerprint == SIMULATED_FINGERPRINT
    assert reply.usage.prompt_tokens == 13  # 3 + 4 + 6
    assert reply.usage.completion_tokens == 6  # The, answer (6 chars: 2), is, 391, .
    assert reply.usage.total_tokens == 19


def test_plain_sdk_tool_call_round_trip(sdk):
    messages = [{"role": "user", "content": "What is the weather in Paris for 3 days?"}]
    first = sdk.chat.completions.create(model="sim-exact", messages=messages, tools=[CALCULATOR, WEATHER])
    (call,) = first.choices[0].message.tool_calls
    assert first.choices[0].finish_reason == "tool_calls"
    assert call.function.name == "get_weather"  # the tool whose description matches the request
    arguments = json.loads(call.function.arguments)
    assert arguments["days"] == 3 and arguments["unit"] == "celsius"
    assert "Paris" in arguments["city"]
    messages += [
        first.choices[0].message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": "sunny, 21 C"},
    ]
    second = sdk.chat.completions.create(model="sim-exact", messages=messages, tools=[CALCULATOR, WEATHER])
    assert second.choices[0].message.content == "Based on the tool result: sunny, 21 C"
    assert not second.choices[0].message.tool_calls


def test_mistakes_follow_error_prob(sdk):
    wrong = sdk.chat.completions.create(model="sim-wrong", messages=[{"role": "user", "content": "What is 17 * 23?"}])
    value = int(wrong.choices[0].message.content.removeprefix("The answer is ").rstrip("."))
    assert 392 <= value <= 400  # off by 1 to 9
    call = (
        sdk.chat.completions.create(
            model="sim-wrong", messages=[{"role": "user", "content": "weather in Rome"}], tools=[WEATHER]
        )
        .choices[0]
        .message.tool_calls[0]
    )
    assert "city" not in json.loads(call.function.arguments)  # the mistake drops a required argument


def test_replies_are_deterministic_per_request(sim_url):
    body = {
        "model": "sim-exact",
        "messages": [{"role": "user", "content": "tell me a story"}],
        "temperature": 0.7,
        "seed": 3,
    }
    first, second = _post(sim_url, body), _post(sim_url, body)
    assert first[0] == 200 and first[2] == second[2]
    other = _post(sim_url, {**body, "seed": 4})
    assert json.loads(other[2])["id"] != json.loads(first[2])["id"]


def test_reasoning_tokens_cached_prefix_and_truncation(sdk):
    long_context = " ".join(["cat"] * 1100)  # 1,100 one-token words
    messages = [
        {"role": "user", "content": long_context},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": "What is 2 + 2?"},
    ]
    reply = sdk.chat.completions.create(model="sim-reasoner", messages=messages)
    prefix = 3 + (4 + 1100) + (4 + 1)
    assert reply.usage.prompt_tokens_details.cached_tokens == (prefix // 128) * 128 == 1024
    assert reply.usage.completion_tokens_details.reasoning_tokens == 7
    assert reply.usage.completion_tokens == 7 + approximate_tokens("The answer is 4.")
    assert reply.choices[0].message.model_extra["reasoning_content"].count(" ") == 6
    short = sdk.chat.completions.create(
        model="sim-exact", max_tokens=3, messages=[{"role": "user", "content": "What is 2 + 2?"}]
    )
    assert short.choices[0].finish_reason == "length"
    assert short.choices[0].message.content == "The answer"  # The (1) + answer (2) = 3 tokens
    assert short.usage.completion_tokens == 3


def test_errors_are_openai_shaped(sdk, sim_url):
    with pytest.raises(openai.NotFoundError, match="does not exist"):
        sdk.chat.completions.create(model="no-such-model", messages=[{"role": "user", "content": "hi"}])
    status, _, body = _post(sim_url, {"model": "sim-exact", "messages": []})
    assert status == 400 and "messages" in json.loads(body)["error"]["message"]


def test_latency_distribution_has_the_requested_mean_and_sd():
    model = SimModel("m", latency_mean_s=0.05, latency_sd_s=0.02)
    rng = np.random.default_rng(0)
    draws = np.array([_latency(model, rng) for _ in range(20000)])
    assert draws.min() > 0
    assert math.isclose(draws.mean(), 0.05, rel_tol=0.02)
    assert math.isclose(draws.std(), 0.02, rel_tol=0.05)
    assert _latency(SimModel("c", latency_mean_s=0.05, latency_sd_s=0.0), rng) == 0.05


def test_fault_draws_follow_their_probabilities():
    server = SimServer([SimModel("m")], {"rate_limit": 0.1, "server_error": 0.05, "malformed": 0.05, "seed": 1})
    draws = [server.draw_fault() for _ in range(20000)]
    assert math.isclose(draws.count("rate_limit") / 20000, 0.1, abs_tol=0.01)
    assert math.isclose(draws.count("server_error") / 20000, 0.05, abs_tol=0.007)
    assert math.isclose(draws.count(None) / 20000, 0.8, abs_tol=0.015)
    with pytest.raises(ValueError, match="sum to at most 1"):
        SimServer([SimModel("m")], {"rate_limit": 0.7, "server_error": 0.7})
    with pytest.raises(ValueError, match="unknown fault"):
        SimServer([SimModel("m")], {"timeouts": 0.1})


@pytest.mark.parametrize("kind, status", [("rate_limit", 429), ("server_error", 500), ("malformed", 200)])
def test_injected_faults_on_the_wire(kind, status):
    with sim_server([SimModel("m", latency_mean_s=0.0)], {kind: 1.0, "retry_after_s": 0.25}) as url:
        code, headers, body = _post(url, {"model": "m", "messages": [{"role": "user", "content": "hi"}]})
        stats = server_stats(url)
    assert code == status
    assert stats["chat_requests"] == 1 and stats[kind] == 1
    if kind == "rate_limit":
        assert headers["Retry-After"] == "0.25"
    if kind == "malformed":
        with pytest.raises(json.JSONDecodeError):
            json.loads(body)


def test_api_key_is_checked_by_hash_only():
    key = "sk-test-only-key"
    with sim_server(
        [SimModel("m", latency_mean_s=0.0)], api_key_sha256=hashlib.sha256(key.encode()).hexdigest()
    ) as url:
        good = openai.OpenAI(base_url=url, api_key=key, max_retries=0)
        assert good.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}]).choices
        with pytest.raises(openai.AuthenticationError):
            openai.OpenAI(base_url=url, api_key="wrong", max_retries=0).models.list()


def test_default_behaviour_without_tools_describes_the_request():
    reply = default_behaviour(
        [{"role": "user", "content": "Summarise the meeting notes"}],
        None,
        SimModel("m", error_prob=0.0),
        np.random.default_rng(0),
    )
    assert reply == {
        "content": "Simulated reply about: Summarise the meeting notes.",
        "tool_calls": [],
        "reasoning_content": None,
    }


def test_the_openai_sdk_streams_from_the_simulated_endpoint():
    with sim_server([SimModel("sim-stream", error_prob=0.0, latency_mean_s=0.0)]) as url:
        chunks = list(
            openai.OpenAI(base_url=url, api_key="x").chat.completions.create(
                model="sim-stream",
                messages=[{"role": "user", "content": "What is 2 + 3?"}],
                stream=True,
                stream_options={"include_usage": True},
            )
        )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "The answer is 5."
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == 6  # The, answ+er, is, 5, .
