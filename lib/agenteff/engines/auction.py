"""Strategy auctions between agents of several sizes (SALE), run through any OpenAI-compatible endpoint.

Source: "Scaling Small Agents Through Strategy Auctions" (SALE, arXiv:2602.02751). Agents of several sizes each
draft a short strategic plan for a task; every plan gets a bid score, *cost minus value*; the lowest score wins
and its agent executes the task with its plan; a shared auction memory of past winning and losing plans refines
later plans and bids. No code was released, and the paper was read through its abstract and secondary
summaries only, so every detail below that the sources leave open is a choice, stated here:

* **Cost** of a bid: the plan's completion tokens (the endpoint's count) times the agent's price per token,
  divided by the largest such product among the task's bids (so the cheapest-and-shortest plan costs near 0 and
  the dearest costs 1), times ``cost_weight``.
* **Value** of a bid: ``(1 - entropy_weight) * jury + entropy_weight * (1 - entropy) + memory``, where
  ``jury`` is the mean score (0..10, scaled to 0..1) that every juror (by default every agent: a peer and self
  jury) gives the plan; ``entropy`` is the Shannon entropy of the plan's word frequencies divided by its maximum
  for that many words (a plan that repeats itself has low entropy; the summaries name "plan entropy" as a value
  term without its sign, and here a *focused* plan -- low entropy -- is worth more); ``memory`` is
  ``memory_weight`` times (the agent's smoothed success rate when it won the ``memory_neighbours`` most similar
  past tasks, minus the winners' smoothed success rate on them), 0 while the memory is empty.
* **Memory**: after each task, the winning plan (with its outcome) and the losing plans are stored. Similarity is
  the Jaccard index of the tasks' word sets. The planning prompt shows up to ``memory_examples`` winning plans of
  similar past tasks that succeeded, and the bid's memory term uses the outcomes above.
* **Execution**: the winner answers the task given its own plan, in one call; the task's grader decides success.
* **Actions**: a plan and a jury verdict are actions of :mod:`agenteff.engines.actions` (the tools
  :func:`plan_tool` and :data:`SCORE_TOOL`), native tool calls where the endpoint makes them and
  grammar-constrained JSON actions where it does not (``AuctionSettings.encoding``, probed once per model). One
  action per call: a reply without a call is read as text (the plan, or a verdict's first number), and a
  malformed action (cut at ``max_tokens``, unreadable) is counted and gives an empty plan or a verdict of 0.

Costs here are in *relative* units: ``price_per_token`` is whatever the caller passes (the studies use active
parameters in billions per 1,000 tokens); every call -- plans, jury verdicts and the execution -- is counted,
because the auction's overhead is part of what it costs.

On the default simulated endpoint (:func:`simulated_agents`) the agents' skill, plans and verdicts follow the
model in :func:`simulated_behaviour`; those measurements are simulated and compare with no paper's numbers.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..llm.sim import SimModel
from .actions import ENCODINGS, chat_action, resolve_encoding

if TYPE_CHECKING:
    from ..llm.client import ChatResult

__all__ = [
    "Bidder",
    "AuctionSettings",
    "AuctionRun",
    "arithmetic_tasks",
    "grade_number",
    "plan_entropy",
    "run_auction",
    "run_single",
    "reliance_and_cost",
    "simulated_agents",
    "simulated_behaviour",
    "SimulatedSkill",
    "PLAN_PROMPT",
    "JURY_PROMPT",
    "EXECUTE_PROMPT",
    "SOLVE_PROMPT",
    "plan_tool",
    "SCORE_TOOL",
]

PLAN_PROMPT = (
    "You are drafting a short strategic plan for a task that another step will carry out. Write at most "
    "{words} words: numbered steps, no answer."
)
JURY_PROMPT = (
    "You are a juror scoring a plan for a task. Reply with one integer from 0 (useless or wrong) to 10 "
    "(complete and correct), nothing else."
)
EXECUTE_PROMPT = "Carry out the plan to solve the task. Reply with the final answer only."
SOLVE_PROMPT = "Solve the task. Reply with the final answer only."

#: A plan's characters per allowed word: the schema bounds the plan, so a small model cannot ramble past its
#: completion limit and leave the action unfinished.
_PLAN_CHARS_PER_WORD = 8


def plan_tool(words: int) -> dict:
    """The bidder's tool: submitting its plan, at most ``words`` words (bounded in characters by the schema)."""
    return {
        "type": "function",
        "function": {
            "name": "submit_plan",
            "description": f"Submit your plan: numbered steps, at most {words} words, no answer.",
            "parameters": {
                "type": "object",
                "properties": {"plan": {"type": "string", "maxLength": _PLAN_CHARS_PER_WORD * words}},
                "required": ["plan"],
            },
        },
    }


