"""tau-bench historical trajectories: a tool-calling agent (GPT-4o) on the 50 airline tasks, 4 trials each.

Source: ``historical_trajectories/gpt-4o-airline.json`` of github.com/sierra-research/tau-bench (MIT), released
with Yao et al., "tau-bench: A Benchmark for Tool-Agent-User Interaction in Real-World Domains"
(arXiv:2406.12045). Each record holds the task id, the trial number, the reward (1 when the final database
and the required outputs match the annotated goal), the full message list (system policy, simulated user,
agent, tool results) and the task annotation with its gold actions.

Into the shared schemas:

* ``runs`` (RUNS): one row per task x trial; ``success`` is tau-bench's own test (reward within 1e-6 of 1),
  ``score`` the reward. Extra columns: ``n_gold_actions`` (actions in the annotated solution),
  ``gold_actions`` (those actions as a JSON list of ``{name, arguments}``, the shape of the steps' tool calls),
  ``user_simulator_cost_usd`` (the cost of the simulated user, not of the agent; missing in a few records).
  The agent's own cost and tokens are not in the file.
* ``steps`` (STEPS): one row per message; the agent's messages have role ``single``, the others keep their
  own (``user``, ``tool``, ``system``). Tool calls become a JSON list of ``{name, arguments}`` with the
  arguments decoded from the OpenAI JSON string. Extra column ``tool_name`` names the tool that a ``tool``
  message answers.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ..schema import RUNS, STEPS, validate

__all__ = ["parse", "TRAJECTORY_FILE", "REWARD_TOLERANCE"]

TRAJECTORY_FILE = "historical_trajectories/gpt-4o-airline.json"
REWARD_TOLERANCE = 1e-6  # tau-bench counts a trial as passed when the reward is within this of 1
_ROLES = {"assistant": "single", "user": "user", "tool": "tool", "system": "system"}
_AGENTS = {"assistant": "agent", "user": "user", "tool": "tool", "system": "system"}


def _run_id(task_id: int, trial: int) -> str:
    return f"airline/task{task_id:03d}/trial{trial}"


def _tool_calls(message: dict) -> str | None:
    calls = message.get("tool_calls")
    if not calls:
        return None
    return json.dumps(
        [{"name": c["function"]["name"], "arguments": json.loads(c["function"]["arguments"])} for c in calls],
        sort_keys=True,
    )


def _steps(run_id: str, trajectory: list[dict], source: Path) -> list[dict]:
    turns: dict[str, int] = {}
    rows = []
    for position, message in enumerate(trajectory):
        role = message["role"]
        if role not in _ROLES:
            raise ValueError(f"{source}: {run_id}, message {position}: unknown role {role!r}")
        agent = _AGENTS[role]
        rows.append(
            {
                "run_id": run_id,
                "step": position,
                "agent_id": agent,
                "role": _ROLES[role],
                "round": 0,
                "turn": turns.get(agent, 0),
                "content": message.get("content"),
                "tool_calls": _tool_calls(message),
                "tool_name": message.get("name") if role == "tool" else None,
            }
        )
        turns[agent] = turns.get(agent, 0) + 1
    return rows


def parse(files: dict[str, Path]) -> dict[str, pd.DataFrame]:
    """``{"runs": RUNS table, "steps": STEPS table}`` from the trajectory file."""
    path = files[TRAJECTORY_FILE]
    with open(path) as handle:
        records = json.load(handle)
    runs, steps = [], []
    for record in records:
        run_id = _run_id(int(record["task_id"]), int(record["trial"]))
        info = record["info"]
        runs.append(
            {
                "run_id": run_id,
                "task": str(record["task_id"]),
                "suite": "tau-bench-airline",
                "architecture": "tool-calling",
                "n_agents": 1,
                "model": "gpt-4o",
                "seed": record["trial"],
                "success": abs(float(record["reward"]) - 1.0) <= REWARD_TOLERANCE,
                "score": record["reward"],
                "n_gold_actions": len(info["task"]["actions"]),
                "gold_actions": json.dumps(
                    [{"name": a["name"], "arguments": a.get("kwargs", {})} for a in info["task"]["actions"]],
                    sort_keys=True,
                ),
                "user_simulator_cost_usd": info.get("user_cost"),
            }
        )
        steps.extend(_steps(run_id, record["traj"], path))
    runs_table = pd.DataFrame(runs).sort_values("run_id", ignore_index=True)
    runs_table["n_gold_actions"] = runs_table["n_gold_actions"].astype("Int64")
    steps_table = pd.DataFrame(steps).sort_values(["run_id", "step"], ignore_index=True)
    return {"runs": validate(runs_table, RUNS, source=path), "steps": validate(steps_table, STEPS, source=path)}
