"""The rewards of agenteff.metrics.rewards on hand-made cohorts; every expected value is worked out by hand in
the comments."""

import json

import numpy as np
import pandas as pd
import pytest

from agenteff.metrics import rewards


def cohort(rows, name="q", **columns):
    """rows: (rollout, correct, tokens, tool_calls, turns); other columns as keyword lists or constants."""
    table = pd.DataFrame(rows, columns=["rollout", "correct", "tokens", "tool_calls", "turns"])
    table.insert(0, "cohort", name)
    table["score"] = table["correct"].astype(float)
    table["answered"] = True
    table["reference_tool_calls"] = np.nan
    table["precision"] = np.nan
    table["recall"] = np.nan
    table["omitted_share"] = 0.0
    for column, values in columns.items():
        table[column] = values
    return rewards.check_rollouts(table)


def by_rollout(table, values):
    return dict(zip(table["rollout"], np.round(np.asarray(values, dtype=float), 6)))


# --- GRPO ---------------------------------------------------------------------------------------------------


def test_grpo_advantage_of_one_right_among_four():
    table = cohort([("a", True, 1, 0, 1), ("b", False, 1, 0, 1), ("c", False, 1, 0, 1), ("d", False, 1, 0, 1)])
    # mean 0.25; sample std sqrt((0.75^2 + 3 * 0.25^2) / 3) = 0.5: advantages 1.5 and -0.5 (less the epsilon)
    advantage = rewards.grpo_advantages(table, rewards.binary(table))
    assert advantage.tolist() == pytest.approx([1.5, -0.5, -0.5, -0.5], abs=1e-5)


def test_grpo_advantage_is_zero_in_a_cohort_of_one_and_in_a_tied_cohort():
    alone = cohort([("a", True, 1, 0, 1)], name="alone")
    tied = cohort([("b", False, 1, 0, 1), ("c", False, 5, 0, 1)], name="tied")
    both = pd.concat([alone, tied], ignore_index=True)
    assert rewards.grpo_advantages(both, rewards.binary(both)).tolist() == [0.0, 0.0, 0.0]


# --- Optima's cliffs ------------------------------------------------------------------------------------------


def test_optima_short_and_long_cliffs_make_it_non_monotone_in_length():
    table = cohort(
        [("30", True, 30, 0, 1), ("100", True, 100, 0, 1), ("1000", True, 1000, 0, 1), ("2500", True, 2500, 0, 1)]
    )
    # L_max 2500, weight -0.6: 30 -> 1 - 1 (short cliff) = 0; 100 -> 1 - 0.024; 1000 -> 1 - 0.24;
    # 2500 -> 1 - 0.6 - 1 (long cliff) = -0.6
    assert by_rollout(table, rewards.optima(table)) == {"30": 0.0, "100": 0.976, "1000": 0.76, "2500": -0.6}


def test_optima_cliff_edges():
    table = cohort(
        [("40", True, 40, 0, 1), ("41", True, 41, 0, 1), ("2000", True, 2000, 0, 1), ("2001", True, 2001, 0, 1)]
    )
    # L_max 2001; 40 is on the short cliff (L <= 40), 2001 past the long one (L > 2000)
    got = by_rollout(table, rewards.optima(table, token_weight=-0.5))
    assert got["40"] == -0.0 + 0.0  # 1 - 1
    assert got["41"] == round(1 - 0.5 * 41 / 2001, 6)
    assert got["2000"] == round(1 - 0.5 * 2000 / 2001, 6)
    assert got["2001"] == -0.5  # 1 - 0.5 - 1


def test_optima_cliff_reverses_signs():
    table = cohort([("right", True, 2500, 0, 1), ("short_wrong", False, 100, 0, 1), ("long_wrong", False, 2000, 0, 1)])
    # rewards: right 1 - 0.6 - 1 = -0.6, short_wrong -0.024, long_wrong -0.48; mean -0.368
    scored = rewards.advantages(table, rewards=("optima",))
    assert by_rollout(scored, scored["reward"]) == {"right": -0.6, "short_wrong": -0.024, "long_wrong": -0.48}
    signs = rewards.sign_reversals(scored).iloc[0]
    assert signs["correct_negative"] == 1.0 and signs["wrong_positive"] == 0.5


