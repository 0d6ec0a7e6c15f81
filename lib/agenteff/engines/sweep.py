"""Sweeps: a grid of jobs (task x configuration x seed) run in parallel into a run store that survives crashes.

* :func:`grid` builds the jobs; a job function ``fn(job) -> records`` (a list of dicts or a DataFrame) runs one.
  It must be importable (a module-level function, or a ``functools.partial`` of one) so it can run in other
  processes or on other machines; pass endpoint settings through the partial, never an API key (workers read
  ``OPENAI_API_KEY`` from their environment).
* :func:`run_sweep` runs the jobs on a local pool (processes by default, or threads), or on a Dask cluster when
  given a scheduler address or a ``dask.distributed.Client``. Only the calling process writes the store: each
  finished job's records go in with one SQLite transaction, together with the job's row, so a job is either
  entirely stored or not at all.
* One sweep at a time per run directory: :func:`run_sweep` holds a lock on ``<run_dir>/runs.lock`` (released by
  the system when its process dies, even by ``kill -9``), and a second sweep on the folder while the first runs
  raises :class:`RunFolderBusy` naming the first one's pid, before it runs anything (so no job runs, or is paid
  for, twice).
* An interrupted sweep (Ctrl-C, kill -9, a crash) is resumed by calling :func:`run_sweep` again with the same run
  directory: stored jobs are skipped, so nothing is repeated or duplicated. Jobs that raised are recorded with
  their error and retried on the next call.
* A job's error comes back from its worker as plain text (type and message, key-like strings redacted), never
  as the pickled exception: SDK errors carry the request, API key header included.
* A job that kills its worker process (a crash in native code, ``os._exit``, the OOM killer) breaks a local
  process pool for every job in it. The sweep then re-runs those jobs one at a time in a fresh pool, records the
  one that kills its worker again as failed ("its worker process died"), and carries on with the rest. Workers
  exit when the sweep's process dies, even by ``kill -9``, so no orphans stay behind.
* Studies run their grids of model calls through :func:`study_run_dir` and :func:`worker_client`: a live
  endpoint's run is stored under its cache folder, keyed by the study's settings, so the same call after a kill
  resumes it; a simulated run (fast and deterministic) runs in a temporary folder.
* Budgets: when records carry ``cost_usd`` or ``prompt_tokens``/``completion_tokens`` columns, the sweep stops
  submitting jobs once the jobs run by this call have spent ``budget_usd`` or ``budget_tokens``.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import fcntl
import hashlib
import json
import math
import multiprocessing
import multiprocessing.connection
import os
import sqlite3
import tempfile
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..lifetime import exit_with_parent
from ..llm.client import BudgetExceeded
from ..progress import progress
from ..secrets import redact

__all__ = [
    "Job",
    "grid",
    "RunStore",
    "run_sweep",
    "SweepIncomplete",
    "RunFolderBusy",
    "STORE_NAME",
    "study_run_dir",
    "stored_jobs",
    "worker_client",
    "release_worker_clients",
]

STORE_NAME = "runs.sqlite"
_JOB_COLUMNS = ("job_id", "task", "config", "seed")


@dataclass(frozen=True)
class Job:
    """One unit of a sweep. ``params`` are the configuration's settings."""

    task: str
    config: str
    seed: int
    params: dict = field(default_factory=dict, compare=False)

    @property
    def job_id(self) -> str:
        return f"{self.task}/{self.config}/{self.seed}"


def grid(tasks: Iterable[str], configs: dict[str, dict] | Iterable[str], seeds: Iterable[int]) -> list[Job]:
    """Every (task, configuration, seed) combination, tasks outermost. ``configs`` maps a configuration's name
    to its settings (or is a list of names without settings)."""
    configs = dict(configs) if isinstance(configs, dict) else {name: {} for name in configs}
    seeds = list(seeds)
    return [
        Job(str(task), str(name), int(seed), dict(params))
        for task in tasks
        for name, params in configs.items()
        for seed in seeds
    ]


@contextlib.contextmanager
def study_run_dir(endpoint, name: str, settings: dict) -> Iterator[Path]:
    """The run directory of a study's grid of calls to ``endpoint`` (an :class:`agenteff.llm.Endpoint`): for a
    live endpoint ``<its cache folder>/runs/<name>-<digest of settings>``, kept, so calling again with the same
    settings resumes; for the simulated endpoint a temporary folder removed after the block."""
    if endpoint.simulated:
        with tempfile.TemporaryDirectory(prefix=f"agenteff-{name}-") as temporary:
            yield Path(temporary)
        return
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()[:16]
    folder = Path(endpoint.cache_dir) / "runs" / f"{name}-{digest}"
    folder.mkdir(parents=True, exist_ok=True)
    yield folder


_worker_clients: dict = {}
_worker_clients_lock = threading.Lock()


