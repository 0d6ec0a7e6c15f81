"""A bounded fault soak: a few thousand requests to the simulated endpoint with faults on, and a sweep killed with
kill -9 part-way and resumed. Run on demand (``make soak``); a few minutes on 2 cores.

Then, on a fault-free endpoint (so every answered call is a paid call): two sweeps started on one run folder, a
response cache locked by another writer, a damaged cache, a full cache (SQLite's own "database or disk is full")
and a full disk while the runner publishes a notebook's results. These cases run small in the tests too
(tests/test_reliability_sweep.py).

A canary key is planted in ``OPENAI_API_KEY`` (the endpoint serves only requests carrying it, so every answer
proves the key was sent) and every file written under the soak's folder is searched for it afterwards.

Prints requests sent and answered, then what must be zero: answers duplicated or lost, sends the client did not
count, workers left alive after the kill, and files (or output) holding the key. Exits 1 when any is not zero.

    python benchmarks/soak.py [--requests 3000] [--jobs 60] [--seed 0]
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

os.environ.setdefault("TQDM_DISABLE", "1")

from agenteff import runner  # noqa: E402
from agenteff.engines.sweep import STORE_NAME, Job, RunFolderBusy, grid, run_sweep  # noqa: E402
from agenteff.llm import LLMClient, SimModel, sim_server  # noqa: E402
from agenteff.llm.sim import server_stats  # noqa: E402

MODEL = "sim-soak"
PRICES = {MODEL: {"input": 1.0, "output": 2.0}}
CANARY = "sk-" + "agenteff-soak-canary-" + hashlib.sha256(b"soak").hexdigest()[:16]
FAULTS = {
    "rate_limit": 0.06,
    "server_error": 0.05,
    "malformed": 0.03,
    "disconnect": 0.04,
    "slow": 0.02,
    "slow_s": 1.0,
    "retry_after_s": 0.01,
}
ROUNDS = 10  # questions per sweep job


def _client(url: str, cache_dir: str) -> LLMClient:
    return LLMClient(
        base_url=url,
        cache_dir=cache_dir,
        prices=PRICES,
        max_concurrency=16,
        max_retries=30,
        timeout_s=0.5,
        backoff_base_s=0.005,
        backoff_max_s=0.2,
    )


def _question(label: str, i: int) -> list[dict]:
    return [{"role": "user", "content": f"{label}: what is {i} + 1000?"}]


def solve(job: Job, base_url: str, cache_dir: str, pid_log: str) -> list[dict]:
    """A sweep job: ROUNDS questions; one record per answer (the key comes from the environment)."""
    with open(pid_log, "a") as handle:
        handle.write(f"{os.getpid()}\n")
    with _client(base_url, cache_dir) as client:
        results = client.chat_many(
            [dict(model=MODEL, messages=_question(job.task, job.seed * ROUNDS + r)) for r in range(ROUNDS)]
        )
    return [{"round": r, "answer": res.content} for r, res in enumerate(results)]


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _stored_jobs(store: Path) -> int:
    if not store.exists():
        return 0
    with sqlite3.connect(store, timeout=30) as db:
        try:
            return db.execute("SELECT COUNT(*) FROM jobs").fetchone()[0]
        except sqlite3.OperationalError:
            return 0


_KILLED_SWEEP = textwrap.dedent("""
    import functools, sys
    sys.path.insert(0, {here!r})
    import soak
    from agenteff.engines.sweep import grid, run_sweep
    if __name__ == "__main__":
        run_sweep(functools.partial(soak.solve, base_url={url!r}, cache_dir={cache!r}, pid_log={pids!r}),
                  grid(["sweep"], ["c"], range({jobs})), {run_dir!r}, executor="process", max_workers=2)
