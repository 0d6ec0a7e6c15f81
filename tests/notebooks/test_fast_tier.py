"""The fast tier: every study notebook executed with ``fast=True`` into a temporary folder, and each claim's
status checked against ``tests/fast_claims.csv`` (as recommenders checks recorded metrics).

It catches a notebook that no longer runs, a claim that appears or disappears, and a status that flips, in a few
minutes; ``make test`` then re-executes every notebook at full size under nbval. After a deliberate change,
re-record the expected statuses with ``pytest tests/notebooks/test_fast_tier.py --record-fast-claims`` and say why in
CHANGELOG.md.
"""

import os

import pandas as pd
import pytest

from agenteff.paths import REPO_ROOT, notebooks_dir
from agenteff.studies.contract import STUDY_NOTEBOOK

EXPECTED = REPO_ROOT / "tests" / "fast_claims.csv"
STUDIES = sorted(p for p in notebooks_dir().glob("[0-9][0-9]_*.ipynb") if STUDY_NOTEBOOK.match(p.name))
YOUR_RUNS = sorted(notebooks_dir().glob("9[0-9]_*.ipynb"))


def _expected() -> pd.DataFrame:
    if not EXPECTED.exists():
        return pd.DataFrame(columns=["notebook", "key", "status"])
    return pd.read_csv(EXPECTED, keep_default_na=False)


def _run_fast(path, tmp_path, monkeypatch) -> None:
    import papermill

    monkeypatch.setenv("AGENTEFF_FIGURES_DIR", str(tmp_path / "figures"))
    monkeypatch.setenv("TQDM_DISABLE", "1")
    papermill.execute_notebook(
        str(path),
        str(tmp_path / path.name),
        parameters={"fast": True},
        cwd=str(path.parent),
        progress_bar=False,
        log_output=False,
        kernel_name="python3",
    )


@pytest.mark.parametrize("path", YOUR_RUNS, ids=lambda p: p.stem)
def test_fast_run_of_your_runs_notebook_saves_figures_and_no_claims(path, tmp_path, monkeypatch):
    _run_fast(path, tmp_path, monkeypatch)
    assert list((tmp_path / "figures" / path.stem).glob("*.png"))
    assert not (tmp_path / "figures" / path.stem / "claims.csv").exists()


@pytest.mark.parametrize("path", STUDIES, ids=lambda p: p.stem)
def test_fast_run_gives_the_recorded_claim_statuses(path, tmp_path, monkeypatch, request):
    _run_fast(path, tmp_path, monkeypatch)
    claims = pd.read_csv(tmp_path / "figures" / path.stem / "claims.csv", keep_default_na=False)
    produced = claims.assign(notebook=path.stem)[["notebook", "key", "status"]]
    expected = _expected()
    if request.config.getoption("--record-fast-claims"):
        others = expected[expected["notebook"] != path.stem]
        table = pd.concat([others, produced]).sort_values(["notebook"], kind="stable")
        table.to_csv(EXPECTED.with_suffix(f".{os.getpid()}.tmp"), index=False)
        os.replace(EXPECTED.with_suffix(f".{os.getpid()}.tmp"), EXPECTED)
        return
    recorded = expected[expected["notebook"] == path.stem].reset_index(drop=True)
    assert not recorded.empty, f"no recorded statuses for {path.stem}: run with --record-fast-claims"
    assert produced["key"].tolist() == recorded["key"].tolist(), "claim keys appeared, disappeared or moved"
    changed = produced[produced["status"].to_numpy() != recorded["status"].to_numpy()]
    assert changed.empty, "status changed:\n" + "\n".join(
        f"  {row.key}: recorded {recorded.loc[i, 'status']!r}, now {row.status!r}" for i, row in changed.iterrows()
    )
