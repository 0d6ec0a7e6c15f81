"""AgentStop's released traces: a local code agent on FRAMES, and bare-LLM answers judged by the authors.

Source: github.com/brave-experiments/AgentStop (MIT) at commit 6253665, ``experiment_data/processed/``, released
with Pham, Katevas, Shahin Shamsabadi and Haddadi, "AgentStop: Terminating Local AI Agents Early to Save Energy in
Consumer Devices" (arXiv:2605.15206). The data card is ``data/cards/agentstop.md``.

Data set ``agentstop-frames-profile`` (the profile of Qwen3-1.7B, llama.cpp, on the 824 FRAMES questions, plus the
FRAMES question file for the task ids and metadata):

* ``runs`` (:data:`PROFILE_RUNS`, i.e. RUNS with ``success`` left missing): one row per agent run. The release
  carries no verdict for the agent runs, so ``success`` is ``<NA>`` here; ``agenteff.metrics.label_runs`` fills it
  from a grader. Extra columns: ``question``, ``gold``, ``agent_output`` (verbatim), ``n_steps`` (LLM calls),
  ``hit_step_cap`` (the run used all :data:`MAX_AGENT_STEPS` steps plus the forced final-answer call),
  ``energy_cpu_mwh``, ``energy_gpu_mwh``, ``peak_process_mem_gb``.
* ``steps`` (STEPS): one row per LLM call, with ``kind``, tokens, ``latency_s`` (the call's duration),
  ``energy_mwh`` and ``logprobs`` (JSON list of the generated tokens' log-probabilities). ``content`` is the
  generated text (the step's tokens joined; the file stores newlines inside tokens as the two characters ``\\n``).
  Extra columns: ``tokens`` (JSON list of the token strings), ``start_s``/``end_s`` (seconds since the run
  started), ``prefill_duration_s``, ``generation_duration_s``, ``prefill_energy_mwh``, ``generation_energy_mwh``,
  ``energy_cpu_mwh``, ``energy_gpu_mwh``.
* ``questions`` (:data:`FRAMES_QUESTIONS`): the FRAMES question metadata (reasoning types, linked articles).

Data set ``agentstop-llm-judged`` (no agent: one inference per question):

* ``samples`` (SAMPLES + ``judge_verdict``, ``size_b``, ``source_column``): six Qwen3 sizes and
  Qwen3-30B-A3B-Instruct-2507 on the 824 FRAMES questions, Qwen3-1.7B and Qwen3-30B-A3B-Instruct-2507 on the 4,326
  SimpleQA questions; ``correct`` is the authors' judge saying CORRECT.
* ``simpleqa_questions`` (:data:`SIMPLEQA_QUESTIONS`): SimpleQA topic and answer type.

Task ids: FRAMES questions keep the file's ``Index`` (0..823, as text), so ``runs.task``, ``questions.problem_id``
and the FRAMES ``samples.problem_id`` join; SimpleQA questions are numbered by their row in the file (0-based).

The files are CSV inside zip archives, with Python-literal columns (lists of floats, lists of strings, dicts).
They are read with the ``csv`` module and the literals parsed without ``eval``: float lists must match the grammar
of a list of lists of JSON numbers and each inner list is kept verbatim; in string lists a regular expression finds the string literals and
the rest must have the shape of a list of lists (literals with escapes are decoded one by one by
``ast.literal_eval``, which accepts literals only, never code); dicts go through ``ast.literal_eval`` and their
type is checked. Every error names the file, the 1-based data row and the column.
"""

from __future__ import annotations

import ast
import csv
import io
import json
import re
import zipfile
from functools import lru_cache
from pathlib import Path

import pandas as pd

from ..schema import RUNS, SAMPLES, STEPS, Column, Schema, SchemaError, validate

__all__ = [
    "AGENT_ARCHITECTURE",
    "FRAMES_30B_FILE",
    "FRAMES_FILE",
    "FRAMES_QUESTIONS",
    "JUDGE_NOTEBOOK",
    "JUDGE_PROMPT",
    "MAX_AGENT_STEPS",
    "PROFILE_FILE",
    "PROFILE_MODEL",
    "PROFILE_RUNS",
    "SIMPLEQA_FILES",
    "SIMPLEQA_QUESTIONS",
    "VERDICTS",
    "parse_judge_prompt",
    "parse_llm_judged",
    "parse_profile",
    "read_zipped_csv",
]