# --- LEAD ---------------------------------------------------------------------------------------------------


ALL_WRONG = [
    ("1000", False, 1000, 0, 1),
    ("2000", False, 2000, 0, 1),
    ("4000", False, 4000, 0, 1),
    ("6000", False, 6000, 0, 1),
]


def test_lead_rewards_longer_wrong_answers_when_no_rollout_is_correct():
    table = cohort(ALL_WRONG)
    # no correct rollout: L* = 8000, R_eff = 1 - (8000 - L) / 8000 = L / 8000
    assert by_rollout(table, rewards.lead_efficiency(table)) == {"1000": 0.125, "2000": 0.25, "4000": 0.5, "6000": 0.75}
    advantage = rewards.lead(table)  # the correctness part is 0: only the efficiency part moves
    efficiency = rewards.grpo_advantages(table, [0.125, 0.25, 0.5, 0.75])
    assert advantage.tolist() == pytest.approx((0.5 * efficiency).tolist())
    assert list(np.argsort(advantage.to_numpy())) == [0, 1, 2, 3]
    bias = rewards.length_bias(rewards.advantages(table), "wrong", "all_wrong").set_index("reward_name")
    assert bias.loc["lead", "mean_tau"] == 1.0 and bias.loc["lead", "longer_favoured"] == 1.0
    assert bias.loc["optima", "mean_tau"] == -1.0  # Optima's token term favours the shorter
    assert bias.loc["binary", "cohorts"] == 0  # the binary reward is constant there: no bias to measure


def test_lead_target_is_the_mean_correct_length_clamped_to_1000():
    table = cohort(
        [("500", True, 500, 0, 1), ("1500", True, 1500, 0, 1), ("3000", False, 3000, 0, 1), ("1200", False, 1200, 0, 1)]
    )
    # mean correct length 1000 (inside the clamp): 500 -> 0.5, 1500 -> 0.5, 3000 -> max(-1, -1), 1200 -> 0.8
    assert by_rollout(table, rewards.lead_efficiency(table)) == {"500": 0.5, "1500": 0.5, "3000": -1.0, "1200": 0.8}
    # all weight on efficiency: the wrong 1200-token answer gets the largest advantage
    advantage = rewards.lead(table, correctness_weight=0.0)
    assert table["rollout"][advantage.idxmax()] == "1200"


# --- HyperEyes TRACE ------------------------------------------------------------------------------------------


TRACE_ROWS = [
    ("A", True, 10, 1, 2),
    ("B", True, 10, 2, 3),
    ("C", True, 10, 3, 4),
    ("D", True, 10, 4, 5),
    ("E", False, 10, 1, 2),
    ("F", False, 10, 3, 4),
    ("G", False, 10, 4, 5),
    ("H", True, 10, 0, 1),
    ("I", False, 10, 2, 3),
]


def trace_cohort():
    return cohort(TRACE_ROWS, reference_tool_calls=2.0, answered=[True] * 8 + [False])


def test_trace_bonus_against_the_reference():
    table = trace_cohort()
    # reference 2: A, B correct within it (0.20, 0.05); C, D correct and costlier (-0.02, -0.10); E wrong below
    # it and G above 1.5 * 2: -0.1; F inside the band: 0; H correct with no tool call: no bonus; I no answer
    expected = {"A": 1.2, "B": 1.05, "C": 0.98, "D": 0.9, "E": -0.1, "F": 0.0, "G": -0.1, "H": 1.0, "I": -0.5}
    assert by_rollout(table, rewards.trace(table)) == expected


def test_trace_tightened_reference():
    table = trace_cohort()
    # the cheapest correct rollout with tool calls (A, 1) becomes the reference: only A is within it; B, C, D
    # costlier (-0.02, -0.06, -0.10); E now inside the band [1, 1.5]; F, G above it; I above it and unanswered
    expected = {"A": 1.2, "B": 0.98, "C": 0.94, "D": 0.9, "E": 0.0, "F": -0.1, "G": -0.1, "H": 1.0, "I": -0.6}
    assert by_rollout(table, rewards.trace(table, tighten=True)) == expected


