"""Parsers of the study-04 data sets: real pinned files (via the mirror) and small hand-made files."""

import json
import os

import pandas as pd
import pytest
import yaml

from agenteff import datasets
from agenteff.datasets import agent_eval, aider, tau_bench
from agenteff.metrics import pass_hat_k
from agenteff.paths import data_dir

needs_data = pytest.mark.skipif(
    not os.environ.get(datasets.MIRROR_VARIABLE), reason="pinned files need the offline mirror (AGENTEFF_MIRROR)"
)


# --- real files -----------------------------------------------------------------------------------------


@needs_data
def test_agent_eval_runs_table():
    table = datasets.load("agent-eval-runs")
    assert len(table) == 65 + 67  # data rows of plot_data_0409.csv and plot_data_0613.csv
    assert set(table["strategy_name"]) == {"simple", "retry", "warming", "escalation", "reflexion", "LDB", "LATS"}
    row = table.set_index("evaluation_id").loc["0613/simple/gpt-4-0613/run1"]
    assert row["n_solved"] == 143 and row["n_tasks"] == 164  # accuracy 0.8719512 = 143 / 164
    assert row["cost_usd"] == pytest.approx(2.92218)
    # the LATS run that completed 163 tasks still reports accuracy over 164
    lats = table[(table["strategy"] == "lats") & (table["n_tasks_completed"] == 163)]
    assert len(lats) == 1 and lats["n_solved"].iloc[0] == 127


@needs_data
def test_simple_call_logs_add_up_to_the_published_run_totals():
    produced = datasets.tables("agent-eval-simple-calls")
    runs, steps = produced["runs"], produced["steps"]
    logged = runs[runs["n_calls"].notna()]
    totals = logged.groupby(["model", "run_name"]).agg(
        prompt=("prompt_tokens", "sum"), completion=("completion_tokens", "sum"), accuracy=("success", "mean")
    )
    evaluations = datasets.load("agent-eval-runs")
    simple = evaluations[evaluations["strategy"] == "simple"].set_index(["model", "run"])
    shared = totals.index.intersection(simple.index)
    assert len(shared) == 20  # 4 models x 5 runs appear in both the logs and plot_data
    for key in shared:
        assert totals.loc[key, "prompt"] == simple.loc[key, "prompt_tokens"]
        assert totals.loc[key, "completion"] == simple.loc[key, "completion_tokens"]
        assert totals.loc[key, "accuracy"] == pytest.approx(simple.loc[key, "accuracy"])
    assert len(steps) == logged["n_calls"].sum()
    assert runs.groupby(["model", "run_name"]).size().eq(164).all()
    assert runs.loc[runs["n_calls"].isna(), "prompt_tokens"].isna().all()  # no log: unknown, not zero


@needs_data
def test_aider_leaderboard():
    table = datasets.load("aider-polyglot")
    assert len(table) == 69
    assert table["cost_usd"].isna().sum() == 18  # 17 entries with cost 0 and one without a cost
    assert (table["cost_usd"].dropna() > 0).all()
    gpt5 = table[table["model"] == "gpt-5 (high)"].iloc[0]
    assert gpt5["pass_num_2"] == 198 and gpt5["cost_usd"] == pytest.approx(29.0829)


@needs_data
def test_tau_bench_trajectories_reproduce_the_published_pass_hat_k():
    produced = datasets.tables("tau-bench-airline-gpt4o")
    runs, steps = produced["runs"], produced["steps"]
    assert len(runs) == 200 and runs["task"].nunique() == 50
    assert runs.groupby("task").size().eq(4).all()
    assert len(steps) == 5308
    assert set(steps["role"]) == {"system", "user", "single", "tool"}
    assert steps["run_id"].isin(runs["run_id"]).all()
    ours = pass_hat_k(runs, [1, 2, 3, 4]).set_index("k")["pass_hat_k"]
    paper = datasets.paper_values()
    for k in (1, 2, 3, 4):
        assert round(ours[k], 2) == round(paper[f"tau-bench/leaderboard-pass-hat-{k}"].value, 2)


# --- hand-made files ------------------------------------------------------------------------------------


def test_tau_bench_parser_on_a_tiny_file(tmp_path):
    call = {"function": {"name": "get_user", "arguments": '{"id": "u1"}'}, "id": "c1", "type": "function"}
    records = [
        {
            "task_id": 3,
            "trial": 1,
            "reward": 0.9999999,
            "info": {"task": {"actions": [{"name": "x", "kwargs": {"id": "u1"}}]}, "user_cost": 0.01},
            "traj": [
                {"role": "system", "content": "policy"},
                {"role": "user", "content": "hi"},
                {"role": "assistant", "content": None, "tool_calls": [call]},
                {"role": "tool", "content": "{}", "name": "get_user", "tool_call_id": "c1"},
                {"role": "assistant", "content": "done"},
            ],
        },
        {
            "task_id": 3,
            "trial": 0,
            "reward": 0.0,
            "info": {"task": {"actions": []}, "user_cost": None},
            "traj": [{"role": "user", "content": "hi"}],
        },
    ]
    path = tmp_path / "traj.json"
    path.write_text(json.dumps(records))
    produced = tau_bench.parse({tau_bench.TRAJECTORY_FILE: path})
    runs, steps = produced["runs"], produced["steps"]
    assert list(runs["run_id"]) == ["airline/task003/trial0", "airline/task003/trial1"]
    assert list(runs["success"]) == [False, True]  # reward within 1e-6 of 1 counts as a pass
    assert list(runs["n_gold_actions"]) == [0, 1]
    assert [json.loads(text) for text in runs["gold_actions"]] == [[], [{"name": "x", "arguments": {"id": "u1"}}]]
    agent = steps[steps["run_id"] == "airline/task003/trial1"]
    assert list(agent["role"]) == ["system", "user", "single", "tool", "single"]
    assert list(agent["turn"]) == [0, 0, 0, 0, 1]
    assert json.loads(agent["tool_calls"].iloc[2]) == [{"name": "get_user", "arguments": {"id": "u1"}}]
    assert agent["tool_name"].iloc[3] == "get_user"


