"""AgentStop data sets: the pinned files (via the mirror) and small hand-made zipped CSVs with broken rows."""

import csv
import io
import json
import os
import re
import zipfile

import pandas as pd
import pytest

from agenteff import datasets
from agenteff.datasets import agentstop
from agenteff.schema import STEPS, SchemaError, validate

needs_data = pytest.mark.skipif(
    not os.environ.get(datasets.MIRROR_VARIABLE), reason="pinned files need the offline mirror (AGENTEFF_MIRROR)"
)

PROFILE, FRAMES = (re.escape(name) for name in (agentstop.PROFILE_FILE, agentstop.FRAMES_FILE))  # error sources

# The paper's bare-LLM FRAMES accuracies (%), reference README of the AgentStop study: 1.7B ... 32B
PAPER_FRAMES_ACCURACY = {
    "qwen3-1.7b": 9.5,
    "qwen3-4b": 12.5,
    "qwen3-8b": 18.4,
    "qwen3-14b": 18.9,
    "qwen3-30b": 16.5,
    "qwen3-32b": 24.5,
}


# --- real files -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def profile():
    if not os.environ.get(datasets.MIRROR_VARIABLE):
        pytest.skip("pinned files need the offline mirror (AGENTEFF_MIRROR)")
    return datasets.tables("agentstop-frames-profile")


@pytest.fixture(scope="module")
def judged():
    if not os.environ.get(datasets.MIRROR_VARIABLE):
        pytest.skip("pinned files need the offline mirror (AGENTEFF_MIRROR)")
    return datasets.tables("agentstop-llm-judged")


def test_profile_has_one_run_per_frames_question(profile):
    runs, steps, questions = profile["runs"], profile["steps"], profile["questions"]
    assert len(runs) == 824 and runs["task"].is_unique
    assert set(runs["task"]) == set(questions["problem_id"]) == {str(i) for i in range(824)}
    assert runs["success"].isna().all()  # no verdicts in the release
    assert runs[["suite", "architecture", "model"]].drop_duplicates().to_numpy().tolist() == [
        ["frames", "code-agent", "qwen3-1.7b"]
    ]
    by_question = questions.set_index("problem_id")
    assert (runs.set_index("task")["gold"] == by_question.loc[runs["task"], "gold"]).all()
    # steps: one per LLM call, numbered 0..n-1, their tokens adding up to the run's
    assert len(steps) == runs["n_steps"].sum() == 3662
    per_run = steps.groupby("run_id").agg(n=("step", "size"), last=("step", "max"), prompt=("prompt_tokens", "sum"))
    indexed = runs.set_index("run_id")
    assert (per_run["n"] == indexed.loc[per_run.index, "n_steps"]).all()
    assert (per_run["last"] + 1 == per_run["n"]).all()
    assert (per_run["prompt"] == indexed.loc[per_run.index, "prompt_tokens"]).all()
    # 212 runs used all 10 steps and the forced final-answer call (11 calls)
    assert runs["hit_step_cap"].sum() == 212 and runs["n_steps"].max() == 11
    assert (steps["kind"] == "LLM").all()
    # the run's energy covers its LLM calls and the tool time between them
    step_energy = steps.groupby("run_id")["energy_mwh"].sum()
    assert (indexed.loc[step_energy.index, "energy_mwh"] >= step_energy - 1e-9).all()


def test_profile_steps_carry_one_logprob_per_generated_token(profile):
    steps = profile["steps"]
    values = steps["logprobs"].map(json.loads)
    assert (values.map(len) == steps["tokens"].map(lambda t: len(json.loads(t)))).all()
    assert values.map(lambda v: all(x <= 0 for x in v)).all()
    # the end-of-generation token is mostly not logged; the forced final-answer call (step 10) logs other counts
    off = steps[~(values.map(len) - steps["completion_tokens"]).isin([-1, 0])]
    assert len(off) == 212 and (off["step"] == 10).sum() == 210
    first = profile["steps"].iloc[0]
    assert first["run_id"] == "frames/000/qwen3-1.7b" and first["prompt_tokens"] == 2144
    assert first["cached_tokens"] == 0 and first["completion_tokens"] == 234