def test_trace_without_a_reference_is_the_outcome():
    table = cohort([("a", True, 10, 3, 1), ("b", False, 10, 9, 1)])
    assert rewards.trace(table).tolist() == [1.0, 0.0]


# --- WebLeaper, SlimSearcher, EAPO, ArCHer, Agent-Omit ------------------------------------------------------------


def test_webleaper_f_omega():
    table = cohort(
        [("half", True, 1, 1, 1), ("none", False, 1, 1, 1), ("unknown", True, 1, 1, 1)],
        precision=[0.5, 0.0, np.nan],
        recall=[1.0, 0.0, np.nan],
    )
    # F1(0.5, 1) = 2 * 0.5 / 1.5; F2 = 5 * 0.5 / (4 * 0.5 + 1) = 2.5 / 3; no target set: the score
    assert by_rollout(table, rewards.webleaper(table)) == {"half": 0.666667, "none": 0.0, "unknown": 1.0}
    assert by_rollout(table, rewards.webleaper(table, omega=2))["half"] == 0.833333


def test_webleaper_sft_filter_keeps_high_isr_and_ise():
    table = cohort(
        [("kept", True, 1, 4, 1), ("low_isr", True, 1, 4, 1), ("low_ise", True, 1, 20, 1), ("no_call", False, 1, 0, 1)],
        recall=[1.0, 0.25, 1.0, 1.0],
        reference_tool_calls=[2.0, 2.0, 1.0, 0.0],
    )
    # kept: ISR 1, ISE 2 / 4; low_isr: ISR 0.25; low_ise: ISE 1 / 20 = 0.05; no_call: no action step, ISE 0
    assert rewards.webleaper_sft_keep(table).tolist() == [True, False, False, False]
    with pytest.raises(ValueError, match="row 1: WebLeaper's filter needs a target set"):
        rewards.webleaper_sft_keep(cohort([("a", True, 1, 1, 1)]))


def test_slimsearcher_gates_then_prefers_fewer_tools_then_fewer_tokens():
    table = cohort([("A", True, 100, 2, 1), ("B", True, 50, 4, 1), ("C", False, 10, 0, 1)])
    # maxima over correct rollouts: 4 tools, 100 tokens. A: 1 + 0.3 * 0.5 + 0.1 * 0; B: 1 + 0 + 0.1 * 0.5; C gated
    assert by_rollout(table, rewards.slimsearcher(table)) == {"A": 1.15, "B": 1.05, "C": 0.0}


def test_eapo_discounts_the_outcome_by_the_rounds():
    table = cohort([("one", True, 1, 0, 1), ("three", True, 1, 0, 3), ("wrong", False, 1, 0, 2)])
    assert by_rollout(table, rewards.eapo(table, gamma=0.9)) == {"one": 1.0, "three": 0.81, "wrong": 0.0}


def test_archer_is_a_turn_count_penalty():
    table = cohort([("solved_at_1", True, 1, 0, 1), ("solved_at_3", True, 1, 0, 3), ("unsolved_2", False, 1, 0, 2)])
    # gamma 0.5: solved at turn 3 pays turns 1 and 2: -(1 + 0.5); unsolved after 2 turns: the same
    assert by_rollout(table, rewards.archer(table, gamma=0.5)) == {
        "solved_at_1": 0.0,
        "solved_at_3": -1.5,
        "unsolved_2": -1.5,
    }
    assert rewards.archer(table, gamma=1.0).tolist() == [0.0, -2.0, -2.0]


def test_agent_omit_adds_the_saving_only_to_a_positive_outcome():
    table = cohort([("right", True, 1, 0, 1), ("wrong", False, 1, 0, 1)], omitted_share=[0.5, 0.5])
    assert by_rollout(table, rewards.agent_omit(table)) == {"right": 0.9, "wrong": 0.0}


# --- what the rewards teach ---------------------------------------------------------------------------------