def worker_client(endpoint, **options):
    """The LLMClient of this process for a running ``endpoint`` and ``options``, made on first use and reused by
    every later job in the process (a client owns an event-loop thread and a connection pool). Safe to call from
    the threads of a local pool; a worker process or Dask worker makes its own, reading the key from its
    environment."""
    key = (endpoint, tuple(sorted((name, repr(value)) for name, value in options.items())))
    with _worker_clients_lock:
        if key not in _worker_clients:
            _worker_clients[key] = endpoint.client(**options)
        return _worker_clients[key]


def release_worker_clients(endpoint) -> None:
    """Close and forget this process's clients for ``endpoint`` (after a grid whose endpoint stops, e.g. a
    simulated one started for the call: each start has a new URL, so its clients would never be reused)."""
    with _worker_clients_lock:
        keys = [key for key in _worker_clients if key[0] == endpoint]
        clients = [_worker_clients.pop(key) for key in keys]
    for client in clients:
        client.close()


class SweepIncomplete(RuntimeError):
    """Some jobs raised; the others are stored, and a new call retries the failed ones."""


class RunFolderBusy(RuntimeError):
    """Another process is running a sweep in this run folder."""


LOCK_NAME = "runs.lock"


@contextlib.contextmanager
def _run_folder_lock(run_dir: Path) -> Iterator[None]:
    """Hold ``run_dir``'s lock for the block, or raise :class:`RunFolderBusy` naming the process that holds it.
    An advisory ``flock``: the system releases it when the holder dies, so a killed sweep never leaves it stale."""
    run_dir.mkdir(parents=True, exist_ok=True)
    with open(run_dir / LOCK_NAME, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown (it is starting)"
            raise RunFolderBusy(
                f"run folder {run_dir} is in use by pid {holder} (another sweep is running in it); wait for it to "
                "finish or stop it, then call again: the jobs it stores are kept and not run again"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        yield


class _StoredFailure(Exception):
    """A job's failure already turned into text in its worker."""


class RunStore:
    """The records of a sweep: ``<run_dir>/runs.sqlite`` with a ``jobs`` table (one row per finished job) and a
    ``records`` table (the job's records as JSON, in order), plus ``failures`` (the last error of jobs that
    raised)."""

    def __init__(self, run_dir: str | Path):
        self.run_dir = Path(run_dir)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.path = self.run_dir / STORE_NAME
        self._db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(
            "CREATE TABLE IF NOT EXISTS jobs (job_id TEXT PRIMARY KEY, task TEXT, config TEXT, seed INTEGER, "
            "  position INTEGER, n_records INTEGER);"
            "CREATE TABLE IF NOT EXISTS records (job_id TEXT, idx INTEGER, record TEXT, PRIMARY KEY (job_id, idx));"
            "CREATE TABLE IF NOT EXISTS failures (job_id TEXT PRIMARY KEY, error TEXT);"
        )

    def done(self) -> set[str]:
        return {row[0] for row in self._db.execute("SELECT job_id FROM jobs")}

    def add(self, job: Job, position: int, records: list[dict]) -> None:
        """Store a finished job and its records in one transaction (all or nothing)."""
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute(
                "INSERT INTO jobs VALUES (?, ?, ?, ?, ?, ?)",
                (job.job_id, job.task, job.config, job.seed, position, len(records)),
            )
            self._db.executemany(
                "INSERT INTO records VALUES (?, ?, ?)",
                [(job.job_id, i, json.dumps(r, sort_keys=True, default=_jsonable)) for i, r in enumerate(records)],
            )
            self._db.execute("DELETE FROM failures WHERE job_id = ?", (job.job_id,))

    def fail(self, job: Job, error: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO failures VALUES (?, ?)", (job.job_id, error))

    def failures(self) -> pd.DataFrame:
        return pd.read_sql_query("SELECT job_id, error FROM failures ORDER BY job_id", self._db)

    def jobs(self) -> pd.DataFrame:
        return pd.read_sql_query("SELECT * FROM jobs ORDER BY position, job_id", self._db)

    def load(self) -> pd.DataFrame:
        """All records, in grid order then record order, with the job's columns first."""
        rows = self._db.execute(
            "SELECT j.job_id, j.task, j.config, j.seed, r.record FROM records r JOIN jobs j USING (job_id) "
            "ORDER BY j.position, j.job_id, r.idx"
        ).fetchall()
        frame = pd.DataFrame(
            [{"job_id": a, "task": b, "config": c, "seed": d, **json.loads(rec)} for a, b, c, d, rec in rows]
        )
        return frame if len(frame) else pd.DataFrame(columns=list(_JOB_COLUMNS))

    def close(self) -> None:
        self._db.close()


def stored_jobs(run_dir: str | Path) -> int:
    """How many jobs the sweep in ``run_dir`` has stored so far, read without writing (so a sweep running in
    another process can be watched): 0 while its store, or the store's tables, do not exist yet."""
    path = Path(run_dir) / STORE_NAME
    if not path.exists():
        return 0
    with contextlib.closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)) as db:
        try:
            return db.execute("SELECT COUNT(*) FROM jobs").fetchone()[0]
        except sqlite3.OperationalError:  # the writer has created the file but not yet its tables
            return 0


def _jsonable(value):
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    raise TypeError(f"record value {value!r} of type {type(value).__name__} cannot be stored")


def _as_records(output, job: Job) -> list[dict]:
    if isinstance(output, pd.DataFrame):
        records = output.to_dict(orient="records")
    elif isinstance(output, dict):
        records = [output]
    else:
        records = list(output)
    for record in records:
        clash = [c for c in _JOB_COLUMNS if c in record and record[c] != getattr(job, c)]
        if clash:
            raise ValueError(f"job {job.job_id}: records must not override the job's columns {clash}")
    return [{k: v for k, v in record.items() if k not in _JOB_COLUMNS} for record in records]


def _spent(records: list[dict]) -> tuple[float, int]:
    usd = sum(r.get("cost_usd") or 0.0 for r in records if not _isnan(r.get("cost_usd")))
    tokens = sum(int(r.get("prompt_tokens") or 0) + int(r.get("completion_tokens") or 0) for r in records)
    return usd, tokens


def _isnan(value) -> bool:
    return isinstance(value, float) and math.isnan(value)


@dataclass(frozen=True)
class _JobFailure:
    """What a job raised, as text made in the worker, so no exception object (and what it holds) is pickled."""

    error: str
    budget: bool = False


@dataclass(frozen=True)
class _Guarded:
    """Runs the job function in the worker and turns whatever it raises into a :class:`_JobFailure`."""

    fn: Callable

    def __call__(self, job: Job):
        try:
            return self.fn(job)
        except Exception as exc:
            return _JobFailure(redact(f"{type(exc).__name__}: {exc}".strip()), isinstance(exc, BudgetExceeded))


_WORKER_DIED = (
    "its worker process died while running it (a crash in native code, os._exit, a signal or "
    "the out-of-memory killer); it was re-run alone and killed its worker again"
)


class _Backend:
    """Submit jobs, wait for the first to finish, shut down: the same three moves on each backend."""

    def __init__(self, scheduler, executor: str, max_workers: int | None):
        self._dask = None
        self._max_workers = max_workers
        if scheduler is not None:
            from dask.distributed import Client

            self._dask = scheduler if isinstance(scheduler, Client) else Client(scheduler)
            self._owned = self._dask is not scheduler
        elif executor == "thread":
            self._pool = cf.ThreadPoolExecutor(max_workers=max_workers)
        elif executor == "process":
            # spawn: workers start clean (no copied threads or locks of the parent, e.g. an LLM client's loop)
            self._pool = self._process_pool(max_workers)
        else:
            raise ValueError(f"executor must be 'process' or 'thread', not {executor!r}")

    @staticmethod
    def _process_pool(max_workers):
        return cf.ProcessPoolExecutor(
            max_workers=max_workers, mp_context=multiprocessing.get_context("spawn"), initializer=exit_with_parent
        )

    def restart(self, max_workers: int | None = None) -> None:
        """Replace a broken process pool by a fresh one (``max_workers=1`` to run suspects one at a time)."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._pool = self._process_pool(max_workers or self._max_workers)

    def submit(self, fn, job):
        if self._dask is not None:
            return self._dask.submit(fn, job, pure=False)
        return self._pool.submit(fn, job)

    def wait_first(self, futures) -> set:
        if self._dask is not None:
            from dask.distributed import wait

            return set(wait(futures, return_when="FIRST_COMPLETED").done)
        return cf.wait(futures, return_when=cf.FIRST_COMPLETED).done

    def shutdown(self, pending) -> None:
        """Stop; futures still pending are cancelled (a job already running in a local pool finishes)."""
        if self._dask is not None:
            self._dask.cancel(list(pending))
            if self._owned:
                self._dask.close()
        else:
            self._pool.shutdown(wait=True, cancel_futures=True)


def run_sweep(
    fn: Callable[[Job], object],
    jobs: list[Job],
    run_dir: str | Path,
    *,
    scheduler=None,
    executor: str = "process",
    max_workers: int | None = None,
    max_pending: int | None = None,
    budget_usd: float | None = None,
    budget_tokens: int | None = None,
    desc: str = "jobs",
) -> pd.DataFrame:
    """Run the jobs not yet in ``run_dir``'s store, storing each as it finishes; return every stored record.

    ``scheduler``: a Dask scheduler address (``"tcp://host:8786"``) or ``dask.distributed.Client``; None runs a
    local pool (``executor="process"`` or ``"thread"``, ``max_workers`` of them). At most ``max_pending`` jobs
    (default: 2 per worker, at least 8) are submitted ahead, so a stop for a budget or an interrupt wastes
    little. Raises :class:`SweepIncomplete` when jobs raised, :class:`BudgetExceeded` when a budget ran out
    (finished jobs are stored either way; call again to continue), :class:`RunFolderBusy` when another process
    is running a sweep in ``run_dir``.
    """
    ids = [job.job_id for job in jobs]
    if len(set(ids)) != len(ids):
        duplicated = sorted({i for i in ids if ids.count(i) > 1})
        raise ValueError(f"jobs must be unique; repeated: {duplicated[:5]}")
    with _run_folder_lock(Path(run_dir)):
        store = RunStore(run_dir)
        try:
            done = store.done()
            todo = [(position, job) for position, job in enumerate(jobs) if job.job_id not in done]
            backend = _Backend(scheduler, executor, max_workers)
            limit = max_pending or max(8, 2 * (max_workers or multiprocessing.cpu_count()))
            spent_usd, spent_tokens, stop, failed = 0.0, 0, None, 0
            bar = progress(total=len(jobs), initial=len(jobs) - len(todo), desc=desc, unit="job")
            pending: dict = {}
            queue = deque(todo)
            suspects: deque = deque()  # jobs of a broken process pool, re-run one at a time to find the culprit
            alone = None  # the suspect running by itself, if any
            isolating = False
            guarded = _Guarded(fn)
            try:
                while True:
                    if suspects or alone is not None:
                        if alone is None:
                            alone = suspects.popleft()
                            pending[backend.submit(guarded, alone[1])] = alone
                    else:
                        while stop is None and len(pending) < limit and queue:
                            item = queue.popleft()
                            try:
                                pending[backend.submit(guarded, item[1])] = item
                            except BrokenProcessPool:  # a worker died since the last wait: this job never ran
                                queue.appendleft(item)
                                break
                    if not pending:
                        break
                    settled = backend.wait_first(list(pending))
                    if any(isinstance(f.exception(), BrokenProcessPool) for f in settled):
                        # a broken pool fails every job it holds; take them all (finished ones are kept as such)
                        settled = cf.wait(list(pending)).done
                    broken = [f for f in settled if isinstance(f.exception(), BrokenProcessPool)]
                    for finished in [f for f in settled if f not in broken]:
                        position, job = pending.pop(finished)
                        if alone is not None and alone[1] is job:
                            alone = None
                        try:
                            output = finished.result()
                            if isinstance(output, _JobFailure):
                                if output.budget:
                                    stop = stop or output.error.removeprefix("BudgetExceeded: ")
                                    continue
                                raise _StoredFailure(output.error)
                            records = _as_records(output, job)
                        except Exception as exc:  # the job's own failure: keep it, carry on with the others
                            failed += 1
                            store.fail(
                                job,
                                str(exc) if isinstance(exc, _StoredFailure) else redact(f"{type(exc).__name__}: {exc}"),
                            )
                            continue
                        store.add(job, position, records)
                        bar.update()
                        usd, tokens = _spent(records)
                        spent_usd, spent_tokens = spent_usd + usd, spent_tokens + tokens
                        if budget_usd is not None and spent_usd >= budget_usd:
                            stop = stop or f"sweep USD budget reached: spent ${spent_usd:.4f} of ${budget_usd:.4f}"
                        if budget_tokens is not None and spent_tokens >= budget_tokens:
                            stop = stop or (
                                f"sweep token budget reached: spent {spent_tokens:,} of {budget_tokens:,} tokens"
                            )
                    if broken:  # every job in the pool failed with it; the pool is unusable
                        if alone is not None:  # it ran by itself and killed its worker: the culprit
                            failed += 1
                            store.fail(alone[1], _WORKER_DIED)
                            alone = None
                        else:
                            suspects.extend(sorted(pending.values(), key=lambda item: item[0]))
                        pending.clear()
                        isolating = bool(suspects)
                        backend.restart(max_workers=1 if isolating else None)
                    elif isolating and alone is None and not suspects:
                        isolating = False
                        backend.restart()  # every suspect settled: back to the full pool
            finally:
                bar.close()
                backend.shutdown(pending)
            remaining = len(jobs) - len(store.done())
            if stop is not None:
                raise BudgetExceeded(
                    f"{stop}; {remaining} of {len(jobs)} jobs not run. Finished jobs are stored in "
                    "the run directory: raise the budget and call run_sweep again to continue"
                )
            if failed:
                first = store.failures().iloc[0]
                raise SweepIncomplete(
                    f"{failed} of {len(jobs)} jobs raised (first: {first.job_id}: {first.error}); "
                    "the others are stored, and calling run_sweep again retries the failed ones"
                )
            return store.load()
        finally:
            store.close()
