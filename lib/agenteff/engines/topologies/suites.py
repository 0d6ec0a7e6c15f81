"""Task suites with verifiable answers and a known structure, generated deterministically from a seed.

Two suites mirror the two kinds of benchmark in Kim et al. (arXiv:2512.08296, section 4), where coordination
helps on one and hurts on the other:

* ``parallel`` (like Finance-Agent): the answer is the sum of several quantities, each read by one independent
  tool look-up (``get_<field>(entity=...)``). Look-ups can be shared out among agents in any order.
* ``sequential`` (like PlanCraft): start from a value and apply a chain of operations
  (``op_<name>(value=...)``), each to the result of the one before. No step can start before the previous one
  has finished.

Each task carries its own hidden data (field values, operation coefficients): tools are real functions over
that data (:meth:`Task.call`), so an answer is right only if every look-up was made and read correctly. The
number of tools (``n_tools``) is a parameter of the suite.

Tasks are plain text that a real model can follow (an ``ITEM k: tool(argument)`` line per step and a
``FINAL ANSWER: <integer>`` convention), which is also what the simulated agent reads.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

__all__ = ["SUITES", "Item", "Task", "make_suite", "grade"]

SUITES = ("parallel", "sequential")

_FIELDS = (
    "revenue",
    "costs",
    "staff",
    "assets",
    "debt",
    "orders",
    "returns",
    "visits",
    "stores",
    "patents",
    "loans",
    "grants",
    "claims",
    "exports",
    "imports",
    "refunds",
)
_OPERATIONS = (
    "fold",
    "twist",
    "shift",
    "scale",
    "mix",
    "turn",
    "skew",
    "warp",
    "bend",
    "flip",
    "spin",
    "wrap",
    "lift",
    "drop",
    "swap",
    "roll",
)
_SYLLABLES = ("ka", "lo", "mi", "ra", "te", "zu", "no", "vi", "be", "sa", "do", "fe")
_MODULUS = 1000  # operations work modulo 1000, so values stay three-digit numbers


@dataclass(frozen=True)
class Item:
    """One step of a task: call ``tool`` with ``argument`` (None for a sequential step: the previous result)."""

    index: int  # 1-based
    tool: str
    argument: str | None


@dataclass(frozen=True)
class Task:
    task_id: str
    suite: str
    items: tuple[Item, ...]
    start: int | None  # sequential: the value the chain starts from
    answer: int
    n_tools: int
    data: dict  # parallel: {"get_<field>": {entity: value}}; sequential: {"op_<name>": (a, b)}

    @property
    def prompt(self) -> str:
        """The task as the user states it (the first user message of every agent)."""
        if self.suite == "parallel":
            lines = [
                f"TASK {self.task_id} (parallel)",
                f"Compute the sum of these {len(self.items)} quantities; each comes from one tool call.",
                *(f"ITEM {it.index}: {it.tool}(entity={it.argument})" for it in self.items),
            ]
        else:
            lines = [
                f"TASK {self.task_id} (sequential)",
                f"Start from the value {self.start} and apply these {len(self.items)} operations in order; "
                "each takes the result of the previous one as its value.",
                f"ITEM 1: {self.items[0].tool}(value={self.start})",
                *(f"ITEM {it.index}: {it.tool}(value=<result of item {it.index - 1}>)" for it in self.items[1:]),
            ]
        lines.append("Reply with 'FINAL ANSWER: <integer>' when you have the result.")
        return "\n".join(lines)

    @property
    def tools(self) -> list[dict]:
        """The suite's tools in the OpenAI function-calling format (all ``n_tools`` of them, used or not)."""
        if self.suite == "parallel":
            return [_tool_spec(name, f"Look up the {name[4:]} of an entity.", "entity", "string") for name in self.data]
        return [
            _tool_spec(name, f"Apply the operation {name[3:]} to a value.", "value", "integer") for name in self.data
        ]

    def call(self, name: str, arguments: dict) -> dict:
        """Execute a tool over the task's data: ``{"result": int}``, or ``{"error": ...}`` for a bad call."""
        if name not in self.data:
            return {"error": f"unknown tool {name!r}"}
        if self.suite == "parallel":
            entity = arguments.get("entity")
            if entity not in self.data[name]:
                return {"error": f"unknown entity {entity!r}"}
            return {"result": int(self.data[name][entity])}
        try:
            value = int(arguments["value"])
        except (KeyError, TypeError, ValueError):
            return {"error": "argument 'value' must be an integer"}
        a, b = self.data[name]
        return {"result": (a * value + b) % _MODULUS}


