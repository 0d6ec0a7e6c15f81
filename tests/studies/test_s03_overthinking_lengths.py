"""Study 03 on hand-made inputs: the claims table (values, statuses, notes) and the study's own compositions."""

import matplotlib
import numpy as np
import pandas as pd
import pytest

from agenteff import report
from agenteff.datasets.zeroeval import REASONING_MODELS
from agenteff.engines import sampling
from agenteff.llm.endpoints import resolve_endpoint
from agenteff.studies import s03_overthinking_lengths as s03

matplotlib.use("Agg")

O1, O1_PREVIEW = REASONING_MODELS
PAPER = report.PaperValues(
    {s03.LEAD_AES_KEY: report.PaperValue(s03.LEAD_AES_KEY, "AES", value=0.68, unit="score", source="LEAD README")}
)


def results(simulated=True):
    """Every input of claims(), small enough to compute each claim by hand."""
    return dict(
        check=pd.DataFrame(
            {
                "model": ["a", "b"],
                "within_tolerance": [True, False],
                "accuracy_difference": [0.2, -0.7],
                "reasoning_chars_difference": [0.0, 1.5],
            }
        ),
        differences=pd.DataFrame(
            {
                "direction": ["only correct", "only correct", "only strict_correct"],
                "reason": ["prose", "first_number_only", "not_found"],
            }
        ),
        gaps=pd.DataFrame(
            {
                "problems": [10, 10],
                "share_incorrect_longer": [0.7, 0.2],
                "geometric_mean_ratio": [1.25, 0.8],
                "p_value": [0.0123, 0.5],
            },
            index=["relative length", "tokens"],
        ),
        ranks=pd.DataFrame({"rank_bin": [1, 2, 3, 4], "accuracy": [0.6, 0.5, 0.45, 0.4]}),
        difficulty_rho=0.5,
        groups=pd.DataFrame({"mean_accuracy": [40.0, 90.0]}, index=pd.Index([False, True], name="reasoning_model")),
        stats_table=pd.DataFrame({"n_correct": [2, 3, 1], "range_ratio_correct": [2.0, 4.0, np.nan]}),
        savings=pd.Series({"median_shortest_to_mean_correct": 0.75, "share_saved_vs_mean": 0.2}),
        multi=pd.DataFrame(
            {
                "simulated": [simulated] * 4,
                "model": ["m"] * 4,
                "method": ["sample k=2 T=0.7"] * 4,
                "dataset": ["d"] * 4,
                "problem_id": ["p", "p", "q", "q"],
                "correct": [True, False, False, False],
                "finish_reason": ["stop", "length", "stop", "stop"],
            }
        ),
        policies=pd.DataFrame(
            {
                "rule": ["first", "shortest"],
                "accuracy": [0.5, 0.25],
                "mean_length": [100.0, 50.0],
                "aes_vs_random": [0.0, -1.0],
            }
        ),
        efficiency=pd.DataFrame({"outcome_efficiency": [0.5, 0.3], "process_efficiency": [1.0, 0.5]}),
    )


def by_claim(rows):
    return {row["claim"]: row for row in rows}


