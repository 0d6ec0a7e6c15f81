"""Issue 12, notebook runner: parameters checked before anything runs, secrets refused and scrubbed, smoke runs
kept apart from stored results, readable failures, no kernel transport warning."""

import errno
import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import nbformat
import numpy
import pandas
import pytest
from test_runner import make_notebook

from agenteff import datasets, runner
from agenteff.report import build_gallery
from agenteff.runner import ParameterError, check_parameters
from agenteff.secrets import redact

CANARY = "sk-" + "agenteff-canary-0d9e44"

PARAMETERS_CELL = """\
fast = False  # reduced sizes
n_boot = 2000  # >= 1
temperature = 0.7  # [0 <= x <= 2] sampling temperature
model = "m"
limit = None  # [int >= 0] optional cap (None: no cap)
note = None"""


@pytest.fixture
def places(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENTEFF_FIGURES_DIR", str(tmp_path / "figures"))
    monkeypatch.setenv("AGENTEFF_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path


@pytest.fixture
def declared(tmp_path):
    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(PARAMETERS_CELL)
    cell.metadata["tags"] = ["parameters"]
    notebook.cells = [cell, nbformat.v4.new_code_cell("print(n_boot)")]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "04_params.ipynb"
    nbformat.write(notebook, path)
    return path


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("n_boot", -5, "'n_boot' must be >= 1, not -5"),
        ("n_boot", 0, "'n_boot' must be >= 1, not 0"),
        ("n_boot", 2.5, "'n_boot' must be a whole number"),
        ("fast", "flase", "'fast' must be true or false, not 'flase'"),
        ("fast", 1, "'fast' must be true or false"),
        ("temperature", 3, "'temperature' must be <= 2, not 3.0"),
        ("temperature", "hot", "'temperature' must be a number"),
        ("limit", -1, "'limit' must be >= 0"),
        ("n_bootstrap", 10, r"unknown parameter\(s\) \['n_bootstrap'\]"),
        ("api_key", CANARY, "'api_key' looks like a secret"),
        ("openai_key", "x", "looks like a secret"),
        ("token", "x", "looks like a secret"),
        ("password", "x", "looks like a secret"),
    ],
)
def test_nonsense_parameters_are_refused(declared, name, value, message):
    with pytest.raises(ParameterError, match=message) as caught:
        check_parameters(declared, {name: value})
    assert CANARY not in str(caught.value)


def test_sensible_parameters_pass_and_are_coerced(declared):
    given = {"fast": True, "n_boot": 1, "temperature": 2, "model": 4, "limit": None, "note": [1, "x"]}
    assert check_parameters(declared, given) == {
        "fast": True,
        "n_boot": 1,
        "temperature": 2.0,
        "model": "4",
        "limit": None,
        "note": [1, "x"],
    }
    assert check_parameters(declared, {"limit": 0}) == {"limit": 0}


def test_constraint_that_cannot_be_read_is_an_error(tmp_path):
    path = make_notebook(tmp_path / "01_x.ipynb", "pass", "01_x")
    notebook = nbformat.read(path, as_version=4)
    notebook.cells[0].source = "size = 3  # [size at least three]"
    nbformat.write(notebook, path)
    with pytest.raises(ParameterError, match="cannot read the constraint"):
        check_parameters(path, {"size": 4})


def test_reproduce_refuses_bad_parameters_before_running_anything(places, capsys):
    path = make_notebook(places / "01_ok.ipynb", "print('done')", "01_ok")
    before = path.read_bytes()
    assert runner.reproduce([str(path)], jobs=1, parameters={"size": "many"}) == 2
    assert "error: 01_ok.ipynb: parameter 'size' must be a whole number, not 'many'" in capsys.readouterr().out
    assert path.read_bytes() == before and not (places / "figures").exists()
    assert runner.reproduce([str(path)], jobs=1, parameters={"api_key": CANARY}) == 2
    assert CANARY not in capsys.readouterr().out and path.read_bytes() == before


def test_run_with_other_parameters_goes_to_its_own_folder(places, capsys):
    path = make_notebook(places / "01_ok.ipynb", "print('done')", "01_ok")
    before = path.read_bytes()
    assert runner.reproduce([str(path)], jobs=1, parameters={"size": 5}) == 0
    printed = capsys.readouterr().out
    assert path.read_bytes() == before and not (places / "figures" / "01_ok").exists()  # stored results kept
    (run_folder,) = (places / "cache" / "runs").iterdir()
    assert run_folder.name.startswith("01_ok-") and f"this run is in {run_folder}" in printed
    assert json.loads((run_folder / "parameters.json").read_text()) == {"size": 5}
    assert (run_folder / "figures" / "01_ok" / "line.png").exists()
    executed = nbformat.read(run_folder / "01_ok.ipynb", as_version=4)
    assert executed.metadata.papermill.parameters == {"size": 5}  # the outputs say which parameters made them
    assert "10\n" in [o.get("text") for c in executed.cells for o in c.get("outputs", [])]
    assert not (places / "figures" / "README.md").exists()  # the gallery of stored results was not rebuilt


