"""Study 06 on hand-made traces: features, operating points, energy accounting, overhead tables and claims."""

import json
import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from agenteff import report
from agenteff.studies import s06_early_termination as s06


def _steps(run_id, energies, logprobs, tokens):
    return [
        {"run_id": run_id, "step": k, "energy_mwh": e, "logprobs": json.dumps(lp), "tokens": json.dumps(tk)}
        for k, (e, lp, tk) in enumerate(zip(energies, logprobs, tokens))
    ]


def two_step_trace():
    """One run of two steps, and a one-step run."""
    runs = pd.DataFrame({"run_id": ["a", "b"], "success": [False, True]})
    steps = pd.DataFrame(
        _steps("a", [2.0, 3.0], [[-0.1, -2.0, 0.0], [-0.5, -1.0]], [["Thought", ":", "<code", ">x"], ["ab", "cd"]])
        + _steps("b", [1.0], [[-0.2]], [["ok"]])
    )
    return runs, steps


def test_features_of_a_two_step_trace_by_hand():
    runs, steps = two_step_trace()
    traces = s06.traces_from_tables(runs, steps)
    assert traces.n_steps.tolist() == [2, 1]
    assert traces.failed.tolist() == [True, False]
    blocks, overlap = s06.step_feature_blocks(traces, n_smallest=2)
    # step 0 of run a: probabilities exp(-2), exp(-0.1), exp(0); 3 tokens; 2 thought tokens before "<code"
    assert blocks[0, 0].tolist() == pytest.approx([math.exp(-2.0), math.exp(-0.1), 3, 2])
    # step 1: two tokens, no "<code" (all are thought tokens)
    assert blocks[0, 1].tolist() == pytest.approx([math.exp(-1.0), math.exp(-0.5), 2, 2])
    # a one-token step pads its second-smallest probability with 1
    assert blocks[1, 0].tolist() == pytest.approx([math.exp(-0.2), 1.0, 1, 1])
    # "abcd" vs "Thought:<code>x": longest common substring is one character ("c" or "d"): 1 / 4
    assert overlap[0, 1] == pytest.approx(0.25)
    assert np.isnan(overlap[0, 0])
    X, eligible = s06.features_at_step(traces, 1, blocks, overlap)
    assert eligible.tolist() == [True, False]  # run b ends at step 1: nothing left to save
    assert X.shape == (1, 4)
    X2, eligible2 = s06.features_at_step(traces, 2, blocks, overlap)
    assert eligible2.tolist() == [False, False] and X2.shape == (0, 9)


def test_longest_common_substring_is_exact():
    assert s06.longest_common_substring("xxabcdyy", "zabcdz") == 4
    assert s06.longest_common_substring("", "abc") == 0
    assert s06.overlap_with_previous("", "abc") == 0.0
    # difflib's junk heuristic would drop popular characters in long strings; the exact match keeps them
    assert s06.longest_common_substring("a" * 300 + "b", "a" * 300) == 300


def test_energy_accounting_by_hand():
    # three failed runs (energy 10, 20, 30; first-k energy 4, 5, 6) and two successful (8, 12; first-k 3, 2)
    failed = np.array([True, True, True, False, False])
    total = np.array([10.0, 20.0, 30.0, 8.0, 12.0])
    at_k = np.array([4.0, 5.0, 6.0, 3.0, 2.0])
    # stop failed runs 1 and 2 and successful run 3: saves (20-5) + (30-6) = 39, wastes 3 -> net 36 of W0 = 60
    stopped = np.array([False, True, True, True, False])
    out = s06.stop_accounting(failed, total, at_k, stopped)
    assert out["baseline_waste_mwh"] == 60.0
    assert out["saved_mwh"][0] == pytest.approx(36.0)
    assert out["waste_reduction_pct"][0] == pytest.approx(60.0)
    assert out["lost_successes"][0] == 1
    assert out["performance_drop_pct"][0] == pytest.approx(50.0)
    nothing = s06.stop_accounting(failed, total, at_k, np.zeros(5, bool))
    assert nothing["waste_reduction_pct"][0] == 0.0 and nothing["performance_drop_pct"][0] == 0.0


def test_accounting_rejects_a_set_without_successes():
    with pytest.raises(ValueError, match="successful run"):
        s06.stop_accounting(np.array([True]), np.array([1.0]), np.array([0.5]), np.array([True]))