""")


def soak_requests(url: str, root: Path, n: int) -> dict:
    before = server_stats(url)
    with _client(url, str(root / "cache")) as client:
        results = client.chat_many([dict(model=MODEL, messages=_question("batch", i)) for i in range(n)])
        stats = client.stats
    after = server_stats(url)
    answers = [r.content for r in results]
    expected = [f"The answer is {i + 1000}." for i in range(n)]
    return {
        "sent": stats["requests_sent"],
        "server_received": after["chat_requests"] - before["chat_requests"],
        "answered": sum(a == e for a, e in zip(answers, expected)),
        "lost": sum(a != e for a, e in zip(answers, expected)),
    }


def soak_killed_sweep(url: str, root: Path, n_jobs: int) -> dict:
    run_dir, pids, cache = root / "sweep", root / "worker-pids.log", str(root / "sweep-cache")
    script = root / "killed_sweep.py"
    script.write_text(
        _KILLED_SWEEP.format(
            here=str(Path(__file__).parent), url=url, cache=cache, pids=str(pids), jobs=n_jobs, run_dir=str(run_dir)
        )
    )
    with open(root / "killed-sweep.out", "wb") as output:
        process = subprocess.Popen([sys.executable, str(script)], stdout=output, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 300
        while (
            _stored_jobs(run_dir / STORE_NAME) < n_jobs // 3 and time.monotonic() < deadline and process.poll() is None
        ):
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    stored_at_kill = _stored_jobs(run_dir / STORE_NAME)
    workers = {int(p) for p in pids.read_text().split()} if pids.exists() else set()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(p) for p in workers):
        time.sleep(0.1)
    orphans = [p for p in workers if _alive(p)]
    for pid in orphans:
        os.kill(pid, signal.SIGKILL)
    jobs = grid(["sweep"], ["c"], range(n_jobs))
    records = run_sweep(
        functools.partial(solve, base_url=url, cache_dir=cache, pid_log=str(pids)),
        jobs,
        run_dir,
        executor="process",
        max_workers=2,
    )
    keys = list(zip(records["job_id"], records["round"]))
    expected = {(j.job_id, r): f"The answer is {j.seed * ROUNDS + r + 1000}." for j in jobs for r in range(ROUNDS)}
    correct = {k for k, a in zip(keys, records["answer"]) if expected.get(k) == a}
    return {
        "stored_at_kill": stored_at_kill,
        "records": len(records),
        "duplicated": len(keys) - len(set(keys)),
        "lost": len(set(expected) - correct),
        "orphans": len(orphans),
    }


def _answered(url: str) -> int:
    return server_stats(url)["completed"]


def _questions(label: str, n: int) -> list[dict]:
    return [dict(model=MODEL, messages=_question(label, i)) for i in range(n)]


def soak_two_writers(url: str, root: Path, n_jobs: int) -> dict:
    """A sweep running in another process, and a second one started on its run folder: refused, never run twice."""
    run_dir, pids, cache = root / "two-writers", root / "two-writers-pids.log", str(root / "two-writers-cache")
    script = root / "first_writer.py"
    script.write_text(
        _KILLED_SWEEP.format(
            here=str(Path(__file__).parent), url=url, cache=cache, pids=str(pids), jobs=n_jobs, run_dir=str(run_dir)
        )
    )
    before = _answered(url)
    jobs = grid(["sweep"], ["c"], range(n_jobs))
    job = functools.partial(solve, base_url=url, cache_dir=cache, pid_log=str(pids))
    with open(root / "first-writer.out", "wb") as output:
        first = subprocess.Popen([sys.executable, str(script)], stdout=output, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 300
        while _stored_jobs(run_dir / STORE_NAME) < 1 and time.monotonic() < deadline and first.poll() is None:
            time.sleep(0.05)
        try:
            run_sweep(job, jobs, run_dir, executor="thread", max_workers=2)
            refused = 0
        except RunFolderBusy:
            refused = 1
        first.wait()
    records = run_sweep(job, jobs, run_dir, executor="thread", max_workers=2)  # resumes: nothing left to run
    return {
        "refused": refused,
        "records": len(records),
        "paid twice": _answered(url) - before - n_jobs * ROUNDS,
        "first failed": int(first.returncode != 0),
    }


def soak_locked_cache(url: str, root: Path, n: int) -> dict:
    """Replies arriving while another process holds the cache's write lock: kept, reused, written later."""
    cache = root / "locked-cache"
    before = _answered(url)
    with _client(url, str(cache)) as client:
        blocker = sqlite3.connect(cache / "responses.sqlite", isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        started = time.perf_counter()
        for start in range(0, n, max(1, n // 4)):
            client.chat_many(_questions("locked", n)[start : start + max(1, n // 4)])
        client.chat_many(_questions("locked", n))  # again, while still locked
        stalled_s = time.perf_counter() - started
        blocker.execute("ROLLBACK")
        blocker.close()
    with _client(url, str(cache)) as client:
        client.chat_many(_questions("locked", n))
        not_cached = client.stats["requests_sent"]
    return {"seconds": stalled_s, "not cached": not_cached, "paid twice": _answered(url) - before - n}


def soak_damaged_cache(url: str, root: Path, n: int) -> dict:
    """A cache file overwritten with garbage: the next run names it, moves it aside and rebuilds the cache."""
    cache = root / "damaged-cache"
    with _client(url, str(cache)) as client:
        client.chat_many(_questions("damaged", n))
    (cache / "responses.sqlite").write_bytes(b"not a database" * 64)
    try:
        with _client(url, str(cache)) as client:
            client.chat_many(_questions("damaged", n))
        failed = 0
    except Exception:
        failed = 1
    with _client(url, str(cache)) as client:
        client.chat_many(_questions("damaged", n))
        not_rebuilt = client.stats["requests_sent"]
    return {"failed runs": failed, "not rebuilt": not_rebuilt, "moved aside": len(list(cache.glob("*.damaged-*")))}


def soak_full_cache(url: str, root: Path, n: int) -> dict:
    """The cache cannot grow (SQLite's "database or disk is full") during a run, then space comes back."""
    cache = root / "full-cache"
    before = _answered(url)
    with _client(url, str(cache)) as client:
        client.chat_many(_questions("full", 1))
        pages = client._cache._db.execute("PRAGMA page_count").fetchone()[0]
        client._cache._db.execute(f"PRAGMA max_page_count = {pages}")
        client.chat_many(_questions("full", n))
        client.chat_many(_questions("full", n))  # answered from the replies kept in memory
        client._cache._db.execute("PRAGMA max_page_count = 1073741823")
    with _client(url, str(cache)) as client:
        client.chat_many(_questions("full", n))
        not_cached = client.stats["requests_sent"]
    return {"not cached": not_cached, "paid twice": _answered(url) - before - n}


def soak_full_disk_publish(root: Path) -> dict:
    """A notebook's results published to a disk that fills half-way: the stored results stay whole."""
    import nbformat

    os.environ["AGENTEFF_FIGURES_DIR"] = str(root / "figures")
    notebook = nbformat.v4.new_notebook()
    parameters = nbformat.v4.new_code_cell("size = 3")
    parameters.metadata["tags"] = ["parameters"]
    draw = (
        "import matplotlib.pyplot as plt\nfrom agenteff import report\n"
        "fig, ax = plt.subplots(); ax.plot(range(size)); ax.set(title='t', xlabel='x', ylabel='y')\n"
        "report.save_fig(report.StudyFigure('line', fig, 'A line.'), '01_soak')"
    )
    notebook.cells = [parameters, nbformat.v4.new_code_cell(draw)]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = root / "01_soak.ipynb"
    nbformat.write(notebook, path)
    assert runner.run_notebook(path, {"size": 3}, replace=True).ok
    stored = {p: p.read_bytes() for p in [path, *sorted((root / "figures").rglob("*"))] if p.is_file()}
    room = [2000]

    def write(target: Path, data: bytes) -> None:  # the disk holding the stored results fills up
        if target.is_relative_to(root) and len(data) > room[0]:
            target.write_bytes(data[: room[0]])
            room[0] = 0
            raise OSError(28, "No space left on device", str(target))
        room[0] -= len(data) if target.is_relative_to(root) else 0
        target.write_bytes(data)

    original, runner._raw_write = runner._raw_write, write
    try:
        result = runner.run_notebook(path, {"size": 5}, replace=True)
    finally:
        runner._raw_write = original
    now = {p: p.read_bytes() for p in [path, *sorted((root / "figures").rglob("*"))] if p.is_file()}
    return {"reported": int(not result.ok and "No space left" in result.error), "half-written": int(now != stored)}


def files_with(root: Path, needle: bytes) -> list[str]:
    return [str(p) for p in root.rglob("*") if p.is_file() and needle in p.read_bytes()]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000, help="requests in the fault batch (default 3000)")
    parser.add_argument("--jobs", type=int, default=60, help=f"sweep jobs of {ROUNDS} requests (default 60)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the fault stream")
    args = parser.parse_args(argv)
    os.environ["OPENAI_API_KEY"] = CANARY
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="agenteff-soak-") as folder:
        root = Path(folder)
        os.environ["AGENTEFF_CACHE_DIR"] = str(root / "agenteff-cache")
        digest = hashlib.sha256(CANARY.encode()).hexdigest()
        model = SimModel(MODEL, error_prob=0.0, latency_mean_s=0.002, latency_sd_s=0.0)
        with sim_server([model], {**FAULTS, "seed": args.seed}, api_key_sha256=digest) as url:
            batch = soak_requests(url, root, args.requests)
            sweep = soak_killed_sweep(url, root, args.jobs)
            received = server_stats(url)["chat_requests"]
        with sim_server([model], api_key_sha256=digest) as url:  # no faults: every answer is a paid call
            cases = run_cases(url, root / "cases", args.jobs // 3, 40)
        leaks = files_with(root, CANARY.encode())
    zero = {
        "duplicated": sweep["duplicated"],
        "lost": batch["lost"] + sweep["lost"],
        "uncounted sends": batch["server_received"] - batch["sent"],
        "orphan workers": sweep["orphans"],
        "keys found in written files": len(leaks),
    }
    print(f"fault soak ({time.perf_counter() - started:.0f} s; faults {FAULTS})")
    print(
        f"  requests sent             {received:>7,}  (received by the endpoint; batch of {args.requests:,} "
        f"requests, then {args.jobs} sweep jobs of {ROUNDS})"
    )
    print(
        f"  answered                  {batch['answered'] + sweep['records'] - sweep['duplicated']:>7,}  "
        f"(batch {batch['answered']:,}; sweep {sweep['records']:,} records of {args.jobs * ROUNDS:,}, "
        f"{sweep['stored_at_kill']} of {args.jobs} jobs stored when killed)"
    )
    for name, value in zero.items():
        print(f"  {name:<26}{value:>7,}")
    print("store, cache and disk cases (fault-free endpoint; each must be as stated)")
    failures = 0
    for name, (value, wanted) in cases.items():
        ok = value == wanted if not isinstance(wanted, tuple) else wanted[0] <= value <= wanted[1]
        failures += not ok
        print(f"  {name:<44}{value:>9,.1f}  {'ok' if ok else 'WRONG, want ' + str(wanted)}")
    for path in leaks:
        print(f"    key found in {path}")
    return 1 if any(zero.values()) or failures else 0


def run_cases(url: str, root: Path, n_jobs: int, n: int) -> dict:
    """The store, cache and disk cases: ``{what: (measured, wanted)}`` (wanted: a value or a (low, high) range)."""
    root.mkdir(parents=True, exist_ok=True)
    writers = soak_two_writers(url, root, n_jobs)
    locked = soak_locked_cache(url, root, n)
    damaged = soak_damaged_cache(url, root, n)
    full = soak_full_cache(url, root, n)
    disk = soak_full_disk_publish(root)
    return {
        "two writers: second refused": (writers["refused"], 1),
        "two writers: records after resume": (writers["records"], n_jobs * ROUNDS),
        "two writers: calls paid twice": (writers["paid twice"], 0),
        "two writers: first sweep failed": (writers["first failed"], 0),
        "locked cache: seconds for all batches": (locked["seconds"], (0, 30)),
        "locked cache: replies not cached": (locked["not cached"], 0),
        "locked cache: calls paid twice": (locked["paid twice"], 0),
        "damaged cache: runs failed": (damaged["failed runs"], 0),
        "damaged cache: moved aside": (damaged["moved aside"], 1),
        "damaged cache: replies not cached after": (damaged["not rebuilt"], 0),
        "full cache: replies not cached": (full["not cached"], 0),
        "full cache: calls paid twice": (full["paid twice"], 0),
        "full disk publish: error reported": (disk["reported"], 1),
        "full disk publish: stored results changed": (disk["half-written"], 0),
    }


if __name__ == "__main__":
    sys.exit(main())
