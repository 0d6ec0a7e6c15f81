"""The client every study uses to call a model: any OpenAI-compatible endpoint through the ``openai`` SDK.

What it adds to the SDK:

* a persistent response cache (:mod:`agenteff.llm.cache`): a re-run of a finished experiment sends no request;
* bounded concurrency (``max_concurrency`` calls in flight; identical calls in flight are sent once);
* usage and cost from the endpoint's usage fields (prompt, completion, cached prompt and reasoning tokens),
  priced by ``data/prices.csv`` (:mod:`agenteff.llm.pricing`);
* retries with exponential backoff and jitter on 429, 5xx, timeouts, connection errors and malformed bodies,
  waiting at least as long as the endpoint's ``Retry-After``; :class:`RetriesExhausted` when they run out;
* budget caps in tokens or USD: :class:`BudgetExceeded` stops the run and says how much was spent.

The synchronous methods work inside Jupyter (whose kernel already runs an event loop): all calls run on a
private event loop in a background thread. The API key is handed to the SDK and kept nowhere else: not in the
cache, not in messages, not in the client's repr.
"""
from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import math
import os
import random
import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import openai
from ..progress import progress

from ..paths import cache_dir as default_cache_root
from .cache import ResponseCache, request_key
from .pricing import PriceTable, call_cost
from .sim import SIMULATED_FINGERPRINT, approximate_tokens, message_tokens
from .transport import LoopbackTransport

__all__ = ["LLMClient", "ChatResult", "BudgetExceeded", "RetriesExhausted"]

_log = logging.getLogger(__name__)
# No key is needed by local servers (vLLM, Ollama, the simulated endpoint), but the SDK insists on one.
_PLACEHOLDER_KEY = "not-needed"


class BudgetExceeded(RuntimeError):
    """The client's token or USD budget is spent. ``results`` holds what a batch finished (None elsewhere)."""

    def __init__(self, message: str, results: list | None = None):
        super().__init__(message)
        self.results = results


class RetriesExhausted(RuntimeError):
    """An endpoint kept failing with retryable errors (429, 5xx, timeouts, broken replies)."""