#: The juror's tool: scoring a plan from 0 to 10.
SCORE_TOOL = {
    "type": "function",
    "function": {
        "name": "score_plan",
        "description": "Score the plan from 0 (useless or wrong) to 10 (complete and correct).",
        "parameters": {"type": "object", "properties": {"score": {"type": "integer"}}, "required": ["score"]},
    },
}


@dataclass(frozen=True)
class Bidder:
    """An agent in the auction: the model id the endpoint serves, and its price per token (relative units)."""

    model: str
    price_per_token: float

    def __post_init__(self):
        if not self.price_per_token > 0:
            raise ValueError(f"Bidder {self.model!r}: price_per_token must be > 0, not {self.price_per_token}")


@dataclass(frozen=True)
class AuctionSettings:
    """The auction's knobs (see the module docstring for what each term means)."""

    plan_words: int = 40
    plan_max_tokens: int = 120
    verdict_max_tokens: int = 32  # a verdict action, {"action": "score_plan", "input": {"score": 7}}, and slack
    answer_max_tokens: int = 2048  # room for the work an executing agent shows
    cost_weight: float = 0.3
    entropy_weight: float = 0.2
    memory_weight: float = 0.5
    memory_neighbours: int = 5
    memory_examples: int = 2
    jury: tuple[str, ...] | None = None  # juror model ids; None: every bidder
    encoding: str = "auto"  # how plans and verdicts act: "native", "structured", or "auto" (probed per model)

    def __post_init__(self):
        if self.encoding != "auto" and self.encoding not in ENCODINGS:
            raise ValueError(f"encoding must be 'auto' or one of {ENCODINGS}, not {self.encoding!r}")
        if not 0 <= self.entropy_weight <= 1:
            raise ValueError(f"entropy_weight must be in [0, 1], not {self.entropy_weight}")
        if self.cost_weight < 0 or self.memory_weight < 0:
            raise ValueError("cost_weight and memory_weight must be >= 0")
        if self.plan_words < 1 or self.memory_neighbours < 1 or self.memory_examples < 0:
            raise ValueError("plan_words and memory_neighbours must be >= 1, memory_examples >= 0")


@dataclass
class AuctionRun:
    """``bids``: one row per (task, bidder) with the served model id, plan, tokens, cost, jury, entropy, memory,
    value, score, won, and the bid's actions (its plan and every verdict on it: ``actions``, valid
    ``tool_calls``, ``malformed``, the plan's ``action_encoding``); ``outcomes``: one row per task with the
    winner, the id its reply reported, its answer, success and the task's total cost."""

    bids: pd.DataFrame
    outcomes: pd.DataFrame


# --- tasks and grading -------------------------------------------------------------------------------------

_OPERATIONS = {"add": lambda x, n: x + n, "subtract": lambda x, n: x - n, "multiply by": lambda x, n: x * n}
_STEP = re.compile(r"\b(add|subtract|multiply by) (\d+)")
_START = re.compile(r"Start with (-?\d+)")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def arithmetic_tasks(n: int, max_steps: int = 6, seed: int = 0) -> pd.DataFrame:
    """``n`` chained-arithmetic tasks whose complexity is the number of steps (1..``max_steps``, uniform).

    Each reads "Start with 7. Then add 3. Then multiply by 4. ... Apply the 3 steps in order: what is the result?"
    and has one exact integer answer, so any endpoint's reply can be graded. Columns: ``task_id``, ``prompt``,
    ``gold``, ``complexity``.
    """
    if n < 1 or max_steps < 1:
        raise ValueError("arithmetic_tasks: n and max_steps must be >= 1")
    rng = np.random.default_rng(seed)
    rows = []
    for index in range(n):
        steps = int(rng.integers(1, max_steps + 1))
        value = int(rng.integers(2, 10))
        text = [f"Start with {value}."]
        for _ in range(steps):
            operation = str(rng.choice(list(_OPERATIONS)))
            number = int(rng.integers(2, 10))
            value = _OPERATIONS[operation](value, number)
            text.append(f"Then {operation} {number}.")
        noun = "step" if steps == 1 else "steps"
        text.append(f"Apply the {steps} {noun} in order: what is the result?")
        rows.append({"task_id": f"t{index:03d}", "prompt": " ".join(text), "gold": str(value), "complexity": steps})
    return pd.DataFrame(rows)


