"""Streamed replies (reassembled into the body a plain call returns), the timeout on silence, n > 1 accounting and
the requested model beside the reply's: against the simulated endpoint and on hand-made bodies."""

import json
import re
import subprocess
import sys

import httpx2 as httpx
import openai
import pytest

from agenteff.llm import LLMClient, RetriesExhausted, SimModel, approximate_tokens
from agenteff.llm.client import _assemble_stream, _MalformedReply, _parse_reply

QUESTION = [{"role": "user", "content": "What is 17 * 23?"}]
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "calculator",
            "description": "evaluate arithmetic",
            "parameters": {"type": "object", "properties": {"expression": {"type": "string"}}},
        },
    }
]
# 0.2 s per token: "Simulated reply about: tell me a story about a lighthouse." streams for 2.6 s
SLOW = SimModel("sim-slow", error_prob=0.0, latency_mean_s=0.0, latency_sd_s=0.0, params={"token_interval_s": 0.2})


SIM_MODELS = [
    SimModel("sim-a", error_prob=0.3, latency_mean_s=0.0, latency_sd_s=0.0, params={"reasoning_words": 3}),
    SLOW,
]  # served by the sim_url fixture (tests/conftest.py)


def _sse(*chunks) -> bytes:
    return b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks) + b"data: [DONE]\n\n"


@pytest.mark.parametrize(
    "call",
    [
        dict(messages=QUESTION),
        dict(messages=QUESTION, tools=TOOLS),
        dict(messages=QUESTION, max_tokens=2, logprobs=True),
        dict(messages=QUESTION, temperature=0.9, sample_index=2, n=3),
    ],
    ids=["answer", "tool call", "length cut with logprobs", "three choices"],
)
def test_a_streamed_reply_is_the_plain_reply(sim_url, call):
    results = []
    for stream in (True, False):
        with LLMClient(base_url=sim_url, cache=False, prices={}, stream=stream) as client:
            results.append(client.chat("sim-a", **call))
    assert results[0] == results[1]


def test_streamed_and_plain_calls_share_the_cache(sim_url, tmp_path):
    with LLMClient(base_url=sim_url, cache_dir=tmp_path, prices={}, stream=True) as client:
        first = client.chat("sim-a", QUESTION, tools=TOOLS)
    with LLMClient(base_url=sim_url, cache_dir=tmp_path, prices={}, stream=False) as client:
        again = client.chat("sim-a", QUESTION, tools=TOOLS)
        assert client.stats["requests_sent"] == 0
    assert again.from_cache and again.message == first.message and again.tool_calls[0]["name"] == "calculator"


def test_a_long_generation_times_out_only_on_silence(sim_url):
    story = [{"role": "user", "content": "tell me a story about a lighthouse"}]
    with LLMClient(base_url=sim_url, cache=False, prices={}, timeout_s=1.0, max_retries=0) as client:
        streamed = client.chat(SLOW.name, story)
    assert streamed.content == "Simulated reply about: tell me a story about a lighthouse."
    # 12 words and marks, then the usage and [DONE] events: 13 gaps of 0.2 s, much longer than 1 s
    assert streamed.latency_s == pytest.approx(0.2 * 13)
    with LLMClient(base_url=sim_url, cache=False, prices={}, timeout_s=1.0, max_retries=0, stream=False) as client:
        with pytest.raises(RetriesExhausted, match="APITimeoutError"):
            client.chat(SLOW.name, story)  # the same reply, not streamed: nothing arrives within the second
    with LLMClient(
        base_url=sim_url, cache=False, prices={}, timeout_s=5, silence_timeout_s=0.1, max_retries=0
    ) as client:
        with pytest.raises(RetriesExhausted, match="APITimeoutError"):
            client.chat(SLOW.name, story)  # 0.2 s between tokens is more silence than 0.1 s allows


def test_nonsense_timeouts_are_refused():
    with pytest.raises(ValueError, match="timeouts must be > 0"):
        LLMClient(base_url="http://127.0.0.1:9/v1", silence_timeout_s=0)


