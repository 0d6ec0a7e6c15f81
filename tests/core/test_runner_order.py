"""reproduce() starts the longest notebooks first, by the wall times earlier runs recorded."""

import json
from pathlib import Path

from agenteff.runner import NotebookResult, _longest_first


def test_orders_by_recorded_durations_unknown_first(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENTEFF_CACHE_DIR", str(tmp_path))
    (tmp_path / "durations.json").write_text(json.dumps({"01_a": 10.0, "02_b": 160.0, "03_c": 40.0}))
    paths = [Path(f"{name}.ipynb") for name in ("01_a", "02_b", "03_c", "04_new")]
    assert [p.stem for p in _longest_first(paths)] == ["04_new", "02_b", "03_c", "01_a"]


def test_records_successful_runs_and_keeps_the_others(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENTEFF_CACHE_DIR", str(tmp_path))
    (tmp_path / "durations.json").write_text(json.dumps({"01_a": 10.0, "02_b": 160.0}))
    finished = [
        NotebookResult("01_a", True, 99.94, 1),
        NotebookResult("02_b", False, 1.0, 0, "boom"),
        NotebookResult("03_c", True, 5.0, 0),
    ]
    order = _longest_first([Path("01_a.ipynb"), Path("02_b.ipynb"), Path("03_c.ipynb")], finished)
    assert json.loads((tmp_path / "durations.json").read_text()) == {"01_a": 99.9, "02_b": 160.0, "03_c": 5.0}
    assert [p.stem for p in order] == ["02_b", "01_a", "03_c"]


def test_unreadable_record_means_alphabetical_order(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENTEFF_CACHE_DIR", str(tmp_path))
    (tmp_path / "durations.json").write_text("{not json")
    paths = [Path("01_a.ipynb"), Path("02_b.ipynb")]
    assert _longest_first(paths) == paths
