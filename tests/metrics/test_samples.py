import numpy as np
import pandas as pd
import pytest

from agenteff.metrics import samples as lengths


def samples(rows):
    """rows: (problem_id, length, correct); one model and method."""
    return pd.DataFrame(
        [
            {"dataset": "d", "model": "m", "method": "k", "problem_id": p, "completion_tokens": n, "correct": c}
            for p, n, c in rows
        ]
    )


@pytest.fixture
def four_problems():
    return samples(
        [
            ("a", 1000, True),
            ("a", 2000, False),
            ("a", 3000, True),
            ("a", 4000, False),
            ("b", 300, True),
            ("b", 500, True),
            ("c", 500, False),
            ("c", 700, False),
            ("d", 9000, True),
            ("d", 11000, True),
        ]
    )


def test_problem_length_stats(four_problems):
    table = lengths.problem_length_stats(four_problems).set_index("problem_id")
    a = table.loc["a"]
    assert (a["n"], a["n_correct"], a["accuracy"]) == (4, 2, 0.5)
    assert (a["mean_correct"], a["mean_incorrect"], a["shortest_correct"]) == (2000, 3000, 1000)
    assert a["cv_correct"] == pytest.approx(0.5)  # sd 1000 (ddof=0) over mean 2000
    assert a["range_ratio_correct"] == pytest.approx(3.0)
    assert np.isnan(table.loc["c", "mean_correct"])


def test_within_problem_gap_only_uses_mixed_problems(four_problems):
    gaps = lengths.within_problem_gap(four_problems)
    assert gaps["problem_id"].tolist() == ["a"]
    assert gaps["ratio"].iloc[0] == pytest.approx(1.5)
    assert bool(gaps["incorrect_longer"].iloc[0])


def test_summarize_gap():
    gaps = pd.DataFrame({"ratio": [2.0, 2.0, 0.5] + [4.0] * 9})
    summary = lengths.summarize_gap(gaps)
    assert summary["problems"] == 12
    assert summary["share_incorrect_longer"] == pytest.approx(11 / 12)
    assert summary["median_ratio"] == pytest.approx(4.0)
    assert summary["geometric_mean_ratio"] == pytest.approx(np.exp((2 * np.log(2) - np.log(2) + 9 * np.log(4)) / 12))
    assert summary["p_value"] < 0.01


def test_accuracy_by_length_rank():
    table = samples(
        [
            ("a", 10, True),
            ("a", 20, True),
            ("a", 30, False),
            ("a", 40, False),
            ("b", 5, True),
            ("b", 6, False),
            ("b", 7, True),
            ("b", 8, False),
            ("c", 1, True),
            ("c", 2, True),
            ("c", 3, True),
            ("c", 4, True),
        ]
    )  # c: all correct, left out
    out = lengths.accuracy_by_length_rank(table, bins=2).set_index("rank_bin")
    assert out.loc[1, "samples"] == 4 and out.loc[1, "accuracy"] == pytest.approx(0.75)
    assert out.loc[2, "samples"] == 4 and out.loc[2, "accuracy"] == pytest.approx(0.25)
    assert out.loc[1, "se"] == pytest.approx(np.sqrt(0.75 * 0.25 / 4))


def test_shortest_correct_savings(four_problems):
    savings = lengths.shortest_correct_savings(four_problems).set_index("problem_id")
    assert list(savings.index) == ["a", "b", "d"]
    assert savings.loc["a", "shortest_to_mean_correct"] == pytest.approx(0.5)
    assert savings.loc["a", "saved_vs_mean"] == pytest.approx(2500 - 1000)
    assert savings.loc["b", "saved_vs_mean_correct"] == pytest.approx(100)
    summary = lengths.summarize_savings(savings.reset_index())
    assert summary["share_saved_vs_mean"] == pytest.approx((1500 + 100 + 1000) / (2500 + 400 + 10000))
    assert summary["median_shortest_to_mean_correct"] == pytest.approx(0.75)  # 0.5, 0.75, 0.9


def test_lead_targets_clamp_and_unsolved(four_problems):
    targets = lengths.lead_targets(four_problems).set_index("problem_id")["target_length"]
    assert targets.to_dict() == {"a": 2000, "b": 1000, "c": 8000, "d": 8000}
    mins = lengths.lead_targets(four_problems, aggregator="min", lower=0, upper=1e9, unsolved=-1)
    assert mins.set_index("problem_id")["target_length"].to_dict() == {"a": 1000, "b": 300, "c": -1, "d": 9000}
    with pytest.raises(ValueError):
        lengths.lead_targets(four_problems, aggregator="max")


