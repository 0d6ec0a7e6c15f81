"""The short-answer grader (tricky answers graded by hand), its agreement with a judge, and the judge path."""

import json
import os

import pandas as pd
import pytest

from agenteff import datasets, metrics
from agenteff.llm import LLMClient
from agenteff.metrics import answers
from agenteff.schema import SchemaError

# (answer, gold, question, correct by hand, why)
TRICKY = [
    ("Jane Ballou", "Jane Ballou", None, True, "identical"),
    ("jane ballou.", "Jane Ballou", None, True, "case and punctuation"),
    ("Crème Brûlée", "creme brulee", None, True, "accents"),
    ("'Julie Bowen'", "Julie Bowen", None, True, "an output stored as a Python repr"),
    ("Julie Bowen", "Justin Mikita", None, False, "another person"),
    ("The answer is 1,000.", "1000", None, True, "thousands separator, answer marker"),
    ("twenty-five", "25", None, True, "number words"),
    ("Five", "5 more goals", None, True, "number word against a number with words"),
    ("6.0", "6", None, True, "trailing zero"),
    ("It would rank 37th.", "37th", None, True, "ordinal inside a sentence"),
    ("between 36th and 38th", "37th", None, False, "two other candidates"),
    ("1992", "1981", None, False, "another year"),
    ("March 3, 2001", "3 March 2001", None, True, "date formats"),
    ("2001-03-03", "March 3rd, 2001", None, True, "ISO date against an ordinal day"),
    ("March 2001", "3 March 2001", None, False, "a month is less than the date"),
    ("3 March 2001", "March 2001", None, True, "a date within the gold month"),
    ("April 2, 1985", "April 2", None, True, "the gold has no year"),
    ("April 3, 1985", "April 2", None, False, "another day"),
    ("87 feet", "26.5 meters or 87 feet", None, True, "an 'or' alternative in the gold"),
    ("Germany", "Germany (West Germany)", None, True, "the gold without its parenthesis"),
    ("West Germany", "Germany (West Germany)", None, True, "the parenthesised alias"),
    ("Paris or Lyon", "Paris", None, False, "hedging between candidates"),
    ("Sasha and Malia Obama", "Malia Obama and Sasha Obama", None, True, "the same words in another order"),
    ("University of Plymouth", "Plymouth University", None, True, "the same words in another order"),
    ("George Moscone", "George Joseph Moscone", None, True, "a partial name"),
    ("Abu Ishaq al-Andalusi", "Abu Ishaq al-Sahili", None, False, "a different surname"),
    ("Hyungwon Chung", "Hyung Won Chung", None, True, "a name spelt without a space"),
    ("Barak Obama", "Barack Obama", None, True, "a typo"),
    (
        "Warsaw",
        "The largest city of the 9th largest country in Europe is Warsaw.",
        "Which city?",
        True,
        "the key part of a sentence-long gold",
    ),
    (
        "9,162",
        "9,162 was the population of Shaftesbury in the 2021 census.",
        "population in 2021?",
        True,
        "the number of a sentence-long gold",
    ),
    ("-63C", "-63", None, True, "a number glued to its unit"),
    ("63", "-63", None, False, "the sign matters"),
    (
        "In 2021 it had 9,162 people",
        "9162",
        "What was the population in 2021?",
        True,
        "a number the question states is not a candidate",
    ),
    ("I don't know", "Paris", None, False, "abstention"),
    ("I'm not sure, but it could be 1981", "1981", None, False, "abstention with a guess"),
    ("", "Paris", None, False, "empty"),
    (None, "Paris", None, False, "no answer"),
    ("19.1", "19.1 billion dollars.", None, True, "the scale presumed by the question"),
    ("1.5 million", "1,500,000", None, True, "scale words"),
    ("12%", "12 percent", None, True, "percent sign"),
    ("Tom & Jerry", "Tom and Jerry", None, True, "ampersand"),
    (
        "\\n\\nThe film was released in 1939 and Prohibition ended in 1933. \\n\\n**Answer:** 6 years.'",
        "6 years",
        None,
        True,
        "a long agent output: the text after its answer marker",
    ),
    (
        "My first guess was 27, but after searching I found many facts about the two players, including dates, names "
        "and places, none of which matter here, and some which do. Ricardo played 8 games and Devon 6. In the end "
        "the total comes to 14 games.",
        "27",
        None,
        False,
        "a long output is graded on its final statement",
    ),
    ("Final answer: \\boxed{42}", "42", None, True, "a boxed answer"),
]


