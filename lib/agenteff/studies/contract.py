"""The study contract, stated once and checked over every study by :func:`check_study` (as scikit-learn's
``check_estimator`` checks every estimator).

A study ``sNN_name`` is a package ``agenteff.studies.sNN_name`` backing ``notebooks/NN_name.ipynb``:

1. modules ``analysis``, ``figures`` and ``claims`` (more where the study needs them); the package's ``__all__``
   is its public API and ``NOTEBOOK`` names its notebook;
2. every function of ``figures`` listed in its ``__all__`` is a figure function (:func:`agenteff.report.figure`),
   named after the files it saves, and returns the figure with its caption; the notebook saves exactly these, so
   ``figures/NN_name/`` holds one PNG and SVG per figure function and ``figures.json`` their captions;
3. ``claims(paper, *, ...)`` takes the paper values first and every other input keyword-only with a type;
4. every row of ``figures/NN_name/claims.csv`` has a stable key, unique within the study, and a valid status;
5. the notebook uses only the study's public API: no caption typed in it (``report.save_fig`` gets a figure
   function's result), no private module or name of the study, no other study.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import re
from pathlib import Path
from types import ModuleType

import pandas as pd

from ..paths import figures_dir, notebooks_dir
from ..report import CLAIM_COLUMNS, CLAIM_KEY, CLAIM_STATUSES, MANIFEST

__all__ = ["StudyContractError", "check_study", "contract_problems", "study_names"]

REQUIRED_MODULES = ("analysis", "figures", "claims")
# notebooks 01-89 are studies; 00 is the tour and 90-99 are the user's own runs (no claims)
STUDY_NOTEBOOK = re.compile(r"^(?P<number>(?!00)[0-8][0-9])_(?P<name>[a-z0-9_]+)\.ipynb$")


class StudyContractError(AssertionError):
    """A study breaks the contract; the message lists every problem found."""


def study_names(notebooks: Path | None = None) -> list[str]:
    """The study package names (``s01_scaling_regressions``, ...) of the study notebooks."""
    folder = notebooks or notebooks_dir()
    names = []
    for path in sorted(folder.glob("*.ipynb")):
        match = STUDY_NOTEBOOK.match(path.name)
        if match:
            names.append(f"s{match['number']}_{match['name']}")
    return names


def _code_cells(notebook: Path) -> list[str]:
    cells = json.loads(notebook.read_text())["cells"]
    return ["".join(cell["source"]) for cell in cells if cell["cell_type"] == "code"]


def _parse(source: str) -> ast.Module | None:
    # IPython magics are not Python: blank them before parsing
    lines = ["" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()]
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        return None


def _notebook_problems(study: ModuleType, name: str, notebook: Path) -> list[str]:
    problems = []
    public = set(getattr(study, "__all__", ()))
    figure_functions = _figure_functions(study)
    aliases: set[str] = set()
    for index, source in enumerate(_code_cells(notebook)):
        tree = _parse(source)
        if tree is None:
            problems.append(f"{notebook.name}: code cell {index} is not valid Python")
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                module = node.module
                if module == "agenteff.studies":
                    for alias in node.names:
                        if alias.name != name:
                            problems.append(f"{notebook.name}: imports another study, {alias.name}")
                        aliases.add(alias.asname or alias.name)
                elif module.startswith("agenteff.studies."):
                    problems.append(f"{notebook.name}: imports from {module}; use the study package's public names")
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("agenteff.studies."):
                        problems.append(f"{notebook.name}: imports {alias.name}; use 'from agenteff.studies import'")
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
                if node.attr not in public:
                    problems.append(
                        f"{notebook.name}: code cell {index} uses {node.value.id}.{node.attr}, "
                        f"which is not in {name}.__all__"
                    )
            if isinstance(node, ast.Call) and _is_save_fig(node.func):
                problems.extend(_save_fig_problems(node, index, notebook.name, aliases, figure_functions))
    if not aliases:
        problems.append(f"{notebook.name}: never imports its study ('from agenteff.studies import {name} as ...')")
    return problems


def _is_save_fig(func: ast.expr) -> bool:
    return (isinstance(func, ast.Attribute) and func.attr == "save_fig") or (
        isinstance(func, ast.Name) and func.id == "save_fig"
    )


def _save_fig_problems(call: ast.Call, index: int, notebook: str, aliases: set[str], figures: set[str]) -> list[str]:
    where = f"{notebook}: code cell {index}"
    if len(call.args) != 2 or call.keywords:
        return [f"{where}: save_fig takes (figure function result, NOTEBOOK): no caption or name typed in a notebook"]
    made = call.args[0]
    ok = (
        isinstance(made, ast.Call)
        and isinstance(made.func, ast.Attribute)
        and isinstance(made.func.value, ast.Name)
        and made.func.value.id in aliases
        and made.func.attr in figures
    )
    return [] if ok else [f"{where}: save_fig's first argument must be a call of one of the study's figure functions"]


def _figure_functions(study: ModuleType) -> set[str]:
    figures = getattr(study, "figures", None)
    if figures is None:
        return set()
    return {
        name for name in getattr(figures, "__all__", ()) if getattr(getattr(figures, name, None), "study_figure", False)
    }


def _claims_signature_problems(study: ModuleType, name: str) -> list[str]:
    claims = getattr(study, "claims", None)
    if isinstance(claims, ModuleType):
        return [f"{name}.claims is the module; the package must export the claims function as 'claims'"]
    if not callable(claims):
        return [f"{name} has no claims(paper, *, ...) function"]
    parameters = list(inspect.signature(claims).parameters.values())
    problems = []
    if not parameters or parameters[0].name != "paper" or parameters[0].kind is not parameters[0].POSITIONAL_OR_KEYWORD:
        problems.append(f"{name}.claims: the first parameter must be 'paper' (the paper values)")
    for parameter in parameters[1:]:
        if parameter.kind is not parameter.KEYWORD_ONLY:
            problems.append(f"{name}.claims: parameter {parameter.name!r} must be keyword-only (after '*')")
        if parameter.annotation is parameter.empty:
            problems.append(f"{name}.claims: parameter {parameter.name!r} has no type annotation")
    return problems


def _figure_problems(study: ModuleType, name: str, folder: Path) -> list[str]:
    problems = []
    figures = getattr(study, "figures", None)
    exported = set(getattr(figures, "__all__", ())) if figures is not None else set()
    declared = _figure_functions(study)
    for plain in sorted(exported - declared):
        problems.append(f"{name}.figures.{plain} is exported but is not a figure function (@report.figure)")
    saved = {path.stem for path in folder.glob("*.png")}
    for missing in sorted(declared - saved):
        problems.append(f"figure function {name}.{missing} has no saved figures/{folder.name}/{missing}.png")
    for stray in sorted(saved - declared):
        problems.append(f"figures/{folder.name}/{stray}.png was saved by no figure function of {name}")
    for stem in sorted(saved):
        if not (folder / f"{stem}.svg").exists():
            problems.append(f"figures/{folder.name}/{stem}.png has no SVG beside it")
    manifest = folder / MANIFEST
    captions = json.loads(manifest.read_text()) if manifest.exists() else {}
    if set(captions) != saved:
        problems.append(
            f"figures/{folder.name}/{MANIFEST} captions {sorted(captions)} differ from the saved {sorted(saved)}"
        )
    return problems


def _claims_table_problems(folder: Path) -> list[str]:
    path = folder / "claims.csv"
    if not path.exists():
        return [f"figures/{folder.name}/claims.csv is missing"]
    table = pd.read_csv(path, keep_default_na=False, dtype=str)
    if list(table.columns) != CLAIM_COLUMNS:
        return [f"figures/{folder.name}/claims.csv columns {list(table.columns)} are not {CLAIM_COLUMNS}"]
    problems = []
    for row, key in enumerate(table["key"], start=2):
        if not CLAIM_KEY.match(key):
            problems.append(f"figures/{folder.name}/claims.csv line {row}: key {key!r} is not a stable key")
    for key in table["key"][table["key"].duplicated()].unique():
        problems.append(f"figures/{folder.name}/claims.csv: key {key!r} is used more than once")
    for row, status in enumerate(table["status"], start=2):
        if status not in CLAIM_STATUSES:
            problems.append(
                f"figures/{folder.name}/claims.csv line {row}: status {status!r} is not one of {CLAIM_STATUSES}"
            )
    return problems


def contract_problems(name: str, *, notebooks: Path | None = None, figures: Path | None = None) -> list[str]:
    """Every way the study package ``name`` (e.g. ``"s06_early_termination"``) breaks the contract."""
    match = re.fullmatch(r"s(\d\d)_([a-z0-9_]+)", name)
    if match is None:
        return [f"{name!r} is not a study package name (sNN_name)"]
    stem = f"{match[1]}_{match[2]}"
    try:
        study = importlib.import_module(f"agenteff.studies.{name}")
    except ImportError as error:
        return [f"agenteff.studies.{name} cannot be imported: {error}"]
    problems = []
    if not hasattr(study, "__path__"):
        problems.append(f"agenteff.studies.{name} is a module; a study is a package (a folder with __init__.py)")
    for module in REQUIRED_MODULES:
        try:
            importlib.import_module(f"agenteff.studies.{name}.{module}")
        except ImportError:
            problems.append(f"agenteff.studies.{name} has no {module} module")
    if getattr(study, "NOTEBOOK", None) != stem:
        problems.append(f"{name}.NOTEBOOK must be {stem!r}, not {getattr(study, 'NOTEBOOK', None)!r}")
    if not hasattr(study, "__all__"):
        problems.append(f"{name} declares no __all__ (its public API)")
    notebook = (notebooks or notebooks_dir()) / f"{stem}.ipynb"
    if not notebook.exists():
        problems.append(f"notebooks/{stem}.ipynb is missing")
    else:
        problems += _notebook_problems(study, name, notebook)
    problems += _claims_signature_problems(study, name)
    folder = (figures or figures_dir()) / stem
    problems += _figure_problems(study, name, folder)
    problems += _claims_table_problems(folder)
    return problems


def check_study(name: str, *, notebooks: Path | None = None, figures: Path | None = None) -> None:
    """Raise :class:`StudyContractError` listing every way the study ``name`` breaks the contract."""
    problems = contract_problems(name, notebooks=notebooks, figures=figures)
    if problems:
        listed = "\n".join(f"- {problem}" for problem in problems)
        raise StudyContractError(f"study {name} breaks the study contract ({__name__}):\n{listed}")