def test_bootstrap_interval_contains_the_point_and_is_seeded():
    rng = np.random.default_rng(0)
    failed = rng.random(200) < 0.7
    total = rng.uniform(5, 50, 200)
    at_k = total * 0.3
    stopped = failed & (rng.random(200) < 0.5)
    point = s06.stop_accounting(failed, total, at_k, stopped)["waste_reduction_pct"][0]
    first = s06.bootstrap_accounting(failed, total, at_k, stopped, n_boot=300, seed=1)
    again = s06.bootstrap_accounting(failed, total, at_k, stopped, n_boot=300, seed=1)
    low, high = first["waste_reduction_pct"][:, 0]
    assert low < point < high
    assert np.array_equal(first["waste_reduction_pct"], again["waste_reduction_pct"])


def test_thresholds_pick_best_tpr_within_the_fpr_target():
    # failed (1) scores 0.9, 0.8, 0.4; successful (0) scores 0.7, 0.3
    y = np.array([1, 1, 1, 0, 0])
    scores = np.array([0.9, 0.8, 0.4, 0.7, 0.3])
    thresholds = s06.thresholds_at_fpr(y, scores, np.array([0.0, 0.5, 1.0]))
    # FPR 0: stop scores >= 0.8 (TPR 2/3); FPR 0.5: >= 0.4 (TPR 1, one success stopped); FPR 1: TPR 1 is
    # already reached at FPR 0.5, and ties go to the lower FPR
    assert thresholds.tolist() == [0.8, 0.4, 0.4]
    with pytest.raises(ValueError, match="both"):
        s06.thresholds_at_fpr(np.array([1, 1]), np.array([0.1, 0.2]))


def test_stop_decisions_per_fold_and_from_training_thresholds():
    stop = s06.StopScores(
        "agentstop",
        1,
        np.array([True, True, False, True, True]),
        np.array([1, 0, 1, 0]),
        np.array([0.9, 0.1, 0.2, 0.8]),
        np.array([0, 0, 1, 1]),
        train_thresholds=np.array([[0.5], [0.5]]),
    )
    by_fold = s06.stop_decisions(stop, np.array([0.0]))
    # fold 0 stops its failed run (0.9); fold 1 stops nothing at FPR 0 (its success scores higher); run 2 ineligible
    assert by_fold.tolist() == [[True, False, False, False, False]]
    trained = s06.stop_decisions(stop, np.array([0.0]), threshold_source="training")
    assert trained.tolist() == [[True, False, False, False, True]]
    with pytest.raises(ValueError, match="threshold_source"):
        s06.stop_decisions(stop, np.array([0.0]), threshold_source="test")


def synthetic_traces(n=120, seed=0):
    """Runs whose failure shows in their step-1 log-probabilities: a learnable signal."""
    rng = np.random.default_rng(seed)
    runs, steps = [], []
    for i in range(n):
        failed = i % 3 != 0
        n_steps = int(rng.integers(2, 5))
        runs.append({"run_id": f"r{i}", "success": not failed})
        level = -3.0 if failed else -0.2
        steps += _steps(
            f"r{i}",
            rng.uniform(1, 3, n_steps),
            [list(level * rng.random(12)) for _ in range(n_steps)],
            [["t"] * 12 for _ in range(n_steps)],
        )
    return s06.traces_from_tables(pd.DataFrame(runs), pd.DataFrame(steps))


def test_predictor_learns_a_clear_signal_and_beats_random():
    traces = synthetic_traces()
    result = s06.run_predictor(traces, decision_steps=1, n_folds=3, inner_folds=3, n_boot=50, fpr_step=0.5)
    aucs = {s.method: s.auc for s in result["scored"]}
    assert aucs["agentstop"] > 0.95 and aucs["min_logprob"] > 0.95
    assert abs(aucs["random"] - 0.5) < 0.2
    table = result["table"]
    assert set(table["method"]) == {"agentstop", "min_logprob", "mean_logprob", "random", "stop_all"}
    best = s06.headline(table, max_drop_pct=5.0).set_index("method")
    assert best.loc["agentstop", "waste_reduction_pct"] > best.loc["random", "waste_reduction_pct"]
    assert best.loc["agentstop", "performance_drop_pct"] < 5.0
    # every run continues past step 1, so stopping all of them loses every success: no point below 5%
    assert np.isnan(best.loc["stop_all", "waste_reduction_pct"])


