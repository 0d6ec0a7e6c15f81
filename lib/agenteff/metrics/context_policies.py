"""Counterfactual context policies: re-cost a real trace as if the agent had managed its context another way.

A run's trace is read from its STEPS as the prompt of each agent call (:func:`turn_traces`): the first prompt
``base`` (system prompt, tools, task), then after call t the tokens the next prompt gained, split into the agent's
own output kept in the context (``action``, at most the call's completion tokens) and everything else
(``observation``: tool results and user messages, with ``tool`` the part from tools, apportioned by characters).
A policy turns that trace into the sequence of model calls it would have made (:class:`ModelCall`), each prompt a
list of labelled segments; :func:`price_calls` prices them with or without exact-prefix caching, where a call's
cached tokens are the segments it shares, from the start, with the previous call on the same context (as
llama.cpp, vLLM and the hosted APIs reuse a prefix).

The policies, each the project's re-implementation from the sources' descriptions and released code:

* :class:`MonoContext` -- ReAct as observed: every action and observation stays;
* :class:`Workspace` -- IterResearch's Markovian workspace: base + the last report + the last action and
  observation (observation capped); the report (``report_tokens``, an explicit assumption) is written anew every
  round, so it is output, then fresh input;
* :class:`Resum` -- ReSum: when the context reaches ``trigger_share`` of ``context_limit``, one call summarises
  it into ``summary_tokens`` and the context restarts from base + summary (a saw-tooth);
* :class:`Omission` -- Agent-Omit-style: observations older than ``keep_last`` turns become a placeholder;
* :class:`OffloadLongOutputs` -- Terminus-style: a tool output over ``threshold`` tokens is read by a subagent
  (its own uncached call) and replaced in the main context by a ``summary_tokens`` summary.

What the traces cannot say: whether the agent would still have solved the task under another policy, and what
its calls would then have contained. The re-costing keeps the observed actions and observations.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ._tables import require as _require
from .context import agent_calls

__all__ = [
    "Prices",
    "RunTrace",
    "ModelCall",
    "MonoContext",
    "Workspace",
    "Resum",
    "Omission",
    "OffloadLongOutputs",
    "calls_of",
    "turn_traces",
    "stationary_trace",
    "price_calls",
    "recost",
    "cumulative_cost_by_turn",
    "crossover_horizon",
]

Segment = tuple[str, int, float]  # (what, turn it belongs to, tokens)


@dataclass(frozen=True)
class Prices:
    """USD per million tokens: fresh input, cached input, output."""

    input: float
    cached_input: float
    output: float

    def __post_init__(self):
        for name in ("input", "cached_input", "output"):
            value = getattr(self, name)
            if not np.isfinite(value) or value < 0:
                raise ValueError(f"Prices.{name} must be a finite number >= 0, got {value!r}")

    @classmethod
    def of(cls, table: pd.DataFrame, model: str) -> Prices:
        """The row of ``model`` in a ``model-prices`` table; a missing cached price means cached input is billed
        as input."""
        rows = table[table["model"] == model]
        if rows.empty:
            raise KeyError(f"no price for model {model!r}; the table has {', '.join(sorted(table['model']))}")
        row = rows.iloc[0]
        cached = row["cached_input_usd_per_mtok"]
        return cls(
            float(row["input_usd_per_mtok"]),
            float(row["input_usd_per_mtok"] if pd.isna(cached) else cached),
            float(row["output_usd_per_mtok"]),
        )


@dataclass(frozen=True)
class RunTrace:
    """One run as its policies see it; arrays are per agent call t = 1..T (``observation[T-1]`` is 0)."""

    run_id: str
    base: float
    action: np.ndarray
    observation: np.ndarray
    tool: np.ndarray
    completion: np.ndarray
    rebuilt: dict[int, float] = field(default_factory=dict)  # call -> its prompt, where the framework rebuilt it

    @property
    def n_calls(self) -> int:
        return len(self.completion)


@dataclass(frozen=True)
class ModelCall:
    turn: int  # the agent call (1-based) this model call belongs to
    segments: tuple[Segment, ...]
    output_tokens: float
    main: bool = True  # False: a subagent's call, outside the main context (never cached)

    @property
    def prompt_tokens(self) -> float:
        return float(sum(tokens for _, _, tokens in self.segments))


def _history(run: RunTrace, upto: int, observation=None) -> list[Segment]:
    """Action and observation segments of turns 1..upto-1; ``observation(i)`` may replace turn i's."""
    segments: list[Segment] = []
    for i in range(1, upto):
        segments.append(("action", i, float(run.action[i - 1])))
        segments.append(observation(i) if observation else ("observation", i, float(run.observation[i - 1])))
    return segments