@pytest.mark.parametrize("answer, gold, question, expected, why", TRICKY, ids=[row[4] for row in TRICKY])
def test_tricky_answers_graded_by_hand(answer, gold, question, expected, why):
    assert answers.grade_short_answer(answer, gold, question) is expected


def test_normalisation_and_aliases_by_hand():
    assert answers.normalize_text("The 1,000 apples & twenty-five pears") == ("1000", "apples", "and", "25", "pears")
    assert answers.normalize_text("one hundred and five") == ("105",)
    assert answers.normalize_text("3rd of March 2001") == answers.normalize_text("March 3, 2001")
    assert answers.gold_alternatives("Charles Fox Bennett (Anti-Confederate)") == [
        "Charles Fox Bennett (Anti-Confederate)", "Charles Fox Bennett", "Anti-Confederate"]  # fmt: skip
    assert answers.gold_alternatives("1/2") == ["1/2"]  # a fraction is not two alternatives
    assert answers.gold_alternatives("cat / dog") == ["cat / dog", "cat", "dog"]


def test_extract_final_answer():
    assert answers.extract_final_answer("'Julie Bowen'") == "Julie Bowen"
    assert answers.extract_final_answer("The answer is: Paris\nbecause...") == "Paris"
    assert answers.extract_final_answer(None) is None and answers.extract_final_answer(float("nan")) is None
    long = " ".join(["word"] * 50) + ". It was Lyon."
    assert answers.extract_final_answer(long) == "It was Lyon."


def _judged(rows):
    frame = pd.DataFrame(rows, columns=["dataset", "model", "problem_id", "gold", "answer", "judge_verdict"])
    frame["question"] = "q"
    return frame


# judge CORRECT, CORRECT, INCORRECT, NOT_ATTEMPTED, INCORRECT; grader yes, no, no, no, yes (computed by hand)
AGREEMENT_ROWS = [
    ("frames", "m", "1", "Paris", "Paris", "CORRECT"),
    ("frames", "m", "2", "Rome", "Milan", "CORRECT"),
    ("frames", "m", "10", "1981", "1992", "INCORRECT"),
    ("simpleqa", "m", "0", "Ann", None, "NOT_ATTEMPTED"),
    ("simpleqa", "m", "1", "42", "42", "INCORRECT"),
]


def test_grader_agreement_by_hand():
    result = answers.grader_agreement(_judged(AGREEMENT_ROWS))
    overall = result["summary"].set_index(["dataset", "model"]).loc[("all", "all")]
    assert overall["n"] == 5 and overall["judge_accuracy"] == pytest.approx(0.4)
    assert overall["grader_accuracy"] == pytest.approx(0.4)
    assert overall["agreement"] == pytest.approx(0.6)
    # p_o = 0.6; p_e = 0.4 * 0.4 + 0.6 * 0.6 = 0.52; kappa = (0.6 - 0.52) / (1 - 0.52)
    assert overall["cohen_kappa"] == pytest.approx(0.08 / 0.48)
    confusion = result["confusion"].set_index(["dataset", "judge_correct", "grader_correct"])["n"]
    assert [confusion[("all", j, g)] for j, g in [(True, True), (True, False), (False, True), (False, False)]] == [
        1, 1, 1, 2]  # fmt: skip
    assert confusion[("frames", False, False)] == 1 and confusion[("simpleqa", False, True)] == 1
    by_verdict = result["by_verdict"].set_index(["dataset", "judge_verdict"])
    assert by_verdict.loc[("simpleqa", "INCORRECT"), "grader_correct"] == 1
    examples = result["disagreements"]
    assert examples[["problem_id", "disagreement"]].to_numpy().tolist() == [["1", "grader only"], ["2", "judge only"]]
    numeric = result["numeric_gold"].set_index("dataset")
    # judge-CORRECT rows with a one-number gold: none in frames ("Paris", "Rome"); none in simpleqa (judge said no)
    assert numeric.loc["all", "judge_correct_numeric_gold"] == 0 and pd.isna(numeric.loc["all", "share"])
    # frames problem ids sort as numbers: "10" after "2"
    frames_summary = result["summary"].set_index(["dataset", "model"]).loc[("frames", "m")]
    assert frames_summary["agreement"] == pytest.approx(2 / 3)


