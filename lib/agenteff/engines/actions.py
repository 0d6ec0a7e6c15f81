"""One action protocol for every agent in ``engines``, with two encodings of the same action.

* ``native``: the endpoint's own tool calls (``tools`` in the request, ``tool_calls`` in the reply; the tool's
  result goes back as a ``tool`` message);
* ``structured``: one JSON action per reply, forced by a JSON-schema ``response_format`` built from the same tool
  definitions (:mod:`agenteff.llm.actions`); the result goes back as an observation message. This is how a model
  without native tool calls acts (SmolLM2-135M on llama.cpp, whose grammar enforces the schema).

Either way a reply is read into :class:`Action` objects (tool, arguments, the agent's text, and why it is
malformed when it is), so an agent loop records the same step whichever encoding ran. Malformed actions (a
server that ignored the schema, a reply cut at ``max_tokens``, an unknown tool, unreadable arguments) are
reported, never raised: the loop counts them and moves on within its turn budget.

Which encoding an endpoint supports is decided by :func:`probe_encoding` (one tiny call asking for a tool call,
cached per endpoint and model), or forced (:func:`resolve_encoding`).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..llm import actions as wire

if TYPE_CHECKING:
    from ..llm.client import ChatResult

__all__ = [
    "ENCODINGS",
    "FINAL_ANSWER",
    "Action",
    "chat_action",
    "request_options",
    "read_reply",
    "conversation_messages",
    "steps_fields",
    "probe_encoding",
    "resolve_encoding",
]

ENCODINGS = ("native", "structured")
FINAL_ANSWER = wire.FINAL_ANSWER


@dataclass(frozen=True)
class Action:
    """What one reply asked for: a tool call (``tool`` set), the final answer (``tool == FINAL_ANSWER``: a
    structured final answer, or a native reply without calls), plain text (``tool == ""``: a call made without
    tools), or nothing usable (``malformed`` says why)."""

    tool: str
    arguments: dict
    text: str  # what the agent said: the native content, or the structured thought (and final answer)
    call_id: str = ""
    malformed: str = ""

    @property
    def is_tool_call(self) -> bool:
        return bool(self.tool) and self.tool != FINAL_ANSWER and not self.malformed


def _check(encoding: str) -> None:
    if encoding not in ENCODINGS:
        raise ValueError(f"unknown action encoding {encoding!r}; choose from {ENCODINGS} (or 'auto' to probe)")


def request_options(encoding: str, tools: list[dict] | None, thought_chars: int = wire.MAX_THOUGHT_CHARS) -> dict:
    """The keyword arguments of ``client.chat`` that offer ``tools`` in ``encoding`` (nothing without tools)."""
    _check(encoding)
    if not tools:
        return {}
    if encoding == "native":
        return {"tools": tools}
    return {"response_format": wire.response_format(tools, thought_chars)}


def _with_tools_prompt(messages: list[dict], tools: list[dict]) -> list[dict]:
    """``messages`` with the structured encoding's tool list appended to the system message (a new one first
    when there is none): the schema fixes the shape of an action, the model still needs to know the tools."""
    prompt = wire.tools_prompt(tools)
    if messages and messages[0].get("role") == "system":
        return [{**messages[0], "content": f"{messages[0].get('content') or ''}\n{prompt}"}, *messages[1:]]
    return [{"role": "system", "content": prompt}, *messages]


def chat_action(
    client,
    model: str,
    messages: list[dict],
    tools: list[dict] | None,
    encoding: str,
    thought_chars: int = wire.MAX_THOUGHT_CHARS,
    **options,
) -> tuple[ChatResult, list[Action]]:
    """One turn of an agent: call ``model`` with ``tools`` offered in ``encoding`` (``options``: the rest of
    ``client.chat``'s arguments; ``thought_chars`` bounds a structured action's free text) and read the reply
    into actions. ``messages`` is not changed: append :func:`conversation_messages` to it once the tool calls
    have been run."""
    sent = _with_tools_prompt(messages, tools) if tools and encoding == "structured" else messages
    result = client.chat(model, sent, **request_options(encoding, tools, thought_chars), **options)
    return result, read_reply(result, encoding, tools)


def _tool_names(tools: list[dict] | None) -> list[str]:
    return [t.get("function", t)["name"] for t in tools or []]


def read_reply(result: ChatResult, encoding: str, tools: list[dict] | None) -> list[Action]:
    """The actions in a reply to a call made with :func:`request_options` ``(encoding, tools)``: one per native
    tool call (or one plain-text action), or the one structured action. A reply cut at ``max_tokens`` is
    malformed ("truncated") whenever it was to carry an action."""
    _check(encoding)
    content = result.content or ""
    truncated = result.finish_reason == "length"
    if not tools:
        return [Action("", {}, content)]
    names = _tool_names(tools)
    if encoding == "native":
        calls = result.tool_calls
        if not calls:
            # a reply without a call ends the agent's act: its final answer
            return [Action(FINAL_ANSWER, {}, content, malformed="truncated" if truncated else "")]
        out = []
        for call in calls:
            arguments = call["arguments"]
            problem = (
                "truncated"
                if truncated
                else "unknown tool"
                if call["name"] not in names
                else "unreadable arguments"
                if set(arguments) & {"_unparsed", "_value"}
                else ""
            )
            out.append(Action(call["name"], arguments if not problem else {}, content, call["id"], problem))
        return out
    thought, action, arguments, problem = wire.parse_action(content, names)
    if problem:
        return [Action(action, {}, content, malformed="truncated" if truncated else problem)]
    if action == FINAL_ANSWER:
        return [Action(FINAL_ANSWER, {}, "\n".join(t for t in (thought, str(arguments)) if t))]
    return [Action(action, dict(arguments), thought, f"call_{action}")]


def conversation_messages(
    encoding: str, result: ChatResult, actions: list[Action], observations: list[str]
) -> list[dict]:
    """The messages to append after a reply: the assistant's own message, then one observation per tool call
    (``observations``, in the order of the actions that are tool calls)."""
    _check(encoding)
    calls = [a for a in actions if a.is_tool_call]
    if len(observations) != len(calls):
        raise ValueError(f"{len(calls)} tool call(s) but {len(observations)} observation(s)")
    if encoding == "structured":
        messages = [{"role": "assistant", "content": result.content or ""}]
        messages += [
            {"role": "user", "content": wire.observation_text(a.tool, text)} for a, text in zip(calls, observations)
        ]
        return messages
    assistant: dict = {"role": "assistant", "content": result.content}
    if calls:
        assistant["tool_calls"] = [
            {
                "id": a.call_id,
                "type": "function",
                "function": {"name": a.tool, "arguments": json.dumps(a.arguments, sort_keys=True)},
            }
            for a in calls
        ]
    return [assistant] + [
        {"role": "tool", "tool_call_id": a.call_id, "content": text} for a, text in zip(calls, observations)
    ]


def steps_fields(encoding: str | None, actions: list[Action], observations: list[str]) -> dict:
    """The protocol's columns of a step: ``encoding``, ``action`` (the first action's tool, ``final_answer`` or
    ""), ``tool_calls`` (JSON list of {name, arguments} of the valid calls), ``observations`` (JSON list of
    their results), ``malformed`` (the first problem, or "")."""
    calls = [a for a in actions if a.is_tool_call]
    first = actions[0] if actions else Action("", {}, "")
    return {
        "encoding": encoding or "",
        "action": first.tool if not first.malformed else "",
        "tool_calls": json.dumps([{"name": a.tool, "arguments": a.arguments} for a in calls], sort_keys=True),
        "observations": json.dumps(observations),
        "malformed": next((a.malformed for a in actions if a.malformed), ""),
    }


_PROBE_TOOLS = [
    {
        "type": "function",
        "function": {
            "name": wire.PROBE_TOOL,
            "description": "Record a number.",
            "parameters": {"type": "object", "properties": {"number": {"type": "integer"}}, "required": ["number"]},
        },
    }
]
_PROBE_MESSAGES = [{"role": "user", "content": f"Call the tool {wire.PROBE_TOOL} with the number 7."}]
_probed: dict[tuple[str, str], str] = {}
_probe_lock = threading.Lock()


def probe_encoding(client, model: str) -> str:
    """``"native"`` when ``model`` on ``client``'s endpoint answers a plain request for a tool call with one,
    else ``"structured"``. Asked once per endpoint and model in a process (and the reply is in the client's
    cache, so a re-run asks nothing)."""
    key = (str(getattr(client, "base_url", "") or ""), model)
    with _probe_lock:
        if key not in _probed:
            result = client.chat(model, _PROBE_MESSAGES, tools=_PROBE_TOOLS, max_tokens=64)
            _probed[key] = "native" if any(c["name"] == wire.PROBE_TOOL for c in result.tool_calls) else "structured"
        return _probed[key]


def resolve_encoding(client, model: str, encoding: str = "auto") -> str:
    """``encoding`` when it names one of :data:`ENCODINGS` (forced), else the probed one (``"auto"``)."""
    if encoding == "auto":
        return probe_encoding(client, model)
    _check(encoding)
    return encoding