def test_claims_values_and_statuses_by_hand():
    rows = s03.claims(PAPER, **results(), tolerance=0.5)
    assert len(rows) == 16
    keys = [row["key"] for row in rows]
    assert len(set(keys)) == 16 and keys[0] == "zeroeval/protocol-matches" and keys[-1] == "demo/process-efficiency"
    assert [row["claim"] for row in rows if row["key"] == "lead/aes-1.5b-4k"] == [
        "LEAD 1.5B-4K: AES reported in Table 1 (LEAD README)"
    ]
    table = by_claim(rows)
    matches = table["ZeroEval math-l5: models whose protocol accuracy matches the published summary within 0.5 points"]
    assert (matches["paper_value"], matches["reproduced_value"], matches["status"]) == (2, 1, "differs")
    assert matches["note"].startswith("differs by -1 models;") and "2 result files" in matches["note"]
    accuracy = table["ZeroEval math-l5: largest |accuracy difference| to the summary"]
    assert (accuracy["reproduced_value"], accuracy["status"]) == (0.7, "differs")  # 0.7 > 0.5
    length = table["ZeroEval math-l5: largest |mean reasoning length difference| to the summary"]
    assert (length["reproduced_value"], length["status"]) == (1.5, "differs")
    graders = table["ZeroEval math-l5: answers the first-number protocol and the strict grader judge differently"]
    assert (graders["reproduced_value"], graders["status"]) == (3, "new")
    assert graders["note"] == (
        "2 protocol-only correct (first number matches, value differs), 1 strict-only "
        "correct, 1 of them answers the protocol did not find"
    )
    longer = table[
        "ZeroEval: share of problems where wrong answers are longer than right ones (relative length, within problem)"
    ]
    assert longer["reproduced_value"] == 0.7  # the relative-length row, not the tokens row
    assert longer["note"] == "10 problems with both; geometric mean ratio 1.250; Wilcoxon p=0.012"
    quarters = table["ZeroEval: accuracy of the shortest vs the longest quarter of answers within problem"]
    assert quarters["reproduced_value"] == pytest.approx(0.2)  # 0.6 - 0.4
    o1 = table["ZeroEval: mean accuracy of the o1 models minus that of the others (strict grader)"]
    assert o1["reproduced_value"] == 50.0
    assert (
        table["ZeroEval: correlation of problem difficulty and median relative answer length"]["reproduced_value"]
        == 0.5
    )


def test_simulated_samples_are_not_reproducible_and_a_real_endpoint_is_new():
    simulated = by_claim(s03.claims(**results(simulated=True), paper=PAPER))
    real = by_claim(s03.claims(**results(simulated=False), paper=PAPER))
    spread = "Correct paths vary in length: median longest/shortest correct length per problem (2506.15647)"
    assert simulated[spread]["reproduced_value"] == 3.0  # median of 2 and 4; the problem with one correct is left out
    assert simulated[spread]["status"] == "not reproducible" and "simulated" in simulated[spread]["note"]
    assert real[spread]["status"] == "new"
    assert real[spread]["note"] == (
        "m, sample k=2 T=0.7, 2 problems of d: one live run, not the papers' models; "
        "2 problems with two or more correct samples"
    )
    inputs = results(simulated=False)
    inputs["multi"] = inputs["multi"].assign(dataset=sampling.ARITHMETIC_DATASET)
    recorded = by_claim(s03.claims(**inputs, paper=PAPER))
    assert recorded[spread]["note"].startswith(
        "m, sample k=2 T=0.7, 2 problems of arithmetic-words: a 135M model on easy problems, not a reasoning model"
    )
    accuracy = real["Multi-sample run: accuracy of all samples"]
    assert accuracy["reproduced_value"] == 0.25 and accuracy["status"] == "new"  # 1 of 4 right
    assert accuracy["note"].endswith("; share of replies cut at max_tokens 0.250")  # 1 of 4 stopped by length
    aes = real["AES of keeping the shortest of the k samples (grade-blind) against one random sample"]
    assert (aes["reproduced_value"], aes["status"]) == (-1.0, "new")
    assert aes["note"].endswith("; accuracy 0.250 at mean length 50.0 tokens")
    assert simulated[aes["claim"]]["status"] == "not reproducible"
    shortest = "Shortest correct vs mean correct length, median over problems (2506.15647)"
    saved = "Tokens saved by keeping the shortest correct sample (oracle), share of mean sample length"
    assert (real[shortest]["reproduced_value"], real[saved]["reproduced_value"]) == (0.75, 0.2)


def test_lead_aes_comes_from_the_paper_values_and_cannot_be_reproduced():
    lead = by_claim(s03.claims(**results(), paper=PAPER))["LEAD 1.5B-4K: AES reported in Table 1 (LEAD README)"]
    assert (lead["paper_value"], lead["reproduced_value"], lead["unit"], lead["status"]) == (
        0.68,
        None,
        "score",
        "not reproducible",
    )
    assert lead["note"].endswith("(paper: LEAD README)")
    with pytest.raises(KeyError, match="lead/aes-1.5b-4k"):
        s03.claims(**results(), paper=report.PaperValues({}))