def test_frames_question_metadata(profile):
    questions = profile["questions"]
    assert questions["n_wiki_links"].between(2, 11).all()
    assert questions["multiple_constraints"].sum() > questions["post_processing"].sum() > 0
    row = questions.set_index("problem_id").loc["0"]
    assert row["gold"] == "Jane Ballou" and row["reasoning_types"] == "Multiple constraints"
    assert row["n_wiki_links"] == len(json.loads(row["wiki_links"])) == 5


def test_judged_samples_counts_and_joins(judged, profile):
    samples = judged["samples"]
    counts = samples.groupby(["dataset", "model"]).size()
    assert counts["frames"].eq(824).all() and len(counts["frames"]) == 7  # six sizes + 30B-A3B-Instruct-2507
    assert counts["simpleqa"].to_dict() == {"qwen3-1.7b": 4326, "qwen3-30b-a3b-instruct-2507-q4_K_M": 4326}
    frames = samples[samples["dataset"] == "frames"]
    assert set(frames["problem_id"]) == set(profile["runs"]["task"])
    assert set(samples["judge_verdict"]) == set(agentstop.VERDICTS)
    assert (samples["correct"] == (samples["judge_verdict"] == "CORRECT")).all()
    assert (samples["method"] == "bare-llm").all()
    assert len(judged["simpleqa_questions"]) == 4326


def test_bare_frames_accuracies_match_the_paper(judged):
    samples = judged["samples"]
    accuracy = samples[samples["dataset"] == "frames"].groupby("model")["correct"].mean() * 100
    for model, paper in PAPER_FRAMES_ACCURACY.items():
        assert round(accuracy[model], 1) == paper, model
    assert accuracy["qwen3-1.7b"] == pytest.approx(78 / 824 * 100)


@needs_data
def test_judge_prompt_is_read_from_the_notebook():
    prompt = datasets.load("agentstop-judge-prompt").iloc[0]
    for field in ("{question}", "{target}", "{predicted}"):
        assert field in prompt["user_template"]
    assert json.loads(prompt["verdict_letters"]) == {"A": "CORRECT", "B": "INCORRECT", "C": "NOT_ATTEMPTED"}
    assert "gold target" in prompt["system_prompt"] and prompt["max_tokens"] == 4
    assert prompt["judge_model"].startswith("claude-haiku")


# --- hand-made files ------------------------------------------------------------------------------------


def _zip_csv(path, text: str, member="data.csv"):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(member, text)
    return path


