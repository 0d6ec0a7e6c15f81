"""The simulated agent: how the built-in endpoint plays an agent on the task suites (simulated behaviour).

:func:`simulated_agent` is a behaviour for :class:`agenteff.llm.SimModel`
(``behaviour="agenteff.engines.topologies.simagent:simulated_agent"``). It is a pure function of the conversation it is
sent: it reads the task, its role and its turn budget from the messages, rebuilds what it has done so far from
its own earlier replies, and decides the next reply. Nothing is remembered between requests, so the same
request always gets the same reply (the server seeds ``rng`` from the request).

What it does, by role (conventions in :mod:`agenteff.engines.topologies.protocol`):

* **single, worker, peer (solving)**: works through its items in order, one tool call per turn (``CALL item k``
  plus the function call). The turn after a tool result it writes ``NOTE item k = v (tool: ... -> r)``. It stops
  when its items are done or one turn of budget is left, then writes ``FINAL ANSWER`` (single, peer) or ``DONE``
  (worker). Items: those assigned by an ``ASSIGN`` line; else its share ``i, i+n, ...`` when it is independent
  worker ``TEAM i/n`` on a parallel task (a chain cannot be shared without talking, so then all items); else all.
* **orchestrator**: each turn checks the notes in the workers' latest reports, accepts or rejects each item,
  then either answers (all items accepted, or told it is the final round) or assigns the missing items: on a
  parallel task round-robin over the workers, at most ``worker budget - 1`` items each; on a chain the next
  ``worker budget - 1`` steps to one worker, with a ``START`` line handing over the accepted input value.
* **peer (debate round)**: on receiving peers' work it checks every note (its own included), keeps per item the
  value most valid notes agree on, and re-runs the tool for items with no valid note or a tie (``RECHECK``),
  then answers again.
* **peer (review in the hybrid topology)**: checks the other workers' notes and ``FLAG``s those it finds wrong.
* **aggregator (synthesis only)**: takes per item the most common value among the workers' notes, checks
  nothing, and answers.

Errors. Every value the agent *writes from another source* is wrong with probability ``model.error_prob``
(off by 1 to 9): reading a tool result into a note, copying a peer's value, handing over a ``START`` value, and
computing the final answer. Restating its own notes is exact. A check compares a note's value with its
evidence (and, on chains, its input with the accepted previous value); a note that is wrong is caught with
probability ``params["check_prob"]`` (default ``1 - error_prob``: a more capable model checks better), and a
note that is right always passes. So errors enter at every hand-off and are removed only where an agent is
asked to check: the mechanism behind error amplification versus containment in Kim et al. (arXiv:2512.08296).

Limits of the simulation, to read results for what they are: no reasoning quality, no context-length effects,
no tool-selection errors (the number of tools only changes prompt length), and token counts are the server's
text-based approximation.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from . import protocol as P

__all__ = ["simulated_agent", "AgentView"]

_TASK_HEADER = re.compile(r"TASK (\w+) \((parallel|sequential)\)")
_TASK_ITEM = re.compile(r"^ITEM (\d+): (\w+)\((\w+)=([^)]*)\)$", re.MULTILINE)
_KEY_LINE = re.compile(r"^(ROLE|AGENT|BUDGET|TEAM|WORKERS|WORKER BUDGET): (.+)$", re.MULTILINE)
_RECHECK = re.compile(r"RECHECK item (\d+)")
_CALL = re.compile(r"CALL item (\d+)")


def _text(message: dict) -> str:
    content = message.get("content")
    if isinstance(content, list):
        return " ".join(part.get("text", "") for part in content if isinstance(part, dict))
    return content or ""


@dataclass(frozen=True)
class TaskView:
    kind: str  # parallel | sequential
    items: tuple[tuple[int, str, str, str], ...]  # (index, tool, argument name, argument text)
    start: int | None

    def final_value(self, values: dict[int, int]) -> int:
        """The answer implied by item values (missing look-ups count 0; a broken chain gives its last value)."""
        if self.kind == "parallel":
            return sum(values.get(k, 0) for k, *_ in self.items)
        known = [values[k] for k, *_ in self.items if k in values]
        return values.get(self.items[-1][0], known[-1] if known else self.start or 0)


@dataclass
class AgentView:
    """What an agent can tell from its conversation: role, budget, task, own notes, pending tool results."""

    role: str
    agent_id: str
    budget: int
    task: TaskView
    last_user: str
    stint_turns: int  # own replies since the last user message
    own_texts: list[str]
    stint_texts: list[str]
    pending: list[tuple[int, str, dict, dict]]  # (item, tool, arguments, result) awaiting a note
    keys: dict = field(default_factory=dict)

    @classmethod
    def from_messages(cls, messages: list[dict]) -> AgentView:
        system = "\n".join(_text(m) for m in messages if m.get("role") == "system")
        keys = dict(_KEY_LINE.findall(system))
        users = [i for i, m in enumerate(messages) if m.get("role") == "user"]
        task_text = next((_text(messages[i]) for i in users if _TASK_HEADER.search(_text(messages[i]))), "")
        last_user_index = users[-1] if users else -1
        last_user = _text(messages[last_user_index]) if users else ""
        budget_lines = re.findall(r"^BUDGET: (\d+)$", last_user, re.MULTILINE)
        budget = int(budget_lines[-1]) if budget_lines else int(keys.get("BUDGET", 10))
        own = [_text(m) for m in messages if m.get("role") == "assistant"]
        stint = [_text(m) for m in messages[last_user_index + 1 :] if m.get("role") == "assistant"]
        return cls(
            keys.get("ROLE", "single").strip(),
            keys.get("AGENT", "a1").strip(),
            budget,
            _parse_task(task_text),
            last_user,
            len(stint),
            own,
            stint,
            _pending_results(messages),
            keys,
        )

    def own_notes(self) -> dict[int, P.Note]:
        notes: dict[int, P.Note] = {}
        for text in self.own_texts:
            notes.update({n.item: n for n in P.parse_notes(text)})
        return notes

    def open_rechecks(self) -> set[int]:
        """Items marked RECHECK in this stint and not noted since."""
        open_items: set[int] = set()
        for text in self.stint_texts:
            open_items -= {n.item for n in P.parse_notes(text)}
            open_items |= {int(k) for k in _RECHECK.findall(text)}
        return open_items


def _parse_task(text: str) -> TaskView:
    header = _TASK_HEADER.search(text)
    if not header:
        raise ValueError("no 'TASK <id> (parallel|sequential)' message in the conversation")
    items = tuple((int(k), tool, name, arg.strip()) for k, tool, name, arg in _TASK_ITEM.findall(text))
    start = int(items[0][3]) if header.group(2) == "sequential" and items else None
    return TaskView(header.group(2), items, start)


def _call_parts(call: dict) -> tuple[str, dict]:
    function = call.get("function", call)
    arguments = function.get("arguments", {})
    if isinstance(arguments, str):
        arguments = json.loads(arguments or "{}")
    return function.get("name", ""), arguments


def _pending_results(messages: list[dict]) -> list[tuple[int, str, dict, dict]]:
    """Tool results after the last reply, matched to that reply's CALL lines and function calls."""
    last = max((i for i, m in enumerate(messages) if m.get("role") == "assistant"), default=None)
    if last is None:
        return []
    reply = messages[last]
    items = [int(k) for k in _CALL.findall(_text(reply))]
    calls = reply.get("tool_calls") or []
    results = {m.get("tool_call_id"): m for m in messages[last + 1 :] if m.get("role") == "tool"}
    pending = []
    for item, call in zip(items, calls):
        if call.get("id") not in results:
            continue
        name, arguments = _call_parts(call)
        try:
            result = json.loads(_text(results[call["id"]]))
        except json.JSONDecodeError:
            result = {"error": "unreadable tool result"}
        pending.append((item, name, arguments, result))
    return pending


