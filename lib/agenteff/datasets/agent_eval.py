"""HumanEval agent runs released with "AI Agents That Matter" (Kapoor et al., arXiv:2407.01502).

Repository github.com/benediktstroebl/agent-eval (Apache-2.0):

* ``plot_data_0409.csv`` and ``plot_data_0613.csv``: one row per evaluation of a strategy (simple, retry,
  warming, escalation, reflexion, LDB, LATS) with a model on all HumanEval tasks: total cost (USD), tokens,
  wall time and accuracy. :func:`parse_runs` returns them as the ``evaluations`` table.
* ``LLMDebugger/output_data/simple/humaneval/<model>/<run>/``: repeated runs of the simple strategy. The
  ``*.jsonl`` file gives each task's pass/fail; the ``*.log`` file (JSON lines) logs every API call with its
  token counts and latency, between ``task_started`` and ``task_finished`` events. :func:`parse_simple_calls`
  returns a RUNS table (one row per model x run x task) and a STEPS table (one row per API call).
"""

from __future__ import annotations

import json
import re
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd

from ..schema import RUNS, STEPS, Column, Schema, read_csv, validate

__all__ = ["parse_runs", "parse_simple_calls", "EVALUATIONS", "STRATEGY_NAMES"]

#: The paper's names for the repository's strategy labels (section 2 of the paper).
STRATEGY_NAMES = {
    "simple": "simple",
    "simple_repeat": "retry",
    "simple_incr_temp": "warming",
    "simple_boosting": "escalation",
    "reflexion": "reflexion",
    "ldb": "LDB",
    "lats": "LATS",
}

EVALUATIONS = Schema(
    "agent_eval_evaluations",
    (
        Column("evaluation_id", "str", doc="file stem / strategy / model / run"),
        Column("release", "str", doc="which plot_data file (0409: gpt-4-turbo-2024-04-09 era, 0613: gpt-4-0613 era)"),
        Column("strategy", "str", doc="strategy label as in the repository"),
        Column("strategy_name", "str", doc="the paper's name for the strategy (retry, warming, escalation, ...)"),
        Column("model", "str", doc="model or model combination as in the repository"),
        Column("run", "str", doc="repetition label (run1..run5)"),
        Column("suite", "str", doc="benchmark (humaneval)"),
        Column("n_tasks", "int", minimum=1, doc="tasks in the benchmark (the denominator of accuracy)"),
        Column("n_tasks_completed", "int", minimum=0, doc="tasks the run completed (one LATS run stopped at 163)"),
        Column("n_solved", "int", minimum=0, doc="tasks solved (accuracy x tasks, a whole number)"),
        Column("accuracy", "float", minimum=0, maximum=1, doc="share of tasks solved"),
        Column("cost_usd", "float", minimum=0, doc="total cost of the evaluation, USD"),
        Column("prompt_tokens", "int", minimum=0, doc="prompt tokens over the evaluation"),
        Column("completion_tokens", "int", minimum=0, doc="completion tokens over the evaluation"),
        Column("latency_s", "float", minimum=0, doc="total wall time, seconds"),
        Column("inference_s", "float", minimum=0, doc="total time spent in model calls, seconds"),
    ),
    unique=("evaluation_id",),
    doc="One row per evaluation of an agent strategy on a whole benchmark.",
)

_RUN_FILES = ("plot_data_0409.csv", "plot_data_0613.csv")
HUMANEVAL_TASKS = 164


def parse_runs(files: dict[str, Path]) -> dict[str, pd.DataFrame]:
    """``{"evaluations": table}`` from the two plot_data files."""
    frames = []
    for name in _RUN_FILES:
        path = files[name]
        raw = read_csv(path)
        release = name.removeprefix("plot_data_").removesuffix(".csv")
        # accuracy is over the whole benchmark: a run that completed 163 tasks still divides by 164
        n_solved = raw["accuracy"] * HUMANEVAL_TASKS
        if not np.allclose(n_solved, n_solved.round(), atol=1e-6):
            raise ValueError(f"{path}: accuracy x {HUMANEVAL_TASKS} is not a whole number of solved tasks")
        frames.append(
            pd.DataFrame(
                {
                    "evaluation_id": release + "/" + raw["strategy"] + "/" + raw["model"] + "/" + raw["run"],
                    "release": release,
                    "strategy": raw["strategy"],
                    "strategy_name": raw["strategy"].map(STRATEGY_NAMES),
                    "model": raw["model"],
                    "run": raw["run"],
                    "suite": raw["dataset"],
                    "n_tasks": HUMANEVAL_TASKS,
                    "n_tasks_completed": raw["total_tasks"],
                    "n_solved": n_solved.round().astype(int),
                    "accuracy": raw["accuracy"],
                    "cost_usd": raw["total_cost"],
                    "prompt_tokens": raw["total_prompt_tokens"],
                    "completion_tokens": raw["total_completion_tokens"],
                    "latency_s": raw["total_time"],
                    "inference_s": raw["total_inference_time"],
                }
            )
        )
        unknown = frames[-1]["strategy_name"].isna()
        if unknown.any():
            raise ValueError(f"{path}: unknown strategy {raw['strategy'][unknown].iloc[0]!r}")
    return {"evaluations": validate(pd.concat(frames, ignore_index=True), EVALUATIONS, source="plot_data_*.csv")}


