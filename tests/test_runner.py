import nbformat
import pytest

from agenteff import runner


def make_notebook(path, body: str, name: str):
    notebook = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("size = 3")
    params.metadata["tags"] = ["parameters"]
    notebook.cells = [
        params,
        nbformat.v4.new_code_cell(
            "import matplotlib.pyplot as plt\nfrom agenteff import report\n"
            f"fig, ax = plt.subplots(); ax.plot(range(size)); ax.set(title='t', xlabel='x', ylabel='y')\n"
            f"report.save_fig(report.StudyFigure('line', fig, 'A line.'), {name!r})\nprint(size * 2)"
        ),
        nbformat.v4.new_code_cell(body),
    ]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, path)
    return path


@pytest.fixture
def places(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENTEFF_FIGURES_DIR", str(tmp_path / "figures"))
    monkeypatch.setenv("AGENTEFF_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path


def test_parameters_are_read_as_yaml_scalars():
    assert runner.parse_parameters(
        [["fast", "true"], ["n", "3"], ["p", "0.5"], ["model", "gpt-4o"], ["x", "null"]]
    ) == {"fast": True, "n": 3, "p": 0.5, "model": "gpt-4o", "x": None}


def test_successful_run_stores_outputs_and_moves_figures(places):
    path = make_notebook(places / "01_ok.ipynb", "print('done')", "01_ok")
    result = runner.run_notebook(path, {"size": 4}, replace=True)
    assert result.ok and result.figures == 1 and result.error == "" and result.output == str(path)
    assert (places / "figures" / "01_ok" / "line.png").exists()
    stored = nbformat.read(path, as_version=4)
    outputs = [o.get("text", "") for cell in stored.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert "8\n" in outputs and "done\n" in outputs  # the injected parameter (size=4) was used
    assert "start_time" not in stored.metadata.get("papermill", {})  # volatile metadata stripped
    assert all("execution" not in cell.metadata for cell in stored.cells)


def test_failed_run_keeps_the_stored_notebook_and_reports_the_cell(places):
    path = make_notebook(places / "02_bad.ipynb", "1 / 0", "02_bad")
    before = path.read_bytes()
    result = runner.run_notebook(path)
    assert not result.ok
    assert "cell 3 (`1 / 0`): ZeroDivisionError" in result.error  # position in the notebook and first line
    assert path.read_bytes() == before
    assert (places / "cache" / "failed" / "02_bad.ipynb").exists()
    assert not (places / "figures" / "02_bad").exists()  # half-made figures never replace good ones


def test_reproduce_runs_the_rest_and_exits_non_zero(places, capsys):
    ok = make_notebook(places / "01_ok.ipynb", "print('done')", "01_ok")
    bad = make_notebook(places / "02_bad.ipynb", "raise RuntimeError('boom')", "02_bad")
    code = runner.reproduce([str(ok), str(bad)], jobs=2)
    printed = capsys.readouterr().out
    assert code == 1
    assert "ok     01_ok" in printed and "FAILED 02_bad" in printed and "RuntimeError: boom" in printed
    assert "1 ok, 1 failed, 1 figures" in printed
    assert (places / "figures" / "README.md").exists()


def test_unknown_notebook_names_are_refused():
    with pytest.raises(SystemExit, match="unknown notebook 'nope'"):
        runner.resolve_notebooks(["nope"])


def test_a_stale_injected_parameters_cell_does_not_survive_a_default_run(places):
    path = make_notebook(places / "nb.ipynb", "print('done')", "nb")
    assert runner.run_notebook(path, {"size": 5}, replace=True).ok  # an explicit replacement stores size = 5
    stored = nbformat.read(path, as_version=4)
    assert any("injected-parameters" in c.metadata.get("tags", []) for c in stored.cells)
    assert runner.run_notebook(path).ok  # a plain run must go back to the parameters cell's size = 3
    rerun = nbformat.read(path, as_version=4)
    assert not any("injected-parameters" in c.metadata.get("tags", []) for c in rerun.cells)
    assert rerun.cells[1].outputs[0]["text"] == "6\n"
