"""The simulated endpoint: a real HTTP server speaking the OpenAI chat-completions API, playing simulated models.

Machines without a model or a network still run every study: ``python -m agenteff serve-sim --port P`` serves
``GET /v1/models`` and ``POST /v1/chat/completions`` (tool calls included) on the loopback interface, so the
ordinary ``openai`` client, and :class:`agenteff.llm.LLMClient`, talk to it exactly as to a real endpoint.

A :class:`SimModel` names a *behaviour*, a function ``"module:function"`` imported inside the server process::

    def behaviour(messages, tools, model, rng) -> {"content": str | None,
                                                   "tool_calls": [{"name": str, "arguments": dict}],
                                                   "reasoning_content": str | None}

Replies are streamed when asked (``stream: true``: server-sent chunks ending with a usage chunk and ``[DONE]``, as
OpenAI streams them) and hold ``n`` choices when asked. The server adds what a real endpoint adds: ids, usage
(token counts derived from the text by :func:`approximate_tokens`), a latency drawn from the model's distribution
(played from the request's arrival), and injected faults. Every reply is labelled
simulated: ``system_fingerprint`` is ``"agenteff-simulated"``, models are ``owned_by`` ``"agenteff-simulated"``,
and the reply carries ``simulated_latency_s``, the latency the server played.

Determinism: the random generator handed to the behaviour, and the latency, are seeded from a hash of (model
name, messages, tools, temperature, the request's ``seed``), so the same request always gets the same reply.
Faults are drawn per attempt from a separate seeded stream, so a retried request eventually gets through.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import hashlib
import importlib
import json
import math
import os
import re
import selectors
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..arithmetic import evaluate_arithmetic
from . import actions

__all__ = [
    "SimModel",
    "SIMULATED_FINGERPRINT",
    "FAULT_KINDS",
    "approximate_tokens",
    "message_tokens",
    "default_behaviour",
    "sim_server",
    "serve",
    "main",
]

SIMULATED_FINGERPRINT = "agenteff-simulated"
#: Injected faults, each with a probability per received chat request.
FAULT_KINDS = ("rate_limit", "server_error", "slow", "malformed", "disconnect")
_FAULT_SETTINGS = {"retry_after_s": 0.05, "slow_s": 5.0, "seed": 0}
DEFAULT_MODEL = "agenteff-sim"


@dataclass(frozen=True)
class SimModel:
    """A simulated model: its name (the model id clients ask for), behaviour, capability and latency.

    ``priced_as`` names the real model whose list price its tokens are billed at (see
    :meth:`agenteff.llm.PriceTable.priced_as`; None: unpriced). ``error_prob`` is the probability that one step
    (one reply) goes wrong, read by the behaviour;
    latency is lognormal with mean ``latency_mean_s`` and standard deviation ``latency_sd_s`` (constant when the
    deviation is 0). ``params`` holds behaviour-specific settings; the server itself reads ``prompt_caching``
    (report the prompt prefix before the last message as cached, in 128-token blocks from 1,024 tokens on, the
    rule OpenAI documents for automatic prompt caching), ``native_tools`` (default True; False drops every tool
    call from the replies, as SmolLM2 on llama.cpp never makes one) and ``json_schema`` (default False: a
    ``response_format`` is ignored, replies are prose; True: a structured-action schema of
    :mod:`agenteff.llm.actions` is obeyed, as a grammar enforces it).

    Responses are cached by model name, so give a changed configuration a new name.
    """

    name: str
    behaviour: str = "agenteff.llm.sim:default_behaviour"
    error_prob: float = 0.1
    latency_mean_s: float = 0.05
    latency_sd_s: float = 0.01
    params: dict = field(default_factory=dict, hash=False)  # compared, but left out of the hash (a dict)
    priced_as: str | None = None

    def __post_init__(self):
        if not 0.0 <= self.error_prob <= 1.0:
            raise ValueError(f"SimModel {self.name!r}: error_prob must be in [0, 1], not {self.error_prob}")
        if self.latency_mean_s < 0 or self.latency_sd_s < 0:
            raise ValueError(f"SimModel {self.name!r}: latency mean and sd must be >= 0")
        if ":" not in self.behaviour:
            raise ValueError(f"SimModel {self.name!r}: behaviour must be 'module:function', not {self.behaviour!r}")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> SimModel:
        return cls(**data)


# --- token counts ------------------------------------------------------------------------------------------

_TOKEN = re.compile(r"\w+|[^\w\s]")


def approximate_tokens(text: str | None) -> int:
    """Approximate BPE token count: words and punctuation marks, long words split every 4 characters.

    English BPE vocabularies average about 4 characters per token; this keeps counts deterministic and
    offline (no vocabulary download), which is all the simulation needs.
    """
    if not text:
        return 0
    return sum(1 + (len(piece) - 1) // 4 for piece in _TOKEN.findall(text))


def _token_pieces(text: str) -> list[str]:
    """The tokens :func:`approximate_tokens` counts, as strings (a space before a word joins its first piece)."""
    pieces = []
    for match in _TOKEN.finditer(text):
        word = match.group(0)
        chunks = [word[i : i + 4] for i in range(0, len(word), 4)]
        if match.start() and text[match.start() - 1].isspace():
            chunks[0] = " " + chunks[0]
        pieces += chunks
    return pieces


def token_logprobs(text: str | None, seed: int) -> list[dict]:
    """Plausible, deterministic per-token log-probabilities of a simulated reply, in the OpenAI ``logprobs``
    format: most tokens near-certain, about one in ten uncertain (a seeded draw per request)."""
    pieces = _token_pieces(text or "")
    rng = np.random.default_rng([seed, 1])  # its own stream: the reply's other draws stay as they were
    uncertain = rng.random(len(pieces)) < 0.1
    values = -np.where(uncertain, rng.exponential(2.0, len(pieces)), rng.exponential(0.05, len(pieces)))
    return [
        {"token": piece, "logprob": round(float(value), 6), "top_logprobs": []} for piece, value in zip(pieces, values)
    ]


def _content_text(content) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    # a list of content parts: keep the text parts
    return " ".join(part.get("text", "") for part in content if isinstance(part, dict))


def message_tokens(messages: list[dict], tools: list[dict] | None = None) -> int:
    """Prompt tokens of a request: each message's text and tool calls plus a few tokens of framing each
    (OpenAI's chat format adds about 4 per message and 3 to prime the reply)."""
    total = 3
    for message in messages:
        total += 4 + approximate_tokens(_content_text(message.get("content")))
        for call in message.get("tool_calls") or []:
            function = call.get("function", call)
            total += approximate_tokens(function.get("name", "")) + approximate_tokens(
                str(function.get("arguments", ""))
            )
    if tools:
        total += approximate_tokens(json.dumps(tools, sort_keys=True))
    return total


def _cached_prefix_tokens(messages: list[dict]) -> int:
    prefix = message_tokens(messages[:-1]) if len(messages) > 1 else 0
    return (prefix // 128) * 128 if prefix >= 1024 else 0


# --- the default behaviour ---------------------------------------------------------------------------------

_ARITHMETIC = re.compile(r"-?\d+(?:\.\d+)?(?:\s*[-+*/]\s*\(?-?\d+(?:\.\d+)?\)?)+")


def arithmetic_answer(text: str) -> float | None:
    """The value of the first arithmetic expression (+ - * / on numbers) in ``text``, or None."""
    match = _ARITHMETIC.search(text)
    if not match:
        return None
    try:
        return evaluate_arithmetic(match.group(0))
    except ValueError:
        return None


def _format_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.6g}"


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def _pick_tool(tools: list[dict], text: str) -> dict:
    """The offered tool whose name and description share most words with the request (the first on ties)."""
    wanted = set(_words(text))

    def overlap(tool):
        function = tool.get("function", tool)
        return len(
            wanted & set(_words(function.get("name", "").replace("_", " ") + " " + function.get("description", "")))
        )

    return max(tools, key=overlap)  # max keeps the first of equal scores


def _plausible_value(name: str, spec: dict, text: str, numbers: list[str]):
    kind = spec.get("type", "string")
    if "enum" in spec:
        return spec["enum"][0]
    if kind in ("integer", "number"):
        value = float(numbers[0]) if numbers else 1.0
        return int(value) if kind == "integer" else value
    if kind == "boolean":
        return True
    if kind == "array":
        return [_plausible_value(name, spec.get("items", {}), text, numbers)]
    if kind == "object":
        return {}
    expression = _ARITHMETIC.search(text)
    if expression and name in ("expression", "expr", "formula", "code"):
        return expression.group(0)
    return " ".join(text.split()[:12])


def _tool_arguments(tool: dict, text: str, drop_required: bool) -> dict:
    parameters = tool.get("function", tool).get("parameters", {}) or {}
    properties = parameters.get("properties", {})
    required = list(parameters.get("required", []))
    numbers = re.findall(r"-?\d+(?:\.\d+)?", text)
    arguments = {name: _plausible_value(name, spec, text, numbers) for name, spec in properties.items()}
    if drop_required and required:  # the simulated mistake: a required argument is missing
        arguments.pop(required[0], None)
    return arguments


def default_behaviour(
    messages: list[dict], tools: list[dict] | None, model: SimModel, rng: np.random.Generator
) -> dict:
    """A generic simulated assistant.

    * Tools offered and none called yet: calls the tool that best matches the request, with arguments filled
      from its JSON schema (numbers and text taken from the request). A mistake (probability
      ``model.error_prob``) leaves out its first required argument.
    * After a tool result: answers with the result.
    * Otherwise: answers arithmetic in the last user message ("The answer is 391."; a mistake is off by 1 to 9),
      or acknowledges the request in one sentence.

    ``model.params["reasoning_words"]`` adds a reasoning trace of that many words (``reasoning_content``).
    """
    user_texts = [_content_text(m.get("content")) for m in messages if m.get("role") == "user"]
    request = user_texts[-1] if user_texts else ""
    mistake = bool(rng.random() < model.error_prob)
    reasoning = None
    if model.params.get("reasoning_words"):
        vocabulary = _words(request) or ["think"]
        reasoning = " ".join(rng.choice(vocabulary, size=int(model.params["reasoning_words"])))
    tool_results = [m for m in messages if m.get("role") == "tool"]
    if tools and not tool_results:
        tool = _pick_tool(tools, request)
        name = tool.get("function", tool)["name"]
        return {
            "content": None,
            "reasoning_content": reasoning,
            "tool_calls": [{"name": name, "arguments": _tool_arguments(tool, request, mistake)}],
        }
    if tool_results:
        result = _content_text(tool_results[-1].get("content"))
        return {
            "content": f"Based on the tool result: {result[:400]}",
            "tool_calls": [],
            "reasoning_content": reasoning,
        }
    value = arithmetic_answer(request)
    if value is not None:
        if mistake:
            value += int(rng.integers(1, 10))
        return {"content": f"The answer is {_format_number(value)}.", "tool_calls": [], "reasoning_content": reasoning}
    topic = " ".join(request.split()[:12]) or "your message"
    return {"content": f"Simulated reply about: {topic}.", "tool_calls": [], "reasoning_content": reasoning}


# --- the server --------------------------------------------------------------------------------------------


def request_seed(model: str, messages, tools, temperature, seed) -> int:
    """The 64-bit seed of a request's replies: a hash of everything that should change the reply."""
    canonical = json.dumps(
        [model, messages, tools, temperature, seed], sort_keys=True, separators=(",", ":"), default=str
    )
    return int.from_bytes(hashlib.sha256(canonical.encode()).digest()[:8], "big")


def _latency(model: SimModel, rng: np.random.Generator) -> float:
    mean, sd = model.latency_mean_s, model.latency_sd_s
    if mean <= 0:
        return 0.0
    if sd <= 0:
        return mean
    sigma2 = math.log1p((sd / mean) ** 2)  # lognormal with the requested mean and sd
    return float(rng.lognormal(math.log(mean) - sigma2 / 2, math.sqrt(sigma2)))


def _truncate_to_tokens(text: str, limit: int) -> str:
    used = 0
    for match in _TOKEN.finditer(text):
        used += 1 + (len(match.group(0)) - 1) // 4
        if used > limit:
            return text[: match.start()].rstrip()
    return text


class _HTTPError(Exception):
    def __init__(self, status: int, message: str, kind: str = "invalid_request_error", headers=None):
        super().__init__(message)
        self.status, self.kind, self.headers = status, kind, headers or {}


class SimServer:
    """The endpoint's state: models, behaviours, fault stream and counters."""

    def __init__(self, models: list[SimModel], faults: dict | None = None, api_key_sha256: str | None = None):
        self.api_key_sha256 = api_key_sha256
        names = [m.name for m in models]
        if len(set(names)) != len(names):
            raise ValueError(f"simulated model names must be unique, got {names}")
        self.models = {m.name: m for m in models}
        self.behaviours = {m.name: _import_behaviour(m.behaviour) for m in models}
        faults = dict(faults or {})
        unknown = set(faults) - set(FAULT_KINDS) - set(_FAULT_SETTINGS)
        if unknown:
            raise ValueError(f"unknown fault settings {sorted(unknown)}; known: {FAULT_KINDS + tuple(_FAULT_SETTINGS)}")
        self.fault_probs = np.array([float(faults.get(kind, 0.0)) for kind in FAULT_KINDS])
        if (self.fault_probs < 0).any() or self.fault_probs.sum() > 1:
            raise ValueError(f"fault probabilities must be >= 0 and sum to at most 1, got {faults}")
        self.settings = {key: faults.get(key, default) for key, default in _FAULT_SETTINGS.items()}
        self.fault_rng = np.random.default_rng(int(self.settings["seed"]))
        self.faulty = bool(self.fault_probs.sum() > 0)
        self.counters = {"chat_requests": 0, "completed": 0, **{kind: 0 for kind in FAULT_KINDS}}

    def draw_fault(self) -> str | None:
        if not self.faulty:  # no faults configured: no draw (the fault stream only decides faults)
            return None
        u = self.fault_rng.random()
        edges = np.cumsum(self.fault_probs)
        index = int(np.searchsorted(edges, u, side="right"))
        return FAULT_KINDS[index] if index < len(FAULT_KINDS) else None

    def models_listing(self) -> dict:
        return {
            "object": "list",
            "data": [
                {"id": name, "object": "model", "created": 0, "owned_by": SIMULATED_FINGERPRINT} for name in self.models
            ],
        }

    def completion(self, body: dict) -> tuple[dict, float]:
        """The reply to a chat-completions request body, and the latency to play before sending it."""
        name = body.get("model")
        if name not in self.models:
            raise _HTTPError(
                404,
                f"The model {name!r} does not exist on this simulated endpoint; available: {sorted(self.models)}",
                "model_not_found",
            )
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise _HTTPError(400, "'messages' must be a non-empty list")
        n = body.get("n", 1)
        if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= 128:
            raise _HTTPError(400, f"'n' must be an integer from 1 to 128, not {n!r}")
        model = self.models[name]
        tools = body.get("tools") or None
        seed = request_seed(name, messages, tools, body.get("temperature", 1.0), body.get("seed"))
        rng = np.random.default_rng(seed)
        latency = _latency(model, rng)
        # choice 0 draws from the request's own stream (so n=1 replies are what they always were), choice i > 0
        # from a stream of its own
        choices = [
            self._choice(model, messages, tools, body, seed, i, rng if i == 0 else np.random.default_rng([seed, i]))
            for i in range(n)
        ]
        prompt_tokens = message_tokens(messages, tools)
        cached = _cached_prefix_tokens(messages) if model.params.get("prompt_caching") else 0
        completion_tokens = sum(tokens for _, tokens, _ in choices)  # over all choices, as OpenAI counts them
        reasoning_tokens = sum(tokens for _, _, tokens in choices)
        reply_body = {
            "id": f"chatcmpl-sim-{seed:016x}",
            "object": "chat.completion",
            "created": 0,
            "model": name,
            "system_fingerprint": SIMULATED_FINGERPRINT,
            "choices": [choice for choice, _, _ in choices],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
                "prompt_tokens_details": {"cached_tokens": cached},
                "completion_tokens_details": {"reasoning_tokens": reasoning_tokens},
            },
            "simulated_latency_s": round(latency, 6),
        }
        return reply_body, latency

    def _choice(self, model: SimModel, messages, tools, body, seed: int, index: int, rng) -> tuple[dict, int, int]:
        """One choice of a reply, its completion tokens and its reasoning tokens."""
        action_tools = actions.schema_tools(body.get("response_format"))
        if action_tools is not None:  # a structured agent: the behaviour answers the native conversation it means
            messages, tools = actions.native_conversation(messages, action_tools), action_tools
        if any(actions.PROBE_TOOL == (t.get("function") or {}).get("name") for t in tools or []):
            reply: dict = {"content": None, "tool_calls": [{"name": actions.PROBE_TOOL, "arguments": {"number": 7}}]}
        else:
            try:
                reply = self.behaviours[model.name](messages, tools, model, rng)
            except Exception as exc:  # a bug in a behaviour: fail this request loudly, without retries
                raise _HTTPError(
                    422, f"simulated behaviour {model.behaviour} failed: {type(exc).__name__}: {exc}", "behaviour_error"
                ) from exc
        content = reply.get("content")
        reasoning = reply.get("reasoning_content")
        calls = reply.get("tool_calls") or []
        if action_tools is not None and model.params.get("json_schema"):  # the schema enforced, as by a grammar
            content, calls = actions.encode_reply(content, calls), []
        elif action_tools is not None or not model.params.get("native_tools", True):
            # no tools in the request, or a model that reads tools and never calls them (SmolLM2 on llama.cpp)
            calls = []
        finish = "tool_calls" if calls else "stop"
        max_tokens = body.get("max_completion_tokens") or body.get("max_tokens")
        reasoning_tokens = approximate_tokens(reasoning)
        call_id = f"call_{seed:016x}_" if index == 0 else f"call_{seed:016x}_{index}_"
        tool_calls: list[dict] = [
            {
                "id": f"{call_id}{i}",
                "type": "function",
                "function": {"name": call["name"], "arguments": json.dumps(call.get("arguments", {}), sort_keys=True)},
            }
            for i, call in enumerate(calls)
        ]
        if max_tokens is not None and content and reasoning_tokens + approximate_tokens(content) > max_tokens:
            content = _truncate_to_tokens(content, max(0, max_tokens - reasoning_tokens))
            finish = "length"
        completion_tokens = (
            reasoning_tokens
            + approximate_tokens(content)
            + sum(
                approximate_tokens(c["function"]["name"]) + approximate_tokens(c["function"]["arguments"])
                for c in tool_calls
            )
        )
        message = {"role": "assistant", "content": content}
        if tool_calls:
            message["tool_calls"] = tool_calls
        if reasoning is not None:
            message["reasoning_content"] = reasoning
        logprobs_seed = seed if index == 0 else int(np.random.default_rng([seed, index]).integers(2**63))
        choice = {
            "index": index,
            "message": message,
            "finish_reason": finish,
            "logprobs": {"content": token_logprobs(content, logprobs_seed)} if body.get("logprobs") else None,
        }
        return choice, completion_tokens, reasoning_tokens