def _written(value: int, rng: np.random.Generator, error_prob: float) -> int:
    """A value as the agent writes it: off by 1 to 9 with probability ``error_prob``."""
    if rng.random() < error_prob:
        return int(value + rng.choice([-1, 1]) * rng.integers(1, 10))
    return int(value)


def _passes(note: P.Note, task: TaskView, expected_input, rng, check_prob: float) -> bool:
    """Does a check let ``note`` through? Right notes always pass; wrong ones are caught with ``check_prob``."""
    spec = next((it for it in task.items if it[0] == note.item), None)
    right = (
        spec is not None
        and note.tool == spec[1]
        and note.value == note.output
        and (task.kind == "sequential" or note.argument == spec[3])
        and (expected_input is None or note.input_value == expected_input)
    )
    return right or not (rng.random() < check_prob)


def _reconcile(
    task: TaskView, candidates: dict[int, list[P.Note]], fixed: dict[int, int], rng, check_prob: float
) -> dict[int, P.Note | None]:
    """Per item with candidates: the note most checked candidates agree on, or None (none valid, or a tie).

    ``fixed`` holds values already settled (accepted); on a chain an item's expected input is the settled or
    chosen value of the item before it, and nothing after an unresolved step can be chosen.
    """
    chosen: dict[int, P.Note | None] = {}
    broken = False
    for k, *_ in task.items:
        if k in fixed or k not in candidates:
            if task.kind == "sequential" and k not in fixed:
                broken = True
            continue
        if broken:
            chosen[k] = None
            continue
        expected = None
        if task.kind == "sequential":
            before = chosen.get(k - 1)
            previous = fixed.get(k - 1, before.value if before is not None else None)
            expected = task.start if k == 1 else previous
        valid = [n for n in candidates[k] if _passes(n, task, expected, rng, check_prob)]
        counts = Counter(n.value for n in valid).most_common()
        if not counts or (len(counts) > 1 and counts[0][1] == counts[1][1]):
            chosen[k] = None
            broken = task.kind == "sequential"
        else:
            chosen[k] = next(n for n in valid if n.value == counts[0][0])
    return chosen


