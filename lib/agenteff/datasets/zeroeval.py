"""ZeroEval MATH level-5 outputs: 40 models x 721 problems, graded under the repository's own protocol.

Source: Lin et al., ZeroEval (github.com/yuchenlin/ZeroEval), ``result_dirs/math-l5/<model>.json`` (one greedy
output per problem, the model asked to answer in a JSON object with ``reasoning`` and ``answer`` fields) and
``result_dirs/math-l5.summary.json`` (each model's accuracy, share without an answer, and mean reasoning length in
characters).

:func:`zeroeval_protocol` re-implements the repository's published grading rule (``src/evaluation/math_eval.py``
with the helpers of ``eval_utils.py``), so its verdicts can be checked against the summary:

1. the answer is the ``answer`` field of the first complete top-level ``{...}`` object in the output, decoded as
   JSON after removing newlines; if that object does not decode or has no ``answer``, the ``"answer": "..."``
   (or unquoted ``answer: value``) pattern is searched for; for Llama-3.1 models a ``\\boxed{word}`` is the last
   resort;
2. both answers lose ``$`` signs and commas (meant for thousands separators), and an answer containing ``/`` is
   evaluated as arithmetic when it is plain arithmetic (``3/4`` -> ``0.75``);
3. the answer is correct when the first number in it equals the first number in the gold answer.

The reasoning length is the number of characters of the ``reasoning`` field, averaged over the outputs with an
answer, as in the summary. A first-number match is not mathematical equivalence (``2\\sqrt{3}`` matches ``2``);
:mod:`agenteff.metrics.grading` holds the strict grader the study compares it with.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from ..arithmetic import evaluate_arithmetic
from ..schema import SAMPLES, Column, Schema, validate

__all__ = ["parse", "zeroeval_protocol", "first_complete_json", "protocol_vs_summary", "SUMMARY", "REASONING_MODELS"]

DATASET = "zeroeval-math-l5"
RESULTS_DIR = "result_dirs/math-l5/"
SUMMARY_FILE = "result_dirs/math-l5.summary.json"

#: Models that reason before answering (hidden chain of thought billed as reasoning tokens). The data holds only
#: their visible output, so their ``reasoning`` field is a summary, not the hidden trace.
REASONING_MODELS = ("o1-mini-2024-09-12", "o1-preview-2024-09-12")

# The repository renames one result file when it writes its summary (``model_name_replacement`` in eval_utils.py).
_SUMMARY_NAMES = {"Meta-Llama-3.1-405B-Instruct@hyperbolic": "Llama-3.1-405B-Inst@hyperbolic"}

SUMMARY = Schema(
    "zeroeval_summary",
    (
        Column("model", "str", doc="model name as the summary spells it"),
        Column("mode", "str", doc="decoding mode (greedy)"),
        Column("accuracy", "float", minimum=0, maximum=100, doc="published accuracy, % of all items"),
        Column("no_answer", "float", minimum=0, maximum=100, doc="published share of items without an answer, %"),
        Column("total", "int", minimum=1, doc="items in the model's result file"),
        Column("reasoning_chars", "float", minimum=0, doc="published mean characters of the reasoning field"),
    ),
    unique=("model",),
    doc="The repository's own accuracy summary of math-l5 (result_dirs/math-l5.summary.json).",
)


def first_complete_json(text: str):
    """The first complete top-level ``{...}`` object in ``text``, decoded after removing newlines, else None.

    Braces are matched by depth only (braces inside strings count too), and only the first balanced object is
    tried: if it does not decode the result is None, as in the repository's ``extract_first_complete_json``.
    """
    depth = 0
    start = None
    for position, char in enumerate(text):
        if char == "{":
            if depth == 0:
                start = position
            depth += 1
        elif char == "}" and depth > 0:
            depth -= 1
            if depth == 0:
                try:
                    return json.loads(text[start : position + 1].replace("\n", ""))
                except json.JSONDecodeError:
                    return None
    return None


def _field_by_pattern(text: str, key: str) -> str | None:
    """``"key": "value"`` by regular expression, for outputs whose JSON does not decode (unescaped quotes, LaTeX)."""
    for pattern, flags in (
        (rf'"{key}"\s*:\s*"([^"]*?)"', 0),
        (rf'"{key}"\s*:\s*"(.*?)"', re.DOTALL),
        (rf'"{key}"\s*:\s*([^,\s]*)', 0),
        (rf"{key}\s*:\s*([^,\s]*)", 0),
    ):
        match = re.search(pattern, text, flags)
        if match:
            return match.group(1)
    return None


_BOXED_WORD = re.compile(r"\\boxed{([\w\d]+)}")


def _extract(output: str, model: str) -> tuple[str | None, object, str]:
    """(answer, reasoning, how the answer was found) under the repository's rules."""
    found = first_complete_json(output)
    if isinstance(found, dict) and "answer" in found:
        return str(found["answer"]), found.get("reasoning", ""), "json"
    answer = _field_by_pattern(output, "answer")
    reasoning = _field_by_pattern(output, "reasoning")
    if answer is not None:
        return answer, reasoning if reasoning is not None else "", "pattern"
    if "Llama-3.1" in model and "boxed" in output:  # the repository's model-specific last resort
        match = _BOXED_WORD.search(output)
        if match:
            return match.group(1), reasoning if reasoning is not None else "", "boxed"
    return None, "", "none"


