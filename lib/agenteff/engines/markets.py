"""Agentic markets: welfare accounting of Magentic-style markets, and two seeded mechanisms.

Welfare accounting follows the Magentic Marketplace definition (arXiv:2510.25779; the authors'
``baseline_utilities.py`` and ``run_analytics.py``, re-implemented): a customer requests items with reference
prices and some amenities; buying the items from a business that offers every requested amenity is worth twice
the sum of the reference prices, minus the price paid; buying elsewhere is worth minus the price paid. All money
is handled in integer cents, so sums are exact and independent of the order of addition.

Mechanisms (deterministic from a seed, seconds on a laptop core):

* :func:`simulate_marketplace`: businesses answer a customer's search with proposals that arrive in order of
  their response latency; the customer's assistant chooses with a policy (first proposal, best of the first k,
  a noisy ranker, or an LLM assistant acting through :mod:`agenteff.engines.actions`: it accepts a proposal
  with the ``accept_proposal`` tool, and an impossible choice is answered with an error it can correct).
* :func:`simulate_crash`: Agent Bazaar's THE_CRASH with rule-based firms (undercut the cheapest rival by a
  margin, or hold a price floor as a stabilizer) and price-sensitive consumers.
"""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

from .actions import chat_action, conversation_messages, resolve_encoding

__all__ = [
    "cents",
    "market_options",
    "POLICIES",
    "synthetic_market",
    "ACCEPT_TOOL",
    "ASSISTANT_TURNS",
    "assistant_behaviour",
    "simulate_marketplace",
    "speed_vs_quality",
    "speed_market",
    "speed_shares",
    "simulate_crash",
]


def cents(dollars) -> np.ndarray:
    """Dollar amounts with two decimals as exact integer cents."""
    return np.rint(np.asarray(dollars, dtype=float) * 100).astype(np.int64)


def market_options(tables: dict[str, pd.DataFrame], market: str) -> pd.DataFrame:
    """Every (customer, business) pair of ``market`` where the business sells all the customer's items.

    Columns: customer_id, business_id, price (cents, sum of menu prices of the requested items), value (cents,
    twice the sum of reference prices), amenities_met (every requested amenity offered), utility (cents).
    ``tables`` are those of the ``magentic-markets`` data set (or hand-made ones with the same columns).
    """
    wanted = tables["customer_items"].query("market == @market")
    menus = tables["business_items"].query("market == @market")
    if wanted.empty:
        raise ValueError(
            f"market {market!r} has no customers; known: {sorted(set(tables['customer_items']['market']))}"
        )
    wanted = wanted.assign(reference=cents(wanted["reference_price"]))
    n_items = wanted.groupby("customer_id").size().rename("n_items")
    offers = wanted.merge(menus.assign(menu=cents(menus["price"])), on=["market", "item"])
    pairs = (
        offers.groupby(["customer_id", "business_id"])
        .agg(items=("item", "size"), price=("menu", "sum"), reference=("reference", "sum"))
        .reset_index()
    )
    pairs = pairs.join(n_items, on="customer_id").query("items == n_items")
    required = tables["customer_amenities"].query("market == @market")
    offered = tables["business_amenities"].query("market == @market and offered")
    needs = required.groupby("customer_id").size()
    met = (
        required.merge(offered, on=["market", "amenity"])
        .groupby(["customer_id", "business_id"])
        .size()
        .rename("met")
        .reset_index()
    )
    pairs = pairs.merge(met, on=["customer_id", "business_id"], how="left").fillna({"met": 0})
    pairs["amenities_met"] = pairs["met"].to_numpy() >= pairs["customer_id"].map(needs).fillna(0).to_numpy()
    pairs["value"] = 2 * pairs["reference"]
    pairs["utility"] = np.where(pairs["amenities_met"], pairs["value"] - pairs["price"], -pairs["price"])
    columns = ["customer_id", "business_id", "price", "value", "amenities_met", "utility"]
    out = pairs[columns].sort_values(["customer_id", "business_id"]).reset_index(drop=True)
    unserved = sorted(set(n_items.index) - set(out["customer_id"]))
    if unserved:
        raise ValueError(f"market {market!r}: no business sells every item of customer(s) {unserved}")
    return out.astype({"price": "int64", "value": "int64", "utility": "int64", "amenities_met": bool})