def test_the_requested_model_is_kept_beside_the_replys(sim_url):
    with LLMClient(base_url=sim_url, cache=False, prices={}) as client:
        result = client.chat("sim-a", QUESTION)
    assert (result.requested_model, result.model) == ("sim-a", "sim-a")
    body = {"model": "served-snapshot-2026", "choices": [{"message": {"content": "hi"}, "finish_reason": "stop"}]}
    assert _parse_reply(body, QUESTION, None)["model"] == "served-snapshot-2026"


def test_n_choices_are_all_counted_by_the_simulated_endpoint(sim_url):
    with LLMClient(base_url=sim_url, cache=False, prices={}) as client:
        three = client.chat("sim-a", QUESTION, temperature=0.9, n=3)
        one = client.chat("sim-a", QUESTION, temperature=0.9)
    assert len(three.choices) == 3 and one.choices == ()
    assert three.message == one.message  # choice 0 is the n=1 reply
    per_choice = [
        approximate_tokens(c["message"]["content"]) + approximate_tokens(c["message"]["reasoning_content"])
        for c in three.choices
    ]
    assert three.completion_tokens == sum(per_choice) and three.prompt_tokens == one.prompt_tokens


def test_llama_cpp_usage_chunks_per_choice_add_up():
    # what llama-server streams for n=2 (recorded, trimmed): one usage chunk per choice, each with the prompt
    head = {"id": "c", "model": "smollm2", "system_fingerprint": "b0-unknown", "object": "chat.completion.chunk"}
    usage = {
        "completion_tokens": 8,
        "prompt_tokens": 33,
        "total_tokens": 41,
        "prompt_tokens_details": {"cached_tokens": 0},
    }
    content = _sse(
        {**head, "choices": [{"index": 1, "delta": {"role": "assistant", "content": None}, "finish_reason": None}]},
        {**head, "choices": [{"index": 1, "delta": {"content": "Hello"}, "finish_reason": None}]},
        {**head, "choices": [{"index": 0, "delta": {"content": "P"}, "finish_reason": None}]},
        {**head, "choices": [{"index": 0, "delta": {"content": "raise"}, "finish_reason": None}]},
        {**head, "choices": [{"index": 1, "delta": {}, "finish_reason": "length"}]},
        {**head, "choices": [], "usage": usage, "timings": {"predicted_n": 8}},
        {**head, "choices": [{"index": 0, "delta": {}, "finish_reason": "length"}]},
        {**head, "choices": [], "usage": usage, "timings": {"predicted_n": 8}},
    )
    body = _assemble_stream(b": ping\n\n" + content)
    fields = _parse_reply(body, QUESTION, None)
    assert [c["message"]["content"] for c in fields["choices"]] == ["Praise", "Hello"]
    assert (fields["prompt_tokens"], fields["completion_tokens"]) == (33, 16)
    assert fields["model"] == "smollm2" and fields["finish_reason"] == "length"


def test_llama_cpp_plain_n_choices_get_the_others_estimated():
    # a non-streamed llama-server reply counts the first choice only; the second's 3 tokens are estimated
    body = {
        "model": "smollm2",
        "timings": {"predicted_n": 5},
        "usage": {"prompt_tokens": 33, "completion_tokens": 5},
        "choices": [
            {"index": 0, "message": {"content": "one two three four five"}, "finish_reason": "length"},
            {"index": 1, "message": {"content": "six ten two"}, "finish_reason": "stop"},
        ],
    }
    assert _parse_reply(body, QUESTION, None)["completion_tokens"] == 5 + 3
    del body["timings"]  # any other server (OpenAI, vLLM) counts every choice itself
    assert _parse_reply(body, QUESTION, None)["completion_tokens"] == 5


def test_streamed_tool_call_arguments_are_joined():
    head = {"id": "c", "model": "m", "object": "chat.completion.chunk"}
    call = {"index": 0, "id": "call_1", "type": "function", "function": {"name": "calculator", "arguments": '{"expr'}}
    content = _sse(
        {**head, "choices": [{"index": 0, "delta": {"role": "assistant", "tool_calls": [call]}}]},
        {
            **head,
            "choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": '": "2+2"}'}}]}}],
        },
        {**head, "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]},
    )
    fields = _parse_reply(_assemble_stream(content), QUESTION, TOOLS)
    assert fields["message"]["tool_calls"] == [{"id": "call_1", "name": "calculator", "arguments": {"expr": "2+2"}}]
    assert fields["message"]["content"] is None and fields["finish_reason"] == "tool_calls"
    assert fields["completion_tokens"] > 0  # no usage streamed: estimated from the text


