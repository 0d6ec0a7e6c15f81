"""Issue 12, bad input: non-finite and oversized numbers, cut CSV rows, the data/ manifest, parsers' bare errors,
several processes repairing one corrupt cached file at once, and `data fetch` after a corrupt copy."""

import hashlib
import multiprocessing
import os
import shutil
import threading

import pandas as pd
import pytest

from agenteff import datasets, schema
from agenteff.__main__ import main
from agenteff.datasets import DataIntegrityError, Dataset, LocalFile, RemoteFile, agent_scaling, mcpp, published
from agenteff.datasets.prices import PRICES
from agenteff.paths import data_dir
from agenteff.schema import RUNS, SchemaError, read_table, validate

HEADER = "run_id,task,suite,architecture,n_agents,model,seed,success,cost_usd,prompt_tokens\n"
ROW = "r{i},t,s,single,1,m,{i},true,0.25,100\n"


def _runs_csv(tmp_path, text, name="runs.csv"):
    path = tmp_path / name
    path.write_text(HEADER + text)
    return path


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("r1,t,s,single,1,m,1,true,inf,100\n", r"row 1, column 'cost_usd': expected a finite number, got inf"),
        ("r1,t,s,single,1,m,1,true,1e400,100\n", r"row 1, column 'cost_usd': expected a finite number"),
        (
            "r1,t,s,single,1,m,1,true,0.5,99999999999999999999\n",
            r"row 1, column 'prompt_tokens': 99999999999999999999 is too large for a 64-bit integer",
        ),
        ("r1,t,s,single,1,m,1,true,0.5,100\nr2,t,s,single,1,m,4,F", r"row 2 has 8 fields, the header 10"),
    ],
)
def test_bad_values_in_a_runs_file_are_named(tmp_path, row, message):
    path = _runs_csv(tmp_path, row)
    with pytest.raises(SchemaError, match=message) as caught:
        read_table(path, RUNS)
    assert str(path) in str(caught.value)


def test_a_good_runs_file_still_reads(tmp_path):
    table = read_table(_runs_csv(tmp_path, ROW.format(i=1) + ROW.format(i=2)), RUNS)
    assert table["cost_usd"].tolist() == [0.25, 0.25] and table["prompt_tokens"].tolist() == [100, 100]


def test_oversized_integers_in_a_frame_are_named():
    frame = pd.DataFrame(
        [
            {
                "run_id": "a",
                "task": "t",
                "suite": "s",
                "architecture": "single",
                "n_agents": 1,
                "model": "m",
                "seed": 2**70,
                "success": True,
            }
        ]
    )
    with pytest.raises(SchemaError, match="runs.csv: row 1, column 'seed': .* too large for a 64-bit integer"):
        validate(frame, RUNS, source="runs.csv")


def test_infinite_price_is_refused(tmp_path):
    path = tmp_path / "prices.csv"
    path.write_text(
        "model,provider,input_usd_per_mtok,cached_input_usd_per_mtok,output_usd_per_mtok,as_of,source\n"
        "m,p,1.0,0.5,inf,2025-01-01,https://example.org\n"
    )
    with pytest.raises(SchemaError, match="row 1, column 'output_usd_per_mtok': expected a finite number"):
        read_table(path, PRICES)


@pytest.fixture
def local_data(tmp_path, monkeypatch):
    """A data/ folder with one registered CSV and its manifest."""
    folder = tmp_path / "data"
    (folder / "published").mkdir(parents=True)
    shutil.copyfile(data_dir() / "prices.csv", folder / "prices.csv")
    monkeypatch.setenv("AGENTEFF_DATA_DIR", str(folder))
    monkeypatch.setattr(datasets, "REGISTRY", {"model-prices": datasets.REGISTRY["model-prices"]})
    datasets.rehash()
    return folder


def test_every_registered_data_file_has_a_matching_manifest_entry():
    recorded = datasets._manifest()
    for dataset in datasets.REGISTRY.values():
        for file in dataset.files:
            if isinstance(file, LocalFile):
                assert file.path in recorded, f"data/{file.path} is not in data/SHA256SUMS: run data rehash"
                digest = hashlib.sha256((data_dir() / file.path).read_bytes()).hexdigest()
                assert digest == recorded[file.path], f"data/{file.path} changed: run data rehash"


def test_edited_data_file_is_caught_and_rehash_accepts_a_deliberate_edit(local_data, capsys):
    assert len(datasets.load("model-prices")) > 0
    prices = local_data / "prices.csv"
    prices.write_text(prices.read_text().replace("2.5", "3.5", 1))
    with pytest.raises(DataIntegrityError, match=r"prices.csv: sha256 \w+ does not match .* SHA256SUMS") as caught:
        datasets.load("model-prices")
    assert "python -m agenteff data rehash" in str(caught.value)
    assert main(["data", "rehash"]) == 0 and "SHA256SUMS" in capsys.readouterr().out
    assert len(datasets.load("model-prices")) > 0