# --- the marketplace: proposals arrive by latency, an assistant chooses -------------------------------------

POLICIES = ("first", "best_of_k", "noisy", "llm")


def synthetic_market(
    n_customers: int,
    n_businesses: int,
    seed: int = 0,
    amenity_share: float = 2 / 3,
    price_low: float = 0.6,
    price_high: float = 1.2,
    latency_sd: float = 0.3,
) -> pd.DataFrame:
    """A Magentic-like market where every business sells every customer's request.

    Per (customer, business): the request is worth ``value`` (twice its reference price R, R uniform in $5-$50),
    the business asks ``price`` = R x uniform(price_low, price_high), offers the requested amenities with
    probability ``amenity_share`` (2/3 in every released market), and answers after ``latency`` seconds: the
    business's own speed (lognormal around 1 s) times a per-request lognormal factor (sd ``latency_sd``).
    Utility as in :func:`market_options` (cents).
    """
    if n_customers < 1 or n_businesses < 1 or not 0 <= amenity_share <= 1 or not 0 < price_low <= price_high:
        raise ValueError("need n_customers, n_businesses >= 1, 0 <= amenity_share <= 1, 0 < price_low <= price_high")
    rng = np.random.default_rng(seed)
    reference = rng.uniform(5, 50, size=(n_customers, 1))
    price = cents(reference * rng.uniform(price_low, price_high, size=(n_customers, n_businesses)))
    value = np.broadcast_to(cents(2 * reference), price.shape)
    met = rng.random((n_customers, n_businesses)) < amenity_share
    speed = rng.lognormal(0.0, 0.5, size=n_businesses)
    latency = speed * rng.lognormal(0.0, latency_sd, size=(n_customers, n_businesses))
    customer, business = np.indices(price.shape)
    return pd.DataFrame(
        {
            "customer": customer.ravel(),
            "business": business.ravel(),
            "price": price.ravel(),
            "value": value.ravel(),
            "amenities_met": met.ravel(),
            "latency": latency.ravel(),
            "utility": np.where(met, value - price, -price).ravel(),
        }
    )


def _proposal_text(proposals: pd.DataFrame) -> str:
    lines = [
        f"{rank}. business {row.business}: total ${row.price / 100:.2f}, "
        f"{'has all requested amenities' if row.amenities_met else 'MISSING a requested amenity'}"
        for rank, row in enumerate(proposals.itertuples(), start=1)
    ]
    value = proposals["value"].iloc[0] / 100
    return (
        f"My request is worth ${value:.2f} to me if every requested amenity is offered, nothing otherwise. "
        "Proposals, in the order they arrived:\n"
        + "\n".join(lines)
        + "\nReply with the number of the proposal to accept, e.g. 'ACCEPT 2'."
    )


def _parse_choice(text: str | None, n: int) -> int:
    """0-based index of the accepted proposal; an unreadable reply accepts the first (as a hurried agent would)."""
    match = re.search(r"ACCEPT\s+(\d+)", text or "", re.IGNORECASE)
    choice = int(match.group(1)) - 1 if match else 0
    return choice if 0 <= choice < n else 0


#: The assistant's one tool: accepting is an action, checked before it counts.
ACCEPT_TOOL = {
    "type": "function",
    "function": {
        "name": "accept_proposal",
        "description": "Accept the proposal with this number (its place in the list, from 1).",
        "parameters": {"type": "object", "properties": {"number": {"type": "integer"}}, "required": ["number"]},
    },
}
#: Turns an assistant has to make a valid choice (an impossible number is answered with an error).
ASSISTANT_TURNS = 3
#: A choice needs no notes: no thought keeps a structured action within a small completion limit.
_THOUGHT_CHARS = 0


def _accepted(number, n: int) -> int | None:
    """0-based index of a valid proposal number (an int from 1 to ``n``), else None."""
    return number - 1 if isinstance(number, int) and not isinstance(number, bool) and 1 <= number <= n else None