_DIR = "experiment_data/processed/"
PROFILE_FILE = _DIR + "frames/processed_profile_results_llamacpp_qwen3_1.7b.csv.zip"
FRAMES_FILE = _DIR + "frames/llm_frames_results_judged.csv.zip"
FRAMES_30B_FILE = _DIR + "frames/llm_frames_results_qwen3_30b_judged.csv.zip"
SIMPLEQA_FILES = (
    _DIR + "simpleqa/llm_simpleqa_results_qwen3_1.7b_judged.csv.zip",
    _DIR + "simpleqa/llm_simpleqa_results_qwen3_30b_judged.csv.zip",
)
JUDGE_NOTEBOOK = "notebooks/eval_answers_qa.ipynb"

PROFILE_MODEL = "qwen3-1.7b"
AGENT_ARCHITECTURE = "code-agent"  # smolagents-style code agent with web search (paper, Section 3)
MAX_AGENT_STEPS = 10  # the paper's step limit for QA; a run that reaches it makes one more call for the answer
_STEP_SLOTS = 11  # the profile has columns step_0_* .. step_10_*
VERDICTS = ("CORRECT", "INCORRECT", "NOT_ATTEMPTED")
REASONING_TYPES = (
    "Numerical reasoning",
    "Tabular reasoning",
    "Multiple constraints",
    "Temporal reasoning",
    "Post processing",
)

# Parameter counts (billions) of the models as the files name them; "qwen3:30b" is Ollama's Qwen3-30B-A3B.
_SIZES_B = {
    "qwen3:1.7b": 1.7,
    "qwen3:4b": 4.0,
    "qwen3:8b": 8.0,
    "qwen3:14b": 14.0,
    "qwen3:30b": 30.0,
    "qwen3:32b": 32.0,
    "qwen3:30b-a3b-instruct-2507-q4_K_M": 30.0,
}

PROFILE_RUNS = Schema(
    name="agentstop_runs",
    doc="RUNS with success left missing: the release has no verdicts for the agent runs (fill with a grader).",
    unique=RUNS.unique,
    columns=tuple(
        Column(
            c.name,
            c.kind,
            c.required,
            True,
            c.allowed,
            c.minimum,
            c.maximum,
            c.doc + " (missing: not released; see agenteff.metrics.label_runs)",
        )
        if c.name == "success"
        else c
        for c in RUNS.columns
    ),
)

_REASONING_FLAGS = {name: name.lower().replace(" ", "_") for name in REASONING_TYPES}

FRAMES_QUESTIONS = Schema(
    name="frames_questions",
    doc="FRAMES questions with their reasoning types and the Wikipedia articles they link.",
    unique=("problem_id",),
    columns=(
        Column("problem_id", "str", doc="FRAMES index (0-based, as text); joins runs.task and samples.problem_id"),
        Column("question", "str", doc="the question"),
        Column("gold", "str", doc="FRAMES reference answer"),
        Column("reasoning_types", "str", doc="FRAMES reasoning types, ' | '-separated as in the file"),
        Column("n_reasoning_types", "int", minimum=1, doc="how many reasoning types the question has"),
        *(Column(flag, "bool", doc=f"has reasoning type {name!r}") for name, flag in _REASONING_FLAGS.items()),
        Column("n_wiki_links", "int", minimum=0, doc="Wikipedia articles FRAMES links to the question"),
        Column("wiki_links", "str", doc="JSON list of those article URLs"),
    ),
)

SIMPLEQA_QUESTIONS = Schema(
    name="simpleqa_questions",
    doc="SimpleQA questions with the topic and answer type of their metadata.",
    unique=("problem_id",),
    columns=(
        Column("problem_id", "str", doc="0-based row in the AgentStop SimpleQA files, as text"),
        Column("question", "str", doc="the question"),
        Column("gold", "str", doc="SimpleQA reference answer"),
        Column("topic", "str", nullable=True, doc="metadata topic"),
        Column("answer_type", "str", nullable=True, doc="metadata answer type (Person, Date, Number...)"),
        Column("n_urls", "int", minimum=0, doc="source URLs in the metadata"),
    ),
)