def _csv_text(header, rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def _profile_row(question, steps):
    """A profile row: ``steps`` is a list of (prompt, cached, completion, energy, logprobs, tokens)."""
    row = {
        "question": question,
        "answer": "gold " + question,
        "agent_output": "'out'",
        "num_LLM_calls": len(steps),
        "duration_sec": 10.0,
        "energy_total_mWh": 100.0,
        "energy_cpu_mWh": 40.0,
        "energy_gpu_mWh": 60.0,
        "peak_process_mem_gb": 6.0,
        "logprobs": repr([s[4] for s in steps]),
        "tokens": repr([s[5] for s in steps]),
    }
    for k in range(11):
        step = steps[k] if k < len(steps) else None
        for column in agentstop._STEP_FIELDS:
            row[f"step_{k}_{column}"] = "" if step is None else 1.0
        row[f"step_{k}_kind"] = "" if step is None else "LLM"
        if step is not None:
            prompt, cached, completion, energy = step[:4]
            row.update(
                {
                    f"step_{k}_llm.token_count.prompt": prompt,
                    f"step_{k}_cached_count": cached,
                    f"step_{k}_llm.token_count.completion": completion,
                    f"step_{k}_energy_total_mWh": energy,
                }
            )
    return row


def _hand_made_files(tmp_path, profile_rows, profile_text=None):
    frames = _csv_text(
        ["Index", "Prompt", "Answer", "reasoning_types", "wiki_links"],
        [
            [0, "q0", "gold q0", "Numerical reasoning", "['https://a', 'https://b']"],
            [1, "q1", "gold q1", "Tabular reasoning | Temporal reasoning", "['https://c']"],
        ],
    )
    header = list(profile_rows[0])
    text = (
        profile_text if profile_text is not None else _csv_text(header, [[r[c] for c in header] for r in profile_rows])
    )
    return {
        agentstop.FRAMES_FILE: _zip_csv(tmp_path / "frames.csv.zip", frames),
        agentstop.PROFILE_FILE: _zip_csv(tmp_path / "profile.csv.zip", text),
    }


GOOD_ROWS = [
    _profile_row("q1", [(100, 0, 3, 5.0, [-0.5, 0.0, -1e-05], ["Thought", ":", " x"])]),
    _profile_row(
        "q0",
        [
            (100, 0, 2, 5.0, [-0.1, -0.2], ["<code", ">"]),
            (150, 100, 4, 7.5, [-0.3, -0.4, 0.0, -2.5], ["it's", ' "a"', "\\n", "é"]),
        ],
    ),
]


def test_hand_made_profile_is_parsed(tmp_path):
    produced = agentstop.parse_profile(_hand_made_files(tmp_path, GOOD_ROWS))
    runs, steps, questions = produced["runs"], produced["steps"], produced["questions"]
    assert runs["task"].tolist() == ["1", "0"]
    second = runs.iloc[1]
    assert second["run_id"] == "frames/000/qwen3-1.7b" and second["n_steps"] == 2
    assert (second["prompt_tokens"], second["cached_tokens"], second["completion_tokens"]) == (250, 100, 6)
    assert second["energy_mwh"] == 100.0 and not second["hit_step_cap"]
    assert steps["step"].tolist() == [0, 0, 1]
    assert json.loads(steps["logprobs"].iloc[2]) == [-0.3, -0.4, 0.0, -2.5]
    assert json.loads(steps["tokens"].iloc[2]) == ["it's", ' "a"', "\\n", "é"]
    assert steps["content"].iloc[2] == 'it\'s "a"\\né'
    assert steps["energy_mwh"].tolist() == [5.0, 5.0, 7.5]
    assert questions.set_index("problem_id").loc["1", "n_reasoning_types"] == 2
    assert bool(questions.set_index("problem_id").loc["1", "temporal_reasoning"])


@pytest.mark.parametrize(
    "column, bad, message",
    [
        ("logprobs", "[[-0.1, -0.2], [oops]]", "unexpected character 'o'"),
        ("logprobs", "[[-0.1, -0.2], [-0.3, -0.4, 0.0, -2.5]", "malformed list of lists of numbers"),
        ("logprobs", "[-0.1, [-0.2]]", "expected a list of lists of numbers"),
        (
            "tokens",
            "[['<code', '>'], ['a', 'b', 'c', 'd']] + [os.system('x')]",
            r"unexpected character '\+' at position 39",
        ),
        ("tokens", "[['<code', '>'], ['a', 'b', 'c', 'd'", "malformed list of lists of strings"),
        ("tokens", "[['<code', '>'], [s, 'b', 'c', 'd']]", "unexpected character 's' at position 18"),
        ("tokens", "[['<code', '>'], ['a', 'b', 'c', 'd\\']]", "unexpected character"),
        ("num_LLM_calls", "two", "expected a number"),
        ("num_LLM_calls", "3", "must agree"),
    ],
)
def test_malformed_cell_is_named_by_row_and_column(tmp_path, column, bad, message):
    rows = [dict(r) for r in GOOD_ROWS]
    rows[1][column] = bad
    with pytest.raises(SchemaError, match=rf"{PROFILE}:data\.csv: row 2, column '{column}': .*{message}"):
        agentstop.parse_profile(_hand_made_files(tmp_path, rows))


def test_row_truncated_inside_a_quoted_literal(tmp_path):
    header = list(GOOD_ROWS[0])
    text = _csv_text(header, [[r[c] for c in header] for r in GOOD_ROWS])
    cut = text.index("-0.3, -0.4")  # inside row 2's logprobs cell, which is quoted (it holds commas)
    with pytest.raises(SchemaError, match=r"row 2, column 'logprobs': the row breaks off"):
        agentstop.parse_profile(_hand_made_files(tmp_path, GOOD_ROWS, profile_text=text[:cut]))


def test_row_truncated_at_a_field_boundary(tmp_path):
    header = list(GOOD_ROWS[0])
    text = _csv_text(header, [[r[c] for c in header] for r in GOOD_ROWS])
    last_line = text.rstrip("\n").rsplit("\n", 1)[1]
    kept = ",".join(next(csv.reader([last_line]))[:5])  # row 2 stops after its fifth field
    text = text[: text.rindex(last_line)] + kept + "\n"
    with pytest.raises(SchemaError, match=rf"row 2, column '{header[5]}': the row is truncated \(5 of "):
        agentstop.parse_profile(_hand_made_files(tmp_path, GOOD_ROWS, profile_text=text))


def test_unknown_question_and_bad_archive(tmp_path):
    rows = [dict(r) for r in GOOD_ROWS]
    rows[0]["question"] = "not a FRAMES question"
    with pytest.raises(SchemaError, match="row 1, column 'question': question is not in the FRAMES"):
        agentstop.parse_profile(_hand_made_files(tmp_path, rows))
    (tmp_path / "broken.zip").write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(SchemaError, match="broken.zip: not a readable zip archive"):
        agentstop.read_zipped_csv(tmp_path / "broken.zip")


def _judged_files(tmp_path, verdict="CORRECT"):
    frames = _csv_text(
        ["Index", "Prompt", "Answer", "qwen3:1.7b", "qwen3:1.7b_eval"],
        [[0, "q0", "Paris", "It is Paris.", verdict], [1, "q1", "1,000", "", "NOT_ATTEMPTED"]],
    )
    frames30 = _csv_text(
        [
            "Unnamed: 0",
            "Prompt",
            "Answer",
            "qwen3:30b-a3b-instruct-2507-q4_K_M",
            "qwen3:30b-a3b-instruct-2507-q4_K_M_eval",
        ],
        [[0, "q0", "Paris", "Lyon", "INCORRECT"], [1, "q1", "1,000", "1000", "CORRECT"]],
    )
    files = {
        agentstop.FRAMES_FILE: _zip_csv(tmp_path / "f.zip", frames),
        agentstop.FRAMES_30B_FILE: _zip_csv(tmp_path / "f30.zip", frames30),
    }
    for name, model, answer in zip(
        agentstop.SIMPLEQA_FILES, ["qwen3:1.7b", "qwen3:30b-a3b-instruct-2507-q4_K_M"], ["Ann", "Bob"]
    ):
        simple = _csv_text(
            ["metadata", "problem", "answer", model, f"{model}_eval"],
            [
                [
                    "{'topic': 'Art', 'answer_type': 'Person', 'urls': ['u1', 'u2']}",
                    "who?",
                    "Ann",
                    answer,
                    "CORRECT" if answer == "Ann" else "INCORRECT",
                ]
            ],
        )
        files[name] = _zip_csv(tmp_path / f"{answer}.zip", simple)
    return files


def test_hand_made_judged_files(tmp_path):
    produced = agentstop.parse_llm_judged(_judged_files(tmp_path))
    samples = produced["samples"]
    assert len(samples) == 2 + 2 + 1 + 1
    frames = samples[samples["dataset"] == "frames"].set_index(["model", "problem_id"])
    assert bool(frames.loc[("qwen3-1.7b", "0"), "correct"])
    assert pd.isna(frames.loc[("qwen3-1.7b", "1"), "answer"])
    assert frames.loc[("qwen3-30b-a3b-instruct-2507-q4_K_M", "1"), "judge_verdict"] == "CORRECT"
    assert frames.loc[("qwen3-1.7b", "1"), "gold"] == "1,000"
    assert samples[samples["dataset"] == "simpleqa"]["correct"].tolist() == [True, False]
    simple = produced["simpleqa_questions"].iloc[0]
    assert (simple["topic"], simple["answer_type"], simple["n_urls"]) == ("Art", "Person", 2)


def test_unknown_verdict_is_named(tmp_path):
    with pytest.raises(SchemaError, match=rf"{FRAMES}:data\.csv: row 1, column 'qwen3:1.7b_eval': verdict 'MAYBE'"):
        agentstop.parse_llm_judged(_judged_files(tmp_path, verdict="MAYBE"))


def test_judge_prompt_parser_needs_every_part(tmp_path):
    cell = {
        "cell_type": "code",
        "source": [
            'USER_PROMPT = """Q: {question} T: {target} P: {predicted}""".strip()\n',
            'SYSTEM_PROMPT = "grade it"\n',
            'MODEL_ID = "judge-1"\n',
            'answer_mapping = {"A": "CORRECT", "B": "INCORRECT", "C": "NOT_ATTEMPTED"}\n',
            "client.create(max_tokens=4)\n",
        ],
    }
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps({"cells": [{"cell_type": "code", "source": "%pip install x"}, cell]}))
    prompt = agentstop.parse_judge_prompt({agentstop.JUDGE_NOTEBOOK: path})["judge_prompt"].iloc[0]
    assert prompt["user_template"] == "Q: {question} T: {target} P: {predicted}" and prompt["cell"] == 1
    cell["source"] = cell["source"][1:]
    path.write_text(json.dumps({"cells": [cell]}))
    with pytest.raises(SchemaError, match="could not find \\['user_template'\\]"):
        agentstop.parse_judge_prompt({agentstop.JUDGE_NOTEBOOK: path})


