"""Study 08: routers, complexity ratios and claims on hand-made outcome tables whose costs are computed by hand."""

from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from agenteff.llm.endpoints import resolve_endpoint
from agenteff.llm.pricing import PriceTable
from agenteff.metrics.grading import count_tokens
from agenteff.report import PaperValue, PaperValues
from agenteff.studies import s08_routing_auctions as s08

MODELS = ("qwen3-1.7b", "qwen3-8b", "qwen3-32b")  # cheapest first; costs 1, 2, 4 per question below


def _outcomes(questions=None):
    correct = np.array([[1, 1, 1], [0, 1, 1], [0, 0, 1], [0, 0, 0]], dtype=bool)
    abstained = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [1, 1, 1]], dtype=bool)
    answers = np.array(
        [["Paris", "Paris", "Paris"], ["Lyon", "Nice", "Nice"], ["", "Rome", "Milan"], ["", "", ""]], dtype=object
    )
    cost = np.tile([1.0, 2.0, 4.0], (4, 1))
    return s08.Outcomes(
        np.array(["0", "1", "2", "3"]),
        np.array(questions or ["capital of France", "a city", "a city in Italy", "unknown"], dtype=object),
        MODELS,
        correct,
        abstained,
        answers,
        cost / 1.0,
        cost,
        "hand",
    )


def _row(routed, column="cost"):
    return routed[column].tolist()


def test_fixed_random_and_oracle_costs_by_hand():
    out = _outcomes()
    largest = s08.route_fixed(out, "qwen3-32b")
    assert _row(largest) == [4, 4, 4, 4] and largest["correct"].mean() == 0.75 and largest["to_largest"].all()
    smallest = s08.route_fixed(out, "qwen3-1.7b")
    assert smallest["cost"].mean() == 1 and smallest["correct"].mean() == 0.25
    oracle = s08.route_oracle(out)
    # q0 -> 1.7b (1), q1 -> 8b (2), q2 -> 32b (4), q3: nobody right -> the cheapest (1)
    assert _row(oracle) == [1, 2, 4, 1] and _row(oracle, "model") == [
        "qwen3-1.7b",
        "qwen3-8b",
        "qwen3-32b",
        "qwen3-1.7b",
    ]
    assert oracle["correct"].mean() == 0.75 and oracle["to_largest"].mean() == 0.25
    random = s08.route_random(out, seed=3)
    assert random["cost"].isin([1, 2, 4]).all() and (random["n_calls"] == 1).all()


def test_cascades_pay_for_every_call_by_hand():
    out = _outcomes()
    abstention = s08.route_cascade(out, "abstention")
    # q0: 1.7b answers (1); q1: 1.7b abstains, 8b answers (1+2); q2: both abstain, 32b (1+2+4); q3: all, 32b (7)
    assert _row(abstention) == [1, 3, 7, 7]
    assert _row(abstention, "correct") == [True, True, True, False]
    assert abstention["to_largest"].mean() == 0.5
    agreement = s08.route_cascade(out, "agreement")
    # q0: 8b agrees with 1.7b -> 8b (1+2); q1: 8b disagrees, 32b agrees with 8b -> 32b (7);
    # q2: Rome vs Milan, no agreement -> the last size (7); q3: empty answers never agree (7)
    assert _row(agreement) == [3, 7, 7, 7]
    assert _row(agreement, "model") == ["qwen3-8b", "qwen3-32b", "qwen3-32b", "qwen3-32b"]
    with pytest.raises(ValueError, match="signal"):
        s08.route_cascade(out, "confidence")


