"""Run topologies over task suites and models: the experiment behind study 02 (and study 04's topology runs).

:func:`run_experiment` crosses architectures x agent counts x suites x tasks x models x seeds and runs every
combination against one :class:`agenteff.llm.Endpoint` (resolved once by the study: the built-in simulated
endpoint, or a live OpenAI-compatible server), returning the trajectories as validated
:data:`agenteff.schema.RUNS` and :data:`agenteff.schema.STEPS` tables in grid order.

The grid runs through :func:`agenteff.engines.sweep.run_sweep`, one job per run (a local thread pool by default:
the calls are I/O bound; a Dask scheduler by parameter). A live endpoint's run store is kept under its cache
folder, keyed by the grid's settings, so a killed live run resumes where it stopped, each run stored exactly
once. Replies are also cached by the LLM client. The simulated models' cache lives in a folder named after a hash
of the modules that shape requests and replies, so changing the simulated behaviour never serves stale replies.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ... import schema
from ...paths import cache_dir
from .architectures import ARCHITECTURES, DEFAULT_AGENTS, Limits, run_topology
from .suites import SUITES, make_suite

if TYPE_CHECKING:
    from ..sweep import Job

__all__ = [
    "BEHAVIOUR",
    "DEFAULT_MODELS",
    "RECORDING",
    "default_models",
    "run_experiment",
    "experiment_grid",
    "record_trajectories",
]

BEHAVIOUR = "agenteff.engines.topologies.simagent:simulated_agent"
#: Simulated models of three capabilities: per-write error probability, and the real model whose price (from the
#: project's price table, data/prices.csv) their tokens are billed at. Latency is a few milliseconds.
DEFAULT_MODELS = {
    "sim-strong": (0.05, "gpt-4.1"),
    "sim-medium": (0.15, "gpt-4.1-mini"),
    "sim-weak": (0.30, "gpt-4.1-nano"),
}


def default_models(names=None) -> list:
    """The :class:`agenteff.llm.SimModel` objects behind :data:`DEFAULT_MODELS` (all, or those named)."""
    from ...llm import SimModel

    names = list(DEFAULT_MODELS) if names is None else list(names)
    unknown = [n for n in names if n not in DEFAULT_MODELS]
    if unknown:
        raise ValueError(
            f"unknown simulated model(s) {unknown}; the defaults are {list(DEFAULT_MODELS)} "
            "(pass SimModel objects for others, or a live endpoint to call real models)"
        )
    return [
        SimModel(
            name,
            behaviour=BEHAVIOUR,
            error_prob=DEFAULT_MODELS[name][0],
            latency_mean_s=0.003,
            latency_sd_s=0.001,
            priced_as=DEFAULT_MODELS[name][1],
        )
        for name in names
    ]


#: The modules that decide what agents are sent and reply; their source keys the simulated reply cache.
_BEHAVIOUR_MODULES = (
    "architectures.py",
    "protocol.py",
    "simagent.py",
    "suites.py",
    "../actions.py",
    "../../llm/actions.py",
)


def _source_hash() -> str:
    digest = hashlib.sha256()
    for name in _BEHAVIOUR_MODULES:
        digest.update((Path(__file__).parent / name).read_bytes())
    return digest.hexdigest()[:12]


def experiment_grid(architectures, suites, n_tasks: int, models, seeds, n_agents=None) -> pd.DataFrame:
    """The runs to make, one row each: architecture, n_agents, suite, task index, model, seed.

    ``n_agents``: None for the paper's counts (:data:`DEFAULT_AGENTS`), an int for every multi-agent
    architecture, or a list of ints for a sweep. Single-agent runs always have one agent and appear once.
    """
    if n_agents is None:
        counts = {a: [DEFAULT_AGENTS[a]] for a in architectures}
    else:
        values = [int(n_agents)] if isinstance(n_agents, (int,)) else [int(n) for n in n_agents]
        counts = {
            a: [1] if a == "single" else [n for n in values if n >= (2 if a in ("centralized", "hybrid") else 1)]
            for a in architectures
        }
    rows = [
        {"architecture": a, "n_agents": n, "suite": s, "task_index": t, "model": m, "seed": int(seed)}
        for a in architectures
        for n in counts[a]
        for s in suites
        for t in range(n_tasks)
        for m in models
        for seed in seeds
    ]
    return pd.DataFrame(rows)


def _stand_in_prices(sims) -> dict | None:
    """``{simulated model: rates}`` of the real models the simulated ones are priced as (None: nothing to price
    specially), as plain values so a worker's client options compare equal across jobs and processes."""
    from ...llm import PriceTable

    stand_ins = {m.name: m.priced_as for m in sims if m.priced_as}
    if not stand_ins:
        return None
    table = PriceTable.load(None).priced_as(stand_ins)  # an unpriced stand-in is an error here
    prices = {name: table.lookup(name) for name in stand_ins}
    return {
        name: {
            "input": p.input_usd_per_mtok,
            "cached_input": p.cached_input_usd_per_mtok,
            "output": p.output_usd_per_mtok,
        }
        for name, p in prices.items()
        if p is not None
    }


