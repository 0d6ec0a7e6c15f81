"""Study 07, the mechanisms (simulated): where welfare loss and the first-proposal advantage come from, and
THE_CRASH with rule-based firms. Every function is deterministic from its seed."""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd

from ...engines import markets
from ...engines.sampling import generation_timeout_s
from ...engines.sweep import Job, release_worker_clients, run_sweep, study_run_dir, worker_client
from ...progress import progress

__all__ = [
    "consideration_sweep",
    "first_proposal_sweep",
    "assistant_models",
    "llm_marketplace",
    "SIMULATED_ASSISTANT",
    "llm_simulated",
    "llm_label",
    "crash_sweep",
    "crash_trajectories",
    "bias_for_advantage",
]


def _welfare_share(choices: pd.DataFrame) -> float:
    return float(choices["utility"].sum() / choices["optimal_utility"].sum())


def consideration_sweep(
    n_customers: int, n_businesses: int, ks: list[int], seeds: list[int], noise_usd: float = 10.0
) -> pd.DataFrame:
    """Welfare (share of the optimum) of each rule-based policy by consideration-set size k, per market seed."""
    rows = []
    for seed in progress(seeds, desc="markets"):
        market = markets.synthetic_market(n_customers, n_businesses, seed=seed)
        for k in ks:
            for policy in ("best_of_k", "noisy"):
                choices = markets.simulate_marketplace(market, policy, k, noise_usd=noise_usd, seed=seed)
                rows.append({"policy": policy, "k": k, "seed": seed, "welfare_share": _welfare_share(choices)})
        rows.append(
            {
                "policy": "first",
                "k": 1,
                "seed": seed,
                "welfare_share": _welfare_share(markets.simulate_marketplace(market, "first", seed=seed)),
            }
        )
    return pd.DataFrame(rows)


def first_proposal_sweep(
    n_customers: int, businesses: list[int], ks: list[int], gap_usd: float, noises_usd: list[float], seed: int
) -> pd.DataFrame:
    """Speed advantage (sales of the fastest over sales of the best business, better by ``gap_usd``) for
    best-of-k by market size and k, and for a noisy ranker that sees every proposal, by noise."""
    rows = []
    for n in businesses:
        for k in [k for k in ks if k <= n]:
            result = markets.speed_vs_quality(n_customers, n, gap_usd, "best_of_k", k, seed=seed)
            rows.append({"policy": "best_of_k", "n_businesses": n, "k": k, "noise_usd": 0.0, **result})
        for noise in noises_usd:
            result = markets.speed_vs_quality(n_customers, n, gap_usd, "noisy", None, noise, seed=seed)
            rows.append({"policy": "noisy", "n_businesses": n, "k": n, "noise_usd": noise, **result})
    return pd.DataFrame(rows)


def bias_for_advantage(advantage: float) -> float:
    """Share of customers who must take the first proposal (the rest finding the best) for the fastest business to
    outsell the best one ``advantage`` times: q / (1 - q) = advantage."""
    if advantage <= 0:
        raise ValueError("advantage must be positive")
    return advantage / (1 + advantage)


def assistant_models(model: str, first_biases: list[float], noise_usd: float = 1.0) -> list:
    """Simulated assistants, one per first-proposal bias (names ``<model>-bias<q>``)."""
    from ...llm import SimModel

    return [
        SimModel(
            f"{model}-bias{q:g}",
            behaviour="agenteff.engines.markets:assistant_behaviour",
            error_prob=0.0,
            latency_mean_s=0.0,
            latency_sd_s=0.0,
            params={"first_bias": q, "noise_usd": noise_usd},
        )
        for q in first_biases
    ]


#: The name prefix of the simulated assistants when no model is named (``<prefix>-bias<q>``).
SIMULATED_ASSISTANT = "assistant-sim"


