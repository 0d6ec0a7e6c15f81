"""The client's feature matrix against the simulated endpoint, a real llama.cpp server (SmolLM2-135M), and any
endpoint of yours.

The real server is built once by ``python -m agenteff live-setup`` (cached outside the checkout); without it the
llama-server cases skip, unless ``AGENTEFF_REQUIRE_LIVE=1`` (set by ``.ci/run``) makes them fail. Your own
endpoint runs too when ``AGENTEFF_LIVE_URL`` and ``AGENTEFF_LIVE_MODEL`` are set (key from ``OPENAI_API_KEY``).
Where servers differ, the test states what each one does; docs/live.md's server table says the same for users.
"""

import json
import os
import threading
import time
import urllib.request

import openai
import pytest

from agenteff.llm import (
    BudgetExceeded,
    LLMClient,
    RetriesExhausted,
    SimModel,
    approximate_tokens,
    local_server,
)

PRICES = {"input": 1.0, "cached_input": 0.5, "output": 2.0}  # USD per million tokens, to check cost accounting
QUESTION = [{"role": "user", "content": "What is 17 * 23? Answer with a number."}]
SIM_MODELS = [SimModel("sim-small", error_prob=0.0, latency_mean_s=0.001, latency_sd_s=0.0)]  # the simulated case


@pytest.fixture(scope="module", params=["simulated", "llama-server", "yours"])
def endpoint(request):
    """(kind, base_url, model) of a running endpoint, for the whole module."""
    if request.param == "yours":
        if not os.environ.get("AGENTEFF_LIVE_URL"):
            pytest.skip("set AGENTEFF_LIVE_URL and AGENTEFF_LIVE_MODEL to check your own endpoint")
        yield "yours", os.environ["AGENTEFF_LIVE_URL"], os.environ["AGENTEFF_LIVE_MODEL"]
        return
    if request.param == "simulated":
        yield "simulated", request.getfixturevalue("sim_url"), "sim-small"
        return
    yield "llama-server", request.getfixturevalue("llama_server_url"), local_server.MODEL_NAME


def _key() -> str:
    return os.environ.get("OPENAI_API_KEY") or "unused"  # local servers accept any key


@pytest.fixture
def client(endpoint, tmp_path):
    _, url, model = endpoint
    with LLMClient(base_url=url, api_key=_key(), cache_dir=tmp_path, prices={model: PRICES}, timeout_s=120) as c:
        yield c


def test_models_are_listed(endpoint):
    _, url, model = endpoint
    listed = [m.id for m in openai.OpenAI(base_url=url, api_key=_key()).models.list()]
    assert model in listed


def test_chat_reports_usage_and_is_priced_from_it(endpoint, client):
    _, _, model = endpoint
    result = client.chat(model, QUESTION, max_tokens=16)
    assert isinstance(result.content, str) and result.content
    assert result.prompt_tokens > 0 and 0 < result.completion_tokens <= 16
    uncached = result.prompt_tokens - result.cached_tokens
    expected = (
        uncached * PRICES["input"]
        + result.cached_tokens * PRICES["cached_input"]
        + result.completion_tokens * PRICES["output"]
    ) / 1e6
    assert result.cost_usd == pytest.approx(expected)
    assert client.stats["requests_sent"] == 1 and client.stats["cost_usd"] == pytest.approx(expected)


def test_a_seeded_sample_is_reproduced(endpoint, tmp_path):
    _, url, model = endpoint
    replies = []
    for _ in range(2):  # two clients without a cache: the endpoint itself must reproduce the sample
        with LLMClient(base_url=url, api_key=_key(), cache=False, timeout_s=120) as fresh:
            replies.append(fresh.chat(model, QUESTION, temperature=0.8, sample_index=3, max_tokens=12).content)
    assert replies[0] == replies[1]