class _MalformedReply(Exception):
    """A 200 reply whose body is not a chat completion."""


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

    @property
    def content(self) -> str | None:
        return self.message.get("content")

    @property
    def tool_calls(self) -> list[dict]:
        return self.message.get("tool_calls", [])

    def to_openai_message(self) -> dict:
        """The reply as an assistant message in the OpenAI format, to append to a conversation."""
        message = {"role": "assistant", "content": self.content}
        if self.tool_calls:
            message["tool_calls"] = [
                {"id": c["id"], "type": "function",
                 "function": {"name": c["name"], "arguments": json.dumps(c["arguments"], sort_keys=True)}}
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


def _parse_reply(body, messages: list, tools) -> dict:
    """The fields of a chat-completion body; :class:`_MalformedReply` when it is not one."""
    try:
        choice = body["choices"][0]
        raw = choice["message"]
        calls = [{"id": c.get("id", f"call_{i}"), "name": c["function"]["name"],
                  "arguments": _arguments(c["function"].get("arguments"))}
                 for i, c in enumerate(raw.get("tool_calls") or [])]
        usage = body.get("usage") or {}
    except (KeyError, IndexError, TypeError, AttributeError) as exc:
        raise _MalformedReply(f"reply is not a chat completion ({type(exc).__name__}: {exc})") from exc
    message = {"role": "assistant", "content": raw.get("content"), "tool_calls": calls,
               "reasoning_content": raw.get("reasoning_content", raw.get("reasoning"))}
    prompt = usage.get("prompt_tokens")
    completion = usage.get("completion_tokens")
    if prompt is None:  # the endpoint reports no usage: estimate from the text
        prompt = message_tokens(messages, tools)
    if completion is None:
        completion = approximate_tokens(message["content"]) + approximate_tokens(message["reasoning_content"]) + sum(
            approximate_tokens(c["name"]) + approximate_tokens(json.dumps(c["arguments"])) for c in calls)
    return {
        "message": message,
        "prompt_tokens": int(prompt),
        "completion_tokens": int(completion),
        "cached_tokens": int((usage.get("prompt_tokens_details") or {}).get("cached_tokens") or 0),
        "reasoning_tokens": int((usage.get("completion_tokens_details") or {}).get("reasoning_tokens") or 0),
        "simulated": str(body.get("system_fingerprint") or "").startswith(SIMULATED_FINGERPRINT),
        "model": body.get("model") or "",
        "finish_reason": choice.get("finish_reason") or "stop",
    }


def _retry_after_s(exc: Exception) -> float:
    response = getattr(exc, "response", None)
    if response is None:
        return 0.0
    headers = response.headers
    for header, scale in (("retry-after-ms", 1e-3), ("retry-after", 1.0)):
        value = headers.get(header)
        if value is None:
            continue
        try:
            return max(float(value) * scale, 0.0)
        except ValueError:
            when = email.utils.parsedate_to_datetime(value)  # Retry-After may be an HTTP date
            if when is not None:
                return max(when.timestamp() - time.time(), 0.0)
    return 0.0


def _describe(exc: BaseException) -> str:
    status = getattr(exc, "status_code", None)
    text = getattr(exc, "message", None) or str(exc)
    return f"{type(exc).__name__}" + (f" (HTTP {status})" if status else "") + f": {text[:300]}"


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.username or parts.password:
        parts = parts._replace(netloc=parts.hostname + (f":{parts.port}" if parts.port else ""))
    return urlunsplit(parts)


class LLMClient:
    """Calls to an OpenAI-compatible endpoint with cache, concurrency limit, retries, cost and budget.

    ``base_url``/``api_key`` default to ``OPENAI_BASE_URL``/``OPENAI_API_KEY``; with neither the SDK's default
    (api.openai.com) is used. ``cache_dir=None`` caches under ``<agenteff cache>/llm``; ``cache=False`` turns
    the cache off. ``prices`` is a price table (path, DataFrame, or ``{model: {input, cached_input, output}}``
    in USD per million tokens), by default ``data/prices.csv``. ``budget_tokens`` caps prompt + completion
    tokens of requests sent by this client, ``budget_usd`` their cost; cached replies are free. Calls already in
    flight when a cap is reached still finish, so the overshoot is at most ``max_concurrency - 1`` calls.

    At temperature > 0 each ``sample_index`` is a separate cached sample, sent with ``seed=sample_index``
    (unless a seed is given) so endpoints that honour seeds reproduce it.
    """

    def __init__(self, base_url: str | None = None, api_key: str | None = None, cache_dir=None,
                 max_concurrency: int = 8, max_retries: int = 6, timeout_s: float = 30.0,
                 budget_usd: float | None = None, budget_tokens: int | None = None, prices=None,
                 backoff_base_s: float = 0.5, backoff_max_s: float = 30.0, cache: bool = True):
        base_url = base_url or os.environ.get("OPENAI_BASE_URL") or None
        api_key = api_key or os.environ.get("OPENAI_API_KEY") or None
        if api_key is None and base_url is None:
            raise ValueError("no endpoint configured: pass base_url= (and api_key= if it needs one), or set "
                             "OPENAI_BASE_URL / OPENAI_API_KEY; notebooks start the simulated endpoint when "
                             "base_url is None")
        self.base_url = base_url
        self.max_concurrency = int(max_concurrency)
        self.max_retries = int(max_retries)
        self.timeout_s = float(timeout_s)
        self.budget_usd = budget_usd
        self.budget_tokens = budget_tokens
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self.prices = PriceTable.load(prices)
        folder = Path(cache_dir) if cache_dir is not None else default_cache_root() / "llm"
        self._cache = ResponseCache(folder) if cache else None
        self._stats = dict.fromkeys(("requests_sent", "cache_hits", "retries", "prompt_tokens",
                                     "completion_tokens", "cached_tokens", "reasoning_tokens"), 0)
        self._stats["cost_usd"] = 0.0
        self._inflight: dict[str, asyncio.Future] = {}
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="agenteff-llm", daemon=True)
        self._thread.start()
        self._semaphore = None
        self._openai = self._run(self._connect(base_url, api_key or _PLACEHOLDER_KEY))
        self._finalizer = weakref.finalize(self, _shutdown, self._loop, self._thread, self._openai, self._cache)

    async def _connect(self, base_url, api_key):
        self._semaphore = asyncio.Semaphore(self.max_concurrency)
        http_client = openai.DefaultAsyncHttpxClient(transport=LoopbackTransport())
        return openai.AsyncOpenAI(base_url=base_url, api_key=api_key, max_retries=0, timeout=self.timeout_s,
                                  http_client=http_client)

    def __repr__(self) -> str:
        where = _redact(self.base_url) if self.base_url else "OpenAI default endpoint"
        return f"LLMClient({where}, max_concurrency={self.max_concurrency})"

    # --- public API ----------------------------------------------------------------------------------------

    def chat(self, model: str, messages: list[dict], tools: list[dict] | None = None, temperature: float = 0.0,
             sample_index: int = 0, max_tokens: int | None = None, **extra) -> ChatResult:
        """One chat completion (from the cache when this exact call was made before)."""
        return self._run(self._chat(model, messages, tools, temperature, sample_index, max_tokens, extra))

    async def achat(self, model: str, messages: list[dict], tools: list[dict] | None = None,
                    temperature: float = 0.0, sample_index: int = 0, max_tokens: int | None = None,
                    **extra) -> ChatResult:
        """:meth:`chat` for async code; awaitable from any event loop."""
        coroutine = self._chat(model, messages, tools, temperature, sample_index, max_tokens, extra)
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coroutine, self._loop))

    def chat_many(self, requests: list[dict], desc: str = "LLM calls") -> list[ChatResult]:
        """Many calls at once (each dict holds :meth:`chat`'s arguments), results in request order, with a
        progress bar. :class:`BudgetExceeded` carries the finished results in ``.results``."""
        return self._run(self._chat_many(list(requests), desc))

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
            raise RuntimeError("LLMClient's synchronous methods cannot be called from its own event loop; "
                               "use 'await client.achat(...)'")
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        try:
            return future.result()
        except KeyboardInterrupt:
            future.cancel()
            raise

    async def _chat_many(self, requests: list[dict], desc: str) -> list[ChatResult]:
        tasks = [asyncio.ensure_future(self._chat_kwargs(**r)) for r in requests]
        bar = progress(total=len(tasks), desc=desc, unit="call")
        for task in tasks:
            task.add_done_callback(lambda _: bar.update())
        try:
            return await asyncio.gather(*tasks)
        except BaseException as exc:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if isinstance(exc, BudgetExceeded):
                exc.results = [t.result() if not t.cancelled() and t.exception() is None else None for t in tasks]
            raise
        finally:
            bar.close()

    async def _chat_kwargs(self, model, messages, tools=None, temperature=0.0, sample_index=0, max_tokens=None,
                           **extra):
        return await self._chat(model, messages, tools, temperature, sample_index, max_tokens, extra)

    async def _chat(self, model, messages, tools, temperature, sample_index, max_tokens, extra) -> ChatResult:
        request = {"model": model, "messages": messages, "temperature": temperature, **extra}
        if tools:
            request["tools"] = tools
        if max_tokens is not None:
            request["max_tokens"] = max_tokens
        if temperature > 0 and "seed" not in extra:
            request["seed"] = int(sample_index)
        key = request_key(model, messages, tools, temperature, sample_index, max_tokens, extra)
        cached = self._cache.get(key) if self._cache is not None else None
        if cached is None and key in self._inflight:  # the same call is on its way: share its reply
            cached = await asyncio.shield(self._inflight[key])
        if cached is not None:
            self._stats["cache_hits"] += 1
            return self._result(model, *cached, messages, tools, from_cache=True)
        shared = self._loop.create_future()
        shared.add_done_callback(lambda f: f.cancelled() or f.exception())  # never "exception not retrieved"
        self._inflight[key] = shared
        try:
            async with self._semaphore:
                self._check_budget(model)
                body, latency = await self._send(request, messages, tools)
            if self._cache is not None:
                self._cache.put(key, model, body, latency)
            result = self._result(model, body, latency, messages, tools, from_cache=False)
            self._account(result)
            shared.set_result((body, latency))
            return result
        except BaseException as exc:
            shared.set_exception(exc if isinstance(exc, Exception) else RuntimeError("call cancelled"))
            raise
        finally:
            del self._inflight[key]

    def _result(self, model: str, body: dict, latency: float, messages, tools, from_cache: bool) -> ChatResult:
        fields = _parse_reply(body, messages, tools)
        # priced by the id the caller asked for; the reply's id (often a dated snapshot) when that has no price
        price = self.prices.lookup(model) or self.prices.lookup(fields["model"] or model)
        cost = call_cost(price, fields["prompt_tokens"], fields["completion_tokens"], fields["cached_tokens"])
        return ChatResult(cost_usd=cost, latency_s=float(latency), from_cache=from_cache, **fields)

    def _account(self, result: ChatResult) -> None:
        for name in ("prompt_tokens", "completion_tokens", "cached_tokens", "reasoning_tokens"):
            self._stats[name] += getattr(result, name)
        if not math.isnan(result.cost_usd):
            self._stats["cost_usd"] += result.cost_usd

    def _check_budget(self, model: str) -> None:
        spent_tokens = self._stats["prompt_tokens"] + self._stats["completion_tokens"]
        calls = f"over {self._stats['requests_sent']} requests sent"
        advice = "finished calls are cached, so a re-run with a larger budget continues where this stopped"
        if self.budget_tokens is not None and spent_tokens >= self.budget_tokens:
            raise BudgetExceeded(f"token budget reached: spent {spent_tokens:,} of {self.budget_tokens:,} tokens "
                                 f"{calls}; {advice}")
        if self.budget_usd is not None:
            if self.prices.lookup(model) is None:
                raise ValueError(f"a USD budget needs a price for model {model!r}: add a row to data/prices.csv "
                                 "or pass prices={...} to LLMClient")
            if self._stats["cost_usd"] >= self.budget_usd:
                raise BudgetExceeded(f"USD budget reached: spent ${self._stats['cost_usd']:.4f} of "
                                     f"${self.budget_usd:.4f} {calls}; {advice}")

    async def _send(self, request: dict, messages, tools) -> tuple[dict, float]:
        last_error = None
        for attempt in range(self.max_retries + 1):
            if attempt:
                self._stats["retries"] += 1
                await asyncio.sleep(self._backoff_s(attempt - 1, last_error))
            self._stats["requests_sent"] += 1
            started = time.perf_counter()
            try:
                # The SDK's generic POST: its auth, base URL, timeout and error types, without the per-field
                # request transformation of chat.completions.create (a CPU cost that caps throughput).
                content = await self._openai.post("/chat/completions", cast_to=bytes, body=request)
                try:
                    body = json.loads(content)
                except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                    raise _MalformedReply(f"reply body is not JSON ({exc})") from exc
                _parse_reply(body, messages, tools)  # validate before caching
            except _RETRYABLE as exc:
                last_error = exc
                _log.debug("model %r, attempt %d failed: %s", request["model"], attempt + 1, _describe(exc))
                continue
            measured = time.perf_counter() - started
            return body, float(body.get("simulated_latency_s", measured))
        raise RetriesExhausted(f"model {request['model']!r}: no valid reply after {self.max_retries + 1} "
                               f"attempts; last error: {_describe(last_error)}") from last_error

    def _backoff_s(self, attempt: int, error: Exception) -> float:
        """Exponential backoff with jitter (half to full of the step), never shorter than Retry-After."""
        step = min(self.backoff_max_s, self.backoff_base_s * 2 ** attempt)
        return max(step * random.uniform(0.5, 1.0), _retry_after_s(error))


def _shutdown(loop: asyncio.AbstractEventLoop, thread: threading.Thread, client, cache) -> None:
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
        cache.close()