def llm_marketplace(
    endpoint,
    model: str | None,
    first_biases: list[float],
    n_customers: int,
    n_businesses: int,
    ks: list[int],
    gap_usd: float,
    seed: int,
    max_tokens: int | None = None,
    noise_usd: float = 1.0,
    scheduler=None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """LLM assistants choosing among proposals: welfare share by k, and the speed advantage (all proposals seen).

    ``endpoint`` (an :class:`agenteff.llm.Endpoint`): the simulated one serves one simulated assistant per
    first-proposal bias, named ``<model>-bias<q>`` (each misjudges a proposal's worth by Gaussian noise of sd
    ``noise_usd``, drawn once per distinct prompt); a live one is asked ``model`` (default: the one it serves;
    the biases are then ignored: the model has its own), replies of at most ``max_tokens``. Every (assistant,
    setting) is one job of a :func:`agenteff.engines.sweep.run_sweep` (local threads, or the Dask
    ``scheduler``), so a live run that stops resumes with the settings not yet stored.

    Returns (welfare by model and k, speed advantage by model with the tokens per call), each with the model id
    the replies reported (``served_model``) and whether they were ``simulated``.
    """
    sims = assistant_models(model or SIMULATED_ASSISTANT, first_biases, noise_usd)
    with endpoint.serve(sims) as running:
        names = [sim.name for sim in sims] if running.simulated else [running.model_or_default(model)]
        jobs = [Job(name, f"k={k}", seed, {"k": k}) for name in names for k in dict.fromkeys(ks)]
        jobs += [Job(name, "speed", seed, {"k": None}) for name in names]
        jobs.sort(key=lambda job: names.index(job.task))  # per assistant: its ks, then the speed market
        concurrency = 8 if running.simulated else 4
        options = {
            "cache": not running.simulated,
            "max_concurrency": concurrency,
            "timeout_s": generation_timeout_s(max_tokens),
        }
        job = partial(
            _assistant_job,
            running,
            n_customers=n_customers,
            n_businesses=n_businesses,
            gap_usd=gap_usd,
            max_tokens=max_tokens,
            client_options=options,
        )
        settings = {"jobs": [j.job_id for j in jobs], "customers": n_customers, "businesses": n_businesses}
        settings.update(gap_usd=gap_usd, max_tokens=max_tokens, biases=list(first_biases), noise_usd=noise_usd)
        with study_run_dir(running, "assistants", settings) as run_dir:
            try:
                stored = run_sweep(job, jobs, run_dir, executor="thread", max_workers=concurrency, scheduler=scheduler)
            finally:
                release_worker_clients(running)
    stored = stored.rename(columns={"task": "model"})
    calls = ["served_model", "simulated"]
    welfare = stored[stored["config"] != "speed"].assign(k=lambda t: t["config"].str.removeprefix("k=").astype(int))
    welfare = welfare[["model", "k", "welfare_share", "first_taken", *calls]].reset_index(drop=True)
    per_model = stored.groupby("model", sort=False)[["tokens", "calls"]].sum()
    speed = stored[stored["config"] == "speed"].set_index("model")
    speed = speed.assign(calls=per_model["calls"], tokens_per_call=per_model["tokens"] / per_model["calls"])
    columns = ["fastest_share", "best_share", "fair_share", "speed_advantage", "calls", "tokens_per_call", *calls]
    return welfare, speed[columns].reset_index()


def _assistant_job(endpoint, job, *, n_customers, n_businesses, gap_usd, max_tokens, client_options) -> dict:
    """One sweep job of :func:`llm_marketplace`: assistant ``job.task`` on one market (``job.config``: "k=<k>",
    the synthetic market's first k proposals; or "speed", the market of the fastest against the best)."""
    client = worker_client(endpoint, **client_options)
    speed = job.config == "speed"
    market = (
        markets.speed_market(n_customers, n_businesses, gap_usd, job.seed)
        if speed
        else markets.synthetic_market(n_customers, n_businesses, seed=job.seed)
    )
    choices = markets.simulate_marketplace(
        market, "llm", job.params["k"], seed=job.seed, client=client, model=job.task, max_tokens=max_tokens
    )
    record = {
        "tokens": int(choices["tokens"].sum()),
        "calls": int(choices["turns"].sum()),  # model calls: an assistant may take several turns
        "served_model": ", ".join(dict.fromkeys(choices["served_model"])),
        "simulated": bool(choices["simulated"].all()),
    }
    if speed:
        return {**record, **markets.speed_shares(choices["business"], n_businesses)}
    return {**record, "welfare_share": _welfare_share(choices), "first_taken": float((choices["rank"] == 0).mean())}


def llm_simulated(llm: pd.DataFrame) -> bool:
    """Whether the LLM assistants' replies (a table of :func:`llm_marketplace`) came from the simulated endpoint."""
    return bool(llm["simulated"].all())


def llm_label(llm: pd.DataFrame) -> str:
    """The LLM assistants for legends and notes: "simulated LLM assistants", or the live models that answered."""
    if llm_simulated(llm):
        return "simulated LLM assistants"
    asked = list(dict.fromkeys(llm["model"]))
    served = [name for name in dict.fromkeys(llm["served_model"]) if name not in asked]
    return "LLM assistant " + ", ".join(asked) + (f" (served as {', '.join(served)})" if served else "")


def crash_sweep(
    n_firms: int, stabilizers: list[int], discoveries: list[int], seeds: list[int], **settings
) -> pd.DataFrame:
    """Final state of THE_CRASH per (stabilizers, discovery limit, seed): bankruptcy rates and final price."""
    rows = []
    for k in progress(stabilizers, desc="stabilizers"):
        for discovery in discoveries:
            for seed in seeds:
                run = markets.simulate_crash(n_firms, k, discovery=discovery, seed=seed, **settings)
                last = run.iloc[-1]
                exits = run.index[run["firms_in_business"] < n_firms]
                rows.append(
                    {
                        "n_stab": k,
                        "discovery": discovery,
                        "seed": seed,
                        "bankruptcy_rate": 1 - last["firms_in_business"] / n_firms,
                        "undercutter_bankruptcy": last["bankrupt_undercutters"] / (n_firms - k)
                        if k < n_firms
                        else np.nan,
                        "stabilizer_bankruptcy": last["bankrupt_stabilizers"] / k if k else np.nan,
                        "final_price": run["mean_price"].dropna().iloc[-1]
                        if run["mean_price"].notna().any()
                        else np.nan,
                        "first_exit_step": int(run.loc[exits[0], "step"]) if len(exits) else np.nan,
                    }
                )
    return pd.DataFrame(rows)


def crash_trajectories(n_firms: int, stabilizers: list[int], seed: int, **settings) -> pd.DataFrame:
    """Per-step price and firms in business of one run per number of stabilizers."""
    return pd.concat(
        [markets.simulate_crash(n_firms, k, seed=seed, **settings).assign(n_stab=k) for k in stabilizers],
        ignore_index=True,
    )
