"""Grading short factual answers (FRAMES, SimpleQA): a deterministic grader, its agreement with an LLM judge,
and the AgentStop authors' judge prompt sent through :class:`agenteff.llm.LLMClient`.

The deterministic grader, :func:`grade_short_answer` (``answer`` against ``gold``, optionally knowing the
``question``), applies these rules in order:

1. **Final answer.** :func:`extract_final_answer` takes what the output commits to: an output stored as a Python
   string repr (``'Julie Bowen'``) is unquoted and ``\\n`` escapes become newlines; then the last ``\\boxed{}``,
   else the text after the last "answer:" / "final answer" / "the answer is" marker (its first line), else the
   whole text when it has at most :data:`SHORT_ANSWER_WORDS` words, else its last sentence.
2. **Abstention.** An answer that says it does not know (:data:`ABSTENTIONS`) is not correct.
3. **Normalisation** (:func:`normalize_text`, both sides): Unicode compatibility form without accents, case
   folded; dates in any of "March 3, 2001", "3 March 2001", "3rd of March 2001", "2001-03-03" become date tokens
   (the day, its month, and its day of the year), "March 2001" a month token, "April 2" a day-of-year token;
   "1,000" -> "1000"; "%" -> "percent"; "&" -> "and"; a possessive "'s" dropped; punctuation removed (a decimal
   point and a leading minus kept); the articles a/an/the dropped; ordinals "37th" -> "37"; number words
   ("twenty-five", "one hundred and five", "first") and scale words ("1.5 million") -> digits; "6.0" -> "6"; a
   number glued to a unit ("-63C") split from it.
4. **Aliases.** The gold is tried whole and as each alternative: the text without a parenthesised part, the
   parenthesised part, and the pieces around " or ", "/" (not between digits) and ";". One accepted alternative
   suffices. Rules 5 to 7 compare the answer with one alternative.
5. **Dates** (a gold of at most :data:`LONG_GOLD_TOKENS` tokens holding a date): the answer must hold every date
   token of the gold: the same day for a full date, the same month for "March 2001" (a day within it counts),
   the same day of the year for "April 2" (with any year).
6. **Numbers** (a gold of at most :data:`LONG_GOLD_TOKENS` tokens holding numbers): the answer's numbers, apart
   from those the question itself states, must be non-empty and all among the gold's (a number before a scale
   word counts both ways, "19.1 billion" accepting "19.1"). So "87 feet" matches "26.5 meters or 87 feet" and
   "It ranks 37th" matches "37th", but "between 36th and 38th" (other candidates) does not match "37th".
7. **Text** (every other gold, sentence-long golds included). Not correct when the answer hedges (" or " in the
   answer and not in the gold). Correct when the normalised answer contains the gold's tokens as a contiguous
   run (at word boundaries, so equality too); or holds all the gold's words in another order (stop words aside)
   and has at most :data:`SHORT_ANSWER_WORDS` tokens; or its words beyond those of the question all occur in the
   gold and its numbers beyond the question's are among the gold's (a partial name, "George Moscone" for "George
   Joseph Moscone"; the key part of a sentence-long gold, "Warsaw"); or the gold, spaces removed, of at least
   :data:`MIN_JOINED_CHARACTERS` characters, occurs in the answer with spaces removed ("YuYu Hakusho"); or the
   two are near-identical spellings (character similarity >= :data:`TYPO_SIMILARITY`, for typos in names).

:func:`grader_agreement` compares the grader with the authors' verdicts where both exist (the bare-LLM files):
accuracy, Cohen's kappa, the confusion table and examples of disagreement. :func:`judge_answers` sends the
authors' judge prompt (data set ``agentstop-judge-prompt``, read at run time) to any endpoint; on the simulated
endpoint (:func:`simulated_judge_model`) the verdicts only show the path working and are never a result.
"""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
from functools import lru_cache

import numpy as np
import pandas as pd

from ..schema import RUNS, validate
from .grading import last_boxed