JUDGE_PROMPT = Schema(
    name="judge_prompt",
    doc="The authors' LLM-judge prompt (adapted from OpenAI simple-evals' SimpleQA grader), read from their notebook.",
    columns=(
        Column("system_prompt", "str", doc="system message: grading instructions with examples"),
        Column("user_template", "str", doc="user message with the fields {question}, {target}, {predicted}"),
        Column("verdict_letters", "str", doc="JSON object mapping the reply letter to a verdict"),
        Column("judge_model", "str", doc="the model the authors used (Claude Haiku)"),
        Column("max_tokens", "int", minimum=1, doc="completion budget of a verdict"),
        Column("cell", "int", minimum=0, doc="0-based notebook cell holding the prompt"),
    ),
)


# --- reading ------------------------------------------------------------------------------------------------


def read_zipped_csv(path: Path, name: str | None = None) -> tuple[str, pd.DataFrame]:
    """The one CSV inside zip ``path`` as a frame of text cells (empty cells missing), and its source name.

    A row with fewer fields than the header (a truncated file) or an unterminated quote raises
    :class:`SchemaError` naming the file, the 1-based data row and the column where the row breaks off.
    """
    shown = name or Path(path).name
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.namelist() if m.lower().endswith(".csv")]
            if len(members) != 1:
                raise SchemaError(f"{shown}: expected one CSV file in the zip archive, found {members}")
            text = archive.read(members[0]).decode("utf-8")
    except zipfile.BadZipFile as exc:
        raise SchemaError(f"{shown}: not a readable zip archive ({exc})") from exc
    except UnicodeDecodeError as exc:
        raise SchemaError(f"{shown}: not UTF-8 text ({exc})") from exc
    source = f"{shown}:{members[0]}"
    header, records = _csv_records(text, source)
    frame = pd.DataFrame(records, columns=header, dtype=object).replace("", None)
    return source, frame


def _csv_records(text: str, source: str) -> tuple[list[str], list[list[str]]]:
    previous_limit = csv.field_size_limit()
    csv.field_size_limit(max(previous_limit, len(text) + 1))  # one literal column can hold long lists
    try:
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        try:
            header = next(reader)
        except StopIteration:
            raise SchemaError(f"{source}: empty file (no header)") from None
        records: list[list[str]] = []
        lines_read = reader.line_num
        while True:
            try:
                record = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                column = _column_of_broken_record(text, lines_read, header)
                raise SchemaError(
                    f"{source}: row {len(records) + 1}, column {column!r}: the row breaks off "
                    f"({exc}; unterminated quote: truncated file?)"
                ) from None
            lines_read = reader.line_num
            if not record:
                continue
            if len(record) != len(header):
                if len(record) < len(header):
                    raise SchemaError(
                        f"{source}: row {len(records) + 1}, column {header[len(record)]!r}: the row is truncated "
                        f"({len(record)} of {len(header)} fields; it ends after column {header[len(record) - 1]!r})"
                    )
                raise SchemaError(
                    f"{source}: row {len(records) + 1}: {len(record)} fields, the header has {len(header)}"
                )
            records.append(record)
    finally:
        csv.field_size_limit(previous_limit)
    return header, records


def _column_of_broken_record(text: str, lines_read: int, header: list[str]) -> str:
    """The column an unterminated quoted field starts in: re-read the broken record with the quote closed."""
    tail = "\n".join(text.splitlines()[lines_read:]) + '"'
    fields = next(csv.reader(io.StringIO(tail, newline="")), [])
    return header[min(max(len(fields) - 1, 0), len(header) - 1)]


def _numbers(frame: pd.DataFrame, column: str, source: str) -> pd.Series:
    """A column as numbers; a non-numeric cell raises naming its row and column."""
    if column not in frame.columns:
        raise SchemaError(f"{source}: column {column!r} is missing")
    values = pd.to_numeric(frame[column], errors="coerce")
    bad = values.isna() & frame[column].notna()
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0])
        raise SchemaError(
            f"{source}: row {row + 1}, column {column!r}: expected a number, got {frame[column].iloc[row]!r}"
        )
    return values


def _require(frame: pd.DataFrame, columns, source: str):
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise SchemaError(f"{source}: column {missing[0]!r} is missing")