def _stream_events(reply: dict) -> list[bytes]:
    """The reply as server-sent ``chat.completion.chunk`` events, with ``include_usage``: per choice one chunk
    with the whole message as its delta (content, reasoning, tool calls), its logprobs and its finish_reason;
    then one usage chunk for the whole call (carrying ``simulated_latency_s``) and ``[DONE]``. (OpenAI sends the
    content in many deltas and the finish_reason in a chunk of its own; one delta is as valid, and keeps the
    simulated endpoint's cost per call low. :func:`_slow_stream_events` sends a delta per token.)"""
    head = json.dumps({k: reply[k] for k in ("id", "created", "model", "system_fingerprint")})[:-1]
    events = []
    for choice in reply["choices"]:
        message = choice["message"]
        delta = {"role": "assistant", "content": message["content"]}
        if "reasoning_content" in message:
            delta["reasoning_content"] = message["reasoning_content"]
        if message.get("tool_calls"):
            delta["tool_calls"] = [{"index": i, **call} for i, call in enumerate(message["tool_calls"])]
        streamed = {"index": choice["index"], "delta": delta, "finish_reason": choice["finish_reason"]}
        if choice["logprobs"] is not None:
            streamed["logprobs"] = choice["logprobs"]
        events.append(f'data: {head}, "object": "chat.completion.chunk", "choices": [{json.dumps(streamed)}]}}\n\n')
    usage = json.dumps(reply["usage"])
    latency = json.dumps(reply["simulated_latency_s"])
    events.append(
        f'data: {head}, "object": "chat.completion.chunk", "choices": [], "usage": {usage}, '
        f'"simulated_latency_s": {latency}}}\n\n'
    )
    events.append("data: [DONE]\n\n")
    return [event.encode() for event in events]