def test_demo_claims_average_the_responses():
    table = by_claim(s03.claims(**results(), paper=PAPER))
    outcome = table["Demo responses: mean outcome efficiency (Chen et al. definition)"]
    process = table["Demo responses: mean process efficiency (Chen et al. definition)"]
    assert (outcome["reproduced_value"], process["reproduced_value"]) == (0.4, 0.75)
    assert outcome["note"].startswith("2 demo responses")


def test_tolerance_names_the_claim_and_decides_its_status():
    table = by_claim(s03.claims(**results(), tolerance=1.0, paper=PAPER))
    matches = table["ZeroEval math-l5: models whose protocol accuracy matches the published summary within 1 points"]
    assert matches["status"] == "differs"  # the count is compared exactly; only the per-model check used 0.5
    assert table["ZeroEval math-l5: largest |accuracy difference| to the summary"]["status"] == "reproduced"


def strict_answers():
    """Two problems answered by an o1 model and two others; lengths and verdicts chosen by hand."""
    rows = [  # model, problem, tokens, correct
        (O1, "p", 100, True),
        (O1, "q", 300, True),
        ("x", "p", 200, True),
        ("x", "q", 600, False),
        ("y", "p", 50, False),
        ("y", "q", 150, False),
    ]
    graded = pd.DataFrame(
        [
            {
                "dataset": "d",
                "method": "greedy",
                "model": m,
                "problem_id": p,
                "completion_tokens": n,
                "strict_correct": c,
                "correct": not c,
            }
            for m, p, n, c in rows
        ]
    )
    graded["reasoning_model"] = graded["model"].isin(REASONING_MODELS)
    return graded


def test_strictly_graded_uses_the_strict_verdict_and_each_models_median():
    strict = s03.strictly_graded(strict_answers())
    assert strict["correct"].tolist() == [True, True, True, False, False, False]
    # medians: o1 200, x 400, y 100
    assert strict["relative_length"].tolist() == pytest.approx([0.5, 1.5, 0.5, 1.5, 0.5, 1.5])


def test_model_lengths_frontier_and_reasoning_vs_rest():
    by_model = s03.model_lengths(s03.strictly_graded(strict_answers())).set_index("model")
    assert by_model["accuracy"].to_dict() == {O1: 100.0, "x": 50.0, "y": 0.0}
    assert by_model["mean_length"].to_dict() == {O1: 200.0, "x": 400.0, "y": 100.0}
    # x costs more than o1 and is less accurate: dominated; y is the cheapest
    assert by_model["on_frontier"].to_dict() == {O1: True, "x": False, "y": True}
    groups = s03.reasoning_vs_rest(by_model.reset_index())
    assert groups.loc[True, "mean_accuracy"] == 100.0 and groups.loc[False, "mean_accuracy"] == 25.0
    assert groups.loc[False, "models"] == 2


def test_difficulty_correlation_over_problems():
    strict = s03.strictly_graded(strict_answers())
    # p: 1 of 3 models fail it, median relative length 0.5; q: 2 of 3 fail, median 1.5
    assert s03.difficulty_length_correlation(strict) == pytest.approx(1.0)
    by_difficulty = s03.length_by_difficulty(strict, bins=2)
    others = by_difficulty[by_difficulty["models"] == "other models"].set_index("difficulty_bin")
    assert others["accuracy"].tolist() == [0.5, 0.0]  # x right and y wrong on p; both wrong on q