def test_nested_cv_rejects_nonsense():
    X, y = np.zeros((6, 2)), np.array([1, 1, 1, 1, 1, 0])
    with pytest.raises(ValueError, match="too few"):
        s06.nested_cv_scores(X, y, n_folds=3)
    with pytest.raises(ValueError, match="unknown classifier"):
        s06.nested_cv_scores(X, y, classifier="xgboost")
    with pytest.raises(ValueError, match="folds"):
        s06.nested_cv_scores(X, y, n_folds=1)


def test_traces_reject_bad_tables():
    runs, steps = two_step_trace()
    with pytest.raises(ValueError, match="lacks columns"):
        s06.traces_from_tables(runs, steps.drop(columns="energy_mwh"))
    with pytest.raises(ValueError, match="no steps"):
        s06.traces_from_tables(pd.concat([runs, pd.DataFrame({"run_id": ["c"], "success": [True]})]), steps)
    broken = steps.copy()
    broken.loc[0, "logprobs"] = "[-0.1, "
    with pytest.raises(ValueError, match="run 'a'.*JSON list"):
        s06.traces_from_tables(runs, broken)
    with pytest.raises(ValueError, match="decision step"):
        s06.features_at_step(
            s06.traces_from_tables(runs, steps), 0, *s06.step_feature_blocks(s06.traces_from_tables(runs, steps))
        )


def test_text_stands_in_for_tokens():
    runs, steps = two_step_trace()
    steps = steps.drop(columns="tokens").assign(content=["abXY", "abcd", "ok"])
    traces = s06.traces_from_tables(runs, steps)
    blocks, overlap = s06.step_feature_blocks(traces, 2)
    assert overlap[0, 1] == pytest.approx(0.5)  # "ab" of "abcd"
    assert blocks[0, 1, 3] == 1  # the text is one token without "<code": one thought token


def hand_runs():
    runs = pd.DataFrame(
        {
            "run_id": ["a", "b", "c", "d"],
            "task": ["0", "1", "2", "3"],
            "success": [True, False, True, False],
            "n_steps": [2, 11, 1, 11],
            "energy_mwh": [10.0, 50.0, 5.0, 35.0],
            "latency_s": [4.0, 20.0, 2.0, 14.0],
            "prompt_tokens": [100, 900, 40, 700],
            "completion_tokens": [30, 200, 10, 160],
        }
    )
    steps = pd.DataFrame(
        {
            "run_id": ["a", "a", "b", "c", "d"],
            "step": [0, 1, 0, 0, 0],
            "energy_mwh": [4.0, 6.0, 5.0, 5.0, 7.0],
            "prompt_tokens": [40, 60, 100, 40, 100],
            "cached_tokens": [0, 40, 0, 0, 50],
        }
    )
    bare = pd.DataFrame(
        {
            "problem_id": ["0", "1", "2", "3"],
            "model": "m",
            "correct": [True, False, False, True],
            "output": ["Paris", "no idea", "1912", "Jane Ballou"],
        }
    )
    return runs, steps, bare


def test_overhead_tables_by_hand():
    runs, steps, bare = hand_runs()
    overhead = s06.agent_overhead(runs, steps, bare).set_index("quantity")
    assert overhead.loc["energy per task", "agent_mean"] == pytest.approx(25.0)
    assert np.isnan(overhead.loc["energy per task", "bare_mean"])
    assert overhead.loc["energy of the run's first LLM call", "agent_mean"] == pytest.approx(21 / 4)
    assert overhead.loc["LLM calls per task", "agent_over_bare"] == pytest.approx(25 / 4)
    cache = s06.cache_by_step(steps).set_index("step")
    assert cache.loc["0", "prompt_cache_utilization"] == pytest.approx(50 / 280)
    assert cache.loc["1", "prompt_cache_utilization"] == pytest.approx(40 / 60)
    assert cache.loc["all", "prompt_cache_utilization"] == pytest.approx(90 / 340)
    caps = s06.step_cap_hits(runs, cap=10).set_index("n_steps")
    assert caps.loc[11, "runs"] == 2 and bool(caps.loc[11, "hit_step_cap"]) and not caps.loc[2, "hit_step_cap"]
    bare_correct = s06.bare_model_correct(runs, bare, "m")
    assert bare_correct.tolist() == [True, False, False, True]
    spend = s06.spend_where_bare_correct(runs, bare_correct).set_index("bare_correct")
    assert spend.loc[True, "energy_share"] == pytest.approx(45 / 100)
    assert spend.loc[True, "mean_steps"] == pytest.approx(6.5)
    with pytest.raises(ValueError, match="no bare-LLM samples"):
        s06.bare_model_correct(runs, bare, "other")
    with pytest.raises(ValueError, match="step cap"):
        s06.step_cap_hits(runs, cap=0)