def test_tau_bench_parser_rejects_unknown_roles(tmp_path):
    path = tmp_path / "traj.json"
    path.write_text(
        json.dumps(
            [
                {
                    "task_id": 0,
                    "trial": 0,
                    "reward": 1.0,
                    "info": {"task": {"actions": []}},
                    "traj": [{"role": "narrator", "content": "x"}],
                }
            ]
        )
    )
    with pytest.raises(ValueError, match="narrator"):
        tau_bench.parse({tau_bench.TRAJECTORY_FILE: path})


def _aider_entry(**overrides):
    entry = {
        "dirname": "d1",
        "model": "m",
        "edit_format": "diff",
        "date": "2025-01-01",
        "total_tests": 225,
        "test_cases": 225,
        "pass_num_1": 10,
        "pass_num_2": 45,
        "pass_rate_1": 4.4,
        "pass_rate_2": 20.0,
        "total_cost": 0.0,
        "seconds_per_case": 3.0,
        "percent_cases_well_formed": 100.0,
    }
    return {**entry, **overrides}


def test_aider_parser_reads_zero_cost_as_missing_and_checks_rates(tmp_path):
    path = tmp_path / "board.yml"
    path.write_text(yaml.safe_dump([_aider_entry(), _aider_entry(dirname="d2", total_cost=2.5)]))
    table = aider.parse({aider.LEADERBOARD_FILE: path})["runs"]
    assert table["cost_usd"].isna().tolist() == [True, False]
    path.write_text(yaml.safe_dump([_aider_entry(pass_rate_2=30.0)]))
    with pytest.raises(ValueError, match="entry 1"):
        aider.parse({aider.LEADERBOARD_FILE: path})


def test_simple_calls_parser_attributes_calls_to_tasks(tmp_path):
    folder = tmp_path / "gpt-x" / "run2"
    folder.mkdir(parents=True)
    results = folder / "probs.jsonl"
    results.write_text(
        "\n".join(json.dumps({"task_id": t, "is_solved": ok}) for t, ok in (("T/0", True), ("T/1", False)))
    )
    events = [
        {"type": "run_started"},
        {"type": "task_started", "task_id": "T/0"},
        {"type": "api_call", "prompt_tokens": 5, "completion_tokens": 7, "inference_time": 1.5},
        {"type": "api_call", "prompt_tokens": 6, "completion_tokens": 1, "inference_time": 0.5},
        {"type": "task_finished", "task_id": "T/0"},
        {"type": "task_started", "task_id": "T/1"},
        {"type": "task_finished", "task_id": "T/1"},
    ]
    log = folder / "probs.log"
    log.write_text("\n".join(json.dumps(e) for e in events))
    other = tmp_path / "gpt-x" / "early_base"
    other.mkdir()
    (other / "probs.jsonl").write_text(json.dumps({"task_id": "T/0", "is_solved": False}))
    files = {
        "out/gpt-x/run2/probs.jsonl": results,
        "out/gpt-x/run2/probs.log": log,
        "out/gpt-x/early_base/probs.jsonl": other / "probs.jsonl",
    }
    produced = agent_eval.parse_simple_calls(files)
    runs = produced["runs"].set_index("run_id")
    assert runs.loc["gpt-x/run2/T/0", "prompt_tokens"] == 11 and runs.loc["gpt-x/run2/T/0", "n_calls"] == 2
    assert runs.loc["gpt-x/run2/T/1", "n_calls"] == 0  # logged, but no call: zero, not missing
    assert pd.isna(runs.loc["gpt-x/early_base/T/0", "prompt_tokens"])
    assert runs.loc["gpt-x/run2/T/0", "seed"] == 2 and runs.loc["gpt-x/early_base/T/0", "seed"] == 3
    assert list(produced["steps"]["step"]) == [0, 1]


def test_simple_calls_parser_rejects_calls_outside_tasks(tmp_path):
    log = tmp_path / "x.log"
    log.write_text(json.dumps({"type": "api_call", "time": "t0"}))
    with pytest.raises(ValueError, match="outside any task"):
        agent_eval._calls_by_task(log)


def test_efficiency_paper_values_card_lists_every_paper():
    table = datasets.load("paper-values")
    table = table[table["file"] == "published/efficiency/paper_values.csv"]
    card = (data_dir() / "published/efficiency/README.md").read_text()
    for arxiv in table["arxiv"].unique():
        assert arxiv in card
    assert datasets.paper_values()["efficient-agents/cost-of-pass-improvement"].value == pytest.approx(0.284)
