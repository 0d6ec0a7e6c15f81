"""Sweeps against the simulated endpoint: exactly-once records through faults, resume after SIGKILL, Dask."""

import functools
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

from agenteff.engines.sweep import STORE_NAME, Job, RunStore, SweepIncomplete, grid, run_sweep, stored_jobs
from agenteff.llm import BudgetExceeded, LLMClient, SimModel, sim_server
from agenteff.llm.sim import server_stats

MODEL = "sim-sweep"
PRICES = {MODEL: {"input": 1.0, "cached_input": 0.5, "output": 2.0}}
TASKS = [f"add-{n}" for n in range(5)]
CONFIGS = {"short": {"rounds": 1}, "long": {"rounds": 3}}
FAULTS = {
    "rate_limit": 0.06,
    "server_error": 0.05,
    "malformed": 0.03,
    "disconnect": 0.03,
    "slow": 0.03,
    "slow_s": 2.0,
    "retry_after_s": 0.01,
    "seed": 11,
}


def solve(job: Job, base_url: str, cache_dir: str | None = None, log: str | None = None) -> list[dict]:
    """A small agent job: ``rounds`` questions about the task's number; one record per question."""
    if log:
        with open(log, "a") as handle:
            handle.write(job.job_id + "\n")
    number = int(job.task.split("-")[1])
    with LLMClient(
        base_url=base_url,
        cache_dir=cache_dir,
        cache=cache_dir is not None,
        prices=PRICES,
        max_retries=12,
        timeout_s=0.5,
        backoff_base_s=0.01,
        max_concurrency=4,
    ) as client:
        results = client.chat_many(
            [
                dict(model=MODEL, messages=[{"role": "user", "content": f"What is {number} * {job.seed} + {r}?"}])
                for r in range(job.params["rounds"])
            ]
        )
    return [
        {
            "round": r,
            "answer": res.content,
            "correct": res.content == f"The answer is {number * job.seed + r}.",
            "prompt_tokens": res.prompt_tokens,
            "completion_tokens": res.completion_tokens,
            "cost_usd": res.cost_usd,
            "latency_s": res.latency_s,
            "simulated": res.simulated,
        }
        for r, res in enumerate(results)
    ]


def fails_on_seed_one(job: Job) -> list[dict]:
    if job.seed == 1:
        raise RuntimeError(f"cannot do {job.job_id}")
    return [{"value": job.seed}]


SIM_MODELS = [
    SimModel(MODEL, error_prob=0.0, latency_mean_s=0.01, latency_sd_s=0.002)
]  # served by the sim_url fixture (tests/conftest.py)


def _expected_answers(jobs):
    return sorted(
        (j.job_id, r, f"The answer is {int(j.task.split('-')[1]) * j.seed + r}.")
        for j in jobs
        for r in range(j.params["rounds"])
    )


def test_grid_is_the_full_product():
    jobs = grid(["a", "b"], {"x": {"k": 1}, "y": {"k": 2}}, [0, 1, 2])
    assert len(jobs) == 12 and len({j.job_id for j in jobs}) == 12
    assert jobs[0] == Job("a", "x", 0) and jobs[0].params == {"k": 1} and jobs[-1].job_id == "b/y/2"


def test_sweep_through_twenty_percent_faults_stores_every_record_once(tmp_path):
    jobs = grid(TASKS, CONFIGS, seeds=[1, 2])
    with sim_server([SimModel(MODEL, error_prob=0.0, latency_mean_s=0.005, latency_sd_s=0.0)], FAULTS) as url:
        records = run_sweep(
            functools.partial(solve, base_url=url), jobs, tmp_path / "run", executor="thread", max_workers=4
        )
        server = server_stats(url)
    faults = sum(server[kind] for kind in ("rate_limit", "server_error", "malformed", "disconnect", "slow"))
    assert faults >= 0.1 * server["chat_requests"] > 0
    got = sorted(zip(records["job_id"], records["round"], records["answer"]))
    assert got == _expected_answers(jobs)  # every record, exactly once, correct
    assert records["correct"].all() and records["simulated"].all()
    assert list(records.columns[:4]) == ["job_id", "task", "config", "seed"]
    assert list(dict.fromkeys(records["job_id"])) == [j.job_id for j in jobs]  # grid order


def test_rerun_of_a_finished_sweep_runs_nothing(sim_url, tmp_path):
    jobs = grid(TASKS[:2], CONFIGS, seeds=[3])
    log = tmp_path / "ran.txt"
    run = functools.partial(solve, base_url=sim_url, log=str(log))
    first = run_sweep(run, jobs, tmp_path / "run", executor="thread")
    second = run_sweep(run, jobs, tmp_path / "run", executor="thread")
    assert sorted(log.read_text().split()) == sorted(j.job_id for j in jobs)  # each job ran once in all
    pd.testing.assert_frame_equal(first, second)


def test_local_process_pool_gives_the_same_store(sim_url, tmp_path):
    jobs = grid(TASKS[:3], CONFIGS, seeds=[2])
    by_threads = run_sweep(functools.partial(solve, base_url=sim_url), jobs, tmp_path / "t", executor="thread")
    by_processes = run_sweep(
        functools.partial(solve, base_url=sim_url), jobs, tmp_path / "p", executor="process", max_workers=2
    )
    pd.testing.assert_frame_equal(by_threads, by_processes)