def test_evaluate_routers_cost_of_pass_and_headroom_by_hand():
    out = _outcomes()
    routed = pd.concat([s08.route_fixed(out, m) for m in MODELS] + [s08.route_oracle(out)])
    table = s08.evaluate_routers(routed, n_boot=50, seed=0).set_index("router")
    assert table.loc["always qwen3-32b", "cost_of_pass"] == pytest.approx(16 / 3)
    assert table.loc["oracle", "cost_of_pass"] == pytest.approx(8 / 3)
    assert table.loc["always qwen3-1.7b", "cost_of_pass"] == pytest.approx(4 / 1)
    assert table.loc["oracle", "to_largest"] == 0.25
    assert (table["accuracy_low"] <= table["accuracy"]).all() and (table["accuracy"] <= table["accuracy_high"]).all()
    room = s08.headroom(table.reset_index())
    assert room["oracle_gain"] == 0 and room["oracle_cost_ratio"] == pytest.approx(0.5)
    points = s08.frontier(table.reset_index()).set_index("router")
    # the oracle would dominate everything: it is kept as a reference, off the deployable frontier
    assert not points.loc["oracle", "on_frontier"]
    assert points.loc[[f"always {m}" for m in MODELS], "on_frontier"].all()  # accuracy 1/4, 2/4, 3/4 at cost 1, 2, 4


def test_description_router_learns_a_word_and_never_sees_its_own_question():
    n = 40
    hard = np.arange(n) % 2 == 1
    questions = [("hard riddle" if h else "easy sum") + f" q{i}" for i, h in enumerate(hard)]
    correct = np.column_stack([~hard, ~hard, np.ones(n, dtype=bool)])
    out = s08.Outcomes(
        np.array([str(i) for i in range(n)]),
        np.array(questions, dtype=object),
        MODELS,
        correct,
        np.zeros((n, 3), dtype=bool),
        np.full((n, 3), "x", dtype=object),
        np.ones((n, 3)),
        np.tile([1.0, 2.0, 4.0], (n, 1)),
        "hand",
    )
    (cheap,) = s08.route_description(out, [1.0], folds=4, seed=0)
    # easy questions go to the cheapest size, hard ones to the only size that answers them
    assert (cheap["model"].to_numpy()[~hard] == "qwen3-1.7b").all()
    assert (cheap["model"].to_numpy()[hard] == "qwen3-32b").all()
    # a label carried only by each question's own word (q0, q1, ...) cannot be learnt across folds
    leaky = s08.Outcomes(
        out.problem_ids,
        np.array([f"q{i}" for i in range(n)], dtype=object),
        MODELS,
        np.column_stack([hard, ~hard, np.zeros(n, dtype=bool)]),
        out.abstained,
        out.answers,
        out.tokens,
        out.cost,
        "hand",
    )
    (routed,) = s08.route_description(leaky, [0.0], folds=4, seed=0)
    assert routed["correct"].mean() < 0.9


def _samples(models, rows):
    frame = pd.DataFrame(rows, columns=["problem_id", "model", "output", "judge_verdict"])
    frame["dataset"] = "frames"
    frame["question"] = frame["problem_id"].map({"0": "Who?", "1": "When?"})
    frame["answer"] = frame["output"]
    frame["correct"] = frame["judge_verdict"] == "CORRECT"
    return frame[frame["model"].isin(models)]


def test_outcomes_from_samples_prices_tokens_and_orders_by_cost():
    rows = [
        ("0", "qwen3-30b", "Ann", "CORRECT"),
        ("1", "qwen3-30b", "1990", "INCORRECT"),
        ("0", "qwen3-4b", "Ann", "CORRECT"),
        ("1", "qwen3-4b", "I do not know", "NOT_ATTEMPTED"),
    ]
    samples = _samples(("qwen3-30b", "qwen3-4b"), rows)
    active = s08.outcomes_from_samples(samples, "active parameters", models=("qwen3-4b", "qwen3-30b"))
    assert active.models == ("qwen3-30b", "qwen3-4b")  # 3.3B active is cheaper than 4B dense
    tokens = count_tokens(["Who?"])[0] + count_tokens(["Ann"])[0]
    assert active.cost[0, 0] == pytest.approx(3.3 * tokens / 1000)
    assert active.abstained.tolist() == [[False, False], [False, True]]
    total = s08.outcomes_from_samples(samples, "total parameters", models=("qwen3-4b", "qwen3-30b"))
    assert total.models == ("qwen3-4b", "qwen3-30b")
    assert total.cost[0, 1] == pytest.approx(30 * tokens / 1000)
    table = PriceTable.load({"qwen3-4b": {"input": 0.1, "output": 0.5}, "qwen3-30b": {"input": 0.1, "output": 1.0}})
    usd = s08.outcomes_from_samples(samples, "price table", models=("qwen3-4b", "qwen3-30b"), prices=table)
    assert usd.cost[0, usd.models.index("qwen3-30b")] == pytest.approx(1.0 / 1e6 * tokens)


