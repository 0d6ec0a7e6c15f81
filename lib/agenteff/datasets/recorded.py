"""Replies of a real model recorded into this repository (``data/recorded/``, card in its README.md).

``smollm2-135m-samples``: SmolLM2-135M-Instruct (Q4_1 GGUF, llama.cpp's llama-server) sampled ``k`` times on each
of a small generated set of arithmetic word problems, graded by :mod:`agenteff.metrics.grading`; re-recorded by
``python -m agenteff record-samples``.

``smollm2-135m-topologies``: the five coordination topologies of study 02 run on the same model and server, its
agents acting through structured JSON actions (:mod:`agenteff.engines.actions`): one RUNS row per run and one
STEPS row per model call; re-recorded by ``python -m agenteff record-topologies``.

``smollm2-135m-context-ab``: study 09's live A/B of context policies (mono-context, workspace, omission) run on
the same model and server, acting through structured JSON actions: one RUNS row per episode and one STEPS row
per model call or tool result; re-recorded by ``python -m agenteff record-context-ab``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..schema import RUNS, SAMPLES, STEPS, Column, Schema, read_csv, validate

__all__ = [
    "SAMPLES_FILE",
    "TOPOLOGY_RUNS_FILE",
    "TOPOLOGY_STEPS_FILE",
    "CONTEXT_AB_RUNS_FILE",
    "CONTEXT_AB_STEPS_FILE",
    "RECORDED_SAMPLES",
    "parse_samples",
    "parse_topologies",
    "parse_context_ab",
]

SAMPLES_FILE = "recorded/smollm2_135m_samples.csv"
TOPOLOGY_RUNS_FILE = "recorded/smollm2_135m_topology_runs.csv"
TOPOLOGY_STEPS_FILE = "recorded/smollm2_135m_topology_steps.csv"
CONTEXT_AB_RUNS_FILE = "recorded/smollm2_135m_context_ab_runs.csv"
CONTEXT_AB_STEPS_FILE = "recorded/smollm2_135m_context_ab_steps.csv"

RECORDED_SAMPLES = Schema(
    name="recorded samples",
    doc="SAMPLES rows of a real endpoint, with the prompt and the request settings that produced them.",
    unique=SAMPLES.unique,
    columns=(
        *SAMPLES.columns,
        Column("prompt", "str", doc="the user message sent"),
        Column("temperature", "float", minimum=0, doc="sampling temperature"),
        Column("max_tokens", "int", minimum=1, doc="completion token limit of the request"),
        Column("request_seed", "int", minimum=0, doc="seed sent with the request (the sample index)"),
        Column("finish_reason", "str", nullable=True, doc="'stop', or 'length' when max_tokens cut the reply"),
        Column("simulated", "bool", doc="True when the endpoint was the built-in simulator"),
    ),
)

# text columns stay text ("12" is a gold answer, not a number); an empty field is a missing value
_TEXT = {c.name: str for c in RECORDED_SAMPLES.columns if c.kind == "str"}


def parse_samples(files: dict[str, Path]) -> dict[str, pd.DataFrame]:
    """``samples``: one row per recorded reply (:data:`RECORDED_SAMPLES`)."""
    path = files[SAMPLES_FILE]
    frame = read_csv(path, dtype=_TEXT, keep_default_na=False, na_values=[""])
    return {"samples": validate(frame, RECORDED_SAMPLES, source=path)}


#: Text columns of the recorded steps beyond STEPS's own, where an empty field is empty text, not missing.
_STEP_TEXT = ("content", "action", "malformed", "recipients", "encoding", "observations")


def _read_text_table(path: Path, schema: Schema, empty_text=(), text=()) -> pd.DataFrame:
    """A recorded CSV with every column the schema calls text, and ``text``, read as text; an empty field is
    missing, except in ``empty_text`` columns, where it is the empty string."""
    dtypes = {c.name: str for c in schema.columns if c.kind == "str"} | {name: str for name in (*text, *empty_text)}
    frame = read_csv(path, dtype=dtypes, keep_default_na=False, na_values=[""])
    for column in empty_text:
        if column in frame:
            frame[column] = frame[column].fillna("")
    return frame


def parse_topologies(files: dict[str, Path]) -> dict[str, pd.DataFrame]:
    """``runs`` (RUNS) and ``steps`` (STEPS) of the recorded topology runs; every step belongs to a run."""
    return _runs_and_steps(files[TOPOLOGY_RUNS_FILE], files[TOPOLOGY_STEPS_FILE])


def parse_context_ab(files: dict[str, Path]) -> dict[str, pd.DataFrame]:
    """``runs`` (RUNS) and ``steps`` (STEPS) of the recorded context A/B; every step belongs to a run."""
    # an agent's answer is its reply's text, missing where it never answered
    return _runs_and_steps(files[CONTEXT_AB_RUNS_FILE], files[CONTEXT_AB_STEPS_FILE], text=("answer",))


def _runs_and_steps(runs_path: Path, steps_path: Path, text=()) -> dict[str, pd.DataFrame]:
    runs = validate(_read_text_table(runs_path, RUNS, text=text), RUNS, source=runs_path)
    steps = validate(_read_text_table(steps_path, STEPS, _STEP_TEXT, text), STEPS, source=steps_path)
    orphans = sorted(set(steps["run_id"]) - set(runs["run_id"]))
    if orphans:
        raise ValueError(f"{steps_path}: steps of runs missing from {runs_path.name}, e.g. {orphans[0]!r}")
    return {"runs": runs, "steps": steps}
