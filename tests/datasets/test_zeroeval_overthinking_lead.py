import json
import os

import pandas as pd
import pytest

from agenteff import datasets
from agenteff.datasets import lead, overthinking, zeroeval
from agenteff.datasets.zeroeval import first_complete_json, zeroeval_protocol

HAS_MIRROR = bool(os.environ.get(datasets.MIRROR_VARIABLE))


# --- the ZeroEval protocol, case by case ------------------------------------------------------------------


def test_first_complete_json_takes_only_the_first_object():
    assert first_complete_json('x {"a": {"b": 1}} {"c": 2}') == {"a": {"b": 1}}
    assert first_complete_json('{"a": "line\nbreak"}') == {"a": "linebreak"}  # newlines removed before decoding
    assert first_complete_json('{"a": \\frac} {"answer": "1"}') is None  # the first object does not decode
    assert first_complete_json("} no object {") is None


@pytest.mark.parametrize(
    "output, gold, answer, correct",
    [
        ('{"reasoning": "r", "answer": "6\\\\sqrt{2}"}', "6", "6\\sqrt{2}", True),  # first number only
        ('{"reasoning": "r", "answer": "3/4"}', "0.75", "3/4", True),  # a plain fraction is evaluated
        ('{"reasoning": "r", "answer": "$1,000"}', "1000", "$1,000", True),  # $ and commas dropped
        ('{"reasoning": "r", "answer": "\\\\frac{1}{2}"}', "0.5", "\\frac{1}{2}", False),  # LaTeX is not evaluated
        ('{"reasoning": "r", "answer": "-4, 1"}', "-4", "-4, 1", True),
        ('{"reasoning": "r", "answer": "x"}', "3", "x", False),
        ('{"reasoning": "r", "answer": 12}', "#12", "12", True),  # '#' stripped from the gold answer
    ],
)
def test_zeroeval_protocol(output, gold, answer, correct):
    graded = zeroeval_protocol(output, gold)
    assert (graded["answer"], graded["correct"], graded["found_by"]) == (answer, correct, "json")
    assert graded["reasoning_chars"] == 1


def test_zeroeval_protocol_fallbacks():
    broken = '{"reasoning": "uses \\frac{1}{2}", "answer": "7"}'  # \f decodes, but \s would not: use a bad escape
    broken = broken.replace("\\frac", "\\q")
    graded = zeroeval_protocol(broken, "7")
    assert (graded["found_by"], graded["answer"], graded["correct"]) == ("pattern", "7", True)
    assert graded["reasoning_chars"] == len("uses \\q{1}{2}")
    unquoted = zeroeval_protocol("answer: 5, done", "5")
    assert (unquoted["found_by"], unquoted["answer"], unquoted["correct"]) == ("pattern", "5", True)
    boxed = "The final answer is $\\boxed{36}$"
    assert zeroeval_protocol(boxed, "36", model="Meta-Llama-3.1-8B-Instruct")["found_by"] == "boxed"
    assert zeroeval_protocol(boxed, "36", model="gpt-4o")["found_by"] == "none"
    negative = zeroeval_protocol("$\\boxed{-1}$", "-1", model="Meta-Llama-3.1-8B-Instruct")  # \w+ has no minus
    assert (negative["answer"], negative["correct"], negative["reasoning_chars"]) == (None, False, None)


# --- parsers on hand-made files ---------------------------------------------------------------------------


def _zeroeval_files(tmp_path, models):
    files = {}
    for name, outputs in models.items():
        items = [
            {"id": i, "problem": f"p{i}", "answer": gold, "output": [out]} for i, (out, gold) in enumerate(outputs)
        ]
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(items))
        files[f"result_dirs/math-l5/{name}.json"] = path
    summary = [
        {
            "Model": zeroeval._SUMMARY_NAMES.get(n, n),
            "Mode": "greedy",
            "Acc": "50.00",
            "No answer": "0.00",
            "Total": 2,
            "Reason Lens": "1.00",
        }
        for n in models
    ]
    (tmp_path / "summary.json").write_text(json.dumps(summary))
    files["result_dirs/math-l5.summary.json"] = tmp_path / "summary.json"
    return files