def test_unrecorded_data_file_is_refused(local_data):
    (local_data / "SHA256SUMS").write_text("")
    with pytest.raises(DataIntegrityError, match="has no sha256 in .*SHA256SUMS.*data rehash"):
        datasets.load("model-prices")


def _register_local(monkeypatch, name, path, parser):
    monkeypatch.setitem(datasets.REGISTRY, name, Dataset(name, "test", (LocalFile(path),), parser, "MIT", "none"))


@pytest.mark.parametrize(("content", "error"), [(b"", "EmptyDataError"), (b"\xff\xfe\x00bad", "UnicodeDecodeError")])
def test_parsers_bare_errors_name_the_data_set_and_file(local_data, monkeypatch, content, error):
    (local_data / "published" / "mcpp").mkdir()
    (local_data / "published" / "mcpp" / "paper_values.csv").write_bytes(content)  # what the paper-values parser reads
    _register_local(monkeypatch, "bad-data", "published/mcpp/paper_values.csv", "published:parse")
    datasets.rehash()
    with pytest.raises(SchemaError, match=rf"data set 'bad-data' \(.*paper_values.csv\): cannot be parsed: {error}"):
        datasets.load("bad-data")


def _load_in_process(args):
    cache, mirror = args
    import os

    os.environ["AGENTEFF_CACHE_DIR"], os.environ[datasets.MIRROR_VARIABLE] = cache, mirror
    from tests_support_tiny import register

    register()
    outcomes = []
    for _ in range(5):
        try:
            datasets.fetch("tiny")
            outcomes.append("ok")
        except datasets.CorruptCopyRemoved:
            outcomes.append("corrupt-removed")
        except Exception as exc:  # anything else is the race this test is about
            outcomes.append(f"{type(exc).__name__}: {exc}")
    return outcomes


CONTENT = b"a,b\n1,2\n"
TINY = RemoteFile("someone/repo", "0" * 40, "dir/table.csv", hashlib.sha256(CONTENT).hexdigest())


def test_processes_repairing_one_corrupt_file_at_once_see_no_bare_errors(tmp_path, monkeypatch):
    mirror, cache = tmp_path / "mirror", tmp_path / "cache"
    (mirror / TINY.relative).parent.mkdir(parents=True)
    (mirror / TINY.relative).write_bytes(CONTENT)
    support = tmp_path / "support"
    support.mkdir()
    (support / "tests_support_tiny.py").write_text(
        "from agenteff import datasets\n"
        "from test_data_faults import TINY\n"
        "def register():\n"
        "    datasets.REGISTRY['tiny'] = datasets.Dataset('tiny', 'test', (TINY,), 'unused:parse', 'MIT', 'none')\n"
    )
    monkeypatch.syspath_prepend(str(support))
    cached = cache / "data" / TINY.relative
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"a,b\n9,9\n")  # corrupt from the start
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        outcomes = [o for result in pool.map(_load_in_process, [(str(cache), str(mirror))] * 4) for o in result]
    assert len(outcomes) == 20
    assert set(outcomes) <= {"ok", "corrupt-removed"}, outcomes
    assert outcomes.count("corrupt-removed") == 1  # one process found and removed it; the others got it fetched
    assert cached.read_bytes() == CONTENT


def test_data_fetch_reports_a_removed_corrupt_copy_and_fetches_it_again(tmp_path, monkeypatch, capsys):
    mirror, cache = tmp_path / "mirror", tmp_path / "cache"
    (mirror / TINY.relative).parent.mkdir(parents=True)
    (mirror / TINY.relative).write_bytes(CONTENT)
    monkeypatch.setenv("AGENTEFF_CACHE_DIR", str(cache))
    monkeypatch.setenv(datasets.MIRROR_VARIABLE, str(mirror))
    monkeypatch.setitem(datasets.REGISTRY, "tiny", Dataset("tiny", "test", (TINY,), "unused:parse", "MIT", "none"))
    cached = datasets.fetch("tiny")["dir/table.csv"]
    cached.write_bytes(b"garbage")
    assert main(["data", "fetch", "tiny"]) == 0
    printed = capsys.readouterr()
    assert (
        "is corrupt" in printed.out and "fetching it again" in printed.out and "tiny: 1 file(s) verified" in printed.out
    )
    assert "Traceback" not in printed.out + printed.err
    assert cached.read_bytes() == CONTENT