def test_numeric_gold_check_by_hand():
    rows = [("frames", "m", "1", "37th", "It ranks 11th.", "CORRECT"), ("frames", "m", "2", "12", "12 years", "CORRECT"),
            ("frames", "m", "3", "5", "four", "INCORRECT"), ("frames", "m", "4", "Paris", "Paris", "CORRECT")]  # fmt: skip
    numeric = answers.grader_agreement(_judged(rows))["numeric_gold"].set_index("dataset").loc["frames"]
    assert numeric["judge_correct_numeric_gold"] == 2 and numeric["answer_lacks_gold_number"] == 1
    assert numeric["share"] == pytest.approx(0.5)


def test_grader_agreement_rejects_bad_input():
    with pytest.raises(KeyError, match="judge_verdict"):
        answers.grader_agreement(_judged(AGREEMENT_ROWS).drop(columns="judge_verdict"))
    with pytest.raises(ValueError, match="no samples"):
        answers.grader_agreement(_judged([]))
    one_label = answers.grader_agreement(_judged([AGREEMENT_ROWS[2]]))["summary"]
    assert one_label["cohen_kappa"].isna().all()  # undefined with one label on both sides


def _runs():
    return pd.DataFrame({
        "run_id": ["r1", "r2"], "task": ["1", "2"], "suite": "frames", "architecture": "code-agent",
        "n_agents": 1, "model": "m", "seed": 0, "success": pd.array([pd.NA, pd.NA], dtype="boolean"),
        "gold": ["Paris", "1981"], "agent_output": ["'Paris'", "\\n\\nIt was 1992.'"],
    })  # fmt: skip


def test_label_runs_with_the_grader_and_with_verdicts():
    graded = answers.label_runs(_runs())
    assert graded["success"].tolist() == [True, False]
    assert graded["final_answer"].tolist() == ["Paris", "It was 1992."]
    assert (graded["success_source"] == answers.GRADER_SOURCE).all()
    judged = answers.label_runs(_runs(), verdicts=pd.Series({"r2": "CORRECT", "r1": "NOT_ATTEMPTED"}), source="j")
    assert judged["success"].tolist() == [False, True] and (judged["success_source"] == "j").all()
    with pytest.raises(KeyError, match="no verdict for run 'r2'"):
        answers.label_runs(_runs(), verdicts=pd.Series({"r1": "CORRECT"}))
    with pytest.raises(SchemaError, match="column 'task' is missing"):
        answers.label_runs(_runs().drop(columns="task"))


def test_parse_verdict():
    letters = {"A": "CORRECT", "B": "INCORRECT", "C": "NOT_ATTEMPTED"}
    assert answers.parse_verdict("A", letters) == "CORRECT"
    assert answers.parse_verdict(" b.", letters) == "INCORRECT"
    assert answers.parse_verdict("**C**", letters) == "NOT_ATTEMPTED"
    assert answers.parse_verdict("INCORRECT", letters) == "INCORRECT"
    assert answers.parse_verdict("Answer", letters) is None  # a word starting with A is not the letter A
    assert answers.parse_verdict("CORRECT or NOT_ATTEMPTED", letters) is None
    assert answers.parse_verdict(None, letters) is None


HAND_PROMPT = pd.Series({
    "system_prompt": "Grade the answer.", "verdict_letters": json.dumps({"A": "CORRECT", "B": "INCORRECT",
                                                                         "C": "NOT_ATTEMPTED"}),
    "user_template": "Here is a new example.\n```\nQuestion: {question}\nGold target: {target}\n"
                     "Predicted answer: {predicted}\n```\nReply A, B or C.",
    "judge_model": "judge-x", "max_tokens": 4,
})  # fmt: skip


def test_judge_messages_fill_the_template():
    messages = answers.judge_messages("Capital?", "Paris", "Lyon", HAND_PROMPT)
    assert messages[0] == {"role": "system", "content": "Grade the answer."}
    assert "Question: Capital?\nGold target: Paris\nPredicted answer: Lyon\n" in messages[1]["content"]


SIM_MODELS = [
    answers.simulated_judge_model("sim-judge", error_prob=0.0)
]  # served by the sim_url fixture (tests/conftest.py)