def _slow_stream_events(reply: dict) -> list[bytes]:
    """:func:`_stream_events` with the first choice's content split into one chunk per token (the pieces
    :func:`approximate_tokens` counts, each with the text up to the next, so they join to the content exactly)."""
    events = _stream_events(reply)
    first = json.loads(events[0][len(b"data: ") :])
    delta = first["choices"][0]["delta"]
    text = delta.get("content") or ""
    starts = [m.start() for m in _TOKEN.finditer(text)][1:]
    pieces = [text[a:b] for a, b in zip([0, *starts], [*starts, len(text)])]
    if len(pieces) < 2:
        return events
    split = []
    for i, piece in enumerate(pieces):
        chunk = json.loads(json.dumps(first))
        chunk["choices"][0]["delta"] = {**delta, "content": piece} if i == 0 else {"content": piece}
        if i < len(pieces) - 1:
            chunk["choices"][0]["finish_reason"] = None  # the last piece finishes the choice
        if i and "logprobs" in chunk["choices"][0]:
            del chunk["choices"][0]["logprobs"]  # all the logprobs travel with the first piece
        split.append(b"data: " + json.dumps(chunk).encode() + b"\n\n")
    return split + events[1:]


def _import_behaviour(spec: str) -> Callable:
    module_name, function_name = spec.split(":")
    try:
        return getattr(importlib.import_module(module_name), function_name)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"cannot import simulated behaviour {spec!r}: {exc}") from exc


