"""The client every study uses to call a model: any OpenAI-compatible endpoint through the ``openai`` SDK.

What it adds to the SDK:

* a persistent response cache (:mod:`agenteff.llm.cache`): a re-run of a finished experiment sends no request;
* bounded concurrency (``max_concurrency`` calls in flight; identical calls in flight are sent once);
* usage and cost from the endpoint's usage fields (prompt, completion, cached prompt and reasoning tokens),
  priced by ``data/prices.csv`` (:mod:`agenteff.llm.pricing`);
* retries with exponential backoff and jitter on 429, 5xx, timeouts, dropped connections and malformed bodies,
  waiting at least as long as the endpoint's ``Retry-After`` but never longer than ``backoff_max_s`` (an
  unreadable ``Retry-After`` falls back to the backoff); :class:`RetriesExhausted` when they run out, naming
  the URL and the attempts; a refused connection fails at once (nothing listens there);
* budget caps in tokens or USD: :class:`BudgetExceeded` stops the run and says how much was spent;
* timeouts that fit the generation: replies are streamed (``stream=True``, with ``stream_options.include_usage``)
  and reassembled into the same body a non-streamed call returns (content, tool calls, finish_reason, usage, model,
  logprobs), so caching, accounting and parsing do not depend on it; a streamed call times out only on *silence*
  (``silence_timeout_s`` without a byte), never because a long generation takes long. A timed-out call's
  connection is closed, which cancels the generation on llama.cpp's server (its handler polls the connection while
  it waits for results and cancels the tasks when it is gone) and on vLLM (it aborts a request whose client
  disconnected), and the retry waits at least ``cancel_wait_s`` first, so the server has stopped the abandoned
  generation before the same one is asked for again;
* the same accounting whatever the server: with ``n > 1`` choices ``completion_tokens`` counts all of them (see
  :func:`_parse_reply` for llama.cpp, which reports one choice).

In :meth:`LLMClient.chat_many` a failing call (a spent budget or any other error) stops the batch from sending
more, but calls already in flight finish, are cached and counted; the error carries ``results`` (finished
results in request order, None where not finished) and ``index`` (the failing request's position).

The synchronous methods work inside Jupyter (whose kernel already runs an event loop): all calls run on a
private event loop in a background thread. The API key is handed to the SDK and kept nowhere else: not in the
cache, not in messages, not in the client's repr.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import email.utils
import json
import logging
import math
import os
import random
import sqlite3
import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit, urlunsplit

import httpx2 as httpx
import openai

from ..paths import cache_dir as default_cache_root
from ..progress import progress
from ..secrets import redact, redact_logs
from .cache import ResponseCache, request_key
from .pricing import PriceTable, call_cost
from .sim import SIMULATED_FINGERPRINT, approximate_tokens, message_tokens
from .transport import LOOPBACK_HOSTS, LoopbackTransport

__all__ = ["LLMClient", "ChatResult", "BudgetExceeded", "RetriesExhausted"]

_log = logging.getLogger(__name__)
# the HTTP libraries log request URLs (httpx at INFO): userinfo and key-like parts never reach a log
redact_logs("httpx", "httpx2", "openai", "openai._base_client")
_CACHE_WAIT_S = 0.2  # the longest a cache write may hold up the event loop
_CACHE_RETRY_S = 2.0  # when the cache could not take replies: the wait before trying again
# No key is needed by local servers (vLLM, Ollama, the simulated endpoint), but the SDK insists on one.
_PLACEHOLDER_KEY = "not-needed"


class BudgetExceeded(RuntimeError):
    """The client's token or USD budget is spent. In a batch, ``results`` holds what it finished (None
    elsewhere) and ``index`` the position of the request that found the budget spent."""

    def __init__(self, message: str, results: list | None = None, index: int | None = None):
        super().__init__(message)
        self.results = results
        self.index = index


class RetriesExhausted(RuntimeError):
    """An endpoint kept failing with retryable errors (429, 5xx, timeouts, broken replies), or refused the
    connection."""


class _MalformedReply(Exception):
    """A 200 reply whose body is not a chat completion."""

    label = "malformed reply"  # how messages name it (the class is private)


class _NotSent(Exception):
    """A batch call skipped because an earlier call of the batch failed."""


_RETRYABLE = (openai.RateLimitError, openai.InternalServerError, openai.APIConnectionError, _MalformedReply)


@dataclass(frozen=True)
class ChatResult:
    """One reply. ``message`` = {role, content, tool_calls: [{id, name, arguments: dict}], reasoning_content}.

    ``latency_s`` is the latency the simulated endpoint played when the reply is simulated (deterministic), and
    the measured wall time of the successful attempt otherwise (kept from the first call for cached replies).
    Token counts come from the endpoint's usage fields (estimated from the text when it reports none).
    ``cost_usd`` is what the call costs at the price table's rates (NaN for an unpriced model), for cached
    replies too, so analyses of cost give the same numbers on every run; the client's ``stats`` count only what
    was actually sent.
    """

    message: dict
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int
    reasoning_tokens: int
    cost_usd: float
    latency_s: float
    from_cache: bool
    simulated: bool
    model: str
    finish_reason: str = "stop"
    # ((token, log-probability), ...) of the reply's content when the request asked for ``logprobs=True`` and
    # the endpoint returned them; None otherwise
    logprobs: tuple | None = None
    # the model id the call asked for (the cache key's); ``model`` is the id the reply reports, which differs
    # for dated snapshots and for servers that answer any name with their one model (llama.cpp)
    requested_model: str = ""
    # every choice of an ``n > 1`` call, each {message, finish_reason}; ``message`` is the first; the token
    # counts and cost cover all of them
    choices: tuple = ()

    @property
    def content(self) -> str | None:
        return self.message.get("content")

    @property
    def tool_calls(self) -> list[dict]:
        return self.message.get("tool_calls", [])

    def to_openai_message(self) -> dict:
        """The reply as an assistant message in the OpenAI format, to append to a conversation."""
        message: dict = {"role": "assistant", "content": self.content}
        if self.tool_calls:
            message["tool_calls"] = [
                {
                    "id": c["id"],
                    "type": "function",
                    "function": {"name": c["name"], "arguments": json.dumps(c["arguments"], sort_keys=True)},
                }
                for c in self.tool_calls
            ]
        return message


def _arguments(text) -> dict:
    if isinstance(text, dict):
        return text
    try:
        value = json.loads(text or "{}")
    except json.JSONDecodeError:
        return {"_unparsed": text}  # the model wrote invalid JSON: keep it for the caller to judge
    return value if isinstance(value, dict) else {"_value": value}


def _parse_message(choice: dict) -> dict:
    raw = choice["message"]
    calls = [
        {
            "id": c.get("id", f"call_{i}"),
            "name": c["function"]["name"],
            "arguments": _arguments(c["function"].get("arguments")),
        }
        for i, c in enumerate(raw.get("tool_calls") or [])
    ]
    return {
        "role": "assistant",
        "content": raw.get("content"),
        "tool_calls": calls,
        "reasoning_content": raw.get("reasoning_content", raw.get("reasoning")),
    }


def _message_tokens_estimate(message: dict) -> int:
    return (
        approximate_tokens(message["content"])
        + approximate_tokens(message["reasoning_content"])
        + sum(
            approximate_tokens(c["name"]) + approximate_tokens(json.dumps(c["arguments"]))
            for c in message["tool_calls"]
        )
    )


def _parse_reply(body, messages: list, tools) -> dict:
    """The fields of a chat-completion body; :class:`_MalformedReply` when it is not one.

    Token counts are the endpoint's usage fields, estimated from the text where it reports none. With ``n > 1``
    choices ``completion_tokens`` counts all of them, as OpenAI and vLLM report it. llama.cpp's server (its
    replies carry a ``timings`` object) reports the first choice only in a non-streamed reply; the client then
    adds the other choices' tokens, estimated from their text (:func:`approximate_tokens`). Streamed, llama.cpp
    sends one usage chunk per choice, which :func:`_assemble_stream` adds up exactly, so the default (streamed)
    calls need no estimate.
    """
    try:
        raw_choices = sorted(body["choices"], key=lambda c: c.get("index", 0))
        choice = raw_choices[0]
        parsed = [_parse_message(c) for c in raw_choices]
        usage = body.get("usage") or {}
        token_logprobs = (choice.get("logprobs") or {}).get("content")
        logprobs = tuple((str(t["token"]), float(t["logprob"])) for t in token_logprobs) if token_logprobs else None
    except (KeyError, IndexError, TypeError, AttributeError, ValueError) as exc:
        raise _MalformedReply(f"reply is not a chat completion ({type(exc).__name__}: {exc})") from exc
    message = parsed[0]
    prompt = usage.get("prompt_tokens")
    completion = usage.get("completion_tokens")
    if prompt is None:  # the endpoint reports no usage: estimate from the text
        prompt = message_tokens(messages, tools)
    if completion is None:
        completion = sum(_message_tokens_estimate(m) for m in parsed)
    elif len(parsed) > 1 and "timings" in body:  # llama.cpp, not streamed: usage counts the first choice only
        completion += sum(_message_tokens_estimate(m) for m in parsed[1:])
    return {
        "message": message,
        "prompt_tokens": int(prompt),
        "completion_tokens": int(completion),
        "cached_tokens": int((usage.get("prompt_tokens_details") or {}).get("cached_tokens") or 0),
        "reasoning_tokens": int((usage.get("completion_tokens_details") or {}).get("reasoning_tokens") or 0),
        "simulated": str(body.get("system_fingerprint") or "").startswith(SIMULATED_FINGERPRINT),
        "model": body.get("model") or "",
        "finish_reason": choice.get("finish_reason") or "stop",
        "logprobs": logprobs,
        "choices": tuple(
            {"message": m, "finish_reason": c.get("finish_reason") or "stop"} for m, c in zip(parsed, raw_choices)
        )
        if len(parsed) > 1
        else (),
    }


def _sum_usage(chunks: list[dict]) -> dict:
    """One usage object from a stream's usage chunks: OpenAI and vLLM send one for the whole call; llama.cpp one
    per choice (each with the shared prompt), so completion tokens add up and prompt tokens do not."""
    if len(chunks) == 1:
        return chunks[0]

    def detail(usage, group, name):
        return (usage.get(group) or {}).get(name) or 0

    return {
        "prompt_tokens": max(u.get("prompt_tokens") or 0 for u in chunks),
        "completion_tokens": sum(u.get("completion_tokens") or 0 for u in chunks),
        "prompt_tokens_details": {
            "cached_tokens": max(detail(u, "prompt_tokens_details", "cached_tokens") for u in chunks)
        },
        "completion_tokens_details": {
            "reasoning_tokens": sum(detail(u, "completion_tokens_details", "reasoning_tokens") for u in chunks)
        },
    }


# llama.cpp streams ``timings`` per choice: kept, they would mark the summed usage as one choice's (_parse_reply)
_NOT_KEPT_FROM_CHUNKS = frozenset({"choices", "usage", "object", "timings"})


def _assemble_stream(content: bytes) -> dict:
    """The chat-completion body a stream of server-sent ``chat.completion.chunk`` events adds up to.

    Deltas are joined per choice (content, reasoning, tool calls by index, logprobs); the last chunk's top-level
    fields are kept (id, model, system_fingerprint, server extras; not llama.cpp's per-choice timings); usage
    chunks are summed (:func:`_sum_usage`); comments (llama.cpp's keep-alive pings) are skipped. A stream cut
    short, without ``[DONE]`` and without a finish_reason for every choice and usage, is :class:`_MalformedReply`;
    one without usage (a server that does not honour ``include_usage``) gets its tokens estimated by
    :func:`_parse_reply`.
    """
    body: dict = {}
    choices: dict[int, dict] = {}
    usage: list[dict] = []
    done = False
    for line in content.splitlines():
        if not line.startswith(b"data:"):
            continue  # blank separators, ": ping" comments, "event:" names
        data = line[5:].strip()
        if data == b"[DONE]":
            done = True
            break
        try:
            chunk = json.loads(data)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise _MalformedReply(f"a streamed chunk is not JSON ({exc})") from exc
        if not isinstance(chunk, dict):
            raise _MalformedReply("a streamed chunk is not a JSON object")
        if chunk.get("error"):
            raise _MalformedReply(f"the server reported an error mid-stream: {str(chunk['error'])[:300]}")
        body.update((k, v) for k, v in chunk.items() if k not in _NOT_KEPT_FROM_CHUNKS)
        if chunk.get("usage"):
            usage.append(chunk["usage"])
        for delta_choice in chunk.get("choices") or ():
            _add_delta(choices.setdefault(delta_choice.get("index", 0), {"deltas": {}, "calls": {}}), delta_choice)
    if not choices:
        raise _MalformedReply("the stream held no choices")
    if not done and not (usage and all(c.get("finish_reason") for c in choices.values())):
        raise _MalformedReply("the stream ended before it was complete (no [DONE])")
    body["object"] = "chat.completion"
    body["choices"] = [_assembled_choice(index, choices[index]) for index in sorted(choices)]
    if usage:
        body["usage"] = _sum_usage(usage)
    return body


def _add_delta(choice: dict, delta_choice: dict) -> None:
    delta = delta_choice.get("delta") or {}
    for name in ("content", "reasoning_content", "reasoning"):
        if delta.get(name) is not None:
            choice["deltas"].setdefault(name, []).append(delta[name])
    for i, call in enumerate(delta.get("tool_calls") or ()):
        slot = choice["calls"].setdefault(call.get("index", i), {"id": None, "name": [], "arguments": []})
        slot["id"] = call.get("id") or slot["id"]
        function = call.get("function") or {}
        slot["name"].append(function.get("name") or "")
        slot["arguments"].append(function.get("arguments") or "")
    token_logprobs = (delta_choice.get("logprobs") or {}).get("content")
    if token_logprobs:
        choice.setdefault("logprobs", []).extend(token_logprobs)
    if delta_choice.get("finish_reason"):
        choice["finish_reason"] = delta_choice["finish_reason"]


def _assembled_choice(index: int, choice: dict) -> dict:
    message: dict = {"role": "assistant", "content": None}
    for name, parts in choice["deltas"].items():
        message[name] = "".join(parts)
    if choice["calls"]:
        message["tool_calls"] = [
            {
                "id": call["id"] or f"call_{i}",
                "type": "function",
                "function": {"name": "".join(call["name"]), "arguments": "".join(call["arguments"])},
            }
            for i, call in (sorted(choice["calls"].items()))
        ]
    return {
        "index": index,
        "message": message,
        "finish_reason": choice.get("finish_reason"),
        "logprobs": {"content": choice["logprobs"]} if "logprobs" in choice else None,
    }


def _decode_reply(content: bytes) -> dict:
    """A reply's body: a JSON chat completion, or a stream of server-sent events (some servers ignore
    ``stream`` and answer with JSON, so the body decides, not the request)."""
    head = content.lstrip()[:5]
    if head.startswith((b"data:", b":", b"event")):
        return _assemble_stream(content)
    try:
        return json.loads(content)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _MalformedReply(f"reply body is not JSON ({exc})") from exc


def _retry_after_s(exc: Exception | None) -> float | None:
    """The wait the endpoint asks for, in seconds; None when it asks none or says something unreadable
    (``soon``, empty, ``inf``, a malformed date): the caller then backs off on its own schedule."""
    response = getattr(exc, "response", None)
    if response is None:
        return None
    headers = response.headers
    for header, scale in (("retry-after-ms", 1e-3), ("retry-after", 1.0)):
        value = (headers.get(header) or "").strip()
        if not value:
            continue
        try:
            seconds = float(value) * scale
        except ValueError:
            try:  # Retry-After may be an HTTP date
                when = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError, IndexError, OverflowError):
                continue
            if when is None:
                continue
            if when.tzinfo is None:
                when = when.replace(tzinfo=datetime.UTC)
            seconds = when.timestamp() - time.time()
        if math.isfinite(seconds):
            return max(seconds, 0.0)
    return None


def _describe(exc: BaseException | None) -> str:
    status = getattr(exc, "status_code", None)
    text = getattr(exc, "message", None) or str(exc)
    name = getattr(exc, "label", None) or type(exc).__name__
    return redact(name + (f" (HTTP {status})" if status else "") + f": {text[:300]}")  # errors may quote URLs


def _connection_refused(exc: BaseException | None) -> bool:
    """Did the connection fail because nothing listens at the address? (No point retrying that.)"""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, ConnectionRefusedError) or "connection refused" in str(exc).lower():
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.username or parts.password:
        parts = parts._replace(netloc=(parts.hostname or "") + (f":{parts.port}" if parts.port else ""))
    return redact(urlunsplit(parts))


class _Call(NamedTuple):
    """One call: what the caller asked for and its cache key (the request body is built only to send it)."""

    model: str
    messages: list
    tools: list | None
    temperature: float
    sample_index: int
    max_tokens: int | None
    extra: dict
    key: str

    def request(self) -> dict:
        request = {"model": self.model, "messages": self.messages, "temperature": self.temperature, **self.extra}
        if self.tools:
            request["tools"] = self.tools
        if self.max_tokens is not None:
            request["max_tokens"] = self.max_tokens
        if self.temperature > 0 and "seed" not in self.extra:
            request["seed"] = int(self.sample_index)
        return request


def _call(model, messages, tools=None, temperature=0.0, sample_index=0, max_tokens=None, **extra) -> _Call:
    key = request_key(model, messages, tools, temperature, sample_index, max_tokens, extra)
    return _Call(model, messages, tools, temperature, sample_index, max_tokens, extra, key)


class LLMClient:
    """Calls to an OpenAI-compatible endpoint with cache, concurrency limit, retries, cost and budget.

    ``base_url``/``api_key`` default to ``OPENAI_BASE_URL``/``OPENAI_API_KEY``; with neither the SDK's default
    (api.openai.com) is used. ``cache_dir=None`` caches under ``<agenteff cache>/llm``; ``cache=False`` turns
    the cache off. ``prices`` is a price table (path, DataFrame, or ``{model: {input, cached_input, output}}``
    in USD per million tokens), by default ``data/prices.csv``. ``budget_tokens`` caps prompt + completion
    tokens of requests sent by this client, ``budget_usd`` their cost; cached replies are free. Calls already in
    flight when a cap is reached still finish, so the overshoot is at most ``max_concurrency - 1`` calls.
    Retries wait ``backoff_base_s * 2**attempt`` (with jitter) or the endpoint's ``Retry-After`` if longer, and
    never more than ``backoff_max_s`` per wait.

    ``stream=True`` (the default) streams every reply and reassembles it; the call then fails with a timeout only
    after ``silence_timeout_s`` (default: ``timeout_s``) without a byte from the server, the wait for the first
    token (prompt processing) included, however long the whole generation takes. ``stream=False`` sends plain
    requests, for which ``timeout_s`` bounds the whole reply. Both give the same results and share the cache.
    After a timeout the retry waits at least ``cancel_wait_s``: the time a server may take to notice the closed
    connection and stop the abandoned generation (llama.cpp checks once its handler has waited 1 s with no
    result of any request), so the retry does not compete with it.

    At temperature > 0 each ``sample_index`` is a separate cached sample, sent with ``seed=sample_index``
    (unless a seed is given) so endpoints that honour seeds reproduce it.
    """

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        cache_dir=None,
        max_concurrency: int = 8,
        max_retries: int = 6,
        timeout_s: float = 30.0,
        budget_usd: float | None = None,
        budget_tokens: int | None = None,
        prices=None,
        backoff_base_s: float = 0.5,
        backoff_max_s: float = 30.0,
        cache: bool = True,
        stream: bool = True,
        silence_timeout_s: float | None = None,
        cancel_wait_s: float = 1.5,
    ):
        base_url = base_url or os.environ.get("OPENAI_BASE_URL") or None
        api_key = api_key or os.environ.get("OPENAI_API_KEY") or None
        if api_key is None and base_url is None:
            raise ValueError(
                "no endpoint configured: pass base_url= (and api_key= if it needs one), or set "
                "OPENAI_BASE_URL / OPENAI_API_KEY; notebooks start the simulated endpoint when "
                "base_url is None"
            )
        self.base_url = base_url
        self.max_concurrency = int(max_concurrency)
        self.max_retries = int(max_retries)
        self.timeout_s = float(timeout_s)
        self.stream = bool(stream)
        self.cancel_wait_s = float(cancel_wait_s)
        self.silence_timeout_s = float(silence_timeout_s if silence_timeout_s is not None else timeout_s)
        if not (self.timeout_s > 0 and self.silence_timeout_s > 0):
            raise ValueError(
                f"timeouts must be > 0 seconds, got timeout_s={timeout_s}, silence_timeout_s={silence_timeout_s}"
            )
        self.budget_usd = budget_usd
        self.budget_tokens = budget_tokens
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self.prices = PriceTable.load(prices)
        folder = Path(cache_dir) if cache_dir is not None else default_cache_root() / "llm"
        self._cache = ResponseCache(folder) if cache else None
        self._stats: dict[str, float] = dict.fromkeys(
            (
                "requests_sent",
                "cache_hits",
                "retries",
                "prompt_tokens",
                "completion_tokens",
                "cached_tokens",
                "reasoning_tokens",
            ),
            0,
        )
        self._stats["cost_usd"] = 0.0
        self._inflight: dict[str, asyncio.Future] = {}
        # replies not yet in the cache, by key: written at the end of the loop's turn, and kept here (answering
        # lookups) while the cache cannot take them (locked by another process, a full disk)
        self._unstored: dict[str, tuple[str, dict, float]] = {}
        self._flush_handle: asyncio.Handle | None = None
        self._cache_trouble = ""  # the cache's last write error, logged once per episode
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="agenteff-llm", daemon=True)
        self._thread.start()
        self._semaphore: asyncio.Semaphore | None = None
        self._openai = self._run(self._connect(base_url, api_key or _PLACEHOLDER_KEY))
        self._finalizer = weakref.finalize(
            self, _shutdown, self._loop, self._thread, self._openai, self._cache, self._unstored
        )

    async def _connect(self, base_url, api_key):
        # the read timeout is a limit on silence (httpx's meaning, and LoopbackTransport's)
        self._stream_options = {"timeout": self.silence_timeout_s}
        self._semaphore = asyncio.Semaphore(self.max_concurrency)
        self._transport = LoopbackTransport()
        sdk = openai.AsyncOpenAI(
            base_url=base_url,
            api_key=api_key,
            max_retries=0,
            timeout=self.timeout_s,
            http_client=openai.DefaultAsyncHttpxClient(transport=self._transport),
        )
        url = urlsplit(str(sdk.base_url).rstrip("/") + "/chat/completions")
        self._loopback = None
        if url.scheme == "http" and url.hostname in LOOPBACK_HOSTS:
            # Chat calls to a loopback server skip the SDK's request and response objects (their CPU cost per
            # call, not the server, limited throughput at 32 calls in flight); errors are still the SDK's
            host = url.netloc.rpartition("@")[2]
            head = (
                f"POST {url.path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                "Accept: application/json\r\nUser-Agent: agenteff\r\nAuthorization: Bearer "
            )
            self._loopback = (
                (url.hostname, url.port or 80),
                head.encode(),
                httpx.Request("POST", _redact(urlunsplit(url))),
            )
        return sdk

    def __repr__(self) -> str:
        where = _redact(self.base_url) if self.base_url else "OpenAI default endpoint"
        return f"LLMClient({where}, max_concurrency={self.max_concurrency})"

    # --- public API ----------------------------------------------------------------------------------------

    def chat(
        self,
        model: str,
        messages: list[dict],
        tools: list[dict] | None = None,
        temperature: float = 0.0,
        sample_index: int = 0,
        max_tokens: int | None = None,
        **extra,
    ) -> ChatResult:
        """One chat completion (from the cache when this exact call was made before)."""
        return self._run(self._chat(model, messages, tools, temperature, sample_index, max_tokens, extra))

    async def achat(
        self,
        model: str,
        messages: list[dict],
        tools: list[dict] | None = None,
        temperature: float = 0.0,
        sample_index: int = 0,
        max_tokens: int | None = None,
        **extra,
    ) -> ChatResult:
        """:meth:`chat` for async code; awaitable from any event loop."""
        coroutine = self._chat(model, messages, tools, temperature, sample_index, max_tokens, extra)
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coroutine, self._loop))

    def chat_many(self, requests: list[dict], desc: str = "LLM calls") -> list[ChatResult]:
        """Many calls at once (each dict holds :meth:`chat`'s arguments), results in request order, with a
        progress bar. :class:`BudgetExceeded` carries the finished results in ``.results``."""
        return self._run(self._chat_many(list(requests), desc))

    def list_models(self) -> list[str]:
        """The ids the endpoint lists at ``/v1/models`` (sorted)."""

        async def listed():
            return sorted([model.id async for model in self._openai.models.list()])

        return self._run(listed())

    @property
    def stats(self) -> dict:
        """Requests sent (every attempt, retries included), cache hits, and the tokens and USD of the requests
        sent; cached replies cost nothing."""
        return dict(self._stats)

    def close(self) -> None:
        self._finalizer()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    # --- machinery -----------------------------------------------------------------------------------------

    def _run(self, coroutine):
        if threading.current_thread() is self._thread:
            raise RuntimeError(
                "LLMClient's synchronous methods cannot be called from its own event loop; "
                "use 'await client.achat(...)'"
            )
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        try:
            return future.result()
        except KeyboardInterrupt:
            future.cancel()
            raise

    async def _chat_many(self, requests: list[dict], desc: str) -> list[ChatResult]:
        calls = [_call(**kwargs) for kwargs in requests]
        # the cache answers in one query for the whole batch; only the calls it does not hold become tasks
        stored = self._cached([c.key for c in calls])
        outcomes: list = [None] * len(calls)
        for i, call in enumerate(calls):
            if call.key in stored:
                self._stats["cache_hits"] += 1
                outcomes[i] = self._result(call.model, *stored[call.key], call.messages, call.tools, from_cache=True)
        stop = asyncio.Event()  # set by the first failure: calls not yet sent are skipped, calls in flight finish
        failure: list = []  # (index, exception) of the first failing call
        # a call repeated within the batch is sent once (its first occurrence) and shared
        first: dict[str, int] = {}
        for i, outcome in enumerate(outcomes):
            if outcome is None:
                first.setdefault(calls[i].key, i)
        # tasks start as earlier ones finish, at most twice max_concurrency at a time (enough to keep every slot
        # busy); a task per call from the start delayed the first request by 160 ms in a batch of 5,120
        window = asyncio.Semaphore(2 * self.max_concurrency)
        bar = progress(total=len(calls), desc=desc, unit="call")
        bar.update(len(calls) - len(first))

        async def one(index: int, call: _Call):
            try:
                return await self._complete(call, stop)
            except _NotSent:
                raise
            except Exception as exc:
                if not failure:
                    failure.append((index, exc))
                stop.set()
                raise
            finally:
                window.release()
                bar.update()

        tasks: dict[int, asyncio.Future] = {}
        try:
            for i in first.values():
                await window.acquire()
                if stop.is_set():
                    window.release()
                    break
                tasks[i] = asyncio.ensure_future(one(i, calls[i]))
            for i, outcome in zip(tasks, await asyncio.gather(*tasks.values(), return_exceptions=True)):
                outcomes[i] = outcome
        except BaseException:  # interrupted or cancelled: stop everything now
            for task in tasks.values():
                task.cancel()
            await asyncio.gather(*tasks.values(), return_exceptions=True)
            raise
        finally:
            bar.close()
        for i, outcome in enumerate(outcomes):
            if outcome is None and first.get(calls[i].key, i) != i:  # a repeat: its first occurrence's reply
                shared = outcomes[first[calls[i].key]]
                if isinstance(shared, ChatResult):
                    self._stats["cache_hits"] += 1
                    outcomes[i] = dataclasses.replace(shared, from_cache=True)
        if not failure:
            return outcomes  # all are results: none failed
        index, exc = failure[0]
        exc.results = [o if isinstance(o, ChatResult) else None for o in outcomes]
        exc.index = index
        if isinstance(exc, BudgetExceeded):  # say what was really spent, calls that finished after it included
            exc.args = (self._budget_message(exc.args[0].split(":", 1)[0]),)
        raise exc

    async def _chat(self, model, messages, tools, temperature, sample_index, max_tokens, extra) -> ChatResult:
        call = _call(model, messages, tools, temperature, sample_index, max_tokens, **extra)
        cached = self._unstored[call.key][1:] if call.key in self._unstored else None
        if cached is None and self._cache is not None:
            cached = self._cache.get(call.key)
        if cached is not None:
            self._stats["cache_hits"] += 1
            return self._result(model, *cached, messages, tools, from_cache=True)
        return await self._complete(call)

    async def _complete(self, call: _Call, stop: asyncio.Event | None = None) -> ChatResult:
        """A call the cache did not hold (when it was looked up): share an identical call in flight, else send."""
        if call.key in self._inflight:  # the same call is on its way: share its reply
            body, latency = await asyncio.shield(self._inflight[call.key])
            self._stats["cache_hits"] += 1
            return self._result(call.model, body, latency, call.messages, call.tools, from_cache=True)
        shared = self._loop.create_future()
        shared.add_done_callback(lambda f: f.cancelled() or f.exception())  # never "exception not retrieved"
        self._inflight[call.key] = shared
        try:
            assert self._semaphore is not None  # set by _connect, before any call
            async with self._semaphore:
                if stop is not None and stop.is_set():
                    raise _NotSent()
                body, latency, fields = await self._send(call.request(), call.messages, call.tools)
            if self._cache is not None:
                self._store(call, body, latency)
            result = self._result(call.model, body, latency, call.messages, call.tools, False, fields)
            self._account(result)
            shared.set_result((body, latency))
            return result
        except BaseException as exc:
            shared.set_exception(exc if isinstance(exc, Exception) else RuntimeError("call cancelled"))
            raise
        finally:
            del self._inflight[call.key]

    def _cached(self, keys: list[str]) -> dict[str, tuple[dict, float]]:
        """The replies among ``keys`` that the cache, or the replies not yet written to it, hold."""
        found = self._cache.get_many(keys) if self._cache is not None else {}
        found.update((key, self._unstored[key][1:]) for key in keys if key in self._unstored)
        return found

    def _store(self, call: _Call, body: dict, latency: float) -> None:
        """Queue a reply for the cache; the replies of one turn of the event loop are written in one transaction
        (one SQLite commit per call cost more CPU than the HTTP exchange)."""
        self._unstored[call.key] = (call.model, body, latency)
        if self._flush_handle is None:
            self._flush_handle = self._loop.call_soon(self._flush)

    def _flush(self) -> None:
        """Write the queued replies, waiting at most ``_CACHE_WAIT_S`` (this runs on the event loop); when the
        cache cannot take them they stay queued, answer lookups, and are tried again ``_CACHE_RETRY_S`` later
        (and at close)."""
        self._flush_handle = None
        if not self._unstored or self._cache is None:
            return
        rows = [(key, *row) for key, row in self._unstored.items()]
        try:
            self._cache.put_many(rows, wait_s=_CACHE_WAIT_S)
        except sqlite3.OperationalError as exc:  # locked by another process, or the disk is full
            if not self._cache_trouble:
                _log.warning(
                    "the response cache %s cannot take replies now (%s): %d kept in memory and tried again",
                    self._cache.path,
                    exc,
                    len(rows),
                )
            self._cache_trouble = str(exc)
            self._flush_handle = self._loop.call_later(_CACHE_RETRY_S, self._flush)
            return
        self._unstored.clear()  # the same dict: the finaliser holds it
        self._cache_trouble = ""

    def _result(
        self, model: str, body: dict, latency: float, messages, tools, from_cache: bool, fields: dict | None = None
    ) -> ChatResult:
        """The ChatResult of a reply body (``fields``: its :func:`_parse_reply`, when already parsed)."""
        fields = fields or _parse_reply(body, messages, tools)
        # priced by the id the caller asked for; the reply's id (often a dated snapshot) when that has no price
        price = self.prices.lookup(model) or self.prices.lookup(fields["model"] or model)
        cost = call_cost(price, fields["prompt_tokens"], fields["completion_tokens"], fields["cached_tokens"])
        return ChatResult(
            cost_usd=cost, latency_s=float(latency), from_cache=from_cache, requested_model=model, **fields
        )

    def _account(self, result: ChatResult) -> None:
        for name in ("prompt_tokens", "completion_tokens", "cached_tokens", "reasoning_tokens"):
            self._stats[name] += getattr(result, name)
        if not math.isnan(result.cost_usd):
            self._stats["cost_usd"] += result.cost_usd

    def _check_budget(self, model: str) -> None:
        spent_tokens = self._stats["prompt_tokens"] + self._stats["completion_tokens"]
        if self.budget_tokens is not None and spent_tokens >= self.budget_tokens:
            raise BudgetExceeded(self._budget_message("token budget reached"))
        if self.budget_usd is not None:
            if self.prices.lookup(model) is None:
                raise ValueError(
                    f"a USD budget needs a price for model {model!r}: add a row to data/prices.csv "
                    "or pass prices={...} to LLMClient"
                )
            if self._stats["cost_usd"] >= self.budget_usd:
                raise BudgetExceeded(self._budget_message("USD budget reached"))

    def _budget_message(self, headline: str) -> str:
        calls = f"over {self._stats['requests_sent']} requests sent"
        advice = "finished calls are cached, so a re-run with a larger budget continues where this stopped"
        if headline.startswith("USD"):
            spent = f"spent ${self._stats['cost_usd']:.4f} of ${self.budget_usd:.4f}"
        else:
            spent_tokens = self._stats["prompt_tokens"] + self._stats["completion_tokens"]
            spent = f"spent {spent_tokens:,} of {self.budget_tokens:,} tokens"
        return f"{headline}: {spent} {calls}; {advice}"

    def _endpoint_url(self) -> str:
        return _redact(str(self._openai.base_url).rstrip("/") + "/chat/completions")

    async def _send(self, request: dict, messages, tools) -> tuple[dict, float, dict]:
        """Send with retries; every attempt is counted, waits its backoff and checks the budget first. Returns the
        reply's body, its latency and its parsed fields."""
        if self.stream:
            sent, options = {**request, "stream": True, "stream_options": {"include_usage": True}}, self._stream_options
        else:
            sent, options = request, {}
        last_error: Exception | None = None
        for attempt in range(self.max_retries + 1):
            if attempt:
                self._stats["retries"] += 1
                await asyncio.sleep(self._backoff_s(attempt - 1, last_error))
            self._check_budget(request["model"])
            self._stats["requests_sent"] += 1
            started = time.perf_counter()
            try:
                # The SDK's generic POST: its auth, base URL, timeout and error types, without the per-field
                # request transformation of chat.completions.create (a CPU cost that caps throughput).
                if self._loopback is not None:
                    content = await self._post_loopback(sent, options.get("timeout", self.timeout_s))
                else:
                    content = await self._openai.post("/chat/completions", cast_to=bytes, body=sent, options=options)
                body = _decode_reply(content)
                fields = _parse_reply(body, messages, tools)  # validates it before it is cached
            except _RETRYABLE as exc:
                last_error = exc
                _log.debug("model %r, attempt %d failed: %s", request["model"], attempt + 1, _describe(exc))
                if isinstance(exc, openai.APIConnectionError) and _connection_refused(exc):
                    raise RetriesExhausted(
                        f"model {request['model']!r}: cannot connect to {self._endpoint_url()}: connection refused "
                        f"(attempt {attempt + 1}; nothing listens there, so no more retries). Is the server "
                        "running, and are base_url / OPENAI_BASE_URL right?"
                    ) from exc
                continue
            measured = time.perf_counter() - started
            return body, float(body.get("simulated_latency_s", measured)), fields
        raise RetriesExhausted(
            f"model {request['model']!r} at {self._endpoint_url()}: no valid reply after "
            f"{self.max_retries + 1} attempts; last error: {_describe(last_error)}"
        ) from last_error

    async def _post_loopback(self, body: dict, silence_s: float) -> bytes:
        """POST a chat request to a loopback server through the transport directly; the SDK's exceptions for
        timeouts, broken connections and error statuses (so retries treat both roads alike)."""
        address, head, request = self._loopback
        payload = json.dumps(body).encode()
        message = b"%s%s\r\nContent-Length: %d\r\n\r\n%s" % (head, self._openai.api_key.encode(), len(payload), payload)
        try:
            status, headers, content = await self._transport.exchange(address, message, self.timeout_s, silence_s)
        except httpx.TimeoutException as exc:
            raise openai.APITimeoutError(request=request) from exc
        except httpx.TransportError as exc:
            raise openai.APIConnectionError(message=f"Connection error: {exc}", request=request) from exc
        if not 200 <= status < 300:
            response = httpx.Response(status, headers=headers, content=content, request=request)
            raise self._openai._make_status_error_from_response(response)  # the SDK's error type per status
        return content

    def _backoff_s(self, attempt: int, error: Exception | None) -> float:
        """Exponential backoff with jitter (half to full of the step), at least the endpoint's Retry-After,
        at most ``backoff_max_s`` (a Retry-After of an hour must not stall a batch for an hour)."""
        step = min(self.backoff_max_s, self.backoff_base_s * 2**attempt)
        wait = step * random.uniform(0.5, 1.0)
        if isinstance(error, openai.APITimeoutError):  # let the server stop the abandoned generation first
            wait = max(wait, min(self.cancel_wait_s, self.backoff_max_s))
        asked = _retry_after_s(error)
        return min(max(wait, asked), self.backoff_max_s) if asked is not None else wait


def _shutdown(loop: asyncio.AbstractEventLoop, thread: threading.Thread, client, cache, unstored: dict) -> None:
    if loop.is_running():
        try:
            asyncio.run_coroutine_threadsafe(client.close(), loop).result(timeout=10)
        except Exception:  # closing is best effort; the process may be exiting
            pass
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
    if not loop.is_running():
        loop.close()
    if cache is not None:
        if unstored:  # replies queued in the loop's last turn, or kept while the cache could not take them
            try:
                cache.put_many([(key, *row) for key, row in unstored.items()])
            except sqlite3.OperationalError as exc:
                _log.warning(
                    "%d replies could not be written to the response cache %s (%s): a re-run asks for them again",
                    len(unstored),
                    cache.path,
                    exc,
                )
        cache.close()