def _sanitize(answer: str) -> str:
    """Drop ``$`` and commas; evaluate an answer with ``/`` when it is plain arithmetic (``3/4`` -> ``0.75``)."""
    answer = answer.replace("$", "").strip().replace(",", "")
    if "/" in answer:
        try:
            answer = str(float(evaluate_arithmetic(answer)))
        except ValueError:
            pass
    return answer


_FIRST_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def _length(reasoning) -> int:
    """Characters of a text field (elements, when a model wrote a list or object instead of a string)."""
    return len(reasoning) if isinstance(reasoning, (str, list, dict)) else len(str(reasoning))


def zeroeval_protocol(output: str, gold: str, model: str = "") -> dict:
    """Grade one output under the repository's protocol (see the module docstring).

    Returns ``answer`` (the raw extracted answer or None), ``found_by`` (json / pattern / boxed / none),
    ``reasoning_chars`` (None without an answer) and ``correct``.
    """
    answer, reasoning, found_by = _extract(output, model)
    if answer is None:
        return {"answer": None, "found_by": found_by, "reasoning_chars": None, "correct": False}
    predicted = _FIRST_NUMBER.search(_sanitize(answer))
    expected = _FIRST_NUMBER.search(_sanitize(gold.replace("#", "").strip()))
    correct = bool(predicted and expected and float(predicted.group()) == float(expected.group()))
    return {"answer": answer, "found_by": found_by, "reasoning_chars": _length(reasoning), "correct": correct}


def _model_samples(path: Path, model: str) -> pd.DataFrame:
    items = json.loads(path.read_text(encoding="utf-8"))
    rows = []
    for item in items:
        output = item["output"][0]
        graded = zeroeval_protocol(output, item["answer"], model=path.stem)
        rows.append(
            {
                "dataset": DATASET,
                "problem_id": str(item["id"]),
                "model": model,
                "method": "greedy",
                "sample_index": 0,
                "output": output,
                "completion_tokens": None,
                "reasoning_tokens": None,
                "answer": graded["answer"],
                "gold": item["answer"],
                "correct": graded["correct"],
                "problem": item["problem"],
                "reasoning_chars": graded["reasoning_chars"],
                "answer_found_by": graded["found_by"],
                "reasoning_model": model in REASONING_MODELS,
            }
        )
    return pd.DataFrame(rows)


def _summary(path: Path) -> pd.DataFrame:
    rows = json.loads(path.read_text(encoding="utf-8"))
    frame = pd.DataFrame(
        {
            "model": [r["Model"] for r in rows],
            "mode": [r["Mode"] for r in rows],
            "accuracy": [r["Acc"] for r in rows],
            "no_answer": [r["No answer"] for r in rows],
            "total": [r["Total"] for r in rows],
            "reasoning_chars": [r["Reason Lens"] for r in rows],
        }
    )
    return validate(frame, SUMMARY, source=path)


def parse(files: dict[str, Path]) -> dict[str, pd.DataFrame]:
    """``samples`` (SAMPLES schema, graded by the repository's protocol) and ``summary`` (its published table)."""
    summary = _summary(files[SUMMARY_FILE])
    results = {p: f for p, f in files.items() if p.startswith(RESULTS_DIR) and p.endswith(".json")}
    frames = []
    for repo_path in sorted(results):
        stem = Path(repo_path).stem
        model = _SUMMARY_NAMES.get(stem, stem)
        if model not in set(summary["model"]):
            raise ValueError(f"{results[repo_path]}: model {model!r} has no row in {SUMMARY_FILE}")
        frames.append(_model_samples(results[repo_path], model))
    samples = pd.concat(frames, ignore_index=True)
    samples["reasoning_chars"] = samples["reasoning_chars"].astype("Int64")
    samples = validate(samples, SAMPLES, source=f"{DATASET}:{RESULTS_DIR}")
    return {"samples": samples, "summary": summary}


def protocol_vs_summary(samples: pd.DataFrame, summary: pd.DataFrame, tolerance: float = 0.5) -> pd.DataFrame:
    """Per model: the summary's accuracy and mean reasoning length beside those recomputed from ``samples``.

    ``within_tolerance`` is True when the accuracies differ by at most ``tolerance`` percentage points.
    """
    ours = samples.groupby("model", observed=True).agg(
        items=("correct", "size"),
        accuracy_ours=("correct", lambda c: 100 * float(c.astype(bool).mean())),
        no_answer_ours=("answer", lambda a: 100 * float(a.isna().mean())),
        reasoning_chars_ours=("reasoning_chars", lambda r: float(r.astype("float64").mean())),
    )
    table = summary.merge(ours.reset_index(), on="model", how="inner")
    table["accuracy_difference"] = table["accuracy_ours"] - table["accuracy"]
    table["within_tolerance"] = table["accuracy_difference"].abs() <= tolerance
    table["reasoning_chars_difference"] = table["reasoning_chars_ours"] - table["reasoning_chars"]
    return table[
        [
            "model",
            "total",
            "items",
            "accuracy",
            "accuracy_ours",
            "accuracy_difference",
            "within_tolerance",
            "no_answer",
            "no_answer_ours",
            "reasoning_chars",
            "reasoning_chars_ours",
            "reasoning_chars_difference",
        ]
    ]