def test_the_int64_limits_are_accepted_and_one_beyond_is_named(tmp_path):
    top, bottom = 2**63 - 1, -(2**63)
    table = read_table(
        _runs_csv(tmp_path, f"r1,t,s,single,1,m,{top},true,0.5,{top}\nr2,t,s,single,1,m,{bottom},true,0.5,1\n"), RUNS
    )
    assert table["prompt_tokens"].tolist() == [top, 1] and table["seed"].tolist() == [top, bottom]
    with pytest.raises(SchemaError, match=rf"row 1, column 'prompt_tokens': {2**63} is too large for a 64-bit"):
        read_table(_runs_csv(tmp_path, f"r1,t,s,single,1,m,1,true,0.5,{2**63}\n", "beyond.csv"), RUNS)


def _read_within(seconds, path):
    """read_table in a thread, so a read that blocks (a FIFO) fails the test instead of hanging it."""
    outcome = []

    def read():
        try:
            outcome.append(read_table(path, RUNS))
        except Exception as exc:
            outcome.append(exc)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    thread.join(seconds)
    assert outcome, f"read_table({path}) did not return within {seconds} s"
    return outcome[0]


def test_read_table_refuses_a_fifo_and_a_device(tmp_path):
    fifo = tmp_path / "runs.csv"
    os.mkfifo(fifo)
    error = _read_within(5, fifo)
    assert isinstance(error, SchemaError) and f"{fifo}: not a regular file (a FIFO)" in str(error)
    device = tmp_path / "zeros.csv"
    device.symlink_to("/dev/zero")
    error = _read_within(5, device)
    assert isinstance(error, SchemaError) and f"{device}: not a regular file (a character device)" in str(error)


def test_read_table_refuses_a_file_over_its_size_bound(tmp_path, monkeypatch):
    path = _runs_csv(tmp_path, "".join(ROW.format(i=i) for i in range(100)))
    monkeypatch.setattr(schema, "MAX_TABLE_BYTES", 1000)
    with pytest.raises(SchemaError, match=rf"{path}: {path.stat().st_size:,} bytes, more than the 1,000 a table may"):
        read_table(path, RUNS)


def _cut_at_a_field_boundary(source, target):
    """The file without the last field of its last row: every line still parses, one row is short."""
    text = source.read_text(encoding="utf-8").rstrip("\n")
    target.write_text(text.rsplit(",", 1)[0] + "\n", encoding="utf-8")
    return target


def _scaling_files(tmp_path):
    folder = data_dir() / "published" / "scaling"
    files = {f"published/scaling/{p.name}": p for p in folder.glob("*.csv")}
    files["published/scaling/configs_v2.csv"] = _cut_at_a_field_boundary(
        folder / "configs_v2.csv", tmp_path / "configs_v2.csv"
    )
    return agent_scaling.parse_v2_configs, files


def _paper_value_files(tmp_path):
    source = data_dir() / "published" / "efficiency" / "paper_values.csv"
    return published.parse, {
        "published/efficiency/paper_values.csv": _cut_at_a_field_boundary(source, tmp_path / "paper_values.csv")
    }


def _mcpp_files(tmp_path):
    source = tmp_path / "stats.csv"
    source.write_text("success_prob,lat_mean,lat_std,cost_mean\n0.5,1.0,0.1,330\n0.25,2.0,0.2,660\n")
    return mcpp.parse, {mcpp.TEMPLATES_FILE: _cut_at_a_field_boundary(source, tmp_path / "cut.csv")}


@pytest.mark.parametrize("make", [_scaling_files, _paper_value_files, _mcpp_files])
def test_parsers_refuse_a_file_cut_at_a_field_boundary(tmp_path, make):
    parser, files = make(tmp_path)
    with pytest.raises(SchemaError, match=r"row \d+ has \d+ fields, the header \d+"):
        parser(files)


def test_a_symlinked_folder_in_the_data_cache_is_refused_and_nothing_outside_is_touched(tmp_path, monkeypatch):
    mirror, cache, outside = tmp_path / "mirror", tmp_path / "cache", tmp_path / "outside"
    (mirror / TINY.relative).parent.mkdir(parents=True)
    (mirror / TINY.relative).write_bytes(CONTENT)
    monkeypatch.setenv("AGENTEFF_CACHE_DIR", str(cache))
    monkeypatch.setenv(datasets.MIRROR_VARIABLE, str(mirror))
    monkeypatch.setitem(datasets.REGISTRY, "tiny", Dataset("tiny", "test", (TINY,), "unused:parse", "MIT", "none"))
    victim = outside / "repo" / TINY.commit / TINY.path
    victim.parent.mkdir(parents=True)
    victim.write_bytes(b"someone else's file")
    (cache / "data").mkdir(parents=True)
    (cache / "data" / "someone").symlink_to(outside)  # the cache's folder of the owner leads out of the cache
    with pytest.raises(DataIntegrityError, match=r"data/someone is a symbolic link .* refusing"):
        datasets.fetch("tiny")
    assert victim.read_bytes() == b"someone else's file"
