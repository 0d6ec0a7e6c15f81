"""The overthinking demo: reasoning-model responses split into solution rounds, each judged and clustered.

Source: Chen et al., 'Do NOT Think That Much for 2+3=? On the Overthinking of o1-Like LLMs' (arXiv:2412.21187),
repository github.com/galaxyChen/overthinking, ``data/debug.processed.jsonl``: each response to a problem is cut
into the successive solutions ("rounds") it contains; every round is judged correct or not and given a cluster id
(rounds in one cluster take the same approach). These feed the paper's outcome and process efficiency.

The file repeats every response once per round (the repository's ``prepare_result_file`` appends the response
inside its loop over rounds), so 20 lines hold 5 distinct responses; duplicates are dropped here and the count of
copies kept in ``copies_in_file``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ..schema import SAMPLES, Column, Schema, validate

__all__ = ["parse", "ROUNDS"]

DATASET = "overthinking-demo"
FILE = "data/debug.processed.jsonl"

ROUNDS = Schema(
    "overthinking_rounds",
    (
        Column("problem_id", "str", doc="problem id (0-based order of first appearance)"),
        Column("round_index", "int", minimum=0, doc="0-based position of the solution round in the response"),
        Column("text", "str", doc="the round's text"),
        Column("chars", "int", minimum=0, doc="characters of the round"),
        Column("correct", "bool", doc="did this round reach the right answer (the authors' judge)"),
        Column("cluster", "int", minimum=0, doc="approach cluster; rounds in one cluster repeat one approach"),
    ),
    unique=("problem_id", "round_index"),
    doc="Solution rounds of the overthinking demo responses.",
)


def parse(files: dict[str, Path]) -> dict[str, pd.DataFrame]:
    """``rounds`` (one row per solution round) and ``responses`` (SAMPLES schema, one row per response)."""
    path = files[FILE]
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    distinct: dict[str, dict] = {}
    copies: dict[str, int] = {}
    for record in records:
        key = json.dumps(record, sort_keys=True)
        distinct.setdefault(key, record)
        copies[key] = copies.get(key, 0) + 1
    responses, rounds = [], []
    for position, (key, record) in enumerate(distinct.items()):
        problem_id = str(position)
        responses.append(
            {
                "dataset": DATASET,
                "problem_id": problem_id,
                "model": "not stated (demo file)",
                "method": "demo",
                "sample_index": 0,
                "output": record["response"],
                "answer": None,
                "gold": str(record["expected_answer"]),
                "correct": record["correct"],
                "problem": record["problem"],
                "n_rounds": len(record["split_solutions"]),
                "copies_in_file": copies[key],
            }
        )
        for index, solution in enumerate(record["split_solutions"]):
            rounds.append(
                {
                    "problem_id": problem_id,
                    "round_index": index,
                    "text": solution["solution"],
                    "chars": len(solution["solution"]),
                    "correct": solution["correct"],
                    "cluster": solution["cluster"],
                }
            )
    return {
        "rounds": validate(pd.DataFrame(rounds), ROUNDS, source=path),
        "responses": validate(pd.DataFrame(responses), SAMPLES, source=path),
    }