@dataclass(frozen=True)
class MonoContext:
    name: str = "mono-context"

    def calls(self, run: RunTrace) -> list[ModelCall]:
        return [
            ModelCall(t, (("base", 0, run.base), *_history(run, t)), float(run.completion[t - 1]))
            for t in range(1, run.n_calls + 1)
        ]


@dataclass(frozen=True)
class Workspace:
    report_tokens: float
    max_observation_tokens: float = 32000
    name: str = field(default="", compare=False)

    def __post_init__(self):
        if self.report_tokens < 0 or self.max_observation_tokens <= 0:
            raise ValueError("Workspace: report_tokens must be >= 0 and max_observation_tokens > 0")
        object.__setattr__(self, "name", self.name or f"workspace (report {self.report_tokens:g})")

    def calls(self, run: RunTrace) -> list[ModelCall]:
        out = []
        for t in range(1, run.n_calls + 1):
            segments: list[Segment] = [("base", 0, run.base)]
            if t > 1:
                observed = min(float(run.observation[t - 2]), self.max_observation_tokens)
                segments += [
                    ("report", t - 1, self.report_tokens),
                    ("action", t - 1, float(run.action[t - 2])),
                    ("observation", t - 1, observed),
                ]
            writes_report = t < run.n_calls  # the last round answers; every other one rewrites the report
            out.append(ModelCall(t, tuple(segments), float(run.completion[t - 1]) + self.report_tokens * writes_report))
        return out


@dataclass(frozen=True)
class Resum:
    context_limit: float
    summary_tokens: float
    trigger_share: float = 0.9
    name: str = field(default="", compare=False)

    def __post_init__(self):
        if not 0 < self.trigger_share <= 1 or self.context_limit <= 0 or self.summary_tokens < 0:
            raise ValueError("Resum: need 0 < trigger_share <= 1, context_limit > 0 and summary_tokens >= 0")
        object.__setattr__(self, "name", self.name or f"ReSum (limit {self.context_limit:g})")

    def calls(self, run: RunTrace) -> list[ModelCall]:
        trigger = self.trigger_share * self.context_limit
        context: list[Segment] = [("base", 0, run.base)]
        out = []
        for t in range(1, run.n_calls + 1):
            if t > 1:
                context += [
                    ("action", t - 1, float(run.action[t - 2])),
                    ("observation", t - 1, float(run.observation[t - 2])),
                ]
            if sum(tokens for *_, tokens in context) >= trigger and len(context) > 1:
                out.append(ModelCall(t, tuple(context), self.summary_tokens))
                context = [("base", 0, run.base), ("summary", t, self.summary_tokens)]
            out.append(ModelCall(t, tuple(context), float(run.completion[t - 1])))
        return out


@dataclass(frozen=True)
class Omission:
    keep_last: int
    placeholder_tokens: float = 0
    name: str = field(default="", compare=False)

    def __post_init__(self):
        if self.keep_last < 0 or self.placeholder_tokens < 0:
            raise ValueError("Omission: keep_last and placeholder_tokens must be >= 0")
        object.__setattr__(self, "name", self.name or f"omission (keep {self.keep_last})")

    def calls(self, run: RunTrace) -> list[ModelCall]:
        out = []
        for t in range(1, run.n_calls + 1):

            def observation(i, t=t) -> Segment:
                if i < t - self.keep_last:
                    return ("placeholder", i, float(self.placeholder_tokens))
                return ("observation", i, float(run.observation[i - 1]))

            segments = (("base", 0, run.base), *_history(run, t, observation))
            out.append(ModelCall(t, segments, float(run.completion[t - 1])))
        return out


@dataclass(frozen=True)
class OffloadLongOutputs:
    threshold: float
    summary_tokens: float
    name: str = field(default="", compare=False)

    def __post_init__(self):
        if self.threshold < 0 or self.summary_tokens < 0:
            raise ValueError("OffloadLongOutputs: threshold and summary_tokens must be >= 0")
        object.__setattr__(self, "name", self.name or f"offload outputs > {self.threshold:g}")

    def _offloaded(self, run: RunTrace, i: int) -> bool:
        return float(run.tool[i - 1]) > self.threshold

    def calls(self, run: RunTrace) -> list[ModelCall]:
        def observation(i) -> Segment:
            if self._offloaded(run, i):
                rest = float(run.observation[i - 1] - run.tool[i - 1])
                return ("summarised observation", i, rest + self.summary_tokens)
            return ("observation", i, float(run.observation[i - 1]))

        out = []
        for t in range(1, run.n_calls + 1):
            if t > 1 and self._offloaded(run, t - 1):
                out.append(ModelCall(t, (("tool output", t - 1, float(run.tool[t - 2])),), self.summary_tokens, False))
            segments = (("base", 0, run.base), *_history(run, t, observation))
            out.append(ModelCall(t, segments, float(run.completion[t - 1])))
        return out


