"""Study 07, Magentic Marketplace (arXiv:2510.25779): the released markets and their welfare baselines.

Magentic: the four published welfare baselines of every released market, recomputed from the market files and
put beside ``baseline_utilities.json``; the gap between random and optimal choice split into what missing
amenities cost and what overpaying costs. Agent Bazaar: the health score and the Economic Alignment Score
recomputed from the per-seed outcomes with the figure scripts' definitions, with bootstrap intervals; "by model
rather than by size" tested; the stabilizer dose-response; tokens per unit of EAS and per surviving firm.
Mechanisms (simulated): :mod:`agenteff.engines.markets`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...engines.markets import market_options

__all__ = ["recompute_baselines", "welfare_gap"]

_RANDOM_STATISTICS = ("median", "q1", "q3", "min", "max")


def _draw_statistics(utilities: list[np.ndarray], n_draws: int, replicates: int, rng) -> pd.DataFrame:
    """Statistics of ``n_draws`` market totals (one uniform choice per customer), ``replicates`` times over."""
    totals = np.zeros((replicates, n_draws), dtype=np.int64)
    for options in utilities:
        totals += options[rng.integers(0, len(options), size=(replicates, n_draws))]
    dollars = totals / 100
    return pd.DataFrame(
        {
            "median": np.median(dollars, axis=1),
            "q1": np.percentile(dollars, 25, axis=1),
            "q3": np.percentile(dollars, 75, axis=1),
            "min": dollars.min(axis=1),
            "max": dollars.max(axis=1),
        }
    ), dollars


def recompute_baselines(
    tables: dict[str, pd.DataFrame], n_draws: int = 1000, replicates: int = 400, seed: int = 42, level: float = 0.99
) -> pd.DataFrame:
    """Every market's four baselines recomputed beside the published ones.

    ``optimal`` (best option per customer) and ``cheapest`` (the authors' definition: the utility of every
    business at the lowest price, so a tie at the lowest price counts each tied business) are exact, in cents.
    The random choosers are re-run as published (``n_draws`` draws of the market total) ``replicates`` times:
    ``recomputed`` is the mean of a statistic over replicates, [low, high] its central ``level`` range, i.e. where
    the published statistic of one run of 1,000 unseeded draws should fall. The published median's bootstrap
    interval is checked to cover the population median (estimated from all replicates pooled).
    Columns: market, baseline, statistic, published, recomputed, low, high, matches (dollars).
    """
    if not 0 < level < 1 or n_draws < 1 or replicates < 2:
        raise ValueError("need 0 < level < 1, n_draws >= 1 and replicates >= 2")
    rng = np.random.default_rng(seed)
    published = tables["baselines"].set_index(["market", "baseline", "statistic"])["value"]
    rows = []
    for market in sorted(set(tables["baselines"]["market"])):
        options = market_options(tables, market)
        by_customer = [group for _, group in options.groupby("customer_id", sort=True)]
        lowest = [g[g["price"] == g["price"].min()] for g in by_customer]
        exact = {
            "optimal": sum(int(g["utility"].max()) for g in by_customer),
            "cheapest": sum(int(g["utility"].sum()) for g in lowest),
        }
        ties = sum(len(g) > 1 for g in lowest)
        for baseline, value in exact.items():
            pub = published[market, baseline, "constant"]
            rows.append(
                {
                    "market": market,
                    "baseline": baseline,
                    "statistic": "constant",
                    "published": pub,
                    "recomputed": value / 100,
                    "low": value / 100,
                    "high": value / 100,
                    "matches": bool(round(pub * 100) == value),
                    "note": f"{ties} customer(s) with tied lowest prices" if baseline == "cheapest" else "",
                }
            )
        for baseline, subset in (
            ("random", by_customer),
            ("random_with_amenities", [g[g["amenities_met"]] for g in by_customer]),
        ):
            stats, dollars = _draw_statistics([g["utility"].to_numpy() for g in subset], n_draws, replicates, rng)
            for statistic in _RANDOM_STATISTICS:
                low, high = np.quantile(stats[statistic], [(1 - level) / 2, (1 + level) / 2])
                pub = published[market, baseline, statistic]
                rows.append(
                    {
                        "market": market,
                        "baseline": baseline,
                        "statistic": statistic,
                        "published": pub,
                        "recomputed": float(stats[statistic].mean()),
                        "low": float(low),
                        "high": float(high),
                        "matches": bool(low - 0.005 <= pub <= high + 0.005),
                        "note": "",
                    }
                )
            centre = float(np.median(dollars))
            low, high = published[market, baseline, "median_ci_lower"], published[market, baseline, "median_ci_upper"]
            rows.append(
                {
                    "market": market,
                    "baseline": baseline,
                    "statistic": "median_ci",
                    "published": np.nan,
                    "recomputed": centre,
                    "low": low,
                    "high": high,
                    "matches": bool(low <= centre <= high),
                    "note": "published bootstrap interval of the median vs the population median",
                }
            )
    return pd.DataFrame(rows)


def welfare_gap(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Optimal minus expected random welfare per market, split exactly into amenity mismatch and price.

    A random pick lacks a requested amenity with some probability and then forfeits the value of the request
    (``amenity_mismatch``: the expected forfeited value); it also pays on average more than the cheapest business
    with the amenities, which the optimal chooser picks (``price``: expected price paid minus that price). The two
    parts add up to the gap. ``random_with_amenities`` loses only on price. Dollars per market.
    """
    rows = []
    for market in sorted(set(tables["customer_items"]["market"])):
        options = market_options(tables, market)
        per_customer = options.groupby("customer_id").apply(
            lambda g: pd.Series(
                {
                    "optimal": g["utility"].max(),
                    "random": g["utility"].mean(),
                    "mismatch": (g["value"] * ~g["amenities_met"]).mean(),
                    "price": g["price"].mean() - g.loc[g["amenities_met"], "price"].min(),
                    "with_amenities_price": g.loc[g["amenities_met"], "price"].mean()
                    - g.loc[g["amenities_met"], "price"].min(),
                    "options": len(g),
                    "share_with_amenities": g["amenities_met"].mean(),
                }
            ),
            include_groups=False,
        )
        total = per_customer.sum() / 100
        gap = total["optimal"] - total["random"]
        rows.append(
            {
                "market": market,
                "customers": len(per_customer),
                "options_per_customer": per_customer["options"].mean(),
                "share_with_amenities": per_customer["share_with_amenities"].mean(),
                "optimal": total["optimal"],
                "expected_random": total["random"],
                "gap": gap,
                "amenity_mismatch": total["mismatch"],
                "price": total["price"],
                "mismatch_share": total["mismatch"] / gap if gap else np.nan,
                "expected_random_with_amenities": total["optimal"] - total["with_amenities_price"],
            }
        )
    return pd.DataFrame(rows)
