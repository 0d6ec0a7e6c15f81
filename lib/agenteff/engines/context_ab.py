"""A live A/B of context policies: the same agent, on the same tasks, keeping its context three ways.

* mono-context: the whole history (system, question, every action and tool result);
* workspace (IterResearch): the question, the agent's latest report (capped) and only the last action and result;
* omission (Agent-Omit style): the whole history, tool results older than ``keep_last`` turns replaced by a
  placeholder.

Tasks are generated lookup tasks (:func:`lookup_tasks`): the agent must call ``lookup(key)`` for each listed key,
whose record (value plus filler text, the observation that makes the context grow) holds a number, then answer the
sum. Agents act through :mod:`agenteff.engines.actions`: native tool calls, or one grammar-constrained JSON
action per reply (``structured``), the encoding probed once per endpoint and model or forced; each step records
it with the action, the tool calls, their results and why a reply was malformed.

:func:`run_context_ab` runs the grid (task x policy x seed) through :func:`agenteff.engines.sweep.run_sweep`: on
a live endpoint the store is kept per settings under the endpoint's cache, so the same call after a kill resumes
with every episode stored once. Each call's usage is recorded (prompt, cached, completion tokens, latency) as a
STEPS row; every row says which model answered and whether it was simulated. On a live endpoint replies go
through the client's response cache (that is what makes a resumed run exact): a request made before, such as every
policy's identical first call, is answered once and replayed with the usage first measured.

SmolLM2-135M on llama.cpp makes no native tool call, so the probe picks structured actions for it and its
episodes take several steps.
"""

from __future__ import annotations

import json
import re
from functools import partial

import numpy as np
import pandas as pd

from ..llm.sim import SimModel
from ..schema import RUNS, STEPS, validate
from .actions import FINAL_ANSWER, Action, chat_action, conversation_messages, resolve_encoding, steps_fields
from .sweep import Job, release_worker_clients, run_sweep, study_run_dir, worker_client

__all__ = [
    "POLICIES",
    "lookup_tasks",
    "build_messages",
    "run_episode",
    "lookup_agent_model",
    "lookup_behaviour",
    "run_context_ab",
    "RECORDING",
    "record_context_ab",
]

POLICIES = ("mono-context", "workspace", "omission")
_SYSTEM = (
    "You answer by looking facts up. Call the tool lookup(key) once for each key the question lists, then reply "
    "'ANSWER: <number>' with the sum of their values. Before each call, write 'REPORT: key=value; ...' with every "
    "value found so far."
)
_LOOKUP_TOOL = {
    "type": "function",
    "function": {
        "name": "lookup",
        "description": "the record of one key",
        "parameters": {"type": "object", "properties": {"key": {"type": "string"}}, "required": ["key"]},
    },
}
_FILLER = "archive ledger entry notes remark catalogue index folio margin annotation".split()


def lookup_tasks(n_tasks: int, n_keys: int, record_words: int, seed: int) -> pd.DataFrame:
    """``n_tasks`` lookup tasks: ``task, question, keys`` (JSON list), ``records`` (JSON {key: record text}),
    ``gold`` (the sum of the values). Each record is ``record_words`` words of filler around its value."""
    if min(n_tasks, n_keys) < 1 or record_words < 0:
        raise ValueError("lookup_tasks: n_tasks and n_keys must be >= 1 and record_words >= 0")
    rng = np.random.default_rng(seed)
    rows = []
    for t in range(n_tasks):
        keys = [f"k{t:02d}{chr(97 + i)}" for i in range(n_keys)]
        values = rng.integers(1, 100, n_keys)
        records = {
            key: f"{key} value={value} " + " ".join(rng.choice(_FILLER, record_words))
            for key, value in zip(keys, values)
        }
        rows.append(
            {
                "task": f"lookup{t:02d}",
                "question": f"What is the sum of the values of {', '.join(keys)}?",
                "keys": json.dumps(keys),
                "records": json.dumps(records),
                "gold": int(values.sum()),
            }
        )
    return pd.DataFrame(rows)