def test_zeroeval_parse(tmp_path):
    files = _zeroeval_files(
        tmp_path,
        {
            "o1-mini-2024-09-12": [('{"reasoning": "ab", "answer": "3"}', "3"), ("no json", "4")],
            "Meta-Llama-3.1-405B-Instruct@hyperbolic": [
                ('{"reasoning": "", "answer": "2"}', "3"),
                ('{"reasoning": "abc", "answer": "4"}', "4"),
            ],
        },
    )
    tables = zeroeval.parse(files)
    assert list(tables) == ["samples", "summary"]
    samples = tables["samples"]
    assert set(samples["model"]) == {"o1-mini-2024-09-12", "Llama-3.1-405B-Inst@hyperbolic"}  # renamed as summary
    o1 = samples[samples["model"] == "o1-mini-2024-09-12"]
    llama = samples[samples["model"] == "Llama-3.1-405B-Inst@hyperbolic"]
    assert o1["correct"].tolist() == [True, False] and llama["correct"].tolist() == [False, True]
    assert o1["reasoning_chars"].iloc[0] == 2 and pd.isna(o1["reasoning_chars"].iloc[1])  # no answer, no length
    assert o1["answer"].isna().tolist() == [False, True]
    assert samples.groupby("model")["reasoning_model"].first().to_dict() == {
        "Llama-3.1-405B-Inst@hyperbolic": False,
        "o1-mini-2024-09-12": True,
    }
    assert tables["summary"]["accuracy"].tolist() == [50.0, 50.0]


def test_zeroeval_parse_rejects_a_model_missing_from_the_summary(tmp_path):
    files = _zeroeval_files(tmp_path, {"a": [('{"answer": "1"}', "1")]})
    (tmp_path / "summary.json").write_text(json.dumps([]))
    with pytest.raises(ValueError, match="no row"):
        zeroeval.parse(files)


def test_overthinking_parse_drops_the_repeated_lines(tmp_path):
    record = {
        "problem": "1+1",
        "response": "2. or 2",
        "expected_answer": "2",
        "correct": True,
        "split_solutions": [
            {"solution": "2.", "correct": True, "cluster": 0},
            {"solution": " or 2", "correct": True, "cluster": 0},
        ],
    }
    other = {
        **record,
        "problem": "2+2",
        "response": "5",
        "correct": False,
        "split_solutions": [{"solution": "5", "correct": False, "cluster": 0}],
    }
    path = tmp_path / "demo.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in [record, record, other]) + "\n")
    tables = overthinking.parse({overthinking.FILE: path})
    assert tables["responses"]["copies_in_file"].tolist() == [2, 1]
    assert tables["rounds"]["chars"].tolist() == [2, 5, 1]
    assert tables["rounds"]["problem_id"].tolist() == ["0", "0", "1"]


def test_lead_parse(tmp_path):
    raw = pd.DataFrame(
        {
            "data_source": ["s", "s"],
            "prompt": [[{"role": "user", "content": "What is 1+1?"}], [{"role": "user", "content": "Half of 1?"}]],
            "ability": ["math", "math"],
            "reward_model": [{"ground_truth": "2", "style": "rule"}, {"ground_truth": "\\frac12", "style": "rule"}],
            "extra_info": [{"index": 0, "split": "test"}, {"index": 1, "split": "test"}],
        }
    )
    path = tmp_path / "test.parquet"
    raw.to_parquet(path)
    problems = lead.parse({lead.FILE: path})["problems"]
    assert problems["problem_id"].tolist() == ["0", "1"]
    assert problems["gold"].tolist() == ["2", "\\frac12"]
    assert problems["prompt"].iloc[0] == "What is 1+1?"


# --- the real files ---------------------------------------------------------------------------------------


@pytest.mark.skipif(not HAS_MIRROR, reason="needs the data mirror (AGENTEFF_MIRROR)")
def test_zeroeval_protocol_reproduces_the_published_summary():
    tables = datasets.tables("zeroeval-math-l5")
    samples, summary = tables["samples"], tables["summary"]
    assert len(summary) == 40 and samples["model"].nunique() == 40
    ours = samples.groupby("model").agg(
        accuracy=("correct", "mean"), chars=("reasoning_chars", "mean"), total=("correct", "size")
    )
    merged = summary.merge(ours.add_suffix("_ours").reset_index(), on="model")
    within = (merged["accuracy"] - 100 * merged["accuracy_ours"]).abs() <= 0.5
    assert within.sum() >= 35
    assert (merged["total"] == merged["total_ours"]).all()
    assert ((merged["reasoning_chars"] - merged["chars_ours"]).abs() <= 0.01).sum() >= 35
    # one problem id means one problem across the models
    assert samples.groupby("problem_id")["problem"].nunique().max() == 1


@pytest.mark.skipif(not HAS_MIRROR, reason="needs the data mirror (AGENTEFF_MIRROR)")
def test_real_overthinking_and_lead_files():
    demo = datasets.tables("overthinking-demo")
    assert len(demo["responses"]) == 5 and demo["responses"]["copies_in_file"].sum() == 20
    assert len(demo["rounds"]) == 20
    assert len(datasets.load("lead-math-test")) == 500