def _filled(frame: pd.DataFrame, column: str, source: str) -> pd.Series:
    values = frame[column]
    if values.isna().any():
        row = int(values.isna().to_numpy().nonzero()[0][0])
        raise SchemaError(f"{source}: row {row + 1}, column {column!r}: missing value")
    return values


# --- Python literals, parsed without eval -------------------------------------------------------------------

_FLOAT_LIST_CHARACTERS = re.compile(r"[\[\]0-9eE+\-.,\s]*")


def _literal_error(source: str, row: int, column: str, message: str) -> SchemaError:
    return SchemaError(f"{source}: row {row + 1}, column {column!r}: {message}")


_JSON_NUMBER = r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?"
_NUMBER_LIST = rf"\[\s*(?:{_JSON_NUMBER}(?:\s*,\s*{_JSON_NUMBER})*)?\s*\]"
_LIST_OF_NUMBER_LISTS = re.compile(rf"\s*\[\s*(?:{_NUMBER_LIST}(?:\s*,\s*{_NUMBER_LIST})*)?\s*\]\s*")
_INNER_LIST = re.compile(r"\[[^\[\]]*\]")


def _float_lists(text, source: str, row: int, column: str) -> list[str]:
    """A literal list of lists of numbers, e.g. ``[[-0.1, -2e-05], []]``, as the JSON text of each inner list.

    The whole cell must match the grammar of a list of lists of JSON numbers (one regular expression, no
    decoding); the inner lists are then cut out verbatim, so the numbers are never re-printed.
    """
    if not isinstance(text, str):
        raise _literal_error(source, row, column, "missing value (expected a list of lists of numbers)")
    if not _FLOAT_LIST_CHARACTERS.fullmatch(text):
        bad = next(ch for ch in text if not _FLOAT_LIST_CHARACTERS.fullmatch(ch))
        raise _literal_error(source, row, column, f"unexpected character {bad!r} in a list of lists of numbers")
    if not _LIST_OF_NUMBER_LISTS.fullmatch(text):
        try:
            json.loads(text)
        except ValueError as exc:
            raise _literal_error(source, row, column, f"malformed list of lists of numbers ({exc})") from None
        raise _literal_error(source, row, column, "expected a list of lists of numbers")
    return _INNER_LIST.findall(text.strip()[1:-1])


def _literal(text, source: str, row: int, column: str, expected: type, describe: str):
    """A Python literal (no code is ever run: ``ast.literal_eval`` accepts literals only) of type ``expected``."""
    if not isinstance(text, str):
        raise _literal_error(source, row, column, f"missing value (expected {describe})")
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as exc:
        raise _literal_error(source, row, column, f"malformed {describe} ({type(exc).__name__}: {exc})") from None
    if not isinstance(value, expected):
        raise _literal_error(source, row, column, f"expected {describe}, got {type(value).__name__}")
    return value


_STRING_LITERAL = re.compile(r"'(?:[^'\\\n]|\\.)*'" + r'|"(?:[^"\\\n]|\\.)*"')  # one quoted Python string
_BETWEEN_STRINGS = re.compile(r"[\[\],\s]*")
# the cell with every string literal replaced by "s" and spaces removed: a list of lists of strings
_LIST_OF_STRING_LISTS = re.compile(r"\[(?:\[(?:s(?:,s)*)?\](?:,\[(?:s(?:,s)*)?\])*)?\]")


def _string_lists(text, source: str, row: int, column: str) -> list[list[str]]:
    """A literal list of lists of strings, e.g. ``[['a', "b's"], []]``, parsed without running code.

    The string literals are found by one regular expression; what remains (brackets, commas, spaces) must have
    the shape of a list of lists; literals without escapes are their text between the quotes, the few with
    escapes are decoded one by one by ``ast.literal_eval`` (cached: the same few recur). Several times faster
    than ``ast.literal_eval`` of the whole cell, which the profile's 3,662 token lists would spend seconds on.
    """
    if not isinstance(text, str):
        raise _literal_error(source, row, column, "missing value (expected a list of lists of strings)")
    literals = _STRING_LITERAL.findall(text)
    shape = "".join(_STRING_LITERAL.sub("s", text).split())
    if shape.count("s") != len(literals) or not _LIST_OF_STRING_LISTS.fullmatch(shape):
        _diagnose_string_lists(text, source, row, column)
        raise _literal_error(source, row, column, "malformed list of lists of strings (brackets or commas)")
    values = [lit[1:-1] if "\\" not in lit else _escaped_string(lit, source, row, column) for lit in literals]
    lists, start = [], 0
    for inner in shape[2:-2].split("],[") if len(shape) > 2 else []:
        count = inner.count("s")
        lists.append(values[start : start + count])
        start += count
    return lists


