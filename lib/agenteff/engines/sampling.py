"""Live sampling: k answers per problem from an OpenAI-compatible endpoint, graded, in the SAMPLES schema.

:func:`sample_problems` sends every problem ``k`` times (``sample_index`` 0..k-1, at a temperature) through
:class:`agenteff.llm.LLMClient`, grades each reply with :func:`agenteff.metrics.grading.grade`, and keeps the endpoint's
token counts and the model id each reply reports. :func:`run_sampling` does the same, resumably (one sweep job per
problem), against an :class:`agenteff.llm.Endpoint`: a live one, or the built-in simulated endpoint playing
:func:`simulated_reasoner`.

The simulated reasoner is an oracle-backed simulation, not a model: it cannot do mathematics. Inside the server
process it looks the problem up in the ``lead-math-test`` problem set, and answers it correctly with a
probability that depends on a simulated difficulty of the problem and on the length of the reasoning it samples:

* each problem gets a fixed simulated difficulty ``d`` in [0, 1) from a hash of its text (the problem file has no
  MATH level to use), and needs ``need = base_tokens * exp(difficulty_scale * d)`` reasoning tokens;
* a sample's reasoning length is lognormal around ``verbosity * need`` (sd of the log: ``spread``);
* it is correct with probability ``skill * (1 - 0.7 d) * sigmoid(log(L / need) / 0.25) * overthinking``, where
  the last factor ``max(0, 1 - overthink * max(0, log(L / (verbosity * need))))`` lowers the odds of answers far
  longer than usual (the overthinking the study looks for);
* a wrong answer is the gold answer plus a non-zero integer, so the grader has something real to reject.

Its outputs therefore illustrate the analysis pipeline (spread of correct lengths, shortest-correct savings, LEAD
targets) under assumptions stated here; they say nothing about any real model, and every table and figure made
from them is labelled simulated.
"""

from __future__ import annotations

import hashlib
import math
import re
from functools import lru_cache, partial
from typing import Any

import numpy as np
import pandas as pd

from .. import datasets
from ..datasets.recorded import RECORDED_SAMPLES
from ..metrics.grading import grade
from ..schema import SAMPLES, validate, write_table
from .sweep import Job, release_worker_clients, run_sweep, study_run_dir, worker_client

__all__ = [
    "simulated_reasoner",
    "reasoner_model",
    "problem_difficulty_u",
    "sample_problems",
    "run_sampling",
    "REASONER_DEFAULTS",
    "SIMULATED_MODEL",
    "ARITHMETIC_DATASET",
    "RECORDING",
    "arithmetic_problems",
    "record_samples",
    "generation_timeout_s",
]

SIMULATED_MODEL = "sim-reasoner"

#: Settings of the simulated reasoner (override through ``SimModel.params``).
REASONER_DEFAULTS = {
    "base_tokens": 300.0,
    "difficulty_scale": 2.0,
    "verbosity": 1.6,
    "spread": 0.45,
    "skill": 0.95,
    "overthink": 0.35,
}

_FILLER = (
    "so",
    "then",
    "let",
    "us",
    "try",
    "the",
    "sum",
    "of",
    "each",
    "term",
    "we",
    "get",
    "now",
    "check",
    "wait",
    "this",
    "case",
    "step",
    "next",
    "part",
    "hmm",
    "yes",
    "no",
    "if",
    "and",
    "root",
    "side",
)


