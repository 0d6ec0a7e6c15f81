"""tau2-bench results files as users' logs: the hand-made fixture summed by hand, and one mirrored leaderboard file.

The fixture ``tests/fixtures/logs/tau2_airline_results.json`` holds two simulations of task 3 by gpt-4o-mini (user
simulator gpt-4.1). Simulation a (trial 0, reward 1, user_stop): greeting, user 400/12, agent 2000/30 with a tool
call, the tool's answer, agent 2100/10, user 450/3. Simulation b (trial 1, reward 0, max_steps): greeting, user
410/8, agent 1900/20, user 440/9. Prices (data/prices.csv, USD per million): gpt-4o-mini 0.15 in / 0.60 out,
gpt-4.1 2.00 in / 8.00 out.
"""

import json
import os
from pathlib import Path

import pandas as pd
import pytest

from agenteff import datasets, logs, metrics, schema
from agenteff.__main__ import main

RESULTS = Path(__file__).parents[1] / "fixtures" / "logs" / "tau2_airline_results.json"


def test_agent_tools_and_user_simulator_kept_apart_by_hand():
    log = logs.load(RESULTS)
    runs = log.runs.set_index("seed")
    assert list(log.files["format"]) == ["tau2"]
    assert list(runs["run_id"]) == [
        "tau2-airline/tau2_airline_results/task003/trial0",
        "tau2-airline/tau2_airline_results/task003/trial1",
    ]
    # the agent's calls only: 2000 + 2100 and 30 + 10; then 1900 and 20
    assert (runs.loc[0, "prompt_tokens"], runs.loc[0, "completion_tokens"]) == (4100, 40)
    assert (runs.loc[1, "prompt_tokens"], runs.loc[1, "completion_tokens"]) == (1900, 20)
    # the user simulator's apart: 400 + 450 and 12 + 3; 410 + 440 and 8 + 9
    assert (runs.loc[0, "user_prompt_tokens"], runs.loc[0, "user_completion_tokens"]) == (850, 15)
    assert (runs.loc[1, "user_prompt_tokens"], runs.loc[1, "user_completion_tokens"]) == (850, 17)
    assert runs.loc[0, "cost_usd"] == pytest.approx(0.000639) and runs.loc[0, "cost_source"] == "recorded"
    assert runs.loc[0, "user_cost_usd"] == pytest.approx(0.00182)
    assert runs["cached_tokens"].isna().all()  # the files have no cache split: unknown, not 0
    assert runs.loc[0, "success"] and not runs.loc[1, "success"]
    assert (runs.loc[0, "status"], runs.loc[1, "status"]) == ("success", "limit")
    assert runs.loc[0, "latency_s"] == 20.5 and runs.loc[0, "model"] == "gpt-4o-mini"
    first = log.steps[log.steps["run_id"] == runs.loc[0, "run_id"]]
    assert list(first["kind"]) == ["message", "user simulator", "model", "tool", "model", "user simulator"]
    assert list(first["model"].fillna("-")) == ["-", "gpt-4.1", "gpt-4o-mini", "-", "gpt-4o-mini", "gpt-4.1"]
    assert json.loads(first["tool_calls"].iloc[2]) == [
        {"name": "get_reservation_details", "arguments": {"reservation_id": "ABC123"}}
    ]
    assert first["tool_name"].iloc[3] == "get_reservation_details"
    assert log.samples is None  # multi-turn runs with tools are no single-call evaluation
    # the trajectory metrics see the greeting and two calls as the agent's, two user turns, one tool call
    counts = metrics.trajectory_counts(log.steps).set_index("run_id").loc[runs.loc[0, "run_id"]]
    assert (counts["n_agent_steps"], counts["n_user_turns"], counts["n_tool_calls"]) == (3, 2, 1)


def test_repricing_bills_the_agent_not_the_user_simulator():
    priced = logs.reprice(logs.load(RESULTS))
    runs = priced.runs.set_index("seed")
    # (2000 + 2100) * 0.15 + (30 + 10) * 0.60 = 639 micro-USD; 1900 * 0.15 + 20 * 0.60 = 297
    assert runs.loc[0, "cost_usd"] == pytest.approx(639e-6)
    assert runs.loc[1, "cost_usd"] == pytest.approx(297e-6)
    assert runs.loc[0, "recorded_cost_usd"] == pytest.approx(0.000639)
    user = priced.steps[priced.steps["kind"] == "user simulator"]
    assert user["cost_usd"].isna().all() and user["recorded_cost_usd"].sum() == pytest.approx(0.00182 + 0.001836)