def test_keys_are_scrubbed_from_stored_and_failed_notebooks(places, monkeypatch, capfd):
    monkeypatch.setenv("OPENAI_API_KEY", CANARY)
    good = make_notebook(places / "01_ok.ipynb", "import os\nprint('key', os.environ['OPENAI_API_KEY'])", "01_ok")
    result = runner.run_notebook(good)
    assert result.ok and CANARY not in good.read_text() and "key [redacted]" in good.read_text()
    bad = make_notebook(
        places / "02_bad.ipynb", "import os\nraise RuntimeError(os.environ['OPENAI_API_KEY'])", "02_bad"
    )
    result = runner.run_notebook(bad)
    assert not result.ok and CANARY not in result.error
    assert "cell 3 (`import os`): RuntimeError: [redacted]" in result.error
    assert CANARY not in (places / "cache" / "failed" / "02_bad.ipynb").read_text()
    assert "without encryption" not in capfd.readouterr().err  # the kernel talks over IPC, not plain TCP


def test_openai_base_url_makes_a_notebook_with_base_url_a_side_run(places, monkeypatch):
    path = make_notebook(places / "02_live.ipynb", "print(base_url)", "02_live")
    notebook = nbformat.read(path, as_version=4)
    notebook.cells[0].source = "size = 3\nbase_url = None"
    nbformat.write(notebook, path)
    before = path.read_bytes()
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    result = runner.run_notebook(path, {})
    assert result.ok and path.read_bytes() == before  # the stored default run is kept
    run_folder = places / "cache" / "runs"
    (side,) = run_folder.iterdir()
    assert json.loads((side / "parameters.json").read_text()) == {"OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}
    assert runner.run_notebook(path, {"base_url": "http://127.0.0.1:10/v1"}).ok  # the parameter decides
    assert len(list(run_folder.iterdir())) == 2


def test_openai_base_url_does_not_move_a_notebook_without_base_url(places, monkeypatch):
    path = make_notebook(places / "01_ok.ipynb", "print('done')", "01_ok")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    result = runner.run_notebook(path, {})
    assert result.ok and result.output == str(path)


PASSWORD = "pw-" + "hunter2-c4f1"
PATH_TOKEN = "Tk" + "9fQ2xLmZ7rB4vN8wC1pD6sH3jK"


@pytest.mark.parametrize(
    ("url", "redacted"),
    [
        (f"http://alice:{PASSWORD}@127.0.0.1:8080/v1", "http://[redacted]@127.0.0.1:8080/v1"),
        (f"https://host.example/{PATH_TOKEN}/v1", "https://host.example/[redacted]/v1"),
        ("https://host.example/token/abc123/v1", "https://host.example/token/[redacted]/v1"),
        ("https://host.example/v1?api_key=abc123&x=1", "https://host.example/v1?api_key=[redacted]&x=1"),
    ],
)
def test_secrets_in_urls_are_redacted(url, redacted):
    assert redact(f"base_url = {url!r}") == f"base_url = {redacted!r}"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/v1",
        "https://raw.githubusercontent.com/org/repo/0123456789abcdef0123456789abcdef01234567/data/runs.csv",
        "https://huggingface.co/bartowski/SmolLM2-135M-Instruct-GGUF/resolve/main/SmolLM2-135M-Instruct-Q8_0.gguf",
    ],
)
def test_ordinary_urls_are_left_alone(url):
    assert redact(url) == url


def test_secrets_in_urls_stay_out_of_side_runs_and_failed_notebooks(places, monkeypatch):
    path = make_notebook(places / "02_live.ipynb", "raise RuntimeError('no endpoint at ' + base_url)", "02_live")
    notebook = nbformat.read(path, as_version=4)
    notebook.cells[0].source = "size = 3\nbase_url = None"
    nbformat.write(notebook, path)
    with_password = f"http://alice:{PASSWORD}@127.0.0.1:9/v1"
    result = runner.run_notebook(path, {"base_url": with_password})
    assert not result.ok and PASSWORD not in result.error
    assert PASSWORD not in (places / "cache" / "failed" / "02_live.ipynb").read_text()
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:9/{PATH_TOKEN}/v1")
    notebook.cells[-1].source = "print('done')"
    nbformat.write(notebook, path)
    assert runner.run_notebook(path, {}).ok
    written = [p.read_text() for p in (places / "cache").rglob("*") if p.is_file() and p.suffix in (".json", ".ipynb")]
    assert written and not any(PATH_TOKEN in text or PASSWORD in text for text in written)