def calls_of(policy, run: RunTrace) -> list[ModelCall]:
    """The policy's calls on ``run``, except that a call whose prompt the agent's framework rebuilt (the observed
    prompt shrank, as in AgentStop's forced final-answer call) is sent as observed, under every policy: that
    prompt is the framework's, outside the policy, and shares no prefix with the calls before it."""
    out = policy.calls(run)
    if not run.rebuilt:
        return out
    last_main = {call.turn: i for i, call in enumerate(out) if call.main}
    for turn, prompt in run.rebuilt.items():
        i = last_main[turn]
        out[i] = ModelCall(turn, (("rebuilt", turn, prompt),), out[i].output_tokens)
    return out


def _shared_prefix(previous: tuple[Segment, ...], current: tuple[Segment, ...]) -> float:
    shared = 0.0
    for before, now in zip(previous, current):
        if before != now:
            break
        shared += now[2]
    return shared


def price_calls(calls: list[ModelCall], prices: Prices) -> pd.DataFrame:
    """One row per call: ``turn, main, prompt_tokens, cached_tokens`` (the segments shared from the start with the
    previous main-context call; 0 for a subagent's call), ``output_tokens``, ``cost_cached_usd`` (cached tokens at
    the cached price) and ``cost_uncached_usd`` (every prompt token at the input price)."""
    rows = []
    previous: tuple[Segment, ...] = ()
    for call in calls:
        prompt = call.prompt_tokens
        cached = _shared_prefix(previous, call.segments) if call.main else 0.0
        if call.main:
            previous = call.segments
        output_cost = call.output_tokens * prices.output
        fresh_cost = (prompt - cached) * prices.input
        rows.append(
            {
                "turn": call.turn,
                "main": call.main,
                "prompt_tokens": prompt,
                "cached_tokens": cached,
                "output_tokens": call.output_tokens,
                "cost_cached_usd": (fresh_cost + cached * prices.cached_input + output_cost) / 1e6,
                "cost_uncached_usd": (prompt * prices.input + output_cost) / 1e6,
            }
        )
    return pd.DataFrame(rows)


def _tool_shares(steps: pd.DataFrame, call_rows: pd.Index) -> pd.Series:
    """Per (run, call): the share of the characters between this agent call and the next that tool results hold.
    Missing where nothing between them has text (a code agent's trace logs no tool output): read as all tool."""
    ordered = steps.sort_values(["run_id", "step"])
    is_call = pd.Series(ordered.index.isin(call_rows), index=ordered.index)
    after_call = is_call.groupby(ordered["run_id"]).cumsum()
    chars = ordered["content"].fillna("").astype(str).str.len() if "content" in ordered else 0 * after_call
    gaps = pd.DataFrame(
        {
            "run_id": ordered["run_id"],
            "call": after_call,
            "chars": chars,
            "tool_chars": chars.where(ordered["role"].eq("tool"), 0),
        }
    )[~is_call]
    sums = gaps.groupby(["run_id", "call"])[["chars", "tool_chars"]].sum()
    return (sums["tool_chars"] / sums["chars"].where(sums["chars"] > 0)).rename("tool_share")


def turn_traces(steps: pd.DataFrame) -> list[RunTrace]:
    """Each run's trace (see the module docstring), from its agent calls' prompt and completion tokens.

    Between calls t and t+1 the prompt grew by ``d = P(t+1) - P(t)``: ``action = min(completion, d)`` of it is
    read as the agent's own output kept in the context, the rest ``observation = d - action``. A prompt that
    shrinks was rebuilt by the agent's framework: both are 0 and the call is recorded in ``rebuilt`` with its
    observed prompt (see :func:`calls_of`).
    """
    _require(steps, ["run_id", "step", "role", "prompt_tokens", "completion_tokens"], "turn_traces")
    steps = steps.reset_index(drop=True)
    calls = agent_calls(steps.rename_axis("_row").reset_index())
    calls = calls[calls["completion_tokens"].notna()]
    shares = _tool_shares(steps, pd.Index(calls["_row"]))
    calls = calls.join(shares, on=["run_id", "call"])
    calls["tool_share"] = calls["tool_share"].fillna(1.0)
    traces = []
    for run_id, sub in calls.groupby("run_id", sort=True):
        prompt = sub["prompt_tokens"].astype(float).to_numpy()
        completion = sub["completion_tokens"].astype(float).to_numpy()
        growth = np.append(np.clip(np.diff(prompt), 0, None), 0.0)
        action = np.minimum(completion, growth)
        action[-1] = 0.0
        observation = growth - action
        tool = observation * sub["tool_share"].to_numpy()
        rebuilt = {int(t) + 2: float(prompt[t + 1]) for t in np.flatnonzero(np.diff(prompt) < 0)}
        traces.append(RunTrace(str(run_id), float(prompt[0]), action, observation, tool, completion, rebuilt))
    return traces