def grade_number(answer: str | None, gold: str) -> bool:
    """The first number in ``answer`` equals ``gold`` (numerically)."""
    match = _NUMBER.search(answer or "")
    return match is not None and math.isclose(float(match.group(0)), float(gold))


def plan_entropy(plan: str | None) -> float:
    """Shannon entropy of the plan's word frequencies over its maximum, ``log(number of words)``: in [0, 1].

    A plan of fewer than two words has entropy 0 (nothing to spread over)."""
    words = re.findall(r"\w+", (plan or "").lower())
    if len(words) < 2:
        return 0.0
    counts = np.array(list(Counter(words).values()), dtype=float)
    p = counts / counts.sum()
    return float(-(p * np.log(p)).sum() / math.log(len(words)))


def _jury_score(text: str | None) -> float:
    """The first number of a verdict, clipped to 0..10 and scaled to 0..1; an unreadable verdict scores 0."""
    match = _NUMBER.search(text or "")
    return 0.0 if match is None else min(max(float(match.group(0)), 0.0), 10.0) / 10.0


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.lower()))


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


# --- the auction -------------------------------------------------------------------------------------------


class _Memory:
    """Past auctions: task words, winner, outcome and every bidder's plan."""

    def __init__(self):
        self.entries: list[dict] = []

    def neighbours(self, prompt: str, k: int) -> list[dict]:
        words = _words(prompt)
        ranked = sorted(self.entries, key=lambda e: -_jaccard(words, e["words"]))  # stable: older first on ties
        return ranked[:k]

    def examples(self, prompt: str, k: int, count: int) -> list[str]:
        return [e["plans"][e["winner"]] for e in self.neighbours(prompt, k) if e["success"]][:count]

    def adjustment(self, prompt: str, model: str, k: int) -> float:
        """The model's smoothed success rate as a winner on similar tasks, minus all winners' (0 when empty)."""
        near = self.neighbours(prompt, k)
        if not near:
            return 0.0
        won = [e["success"] for e in near if e["winner"] == model]
        everyone = [e["success"] for e in near]
        return (sum(won) + 1) / (len(won) + 2) - (sum(everyone) + 1) / (len(everyone) + 2)

    def add(self, prompt: str, winner: str, success: bool, plans: dict[str, str]) -> None:
        self.entries.append({"words": _words(prompt), "winner": winner, "success": bool(success), "plans": plans})


def _plan_messages(prompt: str, settings: AuctionSettings, examples: list[str]) -> list[dict]:
    user = f"Task: {prompt}"
    if examples:
        shown = "\n---\n".join(examples)
        user += f"\n\nWinning plans for similar past tasks (for reference):\n{shown}"
    return [
        {"role": "system", "content": PLAN_PROMPT.format(words=settings.plan_words)},
        {"role": "user", "content": user},
    ]


def _verdict_messages(prompt: str, plan: str) -> list[dict]:
    return [
        {"role": "system", "content": JURY_PROMPT},
        {"role": "user", "content": f"Task: {prompt}\n\nPlan:\n{plan}"},
    ]


@dataclass(frozen=True)
class _Acted:
    """One plan or verdict: the reply, what it said (the tool's argument, or the text of a reply without a
    call; "" when malformed), whether it was a valid tool call, and why it was malformed ("" when not)."""

    result: ChatResult
    value: str
    tool_call: bool
    malformed: str


def _act(client, model: str, messages: list[dict], tool: dict, encoding: str, max_tokens: int) -> _Acted:
    """One action with ``tool`` (its one argument is what the action says) in ``encoding``."""
    result, replied = chat_action(client, model, messages, [tool], encoding, thought_chars=0, max_tokens=max_tokens)
    action = replied[0]
    if action.malformed:
        return _Acted(result, "", False, action.malformed)
    if action.is_tool_call:
        (argument,) = tool["function"]["parameters"]["required"]
        return _Acted(result, str(action.arguments.get(argument, "")), True, "")
    return _Acted(result, action.text, False, "")


def _call_cost(result, price: float) -> float:
    return price * (result.prompt_tokens + result.completion_tokens) / 1000


