"""The live context A/B on the simulated endpoint: the three policies' prompts, the episodes in both action
encodings, resuming."""

import json
from functools import partial
from types import SimpleNamespace

import pandas as pd
import pytest

from agenteff.engines import context_ab as ab
from agenteff.engines.actions import Action
from agenteff.engines.sweep import Job, run_sweep, stored_jobs
from agenteff.llm import resolve_endpoint


def _history(n, encoding="native"):
    return [
        {
            "encoding": encoding,
            "result": SimpleNamespace(content=f"REPORT: step {i}"),
            "actions": [Action("lookup", {"key": f"k00{chr(97 + i)}"}, f"REPORT: step {i}", f"call{i}")],
            "observations": [f"record {i}"],
        }
        for i in range(n)
    ]


def test_messages_under_each_policy():
    history = _history(3)
    mono = ab.build_messages("mono-context", "Q", history, keep_last=1, report_words=10)
    assert [m["role"] for m in mono] == ["system", "user"] + ["assistant", "tool"] * 3
    assert [m["content"] for m in mono if m["role"] == "tool"] == ["record 0", "record 1", "record 2"]
    omission = ab.build_messages("omission", "Q", history, keep_last=1, report_words=10)
    assert [m["content"] for m in omission if m["role"] == "tool"] == ["[omitted]", "[omitted]", "record 2"]
    workspace = ab.build_messages("workspace", "Q", history, keep_last=1, report_words=2)
    assert [m["role"] for m in workspace] == ["system", "user", "assistant", "tool"]
    assert workspace[1]["content"] == "Q\nREPORT so far: step 2"  # the latest report, cut to 2 words
    assert workspace[-1]["content"] == "record 2"


def test_structured_history_goes_back_as_observation_messages():
    omission = ab.build_messages("omission", "Q", _history(2, "structured"), keep_last=1, report_words=10)
    assert [m["role"] for m in omission] == ["system", "user"] + ["assistant", "user"] * 2
    observations = [m["content"] for m in omission[3::2]]
    assert "[omitted]" in observations[0] and "record 1" in observations[1]
    assert all("lookup" in text for text in observations)  # each names the tool that answered


def test_lookup_tasks_are_seeded_and_refuse_nonsense():
    first, again = ab.lookup_tasks(2, 3, 5, seed=7), ab.lookup_tasks(2, 3, 5, seed=7)
    pd.testing.assert_frame_equal(first, again)
    records = json.loads(first["records"].iloc[0])
    values = [int(text.split("value=")[1].split()[0]) for text in records.values()]
    assert first["gold"].iloc[0] == sum(values)
    with pytest.raises(ValueError):
        ab.lookup_tasks(0, 3, 5, seed=7)


@pytest.mark.parametrize("encoding", ["native", "structured"])
def test_simulated_ab_runs_every_policy_and_records_usage(encoding):
    tasks = ab.lookup_tasks(2, 4, 80, seed=1)
    out = ab.run_context_ab(resolve_endpoint("simulated"), tasks, action_encoding=encoding)
    runs, steps = out["runs"], out["steps"]
    assert len(runs) == 2 * len(ab.POLICIES) and runs["success"].all()
    assert runs["simulated"].all() and (runs["served_model"] == ab.lookup_agent_model().name).all()
    calls = steps[steps["kind"] == "llm_call"]
    assert calls["prompt_tokens"].gt(0).all() and calls["cached_tokens"].notna().all()
    assert (calls["encoding"] == encoding).all() and (calls["malformed"] == "").all()
    # each episode: 4 lookups, one key per call, then the answer
    assert (calls.groupby("run_id").size() == 5).all()
    assert (calls.groupby("run_id")["action"].agg(list) == [["lookup"] * 4 + ["final_answer"]] * len(runs)).all()
    first_calls = calls[calls["action"] == "lookup"].groupby("run_id")["tool_calls"].first()
    assert {json.loads(text)[0]["arguments"]["key"] for text in first_calls} == {"k00a", "k01a"}
    assert steps["kind"].eq("tool_result").sum() == 4 * len(runs)
    totals = runs.groupby("architecture")["prompt_tokens"].sum()
    # 4 lookups of long records: the full history costs more prompt tokens than either bounded policy
    assert totals["mono-context"] > totals["omission"] and totals["mono-context"] > totals["workspace"]
    last = calls.groupby("run_id")["prompt_tokens"].last()
    assert last[last.index.str.contains("workspace")].max() < last[last.index.str.contains("mono")].min()


def test_unknown_policy_is_refused():
    with pytest.raises(ValueError, match="unknown policy"):
        ab.run_episode(
            None,
            "m",
            pd.Series({"task": "t", "records": "{}"}),
            "nonsense",
            encoding="native",
            max_turns=1,
            max_tokens=1,
            keep_last=1,
            report_words=1,
            seed=0,
        )


def test_a_stored_episode_is_not_run_again(tmp_path):
    tasks = ab.lookup_tasks(2, 2, 10, seed=3)
    sim = ab.lookup_agent_model()
    with resolve_endpoint("simulated").serve([sim]) as running:
        job = partial(
            ab._episode_job,
            running,
            model=sim.name,
            encoding="structured",
            tasks=tasks,
            max_turns=6,
            max_tokens=64,
            keep_last=1,
            report_words=20,
            options={"cache": False},
        )
        jobs = [Job(task, policy, 0) for task in tasks["task"] for policy in ab.POLICIES]
        first = run_sweep(job, jobs[:3], tmp_path, executor="thread", max_workers=2)
        assert stored_jobs(tmp_path) == 3
        every = run_sweep(job, jobs, tmp_path, executor="thread", max_workers=2)
    assert stored_jobs(tmp_path) == 6
    assert not every.duplicated(["run_id", "step"]).any()
    kept = every[every["run_id"].isin(first["run_id"])].reset_index(drop=True)
    pd.testing.assert_frame_equal(kept, first.reset_index(drop=True), check_like=True)