def test_lead_efficiency_reward():
    reward = lengths.lead_efficiency_reward([2000, 3000, 1000, 5000, 7000, 0], 2000)
    assert reward.tolist() == pytest.approx([1.0, 0.5, 0.5, -0.5, -1.0, 0.0])


def test_lead_rewards_attach_targets(four_problems):
    rewarded = lengths.lead_rewards(four_problems, lengths.lead_targets(four_problems))
    row = rewarded[(rewarded["problem_id"] == "a") & (rewarded["completion_tokens"] == 3000)].iloc[0]
    assert (row["target_length"], row["efficiency_reward"]) == (2000, 0.5)


def test_accuracy_efficiency_score():
    assert lengths.accuracy_efficiency_score(0.5, 50, 0.5, 100) == pytest.approx(0.5)
    assert lengths.accuracy_efficiency_score(0.6, 50, 0.5, 100) == pytest.approx(0.5 + 3 * 0.2)
    assert lengths.accuracy_efficiency_score(0.45, 50, 0.5, 100) == pytest.approx(0.5 - 5 * 0.1)
    assert lengths.accuracy_efficiency_score(0.45, 50, 0.5, 100, alpha=2, gamma=10) == pytest.approx(1 - 1)
    both = lengths.accuracy_efficiency_score([0.5, 0.6], [50, 150], 0.5, 100)
    assert both.tolist() == pytest.approx([0.5, -0.5 + 0.6])


def test_round_efficiency():
    rounds = pd.DataFrame(
        {
            "problem_id": ["x"] * 4 + ["y"] * 2,
            "round_index": [3, 0, 1, 2, 0, 1],  # out of order on purpose
            "tokens": [40, 10, 20, 30, 5, 5],
            "correct": [True, False, True, True, False, False],
            "cluster": [1, 0, 0, 1, 0, 0],
        }
    )
    out = lengths.round_efficiency(rounds).set_index("problem_id")
    assert out.loc["x", "outcome_efficiency"] == pytest.approx(30 / 100)  # through the first correct round
    assert out.loc["x", "process_efficiency"] == pytest.approx((10 + 30) / 100)  # first round of each cluster
    assert out.loc["x", "first_correct_round"] == 1 and out.loc["x", "clusters"] == 2
    assert out.loc["y", "outcome_efficiency"] == 0.0 and pd.isna(out.loc["y", "first_correct_round"])
    assert out.loc["y", "process_efficiency"] == pytest.approx(0.5)


def test_relative_length_and_difficulty():
    table = pd.DataFrame(
        {
            "dataset": "d",
            "problem_id": ["p", "q", "p", "q"],
            "model": ["m", "m", "n", "n"],
            "completion_tokens": [100, 300, 10, 10],
            "correct": [True, False, False, False],
        }
    )
    assert lengths.relative_length(table).tolist() == pytest.approx([0.5, 1.5, 1.0, 1.0])
    difficulty = lengths.problem_difficulty(table).set_index("problem_id")["fail_share"]
    assert difficulty.to_dict() == {"p": 0.5, "q": 1.0}
    by_bin = lengths.length_by_difficulty(table, "completion_tokens", lengths.problem_difficulty(table), bins=2)
    assert by_bin["answers"].tolist() == [2, 2]
    assert by_bin["median_length"].tolist() == pytest.approx([55, 155])
    assert by_bin["accuracy"].tolist() == pytest.approx([0.5, 0.0])


def test_model_summary(four_problems):
    summary = lengths.model_summary(four_problems).iloc[0]
    assert summary["answers"] == 10 and summary["accuracy"] == pytest.approx(0.6)
    assert summary["mean_length_incorrect"] == pytest.approx((2000 + 4000 + 500 + 700) / 4)


def test_missing_column_is_named(four_problems):
    with pytest.raises(KeyError, match="reasoning_tokens"):
        lengths.problem_length_stats(four_problems, length="reasoning_tokens")


def test_select_by_length():
    table = samples(
        [("a", 30, True), ("a", 10, False), ("a", 20, True), ("b", 5, True), ("b", 5, False), ("b", 9, False)]
    )
    table["sample_index"] = [0, 1, 2, 0, 1, 2]
    out = lengths.select_by_length(table).set_index("rule")
    assert out.loc["first", "accuracy"] == 1.0 and out.loc["first", "mean_length"] == pytest.approx((30 + 5) / 2)
    assert out.loc["shortest", "accuracy"] == pytest.approx(0.5)  # a: 10 wrong; b: tie at 5 -> index 0, right
    assert out.loc["median", "accuracy"] == pytest.approx(0.5)  # a: 20 right; b: 5 (index 1) wrong
    assert out.loc["longest", "mean_length"] == pytest.approx((30 + 9) / 2)
