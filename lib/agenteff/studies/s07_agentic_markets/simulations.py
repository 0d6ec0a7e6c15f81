"""Study 07, the mechanisms (simulated): where welfare loss and the first-proposal advantage come from, and
THE_CRASH with rule-based firms. Every function is deterministic from its seed."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...engines import markets
from ...progress import progress

__all__ = [
    "consideration_sweep",
    "first_proposal_sweep",
    "assistant_models",
    "llm_marketplace",
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


def llm_marketplace(
    base_url: str | None,
    model: str,
    first_biases: list[float],
    n_customers: int,
    n_businesses: int,
    ks: list[int],
    gap_usd: float,
    seed: int,
    noise_usd: float = 1.0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """LLM assistants choosing among proposals: welfare share by k, and the speed advantage (all proposals seen).

    ``base_url=None`` starts the simulated endpoint serving one simulated assistant per first-proposal bias
    (each misjudges a proposal's worth by Gaussian noise of sd ``noise_usd``, drawn once per distinct prompt);
    otherwise ``model`` is called at ``base_url`` (the biases are then ignored: the model has its own).
    Returns (welfare by model and k, speed advantage by model) and token use per call.
    """
    from ...llm import LLMClient, endpoint

    sims = assistant_models(model, first_biases, noise_usd) if base_url is None else []
    names = [sim.name for sim in sims] or [model]
    market = markets.synthetic_market(n_customers, n_businesses, seed=seed)
    welfare, speed = [], []
    with (
        endpoint(base_url, sims) as url,
        LLMClient(base_url=url, api_key="sim" if base_url is None else None, cache=base_url is not None) as client,
    ):
        for name in names:
            before = client.stats["prompt_tokens"] + client.stats["completion_tokens"]
            for k in ks:
                choices = markets.simulate_marketplace(market, "llm", k, seed=seed, client=client, model=name)
                welfare.append(
                    {
                        "model": name,
                        "k": k,
                        "welfare_share": _welfare_share(choices),
                        "first_taken": float((choices["rank"] == 0).mean()),
                    }
                )
            result = markets.speed_vs_quality(
                n_customers, n_businesses, gap_usd, "llm", None, seed=seed, client=client, model=name
            )
            calls = n_customers * (len(ks) + 1)
            tokens = client.stats["prompt_tokens"] + client.stats["completion_tokens"] - before
            speed.append({"model": name, **result, "calls": calls, "tokens_per_call": tokens / calls})
    return pd.DataFrame(welfare), pd.DataFrame(speed)


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