def _note_results(view: AgentView, rng, error_prob: float) -> list[str]:
    lines = []
    for item, tool, arguments, result in view.pending:
        if "result" not in result:
            lines.append(f"ERROR item {item}: {result.get('error', 'no result')}")
            continue
        name, argument = next(iter(arguments.items()), ("value", "?"))
        note = P.Note(
            item, _written(result["result"], rng, error_prob), tool, name, str(argument), int(result["result"])
        )
        lines.append(P.note_line(note))
    return lines


def _my_items(view: AgentView) -> list[int]:
    assigned = P.parse_assignments(view.last_user).get(view.agent_id)
    if assigned is not None:
        return assigned
    all_items = [k for k, *_ in view.task.items]
    team = view.keys.get("TEAM")
    if team and view.task.kind == "parallel":
        i, n = (int(x) for x in team.split("/"))
        return all_items[i - 1 :: n]
    return all_items


def _input_for(view: AgentView, item: int, notes: dict[int, P.Note], rechecks: set[int]):
    """The value to call a chain step with, or None when it is not known yet."""
    if item == 1:
        return view.task.start
    starts = P.parse_starts(view.last_user)
    if item in starts:
        return starts[item]
    if item - 1 in notes and item - 1 not in rechecks:
        return notes[item - 1].value
    return None


def _debate(view: AgentView, notes: dict[int, P.Note], rng, error_prob, check_prob) -> list[str]:
    """A peer's first turn after receiving peers' work: check everything, adopt or mark for re-checking."""
    candidates: dict[int, list[P.Note]] = {k: [n] for k, n in notes.items()}
    for _agent, body in P.parse_blocks(view.last_user, "PEER"):
        latest = {n.item: n for n in P.parse_notes(body)}  # a peer's later notes supersede its earlier ones
        for item, note in latest.items():
            candidates.setdefault(item, []).append(note)
    lines = []
    for item, agreed in _reconcile(view.task, candidates, {}, rng, check_prob).items():
        if agreed is None:
            lines.append(f"RECHECK item {item}")
        elif item not in notes or notes[item].value != agreed.value:
            lines.append(
                P.note_line(
                    P.Note(
                        item,
                        _written(agreed.value, rng, error_prob),
                        agreed.tool,
                        agreed.argument_name,
                        agreed.argument,
                        agreed.output,
                    )
                )
            )
    return lines


def _solve(view: AgentView, rng, error_prob: float, check_prob: float) -> dict:
    lines = _note_results(view, rng, error_prob)
    noted_now = {n.item: n for n in P.parse_notes("\n".join(lines))}
    notes = {**view.own_notes(), **noted_now}
    rechecks = view.open_rechecks() - set(noted_now)
    if view.role == "peer" and view.stint_turns == 0 and P.parse_blocks(view.last_user, "PEER"):
        debate_lines = _debate(view, notes, rng, error_prob, check_prob)
        lines += debate_lines
        notes.update({n.item: n for n in P.parse_notes("\n".join(debate_lines))})
        rechecks |= {int(k) for k in _RECHECK.findall("\n".join(debate_lines))}
    todo = [k for k in _my_items(view) if k not in notes or k in rechecks]
    turns_left = view.budget - view.stint_turns
    if todo and turns_left >= 2:
        item = todo[0]
        spec = next(it for it in view.task.items if it[0] == item)
        argument = spec[3] if view.task.kind == "parallel" else _input_for(view, item, notes, rechecks)
        if argument is not None:
            lines.append(P.call_line(item))
            return {
                "content": "\n".join(lines),
                "tool_calls": [{"name": spec[1], "arguments": {spec[2]: argument}}],
                "reasoning_content": None,
            }
    if view.role == "worker":
        lines.append("DONE")
    else:
        values = {k: n.value for k, n in notes.items() if k not in rechecks}
        lines.append(P.final_line(_written(view.task.final_value(values), rng, error_prob)))
    return {"content": "\n".join(lines), "tool_calls": [], "reasoning_content": None}


