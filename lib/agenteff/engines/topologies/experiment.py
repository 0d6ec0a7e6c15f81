"""Run topologies over task suites and models: the experiment behind study 02 (and study 04's topology runs).

:func:`run_experiment` crosses architectures x agent counts x suites x tasks x models x seeds, runs every
combination through an OpenAI-compatible endpoint (the built-in simulated one by default), and returns the
trajectories as validated :data:`agenteff.schema.RUNS` and :data:`agenteff.schema.STEPS` tables. Runs are
independent, so they go concurrently; each run's own turns are sequential, as an agent's are.

Replies are cached by the LLM client, so a re-run sends no request. The simulated models' cache lives in a
folder named after a hash of the modules that shape requests and replies, so changing the simulated behaviour
never serves stale replies.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd

from ... import schema
from ...paths import cache_dir
from .architectures import ARCHITECTURES, DEFAULT_AGENTS, Limits, run_topology
from .suites import SUITES, make_suite

__all__ = ["BEHAVIOUR", "DEFAULT_MODELS", "default_models", "run_experiment", "experiment_grid"]

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
            "(pass SimModel objects for others, or base_url= for a real endpoint)"
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
_BEHAVIOUR_MODULES = ("architectures.py", "protocol.py", "simagent.py", "suites.py")


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


def run_experiment(
    architectures=ARCHITECTURES,
    suites=SUITES,
    n_tasks: int = 20,
    models=("sim-medium",),
    seeds=(0,),
    base_url: str | None = None,
    n_agents=None,
    n_tools: int = 4,
    task_seed: int = 0,
    api_key: str | None = None,
    temperature: float = 0.0,
    max_concurrency: int = 16,
    **limits,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run every architecture on ``n_tasks`` tasks of every suite with every model and seed.

    ``models``: model names (with ``base_url=None``, names from :data:`DEFAULT_MODELS`) or
    :class:`agenteff.llm.SimModel` objects to simulate. ``base_url=None`` starts the simulated endpoint
    (serve-sim) for the call; otherwise the models are called at ``base_url``. ``limits`` override
    :class:`Limits` fields (``max_iterations``, ``max_rounds``, ...). Tasks come from
    :func:`make_suite` with ``task_seed`` and ``n_tools``; ``seeds`` are trials.

    Returns ``(runs, steps)``, validated against RUNS and STEPS, in grid order.
    """
    from ...llm import LLMClient, PriceTable, SimModel, endpoint

    run_limits = Limits(**limits)
    sims = [m for m in models if isinstance(m, SimModel)]
    names = [m.name if isinstance(m, SimModel) else str(m) for m in models]
    if base_url is None:
        sims += default_models([n for n in names if not any(s.name == n for s in sims)])
    tasks = {s: make_suite(s, n_tasks, seed=task_seed, n_tools=n_tools) for s in suites}
    grid = experiment_grid(architectures, suites, n_tasks, names, seeds, n_agents)
    cache = cache_dir() / "llm" / f"topologies-{_source_hash()}" if base_url is None else None
    prices = PriceTable.load(None).priced_as({m.name: m.priced_as for m in sims if m.priced_as})
    with (
        endpoint(base_url, sims) as url,
        LLMClient(
            base_url=url,
            api_key=api_key or ("sim" if base_url is None else None),
            cache_dir=cache,
            max_concurrency=max_concurrency,
            prices=prices,
        ) as client,
    ):

        def one(row):
            return run_topology(
                client,
                row.model,
                tasks[row.suite][row.task_index],
                row.architecture,
                row.n_agents,
                row.seed,
                run_limits,
                temperature,
            )

        with ThreadPoolExecutor(max_workers=max_concurrency) as pool:
            results = list(pool.map(one, grid.itertuples(index=False)))
    runs = pd.DataFrame([run for run, _ in results])
    steps = pd.DataFrame([step for _, run_steps in results for step in run_steps])
    return (
        schema.validate(runs, schema.RUNS, source="topology runs"),
        schema.validate(steps, schema.STEPS, source="topology steps"),
    )