_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
}


def _response_bytes(
    status: int,
    body: bytes | None,
    headers: dict | None = None,
    close: bool = False,
    content_type: str = "application/json",
) -> bytes:
    """The response's bytes; ``body=None`` gives the head of a chunked response, whose chunks follow."""
    head = [
        f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}",
        f"Content-Type: {content_type}",
        f"Content-Length: {len(body)}" if body is not None else "Transfer-Encoding: chunked",
        "Server: agenteff-serve-sim",
        "Connection: close" if close else "Connection: keep-alive",
    ]
    head += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + (body or b"")


def _error_body(message: str, kind: str) -> bytes:
    return json.dumps({"error": {"message": message, "type": kind, "code": kind}}).encode()


async def _read_request(reader: asyncio.StreamReader):
    """(method, path, headers, body) of the next request; None when the client closed the connection."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")  # one read for the request line and headers
    except asyncio.IncompleteReadError as exc:
        if not exc.partial.strip():
            return None
        raise
    request_line, *lines = head.decode("latin-1").split("\r\n")
    method, target, _version = request_line.split(" ", 2)
    headers = {}
    for raw in lines:
        if raw:
            key, _, value = raw.partition(":")
            headers[key.strip().lower()] = value.strip()
    length = int(headers.get("content-length", 0))
    body = await reader.readexactly(length) if length else b""
    return method, target.split("?", 1)[0], headers, body


def _authorised(state: SimServer, headers: dict) -> bool:
    if state.api_key_sha256 is None:
        return True
    token = headers.get("authorization", "").removeprefix("Bearer ").strip()
    return hashlib.sha256(token.encode()).hexdigest() == state.api_key_sha256


async def _handle(state: SimServer, reader, writer, method, path, headers, body, arrived: float) -> bool:
    """Answer one request; False when the connection must be dropped. The latency is played from ``arrived``
    (the loop time the request was read), so the server's own work and queueing are part of it, not added."""
    if path.startswith("/v1/") and not _authorised(state, headers):
        writer.write(_response_bytes(401, _error_body("invalid API key", "invalid_api_key")))
        return True
    if method == "GET" and path.rstrip("/") == "/v1/models":
        writer.write(_response_bytes(200, json.dumps(state.models_listing()).encode()))
        return True
    if method == "GET" and path.startswith("/v1/models/"):
        name = path[len("/v1/models/") :]
        listing = {m["id"]: m for m in state.models_listing()["data"]}
        if name in listing:
            writer.write(_response_bytes(200, json.dumps(listing[name]).encode()))
        else:
            writer.write(_response_bytes(404, _error_body(f"model {name!r} not found", "model_not_found")))
        return True
    if method == "GET" and path == "/sim/stats":  # its counters, and the CPU seconds the server has used
        stats = {**state.counters, "cpu_s": time.process_time()}
        writer.write(_response_bytes(200, json.dumps(stats).encode()))
        return True
    if path.rstrip("/") != "/v1/chat/completions":
        writer.write(_response_bytes(404, _error_body(f"no route {method} {path}", "not_found")))
        return True
    if method != "POST":
        writer.write(_response_bytes(405, _error_body("use POST", "method_not_allowed")))
        return True
    state.counters["chat_requests"] += 1
    fault = state.draw_fault()
    if fault:
        state.counters[fault] += 1
    if fault == "disconnect":
        return False
    if fault == "rate_limit":
        retry_after = state.settings["retry_after_s"]
        if isinstance(retry_after, str):  # sent verbatim, to play endpoints that send odd values
            headers = {"Retry-After": retry_after}
        else:
            headers = {"Retry-After": f"{retry_after:g}", "retry-after-ms": f"{retry_after * 1000:g}"}
        writer.write(_response_bytes(429, _error_body("simulated rate limit", "rate_limit_exceeded"), headers))
        return True
    if fault == "server_error":
        writer.write(_response_bytes(500, _error_body("simulated server error", "server_error")))
        return True
    try:
        request = json.loads(body or b"{}")
        reply, latency = state.completion(request)
    except json.JSONDecodeError:
        writer.write(_response_bytes(400, _error_body("request body is not JSON", "invalid_request_error")))
        return True
    except _HTTPError as exc:
        writer.write(_response_bytes(exc.status, _error_body(str(exc), exc.kind), exc.headers))
        return True
    if fault == "slow":
        latency += float(state.settings["slow_s"])
    # a model with params["token_interval_s"] generates slowly: one token per interval, streamed as it comes
    interval = float(state.models[request["model"]].params.get("token_interval_s", 0.0))
    generating_s = 0.0
    if interval:
        generating_s = interval * (len(_slow_stream_events(reply)) - 1)
        reply["simulated_latency_s"] = round(latency + generating_s, 6)
    latency -= asyncio.get_running_loop().time() - arrived
    if request.get("stream"):
        events = _slow_stream_events(reply) if interval else _stream_events(reply)
        return await _send_stream(state, writer, events, latency, interval, fault == "malformed")
    if latency + generating_s > 0:
        await asyncio.sleep(latency + generating_s)
    payload = json.dumps(reply).encode()
    if fault == "malformed":
        payload = payload[: len(payload) // 2]  # a body cut short: not valid JSON
    else:
        state.counters["completed"] += 1
    writer.write(_response_bytes(200, payload))
    return True


async def _send_stream(state: SimServer, writer, events: list[bytes], latency: float, interval: float, cut: bool):
    """Send a streamed reply: at once after ``latency`` (framed by Content-Length), or event by event every
    ``interval`` seconds (chunked). A malformed reply is a stream cut short (half its bytes, or events)."""
    if latency > 0:
        await asyncio.sleep(latency)
    if not interval:
        payload = b"".join(events)
        if cut:
            payload = payload[: len(payload) // 2]
        else:
            state.counters["completed"] += 1
        writer.write(_response_bytes(200, payload, content_type="text/event-stream"))
        return True
    writer.write(_response_bytes(200, None, content_type="text/event-stream"))
    for i, event in enumerate(events[: len(events) // 2] if cut else events):
        if i:
            await asyncio.sleep(interval)
        writer.write(b"%x\r\n%s\r\n" % (len(event), event))
        await writer.drain()
    writer.write(b"0\r\n\r\n")
    if not cut:
        state.counters["completed"] += 1
    return True


async def _connection(state: SimServer, reader, writer):
    try:
        while True:
            request = await _read_request(reader)
            if request is None:
                break
            method, path, headers, body = request
            arrived = asyncio.get_running_loop().time()
            keep = await _handle(state, reader, writer, method, path, headers, body, arrived)
            if not keep or headers.get("connection", "").lower() == "close":
                break
            await writer.drain()
        await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
        pass  # the client went away (e.g. gave up on a slow reply) or sent garbage: drop the connection
    except asyncio.CancelledError:
        pass  # the server is shutting down; ending quietly keeps asyncio from logging a traceback per connection
    finally:
        with contextlib.suppress(Exception):
            writer.close()


async def serve(
    models: list[SimModel],
    faults: dict | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    announce: Callable[[str], None] = print,
    api_key_sha256: str | None = None,
):
    """Run the endpoint until cancelled; ``announce`` receives the base URL once it is listening.
    With ``api_key_sha256`` only requests whose bearer token has that sha256 are served (401 otherwise), so
    the endpoint can stand in for one that needs a key without ever holding the key."""
    state = SimServer(models, faults, api_key_sha256)
    server = await asyncio.start_server(lambda r, w: _connection(state, r, w), host, port, backlog=1024)
    bound_port = server.sockets[0].getsockname()[1]
    announce(f"http://{host}:{bound_port}/v1")
    async with server:
        await server.serve_forever()


def _parse_args(argv: list[str]):
    parser = argparse.ArgumentParser(
        prog="python -m agenteff serve-sim",
        description="Serve simulated models over the OpenAI chat-completions HTTP API (replies are labelled "
        "simulated). Prints the base URL on its first line of output.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: loopback only)")
    parser.add_argument("--port", type=int, default=8000, help="port (0: any free port; default 8000)")
    parser.add_argument(
        "--config", type=Path, help='JSON file {"models": [SimModel fields, ...], "faults": {...}}; overrides --model'
    )
    parser.add_argument(
        "--model",
        action="append",
        default=None,
        help=f"a model name served with the default behaviour (repeatable; default {DEFAULT_MODEL})",
    )
    parser.add_argument("--error-prob", type=float, default=0.1, help="error probability per step (default 0.1)")
    parser.add_argument("--latency-mean", type=float, default=0.05, help="mean latency in seconds (default 0.05)")
    parser.add_argument("--latency-sd", type=float, default=0.01, help="latency standard deviation in seconds")
    for kind in FAULT_KINDS:
        parser.add_argument(
            f"--fault-{kind.replace('_', '-')}",
            type=float,
            default=0.0,
            metavar="P",
            help=f"probability of a {kind.replace('_', ' ')} fault per request",
        )
    parser.add_argument(
        "--retry-after",
        type=float,
        default=_FAULT_SETTINGS["retry_after_s"],
        help="Retry-After seconds sent with simulated 429s",
    )
    parser.add_argument(
        "--slow-s",
        type=float,
        default=_FAULT_SETTINGS["slow_s"],
        help="extra seconds of a slow reply (set it above the client's timeout)",
    )
    parser.add_argument("--fault-seed", type=int, default=0, help="seed of the fault stream")
    parser.add_argument("--api-key-sha256", help="serve only requests whose API key has this sha256")
    return parser.parse_args(argv)


def _config_from_args(args) -> tuple[list[SimModel], dict, str | None]:
    if args.config:
        config = json.loads(args.config.read_text())
        return (
            [SimModel.from_dict(m) for m in config["models"]],
            config.get("faults") or {},
            config.get("api_key_sha256", args.api_key_sha256),
        )
    models = [
        SimModel(name, error_prob=args.error_prob, latency_mean_s=args.latency_mean, latency_sd_s=args.latency_sd)
        for name in (args.model or [DEFAULT_MODEL])
    ]
    faults = {kind: getattr(args, f"fault_{kind}") for kind in FAULT_KINDS}
    faults.update(retry_after_s=args.retry_after, slow_s=args.slow_s, seed=args.fault_seed)
    return models, faults, args.api_key_sha256


def main(argv: list[str]) -> int:
    """``python -m agenteff serve-sim [options]``: serve until interrupted (Ctrl-C or SIGTERM)."""
    args = _parse_args(argv)
    models, faults, api_key_sha256 = _config_from_args(args)

    def announce(url):
        print(
            f"agenteff serve-sim: simulated endpoint at {url} (models: {', '.join(m.name for m in models)})", flush=True
        )

    async def run():
        task = asyncio.ensure_future(serve(models, faults, args.host, args.port, announce, api_key_sha256))
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, task.cancel)
        with contextlib.suppress(asyncio.CancelledError):
            await task

    asyncio.run(run())
    return 0


# --- starting a server for a notebook or a test ------------------------------------------------------------

_URL = re.compile(r"(http://\S+/v1)")


def server_stats(base_url: str) -> dict:
    """The simulated endpoint's own counters (requests, faults injected, ...), read from its ``/sim/stats``."""
    with urllib.request.urlopen(base_url.removesuffix("/v1") + "/sim/stats", timeout=10) as response:
        return json.loads(response.read())


@contextlib.contextmanager
def sim_server(
    models: list[SimModel],
    faults: dict | None = None,
    port: int | None = None,
    startup_timeout_s: float = 60.0,
    api_key_sha256: str | None = None,
) -> Iterator[str]:
    """Start ``python -m agenteff serve-sim`` on a loopback port, yield its base URL, stop it on exit.

    The child gets this process's import path (so behaviours defined in tests or studies import) and no API key
    (it needs none). Its error output goes to a temporary log, quoted if it fails to start.
    """
    models = list(models)
    with tempfile.TemporaryDirectory(prefix="agenteff-sim-") as folder:
        config = Path(folder) / "config.json"
        config.write_text(
            json.dumps(
                {"models": [m.to_dict() for m in models], "faults": faults or {}, "api_key_sha256": api_key_sha256}
            )
        )
        env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        log_path = Path(folder) / "stderr.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "agenteff", "serve-sim", "--config", str(config), "--port", str(port or 0)],
                stdout=subprocess.PIPE,
                stderr=log,
                stdin=subprocess.DEVNULL,
                env=env,
            )
        try:
            url = _await_announcement(process, startup_timeout_s, log_path)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stdout is not None:
                process.stdout.close()


def _await_announcement(process: subprocess.Popen, timeout_s: float, log_path: Path) -> str:
    assert process.stdout is not None  # started with stdout=PIPE
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if selector.select(timeout_s):
            line = process.stdout.readline().decode(errors="replace")
            match = _URL.search(line)
            if match:
                return match.group(1)
    process.kill()
    process.wait()
    tail = log_path.read_text(errors="replace")[-2000:]
    raise RuntimeError(f"the simulated endpoint did not start (exit code {process.returncode}):\n{tail}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