def _assistant_decision(client, model: str, proposals: pd.DataFrame, max_tokens, encoding: str) -> dict:
    """One customer's assistant: up to :data:`ASSISTANT_TURNS` turns to accept one of ``proposals``. A text
    reply is read for 'ACCEPT n'; an unreadable (malformed) action accepts the first, as a hurried agent would."""
    messages = [{"role": "user", "content": _proposal_text(proposals)}]
    n, tokens, turns, calls, malformed, choice = len(proposals), 0, 0, 0, 0, None
    for _ in range(ASSISTANT_TURNS):
        result, replied = chat_action(
            client, model, messages, [ACCEPT_TOOL], encoding, thought_chars=_THOUGHT_CHARS, max_tokens=max_tokens
        )
        tokens, turns = tokens + result.prompt_tokens + result.completion_tokens, turns + 1
        made = [a for a in replied if a.is_tool_call]
        calls, malformed = calls + len(made), malformed + sum(bool(a.malformed) for a in replied)
        if not made:
            choice = None if replied[0].malformed else _parse_choice(replied[0].text, n)
            break
        valid = [i for i in (_accepted(a.arguments.get("number"), n) for a in made) if i is not None]
        if valid:
            choice = valid[0]
            break
        errors = [
            json.dumps({"error": f"no proposal {a.arguments.get('number')!r}; accept one from 1 to {n}"}) for a in made
        ]
        messages.extend(conversation_messages(encoding, result, replied, errors))
    return {
        "choice": 0 if choice is None else choice,
        "tokens": tokens,
        "turns": turns,
        "tool_calls": calls,
        "malformed": malformed,
        "action_encoding": encoding,
        "served_model": result.model,
        "simulated": result.simulated,
    }


def assistant_behaviour(messages, tools, model, rng) -> dict:
    """Simulated customer assistant (a :class:`~agenteff.llm.SimModel` behaviour).

    With probability ``params["first_bias"]`` it accepts the first proposal without comparing; otherwise it
    scores each listed proposal (value if the amenities are there, minus price) with Gaussian noise of sd
    ``params["noise_usd"]`` and accepts the best.
    """
    text = next((m["content"] for m in messages if m.get("role") == "user"), "")
    worth = re.search(r"worth \$([\d.]+)", text)
    if worth is None:
        raise ValueError("not a proposal prompt: no 'worth $...' in the first user message")
    value = float(worth.group(1))
    offers = re.findall(r"^(\d+)\. business \d+: total \$([\d.]+), (has all|MISSING)", text, re.MULTILINE)
    if rng.random() < model.params.get("first_bias", 0.0):
        number = 1
    else:
        scores = [
            (value if flag == "has all" else 0.0) - float(price) + rng.normal(0, model.params.get("noise_usd", 0.0))
            for _, price, flag in offers
        ]
        number = int(np.argmax(scores)) + 1
    if tools:  # it acts: one call of the accept tool
        return {"content": None, "tool_calls": [{"name": "accept_proposal", "arguments": {"number": number}}]}
    return {"content": f"ACCEPT {number}", "tool_calls": [], "reasoning_content": None}