def run_auction(
    client, bidders: list[Bidder], tasks: pd.DataFrame, settings: AuctionSettings | None = None, grade=grade_number
) -> AuctionRun:
    """Auction every task of ``tasks`` (columns ``task_id``, ``prompt``, ``gold``) in order, memory carried over.

    ``client`` is an :class:`agenteff.llm.LLMClient` on any endpoint serving the bidders' (and jurors') models;
    ``grade(answer, gold)`` decides success. Costs are ``price_per_token * tokens / 1000`` per call.
    """
    settings = settings or AuctionSettings()
    if not bidders:
        raise ValueError("run_auction: give at least one bidder")
    prices = {b.model: b.price_per_token for b in bidders}
    jurors = list(settings.jury or prices)
    unknown = [j for j in jurors if j not in prices]
    if unknown:
        raise ValueError(f"run_auction: jurors {unknown} are not bidders, so they have no price")
    _require_tasks(tasks)
    encodings = {
        model: resolve_encoding(client, model, settings.encoding) for model in dict.fromkeys([*prices, *jurors])
    }
    planning = plan_tool(settings.plan_words)
    memory = _Memory()
    bid_rows, outcome_rows = [], []
    with ThreadPoolExecutor(max_workers=int(getattr(client, "max_concurrency", 8))) as pool:
        for task in tasks.itertuples(index=False):
            examples = memory.examples(task.prompt, settings.memory_neighbours, settings.memory_examples)
            plan_messages = _plan_messages(task.prompt, settings, examples)
            planned = [
                pool.submit(
                    _act, client, b.model, plan_messages, planning, encodings[b.model], settings.plan_max_tokens
                )
                for b in bidders
            ]
            plans = [future.result() for future in planned]
            judged = [
                pool.submit(
                    _act,
                    client,
                    juror,
                    _verdict_messages(task.prompt, plan.value),
                    SCORE_TOOL,
                    encodings[juror],
                    settings.verdict_max_tokens,
                )
                for plan in plans
                for juror in jurors
            ]
            verdicts = [future.result() for future in judged]
            rows = []
            for i, (bidder, plan) in enumerate(zip(bidders, plans)):
                own = verdicts[i * len(jurors) : (i + 1) * len(jurors)]
                rows.append(
                    {
                        "task_id": task.task_id,
                        "model": bidder.model,
                        "served_model": plan.result.model,
                        "plan": plan.value,
                        "plan_tokens": plan.result.completion_tokens,
                        "plan_cost": bidder.price_per_token * plan.result.completion_tokens,
                        "jury": float(np.mean([_jury_score(v.value) for v in own])),
                        "entropy": plan_entropy(plan.value),
                        "memory": settings.memory_weight
                        * memory.adjustment(task.prompt, bidder.model, settings.memory_neighbours),
                        "call_cost": _call_cost(plan.result, bidder.price_per_token)
                        + sum(_call_cost(v.result, prices[j]) for v, j in zip(own, jurors)),
                        "action_encoding": encodings[bidder.model],
                        "actions": 1 + len(own),
                        "tool_calls": sum(a.tool_call for a in (plan, *own)),
                        "malformed": sum(bool(a.malformed) for a in (plan, *own)),
                    }
                )
            bids = pd.DataFrame(rows)
            top = bids["plan_cost"].max()
            bids["cost"] = settings.cost_weight * (bids["plan_cost"] / top if top > 0 else 0.0)
            bids["value"] = (
                (1 - settings.entropy_weight) * bids["jury"]
                + settings.entropy_weight * (1 - bids["entropy"])
                + bids["memory"]
            )
            bids["score"] = bids["cost"] - bids["value"]
            winner = int(bids["score"].to_numpy().argmin())  # ties: the first bidder listed (cheapest, by convention)
            bids["won"] = np.arange(len(bids)) == winner
            bidder = bidders[winner]
            answer = client.chat(
                bidder.model,
                [
                    {"role": "system", "content": EXECUTE_PROMPT},
                    {"role": "user", "content": f"Task: {task.prompt}\n\nPlan:\n{bids['plan'].iloc[winner]}"},
                ],
                max_tokens=settings.answer_max_tokens,
            )
            success = bool(grade(answer.content, task.gold))
            memory.add(task.prompt, bidder.model, success, dict(zip(bids["model"], bids["plan"])))
            overhead = float(bids["call_cost"].sum())
            execution = _call_cost(answer, bidder.price_per_token)
            outcome_rows.append(
                {
                    "task_id": task.task_id,
                    "winner": bidder.model,
                    "served_model": answer.model,
                    "answer": answer.content,
                    "success": success,
                    "execution_cost": execution,
                    "auction_cost": overhead,
                    "cost": execution + overhead,
                    "simulated": answer.simulated,
                }
            )
            bid_rows.append(bids)
    return AuctionRun(pd.concat(bid_rows, ignore_index=True), pd.DataFrame(outcome_rows))


