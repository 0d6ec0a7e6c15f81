"""The five coordination topologies of Kim et al. (arXiv:2512.08296, section 3 and appendix) as orchestration code.

Each topology runs agents through an OpenAI-compatible chat client (:class:`agenteff.llm.LLMClient` or anything
with the same ``chat`` method), executes their tool calls against the task's data, routes their messages to
one another, and records every model call as a step of a :data:`agenteff.schema.STEPS` trajectory.

Protocol (defaults as in the paper, all in :class:`Limits`):

* **single**: one agent, at most ``max_iterations`` (10) turns.
* **independent**: ``n`` workers, each alone on the task (``max_iterations`` turns, no communication); an
  aggregator combines their outputs (synthesis only: it checks nothing).
* **centralized**: an orchestrator and ``n - 1`` workers; at most ``max_rounds`` (5) rounds in which the
  orchestrator assigns items and each assigned worker gets ``worker_iterations`` (3) turns; the orchestrator
  checks the reports and answers.
* **decentralized**: ``n`` peers solve the task, then up to ``debate_rounds - 1`` debate rounds (3 rounds in
  all) in which every peer reads all other peers' work and revises (``debate_iterations`` turns); stops early on
  consensus, else the majority answer wins (ties: the earliest peer's answer).
* **hybrid**: centralized rounds plus, in each round, a peer-exchange turn in which every worker reviews the
  other workers' reports and flags errors for the orchestrator.

``n_agents`` counts every agent in the system, the orchestrator included (Centralized and Hybrid with 3 workers
have ``n_agents = 4``, as in the paper's regression); Independent's aggregator is a synthesis step, not an agent.

Inter-agent messages are recorded in the extra step column ``recipients`` (comma-separated agent ids that
received the step's text from the orchestration code): an orchestrator's assignment, a worker's report, a peer's
shared work, a review's flags, an output sent to the aggregator.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING

from ...schema import ARCHITECTURES
from ..actions import chat_action, conversation_messages, steps_fields
from . import protocol as P
from .suites import Task, grade, tool_result_text

if TYPE_CHECKING:  # the simulated endpoint imports this package; it must not load the openai SDK
    from ...llm.client import LLMClient

__all__ = ["ARCHITECTURES", "MULTI_AGENT_ARCHITECTURES", "DEFAULT_AGENTS", "Limits", "Trajectory", "run_topology"]

#: The multi-agent ones: every architecture but the single-agent baseline.
MULTI_AGENT_ARCHITECTURES = tuple(a for a in ARCHITECTURES if a != "single")
#: The paper's agent counts (orchestrators included).
DEFAULT_AGENTS = {"single": 1, "independent": 3, "centralized": 4, "decentralized": 3, "hybrid": 4}
_MIN_AGENTS = {"single": 1, "independent": 1, "centralized": 2, "decentralized": 1, "hybrid": 2}


@dataclass(frozen=True)
class Limits:
    """Turn and round limits of the protocols (defaults: the paper's)."""

    max_iterations: int = 10  # single agent; each independent worker; each peer's first round
    max_rounds: int = 5  # centralized and hybrid orchestration rounds
    worker_iterations: int = 3  # turns per worker per round
    debate_rounds: int = 3  # decentralized rounds, the first (solving) round included
    debate_iterations: int = 3  # turns per peer per debate round

    def __post_init__(self):
        for name, value in self.__dict__.items():
            if int(value) < 1:
                raise ValueError(f"limit {name} must be at least 1, not {value}")

    @classmethod
    def of(cls, overrides: dict | None) -> Limits:
        """The paper's limits with ``overrides`` (``{field: value}``, None for none); an unknown field is an error
        naming the known ones."""
        overrides = dict(overrides or {})
        unknown = sorted(set(overrides) - {f.name for f in fields(cls)})
        if unknown:
            raise ValueError(f"unknown limit(s) {unknown}; the limits are {[f.name for f in fields(cls)]}")
        return cls(**overrides)


@dataclass
class Trajectory:
    """One run in progress: calls the model, executes tools, and records each call as a step.

    Agents act through :mod:`agenteff.engines.actions` in ``encoding`` (native tool calls or structured JSON
    actions); a step records the same action columns either way."""

    client: LLMClient
    model: str
    task: Task
    seed: int
    run_id: str
    temperature: float = 0.0
    max_tokens: int | None = None
    encoding: str = "native"
    steps: list[dict] = field(default_factory=list)
    turns: Counter = field(default_factory=Counter)
    served: set = field(default_factory=set)  # the model ids the replies reported

    def call(self, agent_id: str, role: str, round_: int, messages: list[dict], with_tools: bool = True) -> list:
        """One model call by ``agent_id``: runs the tool calls of its reply, appends the reply and their results
        to ``messages``, records the step, and returns the reply's actions."""
        tools = self.task.tools if with_tools else None
        result, replied = chat_action(
            self.client,
            self.model,
            messages,
            tools,
            self.encoding,
            temperature=self.temperature,
            max_tokens=self.max_tokens,
            seed=self.seed,
        )
        self.served.add(result.model or self.model)
        observations = [
            tool_result_text(self.task.call(action.tool, action.arguments)) for action in replied if action.is_tool_call
        ]
        self.steps.append(
            {
                "run_id": self.run_id,
                "step": len(self.steps),
                "agent_id": agent_id,
                "role": role,
                "round": round_,
                "turn": self.turns[agent_id],
                "content": replied[0].text,
                **steps_fields(self.encoding if tools else None, replied, observations),
                "prompt_tokens": result.prompt_tokens,
                "completion_tokens": result.completion_tokens,
                "cached_tokens": result.cached_tokens,
                "latency_s": result.latency_s,
                "cost_usd": result.cost_usd,
                "simulated": bool(result.simulated),
                "recipients": "",
            }
        )
        self.turns[agent_id] += 1
        messages.extend(conversation_messages(self.encoding, result, replied, observations))
        return replied

    def say(self, agent_id: str, role: str, round_: int, messages: list[dict]) -> str:
        """One call without tools (an orchestrator's, an aggregator's, a review): the reply's text."""
        return self.call(agent_id, role, round_, messages, with_tools=False)[0].text

    def act(self, agent_id: str, role: str, round_: int, messages: list[dict], budget: int) -> str:
        """Let an agent take up to ``budget`` turns, running its tool calls; return its replies' text. A reply
        without a valid tool call ends the act (a malformed one is recorded in its step, never retried)."""
        texts = []
        for _ in range(budget):
            replied = self.call(agent_id, role, round_, messages)
            texts += [action.text for action in replied[:1] if not action.malformed]
            if not any(action.is_tool_call for action in replied):
                break
        return "\n".join(t for t in texts if t)

    def send(self, agent_id: str, recipients: list[str]) -> None:
        """Record that ``agent_id``'s latest step was delivered to ``recipients``."""
        step = next(s for s in reversed(self.steps) if s["agent_id"] == agent_id)
        known = [r for r in step["recipients"].split(",") if r]
        step["recipients"] = ",".join(known + [r for r in recipients if r not in known and r != agent_id])


def _opening(task: Task, role: str, agent_id: str, budget: int, **lines) -> list[dict]:
    return [
        {"role": "system", "content": P.system_prompt(role, agent_id, budget, **lines)},
        {"role": "user", "content": task.prompt},
    ]


def _single(run: Trajectory, n_agents: int, limits: Limits):
    messages = _opening(run.task, "single", "a1", limits.max_iterations)
    return P.parse_final(run.act("a1", "single", 0, messages, limits.max_iterations))


def _independent(run: Trajectory, n_agents: int, limits: Limits):
    outputs = []
    for i in range(1, n_agents + 1):
        worker = f"w{i}"
        messages = _opening(run.task, "worker", worker, limits.max_iterations, team=f"{i}/{n_agents}")
        text = run.act(worker, "worker", 1, messages, limits.max_iterations)
        run.send(worker, ["aggregator"])
        outputs.append(P.block("OUTPUT from", worker, text))
    messages = _opening(run.task, "aggregator", "aggregator", 1)
    messages.append({"role": "user", "content": "\n\n".join(outputs)})
    return P.parse_final(run.say("aggregator", "aggregator", 2, messages))


def _peer_exchange(run: Trajectory, workers: list[str], reports: dict[str, str], round_: int) -> list[str]:
    """Hybrid: every worker reviews the other workers' reports of this round; returns the FLAGS blocks."""
    for reporter in reports:
        run.send(reporter, [w for w in workers if w != reporter])
    flags = []
    for worker in workers:
        others = [P.block("REPORT from", w, text, round_) for w, text in reports.items() if w != worker]
        if not others:
            continue
        messages = _opening(run.task, "peer", worker, 1)
        messages.append({"role": "user", "content": f"PEER REVIEW (round {round_})\n\n" + "\n\n".join(others)})
        reply = run.say(worker, "peer", round_, messages)
        run.send(worker, ["orchestrator"])
        flags.append(P.block("FLAGS from", worker, reply, round_))
    return flags


def _orchestrated(run: Trajectory, n_agents: int, limits: Limits, peer_exchange: bool):
    workers = [f"w{i}" for i in range(1, n_agents)]
    orchestrator = _opening(
        run.task,
        "orchestrator",
        "orchestrator",
        limits.max_rounds + 1,
        workers=",".join(workers),
        worker_budget=limits.worker_iterations,
    )
    for round_ in range(1, limits.max_rounds + 2):
        instructions = run.say("orchestrator", "orchestrator", round_, orchestrator)
        answer = P.parse_final(instructions)
        if answer is not None or round_ > limits.max_rounds:
            return answer
        assigned = [w for w in P.parse_assignments(instructions) if w in workers] or workers
        run.send("orchestrator", assigned)
        reports = {}
        for worker in assigned:
            messages = _opening(run.task, "worker", worker, limits.worker_iterations)
            messages.append({"role": "user", "content": instructions})
            reports[worker] = run.act(worker, "worker", round_, messages, limits.worker_iterations)
            run.send(worker, ["orchestrator"])
        blocks = [P.block("REPORT from", w, text, round_) for w, text in reports.items()]
        if peer_exchange:
            blocks += _peer_exchange(run, workers, reports, round_)
        if round_ == limits.max_rounds:
            blocks.append("FINAL ROUND: give the FINAL ANSWER now.")
        orchestrator.append({"role": "user", "content": "\n\n".join(blocks)})
    return None


def _centralized(run: Trajectory, n_agents: int, limits: Limits):
    return _orchestrated(run, n_agents, limits, peer_exchange=False)


def _hybrid(run: Trajectory, n_agents: int, limits: Limits):
    return _orchestrated(run, n_agents, limits, peer_exchange=True)


def _majority(answers: list) -> int | None:
    """The most common answer; ties go to the answer given by the earliest peer."""
    counts = Counter(a for a in answers if a is not None)
    if not counts:
        return None
    top = max(counts.values())
    return next(a for a in answers if a is not None and counts[a] == top)


def _decentralized(run: Trajectory, n_agents: int, limits: Limits):
    peers = [f"p{i}" for i in range(1, n_agents + 1)]
    conversations = {p: _opening(run.task, "peer", p, limits.max_iterations) for p in peers}
    work = {p: run.act(p, "peer", 1, conversations[p], limits.max_iterations) for p in peers}
    answers = {p: P.parse_final(work[p]) for p in peers}
    for round_ in range(2, limits.debate_rounds + 1):
        if len(peers) == 1 or (None not in answers.values() and len(set(answers.values())) == 1):
            break
        shared = {p: P.block("PEER", p, work[p], round_ - 1) for p in peers}  # each peer's work so far
        for p in peers:
            run.send(p, [q for q in peers if q != p])
            conversations[p].append(
                {
                    "role": "user",
                    "content": "\n\n".join(shared[q] for q in peers if q != p)
                    + f"\nBUDGET: {limits.debate_iterations}",
                }
            )
        revised = {p: run.act(p, "peer", round_, conversations[p], limits.debate_iterations) for p in peers}
        answers = {p: P.parse_final(revised[p]) if P.parse_final(revised[p]) is not None else answers[p] for p in peers}
        work = {p: work[p] + "\n" + revised[p] for p in peers}
    return _majority([answers[p] for p in peers])


_RUNNERS = {
    "single": _single,
    "independent": _independent,
    "centralized": _centralized,
    "decentralized": _decentralized,
    "hybrid": _hybrid,
}


def run_topology(
    client,
    model: str,
    task: Task,
    architecture: str,
    n_agents: int | None = None,
    seed: int = 0,
    limits: Limits = Limits(),
    temperature: float = 0.0,
    max_tokens: int | None = None,
    encoding: str = "native",
) -> tuple[dict, list[dict]]:
    """Run ``task`` with one topology; return the run row (RUNS columns) and its step rows (STEPS columns).

    ``encoding``: how agents act, ``"native"`` tool calls or ``"structured"`` JSON actions
    (:mod:`agenteff.engines.actions`); the row records it (``action_encoding``) with its count of malformed
    actions (``malformed_actions``).

    ``seed`` is sent as the request's ``seed`` (the simulated endpoint draws its randomness from it), so
    repeated trials of the same run differ. ``max_tokens`` caps every completion. The row's ``served_model`` is
    the model id the replies reported (comma-separated if they differed).
    """
    if architecture not in _RUNNERS:
        raise ValueError(f"unknown architecture {architecture!r}; choose from {ARCHITECTURES}")
    n_agents = 1 if architecture == "single" else int(n_agents or DEFAULT_AGENTS[architecture])
    if n_agents < _MIN_AGENTS[architecture]:
        raise ValueError(f"{architecture} needs at least {_MIN_AGENTS[architecture]} agents, not {n_agents}")
    run_id = f"{task.suite}/{task.task_id}/{architecture}/n{n_agents}/{model}/s{seed}"
    run = Trajectory(client, model, task, seed, run_id, temperature, max_tokens, encoding)
    answer = _RUNNERS[architecture](run, n_agents, limits)
    success, score = grade(task, answer)
    steps = run.steps

    def total(key):
        return sum(s[key] for s in steps if s[key] is not None)  # an unpriced model's NaN cost stays NaN

    row = {
        "run_id": run_id,
        "task": task.task_id,
        "suite": task.suite,
        "architecture": architecture,
        "n_agents": n_agents,
        "model": model,
        "served_model": ",".join(sorted(run.served)) or None,
        "seed": seed,
        "success": success,
        "score": score,
        "cost_usd": float(total("cost_usd")),
        "prompt_tokens": int(total("prompt_tokens")),
        "completion_tokens": int(total("completion_tokens")),
        "cached_tokens": int(total("cached_tokens")),
        "latency_s": float(total("latency_s")),
        "simulated": all(s["simulated"] for s in steps),
        "answer": answer,
        "gold": task.answer,
        "n_items": len(task.items),
        "n_tools": task.n_tools,
        "action_encoding": encoding,
        "malformed_actions": sum(bool(s["malformed"]) for s in steps),
    }
    return row, steps
