"""The plain-text conventions agents and orchestration code share.

A real model is told these conventions in its system prompt; the simulated agent follows them exactly. All
coordination goes through text, so every inter-agent message is visible in the trajectory:

* ``CALL item k``: the agent is about to call the tool for item ``k`` (the tool call itself travels as a
  function call);
* ``NOTE item k = v (tool: name(arg=x) -> r)``: the agent records value ``v`` for item ``k`` together with the
  evidence, the tool call and what it returned. A reviewer can compare ``v`` with ``r`` and, on sequential tasks,
  ``x`` with the accepted value of item ``k - 1``;
* ``ASSIGN w2: items 1,4`` and ``START item k = v`` (orchestrator): who does which items, and the input value
  handed over for item ``k`` of a chain;
* ``ACCEPT item k = v`` / ``REJECT item k`` (orchestrator), ``FLAG item k (w1)`` (peer review);
* ``FINAL ANSWER: n``.

Blocks forwarded between agents start with a header line: ``REPORT from w1 (round 2):``,
``PEER p2 (round 1):``, ``OUTPUT from w3:``, ``FLAGS from w2:``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "Note",
    "system_prompt",
    "call_line",
    "note_line",
    "final_line",
    "parse_notes",
    "parse_final",
    "parse_assignments",
    "parse_starts",
    "parse_flags",
    "parse_accepted",
    "block",
    "parse_blocks",
    "evidence_text",
]

_NOTE = re.compile(r"NOTE item (\d+) = (-?\d+) \(tool: (\w+)\((\w+)=([^)]*)\) -> (-?\d+)\)")
_FINAL = re.compile(r"FINAL ANSWER:\s*\**\s*(-?\d+)")
_ASSIGN = re.compile(r"ASSIGN (\w+): items ([\d, ]+)")
_START = re.compile(r"START item (\d+) = (-?\d+)")
_FLAG = re.compile(r"FLAG item (\d+) \((\w+)\)")
_ACCEPT = re.compile(r"ACCEPT item (\d+) = (-?\d+)")
_HEADER = re.compile(r"^(REPORT from|PEER|OUTPUT from|FLAGS from) (\w+)(?: \(round (\d+)\))?:$", re.MULTILINE)

_ROLE_TEXT = {
    "single": "You solve the task alone.",
    "worker": "You are a worker. Do the items assigned to you (all items if none are assigned; when you are one "
    "of several independent workers and the items can be done in any order, only your share: items "
    "i, i+n, ... for TEAM i/n).",
    "orchestrator": "You are the orchestrator. Assign items to your workers with ASSIGN lines (and START lines "
    "for the input of a chain step), check the workers' NOTE lines against their evidence, "
    "ACCEPT or REJECT each, reassign what is missing, and give the FINAL ANSWER when every item "
    "is accepted.",
    "aggregator": "You are the aggregator. Combine the workers' outputs into one FINAL ANSWER.",
    "peer": "You are one of several peers. Solve the task; when peers share their work, check it against its "
    "evidence and revise your answer (re-run a tool when in doubt).",
}


@dataclass(frozen=True)
class Note:
    """A recorded value with its evidence: the tool called, its argument, and the result it returned."""

    item: int
    value: int
    tool: str
    argument_name: str
    argument: str
    output: int

    @property
    def input_value(self) -> int | None:
        """The numeric input of a chain step (None for a look-up by entity)."""
        try:
            return int(self.argument)
        except ValueError:
            return None


def system_prompt(role: str, agent_id: str, budget: int, **lines) -> str:
    """The system message of an agent: its role, id and turn budget, the conventions, and extra ``KEY: value``
    lines (``TEAM``, ``WORKERS``, ``WORKER BUDGET``)."""
    extra = [f"{key.replace('_', ' ').upper()}: {value}" for key, value in lines.items()]
    return "\n".join(
        [
            f"ROLE: {role}",
            f"AGENT: {agent_id}",
            f"BUDGET: {budget}",
            *extra,
            _ROLE_TEXT[role],
            "Conventions: before calling a tool for item k write 'CALL item k'; after a tool result write "
            "'NOTE item k = <value> (tool: <name>(<arg>=<x>) -> <result>)'; finish with 'FINAL ANSWER: <integer>' "
            "(workers finish with DONE). One tool call per turn.",
        ]
    )


def call_line(item: int) -> str:
    return f"CALL item {item}"


def evidence_text(tool: str, argument_name: str, argument, output: int) -> str:
    return f"{tool}({argument_name}={argument}) -> {output}"


def note_line(note: Note) -> str:
    evidence = evidence_text(note.tool, note.argument_name, note.argument, note.output)
    return f"NOTE item {note.item} = {note.value} (tool: {evidence})"


def final_line(value: int) -> str:
    return f"FINAL ANSWER: {value}"


def parse_notes(text: str | None) -> list[Note]:
    return [
        Note(int(k), int(v), tool, name, arg.strip(), int(out))
        for k, v, tool, name, arg, out in _NOTE.findall(text or "")
    ]


def parse_final(text: str | None) -> int | None:
    """The last FINAL ANSWER in ``text``, or None."""
    found = _FINAL.findall(text or "")
    return int(found[-1]) if found else None


def parse_assignments(text: str | None) -> dict[str, list[int]]:
    return {agent: [int(k) for k in re.findall(r"\d+", items)] for agent, items in _ASSIGN.findall(text or "")}


def parse_starts(text: str | None) -> dict[int, int]:
    return {int(k): int(v) for k, v in _START.findall(text or "")}


def parse_flags(text: str | None) -> set[tuple[int, str]]:
    return {(int(k), agent) for k, agent in _FLAG.findall(text or "")}


def parse_accepted(text: str | None) -> dict[int, int]:
    return {int(k): int(v) for k, v in _ACCEPT.findall(text or "")}


def block(kind: str, agent_id: str, body: str, round_: int | None = None) -> str:
    """A forwarded block: header line ``<kind> <agent>[ (round r)]:`` then the body."""
    suffix = f" (round {round_})" if round_ is not None else ""
    return f"{kind} {agent_id}{suffix}:\n{body.strip()}"


def parse_blocks(text: str | None, kind: str) -> list[tuple[str, str]]:
    """``[(agent id, body), ...]`` of the blocks of ``kind`` in ``text`` (a block runs to the next header)."""
    text = text or ""
    headers = list(_HEADER.finditer(text))
    out = []
    for i, match in enumerate(headers):
        end = headers[i + 1].start() if i + 1 < len(headers) else len(text)
        if match.group(1) == kind:
            out.append((match.group(2), text[match.end() : end].strip()))
    return out