def test_figures_name_their_files_and_caption_the_agent_model_from_the_runs():
    runs, steps, _ = hand_runs()
    runs = runs.assign(model="tiny-agent")
    per_task = s06.run_energy(runs, steps)
    assert per_task["first_call_energy_mwh"].tolist() == [4.0, 5.0, 5.0, 7.0]
    made = s06.energy_per_task(per_task)
    assert made.name == "energy_per_task" and "of the tiny-agent agent" in made.caption
    made = s06.cache_utilisation(s06.cache_by_step(steps))
    assert made.name == "cache_utilisation" and made.caption.startswith("Prompt-cache utilisation")
    roc = pd.DataFrame({"k": [1, 1], "auc": [0.7, 0.7], "fpr": [0.0, 1.0], "tpr": [0.0, 1.0]})
    made = s06.roc_per_step(roc, s06.agent_model(runs))
    assert made.name == "roc_per_step" and made.caption.endswith("(FRAMES, tiny-agent)")
    plt.close("all")


def test_agent_model_refuses_runs_of_several_models():
    runs, _, _ = hand_runs()
    with pytest.raises(ValueError, match=r"one agent model, found \['a', 'b'\]"):
        s06.agent_model(runs.assign(model=["a", "b", "a", "b"]))


def test_eqa_ranks_groups_of_equal_success_apart():
    # both groups succeed half the time; group "fast" succeeds in 1 step, group "slow" in 4 of a 4-step budget
    runs = pd.DataFrame({"run_id": list("abcd"), "n_steps": [1, 3, 4, 4], "success": [True, False, True, False]})
    groups = pd.DataFrame({"run_id": list("abcd"), "group": ["fast", "fast", "slow", "slow"]})
    table = s06.eqa_by_group(runs, groups, max_steps=4).set_index("group")
    assert table.loc["fast", "success_rate"] == table.loc["slow", "success_rate"] == 0.5
    assert table.loc["fast", "eqa"] == pytest.approx(0.5)  # curve 0.5 at every budget 1..4
    assert table.loc["slow", "eqa"] == pytest.approx(0.125)  # 0, 0, 0, 0.5
    ranks = s06.rank_changes(table.reset_index())
    assert ranks["close_in_success_separated_by_eqa"] == 1 and ranks["pairs_swapped"] == 0


def _paper():
    from agenteff import datasets

    return datasets.paper_values()


