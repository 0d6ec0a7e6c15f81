"""Parsers of the mirrored sample agent logs: the same readers a user's own logs go through (``agenteff.logs``).

The Inspect logs record their outcomes, so they give RUNS and STEPS. The ATIF golden-test trajectories come with
no verifier result, so they give STEPS and a table of per-trajectory totals only: an outcome is never invented.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

__all__ = ["parse", "parse_trajectories"]


def parse(files: dict[str, Path]) -> dict[str, pd.DataFrame]:
    from .. import logs

    imported = logs.load([files[name] for name in sorted(files)], format="inspect")
    return {"runs": imported.runs, "steps": imported.steps, "files": imported.files}


def parse_trajectories(files: dict[str, Path]) -> dict[str, pd.DataFrame]:
    from ..logs import atif

    roots = [files[name] for name in sorted(files) if not atif.is_continuation(Path(name))]
    return atif.trajectory_tables(roots)