def _turn_messages(turn: dict, omitted: bool = False) -> list[dict]:
    """The assistant's reply of an earlier turn and its tool results (each "[omitted]" when ``omitted``)."""
    observations = ["[omitted]"] * len(turn["observations"]) if omitted else turn["observations"]
    return conversation_messages(turn["encoding"], turn["result"], turn["actions"], observations)


def _report(history: list[dict], report_words: int) -> str:
    """The agent's latest report (its reply text from 'REPORT:' on), at most ``report_words`` words."""
    for turn in reversed(history):
        text = turn["actions"][0].text or ""
        if "REPORT:" in text:
            return " ".join(text.split("REPORT:", 1)[1].split()[:report_words])
    return "(nothing yet)"


def build_messages(policy: str, question: str, history: list[dict], *, keep_last: int, report_words: int) -> list:
    """The prompt of the next call under ``policy``; ``history`` holds the earlier turns ({encoding, result,
    actions, observations}: a reply, its actions and their tool results)."""
    system = {"role": "system", "content": _SYSTEM}
    if policy == "workspace":
        if not history:
            return [system, {"role": "user", "content": question}]
        workspace = f"{question}\nREPORT so far: {_report(history, report_words)}"
        return [system, {"role": "user", "content": workspace}, *_turn_messages(history[-1])]
    messages = [system, {"role": "user", "content": question}]
    for position, turn in enumerate(history):
        messages += _turn_messages(turn, omitted=policy == "omission" and position < len(history) - keep_last)
    return messages


def run_episode(
    client,
    model: str,
    task: pd.Series,
    policy: str,
    *,
    encoding: str,
    max_turns: int,
    max_tokens: int,
    keep_last: int,
    report_words: int,
    seed: int,
) -> list[dict]:
    """One agent run acting in ``encoding``: STEPS-shaped rows, one per model call (``kind`` "llm_call", with
    usage and the action columns of :func:`agenteff.engines.actions.steps_fields`) and per tool result (``kind``
    "tool_result"), plus ``policy``, ``answer``, ``gold``, ``simulated``, ``served_model``. A malformed reply is
    recorded and the agent goes on within ``max_turns``; a final answer ends the run."""
    if policy not in POLICIES:
        raise ValueError(f"unknown policy {policy!r}; one of {POLICIES}")
    records = json.loads(task["records"])
    run_id = f"{task['task']}/{policy}/{seed}"
    history: list[dict] = []
    rows: list[dict] = []
    answer = None
    for turn in range(max_turns):
        messages = build_messages(policy, task["question"], history, keep_last=keep_last, report_words=report_words)
        result, replied = chat_action(
            client, model, messages, [_LOOKUP_TOOL], encoding, max_tokens=max_tokens, seed=seed
        )
        calls = [action for action in replied if action.is_tool_call]
        observations = [_lookup(records, action) for action in calls]
        shared = {"run_id": run_id, "turn": turn, "simulated": result.simulated, "served_model": result.model}
        rows.append(
            {
                **shared,
                "step": len(rows),
                "agent_id": "agent",
                "role": "single",
                "content": replied[0].text,
                **steps_fields(encoding, replied, observations),
                "prompt_tokens": result.prompt_tokens,
                "completion_tokens": result.completion_tokens,
                "cached_tokens": result.cached_tokens,
                "latency_s": result.latency_s,
                "kind": "llm_call",
            }
        )
        for observation in observations:
            rows.append(
                {
                    **shared,
                    "step": len(rows),
                    "agent_id": "tool",
                    "role": "tool",
                    "content": observation,
                    "kind": "tool_result",
                }
            )
        if replied[0].tool == FINAL_ANSWER and not replied[0].malformed:
            answer = replied[0].text
            break
        history.append({"encoding": encoding, "result": result, "actions": replied, "observations": observations})
    for row in rows:
        row.update(policy=policy, task=task["task"], answer=answer, gold=int(task["gold"]), round=0)
    return rows


