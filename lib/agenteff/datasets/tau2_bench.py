"""tau2-bench leaderboard trajectories: four airline submissions with per-call token usage and cost.

Source: ``web/leaderboard/public/submissions/*/trajectories/*.json`` of github.com/sierra-research/tau2-bench
(MIT), the files community submissions attach to the tau2-bench leaderboard (Barres et al., "tau2-bench:
Evaluating Conversational Agents in a Dual-Control Environment", arXiv:2506.07982). Each file holds ``info`` (the
agent's and the user simulator's models), ``tasks`` (the airline tasks with their gold ``actions``) and
``simulations``: per simulation the message list, in which every generated message (the agent's and the user
simulator's) carries ``usage`` (``prompt_tokens``, ``completion_tokens``) and ``cost``, plus ``agent_cost``,
``user_cost``, ``duration``, ``termination_reason`` and ``reward_info``. The data card is
``data/cards/tau2_bench.md``.

Into the shared schemas (data set ``tau2-bench-airline``):

* ``runs`` (RUNS): one row per simulation; ``model`` is the agent's model, ``success`` tau2's reward within
  :data:`REWARD_TOLERANCE` of 1, ``cost_usd`` the agent's cost, ``prompt_tokens``/``completion_tokens`` the
  agent's own calls (the user simulator's are kept apart), ``cached_tokens`` missing (the files have no cache
  field), ``latency_s`` the simulation's duration. Extra columns: ``submission`` (which leaderboard entry),
  ``n_gold_actions`` (actions of the task's annotated solution; missing when the task has none listed),
  ``user_model``, ``user_cost_usd``, ``user_prompt_tokens``, ``user_completion_tokens``, ``termination_reason``.
* ``steps`` (STEPS): one row per message, kept apart by ``agent_id``: ``agent`` (role ``single``; ``kind``
  ``llm_call``, or ``fixed_message`` for the scaffold's greeting, which no model generated and which has no
  usage), ``user_simulator`` (role ``user``, ``kind`` ``llm_call``) and ``tool`` (role ``tool``, ``kind``
  ``tool_result``). Tool calls become a JSON list of ``{name, arguments}``. Extra columns ``cost_usd`` (the
  message's cost) and ``tool_name`` (for a tool result, the tool it answers).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import ijson
import pandas as pd

from ..schema import RUNS, STEPS, SchemaError, validate

__all__ = ["parse", "results_tables", "SUBMISSIONS", "REWARD_TOLERANCE"]

_DIR = "web/leaderboard/public/submissions/"
#: trajectory file -> the submission's short label (the leaderboard entry, and the model where an entry has two)
SUBMISSIONS = {
    _DIR + "button-claude-opus-4-6_distyl-ai_2026-03-04/trajectories/airline.json": "button-claude-opus-4-6",
    _DIR + "claude-sonnet-4-5_aide-platform_2025-10-31/trajectories/"
    "claude-sonnet-4-5_airline_default_gpt4.1_1trials.json": "aide-claude-sonnet-4-5",
    _DIR + "ironshell-ironforge_ironshell-ui_2026-03-09/trajectories/ironshell_airline_gpt54_run1.json": (
        "ironshell-gpt-5.4"
    ),
    _DIR + "ironshell-ironforge_ironshell-ui_2026-03-09/trajectories/ironshell_airline_opus46_run1.json": (
        "ironshell-claude-opus-4-6"
    ),
}
REWARD_TOLERANCE = 1e-6  # as tau-bench: a simulation passes when its reward is within this of 1
_AGENTS = {"assistant": ("agent", "single"), "user": ("user_simulator", "user"), "tool": ("tool", "tool")}


def _tool_calls(message: dict) -> str | None:
    calls = message.get("tool_calls")
    if not calls:
        return None
    return json.dumps([{"name": c["name"], "arguments": c.get("arguments")} for c in calls], sort_keys=True)


def _usage(message: dict, field: str):
    usage = message.get("usage") or {}
    return usage.get(field)


def _steps(run_id: str, messages: list[dict], source: str) -> list[dict]:
    rows = []
    turns: dict[str, int] = {}
    tool_of_call: dict[str, str] = {}
    for position, message in enumerate(messages):
        role = message.get("role")
        if role not in _AGENTS:
            raise SchemaError(f"{source}: {run_id}, message {position}: unknown role {role!r}")
        agent, step_role = _AGENTS[role]
        for call in message.get("tool_calls") or []:
            tool_of_call[str(call.get("id"))] = call["name"]
        if role == "tool":
            kind = "tool_result"
        else:
            kind = "llm_call" if message.get("usage") else "fixed_message"
        if role == "user" and kind != "llm_call":
            raise SchemaError(f"{source}: {run_id}, message {position}: a user-simulator message without usage")
        rows.append(
            {
                "run_id": run_id,
                "step": position,
                "agent_id": agent,
                "role": step_role,
                "round": 0,
                "turn": turns.get(agent, 0),
                "content": message.get("content"),
                "tool_calls": _tool_calls(message),
                "prompt_tokens": _usage(message, "prompt_tokens"),
                "completion_tokens": _usage(message, "completion_tokens"),
                "kind": kind,
                "cost_usd": message.get("cost"),
                "tool_name": tool_of_call.get(str(message.get("id"))) if role == "tool" else None,
            }
        )
        turns[agent] = turns.get(agent, 0) + 1
    return rows


def _gold_actions(task: dict) -> int | None:
    actions = (task.get("evaluation_criteria") or {}).get("actions")
    return None if actions is None else len(actions)


def _values(path: Path, prefix: str) -> Iterator:
    """The JSON values at ``prefix`` (ijson's notation), one at a time: a results file of many simulations is never
    in memory whole."""
    with open(path, "rb") as handle:
        try:
            yield from ijson.items(handle, prefix, use_float=True)
        except ijson.JSONError as error:
            raise SchemaError(f"{path}: not valid JSON (truncated?): {error}") from None


def results_tables(path: Path, label: str, domain: str | None = None) -> tuple[list[dict], list[dict]]:
    """RUNS and STEPS rows of one tau2-bench results file (the layout above), one run per simulation.

    ``label`` names the file's submission in the run ids (``tau2-<domain>/<label>/task007/trial0``); ``domain``
    defaults to the file's ``info.environment_info.domain_name``. Only the models' names are read from ``info``:
    its ``llm_args`` may hold an API key. Shared with :mod:`agenteff.logs` (a user's own results files).
    """
    source = str(path)
    try:
        info: dict = next(_values(path, "info"), {})
        tasks = {str(task["id"]): task for task in _values(path, "tasks.item")}
        agent_model = info["agent_info"]["llm"]
        user_model = info["user_info"]["llm"]
    except (KeyError, TypeError) as error:
        raise SchemaError(f"{source}: not a tau2-bench results file (missing {error})") from None
    domain = domain or (info.get("environment_info") or {}).get("domain_name") or "unknown"
    runs, steps = [], []
    for simulation in _values(path, "simulations.item"):
        task_id = str(simulation["task_id"])
        if task_id not in tasks:
            raise SchemaError(f"{source}: simulation {simulation.get('id')!r} names task {task_id!r}, not in 'tasks'")
        reward = (simulation.get("reward_info") or {}).get("reward")
        if reward is None:
            raise SchemaError(f"{source}: simulation {simulation.get('id')!r}: no 'reward_info.reward'")
        task_label = f"task{int(task_id):03d}" if task_id.isdigit() else f"task{task_id}"
        run_id = f"tau2-{domain}/{label}/{task_label}/trial{simulation['trial']}"
        run_steps = _steps(run_id, simulation["messages"], source)
        own = [s for s in run_steps if s["agent_id"] == "agent" and s["kind"] == "llm_call"]
        user = [s for s in run_steps if s["agent_id"] == "user_simulator"]
        runs.append(
            {
                "run_id": run_id,
                "task": task_id,
                "suite": f"tau2-bench-{domain}",
                "architecture": "tool-calling",
                "n_agents": 1,
                "model": agent_model,
                "seed": simulation["trial"],
                "success": abs(float(reward) - 1.0) <= REWARD_TOLERANCE,
                "score": float(reward),
                "cost_usd": simulation.get("agent_cost"),
                "prompt_tokens": sum(s["prompt_tokens"] for s in own),
                "completion_tokens": sum(s["completion_tokens"] for s in own),
                "cached_tokens": None,
                "latency_s": simulation.get("duration"),
                "simulated": False,
                "submission": label,
                "n_gold_actions": _gold_actions(tasks[task_id]),
                "user_model": user_model,
                "user_cost_usd": simulation.get("user_cost"),
                "user_prompt_tokens": sum(s["prompt_tokens"] for s in user),
                "user_completion_tokens": sum(s["completion_tokens"] for s in user),
                "termination_reason": simulation.get("termination_reason"),
            }
        )
        steps += run_steps
    return runs, steps


def parse(files: dict[str, Path]) -> dict[str, pd.DataFrame]:
    """``{"runs": RUNS table, "steps": STEPS table}`` of every submission's airline simulations."""
    runs, steps = [], []
    for name in SUBMISSIONS:
        if name not in files:
            raise SchemaError(f"tau2-bench: no file {name!r} among the data set's files")
        file_runs, file_steps = results_tables(files[name], SUBMISSIONS[name], domain="airline")
        runs += file_runs
        steps += file_steps
    runs_table = pd.DataFrame(runs).sort_values("run_id", ignore_index=True)
    runs_table["n_gold_actions"] = runs_table["n_gold_actions"].astype("Int64")
    runs_table["cached_tokens"] = runs_table["cached_tokens"].astype("Int64")
    steps_table = pd.DataFrame(steps).sort_values(["run_id", "step"], ignore_index=True)
    return {
        "runs": validate(runs_table, RUNS, source="tau2-bench-airline"),
        "steps": validate(steps_table, STEPS, source="tau2-bench-airline"),
    }