def test_selection_policies_score_against_the_first_sample():
    multi = pd.DataFrame(
        [
            {
                "dataset": "d",
                "model": "m",
                "method": "k",
                "problem_id": p,
                "sample_index": i,
                "completion_tokens": n,
                "correct": c,
            }
            for p, i, n, c in [("a", 0, 200, False), ("a", 1, 100, True), ("b", 0, 100, True), ("b", 1, 300, True)]
        ]
    )
    policies = s03.selection_policies(multi).set_index("rule")
    # one random sample: mean length (200+100+100+300)/4 = 175, accuracy 3/4
    # shortest: lengths 100 and 100, both right: dL = (175-100)/175 = 3/7, dA = (1-0.75)/0.75 = 1/3
    assert policies.loc["shortest", "aes_vs_random"] == pytest.approx(3 / 7 + 3 * (1 / 3))
    # first: lengths 200 and 100 (mean 150), one right: dL = 1/7, dA = -1/3, penalised with weight 5
    assert policies.loc["first", "aes_vs_random"] == pytest.approx(1 / 7 - 5 * (1 / 3))
    none_right = s03.selection_policies(multi.assign(correct=False))
    assert none_right["aes_vs_random"].isna().all()  # undefined against an accuracy of 0


def test_lead_target_summary_counts_clamped_and_unsolved_problems():
    targets = pd.DataFrame(
        {
            "target_length": [1000.0, 2500.0, 8000.0, 1000.0],
            "n_correct": [3, 2, 0, 1],
            "lower_clamp": 1000.0,
            "unsolved_target": 8000.0,
        }
    )
    assert s03.lead_target_summary(targets) == "problems at the lower clamp (1000): 2, unsolved (8000): 1, of 4"


def test_protocol_summary_names_short_files():
    answers = pd.DataFrame({"model": ["a", "a", "b"], "problem_id": ["1", "2", "1"]})
    check = pd.DataFrame(
        {
            "model": ["a", "b"],
            "items": [2, 1],
            "within_tolerance": [True, False],
            "accuracy_difference": [0.0, -0.75],
            "reasoning_chars_difference": [0.0, 2.0],
        }
    )
    text = s03.protocol_summary(answers, check, tolerance=0.5)
    assert text.splitlines() == [
        "2 models, 2 problems, 3 answers",
        "accuracy within 0.5 points of the summary: 1 of 2 models; largest difference 0.75 points",
        "largest difference in mean reasoning length: 2.00 characters",
        "models differing by more than 0.5 points: 1",
        "result files with fewer items than problems (the summary divides by the items present): b (1)",
    ]


def test_simulated_figures_say_so_in_their_titles():
    multi = pd.DataFrame(
        {
            "problem_id": ["a", "a", "b", "b"],
            "completion_tokens": [100, 200, 300, 400],
            "correct": [True, False, True, True],
            "simulated": True,
        }
    )
    stats_table = pd.DataFrame({"problem_id": ["a", "b"], "n_correct": [1, 2], "median_length": [150, 350]})
    made = s03.correct_length_spread(multi, stats_table, shown=25)
    assert made.name == "correct_length_spread"
    assert made.figure.axes[0].get_title() == "Lengths of 2 samples per problem (simulated)"
    assert made.caption == "Completion tokens of each sample for 2 problems, coloured by correctness (simulated)."
    # simulated samples: the figure carries the stamp
    assert "simulated data" in [text.get_text() for text in made.figure.texts]


def test_nonsense_model_stride_is_refused():
    for every in (0, -1, 1.5):
        with pytest.raises(ValueError, match="every"):
            s03.zeroeval_answers(every=every)


def test_other_length_bins_name_their_share():
    inputs = results()
    inputs["ranks"] = pd.DataFrame({"rank_bin": [1, 2, 3], "accuracy": [0.9, 0.5, 0.6]})
    table = by_claim(s03.claims(**inputs, paper=PAPER))
    thirds = table["ZeroEval: accuracy of the shortest vs the longest 1/3 of answers within problem"]
    assert thirds["reproduced_value"] == pytest.approx(0.3)  # first bin minus last bin, 0.9 - 0.6
    assert thirds["note"] == "within-problem rank of relative length, 3 bins"