@lru_cache(maxsize=4096)
def _decoded(literal: str):
    try:
        return ast.literal_eval(literal)
    except (ValueError, SyntaxError) as exc:
        return exc


def _escaped_string(literal: str, source: str, row: int, column: str) -> str:
    value = _decoded(literal)
    if not isinstance(value, str):
        raise _literal_error(source, row, column, f"malformed string literal {literal[:40]!r} ({value})")
    return value


def _diagnose_string_lists(text: str, source: str, row: int, column: str):
    """Name the first character that is neither in a string literal nor a bracket, comma or space."""
    position = 0
    for match in [*_STRING_LITERAL.finditer(text), None]:
        end = match.start() if match else len(text)
        between = text[position:end]
        if not _BETWEEN_STRINGS.fullmatch(between):
            bad = next(ch for ch in between if not _BETWEEN_STRINGS.fullmatch(ch))
            raise _literal_error(
                source,
                row,
                column,
                f"unexpected character {bad!r} at position {position + between.index(bad)} "
                "in a list of lists of strings",
            )
        position = match.end() if match else position


def _strings(text, source: str, row: int, column: str) -> list[str]:
    value = _literal(text, source, row, column, list, "a list of strings")
    if not all(isinstance(t, str) for t in value):
        raise _literal_error(source, row, column, "expected a list of strings")
    return value


# --- FRAMES questions ---------------------------------------------------------------------------------------


def _frames_questions(frames: pd.DataFrame, source: str) -> pd.DataFrame:
    _require(frames, ["Index", "Prompt", "Answer", "reasoning_types", "wiki_links"], source)
    index = _numbers(frames, "Index", source)
    rows = []
    for pos, record in enumerate(frames[["Prompt", "Answer", "reasoning_types", "wiki_links"]].itertuples(False)):
        prompt, gold, reasoning, links = record
        if not isinstance(reasoning, str):
            raise _literal_error(source, pos, "reasoning_types", "missing value")
        types = [t.strip() for t in reasoning.split("|") if t.strip()]
        unknown = [t for t in types if t not in _REASONING_FLAGS]
        if unknown:
            raise _literal_error(source, pos, "reasoning_types", f"unknown reasoning type {unknown[0]!r}")
        urls = _strings(links, source, pos, "wiki_links")
        rows.append(
            {
                "problem_id": str(int(index.iloc[pos])),
                "question": prompt,
                "gold": gold,
                "reasoning_types": " | ".join(types),
                "n_reasoning_types": len(types),
                **{flag: name in types for name, flag in _REASONING_FLAGS.items()},
                "n_wiki_links": len(urls),
                "wiki_links": json.dumps(urls),
            }
        )
    return validate(pd.DataFrame(rows), FRAMES_QUESTIONS, source=source)


# --- the agent profile --------------------------------------------------------------------------------------

_RUN_FIELDS = {
    "duration_sec": "latency_s",
    "energy_total_mWh": "energy_mwh",
    "energy_cpu_mWh": "energy_cpu_mwh",
    "energy_gpu_mWh": "energy_gpu_mwh",
    "peak_process_mem_gb": "peak_process_mem_gb",
}
_STEP_FIELDS = {
    "llm.token_count.prompt": "prompt_tokens",
    "cached_count": "cached_tokens",
    "llm.token_count.completion": "completion_tokens",
    "duration_sec": "latency_s",
    "energy_total_mWh": "energy_mwh",
    "start_time": "start_s",
    "end_time": "end_s",
    "prefill_duration_sec": "prefill_duration_s",
    "generation_duration_sec": "generation_duration_s",
    "prefill_energy_total_mWh": "prefill_energy_mwh",
    "generation_energy_total_mWh": "generation_energy_mwh",
    "energy_cpu_mWh": "energy_cpu_mwh",
    "energy_gpu_mWh": "energy_gpu_mwh",
}