def test_outcomes_and_prices_reject_bad_input():
    rows = [
        ("0", "qwen3-4b", "Ann", "CORRECT"),
        ("0", "qwen3-4b", "Bob", "CORRECT"),
        ("0", "qwen3-30b", "Ann", "CORRECT"),
    ]
    with pytest.raises(ValueError, match="once"):
        s08.outcomes_from_samples(_samples(("qwen3-4b", "qwen3-30b"), rows), models=("qwen3-4b", "qwen3-30b"))
    with pytest.raises(ValueError, match="no samples"):
        s08.outcomes_from_samples(_samples((), rows), models=("qwen3-4b",))
    with pytest.raises(ValueError, match="unknown cost model"):
        s08.price_per_token(["qwen3-4b"], "energy")
    with pytest.raises(ValueError, match="needs prices"):
        s08.price_per_token(["qwen3-4b"], "price table")
    with pytest.raises(KeyError, match="no row"):
        s08.price_per_token(["qwen3-4b"], "price table", PriceTable.load({"gpt-x": {"input": 1, "output": 1}}))
    with pytest.raises(KeyError, match="no parameter count"):
        s08.price_per_token(["llama-7b"], "active parameters")


def test_ratio_by_complexity_by_hand():
    out = _outcomes()
    questions = pd.DataFrame(
        {"problem_id": ["0", "1", "2", "3"], "n_wiki_links": [2, 2, 6, 6], "n_reasoning_types": [1, 1, 4, 4]}
    )
    bins = s08.complexity_bins(questions)
    assert bins["linked articles"].tolist() == ["2", "2", "5+", "5+"]
    ratios = s08.ratio_by_complexity(out, bins, "qwen3-8b", "qwen3-32b", n_boot=100, seed=0)
    links = ratios[ratios["proxy"] == "linked articles"].set_index("level")
    # level 2: 8b right on q0, q1 (2/2), 32b on both: ratio 1; level 5+: 8b 0/2, 32b 1/2: ratio 0
    assert links.loc["2", "ratio"] == 1 and links.loc["5+", "ratio"] == 0
    accuracy = s08.size_accuracy_by_complexity(out, bins, n_boot=50, seed=0)
    row = accuracy[
        (accuracy["proxy"] == "reasoning types") & (accuracy["level"] == "3+") & (accuracy["model"] == "qwen3-32b")
    ].iloc[0]
    assert row["accuracy"] == 0.5 and row["n"] == 2


PAPER = PaperValues(
    {
        "sale/largest-reliance-reduction": PaperValue("sale/largest-reliance-reduction", "reliance", 53, unit="%"),
        "sale/cost-reduction": PaperValue("sale/cost-reduction", "cost", 35, unit="%"),
        "sale/beats-largest-pass1": PaperValue("sale/beats-largest-pass1", "beats largest"),
        "sale/small-fail-to-scale": PaperValue("sale/small-fail-to-scale", "small fail"),
        "sale/description-routers": PaperValue("sale/description-routers", "routers fail"),
        "sale/ratio-4b-32b-simple": PaperValue("sale/ratio-4b-32b-simple", "simple", None, 87, 92, "%"),
        "sale/ratio-4b-32b-complex": PaperValue("sale/ratio-4b-32b-complex", "complex", None, 17, 25, "%"),
    }
)