__all__ = [
    "ABSTENTIONS",
    "GRADER_SOURCE",
    "LONG_GOLD_TOKENS",
    "MIN_JOINED_CHARACTERS",
    "SHORT_ANSWER_WORDS",
    "TYPO_SIMILARITY",
    "extract_final_answer",
    "gold_alternatives",
    "grade_answers",
    "grade_short_answer",
    "grader_agreement",
    "judge_answers",
    "judge_messages",
    "judge_prompt",
    "label_runs",
    "normalize_text",
    "parse_verdict",
    "simulated_judge",
    "simulated_judge_model",
]

SHORT_ANSWER_WORDS = 40  # an output this short is graded whole; a longer one on its final statement
TYPO_SIMILARITY = 0.9
MIN_JOINED_CHARACTERS = 6  # shortest gold compared with its spaces removed
LONG_GOLD_TOKENS = 8  # a gold longer than this is a sentence: its numbers need not all be the answer
GRADER_SOURCE = "deterministic grader (agenteff.metrics.answers)"
ABSTENTIONS = (
    "i don't know",
    "i do not know",
    "i'm not sure",
    "i am not sure",
    "cannot determine",
    "can't determine",
    "unable to determine",
    "unable to find",
    "could not find",
    "couldn't find",
    "no information",
    "not enough information",
    "cannot be determined",
    "i cannot answer",
    "i can't answer",
)

# --- final-answer extraction ---------------------------------------------------------------------------------

_MARKER = re.compile(r"(?:final answer|the answer is|answer)\s*(?:is)?\s*[:\-]?\**\s*:?\s*", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z*\"'(])")


def _unquoted(text: str) -> str:
    """An output stored as a Python string repr, unquoted; its escapes decoded and markdown bold removed."""
    text = text.strip().replace("\\n", "\n").replace("\\'", "'").replace('\\"', '"').strip()
    if not text:
        return text
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1]
    elif text[-1:] in "'\"" and text.count(text[-1]) == 1:
        text = text[:-1]  # the closing quote of a repr whose start was cut off
    elif text[:1] in "'\"" and text.count(text[0]) == 1:
        text = text[1:]  # the opening quote of a repr cut short
    return text.replace("**", "").strip()


def extract_final_answer(output) -> str | None:
    """The part of a (possibly long) output that states the final answer (rule 1 of the module docstring)."""
    if output is None or (isinstance(output, float) and np.isnan(output)) or output is pd.NA:
        return None
    text = _unquoted(str(output))
    if not text:
        return None
    boxed = last_boxed(text)
    if boxed is not None:
        return boxed
    markers = list(_MARKER.finditer(text))
    if markers and markers[-1].end() < len(text):
        after = text[markers[-1].end() :].strip().strip("*").strip()
        first_line = after.splitlines()[0].strip() if after else ""
        if first_line:
            return first_line
    if len(text.split()) <= SHORT_ANSWER_WORDS:
        return text
    sentences = [s for s in _SENTENCE_END.split(text.replace("\n", " ")) if s.strip()]
    return sentences[-1].strip() if sentences else text


# --- normalisation -------------------------------------------------------------------------------------------

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>\d{3,4})"
_DATE_PATTERNS = [
    re.compile(rf"\b{_MONTH}\s+{_DAY},?\s+{_YEAR}\b"),
    re.compile(rf"\b{_DAY}\s+(?:of\s+)?{_MONTH},?\s+{_YEAR}\b"),
    re.compile(r"\b(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})\b"),
]
_MONTH_YEAR = re.compile(rf"\b{_MONTH},?\s+{_YEAR}\b")
_DAY_MONTH = [re.compile(rf"\b{_MONTH}\s+{_DAY}\b(?!\s*\d)"), re.compile(rf"\b{_DAY}\s+(?:of\s+)?{_MONTH}(?![a-z])")]


def _date_token(match: re.Match) -> str:
    month = match.group("month")
    month_number = int(month) if month.isdigit() else _MONTHS[month.rstrip(".")]
    day, year = int(match.group("day")), int(match.group("year"))
    if not (1 <= month_number <= 12 and 1 <= day <= 31):
        return match.group(0)
    return (
        f" date{year:04d}{month_number:02d}{day:02d} month{year:04d}{month_number:02d} day{month_number:02d}{day:02d} "
    )