def _run_id(task: str) -> str:
    return f"frames/{int(task):03d}/{PROFILE_MODEL}"


def _profile_tables(profile: pd.DataFrame, source: str, task_of_question: dict[str, str]):
    _require(
        profile, ["question", "answer", "agent_output", "num_LLM_calls", "logprobs", "tokens", *_RUN_FIELDS], source
    )
    questions = _filled(profile, "question", source)
    unknown = ~questions.isin(task_of_question.keys())
    if unknown.any():
        row = int(unknown.to_numpy().nonzero()[0][0])
        raise _literal_error(source, row, "question", "question is not in the FRAMES question file")
    tasks = questions.map(task_of_question)
    n_calls = _numbers(profile, "num_LLM_calls", source).to_numpy()
    run_numbers = {target: _numbers(profile, column, source).to_numpy() for column, target in _RUN_FIELDS.items()}
    step_numbers = {
        (k, target): _numbers(profile, f"step_{k}_{column}", source).to_numpy()
        for k in range(_STEP_SLOTS)
        for column, target in _STEP_FIELDS.items()
    }
    kinds = [profile[f"step_{k}_kind"].to_numpy() for k in range(_STEP_SLOTS)]
    texts = {c: profile[c].to_numpy() for c in ("logprobs", "tokens", "answer", "agent_output")}
    runs, steps = [], []
    for pos in range(len(profile)):
        task = tasks.iloc[pos]
        run_id = _run_id(task)
        logprobs = _float_lists(texts["logprobs"][pos], source, pos, "logprobs")
        tokens = _string_lists(texts["tokens"][pos], source, pos, "tokens")
        present = [k for k in range(_STEP_SLOTS) if isinstance(kinds[k][pos], str)]
        calls = n_calls[pos]
        if present != list(range(len(present))) or len(present) != calls or len(logprobs) != calls:
            raise _literal_error(
                source,
                pos,
                "num_LLM_calls" if len(logprobs) == len(present) else "logprobs",
                f"num_LLM_calls={calls:g}, {len(present)} step_k_kind columns filled, "
                f"{len(logprobs)} log-probability lists: they must agree",
            )
        if len(tokens) != len(logprobs):
            raise _literal_error(
                source, pos, "tokens", f"{len(tokens)} token lists for {len(logprobs)} log-probability lists"
            )
        run_steps = [
            {
                "run_id": run_id,
                "step": k,
                "agent_id": "agent",
                "role": "single",
                "round": 0,
                "turn": k,
                "content": "".join(tokens[k]),
                "kind": kinds[k][pos],
                "logprobs": logprobs[k],
                "tokens": json.dumps(tokens[k]),
                **{target: step_numbers[(k, target)][pos] for target in _STEP_FIELDS.values()},
            }
            for k in present
        ]
        steps += run_steps
        runs.append(
            {
                "run_id": run_id,
                "task": task,
                "suite": "frames",
                "architecture": AGENT_ARCHITECTURE,
                "n_agents": 1,
                "model": PROFILE_MODEL,
                "seed": 0,
                "success": None,
                **{f: sum(s[f] for s in run_steps) for f in ("prompt_tokens", "completion_tokens", "cached_tokens")},
                **{target: values[pos] for target, values in run_numbers.items()},
                "simulated": False,
                "question": questions.iloc[pos],
                "gold": texts["answer"][pos],
                "agent_output": texts["agent_output"][pos],
                "n_steps": int(calls),
                "hit_step_cap": bool(calls > MAX_AGENT_STEPS),
            }
        )
    runs_table = pd.DataFrame(runs)
    runs_table["success"] = pd.array([pd.NA] * len(runs_table), dtype="boolean")
    runs_table["n_steps"] = runs_table["n_steps"].astype("Int64")
    return (validate(runs_table, PROFILE_RUNS, source=source), validate(pd.DataFrame(steps), STEPS, source=source))