def test_claims_statuses_on_hand_made_results():
    out = _outcomes()
    routed = pd.concat([s08.route_fixed(out, m) for m in MODELS] + [s08.route_oracle(out)])
    described = s08.route_fixed(out, "qwen3-8b").assign(router="description (w=0)")
    evaluated = {"hand": s08.evaluate_routers(pd.concat([routed, described]), n_boot=20, seed=0)}
    ratios = pd.DataFrame(
        {
            "proxy": ["linked articles"] * 2 + ["reasoning types"] * 2,
            "level": ["2", "5+"] * 2,
            "n": 10,
            "ratio": [0.9, 0.2, 0.5, 0.5],
            "low": [0.85, 0.1, 0.3, 0.3],
            "high": [0.95, 0.3, 0.7, 0.7],
        }
    )
    contrast = pd.DataFrame(
        {"dataset": ["simpleqa", "frames"], "ratio": [0.1, 0.5], "low": [0.05, 0.4], "high": [0.15, 0.6]}
    )
    auction = pd.DataFrame(
        [
            {
                "complexity": "all",
                "tasks": 10,
                "largest_share": 0.4,
                "auction_pass1": 0.9,
                "largest_pass1": 0.8,
                "execution_cost": 50.0,
                "auction_cost": 80.0,
                "largest_cost": 100.0,
            }
        ]
    )
    rows = s08.claims(
        PAPER, evaluated=evaluated, ratios=ratios, contrast=contrast, auction=auction, run=auction_run(simulated=True)
    )
    assert len(rows) == 10
    keys = [r["key"] for r in rows]
    assert len(set(keys)) == 10 and keys[:2] == ["auction/largest-reliance-reduction", "auction/cost-reduction"]
    assert keys[-5:] == [
        "small-fail-to-scale/reasoning-types",
        "ratio/fewest-linked-articles",
        "ratio/most-linked-articles",
        "simpleqa-contrast/ratio",
        "auction/beats-largest-pass1",
    ]
    assert all(key.startswith("routers/") for key in keys[2:4])
    assert "auction reduces reliance on the largest agent (simulated auction)" in [r["claim"] for r in rows]

    def find(start):
        return [r for r in rows if r["claim"].startswith(start)]

    (reliance,) = find("auction reduces reliance")
    assert reliance["reproduced_value"] == 60.0 and reliance["status"] == "not reproducible"
    (cost,) = find("auction lowers overall cost")
    assert cost["reproduced_value"] == 20.0 and "50.0%" in cost["note"]
    (described,) = find("description routers")
    assert described["status"] == "reproduced"  # accuracy 0.5 < the largest's 0.75
    (headroom,) = find("headroom")
    assert headroom["reproduced_value"] == 0.0 and headroom["status"] == "new"
    scale = find("small agents fail")
    assert [r["status"] for r in scale] == ["reproduced", "differs"]  # 0.3 < 0.85; overlapping intervals
    simple, complex_ = find("qwen3-4b pass@1 as a share")
    assert simple["reproduced_value"] == 90.0 and simple["status"] == "reproduced"
    assert complex_["reproduced_value"] == 20.0 and complex_["status"] == "reproduced"
    assert [r["status"] for r in rows].count("new") == 2
    assert [r["status"] for r in find("auction pass@1")] == ["not reproducible"]

    live = s08.claims(
        PAPER, evaluated=evaluated, ratios=ratios, contrast=contrast, auction=auction, run=auction_run(simulated=False)
    )
    (live_reliance,) = [r for r in live if r["claim"].startswith("auction reduces reliance")]
    assert live_reliance["claim"] == "auction reduces reliance on the largest agent (auction of small, large)"
    assert live_reliance["status"] == "not reproducible"  # SALE released nothing to reproduce against
    assert live_reliance["note"].startswith("live agents small, large: the largest won 40.0% of 10 tasks")
    assert not any("SIMULATED" in r["note"] for r in live)


def auction_run(simulated: bool, served=("small", "large")):
    bids = pd.DataFrame({"task_id": ["t0", "t0"], "model": ["small", "large"], "served_model": list(served)})
    outcomes = pd.DataFrame({"task_id": ["t0"], "winner": ["large"], "simulated": [simulated]})
    return SimpleNamespace(bids=bids, outcomes=outcomes)