def test_selected_rollouts_average_ties():
    table = cohort([("short", True, 100, 0, 1), ("long", True, 300, 0, 1), ("wrong", False, 50, 0, 1)])
    picked = rewards.selected_rollouts(rewards.advantages(table, rewards=("binary", "optima"))).set_index("reward_name")
    assert (picked.loc["binary", "tokens"], picked.loc["binary", "tied"]) == (200.0, 2)
    assert (picked.loc["optima", "tokens"], picked.loc["optima", "tied"]) == (100.0, 1)
    summary = rewards.selection_summary(rewards.selected_rollouts(rewards.advantages(table))).set_index("reward_name")
    assert summary.loc["optima", "tokens_vs_binary"] == 0.5


def test_rank_agreement_of_opposed_rewards():
    table = cohort(ALL_WRONG)
    agreement = rewards.rank_agreement(rewards.advantages(table, rewards=("optima", "lead")), n_boot=50)
    pair = agreement.set_index(["first", "second"]).loc[("optima", "lead")]
    assert pair["tau"] == -1.0 and pair["cohorts"] == 1
    assert np.isnan(pair["low"])  # one cohort: no interval
    assert agreement.set_index(["first", "second"]).loc[("lead", "lead"), "tau"] == 1.0


def test_rank_agreement_rows_come_in_a_fixed_order():
    # the rows once came out of a set, in an order that moved with PYTHONHASHSEED (and so did stored outputs)
    names = ("binary", "optima", "lead", "archer", "eapo")
    table = rewards.advantages(cohort(ALL_WRONG), rewards=names)
    pairs = rewards.rank_agreement(table, n_boot=10)[["first", "second"]].apply(tuple, axis=1).tolist()
    expected = []
    for index, first in enumerate(names):
        expected.append((first, first))
        for second in names[index + 1 :]:
            expected += [(first, second), (second, first)]
    assert pairs == expected


def test_rank_agreement_interval_is_over_cohorts_and_seeded():
    rows = [cohort(ALL_WRONG, name=f"q{i}") for i in range(3)]
    flipped = cohort([(r, c, t, 0, 1) for r, c, t, _, _ in ALL_WRONG], name="q3", correct=[True, False, False, False])
    table = rewards.advantages(pd.concat([*rows, flipped], ignore_index=True), rewards=("optima", "lead"))
    first = rewards.rank_agreement(table, n_boot=200, seed=1)
    assert first.equals(rewards.rank_agreement(table, n_boot=200, seed=1))
    pair = first.set_index(["first", "second"]).loc[("optima", "lead")]
    assert pair["cohorts"] == 4 and pair["low"] <= pair["tau"] <= pair["high"]


def test_sensitivity_moves_leads_all_wrong_bias_with_the_budget():
    table = cohort(ALL_WRONG)
    # with a 3000-token budget the target is 3000: 1000 -> 1/3, 2000 -> 2/3, 4000 -> 2/3, 6000 -> 0. Of the six
    # pairs 2 are concordant with length, 3 discordant, 1 tied in reward: tau-b = (2 - 3) / sqrt(6 * 5)
    swept = rewards.sensitivity(table, {"lead": {"budget": [8000, 3000]}}).set_index("value")
    assert swept.loc[8000, "all_wrong_length_tau"] == 1.0
    assert swept.loc[3000, "all_wrong_length_tau"] == pytest.approx(-1 / np.sqrt(30))
    assert np.isnan(swept.loc[8000, "correct_negative"])  # no cohort with right and wrong rollouts


# --- building rollouts, and bad input ----------------------------------------------------------------------------