def _month_token(match: re.Match) -> str:
    return f" month{int(match.group('year')):04d}{_MONTHS[match.group('month').rstrip('.')]:02d} "


def _day_token(match: re.Match) -> str:
    day = int(match.group("day"))
    if not 1 <= day <= 31:
        return match.group(0)
    return f" day{_MONTHS[match.group('month').rstrip('.')]:02d}{day:02d} "


_UNITS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen".split()
)
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_NUMBER_WORDS = {word: n for n, word in enumerate(_UNITS)} | {word: 10 * (n + 2) for n, word in enumerate(_TENS)}
_ORDINAL_WORDS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14, "fifteenth": 15,
    "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19, "twentieth": 20, "thirtieth": 30,
}  # fmt: skip
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
_ARTICLES = {"a", "an", "the"}
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_GLUED_UNIT = re.compile(r"^(-?\d+(?:\.\d+)?)([a-z]+)$")
_ORDINAL_SUFFIX = re.compile(r"^(\d+)(?:st|nd|rd|th)$")


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.10g}"


def _merge_numbers(tokens: list[str]) -> list[str]:
    """Number words and scale words into digits: "twenty five" -> "25", "1.5 million" -> "1500000"."""
    out: list[str] = []
    value: float | None = None
    pending_and = False

    def flush():
        nonlocal value, pending_and
        if value is not None:
            out.append(_number_text(value))
        if pending_and:
            out.append("and")
        value, pending_and = None, False

    for token in tokens:
        if token in _NUMBER_WORDS or token in _ORDINAL_WORDS:
            number = _NUMBER_WORDS[token] if token in _NUMBER_WORDS else _ORDINAL_WORDS[token]
            if value is not None and (value % 100 == 0 or (value >= 20 and value % 10 == 0 and number < 10)):
                value, pending_and = value + number, False
            else:
                flush()
                value = number
        elif token in _SCALES and value is not None:
            value, pending_and = value * _SCALES[token], False
        elif token == "and" and value is not None and value >= 100 and not pending_and:
            pending_and = True
        elif _NUMBER.fullmatch(token):
            flush()
            value = float(token)
        else:
            flush()
            out.append(token)
    flush()
    return out


@lru_cache(maxsize=200_000)
def normalize_text(text: str) -> tuple[str, ...]:
    """The normalised tokens of ``text`` (rule 3 of the module docstring)."""
    text = unicodedata.normalize("NFKD", str(text))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = text.replace("\u2212", "-").replace("\u2013", "-").replace("\u2014", " ")
    for pattern in _DATE_PATTERNS:
        text = pattern.sub(_date_token, text)
    text = _MONTH_YEAR.sub(_month_token, text)
    for pattern in _DAY_MONTH:
        text = pattern.sub(_day_token, text)
    text = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)
    text = text.replace("%", " percent ").replace("&", " and ")
    text = re.sub(r"(?<=\w)'s\b", "", text)  # possessive
    text = re.sub(r"(?<![\w.])-(?=\d)", " MINUS", text)  # keep a leading minus through punctuation removal
    text = re.sub(r"(?<=\d)\.(?=\d)", "DOT", text)
    text = re.sub(r"[^\w\s]|_", " ", text)
    text = text.replace("MINUS", "-").replace("DOT", ".")
    tokens: list[str] = []
    for token in text.split():
        ordinal = _ORDINAL_SUFFIX.match(token)
        glued = _GLUED_UNIT.match(token)
        if ordinal:
            tokens.append(ordinal.group(1))
        elif glued:
            tokens += [glued.group(1), glued.group(2)]
        elif token not in _ARTICLES:
            tokens.append(token)
    tokens = [t for t in _merge_numbers([t for t in tokens if t not in _ARTICLES])]
    return tuple(_number_text(float(t)) if _NUMBER.fullmatch(t) else t for t in tokens)


# --- the grader ----------------------------------------------------------------------------------------------