def parse_profile(files: dict[str, Path]) -> dict[str, pd.DataFrame]:
    """``{"runs", "steps", "questions"}`` of the FRAMES agent profile (see the module docstring)."""
    frames_source, frames = read_zipped_csv(files[FRAMES_FILE], FRAMES_FILE)
    questions = _frames_questions(frames, frames_source)
    source, profile = read_zipped_csv(files[PROFILE_FILE], PROFILE_FILE)
    runs, steps = _profile_tables(profile, source, dict(zip(questions["question"], questions["problem_id"])))
    return {"runs": runs, "steps": steps, "questions": questions}


# --- the bare-LLM answers -----------------------------------------------------------------------------------


def _model_id(column: str) -> str:
    return column.replace(":", "-")


def _judged_samples(
    frame: pd.DataFrame, source: str, dataset: str, problem_ids: pd.Series, questions: pd.Series, golds: pd.Series
) -> list[pd.DataFrame]:
    answer_columns = [c for c in frame.columns if f"{c}_eval" in frame.columns]
    if not answer_columns:
        raise SchemaError(f"{source}: no answer column with a matching '<model>_eval' verdict column")
    parts = []
    for column in answer_columns:
        if column not in _SIZES_B:
            raise SchemaError(f"{source}: column {column!r}: unknown model (known: {sorted(_SIZES_B)})")
        verdicts = _filled(frame, f"{column}_eval", source).str.strip()
        bad = ~verdicts.isin(VERDICTS)
        if bad.any():
            row = int(bad.to_numpy().nonzero()[0][0])
            raise _literal_error(
                source, row, f"{column}_eval", f"verdict {verdicts.iloc[row]!r} is not one of {list(VERDICTS)}"
            )
        outputs = frame[column]
        parts.append(
            pd.DataFrame(
                {
                    "dataset": dataset,
                    "problem_id": problem_ids.to_numpy(),
                    "model": _model_id(column),
                    "method": "bare-llm",
                    "sample_index": 0,
                    "output": outputs.to_numpy(),
                    "answer": outputs.str.strip().to_numpy(),
                    "gold": golds.to_numpy(),
                    "correct": (verdicts == "CORRECT").to_numpy(),
                    "judge_verdict": verdicts.to_numpy(),
                    "question": questions.to_numpy(),
                    "size_b": _SIZES_B[column],
                    "source_column": column,
                }
            )
        )
    return parts


def _check_same_questions(questions: pd.Series, reference: pd.Series, source: str, column: str, reference_name: str):
    """The files of one benchmark must list the same questions in the same order (ids are row positions)."""
    if len(questions) != len(reference):
        raise SchemaError(f"{source}: {len(questions)} questions, {reference_name} has {len(reference)}")
    differs = (questions.to_numpy() != reference.to_numpy()).nonzero()[0]
    if len(differs):
        raise _literal_error(source, int(differs[0]), column, f"question differs from {reference_name} at the same row")


def parse_llm_judged(files: dict[str, Path]) -> dict[str, pd.DataFrame]:
    """``{"samples", "simpleqa_questions"}``: bare-LLM answers with the authors' judge verdicts."""
    parts = []
    frames_files = [read_zipped_csv(files[name], name) for name in (FRAMES_FILE, FRAMES_30B_FILE)]
    for source, frame in frames_files:
        index_column = "Index" if "Index" in frame.columns else "Unnamed: 0"
        _require(frame, [index_column, "Prompt", "Answer"], source)
        _check_same_questions(frame["Prompt"], frames_files[0][1]["Prompt"], source, "Prompt", FRAMES_FILE)
        ids = _numbers(frame, index_column, source).astype(int).astype(str)
        parts += _judged_samples(frame, source, "frames", ids, frame["Prompt"], _filled(frame, "Answer", source))
    simpleqa_files = [read_zipped_csv(files[name], name) for name in SIMPLEQA_FILES]
    for source, frame in simpleqa_files:
        _require(frame, ["metadata", "problem", "answer"], source)
        problems = _filled(frame, "problem", source)
        _check_same_questions(problems, simpleqa_files[0][1]["problem"], source, "problem", SIMPLEQA_FILES[0])
        ids = pd.Series([str(i) for i in range(len(frame))])
        parts += _judged_samples(frame, source, "simpleqa", ids, problems, _filled(frame, "answer", source))
    samples = pd.concat(parts, ignore_index=True)
    samples["sample_index"] = samples["sample_index"].astype("Int64")
    samples["judge_verdict"] = samples["judge_verdict"].astype("string")
    return {
        "samples": validate(samples, SAMPLES, source="agentstop-llm-judged"),
        "simpleqa_questions": _simpleqa_questions(*simpleqa_files[0]),
    }


