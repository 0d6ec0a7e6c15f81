"""Execute notebooks headless with papermill, several at once, and report per notebook.

Each notebook runs in its own worker process against a temporary copy of its output: only a notebook that ran
to the end replaces the stored one (outputs stay in the file for readers and for nbval), and only then are its
figures moved into ``figures/<notebook>/``. A failing notebook keeps its last good version, its failed run is
saved under ``<cache>/failed/`` for inspection, and the others still run.

Parameters are checked before any cell runs, against the notebook's ``parameters`` cell: an unknown name, a
name that looks like a secret (keys come from the environment only), a value of the wrong type (the type of
the default; ``true``/``false`` only for booleans) or outside a declared range is an error. A range is declared
in the comment of the parameter's line (see CONTRIBUTING.md)::

    n_boot = None  # [int >= 1] bootstrap replicates (default 2000; 300 when fast)
    temperature = 0.7  # [0 <= x <= 2]

A run with parameters that differ from the defaults (a smoke run, ``-p fast true``) does not replace the stored
results: its notebook, figures and claims go to ``<cache>/runs/<notebook>-<hash of the parameters>/`` with a
``parameters.json``, unless ``replace=True`` (``--replace``). So does a run of a notebook with a ``base_url``
parameter while ``OPENAI_BASE_URL`` is set: that variable sends its model calls to a real endpoint. Stored and failed notebooks are scrubbed of
key-looking strings, and papermill's metadata records the parameters that made them.

Every figures folder a run stores gets a ``provenance.json`` (parameters, data set versions, package versions;
byte-stable across machines), shown in ``figures/README.md``. Publishing is all or nothing as far as the disk
goes: everything is copied next to its target before anything is swapped in by renames, so a full disk leaves
the stored results as they were; a full disk during the run reports the kernel's own error. The workers exit,
killing their kernels, when the process running :func:`reproduce` dies (kill -9 included).

``-p`` values are read as YAML, safely: at most 4,096 characters, no anchors, aliases or tags, and text with
line breaks kept as given.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import importlib.metadata
import io
import json
import math
import multiprocessing
import operator
import os
import re
import shutil
import sys
import tempfile
import time
import tokenize
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import nbformat
import yaml

from .lifetime import exit_with_parent
from .paths import cache_dir, figures_dir, notebooks_dir
from .report import build_gallery
from .secrets import looks_secret, redact

__all__ = [
    "NotebookResult",
    "ParameterError",
    "resolve_notebooks",
    "parse_parameters",
    "check_parameters",
    "run_notebook",
    "reproduce",
]

# Volatile per-run metadata papermill and nbclient write into notebooks: timestamps and absolute paths.
_VOLATILE_NOTEBOOK_KEYS = ("start_time", "end_time", "duration", "input_path", "output_path")


@dataclass
class NotebookResult:
    notebook: str
    ok: bool
    seconds: float
    figures: int
    error: str = ""
    output: str = ""  # where the executed notebook went (its stored place, or a separate run folder)


class ParameterError(ValueError):
    """A notebook parameter is unknown, looks like a secret, or has a bad type or value."""


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


_MAX_VALUE_CHARS = 4096


def parse_parameters(pairs: list[list[str]] | None) -> dict:
    """``-p NAME VALUE`` pairs; values are read as YAML (``true``, ``3``, ``0.5``, ``null``, ``[1, 2]``, text),
    safely: at most 4,096 characters, no anchors, aliases or tags (an alias bomb of 350 characters expands to
    gigabytes), and text with line breaks is kept as given (YAML would fold them into spaces).
    :class:`ParameterError` says in one line what is wrong."""
    return {name: _parse_value(name, value) for name, value in (pairs or [])}


def _parse_value(name: str, value: str):
    where = f"parameter {name!r}"
    if len(value) > _MAX_VALUE_CHARS:
        raise ParameterError(f"{where}: the value is longer than {_MAX_VALUE_CHARS} characters ({len(value):,})")
    try:
        for token in yaml.scan(value, Loader=yaml.SafeLoader):
            if isinstance(token, (yaml.AnchorToken, yaml.AliasToken)):
                raise ParameterError(f"{where}: YAML anchors and aliases are not allowed ({value[:60]!r})")
            if isinstance(token, yaml.TagToken):
                raise ParameterError(f"{where}: YAML tags are not allowed ({value[:60]!r})")
        parsed = yaml.safe_load(value)
    except yaml.YAMLError as exc:
        problem = " ".join(str(getattr(exc, "problem", None) or exc).split())
        raise ParameterError(f"{where}: cannot read the value {value[:60]!r} as YAML ({problem})") from None
    if isinstance(parsed, str) and "\n" in value:
        return value
    return parsed


_OPERATORS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_BARE_RANGE = re.compile(rf"^((?:(?:>=|<=|>|<)\s*{_NUMBER}\s*(?:,|and)?\s*)+)")
_TYPES = {"int": int, "float": float, "bool": bool, "str": str}


@dataclass(frozen=True)
class _Parameter:
    name: str
    default: object
    kind: type | None  # None: anything goes (a None default with no declared type)
    bounds: tuple  # ((operator text, number), ...)
    literal: bool  # is the default a literal (so "same as default" can be told)?


def _spec(comment: str) -> str:
    comment = comment.strip()
    if comment.startswith("["):
        return comment[1 : comment.index("]")] if "]" in comment else ""
    match = _BARE_RANGE.match(comment)
    return match.group(1) if match else ""


def _parse_spec(name: str, spec: str, source: Path) -> tuple[type | None, tuple]:
    kind, bounds = None, []
    # "0 <= x <= 2" reads as ">= 0, <= 2"
    spec = re.sub(rf"({_NUMBER})\s*(<=|<)\s*x\b", lambda m: {"<=": ">=", "<": ">"}[m[2]] + " " + m[1], spec)
    for token in re.split(r"\s*(?:,|\band\b)\s*|\s+(?=[<>])", spec.replace(" x ", " ").strip()):
        token = token.strip().removeprefix("x").strip()
        if not token:
            continue
        if token in _TYPES:
            kind = _TYPES[token]
            continue
        match = re.fullmatch(rf"(>=|<=|>|<)\s*({_NUMBER})", token)
        if not match:
            raise ParameterError(
                f"{source.name}: parameter {name!r}: cannot read the constraint {token!r} in "
                f"[{spec}] (use e.g. [int >= 1] or [0 <= x <= 2]; see CONTRIBUTING.md)"
            )
        bounds.append((match[1], float(match[2])))
    return kind, tuple(bounds)


def _declared_parameters(path: Path) -> dict[str, _Parameter]:
    """The parameters cell's assignments, each with its default and the constraint in its line's comment."""
    notebook = nbformat.read(path, as_version=4)
    cells = [c for c in notebook.cells if c.cell_type == "code" and "parameters" in c.metadata.get("tags", [])]
    if not cells:
        return {}
    source = cells[0].source
    comments = {}
    with contextlib.suppress(tokenize.TokenError):
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT:
                comments[token.start[0]] = token.string.lstrip("#")
    declared = {}
    for node in ast.parse(source).body:
        target = (
            node.targets[0]
            if isinstance(node, ast.Assign) and len(node.targets) == 1
            else getattr(node, "target", None)
        )
        if not isinstance(target, ast.Name) or getattr(node, "value", None) is None:
            continue
        try:
            default, literal = ast.literal_eval(node.value), True
        except (ValueError, SyntaxError, TypeError):
            default, literal = None, False
        kind, bounds = _parse_spec(target.id, _spec(comments.get(node.end_lineno, "")), path)
        if kind is None and literal and default is not None:
            kind = type(default)
        declared[target.id] = _Parameter(target.id, default, kind, bounds, literal)
    return declared


def _coerce(parameter: _Parameter, value, source: Path):
    where = f"{source.name}: parameter {parameter.name!r}"
    kind = parameter.kind
    if value is None and parameter.literal and parameter.default is None:
        return None
    if kind is bool:
        if not isinstance(value, bool):
            raise ParameterError(f"{where} must be true or false, not {value!r}")
    elif kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ParameterError(f"{where} must be a whole number, not {value!r}")
    elif kind is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ParameterError(f"{where} must be a number, not {value!r}")
        value = float(value)
    elif kind is str:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)  # -p model 4 means the text "4"
        if not isinstance(value, str):
            raise ParameterError(f"{where} must be text, not {value!r}")
    elif kind is not None and not isinstance(value, kind):
        raise ParameterError(f"{where} must be a {kind.__name__}, not {value!r}")
    for text, bound in parameter.bounds:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not _OPERATORS[text](value, bound):
            raise ParameterError(f"{where} must be {text} {bound:g}, not {value!r}")
    return value


def check_parameters(path: str | os.PathLike, parameters: dict | None) -> dict:
    """The parameters checked against the notebook's parameters cell (see the module docstring) and coerced
    (an int given for a float parameter becomes a float); :class:`ParameterError` names the first problem."""
    path = Path(path)
    parameters = dict(parameters or {})
    for name in parameters:
        if looks_secret(name):
            raise ParameterError(
                f"{path.name}: parameter {name!r} looks like a secret; API keys are read from the environment only "
                "(set OPENAI_API_KEY), never passed as parameters, which are stored in the executed notebook"
            )
    declared = _declared_parameters(path)
    unknown = sorted(set(parameters) - set(declared))
    if unknown:
        raise ParameterError(
            f"{path.name}: unknown parameter(s) {unknown}; the notebook's parameters are {sorted(declared)}"
        )
    return {name: _coerce(declared[name], value, path) for name, value in parameters.items()}


def _is_default_run(path: Path, parameters: dict) -> bool:
    declared = _declared_parameters(path)
    return all(
        declared[n].literal and declared[n].default == v and type(declared[n].default) is type(v)
        for n, v in parameters.items()
    )


def _environment_endpoint(path: Path, parameters: dict) -> dict:
    """``{"OPENAI_BASE_URL": url}`` when that variable will decide this notebook's endpoint (it has a ``base_url``
    parameter, left at None), else empty: such a run calls a real endpoint, so it is not the default run and its
    side folder is told apart by the URL."""
    url = os.environ.get("OPENAI_BASE_URL")
    if url is None or "base_url" not in _declared_parameters(path) or parameters.get("base_url") is not None:
        return {}
    return {"OPENAI_BASE_URL": url}


def _side_folder(path: Path, parameters: dict) -> Path:
    digest = hashlib.sha256(json.dumps(parameters, sort_keys=True, default=str).encode()).hexdigest()[:10]
    return cache_dir() / "runs" / f"{path.stem}-{digest}"


def _scrub(path: Path) -> None:
    """Replace key-looking strings in a written notebook (defence in depth: keys are never parameters)."""
    text = path.read_text(encoding="utf-8")
    cleaned = redact(text)
    if cleaned != text:
        _write_file(path, cleaned.encode("utf-8"))


def _raw_write(path: Path, data: bytes) -> None:
    """The one place the runner's bytes reach the disk (the reliability tests fill the disk here)."""
    path.write_bytes(data)


