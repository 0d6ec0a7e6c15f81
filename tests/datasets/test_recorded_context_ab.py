"""Study 09's recorded real-model context A/B: the recorder, the parser, and the committed data set."""

import json

import pandas as pd
import pytest

from agenteff import datasets, schema
from agenteff.datasets.recorded import CONTEXT_AB_RUNS_FILE, CONTEXT_AB_STEPS_FILE, parse_context_ab
from agenteff.engines import context_ab
from agenteff.llm import SimModel, resolve_endpoint, sim_server
from agenteff.llm.local_server import MODEL_NAME


def _files(directory):
    return {name: directory / name.split("/")[-1] for name in (CONTEXT_AB_RUNS_FILE, CONTEXT_AB_STEPS_FILE)}


def test_a_recording_reads_back_as_it_was_written(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENTEFF_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setitem(context_ab.RECORDING, "n_tasks", 1)
    # a simulated agent behind a plain URL stands in for a live server without native tool calls
    agent = SimModel(
        "stand-in",
        behaviour=f"{context_ab.__name__}:lookup_behaviour",
        error_prob=0.0,
        params={"native_tools": False, "json_schema": True},
    )
    with sim_server([agent]) as url:
        written = context_ab.record_context_ab(tmp_path, resolve_endpoint(url), "stand-in")
    read = parse_context_ab(_files(tmp_path))
    assert len(read["runs"]) == len(context_ab.POLICIES) and read["runs"]["success"].all()
    calls = read["steps"][read["steps"]["kind"] == "llm_call"]
    assert set(calls["encoding"]) == {"structured"} and (calls["malformed"] == "").all()
    pd.testing.assert_frame_equal(
        read["steps"][["run_id", "step", "prompt_tokens", "tool_calls"]],
        written["steps"][["run_id", "step", "prompt_tokens", "tool_calls"]],
        check_dtype=False,
    )
    assert read["runs"]["answer"].str.startswith("ANSWER").all()  # an answer stays text


def test_a_recording_refuses_the_simulated_endpoint(tmp_path):
    with pytest.raises(ValueError, match="real model"):
        context_ab.record_context_ab(tmp_path, resolve_endpoint("simulated"), "m")


def test_bad_recorded_files_are_named(tmp_path):
    runs = pd.DataFrame([{"run_id": "r1", "task": "lookup00", "suite": "lookup", "architecture": "workspace"}])
    runs = runs.assign(n_agents=1, model="m", seed=0, success=False)
    steps = pd.DataFrame([{"run_id": "r2", "step": 0, "agent_id": "agent", "role": "single", "round": 0, "turn": 0}])
    files = _files(tmp_path)
    runs.to_csv(files[CONTEXT_AB_RUNS_FILE], index=False)
    steps.to_csv(files[CONTEXT_AB_STEPS_FILE], index=False)
    with pytest.raises(ValueError, match=r"smollm2_135m_context_ab_steps.csv: steps of runs missing .* 'r2'"):
        parse_context_ab(files)
    steps.assign(run_id="r1", turn=-1).to_csv(files[CONTEXT_AB_STEPS_FILE], index=False)
    with pytest.raises(schema.SchemaError, match=r"context_ab_steps.csv.*row 1.*turn"):
        parse_context_ab(files)


def test_the_committed_recording_is_a_real_multi_step_run_of_every_policy():
    tables = datasets.tables("smollm2-135m-context-ab")
    runs, steps = tables["runs"], tables["steps"]
    settings = context_ab.RECORDING
    assert sorted(set(runs["architecture"])) == sorted(context_ab.POLICIES)
    assert len(runs) == settings["n_tasks"] * len(context_ab.POLICIES)
    assert not runs["simulated"].any() and set(runs["served_model"]) == {MODEL_NAME}
    calls = steps[steps["kind"] == "llm_call"]
    assert set(calls["encoding"]) == {"structured"}  # SmolLM2 makes no native tool calls
    assert calls.groupby("run_id").size().min() > 1 and calls["cached_tokens"].notna().all()
    called = calls["tool_calls"].map(json.loads).map(len)
    assert (steps["kind"] == "tool_result").sum() == called.sum() > 0  # one result per tool call
    tasks = context_ab.lookup_tasks(settings["n_tasks"], settings["n_keys"], settings["record_words"], settings["seed"])
    assert runs.set_index("task")["gold"].groupby(level=0).first().to_dict() == dict(zip(tasks["task"], tasks["gold"]))