# --- the float_list column kind -------------------------------------------------------------------------


def _steps_with(logprobs):
    return pd.DataFrame(
        {
            "run_id": ["r", "r"],
            "step": [0, 1],
            "agent_id": "a",
            "role": "single",
            "round": 0,
            "turn": [0, 1],
            "logprobs": logprobs,
        }
    )


def test_logprobs_column_is_validated():
    table = validate(_steps_with(["[-0.5, 0]", None]), STEPS)
    assert table["logprobs"].iloc[0] == "[-0.5, 0]" and pd.isna(table["logprobs"].iloc[1])
    for bad, message in [
        ("[-0.5, 0.2]", r"element 1 \(0\.2\) is not a finite number in \[-inf, 0\]"),
        ("[-0.5, NaN]", "element 1 .* not a finite number"),
        ("-0.5", "expected a JSON list of numbers"),
        ("[[-0.5]]", "expected a JSON list of numbers"),
        ('["a"]', "expected a JSON list of numbers"),
        ("[-0.5,", "expected a JSON list of numbers"),
    ]:
        with pytest.raises(SchemaError, match=rf"steps.csv: row 2, column 'logprobs': {message}"):
            validate(_steps_with(["[]", bad]), STEPS, source="steps.csv")


def test_judged_files_must_list_the_same_questions(tmp_path):
    files = _judged_files(tmp_path)
    other = _csv_text(["Unnamed: 0", "Prompt", "Answer", "qwen3:30b-a3b-instruct-2507-q4_K_M",
                       "qwen3:30b-a3b-instruct-2507-q4_K_M_eval"],
                      [[0, "q0", "Paris", "Lyon", "INCORRECT"], [1, "another", "1,000", "1000", "CORRECT"]])  # fmt: skip
    files[agentstop.FRAMES_30B_FILE] = _zip_csv(tmp_path / "other.zip", other)
    with pytest.raises(SchemaError, match=r"row 2, column 'Prompt': question differs from"):
        agentstop.parse_llm_judged(files)
    files[agentstop.FRAMES_30B_FILE] = _zip_csv(tmp_path / "short.zip", other.rsplit("\n", 2)[0] + "\n")
    with pytest.raises(SchemaError, match="1 questions, .* has 2"):
        agentstop.parse_llm_judged(files)