def _real_notebook(prefix: str):
    (path,) = runner.resolve_notebooks([prefix])
    return path


@pytest.mark.parametrize(
    ("notebook", "name", "value"),
    [
        ("04", "n_boot", -5),
        ("04", "n_boot", 0),
        ("04", "max_tokens", 0),
        ("02", "max_tokens", -1),
        ("03", "temperature", -0.5),
        ("05", "edge_prob", 1.5),
        ("06", "n_folds", 1),
        ("07", "level", 1.0),
        ("08", "cv_folds", 0),
        ("01", "k", 1),
    ],
)
def test_real_notebooks_refuse_nonsense_values(notebook, name, value):
    with pytest.raises(ParameterError, match=rf"parameter '{name}' must be"):
        check_parameters(_real_notebook(notebook), {name: value})


def test_every_numeric_parameter_of_every_notebook_declares_its_range():
    unbounded = []
    for path in runner.resolve_notebooks(None):
        declared = runner._declared_parameters(path)
        for parameter in declared.values():
            numeric = parameter.kind in (int, float)
            # a size left at None, filled by `fast` ("default 2000; 300 when fast"), is numeric too
            sized = parameter.default is None and parameter.literal and parameter.name in _fast_sized(path)
            if (numeric or sized) and not (parameter.bounds and parameter.kind in (int, float)):
                unbounded.append(f"{path.stem}:{parameter.name}")
    assert unbounded == []


def _fast_sized(path):
    notebook = nbformat.read(path, as_version=4)
    (cell,) = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    return {line.split("=")[0].strip() for line in cell.source.splitlines() if "when fast" in line or "fast)" in line}


def test_reproduce_refuses_a_real_notebooks_nonsense_before_running_anything(capsys):
    path = _real_notebook("04")
    before = path.read_bytes()
    assert runner.reproduce(["04"], jobs=1, parameters={"n_boot": 0}) == 2
    assert "parameter 'n_boot' must be >= 1, not 0" in capsys.readouterr().out and path.read_bytes() == before


@pytest.mark.parametrize(
    ("value", "complaint"),
    [
        ("&a [" + ",".join(["*a"] * 5) + "]", "anchors and aliases are not allowed"),
        ("!!python/object:os.system x", "tags are not allowed"),
        ("[1, 2", "cannot read the value"),
        ("x" * 5000, "longer than 4096 characters"),
    ],
)
def test_parameter_values_are_parsed_safely_with_a_one_line_error(value, complaint):
    started = time.perf_counter()
    with pytest.raises(ParameterError, match=complaint) as caught:
        runner.parse_parameters([["note", value]])
    assert "\n" not in str(caught.value) and time.perf_counter() - started < 1


def test_a_billion_laughs_value_is_refused_at_once():
    laughs = ["a: &a [x, x, x, x, x, x, x, x, x]"] + [
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]" for i in range(8)
    ]
    value = "{" + ", ".join(laughs) + "}"
    assert len(value) < 500
    started = time.perf_counter()
    with pytest.raises(ParameterError, match="anchors and aliases are not allowed"):
        runner.parse_parameters([["note", value]])
    assert time.perf_counter() - started < 1


def test_newlines_in_a_text_value_are_kept():
    assert runner.parse_parameters([["note", "first line\nsecond line"]]) == {"note": "first line\nsecond line"}
    assert runner.parse_parameters([["n", "3"], ["xs", "[1, 2]"]]) == {"n": 3, "xs": [1, 2]}


def _full_disk(monkeypatch, free_bytes: int, disk: Path = Path("/")):
    """The runner's disk holding ``disk`` fills after ``free_bytes``: the write that crosses it is cut short and
    raises ENOSPC, as on a real full disk, and so does every later one."""
    left = [free_bytes]

    def write(path, data):
        if path.is_relative_to(disk) and len(data) > left[0]:
            path.write_bytes(data[: left[0]])
            left[0] = 0
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        left[0] -= len(data) if path.is_relative_to(disk) else 0
        path.write_bytes(data)

    monkeypatch.setattr(runner, "_raw_write", write)