def test_judge_answers_on_the_simulated_endpoint(sim_url, tmp_path):
    frame = pd.DataFrame({"question": ["Capital of France?", "Year?", "Who?"], "gold": ["Paris", "1981", "Ann"],
                          "answer": ["It is Paris.", "1992", None]})  # fmt: skip
    with LLMClient(base_url=sim_url, cache_dir=tmp_path / "cache", prices={}) as client:
        judged = answers.judge_answers(client, frame, "sim-judge", prompt=HAND_PROMPT)
        assert client.stats["requests_sent"] == 2  # the row without an answer is not sent
    assert judged["judge_reply"].tolist()[:2] == ["A", "B"]
    assert judged["judge_verdict"].tolist() == ["CORRECT", "INCORRECT", "NOT_ATTEMPTED"]
    assert judged["judge_parsed"].tolist() == [True, True, False]
    assert judged["simulated"].tolist() == [True, True, False]
    with pytest.raises(KeyError, match="'gold'"):
        answers.judge_answers(None, frame.drop(columns="gold"), "sim-judge", prompt=HAND_PROMPT)


@pytest.mark.skipif(not os.environ.get(datasets.MIRROR_VARIABLE), reason="the authors' prompt needs the mirror")
def test_judge_answers_with_the_authors_prompt(sim_url, tmp_path):
    frame = pd.DataFrame({"question": ["Capital of France?"], "gold": ["Paris"], "answer": ["Lyon"]})
    with LLMClient(base_url=sim_url, cache_dir=tmp_path / "cache", prices={}) as client:
        judged = answers.judge_answers(client, frame, "sim-judge")
    assert judged["judge_verdict"].tolist() == ["INCORRECT"] and judged["simulated"].all()


def test_metrics_reexports_the_grader():
    assert metrics.grade_short_answer is answers.grade_short_answer
    assert metrics.grader_agreement is answers.grader_agreement


@pytest.mark.skipif(not os.environ.get(datasets.MIRROR_VARIABLE), reason="the bare-LLM files need the mirror")
def test_grader_against_the_authors_judge_on_the_bare_llm_files():
    samples = datasets.load("agentstop-llm-judged", "samples")
    result = answers.grader_agreement(samples)
    summary = result["summary"].set_index(["dataset", "model"])
    # two thirds of the judge's CORRECT verdicts on one-number FRAMES golds are for answers without that number
    frames_numeric = result["numeric_gold"].set_index("dataset").loc["frames"]
    assert (frames_numeric["judge_correct_numeric_gold"], frames_numeric["answer_lacks_gold_number"]) == (193, 127)
    assert summary.loc[("all", "all"), "n"] == 14420
    assert summary.loc[("frames", "qwen3-32b"), "judge_accuracy"] == pytest.approx(202 / 824)
    # regression guards for the grader (at this commit: SimpleQA kappa 0.87, FRAMES 0.58; FRAMES golds are
    # often sentences, and many of the judge's CORRECT verdicts there name another number than the gold)
    assert summary.loc[("simpleqa", "all"), "cohen_kappa"] > 0.8
    assert summary.loc[("frames", "all"), "cohen_kappa"] > 0.5
    assert (summary["grader_accuracy"] <= summary["judge_accuracy"] + 0.01).all()  # the grader is the stricter


@pytest.mark.skipif(not os.environ.get(datasets.MIRROR_VARIABLE), reason="the agent profile needs the mirror")
def test_label_runs_on_the_agent_profile(sim_url, tmp_path):
    runs = datasets.load("agentstop-frames-profile", "runs")
    labelled = answers.label_runs(runs)
    assert labelled["success"].notna().all() and len(labelled) == 824
    # regression guard (at this commit the grader accepts 110 runs: 97 finished early, 13 that hit the step cap)
    assert labelled["success"].sum() == 110
    assert labelled.loc[labelled["hit_step_cap"], "success"].sum() == 13
    first = labelled.iloc[:3]
    with LLMClient(base_url=sim_url, cache_dir=tmp_path / "cache", prices={}) as client:
        judged = answers.judge_answers(client, first, "sim-judge", answer_column="agent_output")
    relabelled = answers.label_runs(first, verdicts=judged.set_index(first["run_id"])["judge_verdict"], source="sim")
    assert relabelled["success"].tolist() == first["success"].tolist()  # the simulated judge runs the same grader