def run_single(
    client, bidder: Bidder, tasks: pd.DataFrame, settings: AuctionSettings | None = None, grade=grade_number
) -> pd.DataFrame:
    """The baseline: ``bidder`` alone answers every task directly (no plan, no jury). One row per task."""
    settings = settings or AuctionSettings()
    _require_tasks(tasks)
    replies = client.chat_many(
        [
            {
                "model": bidder.model,
                "max_tokens": settings.answer_max_tokens,
                "messages": [
                    {"role": "system", "content": SOLVE_PROMPT},
                    {"role": "user", "content": f"Task: {prompt}"},
                ],
            }
            for prompt in tasks["prompt"]
        ],
        desc=f"{bidder.model} alone",
    )
    return pd.DataFrame(
        {
            "task_id": tasks["task_id"].to_numpy(),
            "winner": bidder.model,
            "served_model": [r.model for r in replies],
            "answer": [r.content for r in replies],
            "success": [bool(grade(r.content, g)) for r, g in zip(replies, tasks["gold"])],
            "cost": [_call_cost(r, bidder.price_per_token) for r in replies],
            "simulated": [r.simulated for r in replies],
        }
    )


def _require_tasks(tasks: pd.DataFrame) -> None:
    missing = [c for c in ("task_id", "prompt", "gold") if c not in tasks.columns]
    if missing:
        raise KeyError(f"tasks lack the columns {missing} (have {list(tasks.columns)})")
    if tasks.empty:
        raise ValueError("tasks is empty")


def reliance_and_cost(outcomes: pd.DataFrame, baseline: pd.DataFrame, largest: str) -> dict:
    """The paper's two headline measures of an auction against always the largest agent.

    ``reliance_reduction`` = 1 - (share of tasks the largest agent won in the auction) / (its share in the
    baseline, 1); ``cost_reduction`` = 1 - auction total cost / baseline total cost; plus both pass@1 values.
    """
    share = float((outcomes["winner"] == largest).mean())
    baseline_share = float((baseline["winner"] == largest).mean())
    return {
        "largest_share": share,
        "reliance_reduction": 1 - share / baseline_share,
        "auction_cost": float(outcomes["cost"].sum()),
        "baseline_cost": float(baseline["cost"].sum()),
        "cost_reduction": 1 - float(outcomes["cost"].sum()) / float(baseline["cost"].sum()),
        "auction_pass1": float(outcomes["success"].mean()),
        "baseline_pass1": float(baseline["success"].mean()),
    }


# --- the simulated agents ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SimulatedSkill:
    """How a simulated agent of ``size_b`` billion parameters fares on a task of ``steps`` steps.

    P(a flawless plan, or a right direct answer) = sigmoid(``base_logit`` - steps * ``difficulty`` /
    size_b ** ``exponent``): every size does well on one step, and the per-step penalty shrinks with size, so
    small agents fall behind as complexity grows (the paper's premise, built in). A juror of size j misreads a
    plan's score with noise of sd ``jury_noise`` / sqrt(j) points; plans carry ``verbosity`` / sqrt(size_b)
    filler words (small agents ramble); a flawless plan is executed wrongly with probability ``slip``.
    Executing or solving shows ``work_tokens_per_step`` tokens of work per step (as reasoning), standing in for
    the long trajectory an agent runs: execution, not planning, is where an agent's cost usually lies.
    """

    base_logit: float = 3.0
    difficulty: float = 2.0
    exponent: float = 0.5
    jury_noise: float = 6.0
    verbosity: float = 24.0
    slip: float = 0.02
    work_tokens_per_step: int = 250

    def p_right(self, size_b: float, steps: int) -> float:
        return 1 / (1 + math.exp(-(self.base_logit - steps * self.difficulty / size_b**self.exponent)))