def _snapshot(folder):
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_full_disk_while_publishing_leaves_the_stored_results_whole(places, monkeypatch):
    path = make_notebook(places / "01_ok.ipynb", "print('done')", "01_ok")
    assert runner.run_notebook(path, {"size": 4}, replace=True).ok
    before_notebook, before_figures = path.read_bytes(), _snapshot(places / "figures")
    _full_disk(monkeypatch, free_bytes=2000, disk=places)  # the staging folder is elsewhere; the figure won't fit
    result = runner.run_notebook(path, {"size": 5}, replace=True)
    assert (
        not result.ok and "No space left on device" in result.error and "stored results are unchanged" in result.error
    )
    assert path.read_bytes() == before_notebook and _snapshot(places / "figures") == before_figures
    assert not [p for p in places.rglob("*") if ".partial" in p.name or ".incoming" in p.name]


def test_a_full_disk_in_the_runner_reports_the_kernels_error_and_leaves_nothing_behind(places, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(places / "tmp"))
    (places / "tmp").mkdir()
    path = make_notebook(
        places / "02_full.ipynb",
        "import sqlite3\nraise sqlite3.OperationalError('database or disk is full')",
        "02_full",
    )
    _full_disk(monkeypatch, free_bytes=0)
    result = runner.run_notebook(path)
    assert not result.ok
    assert "OperationalError: database or disk is full" in result.error  # the kernel's error, not the runner's
    assert "could not be written" in result.error and "No space left on device" in result.error
    failed = places / "cache" / "failed"
    assert not failed.exists() or all(p.stat().st_size > 0 for p in failed.iterdir())
    assert list((places / "tmp").iterdir()) == []  # no staging folder left behind


_REPRODUCE = textwrap.dedent("""
    import sys
    from agenteff.__main__ import main
    if __name__ == "__main__":
        sys.exit(main(["reproduce", {notebook!r}, "-j", "1"]))
""")


def test_the_runners_worker_and_kernel_die_with_it_on_sigkill(places):
    pids = places / "kernel.pid"
    path = make_notebook(
        places / "03_slow.ipynb",
        f"import os, time\nopen({str(pids)!r}, 'w').write(f'{{os.getpid()}} {{os.getppid()}}')\ntime.sleep(120)",
        "03_slow",
    )
    before = path.read_bytes()
    script = places / "reproduce.py"
    script.write_text(_REPRODUCE.format(notebook=str(path)))
    process = subprocess.Popen([sys.executable, str(script)], env={**os.environ}, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not (pids.exists() and len(pids.read_text().split()) == 2):
            time.sleep(0.2)
        kernel, worker = (int(p) for p in pids.read_text().split())
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and (_alive(kernel) or _alive(worker)):
        time.sleep(0.2)
    survivors = [pid for pid in (kernel, worker) if _alive(pid)]
    for pid in survivors:
        os.kill(pid, signal.SIGKILL)
    assert survivors == [] and path.read_bytes() == before


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def test_a_side_run_folder_that_is_a_symlink_keeps_the_finished_runs_results(places):
    path = make_notebook(places / "01_ok.ipynb", "print('done')", "01_ok")
    side = runner._side_folder(path, {"size": 5})
    elsewhere = places / "elsewhere"
    elsewhere.mkdir()
    side.parent.mkdir(parents=True)
    side.symlink_to(elsewhere)
    result = runner.run_notebook(path, {"size": 5})
    assert result.ok, result.error
    assert (elsewhere / "01_ok.ipynb").exists() and (elsewhere / "figures" / "01_ok" / "line.png").exists()
    assert json.loads((elsewhere / "parameters.json").read_text()) == {"size": 5}


def test_stored_results_record_their_provenance_byte_stably(places):
    path = make_notebook(
        places / "01_ok.ipynb", "from agenteff import datasets\nprint(len(datasets.load('paper-values')) > 0)", "01_ok"
    )
    assert runner.run_notebook(path, {"size": 4}, replace=True).ok
    record_path = places / "figures" / "01_ok" / "provenance.json"
    first = record_path.read_bytes()
    record = json.loads(first)
    assert record["notebook"] == "01_ok" and record["parameters"] == {"size": 4}
    assert record["data"] == {"paper-values": datasets.version("paper-values")}
    assert record["data"]["paper-values"].startswith("data/sha256:")
    assert record["packages"]["numpy"] == numpy.__version__ and record["packages"]["pandas"] == pandas.__version__
    assert str(places) not in first.decode()  # nothing machine-specific
    assert runner.run_notebook(path, {"size": 4}, replace=True).ok
    assert record_path.read_bytes() == first
    gallery = build_gallery(places / "figures").read_text()
    assert "Provenance (`01_ok/provenance.json`): parameters `size=4`; data `paper-values` (data/sha256:" in gallery
    assert f"numpy {numpy.__version__}" in gallery