def _tool_spec(name: str, description: str, argument: str, kind: str) -> dict:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {"type": "object", "properties": {argument: {"type": kind}}, "required": [argument]},
        },
    }


def _entity_names(rng: np.random.Generator, count: int) -> list[str]:
    names: list[str] = []
    while len(names) < count:
        name = "".join(rng.choice(_SYLLABLES, size=3)).upper()
        if name not in names:
            names.append(name)
    return names


def _parallel_task(task_id: str, rng: np.random.Generator, n_tools: int, n_items: int) -> Task:
    tools = [f"get_{field}" for field in _FIELDS[:n_tools]]
    entities = _entity_names(rng, 6)
    data = {tool: {e: int(rng.integers(10, 1000)) for e in entities} for tool in tools}
    pairs = [(t, e) for t in tools for e in entities]
    chosen = rng.choice(len(pairs), size=min(n_items, len(pairs)), replace=False)
    items = tuple(Item(k + 1, pairs[i][0], pairs[i][1]) for k, i in enumerate(chosen))
    answer = int(sum(data[tool][entity] for tool, entity in (pairs[i] for i in chosen)))
    return Task(task_id, "parallel", items, None, answer, n_tools, data)


def _sequential_task(task_id: str, rng: np.random.Generator, n_tools: int, n_items: int) -> Task:
    tools = [f"op_{name}" for name in _OPERATIONS[:n_tools]]
    data = {tool: (int(rng.integers(2, 10)), int(rng.integers(1, 100))) for tool in tools}
    items = tuple(Item(k + 1, str(rng.choice(tools)), None) for k in range(n_items))
    start = int(rng.integers(1, _MODULUS))
    value = start
    for it in items:
        a, b = data[it.tool]
        value = (a * value + b) % _MODULUS
    return Task(task_id, "sequential", items, start, value, n_tools, data)


def make_suite(
    suite: str, n_tasks: int, seed: int = 0, n_tools: int = 4, min_items: int = 3, max_items: int = 9
) -> list[Task]:
    """``n_tasks`` tasks of ``suite`` ('parallel' or 'sequential'), the same for the same arguments.

    Each task has between ``min_items`` and ``max_items`` steps drawn uniformly, over a suite with ``n_tools``
    tools (1 to 16).
    """
    if suite not in SUITES:
        raise ValueError(f"unknown suite {suite!r}; choose from {SUITES}")
    if not 1 <= n_tools <= len(_FIELDS):
        raise ValueError(f"n_tools must be between 1 and {len(_FIELDS)}, not {n_tools}")
    if not 1 <= min_items <= max_items:
        raise ValueError(f"need 1 <= min_items <= max_items, got {min_items}, {max_items}")
    rng = np.random.default_rng([seed, SUITES.index(suite), n_tools])
    build = _parallel_task if suite == "parallel" else _sequential_task
    prefix = "P" if suite == "parallel" else "S"
    return [
        build(f"{prefix}{k:03d}", rng, n_tools, int(rng.integers(min_items, max_items + 1))) for k in range(n_tasks)
    ]


def grade(task: Task, answer: int | None) -> tuple[bool, float]:
    """Success (exact answer) and a graded score in [0, 1]: 1 minus the relative error, floored at 0."""
    if answer is None:
        return False, 0.0
    error = abs(answer - task.answer) / max(abs(task.answer), 1)
    return answer == task.answer, float(max(0.0, 1.0 - error))


def tool_result_text(result: dict) -> str:
    """A tool result as the tool message's content."""
    return json.dumps(result, sort_keys=True)