def gold_alternatives(gold: str) -> list[str]:
    """The gold and its aliases (rule 4): without / inside parentheses, split on " or ", "/" and ";"."""
    gold = str(gold).strip()
    found = [gold]
    inside = re.findall(r"\(([^()]*)\)", gold)
    if inside:
        found.append(re.sub(r"\s*\([^()]*\)", "", gold).strip())
        found += [part.strip() for part in inside]
    for piece in list(found):
        parts = re.split(r"\s+or\s+|(?<!\d)\s*/\s*(?!\d)|;", piece)
        if len(parts) > 1:
            found += [p.strip() for p in parts]
    unique = []
    for candidate in found:
        if candidate and normalize_text(candidate) and candidate not in unique:
            unique.append(candidate)
    return unique


def _numbers(tokens: tuple[str, ...]) -> set[float]:
    return {float(t) for t in tokens if _NUMBER.fullmatch(t)}


def _contains(haystack: tuple[str, ...], needle: tuple[str, ...]) -> bool:
    n = len(needle)
    return n > 0 and any(haystack[i : i + n] == needle for i in range(len(haystack) - n + 1))


_STOPWORDS = frozenset("of and in on at to for by is was were are be it its with as from that this".split())
_DATE_PREFIXES = ("date", "month", "day")
_SCALED = re.compile(r"(-?\d+(?:\.\d+)?)\s*(?:hundred|thousand|million|billion)\b", re.IGNORECASE)


def _is_date(token: str) -> bool:
    return any(token.startswith(p) and token[len(p) :].isdigit() for p in _DATE_PREFIXES)


def _matches(answer: tuple[str, ...], gold: tuple[str, ...], gold_text: str, question: tuple[str, ...],
             hedged: bool) -> bool:  # fmt: skip
    gold_dates = [t for t in gold if _is_date(t)]
    if gold_dates and len(gold) <= LONG_GOLD_TOKENS:  # rule 5
        return all(t in answer for t in gold_dates)
    question_numbers = _numbers(question)
    # "19.1 billion" also accepts "19.1": the scale is often presumed by the question
    gold_numbers = _numbers(gold) | {float(m) for m in _SCALED.findall(gold_text.replace(",", ""))}
    stated = _numbers(answer) - (question_numbers - gold_numbers)
    if gold_numbers and len(gold) <= LONG_GOLD_TOKENS:  # rule 6
        return bool(stated) and stated <= gold_numbers
    if hedged:
        return False
    if answer == gold or _contains(answer, gold):  # rule 7: the gold inside the answer
        return True
    answer_words, gold_words = set(answer) - _STOPWORDS, set(gold) - _STOPWORDS
    if gold_words and gold_words <= answer_words and len(answer) <= SHORT_ANSWER_WORDS:
        return True  # the same words in another order ("University of Plymouth" = "Plymouth University")
    new_words = answer_words - set(question)
    if new_words and new_words <= gold_words and stated <= gold_numbers:
        return True  # the answer inside the gold: a partial name, or the key part of a sentence-long gold
    joined = "".join(gold)
    if len(joined) >= MIN_JOINED_CHARACTERS and joined in "".join(answer):
        return True  # the gold written with other spacing ("YuYu Hakusho" = "Yu Yu Hakusho")
    return difflib.SequenceMatcher(None, " ".join(answer), " ".join(gold)).ratio() >= TYPO_SIMILARITY


def grade_short_answer(answer, gold, question=None) -> bool:
    """Is ``answer`` (a short answer or a whole output) correct for ``gold``? The rules are in the module docstring."""
    final = extract_final_answer(answer)
    if final is None or gold is None or (isinstance(gold, float) and np.isnan(gold)):
        return False
    lowered = final.casefold()
    if any(phrase in lowered for phrase in ABSTENTIONS):  # rule 2
        return False
    answer_tokens = normalize_text(final)
    if not answer_tokens:
        return False
    question_tokens = normalize_text(question) if isinstance(question, str) else ()
    hedged = "or" in answer_tokens
    for candidate in gold_alternatives(gold):
        gold_tokens = normalize_text(candidate)
        if _matches(answer_tokens, gold_tokens, candidate, question_tokens, hedged and "or" not in gold_tokens):
            return True
    return False