def simulated_agents(sizes_b, skill: SimulatedSkill | None = None, prefix: str = "sim-agent") -> list[SimModel]:
    """Simulated agents, one per size, named ``<prefix>-<size>b``, playing :func:`simulated_behaviour`; they act
    by native tool calls, and by JSON actions when a request's schema asks (as a server's grammar enforces)."""
    skill = skill or SimulatedSkill()
    return [
        SimModel(
            f"{prefix}-{size:g}b",
            behaviour="agenteff.engines.auction:simulated_behaviour",
            error_prob=0.0,
            latency_mean_s=0.0,
            latency_sd_s=0.0,
            params={"size_b": float(size), "skill": skill.__dict__, "json_schema": True},
        )
        for size in sizes_b
    ]


def _task_steps(text: str) -> tuple[int | None, list[tuple[str, int]]]:
    start = _START.search(text)
    return (int(start.group(1)) if start else None), [(op, int(n)) for op, n in _STEP.findall(text)]


def _apply(start: int, steps: list[tuple[str, int]]) -> int:
    value = start
    for operation, number in steps:
        value = _OPERATIONS[operation](value, number)
    return value


def _said(value, tools, tool: str, argument: str) -> dict:
    """A simulated reply saying ``value``: a call of ``tool`` when the request offers tools, else the text."""
    if tools:
        return {"content": None, "tool_calls": [{"name": tool, "arguments": {argument: value}}]}
    return {"content": str(value), "tool_calls": [], "reasoning_content": None}


def simulated_behaviour(messages, tools, model: SimModel, rng: np.random.Generator) -> dict:
    """A simulated agent for the arithmetic tasks of :func:`arithmetic_tasks` (SIMULATED; see SimulatedSkill).

    Offered tools, the plan and the verdict are calls of :func:`plan_tool` and :data:`SCORE_TOOL`.

    * Planning (system prompt :data:`PLAN_PROMPT`): lists the task's steps, "N. add 3"; with probability
      1 - p_right one step's number is wrong. Filler words precede the steps.
    * Jury (:data:`JURY_PROMPT`): checks the plan's steps against the task's, scores 10 x right / total minus 3
      per wrong or missing step, plus the juror's noise, rounded and clipped to 0..10.
    * Execution (:data:`EXECUTE_PROMPT`): applies the plan's steps to the start value (a slip adds 1).
    * Direct solving (:data:`SOLVE_PROMPT`): right with probability p_right, else off by 1 to 9.
    Both show their work as reasoning tokens (``work_tokens_per_step`` per step).
    """
    skill = SimulatedSkill(**model.params["skill"])
    size = float(model.params["size_b"])
    system = messages[0]["content"] if messages and messages[0]["role"] == "system" else ""
    user = messages[-1]["content"]
    task = user.split("\n\n", 1)[0]
    start, steps = _task_steps(task)
    if start is None:
        return {"content": "I cannot parse the task.", "tool_calls": [], "reasoning_content": None}
    if system.startswith(PLAN_PROMPT.split("{", 1)[0][:40]):
        planned = list(steps)
        if planned and rng.random() > skill.p_right(size, len(steps)):
            wrong = int(rng.integers(len(planned)))
            operation, number = planned[wrong]
            planned[wrong] = (operation, number + int(rng.integers(1, 5)))
        filler = " ".join(["carefully"] * int(round(skill.verbosity / math.sqrt(size))))
        lines = [f"Plan, {filler}:"] + [f"{i + 1}. {op} {n}" for i, (op, n) in enumerate(planned)]
        return _said("\n".join(lines), tools, "submit_plan", "plan")
    plan_steps = _task_steps("Start with 0. " + user.split("Plan:", 1)[1])[1] if "Plan:" in user else []
    if system.startswith(JURY_PROMPT):  # a structured juror's system prompt also lists the tools
        right = sum(a == b for a, b in zip(plan_steps, steps))
        wrong = max(len(steps), len(plan_steps)) - right
        score = 10 * right / max(len(steps), 1) - 3 * wrong + rng.normal(0, skill.jury_noise / math.sqrt(size))
        return _said(int(min(max(round(score), 0), 10)), tools, "score_plan", "score")
    work = " ".join(["work"] * (skill.work_tokens_per_step * len(steps))) or None
    if system == EXECUTE_PROMPT:
        value = _apply(start, plan_steps) + (1 if rng.random() < skill.slip else 0)
        return {"content": str(value), "tool_calls": [], "reasoning_content": work}
    value = _apply(start, steps)
    if rng.random() > skill.p_right(size, len(steps)):
        value += int(rng.integers(1, 10))
    return {"content": str(value), "tool_calls": [], "reasoning_content": work}