def test_the_auction_figure_says_whether_its_agents_are_simulated():
    summaries = pd.DataFrame(
        {
            "complexity": ["1", "2", "all"],
            "tasks": [4, 6, 10],
            "largest_share": [0.25, 0.5, 0.4],
            "largest_cost": [10.0, 20.0, 30.0],
            "execution_cost": [5.0, 15.0, 20.0],
            "auction_cost": [8.0, 22.0, 30.0],
        }
    )
    simulated = s08.auction_reliance_cost(summaries, auction_run(True))
    assert simulated.name == "auction_reliance_cost"
    assert simulated.figure.axes[0].get_title() == "Auction: reliance on the largest agent (simulated)"
    assert "simulated data" in [text.get_text() for text in simulated.figure.texts]
    assert simulated.caption.startswith("SIMULATED agents on 10 arithmetic tasks")
    live = s08.auction_reliance_cost(summaries, auction_run(False))
    assert live.caption.startswith("Agents small, large on 10 arithmetic tasks")
    assert "simulated data" not in [text.get_text() for text in live.figure.texts]
    plt.close("all")


def test_the_auction_is_labelled_from_its_replies():
    assert s08.is_simulated(auction_run(True)) and not s08.is_simulated(auction_run(False))
    assert s08.auction_models_label(auction_run(False)) == "small, large"
    assert (
        s08.auction_models_label(auction_run(False, served=("x.gguf", "x.gguf"))) == "small, large (served as x.gguf)"
    )


def test_settle_resolves_the_endpoint_and_the_answer_limit(monkeypatch):
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    simulated = s08.settle(True)
    assert simulated.endpoint.simulated and simulated.max_tokens == 2048 and simulated.n_tasks == 30
    live = s08.settle(True, "http://127.0.0.1:8080/v1")
    assert not live.endpoint.simulated and live.max_tokens == 64
    assert s08.settle(False, "http://127.0.0.1:8080/v1").max_tokens == 256
    assert s08.settle(True, "http://127.0.0.1:8080/v1", 100).max_tokens == 100
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:8080/v1")
    assert not s08.settle(True).endpoint.simulated


@pytest.mark.parametrize("base_url", ["", "not a url"])
def test_an_empty_or_malformed_base_url_is_an_error_before_any_call(base_url):
    with pytest.raises(ValueError, match="the parameter base_url"):
        s08.settle(True, base_url)


def test_nonsense_max_tokens_is_an_error():
    with pytest.raises(ValueError, match="max_tokens must be a positive integer"):
        s08.settle(True, max_tokens=0)


def test_a_live_auction_needs_one_size_per_model():
    with pytest.raises(ValueError, match="one size per auction model: 1 models, 2 sizes"):
        s08.run_auctions(resolve_endpoint("http://127.0.0.1:9/v1"), pd.DataFrame(), [4, 32], ["m"])


def test_auction_actions_count_each_bidders_plans_and_verdicts():
    bids = pd.DataFrame(
        {
            "model": ["small", "large", "small", "large"],
            "action_encoding": ["structured"] * 4,
            "actions": [3, 3, 3, 3],
            "tool_calls": [3, 2, 1, 3],
            "malformed": [0, 1, 2, 0],
        }
    )
    table = s08.auction_actions(SimpleNamespace(bids=bids))
    assert table["model"].tolist() == ["small", "large"]  # in bidding order
    assert table["actions"].tolist() == [6, 6]
    assert table["tool_calls"].tolist() == [4, 5] and table["malformed"].tolist() == [2, 1]


def test_a_forced_encoding_reaches_the_simulated_auction():
    from agenteff.engines import auction

    tasks = auction.arithmetic_tasks(2, max_steps=2, seed=0)
    run, _, _ = s08.run_auctions(resolve_endpoint("simulated"), tasks, [4, 32], encoding="structured")
    table = s08.auction_actions(run)
    assert table["action_encoding"].eq("structured").all()
    assert table["actions"].eq(2 * 3).all() and table["tool_calls"].eq(2 * 3).all()  # 2 tasks x (plan + 2 jurors)
    with pytest.raises(ValueError, match="encoding"):
        s08.run_auctions(resolve_endpoint("simulated"), tasks, [4, 32], encoding="xml")
