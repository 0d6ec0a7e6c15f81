"""A planted API key must not reach the cache, the run store, logs, printed output, errors or figures."""

import functools
import hashlib
import logging
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from agenteff import report  # noqa: E402
from agenteff.engines.sweep import grid, run_sweep  # noqa: E402
from agenteff.llm import LLMClient, RetriesExhausted, SimModel, sim_server  # noqa: E402

# A fake key, assembled at run time so secret scanners of the repository do not flag this file.
CANARY = "sk-" + "agenteff-canary-7f3c9a1e5b"
MODEL = "sim-secret"
PRICES = {MODEL: {"input": 1.0, "output": 2.0}}


def ask(job, base_url, cache_dir):
    """A sweep job: the key comes from the worker's environment, never from the job."""
    with LLMClient(base_url=base_url, cache_dir=cache_dir, prices=PRICES, backoff_base_s=0.01) as client:
        result = client.chat(MODEL, [{"role": "user", "content": f"What is {job.seed} + 1?"}])
    return [{"answer": result.content, "cost_usd": result.cost_usd}]


def _files_containing(root: Path, needle: bytes) -> list[str]:
    return [str(p) for p in root.rglob("*") if p.is_file() and needle in p.read_bytes()]


def test_planted_key_is_written_nowhere(tmp_path, monkeypatch, capfd):
    monkeypatch.setenv("OPENAI_API_KEY", CANARY)
    monkeypatch.setenv("AGENTEFF_FIGURES_DIR", str(tmp_path / "figures"))
    log_file = tmp_path / "logs" / "debug.log"
    log_file.parent.mkdir()
    handler = logging.FileHandler(log_file)
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)  # the SDK, httpx and our modules at their most talkative
    digest = hashlib.sha256(CANARY.encode()).hexdigest()
    try:
        # the endpoint serves only requests carrying the planted key, so every success proves it was sent
        with sim_server([SimModel(MODEL, error_prob=0.0, latency_mean_s=0.0)], api_key_sha256=digest) as url:
            with LLMClient(base_url=url, cache_dir=tmp_path / "cache", prices=PRICES) as client:
                results = client.chat_many(
                    [dict(model=MODEL, messages=[{"role": "user", "content": f"{i} + 2"}]) for i in range(5)]
                )
                print(client, client.stats, results[0])
            records = run_sweep(
                functools.partial(ask, base_url=url, cache_dir=str(tmp_path / "cache")),
                grid(["t"], ["c"], range(4)),
                tmp_path / "run",
                executor="process",
                max_workers=2,
            )
            print(records.to_string())
        with sim_server([SimModel(MODEL, latency_mean_s=0.0)], {"server_error": 1.0}) as url:
            with LLMClient(
                base_url=url, cache_dir=tmp_path / "cache", prices=PRICES, max_retries=1, backoff_base_s=0.01
            ) as client:
                with pytest.raises(RetriesExhausted) as failure:
                    client.chat(MODEL, [{"role": "user", "content": "hi"}])
                print(failure.value)
        fig, ax = plt.subplots()
        ax.bar(records["seed"], records["cost_usd"])
        ax.set(title="Cost per job (simulated)", xlabel="seed", ylabel="cost (USD)")
        report.save_fig(report.StudyFigure("costs", report.mark_simulated(fig), "cost per job"), "00_secrets_test")
    finally:
        root.removeHandler(handler)
        root.setLevel(previous_level)
        handler.close()
    assert records["answer"].tolist() == [f"The answer is {s + 1}." for s in range(4)]
    assert log_file.stat().st_size > 0  # the log did record the traffic
    written = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert any(p.startswith("cache") for p in written) and any(p.startswith("run") for p in written)
    assert any(p.startswith("figures") for p in written)
    assert _files_containing(tmp_path, CANARY.encode()) == []
    captured = capfd.readouterr()
    assert CANARY not in captured.out and CANARY not in captured.err
    assert CANARY not in str(failure.value)