def test_claims_statuses_follow_the_numbers():
    best = pd.DataFrame(
        [
            {
                "method": "agentstop",
                "k": 3,
                "fpr_target": 0.35,
                "waste_reduction_pct": 17.0,
                "waste_reduction_low": 12.0,
                "waste_reduction_high": 22.0,
                "performance_drop_pct": 4.0,
                "performance_drop_low": 0.0,
                "performance_drop_high": 9.0,
            },
            {
                "method": "random",
                "k": 2,
                "fpr_target": 0.2,
                "waste_reduction_pct": 25.0,
                "waste_reduction_low": 20.0,
                "waste_reduction_high": 30.0,
                "performance_drop_pct": 4.5,
                "performance_drop_low": 0.0,
                "performance_drop_high": 9.0,
            },
        ]
    )
    training = best.assign(waste_reduction_pct=[8.0, 25.0])
    sensitivity = pd.DataFrame(
        [
            {
                "labels": "strict",
                "successes": 40,
                "success_rate": 0.05,
                "agentstop_waste_reduction_pct": 30.0,
                "random_waste_reduction_pct": 28.0,
                "stop_all_waste_reduction_pct": np.nan,
            }
        ]
    )
    runs, steps, bare = hand_runs()
    overhead = s06.agent_overhead(runs, steps, bare)
    spend = s06.spend_where_bare_correct(runs, s06.bare_model_correct(runs, bare, "m"))
    rows = s06.claims(
        _paper(),
        best=best,
        best_training=training,
        sensitivity=sensitivity,
        overhead=overhead,
        cache=s06.cache_by_step(steps),
        cap_hits=s06.step_cap_hits(runs, 10),
        cap=10,
        spend=spend,
        eqa_ranks={"kendall_tau": 1.0, "pairs_swapped": 0, "pairs_total": 1, "close_in_success_separated_by_eqa": 1},
        agreement={"n": 100, "judge_accuracy": 0.2, "grader_accuracy": 0.25, "agreement": 0.9, "cohen_kappa": 0.8},
    )
    assert [row["key"] for row in rows[:5]] == [
        "agentstop/waste-reduction",
        "agentstop/waste-reduction-cais",
        "agentstop/utility-drop",
        "agentstop/waste-reduction-training-thresholds",
        "agentstop/waste-reduction-labels-strict",
    ]
    table = pd.DataFrame(rows).set_index("claim")
    assert set(table["status"]) <= set(report.CLAIM_STATUSES)
    statuses = table["status"].tolist()
    assert statuses[0] == "reproduced"  # 17 lies in 15-20
    assert statuses[1] == "reproduced"  # and in 10-20
    assert statuses[2] == "reproduced"  # 4 < 5
    assert statuses[3] == "differs"  # 8 is outside 15-20
    assert statuses[4] == "differs"  # strict labels: 30
    assert table.iloc[5]["status"] == "not reproducible"  # no bare-LLM energy
    assert "25.0%" in table.iloc[0]["note"]  # the random score's saving is named beside the classifier's


def test_enough_for_nested_cv_fills_every_inner_fold():
    # 7 successes: an outer training part keeps at least 7 - ceil(7/5) = 5, one per inner fold
    assert s06.enough_for_nested_cv(np.array([0] * 7 + [1] * 50), 5, 5)
    # 6 successes fill the outer folds but leave an outer training part with 4 for 5 inner folds
    assert not s06.enough_for_nested_cv(np.array([0] * 6 + [1] * 50), 5, 5)
    assert not s06.enough_for_nested_cv(np.array([1] * 50), 5, 5)


def test_labellings_order_strict_grader_lenient():
    runs = pd.DataFrame(
        {
            "agent_output": ["Final answer: Paris", "Paris, I think, or Lyon", "no idea"],
            "gold": ["Paris", "Paris", "Rome"],
            "run_id": ["a", "b", "c"],
            "task": ["0", "1", "2"],
            "suite": "s",
            "architecture": "a",
            "n_agents": 1,
            "model": "m",
            "seed": 0,
            "success": None,
        }
    )
    labels = s06.labellings(runs)
    assert labels["strict"].tolist() == [True, False, False]
    assert labels["lenient"].tolist() == [True, True, False]  # the gold appears in the second output


def test_gradient_boosting_classifier_runs_the_same_protocol():
    traces = synthetic_traces(n=90, seed=1)
    scored = s06.score_traces(
        traces, range(1, 2), classifier="gradient_boosting", n_folds=3, inner_folds=3, baselines=()
    )
    assert [s.method for s in scored] == ["agentstop"] and scored[0].auc > 0.9


def test_reasoning_groups_split_multi_type_questions():
    runs = pd.DataFrame({"run_id": ["a", "b"], "task": ["0", "1"]})
    questions = pd.DataFrame(
        {"problem_id": ["0", "1"], "reasoning_types": ["Numerical reasoning | Tabular reasoning", "Temporal reasoning"]}
    )
    groups = s06.reasoning_groups(runs, questions)
    assert groups.values.tolist() == [
        ["a", "Numerical reasoning"],
        ["a", "Tabular reasoning"],
        ["b", "Temporal reasoning"],
    ]
    with pytest.raises(ValueError, match="no FRAMES question"):
        s06.reasoning_groups(pd.DataFrame({"run_id": ["c"], "task": ["9"]}), questions)