def _simpleqa_questions(source: str, frame: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for pos, (metadata, problem, gold) in enumerate(frame[["metadata", "problem", "answer"]].itertuples(False)):
        meta = _literal(metadata, source, pos, "metadata", dict, "a dict")
        urls = meta.get("urls", [])
        if not isinstance(urls, list):
            raise _literal_error(source, pos, "metadata", "'urls' is not a list")
        rows.append(
            {
                "problem_id": str(pos),
                "question": problem,
                "gold": gold,
                "topic": meta.get("topic"),
                "answer_type": meta.get("answer_type"),
                "n_urls": len(urls),
            }
        )
    return validate(pd.DataFrame(rows), SIMPLEQA_QUESTIONS, source=source)


# --- the judge prompt ---------------------------------------------------------------------------------------

_PROMPT_NAMES = {
    "SYSTEM_PROMPT": "system_prompt",
    "USER_PROMPT": "user_template",
    "MODEL_ID": "judge_model",
    "answer_mapping": "verdict_letters",
}
_TEMPLATE_FIELDS = ("{question}", "{target}", "{predicted}")


def _assigned_value(node: ast.AST):
    """The literal assigned in ``NAME = <literal>`` or ``NAME = <string literal>.strip()``; None otherwise."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "strip"
        and not node.args
        and isinstance(node.func.value, ast.Constant)
        and isinstance(node.func.value.value, str)
    ):
        return node.func.value.value.strip()
    try:
        return ast.literal_eval(node)
    except ValueError:
        return None


def parse_judge_prompt(files: dict[str, Path]) -> dict[str, pd.DataFrame]:
    """``{"judge_prompt"}``: the authors' judge prompt, read as data from their notebook (no code is run).

    The grading cell assigns ``SYSTEM_PROMPT``, ``USER_PROMPT`` (fields ``{question}``, ``{target}``,
    ``{predicted}``), ``MODEL_ID`` and ``answer_mapping`` (letter -> verdict), and calls the model with
    ``max_tokens``; each is taken from the cell's syntax tree.
    """
    path = files[JUDGE_NOTEBOOK]
    try:
        cells = json.loads(Path(path).read_text(encoding="utf-8"))["cells"]
    except (ValueError, KeyError, TypeError) as exc:
        raise SchemaError(f"{JUDGE_NOTEBOOK}: not a Jupyter notebook ({exc})") from None
    found: dict = {}
    for number, cell in enumerate(cells):
        source = cell.get("source", "")
        code = "".join(source) if isinstance(source, list) else str(source)
        if cell.get("cell_type") != "code":
            continue
        try:
            tree = ast.parse(code)
        except SyntaxError:
            continue  # a cell with notebook magics is not Python, and holds no prompt
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                column = _PROMPT_NAMES.get(node.targets[0].id)
                value = _assigned_value(node.value)
                if column and value is not None and column not in found:
                    found[column] = value
                    found.setdefault("cell", number)
            if isinstance(node, ast.keyword) and node.arg == "max_tokens" and isinstance(node.value, ast.Constant):
                found.setdefault("max_tokens", node.value.value)
    missing = [c for c in (*_PROMPT_NAMES.values(), "max_tokens") if c not in found]
    if missing:
        raise SchemaError(f"{JUDGE_NOTEBOOK}: could not find {missing} in the notebook's code cells")
    absent = [f for f in _TEMPLATE_FIELDS if f not in found["user_template"]]
    if absent:
        raise SchemaError(f"{JUDGE_NOTEBOOK}: USER_PROMPT lacks the fields {absent}")
    letters = found["verdict_letters"]
    if not isinstance(letters, dict) or sorted(letters.values()) != sorted(VERDICTS):
        raise SchemaError(f"{JUDGE_NOTEBOOK}: answer_mapping {letters!r} does not map letters to {list(VERDICTS)}")
    found["verdict_letters"] = json.dumps(letters, sort_keys=True)
    return {"judge_prompt": validate(pd.DataFrame([found]), JUDGE_PROMPT, source=JUDGE_NOTEBOOK)}