def _lookup(records: dict, action: Action) -> str:
    key = str(action.arguments.get("key", ""))
    return records.get(key, f"no record for key {key!r}")


def lookup_agent_model(name: str = "sim-lookup-agent") -> SimModel:
    """The simulated agent of the A/B: :func:`lookup_behaviour`, with the server's prefix-cache accounting on,
    obeying a structured-action schema as a grammar would (so it acts in either encoding)."""
    return SimModel(
        name,
        behaviour=f"{__name__}:lookup_behaviour",
        error_prob=0.0,
        params={"prompt_caching": True, "json_schema": True},
    )


_KEYS = re.compile(r"\bk\d{2}[a-z]\b")
_FOUND = re.compile(r"\b(k\d{2}[a-z])\s*(?:value)?=\s*(\d+)")


def lookup_behaviour(messages, tools, model, rng) -> dict:
    """A simulated lookup agent: finds what it knows in its context (tool results and its own report), looks up
    the first listed key it does not know yet, reporting what it has, and answers the sum once it knows them all."""
    texts = [str(m.get("content") or "") for m in messages]
    question = next(str(m.get("content")) for m in messages if m.get("role") == "user")
    wanted = list(dict.fromkeys(_KEYS.findall(question.split("\n")[0])))
    found = {key: int(value) for text in texts for key, value in _FOUND.findall(text) if key in wanted}
    report = "REPORT: " + "; ".join(f"{key}={found[key]}" for key in wanted if key in found)
    missing = [key for key in wanted if key not in found]
    if missing and tools:
        return {"content": report, "tool_calls": [{"name": "lookup", "arguments": {"key": missing[0]}}]}
    return {"content": f"ANSWER: {sum(found.values())}", "tool_calls": []}


def _episode_job(
    endpoint, job: Job, *, model, encoding, tasks, max_turns, max_tokens, keep_last, report_words, options
):
    client = worker_client(endpoint, **options)
    task = tasks.set_index("task").loc[job.task]
    return run_episode(
        client,
        model,
        pd.Series({"task": job.task, **task.to_dict()}),
        job.config,
        encoding=encoding,
        max_turns=max_turns,
        max_tokens=max_tokens,
        keep_last=keep_last,
        report_words=report_words,
        seed=job.seed,
    )


def run_context_ab(
    endpoint,
    tasks: pd.DataFrame,
    *,
    model: str | None = None,
    seeds=(0,),
    max_turns: int = 12,
    max_tokens: int = 128,
    keep_last: int = 1,
    report_words: int = 60,
    action_encoding: str = "auto",
    scheduler=None,
) -> dict[str, pd.DataFrame]:
    """Every task under every policy and seed, against ``endpoint`` (an :class:`agenteff.llm.Endpoint`; the
    simulated one plays :func:`lookup_agent_model`). ``action_encoding``: ``"native"``, ``"structured"`` or
    ``"auto"`` (probed once for the model). Returns ``{"steps": STEPS, "runs": RUNS}``; a run's ``success`` is its
    answer's number equal to the gold sum."""
    sim = lookup_agent_model()
    with endpoint.serve([sim]) as running:
        asked = sim.name if running.simulated else running.model_or_default(model)
        jobs = [Job(task, policy, int(seed)) for task in tasks["task"] for policy in POLICIES for seed in seeds]
        options = {"cache": not running.simulated, "max_concurrency": 4}
        encoding = resolve_encoding(worker_client(running, **options), asked, action_encoding)
        job = partial(
            _episode_job,
            running,
            model=asked,
            encoding=encoding,
            tasks=tasks,
            max_turns=max_turns,
            max_tokens=max_tokens,
            keep_last=keep_last,
            report_words=report_words,
            options=options,
        )
        settings = {
            "tasks": tasks.to_dict("records"),
            "model": asked,
            "seeds": list(seeds),
            "max_turns": max_turns,
            "max_tokens": max_tokens,
            "keep_last": keep_last,
            "report_words": report_words,
            "encoding": encoding,
        }
        try:
            with study_run_dir(running, "context-ab", settings) as run_dir:
                stored = run_sweep(
                    job, jobs, run_dir, scheduler=scheduler, executor="thread", max_workers=4, desc="episodes"
                )
        finally:
            release_worker_clients(running)
    stored = stored.drop(columns=[c for c in ("job_id", "config", "seed") if c in stored]).sort_values(
        ["run_id", "step"]
    )
    steps = validate(stored.reset_index(drop=True), STEPS, source="context A/B")
    return {"steps": steps, "runs": _runs(steps, asked)}