def grade_answers(frame: pd.DataFrame, answer_column: str = "answer", gold_column: str = "gold",
                  question_column: str | None = "question") -> pd.Series:  # fmt: skip
    """:func:`grade_short_answer` row by row: a boolean Series aligned with ``frame``."""
    for column in (answer_column, gold_column):
        if column not in frame.columns:
            raise KeyError(f"grade_answers: column {column!r} is missing (columns: {list(frame.columns)})")
    questions = frame[question_column] if question_column and question_column in frame.columns else None
    values = [
        grade_short_answer(a, g, None if questions is None else questions.iloc[i])
        for i, (a, g) in enumerate(zip(frame[answer_column], frame[gold_column]))
    ]
    return pd.Series(values, index=frame.index, dtype="boolean", name="grader_correct")


def label_runs(runs: pd.DataFrame, verdicts: pd.Series | None = None, source: str | None = None,
               output_column: str = "agent_output") -> pd.DataFrame:  # fmt: skip
    """RUNS with ``success`` filled: by the deterministic grader on ``output_column`` against ``gold``, or, given
    ``verdicts`` (judge verdicts indexed by ``run_id``), ``success = verdict == "CORRECT"``.

    Adds ``final_answer`` (what the grader read) and ``success_source`` (which grader decided); validated as RUNS.
    """
    labelled = runs.copy()
    labelled["final_answer"] = labelled[output_column].map(extract_final_answer).astype("string")
    if verdicts is None:
        labelled["success"] = grade_answers(labelled, output_column, "gold").to_numpy()
        labelled["success_source"] = source or GRADER_SOURCE
    else:
        by_run = verdicts.reindex(labelled["run_id"])
        if by_run.isna().any():
            missing = labelled["run_id"][by_run.isna().to_numpy()].iloc[0]
            raise KeyError(f"label_runs: no verdict for run {missing!r} (verdicts are indexed by run_id)")
        labelled["success"] = by_run.to_numpy() == "CORRECT"
        labelled["success_source"] = source or "LLM judge"
    return validate(labelled, RUNS, source="label_runs")


# --- agreement with a judge ----------------------------------------------------------------------------------


def _kappa(first: pd.Series, second: pd.Series) -> float:
    from sklearn.metrics import cohen_kappa_score

    if first.nunique() < 2 and second.nunique() < 2:
        return float("nan")  # undefined when both raters give one label only
    return float(cohen_kappa_score(first.astype(bool), second.astype(bool)))


def grader_agreement(samples: pd.DataFrame, grade_column: str = "grader_correct",
                     verdict_column: str = "judge_verdict", n_examples: int = 20) -> dict[str, pd.DataFrame]:  # fmt: skip
    """How the deterministic grader agrees with the judge on ``samples`` (SAMPLES with ``judge_verdict``).

    ``grade_column`` is graded with :func:`grade_answers` when absent. Returns frames:

    * ``summary``: per data set and model, and ``all``: n, judge accuracy, grader accuracy, agreement (share of
      equal labels) and Cohen's kappa (judge CORRECT vs not, against the grader);
    * ``confusion``: the 2 x 2 counts per data set (judge correct x grader correct), and ``all``;
    * ``by_verdict``: grader-correct counts per judge verdict (CORRECT / INCORRECT / NOT_ATTEMPTED);
    * ``disagreements``: up to ``n_examples`` per kind (grader yes / judge no, and the reverse), in a fixed order;
    * ``numeric_gold``: per data set, the judge-CORRECT rows whose gold is a single number, and how many of their
      answers never state that number (a check of the judge that needs no grader).
    """
    for column in ("dataset", "model", "problem_id", "gold", verdict_column):
        if column not in samples.columns:
            raise KeyError(f"grader_agreement: column {column!r} is missing")
    if samples.empty:
        raise ValueError("grader_agreement: no samples")
    frame = samples.copy()
    if grade_column not in frame.columns:
        frame[grade_column] = grade_answers(frame)
    frame["judge_correct"] = frame[verdict_column] == "CORRECT"
    frame[grade_column] = frame[grade_column].astype(bool)

    def summarise(group: pd.DataFrame) -> dict:
        return {
            "n": len(group),
            "judge_accuracy": group["judge_correct"].mean(),
            "grader_accuracy": group[grade_column].mean(),
            "agreement": (group["judge_correct"] == group[grade_column]).mean(),
            "cohen_kappa": _kappa(group["judge_correct"], group[grade_column]),
        }

    rows = [{"dataset": d, "model": m, **summarise(g)} for (d, m), g in frame.groupby(["dataset", "model"])]
    rows += [{"dataset": d, "model": "all", **summarise(g)} for d, g in frame.groupby("dataset")]
    rows.append({"dataset": "all", "model": "all", **summarise(frame)})
    confusion = []
    for dataset, group in [*frame.groupby("dataset"), ("all", frame)]:
        for judge in (True, False):
            for grader in (True, False):
                count = int(((group["judge_correct"] == judge) & (group[grade_column] == grader)).sum())
                confusion.append({"dataset": dataset, "judge_correct": judge, "grader_correct": grader, "n": count})
    by_verdict = (
        frame.groupby(["dataset", verdict_column])[grade_column]
        .agg(n="size", grader_correct="sum")
        .reset_index()
        .rename(columns={verdict_column: "judge_verdict"})
    )
    by_verdict["grader_correct"] = by_verdict["grader_correct"].astype(int)
    shown = [c for c in ("dataset", "model", "problem_id", "question", "gold", "answer", verdict_column) if c in frame]
    ordered = frame.sort_values(["dataset", "model", "problem_id"], key=_natural_key, kind="stable")
    examples = []
    for kind, mask in (("grader only", ordered[grade_column] & ~ordered["judge_correct"]),
                       ("judge only", ~ordered[grade_column] & ordered["judge_correct"])):  # fmt: skip
        picked = ordered.loc[mask, shown].head(n_examples).assign(disagreement=kind)
        examples.append(picked)
    return {
        "summary": pd.DataFrame(rows),
        "confusion": pd.DataFrame(confusion),
        "by_verdict": by_verdict,
        "disagreements": pd.concat(examples, ignore_index=True),
        "numeric_gold": _numeric_gold_check(frame),
    }