def _write_file(path: Path, data: bytes) -> None:
    """Write ``path`` whole or not at all: a full disk leaves the old file, never a cut one."""
    partial = path.with_name(f".{path.name}.partial")
    try:
        _raw_write(partial, data)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _copy(source: Path, target: Path) -> None:
    if source.is_dir():
        target.mkdir()
        for item in sorted(source.iterdir()):
            _copy(item, target / item.name)
    else:
        _write_file(target, source.read_bytes())


def _publish(moves: list[tuple[Path, Path]]) -> None:
    """Put each ``(source, target)`` in place of its target, all or nothing as far as the disk goes: every source
    is first copied next to its target (where a full disk stops it, and every target is left as it was), then
    swapped in by renames, which need no space."""
    incoming = []
    try:
        for source, target in moves:
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary = target.with_name(f".{target.name}.incoming")
            _remove(temporary)
            incoming.append((temporary, target))
            _copy(source, temporary)
    except BaseException:
        for temporary, _ in incoming:
            _remove(temporary)
        raise
    for temporary, target in incoming:
        if temporary.is_dir() and target.exists():
            outgoing = target.with_name(f".{target.name}.outgoing")
            _remove(outgoing)
            target.rename(outgoing)
            temporary.rename(target)
            _remove(outgoing)
        else:
            os.replace(temporary, target)