@functools.lru_cache(maxsize=32)
def _suite(suite: str, n_tasks: int, task_seed: int, n_tools: int):
    return make_suite(suite, n_tasks, seed=task_seed, n_tools=n_tools)


def _run_job(
    job: Job,
    *,
    endpoint,
    client_options: dict,
    suite_options: dict,
    limits: Limits,
    temperature,
    max_tokens,
    encodings: dict,
):
    """One run of the grid, in a worker: the run row and its steps as one record (nested, so the run's own
    ``task`` and ``seed`` do not clash with the job's columns)."""
    from ..sweep import worker_client  # not at import: the simulated endpoint imports this package, without the SDK

    row = job.params
    task = _suite(row["suite"], **suite_options)[row["task_index"]]
    client = worker_client(endpoint, **client_options)
    run, steps = run_topology(
        client,
        row["model"],
        task,
        row["architecture"],
        row["n_agents"],
        row["seed"],
        limits,
        temperature,
        max_tokens,
        encodings[row["model"]],
    )
    return [{"run": run, "steps": steps}]


def run_experiment(
    endpoint=None,
    architectures=ARCHITECTURES,
    suites=SUITES,
    n_tasks: int = 20,
    models=("sim-medium",),
    seeds=(0,),
    n_agents=None,
    n_tools: int = 4,
    task_seed: int = 0,
    temperature: float = 0.0,
    max_tokens: int | None = None,
    max_concurrency: int | None = None,
    prices=None,
    scheduler=None,
    action_encoding: str = "auto",
    **limits,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run every architecture on ``n_tasks`` tasks of every suite with every model and seed.

    ``endpoint``: an :class:`agenteff.llm.Endpoint` (None: :func:`agenteff.llm.resolve_endpoint`'s default,
    ``OPENAI_BASE_URL`` or the simulated endpoint). ``models``: on the simulated endpoint, names from
    :data:`DEFAULT_MODELS` or :class:`agenteff.llm.SimModel` objects; on a live one, the model ids to call,
    priced by their own names (``data/prices.csv``, or ``prices``, a price table or ``{model: {"input", "output"}}``
    in USD per million tokens; unpriced models cost NaN). ``max_tokens`` caps every
    completion (the client's timeout grows with it). ``max_concurrency`` runs go at once (None: 16 on the
    simulated endpoint, 4 on a live one, the slots of a small local server). ``scheduler``: a Dask scheduler
    address or ``dask.distributed.Client`` to run the grid on (the endpoint must be reachable from its workers;
    the simulated one listens on the loopback interface only). ``limits`` override :class:`Limits` fields
    (``max_iterations``, ``max_rounds``, ...). Tasks come from :func:`make_suite` with ``task_seed`` and
    ``n_tools``; ``seeds`` are trials. ``action_encoding``: how agents act, ``"native"`` tool calls,
    ``"structured"`` JSON actions, or ``"auto"``: probed once per model (:func:`agenteff.engines.actions.probe_encoding`).

    Returns ``(runs, steps)``, validated against RUNS and STEPS, in grid order; runs record ``served_model``, the
    model id(s) the replies reported.
    """
    from ...llm import SimModel, resolve_endpoint
    from ..actions import resolve_encoding
    from ..sampling import generation_timeout_s
    from ..sweep import Job, release_worker_clients, run_sweep, study_run_dir, worker_client

    if {"base_url", "api_key"} & set(limits):  # the arguments of the release before the one endpoint road
        raise TypeError("run_experiment takes an Endpoint, not base_url/api_key: pass resolve_endpoint(base_url)")
    endpoint = resolve_endpoint() if endpoint is None else endpoint
    run_limits = Limits.of(limits)
    sims = [m for m in models if isinstance(m, SimModel)]
    names = [m.name if isinstance(m, SimModel) else str(m) for m in models]
    if not endpoint.simulated and sims:
        raise ValueError(f"simulated models {[m.name for m in sims]} need the simulated endpoint, not {endpoint.label}")
    if endpoint.simulated and prices is not None:
        raise ValueError("simulated models are priced as the real model they name (SimModel.priced_as), not by prices")
    if endpoint.simulated:
        sims += default_models([n for n in names if not any(s.name == n for s in sims)])
    grid = experiment_grid(architectures, suites, n_tasks, names, seeds, n_agents)
    jobs = [
        Job(f"{r['suite']}/{r['task_index']}", f"{r['architecture']}/n{r['n_agents']}/{r['model']}", r["seed"], r)
        for r in grid.to_dict(orient="records")
    ]
    concurrency = max_concurrency or (16 if endpoint.simulated else 4)
    # room for the whole reply at 2 tokens/s (a CPU server shared by concurrent requests; the slowest seen), and
    # for 2,048 tokens without a cap
    timeout_s = generation_timeout_s(max_tokens if max_tokens is not None else 2048, tokens_per_s=2.0)
    client_options: dict = {"max_concurrency": concurrency, "timeout_s": timeout_s}
    if endpoint.simulated:
        client_options["cache_dir"] = cache_dir() / "llm" / f"topologies-{_source_hash()}"
        client_options["prices"] = _stand_in_prices(sims)
    elif prices is not None:
        client_options["prices"] = prices
    suite_options = {"n_tasks": int(n_tasks), "task_seed": int(task_seed), "n_tools": int(n_tools)}
    settings = {
        "jobs": [job.job_id for job in jobs],
        "suites": suite_options,
        "limits": run_limits,
        "temperature": temperature,
        "max_tokens": max_tokens,
        "prices": prices,
        "code": _source_hash(),
    }
    with endpoint.serve(sims) as running:
        try:
            probe_client = worker_client(running, **client_options)
            encodings = {name: resolve_encoding(probe_client, name, action_encoding) for name in names}
            settings["encodings"] = encodings  # a forced encoding and a probed one share their stored runs
            with study_run_dir(endpoint, "topologies", settings) as run_dir:
                job = functools.partial(
                    _run_job,
                    endpoint=running,
                    client_options=client_options,
                    suite_options=suite_options,
                    limits=run_limits,
                    temperature=temperature,
                    max_tokens=max_tokens,
                    encodings=encodings,
                )
                records = run_sweep(
                    job, jobs, run_dir, scheduler=scheduler, executor="thread", max_workers=concurrency, desc="runs"
                )
        finally:
            release_worker_clients(running)
    runs = pd.DataFrame(list(records["run"]))
    steps = pd.DataFrame([step for run_steps in records["steps"] for step in run_steps])
    return (
        schema.validate(runs, schema.RUNS, source="topology runs"),
        schema.validate(steps, schema.STEPS, source="topology steps"),
    )


#: The recorded real-model run of study 02 (data set ``smollm2-135m-topologies``): every architecture at the
#: paper's agent counts on ``n_tasks`` tasks of each suite, with a protocol short enough for a 135M model's
#: 2,048-token slots (4,096 here) and a CPU server: fewer rounds and turns than the paper's, every phase kept.
RECORDING: dict = {
    "n_tasks": 3,
    "seeds": (0,),
    "max_tokens": 192,
    "limits": {
        "max_iterations": 3,
        "max_rounds": 1,
        "worker_iterations": 2,
        "debate_rounds": 2,
        "debate_iterations": 1,
    },
}


def record_trajectories(
    directory, endpoint, model: str, action_encoding: str = "auto"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run :data:`RECORDING` on a live ``endpoint`` with ``model`` and write ``<directory>/<stem>_runs.csv`` and
    ``_steps.csv`` (validated, each file replaced only when complete); returns ``(runs, steps)``. The run store
    and the response cache make a re-run after a crash resume where it stopped."""
    from ...datasets.recorded import TOPOLOGY_RUNS_FILE, TOPOLOGY_STEPS_FILE

    if endpoint.simulated:
        raise ValueError("a recording is of a real model: give a live endpoint, not the simulated one")
    settings = dict(RECORDING)
    runs, steps = run_experiment(
        endpoint,
        n_tasks=settings["n_tasks"],
        models=[model],
        seeds=settings["seeds"],
        max_tokens=settings["max_tokens"],
        action_encoding=action_encoding,
        **settings["limits"],
    )
    directory = Path(directory)
    schema.write_table(runs, directory / Path(TOPOLOGY_RUNS_FILE).name, schema.RUNS)
    schema.write_table(steps, directory / Path(TOPOLOGY_STEPS_FILE).name, schema.STEPS)
    return runs, steps
