"""Study 10 on hand-made cohorts: the claims computed from two tiny data sets whose values are worked out by hand."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from agenteff import datasets, report
from agenteff.metrics import rewards
from agenteff.studies import s10_efficiency_rewards as s10


def rollouts(cohort, rows, **columns):
    """rows: (rollout, correct, tokens, tool_calls, turns)."""
    table = pd.DataFrame(rows, columns=["rollout", "correct", "tokens", "tool_calls", "turns"])
    table.insert(0, "cohort", cohort)
    defaults = dict(answered=True, reference_tool_calls=np.nan, precision=np.nan, recall=np.nan, omitted_share=0.0)
    for column, value in {**defaults, **columns}.items():
        table[column] = value
    table["score"] = table["correct"].astype(float)
    return table


@pytest.fixture(scope="module")
def cohorts():
    # ZeroEval-like: problem p1 solved by the two short answers, p2 solved by none (all wrong, 1000..4000 tokens)
    zero = pd.concat(
        [
            rollouts("p1", [("m1", True, 30, 0, 1), ("m2", True, 300, 0, 1), ("m3", False, 2500, 0, 1)]),
            rollouts("p2", [("m1", False, 1000, 0, 1), ("m2", False, 2000, 0, 1), ("m3", False, 4000, 0, 1)]),
        ],
        ignore_index=True,
    )
    # tau-bench-like: task t1, reference 2 tool calls; the right trial is the longer one
    tau = rollouts(
        "t1",
        [("r0", True, 900, 2, 6), ("r1", False, 300, 1, 2), ("r2", True, 600, 3, 8)],
        reference_tool_calls=2.0,
        precision=[1.0, 0.0, 0.5],
        recall=[1.0, 0.0, 1.0],
    )
    return {s10.ZEROEVAL: rewards.check_rollouts(zero), s10.TAU_BENCH: rewards.check_rollouts(tau)}


@pytest.fixture(scope="module")
def constants():
    return s10.reward_constants(
        optima_token_weight=-0.6,
        lead_correctness_weight=0.5,
        lead_budget=8000,
        webleaper_omega=1.0,
        slimsearcher_tool_weight=0.3,
        slimsearcher_token_weight=0.1,
        eapo_gamma=0.995,
        archer_gamma=0.95,
    )


@pytest.fixture(scope="module")
def tables(cohorts, constants):
    scored = s10.score_cohorts(cohorts, constants)
    return dict(
        summary=s10.cohort_summary(cohorts),
        agreement=s10.rank_agreement(scored, n_boot=50, seed=0),
        reversals=s10.sign_reversals(scored),
        biases=s10.length_biases(scored),
        selected=s10.selection(scored),
        cliffs=s10.cliff_counts(cohorts),
        tightening=s10.trace_tightening(cohorts),
        curation=s10.webleaper_filter(cohorts),
    )


@pytest.fixture(scope="module")
def claims(tables):
    rows = s10.claims(datasets.paper_values(), **tables)
    return pd.DataFrame(rows).set_index("key")


def test_summary_counts_all_wrong_and_all_right_cohorts(tables):
    summary = tables["summary"].set_index("data")
    assert summary.loc[s10.ZEROEVAL, "all_wrong_cohorts"] == 1 and summary.loc[s10.ZEROEVAL, "all_right_cohorts"] == 0
    assert summary.loc[s10.TAU_BENCH, "rollouts_per_cohort"] == "3"


def test_claims_cover_every_reward_with_unique_keys_and_valid_statuses(claims):
    assert claims.index.is_unique
    assert set(claims["status"]) <= set(report.CLAIM_STATUSES)
    prefixes = {key.split("/")[0] for key in claims.index}
    for reward in ("binary", "optima", "lead", "trace", "webleaper", "slimsearcher", "iterresearch", "archer"):
        assert reward in prefixes, reward
    assert "agent-omit" in prefixes and "hypereyes" in prefixes
    training = claims.loc[["optima/token-share", "hypereyes/fewer-rounds", "slimsearcher/round-reduction"]]
    assert (training["status"] == "not reproducible").all()


def test_binary_and_optima_claims(claims):
    # p2 of the two ZeroEval problems is all wrong: 50%
    assert claims.loc["binary/no-signal-cohorts", "reproduced_value"] == 50.0
    # of 6 ZeroEval rollouts, 30 tokens (short cliff), 2500 and 4000 (long cliff; 2000 is not past it): 3 of 6
    assert claims.loc["optima/cliff-rollouts", "reproduced_value"] == 50.0
    # p1 under Optima: 30 -> 1 - 1 = 0; 300 -> 1 - 0.6 * 300 / 2500 = 0.928; 2500 (wrong) -> -0.6 - 1 = -1.6:
    # mean -0.224, so the correct 30-token answer stays above it; no correct answer is pushed down
    assert claims.loc["optima/correct-negative", "reproduced_value"] == 0.0
    # Optima picks 300 tokens in p1 and the shortest wrong (1000) in p2; binary averages its ties: 30 and 300
    # (165) in p1, all three (7000 / 3) in p2. Mean over the problems: 650 against 1249.17
    assert claims.loc["optima/token-share", "reproduced_value"] == round(100 * 650 / ((165 + 7000 / 3) / 2), 1)


def test_lead_claims(claims):
    # p2, no correct rollout: L* = 8000 and the advantage rises with length
    assert claims.loc["lead/all-wrong-length-bias", "reproduced_value"] == 1.0
    # p1: L* = clamp(mean(30, 300), 1000) = 1000: R_eff 0.03, 0.3, max(-1, 1 - 1500 / 1000) = -0.5; with
    # correctness [1, 1, 0] both correct answers stay above the mean: none pushed down
    assert claims.loc["lead/correct-negative", "reproduced_value"] == 0.0


def test_tau_bench_claims(claims):
    # TRACE, reference 2: r0 correct with 2 calls +0.20; r2 correct, costlier: -0.02; r1 wrong below 2: -0.1.
    # Tightened to the cheapest correct with calls (2): unchanged
    assert claims.loc["trace/tightened-reference", "reproduced_value"] == 0
    # TRACE picks r0 (2 calls); binary averages r0 and r2 (2.5 calls): 2.5 / 2 fewer
    assert claims.loc["hypereyes/fewer-rounds", "reproduced_value"] == 1.25
    # turns: binary's 7 against TRACE's 6
    assert claims.loc["hypereyes/turn-reduction", "reproduced_value"] == 1.0
    # ArCHer: the wrong r1 takes 2 turns, fewer than either success (-(1 - 0.95^5)/0.05 and 7 penalised turns)
    assert claims.loc["archer/wrong-positive", "reproduced_value"] == 100.0
    # WebLeaper's curation: r0 recall 1, 2 found in 2 calls (ISE 1): kept; r1 recall 0; r2 ISE 2 / 3: kept
    assert claims.loc["webleaper/sft-filter", "reproduced_value"] == round(100 * 2 / 3, 1)
    # SlimSearcher: r0 = 1 + 0.3 * (1 - 2/3) + 0.1 * 0 = 1.1; r2 = 1 + 0 + 0.1 * (1 - 600/900) = 1.0333: picks
    # r0, 2 calls against binary's 2.5: 20% fewer
    assert claims.loc["slimsearcher/round-reduction", "reproduced_value"] == 20.0


def test_sensitivity_of_leads_all_wrong_bias_to_its_budget(cohorts, constants):
    swept = s10.sensitivity(cohorts, constants, {"lead": {"budget": [8000, 1500]}})
    zero = swept[swept["data"] == s10.ZEROEVAL].set_index("value")
    # p2 (1000, 2000, 4000 tokens, all wrong): budget 8000 -> R_eff = L / 8000, rising with length; budget 1500 ->
    # 2/3, 2/3, max(-1, 1 - 2500/1500) = -2/3: two discordant pairs, one tie in reward: tau-b -2 / sqrt(3 * 2)
    assert zero.loc[8000, "all_wrong_length_tau"] == 1.0
    assert zero.loc[1500, "all_wrong_length_tau"] == pytest.approx(-2 / np.sqrt(6))


def test_one_cohort_shows_every_reward_for_each_rollout(cohorts, constants):
    shown = s10.one_cohort(s10.score_cohorts(cohorts, constants), s10.TAU_BENCH)
    assert shown["rollout"].tolist() == ["r0", "r1", "r2"]
    assert {"binary", "lead", "agent_omit"} <= set(shown.columns)
    assert shown["binary"].tolist() == pytest.approx([0.57735, -1.1547, 0.57735], abs=1e-4)  # (1, 0, 1): +-1/sqrt(3)


def test_figures_return_a_figure_and_caption(tables, cohorts, constants):
    sensitivity = s10.sensitivity(cohorts, constants, {"eapo": {"gamma": [0.9, 0.99]}, "archer": {"gamma": [0.5]}})
    for made in (
        s10.rank_agreement_matrix(tables["agreement"]),
        s10.sign_reversals_per_reward(tables["reversals"]),
        s10.length_bias_all_wrong(tables["biases"]),
        s10.selected_rollout_cost(tables["selected"]),
        s10.constant_sensitivity(sensitivity),
    ):
        assert made.caption and made.figure.axes
        plt.close(made.figure)


def test_load_cohorts_refuses_nonsense():
    with pytest.raises(ValueError, match="zeroeval_every must be a positive integer"):
        s10.load_cohorts(0)


def test_claims_name_a_missing_data_set(tables):
    partial = dict(tables, selected=tables["selected"][tables["selected"]["data"] != s10.TAU_BENCH])
    with pytest.raises(ValueError, match="expected one row for tau-bench airline"):
        s10.claims(datasets.paper_values(), **partial)