_STAGED = "agenteff-staged://"


class _StagedNotebookIO:
    """papermill's reader and writer of ``agenteff-staged://<path>``, the notebook a run writes as it goes. A
    write that fails (a full disk) is remembered rather than raised: raised, it would replace the kernel's own
    error (often the same full disk) in the run's report."""

    failed_writes: dict[str, OSError] = {}

    @classmethod
    def write(cls, buf: str, path: str) -> None:
        target = path.removeprefix(_STAGED)
        try:
            _write_file(Path(target), buf.encode("utf-8"))
        except OSError as exc:
            cls.failed_writes[target] = exc

    @classmethod
    def read(cls, path: str) -> str:
        return Path(path.removeprefix(_STAGED)).read_text(encoding="utf-8")

    @classmethod
    def listdir(cls, path: str):
        raise NotImplementedError("staged notebooks are single files")

    @classmethod
    def pretty_path(cls, path: str) -> str:
        return path.removeprefix(_STAGED)


def _register_staged_io() -> None:
    from papermill.iorw import papermill_io

    if not any(handler is _StagedNotebookIO for handler in papermill_io._handlers):
        papermill_io.register(_STAGED, _StagedNotebookIO)


def _ipc_kernel_manager(socket_prefix: Path):
    """A kernel manager talking to the kernel over local sockets named ``<socket_prefix>-N`` (one folder per run,
    so kernels run at once never share one): the kernel then does not warn, on every run, that it runs over TCP
    without encryption, and nothing listens on a TCP port."""
    from jupyter_client.manager import KernelManager
    from traitlets import default

    class IPCKernelManager(KernelManager):
        @default("transport")
        def _default_transport(self):
            return "ipc"

        @default("ip")
        def _default_ip(self):
            return str(socket_prefix)

    return IPCKernelManager