def _read_jsonl(path: Path) -> list[dict]:
    with open(path) as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _run_seeds(run_names: list[str]) -> dict[str, int]:
    """runN -> N; other labels (earlier runs such as 'gpt4_base') get numbers after the largest N, in name order."""
    numbered = {name: int(m.group(1)) for name in run_names if (m := re.fullmatch(r"run(\d+)", name))}
    start = max(numbered.values(), default=0) + 1
    others = sorted(name for name in run_names if name not in numbered)
    return {**numbered, **{name: start + i for i, name in enumerate(others)}}


def _calls_by_task(log_path: Path) -> dict[str, list[dict]]:
    """API calls of a log, attributed to the task whose task_started event precedes them."""
    calls: dict[str, list[dict]] = {}
    current = None
    for event in _read_jsonl(log_path):
        kind = event.get("type")
        if kind == "task_started":
            current = event["task_id"]
            calls.setdefault(current, [])
        elif kind == "task_finished":
            current = None
        elif kind == "api_call":
            if current is None:
                raise ValueError(f"{log_path}: API call at {event.get('time')} outside any task")
            calls[current].append(event)
    return calls


def parse_simple_calls(files: dict[str, Path]) -> dict[str, pd.DataFrame]:
    """``{"runs": RUNS table, "steps": STEPS table}`` for the repeated simple-strategy runs.

    Runs whose folder has no log keep their pass/fail but have no token counts (missing, not zero).
    Extra RUNS columns: ``run_name`` (the folder), ``n_calls``. Cost is not in these files (``cost_usd`` is
    absent); price tokens with the model's list price if needed.
    """
    folders: dict[tuple[str, str], dict[str, Path]] = {}
    for name, path in files.items():
        parts = PurePosixPath(name).parts
        model, run_name = parts[-3], parts[-2]
        kind = "results" if name.endswith(".jsonl") else "log" if name.endswith(".log") else None
        if kind:
            folders.setdefault((model, run_name), {})[kind] = path
    seeds = {model: _run_seeds([r for m, r in folders if m == model]) for model, _ in folders}
    run_rows: list[dict] = []
    step_rows: list[dict] = []
    for (model, run_name), paths in sorted(folders.items()):
        if "results" not in paths:
            raise ValueError(f"{model}/{run_name}: a log without a results file")
        calls = _calls_by_task(paths["log"]) if "log" in paths else None
        for record in _read_jsonl(paths["results"]):
            task = record["task_id"]
            run_id = f"{model}/{run_name}/{task}"
            task_calls = calls.get(task, []) if calls is not None else None
            row = {
                "run_id": run_id,
                "task": task,
                "suite": "humaneval",
                "architecture": "simple",
                "n_agents": 1,
                "model": model,
                "seed": seeds[model][run_name],
                "success": bool(record["is_solved"]),
                "run_name": run_name,
            }
            if task_calls is not None:
                row.update(
                    prompt_tokens=sum(c["prompt_tokens"] for c in task_calls),
                    completion_tokens=sum(c["completion_tokens"] for c in task_calls),
                    latency_s=sum(c["inference_time"] for c in task_calls),
                    n_calls=len(task_calls),
                )
                step_rows.extend(
                    {
                        "run_id": run_id,
                        "step": i,
                        "agent_id": "agent",
                        "role": "single",
                        "round": 0,
                        "turn": i,
                        "prompt_tokens": c["prompt_tokens"],
                        "completion_tokens": c["completion_tokens"],
                        "latency_s": c["inference_time"],
                        "temperature": c.get("temperature"),
                    }
                    for i, c in enumerate(task_calls)
                )
            run_rows.append(row)
    runs = pd.DataFrame(run_rows)
    for column in ("prompt_tokens", "completion_tokens", "n_calls"):
        runs[column] = runs[column].astype("Int64")
    return {
        "runs": validate(runs, RUNS, source="agent-eval simple runs"),
        "steps": validate(pd.DataFrame(step_rows), STEPS, source="agent-eval simple logs"),
    }