def simulate_marketplace(
    market: pd.DataFrame,
    policy: str,
    k: int | None = None,
    noise_usd: float = 0.0,
    seed: int = 0,
    client=None,
    model: str | None = None,
    max_tokens: int | None = None,
    encoding: str = "auto",
) -> pd.DataFrame:
    """Each customer's assistant receives the proposals in order of arrival and accepts one.

    ``policy``: ``first`` (the first proposal), ``best_of_k`` (highest utility among the first ``k``; ties go to
    the earlier arrival), ``noisy`` (highest utility plus Gaussian noise of sd ``noise_usd`` dollars among the
    first ``k``), ``llm`` (the first ``k`` proposals as text to ``model`` through ``client``, an
    :class:`~agenteff.llm.LLMClient`, replies of at most ``max_tokens``: the assistant accepts with the
    :data:`ACCEPT_TOOL` action in ``encoding``, "native", "structured" or "auto" (probed), within
    :data:`ASSISTANT_TURNS` turns). ``k=None`` considers every proposal. Returns one row per customer: the accepted
    business, its arrival rank, price, utility, and the optimum; with ``llm`` also the calls' ``tokens`` (prompt
    and completion), ``turns``, ``tool_calls``, ``malformed`` actions, the ``action_encoding``, the model id the
    reply reported (``served_model``) and whether it was ``simulated``.
    """
    if policy not in POLICIES:
        raise ValueError(f"policy must be one of {POLICIES}, not {policy!r}")
    if k is not None and k < 1:
        raise ValueError(f"k must be >= 1 (or None for all proposals), not {k}")
    if policy == "llm" and (client is None or model is None):
        raise ValueError("policy 'llm' needs client= (an LLMClient) and model=")
    rng = np.random.default_rng(seed)
    ordered = market.sort_values(["customer", "latency", "business"], kind="stable")
    ordered = ordered.assign(rank=ordered.groupby("customer").cumcount())
    optimum = ordered.groupby("customer")["utility"].max()
    considered = ordered if k is None else ordered[ordered["rank"] < k]
    if policy == "first":
        chosen = considered[considered["rank"] == 0]
    elif policy in ("best_of_k", "noisy"):
        score = considered["utility"].to_numpy(dtype=float)
        if policy == "noisy":
            score = score + rng.normal(0, noise_usd * 100, size=len(score))
        # highest score, earliest arrival among ties: sort by score descending, then rank
        chosen = (
            considered.assign(score=score)
            .sort_values(["customer", "score", "rank"], ascending=[True, False, True])
            .groupby("customer")
            .head(1)
        )
    else:
        groups = [group for _, group in considered.groupby("customer", sort=True)]
        assistant = str(model)  # checked above
        chosen_encoding = resolve_encoding(client, assistant, encoding)

        def decide(group: pd.DataFrame) -> dict:
            return _assistant_decision(client, assistant, group, max_tokens, chosen_encoding)

        with ThreadPoolExecutor(max_workers=int(getattr(client, "max_concurrency", 8))) as pool:
            decisions = list(pool.map(decide, groups))
        chosen = pd.concat(
            [g.iloc[[d["choice"]]].assign(**{c: d[c] for c in _CALL_COLUMNS}) for g, d in zip(groups, decisions)]
        )
    chosen = chosen.set_index("customer").sort_index()
    calls = {name: chosen[name].to_numpy() for name in _CALL_COLUMNS if name in chosen.columns}
    return pd.DataFrame(
        {
            "customer": chosen.index,
            "business": chosen["business"].to_numpy(),
            "rank": chosen["rank"].to_numpy(),
            "price": chosen["price"].to_numpy(),
            "utility": chosen["utility"].to_numpy(),
            "optimal_utility": optimum.loc[chosen.index].to_numpy(),
            **calls,
        }
    )


#: What an LLM assistant's calls add to its customer's row.
_CALL_COLUMNS = ("tokens", "turns", "tool_calls", "malformed", "action_encoding", "served_model", "simulated")


def speed_market(n_customers: int, n_businesses: int, quality_gap_usd: float, seed: int = 0) -> pd.DataFrame:
    """The market of :func:`speed_vs_quality`: every business offers the same request at the same price with the
    amenities, except that business 0 always answers first and business 1 is better by ``quality_gap_usd``
    (cheaper by that much); the others answer in random order after business 0."""
    if n_businesses < 2:
        raise ValueError("need at least two businesses: the fastest and the best")
    rng = np.random.default_rng(seed)
    customer, business = np.indices((n_customers, n_businesses))
    price = np.full(customer.shape, 2000) - np.where(business == 1, int(round(quality_gap_usd * 100)), 0)
    latency = np.where(business == 0, 0.0, 1.0 + rng.random(customer.shape))
    market = pd.DataFrame(
        {
            "customer": customer.ravel(),
            "business": business.ravel(),
            "price": price.ravel(),
            "value": 4000,
            "amenities_met": True,
            "latency": latency.ravel(),
        }
    )
    market["utility"] = market["value"] - market["price"]
    return market


def speed_shares(sales: pd.Series, n_businesses: int) -> dict:
    """The shares of sales of the fastest (0) and the best (1) business of a :func:`speed_market`, the fair
    share, and their ratio (speed advantage over quality, x)."""
    fastest, best = float((sales == 0).mean()), float((sales == 1).mean())
    return {
        "fastest_share": fastest,
        "best_share": best,
        "fair_share": 1 / n_businesses,
        "speed_advantage": fastest / best if best > 0 else np.inf,
    }


