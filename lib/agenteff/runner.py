"""Execute notebooks headless with papermill, several at once, and report per notebook.

Each notebook runs in its own worker process against a temporary copy of its output: only a notebook that ran
to the end replaces the stored one (outputs stay in the file for readers and for nbval), and only then are its
figures moved into ``figures/<notebook>/``. A failing notebook keeps its last good version, its failed run is
saved under ``<cache>/failed/`` for inspection, and the others still run.
"""
from __future__ import annotations

import json
import math
import multiprocessing
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import nbformat
import yaml

from .paths import cache_dir, figures_dir, notebooks_dir
from .report import build_gallery

__all__ = ["NotebookResult", "resolve_notebooks", "parse_parameters", "run_notebook", "reproduce"]

# Volatile per-run metadata papermill and nbclient write into notebooks: timestamps and absolute paths.
_VOLATILE_NOTEBOOK_KEYS = ("start_time", "end_time", "duration", "input_path", "output_path")


@dataclass
class NotebookResult:
    notebook: str
    ok: bool
    seconds: float
    figures: int
    error: str = ""


def resolve_notebooks(names: list[str] | None) -> list[Path]:
    """Notebook paths from names given as stems (``01_scaling_regressions``), file names or paths."""
    available = sorted(notebooks_dir().glob("[0-9][0-9]_*.ipynb"))
    if not names:
        return available
    chosen = []
    for name in names:
        candidate = Path(name)
        if candidate.suffix == ".ipynb" and candidate.exists():
            chosen.append(candidate.resolve())
            continue
        matches = [p for p in available if p.stem == Path(name).stem or p.stem.startswith(f"{name}_")]
        if len(matches) != 1:
            known = ", ".join(p.stem for p in available)
            raise SystemExit(f"unknown notebook {name!r}; known: {known}")
        chosen.append(matches[0])
    return chosen


def parse_parameters(pairs: list[list[str]] | None) -> dict:
    """``-p NAME VALUE`` pairs; values are read as YAML scalars (``true``, ``3``, ``0.5``, ``null``, text)."""
    return {name: yaml.safe_load(value) for name, value in (pairs or [])}


def _strip_volatile(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    meta = notebook.metadata.get("papermill", {})
    for key in _VOLATILE_NOTEBOOK_KEYS:
        meta.pop(key, None)
    meta.pop("environment_variables", None)
    for cell in notebook.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
    nbformat.write(notebook, path)


def _count_figures(folder: Path) -> int:
    return len(list(folder.glob("*.png"))) if folder.exists() else 0


@contextmanager
def _environment(**variables: str):
    """Set environment variables (inherited by the kernel) for the duration of one run."""
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_notebook(path: str | os.PathLike, parameters: dict | None = None) -> NotebookResult:
    """Execute one notebook in place; see the module docstring for what happens on failure."""
    import papermill

    path = Path(path)
    stem = path.stem
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix=f"agenteff-{stem}-"))
    staged_notebook = work / path.name
    staged_figures = work / "figures"
    error = ""
    # The kernel inherits this environment: figures go to the staging folder, and progress bars are off because
    # the runner reports progress itself (and bars would make stored outputs differ run to run).
    with _environment(AGENTEFF_FIGURES_DIR=str(staged_figures), TQDM_DISABLE="1"):
        try:
            papermill.execute_notebook(
                str(path), str(staged_notebook), parameters=parameters or {}, cwd=str(path.parent),
                progress_bar=False, log_output=False, kernel_name="python3",
            )
        except papermill.PapermillExecutionError as exc:
            error = f"cell {exc.exec_count}: {exc.ename}: {exc.evalue}".strip()
        except Exception as exc:  # kernel died, notebook unreadable, ...
            error = f"{type(exc).__name__}: {exc}"
    figures = 0
    if error:
        failed_dir = cache_dir() / "failed"
        failed_dir.mkdir(parents=True, exist_ok=True)
        if staged_notebook.exists():
            shutil.copyfile(staged_notebook, failed_dir / path.name)
            error += f" (failed run saved to {failed_dir / path.name})"
    else:
        _strip_volatile(staged_notebook)
        for produced in sorted(staged_figures.glob("*/")):  # figures/<notebook>/ folders, replaced whole
            target = figures_dir() / produced.name
            if target.exists():
                shutil.rmtree(target)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(produced), str(target))
            figures += _count_figures(target)
        shutil.move(str(staged_notebook), str(path))
    shutil.rmtree(work, ignore_errors=True)
    return NotebookResult(stem, not error, time.perf_counter() - started, figures, error)


def _print(result: NotebookResult) -> None:
    status = "ok" if result.ok else "FAILED"
    line = f"{status:<7}{result.notebook:<36}{result.seconds:8.1f} s {result.figures:4d} figures"
    if result.error:
        line += f"\n        {result.error}"
    print(line, flush=True)


def _longest_first(paths: list[Path], finished: Sequence[NotebookResult] = ()) -> list[Path]:
    """Records the wall times of ``finished`` successful runs in ``<cache>/durations.json`` and returns ``paths``
    longest first by the recorded times (unrecorded ones first: they may be long), so that with several jobs the
    longest notebook does not start last and run alone at the end."""
    record = cache_dir() / "durations.json"
    try:
        durations = json.loads(record.read_text())
    except (OSError, ValueError):
        durations = {}
    if finished:
        durations.update({r.notebook: round(r.seconds, 1) for r in finished if r.ok})
        record.parent.mkdir(parents=True, exist_ok=True)
        staged = record.with_suffix(".tmp")
        staged.write_text(json.dumps(durations, indent=1, sort_keys=True))
        staged.replace(record)
    return sorted(paths, key=lambda p: -durations.get(p.stem, math.inf))


def reproduce(notebooks: list[str] | None = None, jobs: int | None = None, parameters: dict | None = None) -> int:
    """Run the notebooks (all by default) with ``jobs`` at once; print a line each and a summary; return the exit code."""
    paths = _longest_first(resolve_notebooks(notebooks))
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(paths)))
    print(f"Executing {len(paths)} notebook(s) with {jobs} job(s)", flush=True)
    started = time.perf_counter()
    results = []
    context = multiprocessing.get_context("spawn")  # fresh interpreters: no inherited threads or event loops
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        futures = [pool.submit(run_notebook, path, parameters) for path in paths]
        for future in as_completed(futures):
            result = future.result()
            results.append(result)
            _print(result)
    if not parameters:  # fast or resized runs would record misleading times
        _longest_first(paths, results)
    if figures_dir().exists():
        build_gallery()
    failed = [r for r in results if not r.ok]
    print(f"{len(results) - len(failed)} ok, {len(failed)} failed, "
          f"{sum(r.figures for r in results)} figures, {time.perf_counter() - started:.1f} s wall", flush=True)
    return 1 if failed else 0