def problem_difficulty_u(problem: str) -> float:
    """A fixed number in [0, 1) derived from the problem text (sha256), the simulated difficulty."""
    digest = hashlib.sha256(problem.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


@lru_cache(maxsize=1)
def _gold_by_prompt() -> dict[str, str]:
    problems = datasets.load("lead-math-test")
    return dict(zip(problems["prompt"], problems["gold"]))


def _wrong_answer(gold: str, rng: np.random.Generator) -> str:
    offset = int(rng.integers(1, 6)) * (1 if rng.random() < 0.5 else -1)
    if re.fullmatch(r"-?\d+", gold.strip()):
        return str(int(gold) + offset)
    return f"{gold} {'+' if offset > 0 else '-'} {abs(offset)}"


def simulated_reasoner(messages: list[dict], tools, model, rng: np.random.Generator, gold_lookup=None) -> dict:
    """The simulated reasoner's reply to a problem (see the module docstring for its assumptions).

    ``model`` is the :class:`agenteff.llm.SimModel` (its ``params`` override :data:`REASONER_DEFAULTS`);
    ``gold_lookup`` maps problem text to gold answer (default: the lead-math-test problems). A problem it cannot
    look up gets a short reply without an answer.
    """
    settings = {**REASONER_DEFAULTS, **(getattr(model, "params", None) or {})}
    problem = next(m["content"] for m in reversed(messages) if m.get("role") == "user")
    gold = (gold_lookup if gold_lookup is not None else _gold_by_prompt()).get(problem)
    if gold is None:
        return {
            "content": "I cannot look this problem up (simulated reasoner).",
            "tool_calls": [],
            "reasoning_content": None,
        }
    difficulty = problem_difficulty_u(problem)
    need = settings["base_tokens"] * math.exp(settings["difficulty_scale"] * difficulty)
    typical = settings["verbosity"] * need
    tokens = max(20, int(round(typical * math.exp(settings["spread"] * rng.standard_normal()))))
    enough = 1.0 / (1.0 + math.exp(-math.log(tokens / need) / 0.25))
    overthinking = max(0.0, 1.0 - settings["overthink"] * max(0.0, math.log(tokens / typical)))
    p_correct = settings["skill"] * (1.0 - 0.7 * difficulty) * enough * overthinking
    correct = bool(rng.random() < p_correct)
    answer = gold if correct else _wrong_answer(gold, rng)
    reasoning = " ".join(rng.choice(_FILLER, size=tokens))
    return {"content": f"The final answer is $\\boxed{{{answer}}}$", "tool_calls": [], "reasoning_content": reasoning}


def reasoner_model(name: str = SIMULATED_MODEL, **params):
    """The :class:`agenteff.llm.SimModel` that plays :func:`simulated_reasoner` (``params`` override defaults)."""
    from ..llm import SimModel

    return SimModel(
        name,
        behaviour="agenteff.engines.sampling:simulated_reasoner",
        error_prob=0.0,
        latency_mean_s=0.002,
        latency_sd_s=0.0,
        params=dict(params),
    )


#: The columns of a sample's row, in order: SAMPLES' plus whether it was simulated, why it stopped, whose counts
#: and the request's completion limit.
_ROW_COLUMNS = (
    "dataset",
    "problem_id",
    "model",
    "served_model",
    "method",
    "sample_index",
    "output",
    "completion_tokens",
    "reasoning_tokens",
    "answer",
    "gold",
    "correct",
    "simulated",
    "finish_reason",
    "token_source",
    "max_tokens",
)


def _reply_row(result, problem, model: str, method: str, sample_index: int, dataset: str, max_tokens) -> dict:
    """One sample's row before grading: the reply ``result`` (a ChatResult) to ``problem`` (``problem_id``,
    ``gold``)."""
    return {
        "dataset": dataset,
        "problem_id": problem.problem_id,
        "model": model,
        "served_model": result.model,
        "method": method,
        "sample_index": sample_index,
        "output": result.content,
        "completion_tokens": result.completion_tokens,
        "reasoning_tokens": result.reasoning_tokens if result.reasoning_tokens else None,
        "gold": problem.gold,
        "simulated": result.simulated,
        "finish_reason": result.finish_reason,
        "token_source": "endpoint",
        "max_tokens": max_tokens,
    }


def _graded(rows: pd.DataFrame, model: str) -> pd.DataFrame:
    """The replies' rows with the extracted ``answer`` and ``correct``, validated as SAMPLES. Grading runs here,
    in the calling thread: math-verify's timeout uses signals, which work in the main thread only."""
    rows = rows.reset_index(drop=True)
    verdicts = [grade(output, gold) for output, gold in zip(rows["output"], rows["gold"])]
    rows["answer"] = [verdict["answer"] for verdict in verdicts]
    rows["correct"] = [verdict["correct"] for verdict in verdicts]
    return validate(rows[list(_ROW_COLUMNS)], SAMPLES, source=f"samples from {model}")


def _method(k: int, temperature: float) -> str:
    return f"sample k={k} T={temperature:g}"


def sample_problems(
    client,
    problems: pd.DataFrame,
    model: str,
    k: int = 8,
    temperature: float = 0.7,
    max_tokens: int | None = None,
    dataset: str = "lead-math-test",
) -> pd.DataFrame:
    """``k`` graded samples per problem (``problems`` has ``problem_id``, ``prompt``, ``gold``) as SAMPLES rows,
    all sent at once through ``client`` (see :func:`run_sampling` for a resumable run).

    Adds ``simulated`` (from the endpoint's fingerprint), ``served_model`` (the id the reply reported),
    ``finish_reason`` and ``token_source`` ("endpoint").
    """
    requests = [
        {
            "model": model,
            "messages": [{"role": "user", "content": row.prompt}],
            "temperature": temperature,
            "sample_index": index,
            "max_tokens": max_tokens,
        }
        for row in problems.itertuples()
        for index in range(k)
    ]
    results = client.chat_many(requests, desc="sampling")
    indexed = ((row, index) for row in problems.itertuples() for index in range(k))
    rows = [
        _reply_row(result, row, model, _method(k, temperature), index, dataset, max_tokens)
        for result, (row, index) in zip(results, indexed)
    ]
    return _graded(pd.DataFrame(rows), model)


def generation_timeout_s(max_tokens: int | None, tokens_per_s: float = 15.0, overhead_s: float = 30.0) -> float:
    """A request timeout that lets a slow server finish ``max_tokens`` (``tokens_per_s`` per slot, as a CPU
    llama-server with four busy slots manages) plus ``overhead_s`` for the prompt and the queue; the client's
    30 s default fired on long generations and its retries re-sent them (issue 16)."""
    return overhead_s + (max_tokens or 0) / tokens_per_s


def _sample_problem(endpoint, job, *, model, k, temperature, max_tokens, dataset, client_options) -> list[dict]:
    """The sweep job of :func:`run_sampling`: the ``k`` replies to one problem (``job.params``: prompt, gold),
    one call after another (the sweep runs problems side by side), ungraded (see :func:`_graded`)."""
    client = worker_client(endpoint, **client_options)
    problem = pd.Series({"problem_id": job.task, **job.params})
    messages = [{"role": "user", "content": problem.prompt}]
    return [
        _reply_row(
            client.chat(model, messages, temperature=temperature, sample_index=index, max_tokens=max_tokens),
            problem,
            model,
            job.config,
            index,
            dataset,
            max_tokens,
        )
        for index in range(k)
    ]


def run_sampling(
    problems: pd.DataFrame,
    endpoint,
    model: str | None = None,
    k: int = 8,
    temperature: float = 0.7,
    n_problems: int | None = None,
    seed: int = 42,
    max_tokens: int | None = None,
    scheduler=None,
    dataset: str = "lead-math-test",
) -> pd.DataFrame:
    """Sample ``n_problems`` problems (a seeded random subset; all when None) ``k`` times each from ``endpoint``
    (an :class:`agenteff.llm.Endpoint`), at most ``max_tokens`` per sample, as SAMPLES rows ordered by problem
    then sample.

    The simulated endpoint is started playing :func:`reasoner_model` (``model`` is ignored) and its replies are
    not cached (cheap and deterministic); a live endpoint samples ``model`` (default: the one it serves), its
    replies cached. The run is a :func:`agenteff.engines.sweep.run_sweep` with one job per problem, on a local
    thread pool or the Dask ``scheduler``; a live run's store is kept per settings, so the same call after a
    crash or a kill resumes with the problems not yet stored.
    """
    if not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive integer, not {k!r}")
    chosen = problems if n_problems is None else problems.sample(n=n_problems, random_state=seed)
    chosen = chosen.sort_values("problem_id", key=lambda ids: ids.astype(int) if ids.str.isdigit().all() else ids)
    sim = reasoner_model()
    with endpoint.serve([sim]) as running:
        sampled_model = sim.name if running.simulated else running.model_or_default(model)
        method = _method(k, temperature)
        jobs = [
            Job(str(row.problem_id), method, 0, {"prompt": row.prompt, "gold": row.gold}) for row in chosen.itertuples()
        ]
        concurrency = 8 if running.simulated else 4  # llama-server's default slots; more only queue
        client_options = {
            "cache": not running.simulated,
            "max_concurrency": concurrency,
            "timeout_s": generation_timeout_s(max_tokens),
        }
        job = partial(
            _sample_problem,
            running,
            model=sampled_model,
            k=k,
            temperature=temperature,
            max_tokens=max_tokens,
            dataset=dataset,
            client_options=client_options,
        )
        settings = {
            "problems": [j.job_id for j in jobs],
            "prompts": hashlib.sha256("".join(chosen["prompt"]).encode()).hexdigest(),
            "model": sampled_model,
            "k": k,
            "temperature": temperature,
            "max_tokens": max_tokens,
            "dataset": dataset,
        }
        with study_run_dir(running, "sampling", settings) as run_dir:
            try:
                stored = run_sweep(
                    job, jobs, run_dir, scheduler=scheduler, executor="thread", max_workers=concurrency, desc="problems"
                )
            finally:
                release_worker_clients(running)
    return _graded(stored, sampled_model)


# --- a real model's recorded samples ------------------------------------------------------------------------

#: The generated problem set the recorded samples answer (see :func:`arithmetic_problems`).
ARITHMETIC_DATASET = "arithmetic-words"
_NAMES = ("Ana", "Ben", "Chen", "Dara", "Eli", "Fatima", "Goran", "Hana")
_ITEMS = ("apples", "pencils", "stickers", "marbles", "books", "coins")
_ANSWER_FORMAT = "Put the final number inside \\boxed{}."
#: One-step word problems: (template, answer from a and b). Small numbers, so a 135M model sometimes gets them.
_TEMPLATES = (
    ("{name} has {a} {item} and buys {b} more. How many {item} does {name} have now?", lambda a, b: a + b),
    ("{name} has {a} {item} and gives {b} of them away. How many {item} are left?", lambda a, b: a - b),
    ("{name} has {a} bags with {b} {item} in each bag. How many {item} are there in total?", lambda a, b: a * b),
    ("What is {a} plus {b}?", lambda a, b: a + b),
)

#: The settings of the recording in data/recorded/ (``python -m agenteff record-samples`` uses them).
RECORDING: dict[str, Any] = {"n_problems": 16, "k": 8, "temperature": 0.8, "max_tokens": 192, "seed": 42}


def arithmetic_problems(n: int = 20, seed: int = 42) -> pd.DataFrame:
    """``n`` one-step arithmetic word problems (``problem_id``, ``prompt``, ``gold``), the same for the same
    ``seed``; templates cycle, so each kind appears about equally often. Operands are 2..12 (a subtraction's
    first operand is the larger), so every answer is a whole number >= 0."""
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive integer, not {n!r}")
    rng = np.random.default_rng(seed)
    rows = []
    for index in range(n):
        template, answer = _TEMPLATES[index % len(_TEMPLATES)]
        a, b = (int(x) for x in rng.integers(2, 13, size=2))
        if answer(a, b) < 0:
            a, b = b, a
        text = template.format(name=_NAMES[rng.integers(len(_NAMES))], item=_ITEMS[rng.integers(len(_ITEMS))], a=a, b=b)
        rows.append({"problem_id": f"a{index:03d}", "prompt": f"{text} {_ANSWER_FORMAT}", "gold": str(answer(a, b))})
    return pd.DataFrame(rows)


def record_samples(
    path,
    base_url: str,
    model: str,
    *,
    n_problems: int = 20,
    k: int = 8,
    temperature: float = 0.8,
    max_tokens: int = 192,
    seed: int = 42,
    timeout_s: float = 120.0,
    cache_dir=None,
) -> pd.DataFrame:
    """Sample :func:`arithmetic_problems` ``k`` times each from ``model`` at ``base_url`` through the cached
    :class:`agenteff.llm.LLMClient` and write them to ``path`` (CSV, :data:`RECORDED_SAMPLES`, atomically).

    ``timeout_s`` is generous because a slow CPU server generating ``max_tokens`` for four slots at once needs
    more than the client's default (the client cannot yet scale it with ``max_tokens``); a re-run reads the
    replies back from the cache."""
    from ..llm import LLMClient

    if not 0 < temperature:
        raise ValueError("recording several samples per problem needs a temperature > 0")
    problems = arithmetic_problems(n_problems, seed)
    with LLMClient(
        base_url=base_url, api_key="unused", cache_dir=cache_dir, max_concurrency=4, timeout_s=timeout_s
    ) as client:
        sampled = sample_problems(
            client, problems, model, k=k, temperature=temperature, max_tokens=max_tokens, dataset=ARITHMETIC_DATASET
        )
    recorded = sampled.merge(problems[["problem_id", "prompt"]], on="problem_id").assign(
        temperature=float(temperature), max_tokens=int(max_tokens), request_seed=lambda t: t["sample_index"]
    )
    columns = [c.name for c in RECORDED_SAMPLES.columns]
    write_table(recorded[columns], path, RECORDED_SAMPLES)
    return recorded[columns]