def speed_vs_quality(
    n_customers: int,
    n_businesses: int,
    quality_gap_usd: float,
    policy: str,
    k: int | None = None,
    noise_usd: float = 0.0,
    seed: int = 0,
    client=None,
    model: str | None = None,
) -> dict:
    """Sales of the fastest business against the best one, everything else equal (:func:`speed_market`).

    ``quality_gap_usd=0`` measures the first-proposal advantage at equal quality. Returns the shares of sales of
    business 0 and 1 and their ratio (speed advantage over quality, x), see :func:`speed_shares`.
    """
    market = speed_market(n_customers, n_businesses, quality_gap_usd, seed)
    sales = simulate_marketplace(market, policy, k, noise_usd, seed, client, model)["business"]
    return speed_shares(sales, n_businesses)


# --- THE_CRASH: undercutting firms, stabilizers, price-sensitive consumers ---------------------------------


def simulate_crash(
    n_firms: int = 5,
    n_stabilizers: int = 0,
    steps: int = 60,
    consumers: int = 50,
    discovery: int = 3,
    unit_cost: float = 1.0,
    reservation_price: float = 3.0,
    start_price: float = 2.5,
    undercut_margin: float = 0.05,
    loss_tolerance: float = 0.5,
    stabilizer_markup: float = 0.3,
    fixed_cost: float = 2.0,
    start_cash: float = 100.0,
    seed: int = 0,
) -> pd.DataFrame:
    """Agent Bazaar's THE_CRASH with rule-based firms; one row per step.

    Each step every firm still in business posts a price. An undercutter that is not the cheapest sets the
    cheapest rival's price minus ``undercut_margin`` (a share), never below ``unit_cost x (1 - loss_tolerance)``
    (they will sell at a loss to win the market, as the paper's LLM firms do); a stabilizer holds
    ``unit_cost x (1 + stabilizer_markup)``. Each of ``consumers`` buyers looks at ``discovery`` random firms in
    business and buys one unit from the cheapest if its price is at most ``reservation_price``. A firm's cash
    moves by sales x (price - unit cost) - ``fixed_cost``; below zero it is bankrupt and leaves for good.
    Columns: step, firms_in_business, mean_price (of firms in business, before exits), units_sold,
    bankrupt_stabilizers, bankrupt_undercutters.
    """
    if not 0 <= n_stabilizers <= n_firms or n_firms < 1 or discovery < 1 or steps < 1 or consumers < 0:
        raise ValueError("need 0 <= n_stabilizers <= n_firms, n_firms >= 1, discovery >= 1, steps >= 1")
    rng = np.random.default_rng(seed)
    stabilizer = np.arange(n_firms) < n_stabilizers
    floor = np.where(stabilizer, unit_cost * (1 + stabilizer_markup), unit_cost * (1 - loss_tolerance))
    price = np.where(stabilizer, floor, start_price * rng.uniform(0.9, 1.1, n_firms))
    cash = np.full(n_firms, float(start_cash))
    alive = np.ones(n_firms, dtype=bool)
    rows = []
    for step in range(steps):
        for firm in rng.permutation(np.flatnonzero(alive & ~stabilizer)):  # firms move one after another
            rivals = alive.copy()
            rivals[firm] = False
            if rivals.any() and price[rivals].min() <= price[firm]:
                price[firm] = max(price[rivals].min() * (1 - undercut_margin), floor[firm])
        open_firms = np.flatnonzero(alive)
        sales = np.zeros(n_firms)
        if len(open_firms):
            seen = rng.random((consumers, len(open_firms))).argsort(axis=1)[:, : min(discovery, len(open_firms))]
            offered = price[open_firms][seen]
            pick = open_firms[seen[np.arange(consumers), offered.argmin(axis=1)]]
            buys = price[pick] <= reservation_price
            np.add.at(sales, pick[buys], 1)
        cash[alive] += (sales * (price - unit_cost))[alive] - fixed_cost
        mean_price = float(price[alive].mean()) if alive.any() else np.nan
        alive &= cash >= 0
        rows.append(
            {
                "step": step,
                "firms_in_business": int(alive.sum()),
                "mean_price": mean_price,
                "units_sold": int(sales.sum()),
                "bankrupt_stabilizers": int((stabilizer & ~alive).sum()),
                "bankrupt_undercutters": int((~stabilizer & ~alive).sum()),
            }
        )
    return pd.DataFrame(rows)