def _orchestrate(view: AgentView, rng, error_prob: float, check_prob: float) -> str:
    accepted: dict[int, int] = {}
    for text in view.own_texts:
        accepted.update(P.parse_accepted(text))
    flags = set()
    for _agent, body in P.parse_blocks(view.last_user, "FLAGS from"):
        flags |= P.parse_flags(body)
    candidates: dict[int, list[P.Note]] = {}
    rejected_by_peers = set()
    for agent, body in P.parse_blocks(view.last_user, "REPORT from"):
        for note in P.parse_notes(body):
            if note.item in accepted:
                continue
            if (note.item, agent) in flags:
                rejected_by_peers.add(note.item)
            else:
                candidates.setdefault(note.item, []).append(note)
    lines = []
    chosen = _reconcile(view.task, candidates, accepted, rng, check_prob)
    for item in sorted(set(chosen) | rejected_by_peers):
        agreed = chosen.get(item)
        if agreed is None:
            lines.append(f"REJECT item {item}")
        else:
            accepted[item] = agreed.value
            lines.append(f"ACCEPT item {item} = {agreed.value}")
    all_items = [k for k, *_ in view.task.items]
    missing = [k for k in all_items if k not in accepted]
    if not missing or "FINAL ROUND" in view.last_user:
        best = {**{k: c[-1].value for k, c in candidates.items()}, **accepted}
        lines.append(P.final_line(_written(view.task.final_value(best), rng, error_prob)))
        return "\n".join(lines)
    workers = [w.strip() for w in view.keys.get("WORKERS", "w1").split(",")]
    per_worker = max(1, int(view.keys.get("WORKER BUDGET", 3)) - 1)
    round_index = len(view.own_texts)
    assignment: dict[str, list[int]] = {}
    if view.task.kind == "parallel":
        for i, item in enumerate(missing[: per_worker * len(workers)]):
            assignment.setdefault(workers[(i + round_index) % len(workers)], []).append(item)
    else:
        first = missing[0]
        assignment[workers[round_index % len(workers)]] = list(
            range(first, min(first + per_worker, len(all_items) + 1))
        )
        if first > 1:
            lines.append(f"START item {first} = {_written(accepted[first - 1], rng, error_prob)}")
    lines += [f"ASSIGN {w}: items {','.join(map(str, items))}" for w, items in assignment.items()]
    return "\n".join(lines)


def _aggregate(view: AgentView, rng, error_prob: float) -> str:
    """Synthesis only: the most common value per item across outputs, no checking."""
    votes: dict[int, Counter] = {}
    for _agent, body in P.parse_blocks(view.last_user, "OUTPUT from"):
        latest = {n.item: n.value for n in P.parse_notes(body)}
        for item, value in latest.items():
            votes.setdefault(item, Counter())[value] += 1
    values = {item: counter.most_common(1)[0][0] for item, counter in votes.items()}
    return P.final_line(_written(view.task.final_value(values), rng, error_prob))


def _review(view: AgentView, rng, check_prob: float) -> str:
    """Peer review in the hybrid topology: flag the notes in others' reports that a check rejects."""
    lines = []
    for agent, body in P.parse_blocks(view.last_user, "REPORT from"):
        notes = P.parse_notes(body)
        by_item = {n.item: n for n in notes}
        starts = P.parse_starts(body)
        for note in notes:
            expected = None
            if view.task.kind == "sequential":
                expected = (
                    view.task.start
                    if note.item == 1
                    else by_item[note.item - 1].value
                    if note.item - 1 in by_item
                    else starts.get(note.item)
                )
            if not _passes(note, view.task, expected, rng, check_prob):
                lines.append(f"FLAG item {note.item} ({agent})")
    lines.append("REVIEW DONE")
    return "\n".join(lines)


def simulated_agent(messages: list[dict], tools: list[dict] | None, model, rng: np.random.Generator) -> dict:
    """Behaviour of the simulated endpoint for the topology task suites (see the module docstring)."""
    view = AgentView.from_messages(messages)
    error_prob = float(model.error_prob)
    check_prob = float(model.params.get("check_prob", 1.0 - error_prob))
    if view.role == "orchestrator":
        content = _orchestrate(view, rng, error_prob, check_prob)
    elif view.role == "aggregator":
        content = _aggregate(view, rng, error_prob)
    elif view.role == "peer" and "PEER REVIEW" in view.last_user:
        content = _review(view, rng, check_prob)
    else:
        return _solve(view, rng, error_prob, check_prob)
    return {"content": content, "tool_calls": [], "reasoning_content": None}
