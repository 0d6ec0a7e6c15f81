"""The recorded samples of a real model: the problem generator, the recorder, the loader and the committed data."""

import re

import pandas as pd
import pytest

from agenteff import datasets, paths
from agenteff.datasets import recorded
from agenteff.engines import sampling
from agenteff.llm import sim_server
from agenteff.metrics import grading
from agenteff.schema import SchemaError

OPERATIONS = {
    "buys": lambda a, b: a + b,
    "gives": lambda a, b: a - b,
    "bags": lambda a, b: a * b,
    "plus": lambda a, b: a + b,
}


def test_arithmetic_problems_are_fixed_by_the_seed_and_their_answers_follow_from_the_text():
    problems = sampling.arithmetic_problems(12, seed=7)
    pd.testing.assert_frame_equal(problems, sampling.arithmetic_problems(12, seed=7))
    assert not problems["prompt"].equals(sampling.arithmetic_problems(12, seed=8)["prompt"])
    assert problems["problem_id"].tolist()[:3] == ["a000", "a001", "a002"]
    for prompt, gold in zip(problems["prompt"], problems["gold"]):
        a, b = (int(x) for x in re.findall(r"\d+", prompt))
        (operation,) = [word for word in OPERATIONS if f" {word} " in prompt]
        assert int(gold) == OPERATIONS[operation](a, b) >= 0
        assert prompt.endswith("Put the final number inside \\boxed{}.")
    # the four kinds cycle, so 12 problems hold three of each
    kinds = problems["prompt"].map(lambda p: next(w for w in OPERATIONS if f" {w} " in p))
    assert kinds.value_counts().tolist() == [3, 3, 3, 3]


@pytest.mark.parametrize("n", [0, -3, 2.5])
def test_nonsense_problem_counts_are_refused(n):
    with pytest.raises(ValueError, match="positive integer"):
        sampling.arithmetic_problems(n)


def _write(tmp_path, rows: list[dict]):
    path = tmp_path / "samples.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return recorded.parse_samples({recorded.SAMPLES_FILE: path})["samples"]


ROW = {
    "dataset": "arithmetic-words",
    "problem_id": "a000",
    "model": "m",
    "method": "sample k=2 T=0.8",
    "sample_index": 0,
    "output": "It is \\boxed{12}",
    "completion_tokens": 7,
    "reasoning_tokens": None,
    "answer": "12",
    "gold": "12",
    "correct": True,
    "prompt": "What is 6 plus 6?",
    "temperature": 0.8,
    "max_tokens": 64,
    "request_seed": 0,
    "finish_reason": "stop",
    "simulated": False,
}


def test_the_loader_keeps_answers_as_text_and_empty_fields_as_missing(tmp_path):
    table = _write(
        tmp_path,
        [
            ROW,
            {
                **ROW,
                "sample_index": 1,
                "request_seed": 1,
                "answer": "",
                "gold": "012",
                "correct": False,
                "finish_reason": "length",
            },
        ],
    )
    assert table["gold"].tolist() == ["12", "012"]  # text, not numbers
    assert table["answer"].isna().tolist() == [False, True]
    assert table["correct"].tolist() == [True, False]
    assert table["max_tokens"].tolist() == [64, 64]


def test_the_loader_names_the_file_row_and_column_of_bad_data(tmp_path):
    with pytest.raises(SchemaError, match=r"samples\.csv.*completion_tokens"):
        _write(tmp_path, [{**ROW, "completion_tokens": -5}])
    with pytest.raises(SchemaError, match="prompt"):
        _write(tmp_path, [{k: v for k, v in ROW.items() if k != "prompt"}])


def test_record_samples_writes_a_table_the_loader_reads_back(tmp_path):
    # the simulated reasoner cannot look these problems up: a real round trip of requests, no right answers
    model = sampling.reasoner_model()
    target = tmp_path / "out" / "samples.csv"
    with sim_server([model]) as url:
        written = sampling.record_samples(
            target,
            url,
            model.name,
            n_problems=3,
            k=2,
            temperature=0.5,
            max_tokens=32,
            seed=1,
            cache_dir=tmp_path / "cache",
        )
    loaded = recorded.parse_samples({recorded.SAMPLES_FILE: target})["samples"]
    assert len(loaded) == 6 and loaded["sample_index"].tolist() == [0, 1] * 3
    assert loaded["request_seed"].tolist() == loaded["sample_index"].tolist()
    assert set(loaded["temperature"]) == {0.5} and set(loaded["max_tokens"]) == {32}
    assert loaded["simulated"].all() and not loaded["correct"].any()
    assert loaded["prompt"].tolist()[::2] == sampling.arithmetic_problems(3, seed=1)["prompt"].tolist()
    assert written["problem_id"].tolist() == loaded["problem_id"].tolist()


def test_recording_at_temperature_zero_is_refused(tmp_path):
    with pytest.raises(ValueError, match="temperature"):
        sampling.record_samples(tmp_path / "x.csv", "http://127.0.0.1:9/v1", "m", temperature=0.0)


def test_the_committed_recording_matches_its_settings_its_problems_and_its_grades():
    table = datasets.load("smollm2-135m-samples")
    settings = sampling.RECORDING
    assert len(table) == settings["n_problems"] * settings["k"]
    assert not table["simulated"].any() and set(table["model"]) == {"smollm2-135m-instruct"}
    assert set(table["temperature"]) == {settings["temperature"]} and set(table["max_tokens"]) == {
        settings["max_tokens"]
    }
    problems = sampling.arithmetic_problems(settings["n_problems"], settings["seed"])
    by_id = table.groupby("problem_id")
    assert sorted(by_id.groups) == problems["problem_id"].tolist()
    assert all(sorted(group["sample_index"]) == list(range(settings["k"])) for _, group in by_id)
    merged = table.merge(problems, on="problem_id", suffixes=("", "_generated"))
    assert (merged["prompt"] == merged["prompt_generated"]).all() and (merged["gold"] == merged["gold_generated"]).all()
    regraded = [
        grading.grade(output, gold)["correct"] for output, gold in zip(table["output"].fillna(""), table["gold"])
    ]
    assert regraded == table["correct"].tolist()


def test_the_card_names_model_server_settings_and_the_command():
    card = (paths.data_dir() / "recorded" / "README.md").read_text()
    for needed in (
        "SmolLM2-135M-Instruct",
        "Q4_1",
        "llama-cpp-python==0.3.36",
        "python -m agenteff record-samples",
        "-np 4",
        "smollm2_135m_samples.csv",
        "lead-math-test",
    ):
        assert needed in card
    for name, value in sampling.RECORDING.items():
        assert f"`{name}` = {value:g}" in card
