"""The wire format of structured actions: how an agent acts on an endpoint that produces no native tool calls.

A structured action is one JSON object the endpoint is asked for through a JSON-schema ``response_format`` (which
llama.cpp, vLLM, Ollama and LiteLLM enforce by constrained decoding)::

    {"action": "<tool name>" | "final_answer", "input": <the tool's arguments> | "<text>", "thought": "<free text>"}

The schema is built from the same OpenAI tool definitions a native tool call would use: one ``anyOf`` branch per
tool binds ``input`` to that tool's parameters, and a last branch takes the final answer as text. ``thought``
carries what a native reply says beside its tool call (the topologies' ``CALL``/``NOTE`` lines). The tool's
result comes back as a user message starting with :data:`OBSERVATION`.

This module is the part both sides share: the engines' agents (:mod:`agenteff.engines.actions`) and the
simulated endpoint, which reads a structured conversation back into native form so one simulated behaviour
answers both encodings (:func:`native_conversation`, :func:`encode_reply`). It has no dependency beyond the
standard library.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = [
    "FINAL_ANSWER",
    "OBSERVATION",
    "SCHEMA_NAME",
    "PROBE_TOOL",
    "MAX_THOUGHT_CHARS",
    "response_format",
    "schema_tools",
    "tools_prompt",
    "action_text",
    "observation_text",
    "parse_action",
    "native_conversation",
    "encode_reply",
]

FINAL_ANSWER = "final_answer"
OBSERVATION = "OBSERVATION from"
SCHEMA_NAME = "agent_action"
#: The one tool of the encoding probe (:func:`agenteff.engines.actions.probe_encoding`).
PROBE_TOOL = "record_number"
#: A bound on the free text, so a small model cannot spend its whole completion budget before the action.
MAX_THOUGHT_CHARS = 120


def _function(tool: dict) -> dict:
    return tool.get("function", tool)


def _branch(action: dict, arguments: dict, thought_chars: int) -> dict:
    properties = {"action": action, "input": arguments}
    if thought_chars > 0:
        properties["thought"] = {"type": "string", "maxLength": int(thought_chars)}
    return {"type": "object", "properties": properties, "required": ["action", "input"]}


def response_format(tools: list[dict], thought_chars: int = MAX_THOUGHT_CHARS) -> dict:
    """The JSON-schema ``response_format`` allowing exactly one action: a call of one of ``tools`` (OpenAI
    function definitions) with that tool's arguments, or the final answer as text.

    The action comes first, so a model commits to it before any free text; the optional ``thought`` follows,
    at most ``thought_chars`` characters (0: no thought at all, for a decision with nothing to note). A small
    model otherwise spends its whole completion on a rambling thought and never reaches the action."""
    branches = [
        _branch(
            {"const": _function(tool)["name"]}, _function(tool).get("parameters") or {"type": "object"}, thought_chars
        )
        for tool in tools
    ]
    branches.append(_branch({"const": FINAL_ANSWER}, {"type": "string"}, thought_chars))
    return {"type": "json_schema", "json_schema": {"name": SCHEMA_NAME, "schema": {"anyOf": branches}}}


def schema_tools(request_format) -> list[dict] | None:
    """The tool definitions a :func:`response_format` was built from (None when it is not one)."""
    if not isinstance(request_format, dict) or request_format.get("type") != "json_schema":
        return None
    spec = request_format.get("json_schema") or {}
    if spec.get("name") != SCHEMA_NAME:
        return None
    tools = []
    for branch in spec.get("schema", {}).get("anyOf", []):
        name = branch["properties"]["action"]["const"]
        if name != FINAL_ANSWER:
            tools.append({"type": "function", "function": {"name": name, "parameters": branch["properties"]["input"]}})
    return tools


def tools_prompt(tools: list[dict]) -> str:
    """The system-prompt lines that tell a model the tools and the action format (the schema enforces the
    shape; the model still needs to know what the tools do)."""
    lines = ['Act by replying with one JSON object: {"action": ..., "input": ..., "thought": ...}. Tools:']
    for tool in tools:
        function = _function(tool)
        arguments = ", ".join(sorted((function.get("parameters") or {}).get("properties", {})))
        lines.append(f"- {function['name']}({arguments}): {function.get('description', '')}".rstrip())
    lines.append(f'- {FINAL_ANSWER}: "input" is your final reply as text.')
    return "\n".join(lines)


def action_text(thought: str, action: str, arguments) -> str:
    """The JSON text of one action, as a model writes it (keys in the schema's order; no empty thought)."""
    return json.dumps({"action": action, "input": arguments, **({"thought": thought} if thought else {})})


def observation_text(tool: str, result: str) -> str:
    """The user message that returns a tool's result to a structured agent."""
    return f"{OBSERVATION} {tool}: {result}"


def parse_action(text: str | None, tool_names) -> tuple[str, str, Any, str]:
    """``(thought, action, input, problem)`` of a structured reply; ``problem`` is "" for a valid action, else
    why it is not one ("not JSON", "not an action object", "unknown tool", "input is not ...")."""
    try:
        value = json.loads(text or "")
    except json.JSONDecodeError:
        return "", "", None, "not JSON"
    if not isinstance(value, dict) or not isinstance(value.get("action"), str) or "input" not in value:
        return "", "", None, "not an action object"
    thought: str = value["thought"] if isinstance(value.get("thought"), str) else ""
    action: str = value["action"]
    arguments: Any = value["input"]
    if action == FINAL_ANSWER:
        if not isinstance(arguments, str):
            return thought, action, arguments, "final answer input is not text"
        return thought, action, arguments, ""
    if action not in set(tool_names):
        return thought, action, arguments, "unknown tool"
    if not isinstance(arguments, dict):
        return thought, action, arguments, "tool input is not an object"
    return thought, action, arguments, ""


def native_conversation(messages: list[dict], tools: list[dict]) -> list[dict]:
    """A structured conversation as the native one it stands for: each assistant action becomes content plus a
    tool call, each observation that answers it a tool message. Anything else is kept as it is."""
    names = [_function(t)["name"] for t in tools]
    native: list[dict] = []
    pending: list[str] = []  # call ids of the latest action, waiting for their observation
    for message in messages:
        role, content = message.get("role"), message.get("content")
        if role == "assistant" and isinstance(content, str):
            thought, action, arguments, problem = parse_action(content, names)
            if not problem and action != FINAL_ANSWER:
                call_id = f"call_{len(native)}"
                pending = [call_id]
                native.append(
                    {
                        "role": "assistant",
                        "content": thought,
                        "tool_calls": [
                            {
                                "id": call_id,
                                "type": "function",
                                "function": {"name": action, "arguments": json.dumps(arguments, sort_keys=True)},
                            }
                        ],
                    }
                )
                continue
            if not problem:
                native.append({"role": "assistant", "content": "\n".join(t for t in (thought, arguments) if t)})
                continue
        if role == "user" and pending and isinstance(content, str) and content.startswith(OBSERVATION):
            result = content.split(": ", 1)[1] if ": " in content else ""
            native.append({"role": "tool", "tool_call_id": pending.pop(0), "content": result})
            continue
        pending = []
        native.append(message)
    return native


def encode_reply(content: str | None, tool_calls: list[dict]) -> str:
    """A native reply (content, ``[{"name", "arguments"}]``) as the structured action standing for it: its first
    tool call with the content as thought, or, without calls, the final answer."""
    if tool_calls:
        call = tool_calls[0]
        return action_text(content or "", call["name"], call.get("arguments", {}))
    return action_text("", FINAL_ANSWER, content or "")