def recorded_table():
    """A recorded-shape table: 2 problems x 3 samples of a real model at max_tokens 80."""
    rows = [
        ("a000", 0, 20, True, "stop"),
        ("a000", 1, 40, True, "stop"),
        ("a000", 2, 80, False, "length"),
        ("a001", 0, 30, False, "stop"),
        ("a001", 1, 80, False, "length"),
        ("a001", 2, 60, False, "stop"),
    ]
    return pd.DataFrame(
        [
            {
                "dataset": "arithmetic-words",
                "model": "smollm2-135m-instruct",
                "method": "sample k=3 T=0.8",
                "problem_id": p,
                "sample_index": i,
                "completion_tokens": n,
                "correct": c,
                "finish_reason": f,
                "max_tokens": 80,
                "simulated": False,
            }
            for p, i, n, c, f in rows
        ]
    )


SIMULATED = resolve_endpoint("simulated")
LIVE = resolve_endpoint("http://127.0.0.1:8080/v1")
FROM_ENVIRONMENT = resolve_endpoint(None, environ={"OPENAI_BASE_URL": "http://127.0.0.1:8080/v1"})


def test_the_sample_source_follows_the_endpoint_unless_named():
    assert s03.samples_source_for(None, SIMULATED) == "recorded"
    assert s03.samples_source_for(None, LIVE) == "live"
    assert s03.samples_source_for(None, FROM_ENVIRONMENT) == "live"
    assert s03.samples_source_for("simulated", SIMULATED) == "simulated"
    assert s03.samples_source_for("recorded", FROM_ENVIRONMENT) == "recorded"  # the user gave no base_url
    with pytest.raises(ValueError, match="one of recorded, simulated, live"):
        s03.samples_source_for("replayed", SIMULATED)
    with pytest.raises(ValueError, match="needs a live endpoint"):
        s03.samples_source_for("live", SIMULATED)
    with pytest.raises(ValueError, match="calls no endpoint"):
        s03.samples_source_for("recorded", LIVE)
    with pytest.raises(ValueError, match="from the environment\\): give base_url='simulated'"):
        s03.samples_source_for("simulated", FROM_ENVIRONMENT)


def test_settle_resolves_the_endpoint_and_the_token_limit_once(monkeypatch):
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    default = s03.settle(False)
    assert default.endpoint.simulated and default.samples_source == "recorded" and default.max_tokens is None
    assert (default.k, default.n_problems) == (8, 120)
    live = s03.settle(True, "http://127.0.0.1:8080/v1")
    assert (live.samples_source, live.max_tokens, live.k) == ("live", 64, 4)
    assert s03.settle(False, "http://127.0.0.1:8080/v1").max_tokens == 256
    assert s03.settle(True, "http://127.0.0.1:8080/v1", max_tokens=300).max_tokens == 300  # the user's wins
    assert s03.settle(False, "simulated", "simulated").max_tokens == s03.SIMULATED_MAX_TOKENS
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:8080/v1")
    assert s03.settle(False).samples_source == "live"  # the environment alone switches to live


@pytest.mark.parametrize("base_url", ["", "   ", "localhost:8080", "ftp://host/v1"])
def test_an_empty_or_malformed_base_url_is_an_error_before_any_call(base_url):
    with pytest.raises(ValueError, match="the parameter base_url"):
        s03.settle(True, base_url)


@pytest.mark.parametrize("max_tokens", [0, -5, 2.5, True, "64"])
def test_nonsense_max_tokens_is_an_error(max_tokens):
    with pytest.raises(ValueError, match="max_tokens must be a positive integer"):
        s03.settle(True, "http://127.0.0.1:8080/v1", max_tokens=max_tokens)


def test_captions_name_the_model_that_answered():
    multi = recorded_table()
    assert s03.answering_model(multi) == "smollm2-135m-instruct"
    served = multi.assign(served_model="SmolLM2-135M-Instruct.Q4_1.gguf")
    assert s03.answering_model(served) == "smollm2-135m-instruct (served as SmolLM2-135M-Instruct.Q4_1.gguf)"
    assert s03.answering_model(multi.assign(served_model="smollm2-135m-instruct")) == "smollm2-135m-instruct"


