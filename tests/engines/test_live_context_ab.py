"""The context A/B against the real local server (llama-server with SmolLM2-135M): per-call usage with cached
tokens, labelled with the model, agents acting through structured actions, and a second call that finds every
episode stored (issue 22)."""

from agenteff.engines import context_ab
from agenteff.engines.sweep import stored_jobs
from agenteff.llm import resolve_endpoint
from agenteff.llm.local_server import MODEL_NAME


def test_live_ab_records_real_usage_and_resumes(llama_server_url, tmp_path, monkeypatch):
    monkeypatch.setenv("AGENTEFF_CACHE_DIR", str(tmp_path / "cache"))
    endpoint = resolve_endpoint(llama_server_url)
    tasks = context_ab.lookup_tasks(2, 2, 20, seed=0)
    settings = dict(max_turns=3, max_tokens=48)
    first = context_ab.run_context_ab(endpoint, tasks, **settings)
    runs, steps = first["runs"], first["steps"]
    assert len(runs) == 2 * len(context_ab.POLICIES)
    assert not runs["simulated"].any() and runs["served_model"].str.contains(MODEL_NAME, case=False).all()
    calls = steps[steps["kind"] == "llm_call"]
    assert calls["prompt_tokens"].gt(0).all() and calls["cached_tokens"].notna().all()
    # SmolLM2 makes no native tool calls: the probe picks structured actions, and the agents act several times
    assert set(calls["encoding"]) == {"structured"} and calls.groupby("run_id").size().max() > 1
    assert (steps["kind"] == "tool_result").any()
    (store,) = (tmp_path / "cache").rglob("runs.sqlite")
    assert stored_jobs(store.parent) == len(runs)
    again = context_ab.run_context_ab(endpoint, tasks, **settings)
    assert stored_jobs(store.parent) == len(runs)
    assert again["steps"].equals(steps)