def test_rollouts_from_runs_count_agent_steps_and_match_gold_actions():
    gold = json.dumps([{"name": "book", "arguments": {"id": 1}}, {"name": "pay", "arguments": {}}])
    runs = pd.DataFrame(
        {
            "run_id": ["r0", "r1"],
            "task": ["7", "7"],
            "suite": ["s", "s"],
            "success": [True, False],
            "score": [1.0, 0.0],
            "n_gold_actions": [2, 2],
            "gold_actions": [gold, gold],
        }
    )
    call = json.dumps([{"name": "book", "arguments": {"id": 1}}, {"name": "look", "arguments": {}}])
    steps = pd.DataFrame(
        {
            "run_id": ["r0", "r0", "r0", "r1"],
            "step": [0, 1, 2, 0],
            "role": ["user", "single", "single", "single"],
            "content": ["hi", None, "done", "no"],
            "tool_calls": [None, call, None, None],
            "completion_tokens": [99, 12, 3, 4],
        }
    )
    table = rewards.rollouts_from_runs(runs, steps).set_index("rollout")
    assert table.loc["r0", "tokens"] == 15 and table.loc["r0", "turns"] == 2 and table.loc["r0", "tool_calls"] == 2
    # r0 made book (gold) and look (not): precision 1/2, recall 1/2; r1 made no call: precision 1, recall 0
    assert (table.loc["r0", "precision"], table.loc["r0", "recall"]) == (0.5, 0.5)
    assert (table.loc["r1", "precision"], table.loc["r1", "recall"]) == (1.0, 0.0)
    assert table.loc["r0", "cohort"] == "s/7" and table.loc["r0", "reference_tool_calls"] == 2


def test_rollouts_from_runs_refuses_a_run_without_agent_steps():
    runs = pd.DataFrame({"run_id": ["r0"], "task": ["1"], "suite": ["s"], "success": [True]})
    steps = pd.DataFrame({"run_id": ["r0"], "step": [0], "role": ["user"], "content": ["hi"], "tool_calls": [None]})
    with pytest.raises(ValueError, match="'r0' has no agent step"):
        rewards.rollouts_from_runs(runs, steps)


def test_rollouts_from_samples_one_cohort_per_problem():
    samples = pd.DataFrame(
        {
            "dataset": "d",
            "problem_id": ["1", "1", "2"],
            "model": ["m", "n", "m"],
            "method": "greedy",
            "sample_index": 0,
            "output": ["a", "b", "c"],
            "completion_tokens": [5, 7, 9],
            "answer": ["4", None, "2"],
            "correct": [True, False, True],
        }
    )
    table = rewards.rollouts_from_samples(samples)
    assert table["cohort"].tolist() == ["d/1", "d/1", "d/2"]
    assert table["answered"].tolist() == [True, False, True] and table["turns"].tolist() == [1, 1, 1]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.drop(columns="tokens"), "lacks columns \\['tokens'\\]"),
        (lambda t: t.assign(tokens=[1, -1]), "row 2, column 'tokens': -1 is below 0"),
        (lambda t: t.assign(turns=[0, 1]), "row 1, column 'turns': 0 is below 1"),
        (lambda t: t.assign(recall=[0.5, 1.5]), "row 2, column 'recall': 1.5 is above 1"),
        (lambda t: t.assign(rollout=["a", "a"]), "row 2: rollout 'a' repeats"),
        (lambda t: t.assign(correct=[True, None]), "row 2, column 'correct': missing value"),
    ],
)
def test_bad_rollouts_are_refused_with_row_and_column(change, message):
    table = cohort([("a", True, 1, 0, 1), ("b", False, 2, 0, 1)])
    with pytest.raises(ValueError, match=message):
        rewards.check_rollouts(change(table))


def test_nonsense_parameters_are_refused():
    table = cohort([("a", True, 1, 0, 1)])
    with pytest.raises(ValueError, match="unknown reward 'grpo'"):
        rewards.advantages(table, {"grpo": {}})
    with pytest.raises(ValueError, match="gamma must be in"):
        rewards.eapo(table, gamma=1.5)
    with pytest.raises(ValueError, match="gamma must be in"):
        rewards.archer(table, gamma=0)
    with pytest.raises(ValueError, match="omega must be positive"):
        rewards.webleaper(table, omega=0)
    with pytest.raises(ValueError, match="among must be"):
        rewards.length_bias(rewards.advantages(table), among="short")
    with pytest.raises(ValueError, match="n_boot must be"):
        rewards.rank_agreement(rewards.advantages(table), n_boot=0)
    with pytest.raises(TypeError, match="must be a table"):
        rewards.check_rollouts([1, 2])
