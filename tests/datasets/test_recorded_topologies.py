"""Study 02's recorded real-model topology runs: the recorder, the parser, and the committed data set."""

import pandas as pd
import pytest

from agenteff import datasets, schema
from agenteff.datasets.recorded import TOPOLOGY_RUNS_FILE, TOPOLOGY_STEPS_FILE, parse_topologies
from agenteff.engines.topologies import ARCHITECTURES, BEHAVIOUR, RECORDING, record_trajectories
from agenteff.llm import SimModel, resolve_endpoint, sim_server
from agenteff.llm.local_server import MODEL_NAME


def _files(directory):
    return {name: directory / name.split("/")[-1] for name in (TOPOLOGY_RUNS_FILE, TOPOLOGY_STEPS_FILE)}


def test_a_recording_reads_back_as_it_was_written(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENTEFF_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setitem(RECORDING, "n_tasks", 1)
    # a simulated agent behind a plain URL stands in for a live server without native tool calls
    agent = SimModel(
        "stand-in", behaviour=BEHAVIOUR, error_prob=0.0, params={"native_tools": False, "json_schema": True}
    )
    with sim_server([agent]) as url:
        runs, steps = record_trajectories(tmp_path / "out", resolve_endpoint(url), "stand-in")
    assert sorted(set(runs["architecture"])) == sorted(ARCHITECTURES) and len(runs) == 5 * 2
    assert set(runs["action_encoding"]) == {"structured"}  # probed
    read = parse_topologies(_files(tmp_path / "out"))
    pd.testing.assert_frame_equal(read["runs"], runs, check_dtype=False)
    same = ["run_id", "step", "agent_id", "content", "action", "tool_calls", "observations", "malformed"]
    pd.testing.assert_frame_equal(read["steps"][same], steps[same], check_dtype=False)
    with pytest.raises(ValueError, match="not the simulated one"):
        record_trajectories(tmp_path / "out", resolve_endpoint("simulated"), "stand-in")


def test_bad_recorded_files_are_named(tmp_path):
    runs = pd.DataFrame(
        [{"run_id": "r1", "task": "P000", "suite": "parallel", "architecture": "single", "n_agents": 1}]
    ).assign(model="m", seed=0, success=True)
    steps = pd.DataFrame([{"run_id": "r2", "step": 0, "agent_id": "a1", "role": "single", "round": 0, "turn": 0}])
    files = _files(tmp_path)
    runs.to_csv(files[TOPOLOGY_RUNS_FILE], index=False)
    steps.to_csv(files[TOPOLOGY_STEPS_FILE], index=False)
    with pytest.raises(ValueError, match=r"smollm2_135m_topology_steps.csv: steps of runs missing .* 'r2'"):
        parse_topologies(files)
    steps.assign(run_id="r1", role="boss").to_csv(files[TOPOLOGY_STEPS_FILE], index=False)
    with pytest.raises(schema.SchemaError, match=r"topology_steps.csv.*row 1.*role"):
        parse_topologies(files)


def test_the_recorded_run_is_a_real_multi_turn_run_of_every_topology():
    tables = datasets.tables("smollm2-135m-topologies")
    runs, steps = tables["runs"], tables["steps"]
    assert sorted(set(runs["architecture"])) == sorted(ARCHITECTURES)
    assert not runs["simulated"].any() and set(runs["served_model"]) == {MODEL_NAME}
    assert set(runs["action_encoding"]) == {"structured"}  # SmolLM2 makes no native tool calls
    per_run = steps.groupby("run_id").size()
    assert per_run.mean() > 1.5 and (steps["tool_calls"] != "[]").any()
    single = runs.loc[runs["architecture"] == "single", "run_id"]
    assert per_run.reindex(single).mean() > 1.5  # the single agent itself acts several times
    counted = steps[steps["malformed"] != ""].groupby("run_id").size()
    assert (
        runs.set_index("run_id")["malformed_actions"].to_dict()
        == counted.reindex(runs["run_id"], fill_value=0).to_dict()
    )