def _in_run_folder(result: NotebookResult) -> bool:
    return bool(result.output) and Path(result.output).is_relative_to(cache_dir() / "runs")


def _describe_failure(exc) -> str:
    """Which cell failed, by its position in the notebook and its first line (not its execution count)."""
    first_line = next((line for line in (exc.source or "").splitlines() if line.strip()), "").strip()
    if len(first_line) > 80:
        first_line = first_line[:77] + "..."
    return f"cell {exc.cell_index + 1} (`{first_line}`): {exc.ename}: {exc.evalue}".strip()


def _without_injected_parameters(path: Path) -> nbformat.NotebookNode:
    """The notebook without papermill's ``injected-parameters`` cell of an earlier run: papermill adds a fresh one
    only when parameters are given, so a stale one would otherwise silently rerun with the old values."""
    notebook = nbformat.read(path, as_version=4)
    notebook.cells = [c for c in notebook.cells if "injected-parameters" not in c.metadata.get("tags", [])]
    return notebook


def _strip_volatile(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    meta = notebook.metadata.get("papermill", {})
    for key in _VOLATILE_NOTEBOOK_KEYS:
        meta.pop(key, None)
    meta.pop("environment_variables", None)
    for cell in notebook.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.id = "injected-parameters"  # papermill gives it a random id on every run
    _write_file(path, nbformat.writes(notebook).encode("utf-8"))


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


def run_notebook(path: str | os.PathLike, parameters: dict | None = None, *, replace: bool = False) -> NotebookResult:
    """Execute one notebook (in place, or in a run folder of its own when the parameters are not the defaults
    and ``replace`` is False); see the module docstring. Bad parameters raise :class:`ParameterError` before
    anything runs."""
    path = Path(path)
    stem = path.stem
    parameters = check_parameters(path, parameters)
    settings = {**parameters, **_environment_endpoint(path, parameters)}
    default = _is_default_run(path, parameters) and settings == parameters
    side = None if replace or default else _side_folder(path, settings)
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix=f"agenteff-{stem}-"))
    try:
        error, output, figures = _execute_and_publish(path, parameters, settings, side, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return NotebookResult(stem, not error, time.perf_counter() - started, figures, redact(error), output)


def _execute_and_publish(path: Path, parameters: dict, settings: dict, side: Path | None, work: Path):
    """Run the notebook in ``work`` and publish what it made: (error, output, figures)."""
    import papermill

    _register_staged_io()
    staged_notebook = work / path.name
    staged_figures = work / "figures"
    error = ""
    # The kernel inherits this environment: figures go to the staging folder, and progress bars are off because
    # the runner reports progress itself (and bars would make stored outputs differ run to run).
    data_use = work / "data-use.jsonl"  # the data sets the run loads (agenteff.datasets.fetch appends them)
    with _environment(AGENTEFF_FIGURES_DIR=str(staged_figures), TQDM_DISABLE="1", AGENTEFF_DATA_USE_LOG=str(data_use)):
        try:
            papermill.execute_notebook(
                _without_injected_parameters(path),
                _STAGED + str(staged_notebook),
                parameters=parameters,
                cwd=str(path.parent),
                progress_bar=False,
                log_output=False,
                kernel_name="python3",
                kernel_manager_class=_ipc_kernel_manager(work / "kernel"),
            )
        except papermill.PapermillExecutionError as exc:
            error = _describe_failure(exc)
        except Exception as exc:  # kernel died, notebook unreadable, ...
            error = f"{type(exc).__name__}: {exc}"
    unwritten = _StagedNotebookIO.failed_writes.pop(str(staged_notebook), None)
    if unwritten is not None:
        _remove(staged_notebook)  # an earlier cell's version at best
        error = f"{error}; " if error else ""
        error += f"the executed notebook could not be written ({unwritten})"
    if error:
        if staged_notebook.exists():
            failed = cache_dir() / "failed" / path.name
            try:
                _scrub(staged_notebook)
                failed.parent.mkdir(parents=True, exist_ok=True)
                _write_file(failed, staged_notebook.read_bytes())
                error += f" (failed run saved to {failed})"
            except OSError as exc:
                error += f" (the failed run could not be saved: {exc})"
        return error, "", 0
    target_notebook, target_figures = path, figures_dir()
    produced = sorted(staged_figures.glob("*/"))  # figures/<notebook>/ folders, replaced whole
    try:
        provenance = _provenance(path, settings, data_use)
        for folder in produced:
            _write_file(folder / PROVENANCE, provenance)
        _strip_volatile(staged_notebook)
        _scrub(staged_notebook)
        moves = []
        if side is not None:
            side.mkdir(parents=True, exist_ok=True)  # a symlink to a folder is used as the folder
            settings_file = work / "parameters.json"
            _write_file(settings_file, (redact(json.dumps(settings, indent=1, sort_keys=True)) + "\n").encode())
            moves.append((settings_file, side / "parameters.json"))
            target_notebook, target_figures = side / path.name, side / "figures"
        moves += [(folder, target_figures / folder.name) for folder in produced]
        moves.append((staged_notebook, target_notebook))
        _publish(moves)
    except OSError as exc:
        return f"the results could not be published ({exc}); the stored results are unchanged", "", 0
    figures = sum(_count_figures(target_figures / folder.name) for folder in produced)
    return "", str(target_notebook), figures


PROVENANCE = "provenance.json"
# the packages whose versions a result records (the notebooks' watermark list and the plotting stack)
_PROVENANCE_PACKAGES = ("agenteff", "matplotlib", "numpy", "pandas", "scipy", "scikit-learn", "seaborn", "statsmodels")


def _provenance(path: Path, settings: dict, data_use: Path) -> bytes:
    """``provenance.json`` of a run's results: the parameters the notebook ran with (its defaults with the given
    ones over them; sizes left at None are settled inside from ``fast``), the endpoint variable when it chose
    one, the data sets it loaded with their versions, and the package and Python versions. Nothing that differs
    between machines running the same environment (no times, paths or host names), so it is byte-stable."""
    parameters = {name: p.default for name, p in _declared_parameters(path).items() if p.literal}
    parameters.update(settings)
    used = {}
    if data_use.exists():
        for line in data_use.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            used[entry["name"]] = entry["version"]
    packages = {}
    for name in _PROVENANCE_PACKAGES:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            packages[name] = importlib.metadata.version(name)
    record = {
        "notebook": path.stem,
        "parameters": parameters,
        "data": dict(sorted(used.items())),
        "packages": packages,
        "python": f"{sys.version_info.major}.{sys.version_info.minor}",
    }
    return (redact(json.dumps(record, indent=1, sort_keys=True, default=str)) + "\n").encode("utf-8")


def _print(result: NotebookResult) -> None:
    status = "ok" if result.ok else "FAILED"
    line = f"{status:<7}{result.notebook:<36}{result.seconds:8.1f} s {result.figures:4d} figures"
    if result.error:
        line += f"\n        {result.error}"
    elif _in_run_folder(result):
        line += f"\n        non-default parameters: stored results kept; this run is in {Path(result.output).parent}"
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


def reproduce(
    notebooks: list[str] | None = None, jobs: int | None = None, parameters: dict | None = None, replace: bool = False
) -> int:
    """Run the notebooks (all by default) with ``jobs`` at once; print a line each and a summary; return the exit
    code (2 when a parameter is refused, before anything runs)."""
    paths = _longest_first(resolve_notebooks(notebooks))
    try:
        for path in paths:
            check_parameters(path, parameters)
    except ParameterError as exc:
        print(f"error: {exc}", flush=True)
        return 2
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(paths)))
    print(f"Executing {len(paths)} notebook(s) with {jobs} job(s)", flush=True)
    started = time.perf_counter()
    results = []
    context = multiprocessing.get_context("spawn")  # fresh interpreters: no inherited threads or event loops
    # workers (and their kernels) exit when this process dies, even by kill -9: an orphan would go on and replace
    # the stored results of a run that was stopped
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=exit_with_parent) as pool:
        futures = [pool.submit(run_notebook, path, parameters, replace=replace) for path in paths]
        for future in as_completed(futures):
            result = future.result()
            results.append(result)
            _print(result)
    if not parameters and "OPENAI_BASE_URL" not in os.environ:  # fast, resized or live runs: misleading times
        _longest_first(paths, results)
    if figures_dir().exists() and any(r.ok and not _in_run_folder(r) for r in results):
        build_gallery()  # only when stored results changed
    failed = [r for r in results if not r.ok]
    print(
        f"{len(results) - len(failed)} ok, {len(failed)} failed, "
        f"{sum(r.figures for r in results)} figures, {time.perf_counter() - started:.1f} s wall",
        flush=True,
    )
    return 1 if failed else 0