def test_threshold_applies_to_the_reward(tmp_path):
    doc = json.loads(RESULTS.read_text())
    doc["simulations"][1]["reward_info"]["reward"] = 0.5
    path = tmp_path / "partial.json"
    path.write_text(json.dumps(doc))
    assert list(logs.load(path).runs["success"]) == [True, False]
    assert list(logs.load(path, threshold=0.5).runs["success"]) == [True, True]


def test_the_api_key_in_llm_args_goes_nowhere(tmp_path):
    assert "FIXTURE-KEY-MUST-NOT-BE-READ" in RESULTS.read_text()
    assert main(["import", str(RESULTS), "--out", str(tmp_path / "out")]) == 0
    for written in (tmp_path / "out").iterdir():
        assert b"FIXTURE-KEY-MUST-NOT-BE-READ" not in written.read_bytes()
    log = logs.load(RESULTS)
    for table in (log.runs, log.steps):
        assert not table.astype(str).apply(lambda c: c.str.contains("FIXTURE-KEY")).any().any()


def test_bad_results_files_name_file_and_simulation(tmp_path):
    doc = json.loads(RESULTS.read_text())
    del doc["simulations"][1]["reward_info"]
    path = tmp_path / "no_reward.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(logs.LogFormatError, match=r"no_reward\.json: simulation 'sim-b': no 'reward_info.reward'"):
        logs.load(path)
    truncated = tmp_path / "truncated.json"
    truncated.write_text(RESULTS.read_text()[:2000])
    with pytest.raises(logs.LogFormatError, match=r"truncated\.json: not valid JSON"):
        logs.load(truncated, format="tau2")
    doc = json.loads(RESULTS.read_text())
    doc["simulations"][0]["messages"][1]["role"] = "system"
    path.write_text(json.dumps(doc))
    with pytest.raises(logs.LogFormatError, match="message 1: unknown role 'system'"):
        logs.load(path)


def test_cli_imports_a_results_file(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["import", str(RESULTS), "--out", str(out), "--format", "tau2", "--reprice"]) == 0
    runs = schema.read_table(out / "runs.parquet", schema.RUNS)
    assert runs["prompt_tokens"].tolist() == [4100, 1900] and runs["cost_source"].eq("repriced").all()
    printed = capsys.readouterr().out
    assert "tau2_airline_results.json" in printed and "gpt-4o-mini" in printed


@pytest.mark.skipif(
    not os.environ.get(datasets.MIRROR_VARIABLE), reason="the leaderboard file needs the offline mirror"
)
def test_a_mirrored_leaderboard_file_by_its_own_usage():
    files = datasets.fetch("tau2-bench-airline")
    (path,) = [p for name, p in files.items() if name.endswith("ironshell_airline_gpt54_run1.json")]
    log = logs.load(path)
    raw = json.loads(Path(path).read_text())
    assert len(log.runs) == len(raw["simulations"]) == 50
    # the agent's and the user simulator's usage summed straight from the file's messages
    by_role: dict[str, list[int]] = {"assistant": [0, 0], "user": [0, 0]}
    for simulation in raw["simulations"]:
        for message in simulation["messages"]:
            if message.get("usage"):
                by_role[message["role"]][0] += message["usage"]["prompt_tokens"]
                by_role[message["role"]][1] += message["usage"]["completion_tokens"]
    runs = log.runs
    assert [runs["prompt_tokens"].sum(), runs["completion_tokens"].sum()] == by_role["assistant"]
    assert [runs["user_prompt_tokens"].sum(), runs["user_completion_tokens"].sum()] == by_role["user"]
    assert runs["cost_usd"].sum() == pytest.approx(sum(s["agent_cost"] for s in raw["simulations"]))
    assert runs["success"].sum() == sum(abs(s["reward_info"]["reward"] - 1) < 1e-6 for s in raw["simulations"])
    assert set(runs["model"]) == {raw["info"]["agent_info"]["llm"]}
    # the study's road gives the same agent tokens per simulation
    study = datasets.tables("tau2-bench-airline")["runs"]
    study = study[study["submission"] == "ironshell-gpt-5.4"]
    assert sorted(study["prompt_tokens"]) == sorted(runs["prompt_tokens"])
    assert pd.api.types.is_integer_dtype(runs["prompt_tokens"])


def test_results_are_streamed_not_loaded_whole(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("json.load on a whole results file")

    monkeypatch.setattr(json, "load", refuse)
    assert len(logs.load(RESULTS).runs) == 2
