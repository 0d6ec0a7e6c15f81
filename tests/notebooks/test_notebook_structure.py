"""The notebook conventions of CONTRIBUTING.md, checked on every stored notebook (no kernel needed).

Every notebook: a title cell, a watermark cell, no function definitions, no code cell over 15 lines (but the parameters cell), no figure
drawn inline, no stray metadata. Study notebooks (01-89) also: a `parameters` cell, a figures folder and a
study module of the same name, a test module mirroring it, and the claims table written in the last cells.
Notebooks of the user's own runs (90-99) have a `parameters` cell and a figures folder, and write no claims.
"""

import importlib
import json
import re

import pytest

from agenteff.paths import REPO_ROOT, figures_dir, notebooks_dir
from agenteff.studies.contract import STUDY_NOTEBOOK

NOTEBOOKS = sorted(notebooks_dir().glob("[0-9][0-9]_*.ipynb"))
STUDIES = [path for path in NOTEBOOKS if STUDY_NOTEBOOK.match(path.name)]
YOUR_RUNS = [path for path in NOTEBOOKS if path.name.startswith("9")]
MAX_CODE_LINES = 15
# drawing calls that belong in a study module's figure function, never in a notebook
INLINE_DRAWING = re.compile(
    r"plt\.(subplots|figure|subplot)\(|\bsns\.\w+\(|\bax(es)?(\[[^]]*\])?\.\w+\(|\.set_(x|y)label\("
)
NOTEBOOK_METADATA = {"kernelspec", "language_info", "papermill"}
CELL_METADATA = {"tags", "papermill", "execution"}


def _cells(path):
    return json.loads(path.read_text())["cells"]


def _source(cell) -> str:
    return "".join(cell["source"])


def _code(path):
    return [_source(c) for c in _cells(path) if c["cell_type"] == "code"]


def study_module(path) -> str:
    number, name = path.stem.split("_", 1)
    return f"agenteff.studies.s{number}_{name}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_title_and_watermark_open_the_notebook(path):
    cells = _cells(path)
    assert cells[0]["cell_type"] == "markdown" and _source(cells[0]).startswith("# "), "first cell: a markdown title"
    assert any("%watermark" in _source(c) for c in cells[:3] if c["cell_type"] == "code"), (
        "a watermark cell near the top"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_code_cells_are_thin(path):
    code = [c for c in _cells(path) if c["cell_type"] == "code"]
    parameter_cells = {i for i, c in enumerate(code) if "parameters" in c.get("metadata", {}).get("tags", [])}
    for index, source in enumerate(_code(path)):
        first = source.splitlines()[0] if source else ""
        assert not re.search(r"^\s*(async\s+)?def |^\s*class ", source, re.MULTILINE), (
            f"code cell {index} ({first!r}) defines a function or class: move it into lib/"
        )
        # the parameters cell is a list of knobs, one documented assignment a line, not logic: no limit
        assert index in parameter_cells or len(source.splitlines()) <= MAX_CODE_LINES, (
            f"code cell {index} ({first!r}) has {len(source.splitlines())} lines (at most {MAX_CODE_LINES})"
        )
        drawing = INLINE_DRAWING.search(source)
        assert drawing is None, (
            f"code cell {index} ({first!r}) draws inline ({drawing.group(0)!r}): use a figure function"
        )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_stray_metadata(path):
    notebook = json.loads(path.read_text())
    assert set(notebook["metadata"]) <= NOTEBOOK_METADATA, (
        f"notebook metadata {set(notebook['metadata']) - NOTEBOOK_METADATA}"
    )
    for index, cell in enumerate(notebook["cells"]):
        extra = set(cell.get("metadata", {})) - CELL_METADATA
        assert not extra, f"cell {index} carries metadata {extra}"


@pytest.mark.parametrize("path", STUDIES, ids=lambda p: p.stem)
def test_study_notebook_has_parameters_module_figures_tests_and_claims(path):
    cells = _cells(path)
    tagged = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1 and tagged[0]["cell_type"] == "code", "exactly one code cell tagged 'parameters'"
    assert "fast" in _source(tagged[0]) and "seed" in _source(tagged[0]), "parameters include fast and seed"
    importlib.import_module(study_module(path))
    assert (figures_dir() / path.stem).is_dir(), f"figures/{path.stem}/ holds its figures"
    module_name = study_module(path).rsplit(".", 1)[1]
    assert (REPO_ROOT / "tests" / "studies" / f"test_{module_name}.py").is_file(), "tests/studies mirrors the study"
    code = _code(path)
    writes = [i for i, source in enumerate(code) if "write_claims(" in source]
    assert len(writes) == 1 and writes[0] >= len(code) - 3, "the claims table is written once, in the last cells"
    assert sum("claims(" in source for source in code) >= 1


@pytest.mark.parametrize("path", YOUR_RUNS, ids=lambda p: p.stem)
def test_your_runs_notebook_has_parameters_and_figures_and_no_claims(path):
    cells = _cells(path)
    tagged = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1 and tagged[0]["cell_type"] == "code", "exactly one code cell tagged 'parameters'"
    assert "fast" in _source(tagged[0]) and "seed" in _source(tagged[0]), "parameters include fast and seed"
    assert (figures_dir() / path.stem).is_dir(), f"figures/{path.stem}/ holds its figures"
    assert not any("write_claims(" in source for source in _code(path)), "not a study: no claims table"
    assert not (figures_dir() / path.stem / "claims.csv").exists()
