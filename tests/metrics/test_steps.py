"""STEPS trajectory metrics (agenteff.metrics.steps: trajectory counts, action repetition) on hand-computed
inputs. The coordination metrics of the same module are tested in test_coordination.py."""

import json
import math

import pandas as pd
import pytest

from agenteff.metrics import action_repetition_rate, trajectory_counts
from agenteff.schema import STEPS, validate


def calls(*actions):
    return json.dumps([{"name": n, "arguments": a} for n, a in actions])


def make_steps(rows):
    """A validated STEPS frame from (run_id, role, tool_calls) tuples, steps numbered in order per run."""
    frame = pd.DataFrame(rows, columns=["run_id", "role", "tool_calls"])
    frame["step"] = frame.groupby("run_id").cumcount()
    frame["agent_id"] = frame["role"]
    frame["round"] = 0
    frame["turn"] = frame["step"]
    return validate(frame, STEPS)


def test_action_repetition_rate_anywhere_and_consecutive():
    steps = make_steps(
        [
            ("r1", "single", calls(("search", {"q": 1, "p": 2}))),
            ("r1", "tool", None),
            ("r1", "single", calls(("search", {"p": 2, "q": 1}))),  # same arguments, other key order: a repeat
            ("r1", "single", calls(("book", {"id": 3}))),
            ("r1", "single", calls(("search", {"q": 1, "p": 2}))),  # repeat, but not of the previous call
            ("r2", "user", None),
            ("r2", "single", None),
        ]
    )
    out = action_repetition_rate(steps).set_index("run_id")
    assert out.loc["r1", "n_actions"] == 4 and out.loc["r1", "n_repeats"] == 2
    assert out.loc["r1", "action_repetition_rate"] == pytest.approx(0.5)
    assert math.isnan(out.loc["r2", "action_repetition_rate"])  # no action at all
    consecutive = action_repetition_rate(steps, consecutive=True).set_index("run_id")
    assert consecutive.loc["r1", "n_repeats"] == 1


def test_action_repetition_rate_reads_openai_string_arguments():
    steps = make_steps(
        [
            ("r", "single", json.dumps([{"name": "f", "arguments": '{"a": 1, "b": 2}'}])),
            ("r", "single", json.dumps([{"name": "f", "arguments": '{"b": 2, "a": 1}'}])),
        ]
    )
    assert action_repetition_rate(steps)["n_repeats"].iloc[0] == 1


def test_trajectory_counts():
    steps = make_steps(
        [
            ("r", "system", None),
            ("r", "user", None),
            ("r", "single", calls(("f", {}), ("g", {}))),
            ("r", "tool", None),
            ("r", "single", None),
            ("r", "user", None),
        ]
    )
    row = trajectory_counts(steps).iloc[0]
    assert (row["n_steps"], row["n_agent_steps"], row["n_tool_calls"], row["n_user_turns"]) == (6, 2, 2, 2)
