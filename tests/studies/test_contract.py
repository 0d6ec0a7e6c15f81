"""One battery over every study: the contract of ``agenteff.studies.contract`` (as scikit-learn's
``check_estimator``), and the proof that it fails, clearly, on a study that breaks it."""

import json
import textwrap

import pytest

import agenteff.studies
from agenteff.studies.contract import StudyContractError, check_study, contract_problems, study_names


@pytest.mark.parametrize("name", study_names())
def test_study_keeps_the_contract(name):
    check_study(name)


def test_every_study_notebook_is_found():
    names = study_names()
    assert names[:8] == [
        "s01_scaling_regressions",
        "s02_coordination_topologies",
        "s03_overthinking_lengths",
        "s04_cost_of_pass",
        "s05_budgeted_workflows",
        "s06_early_termination",
        "s07_agentic_markets",
        "s08_routing_auctions",
    ]


def _notebook(cells: list[str]) -> str:
    code = [
        {"cell_type": "code", "metadata": {}, "source": source, "outputs": [], "execution_count": None}
        for source in cells
    ]
    return json.dumps({"cells": code, "metadata": {}, "nbformat": 4})


@pytest.fixture
def study_folders(tmp_path, monkeypatch):
    """A throw-away study package ``s42_toy`` beside the real ones, with its notebook and figures folders."""
    package = tmp_path / "lib" / "s42_toy"
    package.mkdir(parents=True)
    monkeypatch.setattr(agenteff.studies, "__path__", [*agenteff.studies.__path__, str(tmp_path / "lib")])
    notebooks, figures = tmp_path / "notebooks", tmp_path / "figures"
    notebooks.mkdir()
    (figures / "42_toy").mkdir(parents=True)
    yield package, notebooks, figures
    import sys

    for module in [m for m in sys.modules if m.startswith("agenteff.studies.s42_toy")]:
        del sys.modules[module]


def _write_good_study(package, notebooks, figures):
    files = {
        "__init__.py": """
            from .analysis import *
            from .claims import claims
            from .figures import *

            NOTEBOOK = "42_toy"
            __all__ = ["NOTEBOOK", "claims", "mean_score", "score_histogram"]
            """,
        "analysis.py": """
            __all__ = ["mean_score"]

            def mean_score(table):
                return table["score"].mean()
            """,
        "figures.py": """
            import matplotlib.pyplot as plt

            from agenteff import report

            __all__ = ["score_histogram"]

            @report.figure
            def score_histogram(table):
                fig, ax = plt.subplots()
                return fig, "Scores"
            """,
        "claims.py": """
            from agenteff import report

            def claims(paper, *, mean: float) -> list[dict]:
                return [report.claim("toy/mean", "mean score", None, mean)]
            """,
    }
    for file, text in files.items():
        (package / file).write_text(textwrap.dedent(text))
    (notebooks / "42_toy.ipynb").write_text(
        _notebook(
            [
                "from agenteff import report\nfrom agenteff.studies import s42_toy as toy",
                "report.save_fig(toy.score_histogram(table), NOTEBOOK)",
                "rows = toy.claims(paper, mean=toy.mean_score(table))",
            ]
        )
    )
    folder = figures / "42_toy"
    for suffix in ("png", "svg"):
        (folder / f"score_histogram.{suffix}").write_text("x")
    (folder / "figures.json").write_text(json.dumps({"score_histogram": "Scores"}))
    (folder / "claims.csv").write_text(
        "key,claim,paper_value,reproduced_value,unit,status,note\ntoy/mean,mean score,,0.5,,new,\n"
    )


def test_a_study_that_keeps_the_contract_passes(study_folders):
    package, notebooks, figures = study_folders
    _write_good_study(package, notebooks, figures)
    assert contract_problems("s42_toy", notebooks=notebooks, figures=figures) == []


def test_a_study_that_breaks_the_contract_fails_naming_each_problem(study_folders):
    package, notebooks, figures = study_folders
    _write_good_study(package, notebooks, figures)
    # the claims function takes a positional input; the notebook types a caption and uses a private name;
    # a figure was saved by no function; a key repeats and a status is invented
    (package / "claims.py").write_text("from agenteff import report\n\ndef claims(paper, mean):\n    return []\n")
    (notebooks / "42_toy.ipynb").write_text(
        _notebook(
            [
                "from agenteff import report\nfrom agenteff.studies import s42_toy as toy",
                "report.save_fig(fig, 'score_histogram', NOTEBOOK, 'typed caption')",
                "toy._private(table)",
            ]
        )
    )
    folder = figures / "42_toy"
    (folder / "stray.png").write_text("x")
    (folder / "claims.csv").write_text(
        "key,claim,paper_value,reproduced_value,unit,status,note\n"
        "toy/mean,mean score,,0.5,,new,\ntoy/mean,again,,0.5,,new,\nToy Mean,x,,1,,great,\n"
    )
    with pytest.raises(StudyContractError) as raised:
        check_study("s42_toy", notebooks=notebooks, figures=figures)
    message = str(raised.value)
    assert "study s42_toy breaks the study contract" in message
    for expected in (
        "s42_toy.claims: parameter 'mean' must be keyword-only",
        "s42_toy.claims: parameter 'mean' has no type annotation",
        "code cell 1: save_fig takes (figure function result, NOTEBOOK): no caption or name typed",
        "code cell 2 uses toy._private, which is not in s42_toy.__all__",
        "figures/42_toy/stray.png was saved by no figure function of s42_toy",
        "claims.csv: key 'toy/mean' is used more than once",
        "claims.csv line 4: key 'Toy Mean' is not a stable key",
        "claims.csv line 4: status 'great' is not one of",
    ):
        assert expected in message, f"{expected!r} not in:\n{message}"


def test_a_single_module_study_and_a_missing_notebook_are_named(study_folders):
    package, notebooks, figures = study_folders
    package.rmdir()
    (package.parent / "s42_toy.py").write_text("NOTEBOOK = '42_toy'\n__all__ = []\n")
    problems = contract_problems("s42_toy", notebooks=notebooks, figures=figures)
    assert "agenteff.studies.s42_toy is a module; a study is a package (a folder with __init__.py)" in problems
    assert "agenteff.studies.s42_toy has no figures module" in problems
    assert "notebooks/42_toy.ipynb is missing" in problems