def _single_number(text) -> float | None:
    tokens = normalize_text(str(text))
    return float(tokens[0]) if len(tokens) == 1 and _NUMBER.fullmatch(tokens[0]) else None


def _numeric_gold_check(frame: pd.DataFrame) -> pd.DataFrame:
    """Judge-CORRECT rows whose gold is one number: how many answers never state that number."""
    rows = []
    for dataset, group in [*frame.groupby("dataset"), ("all", frame)]:
        judged = group[group["judge_correct"]]
        gold_numbers = judged["gold"].map(_single_number)
        numeric = judged[gold_numbers.notna()]
        absent = sum(
            number not in _numbers(normalize_text(str(answer)))
            for number, answer in zip(gold_numbers[gold_numbers.notna()], numeric["answer"])
        )
        rows.append({"dataset": dataset, "judge_correct_numeric_gold": len(numeric), "answer_lacks_gold_number": absent,
                     "share": absent / len(numeric) if len(numeric) else float("nan")})  # fmt: skip
    return pd.DataFrame(rows)


def _natural_key(values: pd.Series) -> pd.Series:
    """Sort numeric ids as numbers ("2" before "10"), other text as text."""
    numeric = pd.to_numeric(values, errors="coerce")
    return numeric if numeric.notna().all() else values


# --- the authors' LLM judge ----------------------------------------------------------------------------------


def judge_prompt() -> pd.Series:
    """The authors' judge prompt, loaded as data from their notebook (data set ``agentstop-judge-prompt``)."""
    from .. import datasets

    return datasets.load("agentstop-judge-prompt").iloc[0]


def judge_messages(question: str, gold: str, answer: str, prompt: pd.Series) -> list[dict]:
    """The chat messages of one judgement: the authors' system prompt and their filled-in user template."""
    user = prompt["user_template"].format(question=question, target=gold, predicted=answer)
    return [{"role": "system", "content": prompt["system_prompt"]}, {"role": "user", "content": user}]


def parse_verdict(reply, letters: dict[str, str]) -> str | None:
    """The verdict a judge's reply gives: its letter (A/B/C), or a verdict word alone; None if neither."""
    if not isinstance(reply, str):
        return None
    text = reply.strip().strip("*\"'` ").upper()
    if text[:1] in letters and (len(text) == 1 or not text[1].isalpha()):
        return letters[text[:1]]
    named = [v for v in letters.values() if re.search(rf"\b{v}\b", text)]
    named = [v for v in named if not (v == "CORRECT" and "INCORRECT" in named)]
    return named[0] if len(named) == 1 else None