def test_a_length_cut_is_reported(endpoint, client):
    _, _, model = endpoint
    long_question = [{"role": "user", "content": "Write a long story about a lighthouse keeper."}]
    result = client.chat(model, long_question, max_tokens=5)
    assert result.finish_reason == "length" and result.completion_tokens <= 5


def test_an_unknown_model(endpoint, client):
    kind, _, _ = endpoint
    if kind == "llama-server":  # llama.cpp serves its one model whatever name is asked for; the reply says which
        result = client.chat("no-such-model", QUESTION, max_tokens=4)
        assert result.content is not None and result.model == local_server.MODEL_NAME
        assert result.requested_model == "no-such-model"  # kept beside it (and in the cache key)
    else:  # the simulated endpoint, like OpenAI and vLLM, refuses a model it does not serve
        with pytest.raises(openai.NotFoundError):
            client.chat("no-such-model", QUESTION, max_tokens=4)


def test_concurrent_calls_keep_their_order_and_the_cache_replays_them(endpoint, client):
    _, _, model = endpoint
    requests = [
        dict(model=model, messages=[{"role": "user", "content": f"Say the number {i}."}], max_tokens=8)
        for i in range(4)
    ]
    first = client.chat_many(requests)
    sent = client.stats["requests_sent"]
    again = client.chat_many(requests)
    assert [r.content for r in again] == [r.content for r in first]
    assert all(r.from_cache for r in again) and client.stats["requests_sent"] == sent == 4


def test_a_token_budget_stops_new_calls(endpoint, tmp_path):
    _, url, model = endpoint
    with LLMClient(base_url=url, api_key=_key(), cache_dir=tmp_path, budget_tokens=1, timeout_s=120) as capped:
        capped.chat(model, QUESTION, max_tokens=4)  # the first call is allowed: nothing was spent before it
        with pytest.raises(BudgetExceeded, match="token budget reached"):
            capped.chat(model, [{"role": "user", "content": "And 18 * 23?"}], max_tokens=4)


def test_json_schema_output(endpoint, client):
    kind, _, model = endpoint
    schema = {"type": "object", "properties": {"answer": {"type": "integer"}}, "required": ["answer"]}
    result = client.chat(
        model,
        QUESTION,
        max_tokens=32,
        response_format={"type": "json_schema", "json_schema": {"name": "a", "schema": schema}},
    )
    if kind == "simulated":  # the simulated endpoint ignores response_format and answers in prose
        assert isinstance(result.content, str)
    else:  # llama.cpp constrains decoding by a grammar: the reply is valid JSON of that shape
        assert isinstance(json.loads(result.content)["answer"], int)


def test_tool_calls(endpoint, client):
    kind, _, model = endpoint
    tools = [
        {
            "type": "function",
            "function": {
                "name": "multiply",
                "description": "Multiply two integers",
                "parameters": {
                    "type": "object",
                    "required": ["a", "b"],
                    "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
                },
            },
        }
    ]
    result = client.chat(model, QUESTION, tools=tools, max_tokens=48)
    for call in result.tool_calls:  # a round trip where the server produces calls
        assert call["name"] == "multiply" and isinstance(call["arguments"], dict)
    if kind != "simulated":  # accepted; SmolLM2 answers in text rather than calling the tool
        assert result.content is not None or result.tool_calls


def test_a_plain_call_and_a_streamed_one_agree(endpoint, tmp_path):
    _, url, model = endpoint
    replies = []
    for stream in (True, False):
        with LLMClient(base_url=url, api_key=_key(), cache=False, timeout_s=120, stream=stream) as fresh:
            replies.append(fresh.chat(model, QUESTION, max_tokens=12, logprobs=True))
    streamed, plain = replies
    assert streamed.content == plain.content and streamed.finish_reason == plain.finish_reason
    assert (streamed.prompt_tokens, streamed.completion_tokens) == (plain.prompt_tokens, plain.completion_tokens)
    assert streamed.model == plain.model and streamed.requested_model == model
    # one log-probability per generated token, streamed or not
    assert len(streamed.logprobs) == len(plain.logprobs) == streamed.completion_tokens
    assert all(value <= 0 for _, value in streamed.logprobs)