def test_recorded_samples_keep_the_first_k_of_the_first_problems(monkeypatch):
    monkeypatch.setattr(
        s03.analysis.datasets, "load", lambda name: recorded_table() if name == s03.RECORDED_DATASET else None
    )
    fewer = s03.sample_problems(k=2, n_problems=1, samples_source="recorded")
    assert (fewer["problem_id"].tolist(), fewer["sample_index"].tolist()) == (["a000", "a000"], [0, 1])
    assert len(s03.sample_problems(k=8, n_problems=120)) == 6  # default source: recorded; all of it


def test_the_analyses_of_a_recorded_table_by_hand():
    multi = recorded_table()
    assert s03.sampling_summary(multi) == (
        "6 samples of 2 problems (arithmetic-words) from smollm2-135m-instruct, sample k=3 T=0.8; accuracy 0.333; "
        "problems solved at least once 0.500; cut at max_tokens 0.333"
    )
    savings = s03.savings_summary(multi)
    # a000: shortest correct 20, mean correct 30, mean of all (20+40+80)/3; a001 unsolved, left out
    assert savings["median_shortest_to_mean_correct"] == pytest.approx(20 / 30)
    assert savings["share_saved_vs_mean"] == pytest.approx((140 / 3 - 20) / (140 / 3))
    assert s03.lead_bounds(multi) == (10.0, 80.0)  # LEAD's 1000/8000 scaled to the 80-token budget
    targets, rewarded = s03.lead_targets_and_rewards(multi)
    assert targets.set_index("problem_id")["target_length"].to_dict() == {"a000": 30.0, "a001": 80.0}
    assert s03.lead_target_summary(targets) == "problems at the lower clamp (10): 0, unsolved (80): 1, of 2"
    # reward max(-1, 1 - |L - 30| / 30) on a000: 20 -> 2/3, 40 -> 2/3, 80 -> 1 - 50/30 = -2/3
    a000 = rewarded[rewarded["problem_id"] == "a000"]["efficiency_reward"].tolist()
    assert a000 == pytest.approx([2 / 3, 2 / 3, -2 / 3])
    made = s03.lead_targets_rewards(targets, rewarded)
    assert made.figure.axes[1].get_title() == "LEAD efficiency reward (smollm2-135m-instruct)"
    assert "simulated data" not in [text.get_text() for text in made.figure.texts]  # a real model's samples


def test_the_spread_figure_shows_unsolved_problems_when_none_is_solved():
    multi = recorded_table()
    caption = s03.correct_length_spread(multi, s03.sample_length_stats(multi)).caption
    assert (
        caption == "Completion tokens of each sample for 1 problems, coloured by correctness (smollm2-135m-instruct)."
    )
    unsolved = multi.assign(correct=False)
    caption = s03.correct_length_spread(unsolved, s03.sample_length_stats(unsolved)).caption
    assert caption.startswith("Completion tokens of each sample for 2 problems, none solved, coloured")


def test_samples_without_a_budget_keep_leads_clamp():
    assert s03.lead_bounds(recorded_table().drop(columns="max_tokens")) == (1000.0, 8000.0)
    # a budget at or above LEAD's upper clamp (the simulated reasoner's 16384) leaves the clamp as LEAD set it
    assert s03.lead_bounds(recorded_table().assign(max_tokens=16384)) == (1000.0, 8000.0)
    assert s03.lead_bounds(recorded_table().assign(max_tokens=256)) == (32.0, 256.0)


def test_a_run_without_two_correct_samples_of_any_problem_cannot_measure_the_spread():
    inputs = results(simulated=False)
    inputs["stats_table"] = pd.DataFrame({"n_correct": [1, 0], "range_ratio_correct": [np.nan, np.nan]})
    inputs["savings"] = pd.Series({"median_shortest_to_mean_correct": 1.0, "share_saved_vs_mean": 0.4})
    table = by_claim(s03.claims(**inputs, paper=PAPER))
    spread = table["Correct paths vary in length: median longest/shortest correct length per problem (2506.15647)"]
    assert (spread["reproduced_value"], spread["status"]) == (None, "not reproducible")
    assert spread["note"].endswith("; 0 problems with two or more correct samples")
    ratio = table["Shortest correct vs mean correct length, median over problems (2506.15647)"]
    assert ratio["note"].endswith("1 by construction: no problem has two correct samples")
