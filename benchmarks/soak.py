"""A bounded fault soak: a few thousand requests to the simulated endpoint with faults on, and a sweep killed with
kill -9 part-way and resumed. Run on demand (``make soak``), never in the tests; a few minutes on 2 cores.

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

from agenteff.engines.sweep import STORE_NAME, Job, grid, run_sweep  # noqa: E402
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
    for path in leaks:
        print(f"    key found in {path}")
    return 1 if any(zero.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