def test_n_choices_are_all_counted(endpoint, client):
    kind, _, model = endpoint
    long_question = [{"role": "user", "content": "Write a long story about a lighthouse keeper."}]
    result = client.chat(model, long_question, temperature=0.8, max_tokens=6, n=2)
    # llama.cpp's own usage counts one choice (6); the client counts both, as OpenAI and vLLM do
    assert len(result.choices) == 2 and [c["finish_reason"] for c in result.choices] == ["length", "length"]
    # the simulated endpoint cuts whole words: "Simulated reply" is 5 tokens (3 + 2) of the 6 allowed, per choice
    expected = 2 * (5 if kind == "simulated" else 6)
    assert result.completion_tokens == client.stats["completion_tokens"] == expected


def test_plain_n_choices_from_llama_cpp_get_the_uncounted_ones_estimated(endpoint, tmp_path):
    _llama_server_only(endpoint)
    _, url, model = endpoint
    long_question = [{"role": "user", "content": "Write a long story about a lighthouse keeper."}]
    with LLMClient(base_url=url, api_key=_key(), cache=False, timeout_s=120, stream=False) as plain:
        result = plain.chat(model, long_question, temperature=0.8, max_tokens=6, n=2)
    # the server's usage says 6 (the first choice); the second choice's tokens are estimated from its text
    second = result.choices[1]["message"]["content"]
    assert result.completion_tokens == 6 + approximate_tokens(second) > 6


def _llama_server_only(endpoint):
    if endpoint[0] != "llama-server":
        pytest.skip("needs a server that really generates token by token (llm/test_stream.py plays one)")


def test_a_long_generation_streams_past_the_timeout(endpoint):
    _llama_server_only(endpoint)
    _, url, model = endpoint
    story = [{"role": "user", "content": "Write a long story about a lighthouse keeper."}]
    call = dict(max_tokens=160, ignore_eos=True)  # 160 tokens at about 55 tokens/s: about 3 s, more than 1.5
    with LLMClient(base_url=url, api_key=_key(), cache=False, timeout_s=1.5, max_retries=0) as streamed:
        result = streamed.chat(model, story, **call)
    assert result.completion_tokens == 160 and result.finish_reason == "length" and result.latency_s > 1.5
    with LLMClient(base_url=url, api_key=_key(), cache=False, timeout_s=1.5, max_retries=0, stream=False) as plain:
        with pytest.raises(RetriesExhausted, match="APITimeoutError"):
            plain.chat(model, story, **call)


def test_a_timed_out_generation_is_cancelled_by_the_server(endpoint):
    _llama_server_only(endpoint)
    _, url, model = endpoint
    slots = url.removesuffix("/v1") + "/slots"

    def busy() -> int:
        with urllib.request.urlopen(slots, timeout=10) as response:
            return sum(slot["is_processing"] for slot in json.loads(response.read()))

    story = [{"role": "user", "content": "Write a long story about a lighthouse keeper."}]
    seen_busy = []
    with LLMClient(base_url=url, api_key=_key(), cache=False, timeout_s=2.0, max_retries=0, stream=False) as plain:
        watcher = threading.Timer(1.0, lambda: seen_busy.append(busy()))
        watcher.start()
        with pytest.raises(RetriesExhausted, match="APITimeoutError"):
            plain.chat(model, story, max_tokens=2000, ignore_eos=True)  # about 40 s of generation
        watcher.join()
    assert seen_busy == [1]  # the generation was running when the client gave up on it...
    # llama.cpp notices a closed connection when its handler's 1 s wait for results passes with no result of any
    # request (a /slots answer counts), so poll gently: asking every 0.1 s would keep the generation alive
    deadline = time.monotonic() + 8
    while busy() and time.monotonic() < deadline:
        time.sleep(1.5)
    assert busy() == 0  # ...and the closed connection stopped it, long before its 2,000 tokens