def judge_answers(client, frame: pd.DataFrame, model: str, answer_column: str = "answer",
                  prompt: pd.Series | None = None, max_tokens: int | None = None) -> pd.DataFrame:  # fmt: skip
    """Judge every row of ``frame`` (columns ``question``, ``gold`` and ``answer_column``) with the authors'
    prompt through ``client.chat_many`` (an :class:`agenteff.llm.LLMClient`), at temperature 0.

    Returns a frame aligned with ``frame``: ``judge_reply``, ``judge_verdict`` (an unreadable reply counts as
    NOT_ATTEMPTED, as the authors count it; ``judge_parsed`` says which were read), ``judge_model`` and
    ``simulated``. Rows without an answer are not sent and are NOT_ATTEMPTED, as in the authors' notebook.
    """
    for column in ("question", "gold", answer_column):
        if column not in frame.columns:
            raise KeyError(f"judge_answers: column {column!r} is missing")
    prompt = judge_prompt() if prompt is None else prompt
    letters = json.loads(prompt["verdict_letters"])
    budget = int(max_tokens if max_tokens is not None else prompt["max_tokens"])
    answers = frame[answer_column]
    present = answers.notna().to_numpy() & (answers.astype("string").str.strip().fillna("") != "").to_numpy()
    requests = [
        {"model": model, "temperature": 0.0, "max_tokens": budget,
         "messages": judge_messages(q, g, a, prompt)}
        for q, g, a in zip(frame["question"][present], frame["gold"][present], answers[present])
    ]  # fmt: skip
    results = client.chat_many(requests, desc="judge calls") if requests else []
    replies = pd.Series([None] * len(frame), index=frame.index, dtype="object")
    simulated = pd.Series(False, index=frame.index)
    replies[present] = [r.content for r in results]
    simulated[present] = [r.simulated for r in results]
    verdicts = replies.map(lambda reply: parse_verdict(reply, letters))
    return pd.DataFrame(
        {
            "judge_reply": replies.astype("string"),
            "judge_verdict": verdicts.fillna("NOT_ATTEMPTED").astype("string"),
            "judge_parsed": verdicts.notna(),
            "judge_model": model,
            "simulated": simulated,
        },
        index=frame.index,
    )


_JUDGED_FIELDS = re.compile(
    r"Question:\s*(?P<question>.*?)\nGold target:\s*(?P<gold>.*?)\nPredicted answer:\s*(?P<answer>.*?)\n```",
    re.DOTALL,
)


def simulated_judge(messages, tools, model, rng) -> dict:
    """A behaviour for the simulated endpoint that answers the authors' judge prompt with a letter.

    It reads the question, gold target and predicted answer back from the user message, grades them with
    :func:`grade_short_answer` and replies "A" (CORRECT) or "B" (INCORRECT); with probability
    ``model.error_prob`` it replies "C" (NOT_ATTEMPTED) instead. Simulated: its labels are never a result.
    """
    user = next((m.get("content") or "" for m in reversed(messages) if m.get("role") == "user"), "")
    fields = _JUDGED_FIELDS.search(user)
    if fields is None:
        return {"content": "C", "tool_calls": [], "reasoning_content": None}
    if rng.random() < model.error_prob:
        return {"content": "C", "tool_calls": [], "reasoning_content": None}
    correct = grade_short_answer(fields["answer"], fields["gold"], fields["question"])
    return {"content": "A" if correct else "B", "tool_calls": [], "reasoning_content": None}


def simulated_judge_model(name: str = "sim-judge", error_prob: float = 0.05):
    """A :class:`agenteff.llm.SimModel` playing :func:`simulated_judge` (for tests and the offline notebook)."""
    from ..llm.sim import SimModel

    return SimModel(name, behaviour="agenteff.metrics.answers:simulated_judge", error_prob=error_prob,
                    latency_mean_s=0.0, latency_sd_s=0.0)  # fmt: skip
