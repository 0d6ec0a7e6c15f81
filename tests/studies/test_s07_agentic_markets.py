"""Study 07 on hand-made markets and outcomes whose results are computed by hand in the comments."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from agenteff.engines import markets
from agenteff.llm.endpoints import resolve_endpoint
from agenteff.llm.sim import server_stats, sim_server
from agenteff.studies import s07_agentic_markets as study

M = "mexican_2_3"


def _tables(extra_business=False, published=None):
    """Customer A wants Taco 3.50 + Drink 2.00 (worth 11.00) with Outdoor Seating; B wants Flan 4.00 (worth 8.00).

    B1 sells all, with seating: A pays 4.50 -> +6.50; B pays 4.00 -> +4.00.
    B2 has Taco 2.00 + Drink 1.00, no seating: A pays 3.00 -> -3.00 (no Flan, so no option for B).
    B3 has all, no seating: A pays 7.00 -> -7.00; B pays 3.00 -> +5.00 (B needs no amenity).
    B4 (optional) sells only Flan at 3.00: B -> +5.00, tied with B3 at the lowest price.
    """
    menus = {
        "B1": {"Taco": 3.0, "Drink": 1.5, "Flan": 4.0},
        "B2": {"Taco": 2.0, "Drink": 1.0},
        "B3": {"Flan": 3.0, "Taco": 5.0, "Drink": 2.0},
    }
    seating = {"B1": True, "B2": False, "B3": False}
    if extra_business:
        menus["B4"], seating["B4"] = {"Flan": 3.0}, False
    published = published or {("optimal", "constant"): 11.5, ("cheapest", "constant"): 2.0}
    stats = {s: 0.0 for s in ("median", "q1", "q3", "min", "max", "median_ci_lower", "median_ci_upper")}
    rows = [{"market": M, "baseline": b, "statistic": s, "value": v} for (b, s), v in published.items()]
    rows += [
        {"market": M, "baseline": b, "statistic": s, "value": v}
        for b in ("random", "random_with_amenities")
        for s, v in stats.items()
    ]
    return {
        "customer_items": pd.DataFrame(
            {
                "market": M,
                "customer_id": ["A", "A", "B"],
                "item": ["Taco", "Drink", "Flan"],
                "reference_price": [3.5, 2.0, 4.0],
            }
        ),
        "customer_amenities": pd.DataFrame({"market": [M], "customer_id": ["A"], "amenity": ["Outdoor Seating"]}),
        "business_items": pd.DataFrame(
            [
                {"market": M, "business_id": b, "item": i, "price": p}
                for b, menu in menus.items()
                for i, p in menu.items()
            ]
        ),
        "business_amenities": pd.DataFrame(
            [{"market": M, "business_id": b, "amenity": "Outdoor Seating", "offered": o} for b, o in seating.items()]
        ),
        "baselines": pd.DataFrame(rows),
    }


def test_options_price_the_requested_items_and_check_amenities():
    options = markets.market_options(_tables(), M)
    got = {(r.customer_id, r.business_id): (r.price, r.utility, r.amenities_met) for r in options.itertuples()}
    assert got == {
        ("A", "B1"): (450, 650, True),
        ("A", "B2"): (300, -300, False),
        ("A", "B3"): (700, -700, False),
        ("B", "B1"): (400, 400, True),
        ("B", "B3"): (300, 500, True),
    }


def test_constant_baselines_match_the_hand_computation():
    # optimal = 6.50 + 5.00 = 11.50; cheapest: A buys from B2 (-3.00), B from B3 (+5.00) -> 2.00
    table = study.recompute_baselines(_tables(), n_draws=200, replicates=20, seed=1).set_index(
        ["baseline", "statistic"]
    )
    assert table.loc[("optimal", "constant"), "recomputed"] == 11.5
    assert table.loc[("cheapest", "constant"), "recomputed"] == 2.0
    assert table.loc[("optimal", "constant"), "matches"] and table.loc[("cheapest", "constant"), "matches"]
    # market totals of one random pick each: A in {6.5, -3, -7} plus B in {4, 5}: min -3, max 11.5
    assert table.loc[("random", "min"), "recomputed"] == -3.0 and table.loc[("random", "max"), "recomputed"] == 11.5
    # with amenities A must take B1: totals 10.5 or 11.5
    assert table.loc[("random_with_amenities", "min"), "recomputed"] == 10.5
    assert not table.loc[("random", "median"), "matches"]  # the published 0.0 is not a possible median here


def test_a_tie_at_the_lowest_price_counts_every_tied_business_as_published():
    # B4 ties B3 at 3.00 for B: the authors' loop adds +5.00 twice -> -3.00 + 10.00 = 7.00
    published = {("optimal", "constant"): 11.5, ("cheapest", "constant"): 7.0}
    table = study.recompute_baselines(_tables(True, published), n_draws=50, replicates=5).set_index("baseline")
    assert table.loc["cheapest", "recomputed"] == 7.0 and table.loc["cheapest", "matches"]
    assert table.loc["cheapest", "note"] == "1 customer(s) with tied lowest prices"


def test_wrong_published_constant_is_flagged():
    published = {("optimal", "constant"): 11.49, ("cheapest", "constant"): 2.0}
    table = study.recompute_baselines(_tables(published=published), n_draws=10, replicates=5).set_index("baseline")
    assert not table.loc["optimal", "matches"]


def test_gap_splits_into_amenity_mismatch_and_price():
    row = study.welfare_gap(_tables()).iloc[0]
    # E[random] = (6.5 - 3 - 7)/3 + (4 + 5)/2 = 3.3333; gap = 11.5 - 3.3333 = 8.1667
    assert row["expected_random"] == pytest.approx(10 / 3)
    assert row["gap"] == pytest.approx(11.5 - 10 / 3)
    # mismatch: A forfeits its 11.00 with probability 2/3; price: A (4.8333 - 4.50) + B (3.50 - 3.00)
    assert row["amenity_mismatch"] == pytest.approx(22 / 3)
    assert row["price"] == pytest.approx(1 / 3 + 0.5)
    assert row["amenity_mismatch"] + row["price"] == pytest.approx(row["gap"])
    assert row["expected_random_with_amenities"] == pytest.approx(11.5 - 0.5)  # only B overpays, by 0.50 on average


def test_nonsense_parameters_and_markets_are_refused():
    with pytest.raises(ValueError, match="level"):
        study.recompute_baselines(_tables(), level=1.5)
    with pytest.raises(ValueError, match="no customers"):
        markets.market_options(_tables(), "nowhere")
    broken = _tables()
    broken["business_items"] = broken["business_items"].query("item != 'Flan'")
    with pytest.raises(ValueError, match=r"customer\(s\) \['B'\]"):
        markets.market_options(broken, M)


def test_cents_are_exact():
    assert markets.cents([0.1, 0.2, 63.779999999999994]).tolist() == [10, 20, 6378]
    assert np.sum(markets.cents([0.1] * 10)) == 100


def _crash_runs():
    # deviation |p/c - 1|: 0.5, 1, 0 -> d_max 1; sigma_max 0.4
    return pd.DataFrame(
        {
            "model": ["A", "A", "B"],
            "n_stab": [0, 3, 0],
            "bankruptcy_rate": [0.2, 1.0, 0.0],
            "final_avg_price": [1.5, 0.0, 1.0],
            "price_std": [0.2, 0.4, 0.0],
            "unit_cost": 1.0,
        }
    )


def test_health_score_follows_the_script_definition():
    health = study.health_scores(_crash_runs())
    # run 1: (0.8 + (1 - 0.2/0.4) + (1 - 0.5/1)) / 3 = 0.6; run 2: all bankrupt -> 0; run 3: 1
    assert health["health"].tolist() == pytest.approx([0.6, 0.0, 1.0])
    sizes = pd.DataFrame({"model": ["A", "B"], "params_b": [3.0, 70.0], "developer": ["x", "y"]})
    table = study.model_health(health, sizes, resamples=200).set_index("model")
    assert table.loc["A", "health"] == pytest.approx(0.3) and table.loc["B", "bankruptcy_rate"] == 0.0


def _lemon_cells():
    return pd.DataFrame(
        {
            "release": "R",
            "model": "m",
            "source_file": "heatmap",
            "seed_index": 0,
            "n_sybil": [0, 3, 0],
            "rep_visible": [True, True, False],
            "consumer_welfare": [10.0, -10.0, 0.0],
            "sybil_rev_share": [0.0, 0.5, 0.0],
            "market_volume": [100.0, 50.0, 80.0],
        }
    )


def test_eas_follows_the_script_definition():
    scored = study.eas_scores(_lemon_cells())
    # baseline volume 100 -> ratios 1, 0.5, 0.8 -> phi_S 1, 0, 0.6; phi_W 1, 0, 0.5
    assert scored["eas"].tolist() == pytest.approx([1.0, 0.5 / 3, 2.1 / 3])
    tokens = pd.DataFrame({"release": ["R"], "input_tokens": [900], "output_tokens": [100]})
    row = study.release_eas(_lemon_cells(), tokens, resamples=100).iloc[0]
    assert row["eas"] == pytest.approx((1 + 0.5 / 3 + 0.7) / 3)
    assert row["tokens_per_eas"] == pytest.approx(1000 / row["eas"])
    with pytest.raises(ValueError, match="one release"):
        study.eas_scores(pd.concat([_lemon_cells(), _lemon_cells().assign(release="S")]))


def test_published_eas_is_compared_cell_by_cell():
    cells = _lemon_cells().assign(source_file="score")
    published = pd.DataFrame(
        {"release": "R", "model": "m", "n_sybil": [0], "rep_visible": [True], "eas_mean": [0.9], "eas_se": [0.0]}
    )
    both = study.compare_published_eas(cells, published).set_index(["n_sybil", "rep_visible"])
    assert both.loc[(0, True), "difference"] == pytest.approx(0.1)
    assert np.isnan(both.loc[(3, True), "eas_mean"])  # recomputed cells without a published value stay visible


def test_size_correlation_dose_response_and_tokens():
    table = pd.DataFrame(
        {
            "model": list("abc"),
            "params_b": [1.0, 2.0, 3.0],
            "bankruptcy_rate": [0.3, 0.2, 0.1],
            "health": [0.1, 0.5, 0.4],
        }
    )
    result = study.size_vs_failure(table)
    assert result["rho_bankruptcy"] == pytest.approx(-1.0) and result["rho_health"] == pytest.approx(0.5)
    runs = pd.DataFrame(
        {
            "model": ["A", "B", "A", "B"],
            "n_stab": [0, 0, 5, 5],
            "bankruptcy_rate": [1.0, 0.8, 0.5, 0.2],
            "health": [0.0, 0.2, 0.4, 0.6],
        }
    )
    dose = study.dose_response(runs, resamples=100).set_index("n_stab")
    assert dose.loc[5, "bankruptcy_rate"] == pytest.approx(0.35)
    assert dose.loc[5, "bankruptcy_rate_change"] == pytest.approx(-0.55)
    assert dose.loc[0, "all_bankrupt"] == 0.5
    keys = {"release": "R", "model": "m", "n_stab": [1, 1, 2], "discovery": 3}
    firms = pd.DataFrame({**keys, "firms_at_end": [2, 4, 0]})
    tokens = pd.DataFrame({**keys, "input_tokens": [90, 270, 40], "output_tokens": [10, 30, 10]})
    row = study.token_efficiency(firms, tokens).iloc[0]
    # cell 1: 200 tokens/run, 3 survivors; cell 2: 50 tokens, 0 survivors -> 250 / 3
    assert row["tokens_per_surviving_firm"] == pytest.approx(250 / 3) and row["cells"] == 2


def test_mixed_model_attributes_model_effects_to_models_not_size():
    # six models, intercepts unrelated to size (high, low, low, high, high, low), small seed noise
    level = [0.9, 0.1, 0.1, 0.9, 0.9, 0.1]
    noise = [-0.02, 0.0, 0.02]
    runs = pd.DataFrame(
        [
            {"model": f"m{i}", "n_stab": k, "bankruptcy_rate": level[i] + e}
            for i in range(6)
            for k in (0, 5)
            for e in noise
        ]
    )
    sizes = pd.DataFrame({"model": [f"m{i}" for i in range(6)], "params_b": [3.0, 8.0, 14.0, 32.0, 70.0, 405.0]})
    fit = study.mixed_model(runs, sizes)
    assert fit["icc"] > 0.9 and fit["models"] == 6 and fit["p_slope"] > 0.05


def test_marketplace_policies_and_their_invariants():
    market = markets.synthetic_market(60, 8, seed=3)
    assert len(market) == 60 * 8 and (market["value"] > 0).all()
    first = markets.simulate_marketplace(market, "first", seed=3)
    fastest = market.loc[market.groupby("customer")["latency"].idxmin(), "business"].to_numpy()
    assert (first["business"].to_numpy() == fastest).all() and (first["rank"] == 0).all()
    everything = markets.simulate_marketplace(market, "best_of_k", None, seed=3)
    assert (everything["utility"] == everything["optimal_utility"]).all()  # ideal search is optimal
    welfare = [markets.simulate_marketplace(market, "best_of_k", k, seed=3)["utility"].sum() for k in (1, 2, 4, 8)]
    assert welfare == sorted(welfare)  # best of more proposals never loses welfare
    noisy = [markets.simulate_marketplace(market, "noisy", 4, noise_usd=5.0, seed=s) for s in (1, 1, 2)]
    pd.testing.assert_frame_equal(noisy[0], noisy[1])  # deterministic from the seed
    assert not noisy[0].equals(noisy[2])
    assert (noisy[0]["rank"] < 4).all()


def test_speed_vs_quality_by_hand():
    # first proposal: the fastest business gets every sale, the best none
    first = markets.speed_vs_quality(50, 5, 1.0, "first")
    assert first["fastest_share"] == 1.0 and first["speed_advantage"] == np.inf
    # seeing all proposals finds the cheaper business every time
    assert markets.speed_vs_quality(50, 5, 1.0, "best_of_k")["best_share"] == 1.0
    # best of the first 2 of 5: the best business is second with probability 1/4
    share = markets.speed_vs_quality(4000, 5, 1.0, "best_of_k", k=2, seed=1)["best_share"]
    assert share == pytest.approx(0.25, abs=0.03)
    assert study.bias_for_advantage(10) == pytest.approx(10 / 11)
    with pytest.raises(ValueError, match="two businesses"):
        markets.speed_vs_quality(5, 1, 1.0, "first")


def test_marketplace_refuses_nonsense():
    market = markets.synthetic_market(3, 2)
    with pytest.raises(ValueError, match="policy"):
        markets.simulate_marketplace(market, "cheapest")
    with pytest.raises(ValueError, match="k must be"):
        markets.simulate_marketplace(market, "best_of_k", 0)
    with pytest.raises(ValueError, match="client"):
        markets.simulate_marketplace(market, "llm")
    with pytest.raises(ValueError, match="amenity_share"):
        markets.synthetic_market(3, 2, amenity_share=2.0)


def test_assistant_behaviour_reads_the_proposals():
    market = pd.DataFrame(
        {
            "customer": 0,
            "business": [7, 8],
            "price": [1500, 900],
            "value": 2000,
            "amenities_met": [True, False],
            "latency": [1.0, 2.0],
            "utility": [500, -900],
        }
    )
    text = markets._proposal_text(market)
    model = SimpleNamespace(params={"first_bias": 0.0, "noise_usd": 0.0})
    reply = markets.assistant_behaviour([{"role": "user", "content": text}], None, model, np.random.default_rng(0))
    assert reply["content"] == "ACCEPT 1"  # $20 - $15 beats -$9 (amenity missing)
    with pytest.raises(ValueError, match="not a proposal prompt"):
        markets.assistant_behaviour([{"role": "user", "content": "hello"}], None, model, np.random.default_rng(0))
    assert markets._parse_choice("I would ACCEPT 2.", 2) == 1
    assert markets._parse_choice("no idea", 2) == 0 and markets._parse_choice("ACCEPT 9", 2) == 0


def test_llm_assistants_on_the_simulated_endpoint():
    welfare, speed = study.llm_marketplace(
        resolve_endpoint("simulated"), "t", [0.0, 1.0], 8, 4, [4], gap_usd=1.0, seed=0, noise_usd=0.0
    )
    assert welfare["model"].tolist() == ["t-bias0", "t-bias1"] and welfare["k"].tolist() == [4, 4]
    biased = speed.set_index("model")
    assert biased.loc["t-bias1", "fastest_share"] == 1.0  # always the first proposal
    assert biased.loc["t-bias0", "best_share"] == 1.0  # no noise, no bias: always the best
    assert welfare.set_index("model").loc["t-bias0", "welfare_share"] == pytest.approx(1.0)
    assert (speed["tokens_per_call"] > 0).all() and (speed["calls"] == 16).all()  # 8 customers, 2 markets
    assert welfare["simulated"].all() and speed["simulated"].all() and study.llm_simulated(speed)
    assert (speed["served_model"] == speed["model"]).all()
    assert study.llm_label(speed) == "simulated LLM assistants"


def test_a_live_assistant_run_resumes_and_is_labelled_from_its_replies(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENTEFF_CACHE_DIR", str(tmp_path))
    sims = study.assistant_models("live", [0.5])
    with sim_server(sims) as url:  # a simulated server treated as live: the live road, its store kept
        endpoint = resolve_endpoint(url)
        args = (endpoint, None, [0.5], 6, 3, [2, 3], 1.0, 1)
        welfare, speed = study.llm_marketplace(*args, max_tokens=16)
        stores = list((endpoint.cache_dir / "runs").glob("assistants-*/runs.sqlite"))
        asked = server_stats(url)["chat_requests"]
        again = study.llm_marketplace(*args, max_tokens=16)  # every job is stored: nothing is asked again
        assert server_stats(url)["chat_requests"] == asked
    assert len(stores) == 1 and 0 < asked <= 18  # 6 customers x 3 markets; identical prompts are asked once
    pd.testing.assert_frame_equal(speed, again[1])
    assert welfare["model"].tolist() == ["live-bias0.5"] * 2  # the one model it serves
    # the replies say they are simulated, whatever the URL: the label follows the data
    assert not endpoint.simulated and study.llm_label(speed) == "simulated LLM assistants"
    live = speed.assign(simulated=False)
    assert study.llm_label(live) == "LLM assistant live-bias0.5"
    assert study.llm_label(live.assign(served_model="x.gguf")) == "LLM assistant live-bias0.5 (served as x.gguf)"


def test_an_unreachable_live_endpoint_is_a_clear_error():
    with pytest.raises(ConnectionError, match="cannot reach the endpoint at 127.0.0.1:9"):
        study.llm_marketplace(resolve_endpoint("http://127.0.0.1:9/v1"), None, [0.5], 3, 3, [2], 1.0, 0)


class ScriptedAssistant:
    """A client whose replies follow a script per customer (by turn): a number is an accept_proposal call,
    text a plain reply, None a reply cut at max_tokens. Records every request."""

    max_concurrency = 1

    def __init__(self, script):
        self.script, self.sent = script, []

    def chat(self, model, messages, tools=None, max_tokens=None, **options):
        self.sent.append({"messages": messages, "tools": tools, "max_tokens": max_tokens, **options})
        turn = sum(m["role"] == "assistant" for m in messages)
        step = self.script[min(turn, len(self.script) - 1)]
        calls = [{"id": f"c{turn}", "name": "accept_proposal", "arguments": {"number": step}}]
        return SimpleNamespace(
            content=step if isinstance(step, str) else None,
            tool_calls=calls if isinstance(step, int) else [],
            finish_reason="length" if step is None else "stop",
            prompt_tokens=5,
            completion_tokens=2,
            model="m",
            simulated=False,
        )


def test_an_assistant_reply_limit_reaches_every_call():
    client = ScriptedAssistant([1])
    choices = markets.simulate_marketplace(
        markets.synthetic_market(3, 2), "llm", client=client, model="m", max_tokens=9, encoding="native"
    )
    assert [r["max_tokens"] for r in client.sent] == [9, 9, 9]
    assert [r["tools"] for r in client.sent] == [[markets.ACCEPT_TOOL]] * 3
    assert (choices["rank"] == 0).all() and (choices["turns"] == 1).all() and (choices["tool_calls"] == 1).all()
    assert choices[["tokens", "served_model", "simulated"]].drop_duplicates().values.tolist() == [[7, "m", False]]


def test_an_assistant_corrects_an_impossible_choice_within_its_turns():
    market = markets.synthetic_market(1, 3)
    client = ScriptedAssistant([7, 2])  # no proposal 7: told so, it accepts the second
    row = markets.simulate_marketplace(market, "llm", client=client, model="m", encoding="native").iloc[0]
    assert (row["rank"], row["turns"], row["tool_calls"], row["malformed"], row["tokens"]) == (1, 2, 2, 0, 14)
    error = client.sent[1]["messages"][-1]
    assert error["role"] == "tool" and "no proposal 7; accept one from 1 to 3" in error["content"]
    stubborn = ScriptedAssistant([0])  # never a valid number: the turns run out, the first is taken
    row = markets.simulate_marketplace(market, "llm", client=stubborn, model="m", encoding="native").iloc[0]
    assert (row["rank"], row["turns"], row["tool_calls"]) == (0, markets.ASSISTANT_TURNS, markets.ASSISTANT_TURNS)
    texted = ScriptedAssistant(["I take ACCEPT 3"])  # a plain reply is read as before
    row = markets.simulate_marketplace(market, "llm", client=texted, model="m", encoding="native").iloc[0]
    assert (row["rank"], row["turns"], row["tool_calls"]) == (2, 1, 0)
    cut = ScriptedAssistant([None])  # a reply cut at max_tokens: malformed, counted, the first is taken
    row = markets.simulate_marketplace(market, "llm", client=cut, model="m", encoding="native").iloc[0]
    assert (row["rank"], row["turns"], row["malformed"]) == (0, 1, 1)


def test_crash_spiral_and_stabilizers():
    run = markets.simulate_crash(n_firms=4, n_stabilizers=0, steps=40, seed=5)
    assert run["mean_price"].iloc[0] > run["mean_price"].dropna().iloc[-1]  # prices spiral down
    assert run["mean_price"].dropna().min() == pytest.approx(0.5)  # to the floor, half the unit cost
    assert run["firms_in_business"].iloc[-1] == 0 and run["firms_in_business"].is_monotonic_decreasing
    held = markets.simulate_crash(n_firms=4, n_stabilizers=4, steps=40, seed=5)
    assert (held["firms_in_business"] == 4).all() and held["mean_price"].to_numpy() == pytest.approx(1.3)
    pd.testing.assert_frame_equal(run, markets.simulate_crash(n_firms=4, n_stabilizers=0, steps=40, seed=5))
    sweep = study.crash_sweep(4, [0, 2], [2], [1, 2], steps=40)
    assert sweep.groupby("n_stab")["bankruptcy_rate"].mean().tolist() == [1.0, 0.5]
    with pytest.raises(ValueError, match="n_stabilizers"):
        markets.simulate_crash(n_firms=2, n_stabilizers=3)


def test_claims_have_statuses_from_the_results():
    from agenteff.report import PaperValue, PaperValues

    paper = PaperValues(
        {
            "magentic/first-proposal-advantage": PaperValue(
                "magentic/first-proposal-advantage", "x", low=10, high=30, unit="x"
            )
        }
        | {
            key: PaperValue(key, "a qualitative claim")
            for key in (
                "magentic/optimal-only-ideal-search",
                "magentic/degrades-with-options",
                "magentic/first-proposal-bias-all-models",
                "bazaar/fail-to-self-regulate",
                "bazaar/by-model-not-size",
                "bazaar/stabilizers-help-fragile",
                "bazaar/rl-9b-beats-frontier",
            )
        }
    )
    baselines = study.recompute_baselines(_tables(), n_draws=50, replicates=10)
    gap = study.welfare_gap(_tables())
    consideration = pd.DataFrame({"policy": "noisy", "k": [1, 5], "seed": 0, "welfare_share": [0.3, 0.8]})
    first_sweep = pd.DataFrame(
        {"policy": ["best_of_k", "noisy"], "k": [2, 10], "n_businesses": 10, "speed_advantage": [12.0, 0.5]}
    )
    llm_speed = pd.DataFrame(
        {"model": ["a", "b"], "speed_advantage": [0.2, 20.0], "served_model": ["a", "b"], "simulated": True}
    )
    llm_welfare = pd.DataFrame({"model": "a", "k": [2, 10], "welfare_share": [0.6, 0.99], "simulated": True})
    runs = _crash_runs().assign(health=[0.6, 0.0, 1.0])
    dose = pd.DataFrame(
        {
            "n_stab": [0, 5],
            "models": 2,
            "bankruptcy_rate": [0.9, 0.6],
            "bankruptcy_rate_change": [0.0, -0.3],
            "all_bankrupt": [0.5, 0.2],
        }
    )
    mixed = {"slope_per_decade": 0.01, "slope_low": -0.1, "slope_high": 0.1, "p_slope": 0.8, "icc": 0.5}
    correlation = {"rho_bankruptcy": 0.1, "p_bankruptcy": 0.7, "models": 2}
    eas_check = pd.DataFrame(
        {"release": "R", "eas_mean": [0.5, 0.7], "recomputed": [0.5, 0.7 + 1e-12], "difference": [0.0, 1e-12]}
    )
    eas = pd.DataFrame(
        {"release": ["R"], "model": "m", "eas": [0.6], "eas_low": 0.5, "eas_high": 0.7, "tokens_per_eas": [1e6]}
    )
    token_eff = pd.DataFrame({"release": ["R", "S"], "tokens_per_surviving_firm": [5e5, np.inf]})
    crash = pd.DataFrame({"n_stab": [0, 5], "bankruptcy_rate": [1.0, 0.0]})
    magentic = {"baselines": baselines, "gap": gap, "level": 0.99}
    mechanisms = {
        "consideration": consideration,
        "first_sweep": first_sweep,
        "llm_speed": llm_speed,
        "llm_welfare": llm_welfare,
    }
    bazaar = {
        "health_runs": runs,
        "correlation": correlation,
        "mixed": mixed,
        "dose": dose,
        "eas_check": eas_check,
        "eas": eas,
        "token_eff": token_eff,
        "crash": crash,
        "missing_models": ["X"],
    }
    rows = study.claims(paper, magentic=magentic, mechanisms=mechanisms, bazaar=bazaar)
    status = {row["claim"].split(" (")[0].split(":")[0]: row["status"] for row in rows}
    by_key = pd.DataFrame(rows).set_index("key")
    assert by_key.index.is_unique and by_key.index[0] == f"magentic/{M}/optimal"
    # the published baselines beside the recomputed ones (11.50 optimal, 2.00 cheapest), to the cent
    optimal, cheapest = by_key.loc[f"magentic/{M}/optimal"], by_key.loc[f"magentic/{M}/cheapest"]
    assert (optimal["paper_value"], optimal["reproduced_value"], optimal["unit"]) == (11.5, 11.5, "USD")
    assert (cheapest["paper_value"], cheapest["reproduced_value"], cheapest["status"]) == (2.0, 2.0, "reproduced")
    median = by_key.loc[f"magentic/{M}/random-median"]
    assert median["paper_value"] == 0.0 and median["reproduced_value"] == round(median["reproduced_value"], 2)
    exact = by_key.loc["magentic/exact-baselines/largest-difference"]
    assert (exact["paper_value"], exact["reproduced_value"], exact["status"]) == (None, 0.0, "reproduced")
    assert by_key.loc["magentic/median-intervals/coverage", "unit"] == "of 2 intervals"
    table = pd.DataFrame(rows).set_index("claim")
    assert table.filter(like="by model rather than by size", axis=0)["status"].item() == "reproduced"
    assert table.filter(like="stabilizing firms", axis=0)["status"].item() == "reproduced"  # -0.3 and 0.2 > 0
    eas_cells = by_key.loc["bazaar/eas/cached-cells"]
    assert (eas_cells["reproduced_value"], eas_cells["status"]) == (0.0, "reproduced")  # 1e-12 to 6 decimals
    assert eas_cells["note"].startswith("2 cells of 1 releases")
    assert (
        table.filter(like="small consideration set", axis=0)["note"]
        .item()
        .startswith("simulated; in the paper's range only for k=2 of 10")
    )
    assert "S no survivor" in table.filter(like="surviving firm", axis=0)["note"].item()
    assert set(status.values()) <= {"reproduced", "differs", "not reproducible", "new"}
    speed_claim = table.filter(like="speed-over-quality", axis=0)
    assert speed_claim.index.item().endswith("simulated assistants with a first-proposal bias")
    assert "simulated assistants (value: the one nearest the range): a 0.2x, b 20.0x" in speed_claim["note"].item()
    # a live assistant: named from its replies, its own bias; the markets stay simulated, hence the statuses
    live = {**mechanisms, "llm_speed": llm_speed.iloc[[1]].assign(simulated=False, served_model="b.gguf")}
    live_table = pd.DataFrame(study.claims(paper, magentic=magentic, mechanisms=live, bazaar=bazaar)).set_index("claim")
    live_speed = live_table.filter(like="speed-over-quality", axis=0)
    assert (
        live_speed.index.item() == "Magentic speed-over-quality advantage: LLM assistant b (served as b.gguf), own bias"
    )
    assert live_speed["status"].item() == "not reproducible"
    assert live_table.filter(like="ideal search (measured LLM assistant", axis=0)["status"].item() == "not reproducible"
    unbeaten = {**live, "llm_speed": live["llm_speed"].assign(speed_advantage=np.inf)}  # the best sold nothing
    unbeaten_speed = pd.DataFrame(study.claims(paper, magentic=magentic, mechanisms=unbeaten, bazaar=bazaar)).set_index(
        "claim"
    )
    unbeaten_speed = unbeaten_speed.filter(like="speed-over-quality", axis=0)
    assert unbeaten_speed["reproduced_value"].item() == "" or pd.isna(unbeaten_speed["reproduced_value"].item())
    assert unbeaten_speed["note"].item().endswith("none finite (the best business sold nothing)")
    mixed["p_slope"] = 0.001
    rows = study.claims(paper, magentic=magentic, mechanisms=mechanisms, bazaar=bazaar)
    assert pd.DataFrame(rows).set_index("claim").filter(like="by model rather", axis=0)["status"].item() == "differs"


def test_cell_health_follows_the_heatmap_script():
    cells = pd.DataFrame(
        {
            "release": "R",
            "model": "m",
            "n_stab": [0, 0, 5],
            "discovery": 3,
            "bankruptcy_rate": [1.0, 0.5, 0.0],
            "price_std": [0.2, 0.4, 0.0],
            "final_avg_price": [0.0, 1.5, 1.0],
            "unit_cost": 1.0,
        }
    )
    table = study.cell_health(cells).set_index("n_stab")
    # k=0: cell means 0.75, 0.3, deviation 0.75 -> (0.25 + 0.25 + 0.25) / 3; per seed 0 and 1/3
    assert table.loc[0, "composite"] == pytest.approx(0.25)
    assert table.loc[0, "composite_se"] == pytest.approx(np.std([0, 1 / 3], ddof=1) / np.sqrt(2))
    assert table.loc[5, "composite"] == pytest.approx(1.0) and table.loc[5, "composite_se"] == 0.0


def test_figure_functions_name_their_files_and_stamp_simulated_markets():
    import matplotlib.pyplot as plt

    sweep = pd.DataFrame(
        {"policy": ["first", "noisy", "noisy", "best_of_k"], "k": [1, 1, 5, 5], "welfare_share": [0.4, 0.5, 0.8, 0.9]}
    )
    live = pd.DataFrame(
        {"model": "m", "served_model": "m.gguf", "k": [2, 5], "welfare_share": [0.6, 0.7], "simulated": False}
    )
    made = study.welfare_vs_consideration(sweep, live)
    assert made.name == "welfare_vs_consideration"
    assert made.caption.endswith("and LLM assistant m (served as m.gguf).")  # the model that answered
    assert "simulated data" in [text.get_text() for text in made.figure.texts]  # the markets are simulated
    eas = pd.DataFrame({"release": ["R"], "tokens_per_eas": [2e6]})
    crash = pd.DataFrame({"release": ["R", "S"], "tokens_per_surviving_firm": [1e6, np.inf]})
    made = study.tokens_per_eas(eas, crash)
    assert made.name == "tokens_per_eas" and "simulated data" not in [t.get_text() for t in made.figure.texts]
    plt.close("all")


def test_simulated_assistants_choose_the_same_by_tool_call_or_json_action(tmp_path):
    from agenteff.llm import LLMClient, SimModel, sim_server

    behaviour = "agenteff.engines.markets:assistant_behaviour"
    models = [
        SimModel("calls", behaviour=behaviour, latency_mean_s=0.001, latency_sd_s=0),
        SimModel(
            "json",
            behaviour=behaviour,
            latency_mean_s=0.001,
            latency_sd_s=0,
            params={"native_tools": False, "json_schema": True},
        ),
    ]
    market = markets.synthetic_market(6, 4, seed=3)
    with sim_server(models) as url, LLMClient(base_url=url, api_key="x", cache_dir=tmp_path) as client:
        native, structured = (
            markets.simulate_marketplace(market, "llm", client=client, model=m) for m in ("calls", "json")
        )
    assert native["action_encoding"].unique().tolist() == ["native"]  # probed
    assert structured["action_encoding"].unique().tolist() == ["structured"]
    assert native["business"].tolist() == structured["business"].tolist()  # noise-free: the best proposal
    assert (structured["tool_calls"] == 1).all() and (structured["malformed"] == 0).all()
    assert (native["utility"] == native["optimal_utility"]).all()


def test_the_advantage_nearest_the_band_is_picked_in_log_space_without_a_warning():
    # an advantage of 0 (log -inf) once printed a RuntimeWarning, with the machine's paths, into the stored notebook
    import warnings

    from agenteff.studies.s07_agentic_markets.claims import _nearest_in_log

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # the centre of [10, 30] is sqrt(300) = 17.32: |ln 4.9 - ln 17.32| = 1.263, |ln 60 - ln 17.32| = 1.242
        assert _nearest_in_log(pd.Series([0.0, 4.9, 60.0]), 10, 30) == 60.0
        assert _nearest_in_log(pd.Series([0.0]), 10, 30) == 0.0