def test_failed_jobs_are_kept_out_and_retried(tmp_path):
    jobs = grid(["t"], ["c"], seeds=[0, 1, 2])
    with pytest.raises(SweepIncomplete, match=r"1 of 3 jobs raised \(first: t/c/1: RuntimeError: cannot do t/c/1\)"):
        run_sweep(fails_on_seed_one, jobs, tmp_path, executor="thread")
    store = RunStore(tmp_path)
    assert store.done() == {"t/c/0", "t/c/2"}
    assert store.failures()["job_id"].tolist() == ["t/c/1"]
    store.close()


def test_sweep_budget_stops_and_resumes(sim_url, tmp_path):
    jobs = grid(TASKS, CONFIGS, seeds=[5])
    run = functools.partial(solve, base_url=sim_url)
    with pytest.raises(BudgetExceeded, match=r"sweep token budget reached: spent \d+ of 60 tokens; \d+ of 10 jobs"):
        run_sweep(run, jobs, tmp_path, executor="thread", max_workers=1, max_pending=1, budget_tokens=60)
    store = RunStore(tmp_path)
    stored = store.jobs()
    store.close()
    assert 1 <= len(stored) < len(jobs)
    finished = run_sweep(run, jobs, tmp_path, executor="thread")
    assert sorted(zip(finished["job_id"], finished["round"], finished["answer"])) == _expected_answers(jobs)


_KILLED_SWEEP = textwrap.dedent("""
    import functools, sys
    sys.path.insert(0, {tests!r})
    from test_sweep import CONFIGS, TASKS, solve
    from agenteff.engines.sweep import grid, run_sweep
    jobs = grid(TASKS, CONFIGS, seeds=[1, 2, 3])
    run_sweep(functools.partial(solve, base_url={url!r}, log={log!r}), jobs, {run_dir!r}, executor="thread",
              max_workers=2)
""")


def test_sweep_killed_with_sigkill_resumes_to_the_same_store(sim_url, tmp_path):
    jobs = grid(TASKS, CONFIGS, seeds=[1, 2, 3])
    reference = run_sweep(functools.partial(solve, base_url=sim_url), jobs, tmp_path / "reference", executor="thread")
    run_dir, log = tmp_path / "killed", tmp_path / "first.log"
    script = _KILLED_SWEEP.format(tests=str(Path(__file__).parent), url=sim_url, log=str(log), run_dir=str(run_dir))
    process = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.monotonic() + 60
    while stored_jobs(run_dir) < 5 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    stored_at_kill = stored_jobs(run_dir)
    assert 5 <= stored_at_kill < len(jobs), "the sweep must be killed part-way"
    resume_log = tmp_path / "resume.log"
    resumed = run_sweep(
        functools.partial(solve, base_url=sim_url, log=str(resume_log)), jobs, run_dir, executor="thread"
    )
    assert len(resume_log.read_text().split()) == len(jobs) - stored_at_kill  # finished jobs were not repeated
    pd.testing.assert_frame_equal(resumed, reference)


def test_dask_local_cluster_gives_the_same_store(sim_url, tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    jobs = grid(TASKS[:3], CONFIGS, seeds=[4])
    local = run_sweep(functools.partial(solve, base_url=sim_url), jobs, tmp_path / "local", executor="thread")
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=2, processes=False, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        on_dask = run_sweep(functools.partial(solve, base_url=sim_url), jobs, tmp_path / "dask", scheduler=client)
        address_run = run_sweep(
            functools.partial(solve, base_url=sim_url), jobs, tmp_path / "address", scheduler=cluster.scheduler_address
        )
    pd.testing.assert_frame_equal(on_dask, local)
    pd.testing.assert_frame_equal(address_run, local)


def test_a_live_study_run_dir_is_kept_per_settings_and_a_simulated_one_is_temporary(tmp_path, monkeypatch):
    from agenteff.engines.sweep import study_run_dir
    from agenteff.llm.endpoints import resolve_endpoint

    monkeypatch.setenv("AGENTEFF_CACHE_DIR", str(tmp_path))
    live = resolve_endpoint("http://127.0.0.1:9/v1", environ={})
    with study_run_dir(live, "s99", {"k": 1}) as first, study_run_dir(live, "s99", {"k": 1}) as again:
        assert first == again and first.is_relative_to(tmp_path)
    with study_run_dir(live, "s99", {"k": 2}) as other:
        assert other != first
    assert first.is_dir()
    with study_run_dir(resolve_endpoint(None, environ={}), "s99", {"k": 1}) as temporary:
        assert temporary.is_dir() and not temporary.is_relative_to(tmp_path)
    assert not temporary.exists()


def test_worker_client_is_made_once_per_endpoint_and_options(monkeypatch):
    from agenteff.engines import sweep
    from agenteff.llm.endpoints import Endpoint

    made = []

    class Recording(Endpoint):
        def client(self, **options):
            made.append(options)
            return object()

    endpoint = Recording(url="http://127.0.0.1:9/v1", simulated=False, source="parameter")
    monkeypatch.setattr(sweep, "_worker_clients", {})
    first = sweep.worker_client(endpoint, max_concurrency=2)
    assert sweep.worker_client(endpoint, max_concurrency=2) is first
    assert sweep.worker_client(endpoint, max_concurrency=3) is not first
    assert made == [{"max_concurrency": 2}, {"max_concurrency": 3}]


def test_stored_jobs_reads_a_store_being_created_as_empty(tmp_path):
    assert stored_jobs(tmp_path) == 0  # no store yet
    sqlite3.connect(tmp_path / STORE_NAME).close()  # the file exists, its tables not yet (a writer mid-creation)
    assert stored_jobs(tmp_path) == 0
    store = RunStore(tmp_path)
    store.add(Job("t", "c", 0), 0, [{"x": 1}])
    store.close()
    assert stored_jobs(tmp_path) == 1