def _answer_number(text) -> float | None:
    numbers = re.findall(r"-?\d+(?:\.\d+)?", str(text or ""))
    return float(numbers[-1]) if numbers else None


def _runs(steps: pd.DataFrame, model: str) -> pd.DataFrame:
    calls = steps[steps["kind"] == "llm_call"]
    grouped = calls.groupby("run_id", sort=True)
    runs = grouped.agg(
        task=("task", "first"),
        architecture=("policy", "first"),
        prompt_tokens=("prompt_tokens", "sum"),
        completion_tokens=("completion_tokens", "sum"),
        cached_tokens=("cached_tokens", "sum"),
        latency_s=("latency_s", "sum"),
        simulated=("simulated", "first"),
        served_model=("served_model", "first"),
        answer=("answer", "first"),
        gold=("gold", "first"),
        n_calls=("step", "size"),
    ).reset_index()
    runs["success"] = [_answer_number(a) == float(g) for a, g in zip(runs["answer"], runs["gold"])]
    runs = runs.assign(suite="lookup", n_agents=1, model=model, seed=runs["run_id"].str.rsplit("/", n=1).str[1])
    return validate(runs, RUNS, source="context A/B")


#: The recorded real-model A/B of study 09 (data set ``smollm2-135m-context-ab``): the notebook's fast size, with
#: records and turns short enough for a 135M model's 4,096-token slots on a CPU server.
RECORDING: dict = {
    "n_tasks": 3,
    "n_keys": 3,
    "record_words": 40,
    "seed": 42,
    "max_turns": 6,
    "max_tokens": 96,
}


def record_context_ab(directory, endpoint, model: str, action_encoding: str = "auto") -> dict[str, pd.DataFrame]:
    """Run :data:`RECORDING` on a live ``endpoint`` with ``model`` and write ``<directory>/<stem>_runs.csv`` and
    ``_steps.csv`` (validated, each file replaced only when complete); returns ``{"steps", "runs"}``. The run
    store and the response cache make a re-run after a crash resume where it stopped."""
    from pathlib import Path

    from ..datasets.recorded import CONTEXT_AB_RUNS_FILE, CONTEXT_AB_STEPS_FILE
    from ..schema import write_table

    if endpoint.simulated:
        raise ValueError("a recording is of a real model: give a live endpoint, not the simulated one")
    settings = dict(RECORDING)
    tasks = lookup_tasks(settings["n_tasks"], settings["n_keys"], settings["record_words"], settings["seed"])
    out = run_context_ab(
        endpoint,
        tasks,
        model=model,
        seeds=(settings["seed"],),
        max_turns=settings["max_turns"],
        max_tokens=settings["max_tokens"],
        action_encoding=action_encoding,
    )
    directory = Path(directory)
    write_table(out["runs"], directory / Path(CONTEXT_AB_RUNS_FILE).name, RUNS)
    write_table(out["steps"], directory / Path(CONTEXT_AB_STEPS_FILE).name, STEPS)
    return out
