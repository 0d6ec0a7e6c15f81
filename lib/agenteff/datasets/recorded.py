"""Replies of a real model recorded into this repository (``data/recorded/``, card in its README.md).

``smollm2-135m-samples``: SmolLM2-135M-Instruct (Q4_1 GGUF, llama.cpp's llama-server) sampled ``k`` times on each
of a small generated set of arithmetic word problems, graded by :mod:`agenteff.metrics.grading`; re-recorded by
``python -m agenteff record-samples``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..schema import SAMPLES, Column, Schema, read_csv, validate

__all__ = ["SAMPLES_FILE", "RECORDED_SAMPLES", "parse_samples"]

SAMPLES_FILE = "recorded/smollm2_135m_samples.csv"

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