def stationary_trace(
    base: float, action: float, observation: float, completion: float, n_calls: int, tool_share: float = 1.0
) -> RunTrace:
    """A synthetic run of ``n_calls`` identical turns (for horizons longer than any observed run)."""
    if n_calls < 1:
        raise ValueError(f"stationary_trace: n_calls must be at least 1, got {n_calls}")
    if min(base, action, observation, completion) < 0 or not 0 <= tool_share <= 1:
        raise ValueError("stationary_trace: token counts must be >= 0 and tool_share in [0, 1]")
    ones = np.ones(n_calls)
    obs = observation * ones
    obs[-1] = 0.0
    acts = action * ones
    acts[-1] = 0.0
    return RunTrace("stationary", float(base), acts, obs, obs * tool_share, completion * ones)


def recost(traces: list[RunTrace], policies, prices: Prices) -> pd.DataFrame:
    """Per run and policy: ``n_calls`` (agent turns), ``model_calls``, ``prompt_tokens`` and ``main_prompt_tokens``
    (the main context's only), ``peak_prompt_tokens``, ``cached_tokens``, ``output_tokens``, ``cost_cached_usd``,
    ``cost_uncached_usd``."""
    rows = []
    for run in traces:
        for policy in policies:
            priced = price_calls(calls_of(policy, run), prices)
            main = priced[priced["main"]]
            rows.append(
                {
                    "run_id": run.run_id,
                    "policy": policy.name,
                    "n_calls": run.n_calls,
                    "model_calls": len(priced),
                    "prompt_tokens": priced["prompt_tokens"].sum(),
                    "main_prompt_tokens": main["prompt_tokens"].sum(),
                    "peak_prompt_tokens": main["prompt_tokens"].max(),
                    "cached_tokens": priced["cached_tokens"].sum(),
                    "output_tokens": priced["output_tokens"].sum(),
                    "cost_cached_usd": priced["cost_cached_usd"].sum(),
                    "cost_uncached_usd": priced["cost_uncached_usd"].sum(),
                }
            )
    return pd.DataFrame(rows)


def cumulative_cost_by_turn(run: RunTrace, policies, prices: Prices) -> pd.DataFrame:
    """Per policy and turn T: the cost of the run's first T turns (subagent and summary calls included), with and
    without caching. Returns ``policy, turn, cost_cached_usd, cost_uncached_usd`` (cumulative)."""
    frames = []
    for policy in policies:
        priced = price_calls(calls_of(policy, run), prices)
        per_turn = priced.groupby("turn")[["cost_cached_usd", "cost_uncached_usd"]].sum().cumsum().reset_index()
        frames.append(per_turn.assign(policy=policy.name))
    return pd.concat(frames, ignore_index=True)[["policy", "turn", "cost_cached_usd", "cost_uncached_usd"]]


def crossover_horizon(cumulative: pd.DataFrame, policy: str, baseline: str, cost: str = "cost_cached_usd"):
    """The fewest turns T* from which ``policy`` costs strictly less than ``baseline`` at every longer horizon in
    ``cumulative`` (:func:`cumulative_cost_by_turn`); None when it is not cheaper at the longest horizon."""
    _require(cumulative, ["policy", "turn", cost], "crossover_horizon")
    table = cumulative.pivot(index="turn", columns="policy", values=cost).sort_index()
    for name in (policy, baseline):
        if name not in table:
            raise KeyError(f"crossover_horizon: no policy {name!r} in the table")
    cheaper = (table[policy] < table[baseline]).to_numpy()
    if not cheaper[-1]:
        return None
    dearer = np.flatnonzero(~cheaper)
    return int(table.index[dearer[-1] + 1]) if len(dearer) else int(table.index[0])