@pytest.mark.parametrize(
    "content, complaint",
    [
        (b'data: {"choices": [{"index": 0, "delta": {"content": "cut"}}]}\n\n', "ended before it was complete"),
        (b'data: {"choices": [{"index": 0, "delta": {"cont', "not JSON"),
        (b'data: {"error": {"message": "context full"}}\n\n', "error mid-stream: {'message': 'context full'}"),
        (b"data: [DONE]\n\n", "held no choices"),
        (b"data: [1, 2]\n\n", "not a JSON object"),
    ],
)
def test_broken_streams_are_malformed_replies(content, complaint):
    with pytest.raises(_MalformedReply, match=complaint.replace("[", r"\[").replace("{", r"\{")):
        _assemble_stream(content)


def test_the_simulated_endpoint_refuses_a_nonsense_n(sim_url):
    with pytest.raises(openai.BadRequestError, match="'n' must be an integer from 1 to 128"):
        openai.OpenAI(base_url=sim_url, api_key="x").chat.completions.create(model="sim-a", messages=QUESTION, n=0)


def test_a_retry_after_a_timeout_waits_for_the_server_to_cancel():
    timeout = openai.APITimeoutError(request=httpx.Request("POST", "http://127.0.0.1/v1/chat/completions"))
    with LLMClient(base_url="http://127.0.0.1:9/v1", cache=False, backoff_base_s=0.01, cancel_wait_s=1.5) as client:
        assert client._backoff_s(0, timeout) == 1.5  # not 0.005-0.01 s: llama.cpp needs about 1 s to notice
        assert client._backoff_s(0, None) <= 0.01
    with LLMClient(base_url="http://127.0.0.1:9/v1", cache=False, cancel_wait_s=1.5, backoff_max_s=0.2) as client:
        assert client._backoff_s(0, timeout) == 0.2  # backoff_max_s still caps every wait


@pytest.fixture(scope="module")
def sdk_road_url(tmp_path_factory):
    """The simulated endpoint on 127.0.0.2: a loopback address the client does not shortcut, so calls take the
    road remote endpoints take (the SDK over httpx), streaming and silence timeout included."""
    config = tmp_path_factory.mktemp("sdk-road") / "config.json"
    config.write_text(json.dumps({"models": [SimModel("sim-a", error_prob=0.3).to_dict(), SLOW.to_dict()]}))
    process = subprocess.Popen(
        [sys.executable, "-m", "agenteff", "serve-sim", "--host", "127.0.0.2", "--port", "0", "--config", str(config)],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    try:
        line = process.stdout.readline().decode()
        match = re.search(r"(http://\S+/v1)", line)
        if not match:
            pytest.skip(f"127.0.0.2 is not usable here: {line!r}")
        yield match.group(1)
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()


def test_the_sdk_road_streams_and_times_out_on_silence_too(sdk_road_url):
    story = [{"role": "user", "content": "tell me a story about a lighthouse"}]
    results = []
    for stream in (True, False):
        with LLMClient(base_url=sdk_road_url, cache=False, prices={}, stream=stream) as client:
            assert client._loopback is None  # not shortcut: the SDK sends these calls
            results.append(client.chat("sim-a", QUESTION, tools=TOOLS, n=2, temperature=0.5))
            with pytest.raises(openai.NotFoundError):
                client.chat("no-such-model", QUESTION)
    assert results[0] == results[1] and len(results[0].choices) == 2
    with LLMClient(base_url=sdk_road_url, cache=False, prices={}, timeout_s=1.0, max_retries=0) as client:
        assert client.chat(SLOW.name, story).content == "Simulated reply about: tell me a story about a lighthouse."
    with LLMClient(base_url=sdk_road_url, cache=False, prices={}, timeout_s=1.0, max_retries=0, stream=False) as client:
        with pytest.raises(RetriesExhausted, match="APITimeoutError"):
            client.chat(SLOW.name, story)
