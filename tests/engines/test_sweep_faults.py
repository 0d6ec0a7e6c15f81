"""Issue 12, sweeps: job errors cross process boundaries as scrubbed text; a worker-killing job is isolated;
no worker outlives a sweep killed with kill -9."""

import functools
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import _sweep_jobs as jobs_module
import pytest

from agenteff.engines.sweep import (
    Job,
    RunFolderBusy,
    RunStore,
    SweepIncomplete,
    _Guarded,
    grid,
    run_sweep,
    stored_jobs,
)
from agenteff.llm import SimModel, sim_server

CANARY = "sk-" + "agenteff-canary-51e2d7"


def test_job_errors_come_back_as_scrubbed_text(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", CANARY)
    job = Job("t", "c", 0)
    with pytest.raises(Exception) as raised:
        jobs_module.raises_with_key(job)
    assert CANARY.encode() in pickle.dumps(raised.value)  # the SDK error itself would carry the key
    returned = _Guarded(jobs_module.raises_with_key)(job)
    assert CANARY.encode() not in pickle.dumps(returned)
    assert returned.error.startswith("AuthenticationError: Incorrect API key provided: [redacted]")
    with pytest.raises(SweepIncomplete) as caught:
        run_sweep(jobs_module.raises_with_key, [job], tmp_path / "run", executor="process", max_workers=1)
    store = RunStore(tmp_path / "run")
    (error,) = store.failures()["error"]
    store.close()
    assert "AuthenticationError" in error and CANARY not in error and CANARY not in str(caught.value)
    assert all(CANARY.encode() not in p.read_bytes() for p in (tmp_path / "run").rglob("*") if p.is_file())


def test_a_job_that_kills_its_worker_is_isolated_and_the_rest_complete(tmp_path):
    jobs = grid(["t"], ["c"], range(8))
    started = time.monotonic()
    with pytest.raises(SweepIncomplete, match=r"1 of 8 jobs raised \(first: t/c/3: its worker process died"):
        run_sweep(jobs_module.crashes_on_seed_three, jobs, tmp_path / "run", executor="process", max_workers=2)
    assert time.monotonic() - started < 60
    store = RunStore(tmp_path / "run")
    try:
        assert sorted(store.done()) == sorted(j.job_id for j in jobs if j.seed != 3)
        failures = store.failures()
        assert failures["job_id"].tolist() == ["t/c/3"]
        assert "re-run alone and killed its worker again" in failures["error"].iloc[0]
        assert store.load()["value"].tolist() == [s * 10 for s in range(8) if s != 3]
    finally:
        store.close()


_SWEEP_SCRIPT = textwrap.dedent("""
    import functools, sys
    sys.path.insert(0, {tests!r})
    import _sweep_jobs
    from agenteff.engines.sweep import grid, run_sweep
    if __name__ == "__main__":
        run_sweep(functools.partial(_sweep_jobs.sleeps_and_logs_pid, log={log!r}),
                  grid(["t"], ["c"], range({n_jobs})), {run_dir!r}, executor="process", max_workers=2)
""")


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state != "Z"  # a zombie has exited; only its parent's bookkeeping is left


def test_no_worker_outlives_a_sweep_killed_with_sigkill(tmp_path):
    log = tmp_path / "pids.log"
    script = tmp_path / "sweep.py"
    script.write_text(
        _SWEEP_SCRIPT.format(tests=str(Path(__file__).parent), log=str(log), run_dir=str(tmp_path / "run"), n_jobs=40)
    )
    process = subprocess.Popen([sys.executable, str(script)])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        if log.exists() and len(set(log.read_text().split())) >= 2:
            break
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    workers = {int(p) for p in log.read_text().split()}
    assert len(workers) >= 2, "both workers must have started before the kill"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(p) for p in workers):
        time.sleep(0.1)
    survivors = [p for p in workers if _alive(p)]
    for pid in survivors:  # leave nothing behind even when the test fails
        os.kill(pid, signal.SIGKILL)
    assert survivors == []


def test_a_second_sweep_on_a_run_folder_in_use_is_refused_and_no_job_runs_twice(tmp_path):
    log, run_dir = tmp_path / "calls.log", tmp_path / "run"
    script = tmp_path / "sweep.py"
    script.write_text(
        _SWEEP_SCRIPT.format(tests=str(Path(__file__).parent), log=str(log), run_dir=str(run_dir), n_jobs=12)
    )
    first = subprocess.Popen([sys.executable, str(script)])
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and first.poll() is None and stored_jobs(run_dir) < 1:
            time.sleep(0.05)
        assert first.poll() is None, "the first sweep must still be running"
        with pytest.raises(RunFolderBusy, match=rf"run folder .*run is in use by pid {first.pid} "):
            run_sweep(
                functools.partial(jobs_module.sleeps_and_logs_pid, log=str(log)),
                grid(["t"], ["c"], range(12)),
                run_dir,
                executor="thread",
                max_workers=2,
            )
        assert first.wait(timeout=120) == 0
    finally:
        if first.poll() is None:
            first.kill()
    assert len(log.read_text().split()) == 12  # one call per job: nothing paid twice
    # once the first sweep has exited the folder is free again, and everything is stored
    frame = run_sweep(jobs_module.crashes_on_seed_three, grid(["t"], ["c"], range(12)), run_dir, executor="thread")
    assert len(frame) == 12


@pytest.mark.parametrize("n_jobs", [40, 160])
def test_worker_crashes_in_a_long_sweep_never_escape_as_broken_process_pool(tmp_path, n_jobs):
    """With many short jobs the pool is still being fed when a worker dies, so submit() meets the broken pool."""
    jobs = grid(["t"], ["c"], range(n_jobs))
    with pytest.raises(SweepIncomplete, match=rf"2 of {n_jobs} jobs raised \(first: t/c/3: its worker process died"):
        run_sweep(jobs_module.crashes_on_seeds_3_and_37, jobs, tmp_path / "run", executor="process", max_workers=2)
    store = RunStore(tmp_path / "run")
    try:
        assert store.failures()["job_id"].tolist() == ["t/c/3", "t/c/37"]
        assert store.load()["value"].tolist() == [s * 10 for s in range(n_jobs) if s not in (3, 37)]
    finally:
        store.close()


def test_soak_cases_find_no_duplicate_paid_call_no_lost_reply_and_no_half_written_result(tmp_path, monkeypatch):
    """The store, cache and disk cases of `make soak`, small: two sweeps on one run folder, a locked, a damaged
    and a full response cache, and a full disk while the runner publishes."""
    monkeypatch.syspath_prepend(str(Path(__file__).parents[2] / "benchmarks"))
    monkeypatch.setenv("AGENTEFF_CACHE_DIR", str(tmp_path / "agenteff-cache"))
    monkeypatch.setenv("AGENTEFF_FIGURES_DIR", str(tmp_path / "figures"))
    import soak

    model = SimModel(soak.MODEL, error_prob=0.0, latency_mean_s=0.002, latency_sd_s=0.0)
    with sim_server([model]) as url:
        cases = soak.run_cases(url, tmp_path / "cases", n_jobs=20, n=30)
    wrong = {
        name: (got, wanted)
        for name, (got, wanted) in cases.items()
        if not (wanted[0] <= got <= wanted[1] if isinstance(wanted, tuple) else got == wanted)
    }
    assert wrong == {}
