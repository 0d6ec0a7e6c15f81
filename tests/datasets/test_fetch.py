import hashlib

import pytest

from agenteff import datasets
from agenteff.__main__ import main
from agenteff.datasets import DataIntegrityError, Dataset, RemoteFile, registry


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENTEFF_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def tiny_mirror(tmp_path, monkeypatch):
    """A one-file mirror and a data set pinned to it, so failures can be staged without touching real pins."""
    content = b"a,b\n1,2\n"
    file = RemoteFile("someone/repo", "0" * 40, "dir/table.csv", hashlib.sha256(content).hexdigest())
    mirror = tmp_path / "mirror"
    (mirror / file.relative).parent.mkdir(parents=True)
    (mirror / file.relative).write_bytes(content)
    monkeypatch.setenv(datasets.MIRROR_VARIABLE, str(mirror))
    monkeypatch.setitem(datasets.REGISTRY, "tiny", Dataset("tiny", "test", (file,), "unused:parse", "MIT", "none"))
    return mirror / file.relative, file


def test_available_lists_every_registered_data_set():
    table = datasets.available()
    assert table["name"].tolist() == list(datasets.REGISTRY)
    assert {"source", "commit", "licence", "citation"} <= set(table.columns)
    for name in [
        "scaling-v3-instances",
        "zeroeval-math-l5",
        "overthinking-demo",
        "lead-math-test",
        "agent-eval-runs",
        "agent-eval-simple-calls",
        "aider-polyglot",
        "tau-bench-airline-gpt4o",
        "mcpp-node-templates",
    ]:
        assert name in datasets.REGISTRY


def test_urls_are_raw_github_at_a_fixed_commit():
    for dataset in datasets.REGISTRY.values():
        for file in dataset.files:
            if isinstance(file, RemoteFile):
                assert file.url.startswith(f"https://raw.githubusercontent.com/{file.repo}/{file.commit}/")
                assert len(file.commit) == 40 and len(file.sha256) == 64


def test_pins_agree_with_the_shared_mirror_checksums(shared_dir):
    published = {}
    for line in (shared_dir / "mirror" / "SHA256SUMS").read_text().splitlines():
        sha, relative = line.split(None, 1)
        published[relative.strip()] = sha
    pinned = [f for d in datasets.REGISTRY.values() for f in d.files if isinstance(f, RemoteFile)]
    assert pinned
    for file in pinned:
        assert published[str(file.relative)] == file.sha256


def test_fetch_copies_and_verifies(cache, tiny_mirror):
    paths = datasets.fetch("tiny")
    assert paths["dir/table.csv"].read_bytes() == tiny_mirror[0].read_bytes()
    assert str(paths["dir/table.csv"]).startswith(str(cache))


def test_corrupt_cache_fails_loudly_then_repairs(cache, tiny_mirror):
    _, file = tiny_mirror
    cached = datasets.fetch("tiny")["dir/table.csv"]
    data = bytearray(cached.read_bytes())
    data[0] ^= 0xFF
    cached.write_bytes(bytes(data))
    with pytest.raises(DataIntegrityError) as raised:
        datasets.fetch("tiny")
    message = str(raised.value)
    assert str(cached) in message and file.sha256 in message
    assert not cached.exists()  # the corrupt copy is gone ...
    repaired = datasets.fetch("tiny")["dir/table.csv"]  # ... and the next load repairs the cache
    assert hashlib.sha256(repaired.read_bytes()).hexdigest() == file.sha256


def test_truncated_source_leaves_nothing_in_the_cache(cache, tiny_mirror):
    source, file = tiny_mirror
    source.write_bytes(source.read_bytes()[:-3])
    with pytest.raises(DataIntegrityError) as raised:
        datasets.fetch("tiny")
    assert "dir/table.csv" in str(raised.value) and file.sha256 in str(raised.value)
    target_dir = cache / "data" / file.relative.parent
    assert not target_dir.exists() or not any(target_dir.iterdir())


def test_missing_mirror_file_is_named(cache, tiny_mirror):
    source, file = tiny_mirror
    source.unlink()
    with pytest.raises(DataIntegrityError, match=r"dir/table\.csv: not in the mirror") as raised:
        datasets.fetch("tiny")
    assert file.sha256 in str(raised.value)


def test_corrupting_a_real_data_set_in_the_cache(cache):
    if not __import__("os").environ.get(datasets.MIRROR_VARIABLE):
        pytest.skip("no offline mirror configured and no network assumed")
    templates = datasets.load("mcpp-node-templates")
    cached = next(iter(datasets.fetch("mcpp-node-templates").values()))
    with open(cached, "r+b") as handle:
        handle.seek(100)
        byte = handle.read(1)
        handle.seek(100)
        handle.write(bytes([byte[0] ^ 0x01]))
    with pytest.raises(DataIntegrityError, match="expected defcbe9bbebaa0b5"):
        datasets.load("mcpp-node-templates")
    assert datasets.load("mcpp-node-templates").equals(templates)


def test_unknown_names_are_explained():
    with pytest.raises(KeyError, match="unknown data set 'nope'; registered: scaling-v2-configs"):
        datasets.load("nope")


# The registry file: pins are data, one line per file of a data set, checked by `data registry --check`.

AGENT_EVAL = "benediktstroebl/agent-eval@" + "e59c01bdcd3e4d055b58a81b51fd965f403613c6"


def _registry_copy(tmp_path, lines: list[str]):
    path = tmp_path / "registry.txt"
    path.write_text("# a comment\n" + "".join(f"{line}\n" for line in lines))
    return path


def _lines_of(name: str) -> list[str]:
    return [pin.line() for pin in registry.read() if pin.dataset == name]


def test_the_registry_file_passes_its_check_from_the_command_line(capsys):
    pinned_lines = [line for line in registry.REGISTRY_FILE.read_text().splitlines() if not line.startswith("#")]
    assert datasets.check_registry() == len(pinned_lines)
    assert main(["data", "registry", "--check"]) == 0
    assert f"{len(pinned_lines)} pins" in capsys.readouterr().out


def test_each_data_set_is_exactly_its_lines_in_the_registry():
    pins = registry.read()
    for name, dataset in datasets.REGISTRY.items():
        remote = [f for f in dataset.files if isinstance(f, RemoteFile)]
        assert remote == [pin.file for pin in pins if pin.dataset == name]


def test_a_new_pin_under_an_existing_path_prefix_joins_only_its_own_data_set():
    repo, commit = AGENT_EVAL.split("@")
    newcomer = registry.Pin("agent-eval-extra", repo, commit, "plot_data_extra.csv", "a" * 64)
    pins = registry.read() + [newcomer]
    assert [p.line() for p in pins if p.dataset == "agent-eval-runs"] == _lines_of("agent-eval-runs")
    assert registry.pinned("agent-eval-extra", pins) == (newcomer.file,)


def _swap_first_two(lines):
    return [lines[1], lines[0], *lines[2:]]


def _repeat_first(lines):
    return [lines[0], *lines]


def _rename_second(lines):
    return [lines[0], lines[1].replace("agent-eval-runs", "agent-eval-runz", 1), *lines[2:]]


def _cut_first_path(lines):
    return [lines[0][:-1], *lines[1:]]


def _second_hash_for_a_shared_file(lines):
    # llm_frames_results_judged.csv.zip is read by two AgentStop data sets: one line per membership
    (first, _) = [i for i, line in enumerate(lines) if line.endswith("/llm_frames_results_judged.csv.zip")]
    dataset, source, _sha, path = lines[first].split(" ", 3)
    return [*lines[:first], f"{dataset} {source} {'c' * 64} {path}", *lines[first + 1 :]]


@pytest.mark.parametrize(
    "edit, message",
    [
        (_swap_first_two, "is out of order after"),
        (_repeat_first, "repeats"),
        (_rename_second, r"\['agent-eval-runz'\] have pins but REGISTRY does not declare them"),
        (_cut_first_path, "'agent-eval-runs' are not its pins"),
        (_second_hash_for_a_shared_file, "llm_frames_results_judged.csv.zip is pinned with two hashes"),
    ],
    ids=["unsorted", "repeated", "undeclared-data-set", "hand-edited-path", "two-hashes"],
)
def test_a_broken_registry_fails_the_check_with_the_problem_named(tmp_path, edit, message):
    lines = [pin.line() for pin in registry.read()]
    assert datasets.check_registry(_registry_copy(tmp_path, lines)) == len(lines)  # the copy itself is good
    with pytest.raises(registry.RegistryError, match=message):
        datasets.check_registry(_registry_copy(tmp_path, edit(lines)))


@pytest.mark.parametrize(
    "line, message",
    [
        ("agent-eval-runs no-commit-here " + "a" * 64 + " x.csv", "not a repository owner/name"),
        (f"agent-eval-runs {AGENT_EVAL} {'A' * 64} x.csv", "not a sha256"),
        (f"agent-eval-runs {AGENT_EVAL[:-1]} {'a' * 64} x.csv", "not a commit"),
        (f"Agent_Eval {AGENT_EVAL} {'a' * 64} x.csv", "not a data set name"),
        (f"agent-eval-runs {AGENT_EVAL} {'a' * 64}", "expected '<data set>"),
    ],
    ids=["no-commit", "upper-case-hash", "short-commit", "bad-name", "no-path"],
)
def test_a_malformed_line_is_named_by_file_and_line_number(tmp_path, line, message):
    path = _registry_copy(tmp_path, [line])
    with pytest.raises(registry.RegistryError, match=message) as raised:
        registry.read(path)
    assert f"{path} line 2:" in str(raised.value)


def test_a_hash_typed_into_the_code_instead_of_the_registry_fails_the_check(monkeypatch):
    typed = RemoteFile("someone/repo", "0" * 40, "table.csv", "b" * 64)
    monkeypatch.setitem(datasets.REGISTRY, "typed", Dataset("typed", "test", (typed,), "unused:parse", "MIT", "none"))
    with pytest.raises(registry.RegistryError, match="'typed'.* not its pins"):
        datasets.check_registry()


def test_pin_records_the_hash_of_the_fetched_file_in_sorted_order(tmp_path, tiny_mirror):
    _, file = tiny_mirror
    path = _registry_copy(tmp_path, _lines_of("mcpp-node-templates"))
    added = datasets.pin("tiny", f"{file.repo}@{file.commit}", [file.path], path)
    assert added == [registry.Pin("tiny", file.repo, file.commit, file.path, hashlib.sha256(b"a,b\n1,2\n").hexdigest())]
    assert registry.read(path, strict=True) == sorted(registry.read(path))
    assert [p.dataset for p in registry.read(path)] == ["mcpp-node-templates", "tiny"]


def test_pin_refuses_a_malformed_source_before_fetching(tmp_path, tiny_mirror):
    path = _registry_copy(tmp_path, [])
    with pytest.raises(registry.RegistryError, match="not a commit"):
        datasets.pin("tiny", "someone/repo@main", ["dir/table.csv"], path)
    assert registry.read(path) == []


def test_pin_from_the_command_line_needs_a_data_set_a_source_and_a_path(capsys):
    assert main(["data", "pin", "tiny", "someone/repo@" + "0" * 40]) == 2
    assert "usage: python -m agenteff data pin <data set>" in capsys.readouterr().out


def test_a_declared_data_set_with_no_pinned_file_is_named_by_fetch_and_the_check(monkeypatch):
    # what REGISTRY holds between declaring a data set and `data pin`: importing and pinning still work
    monkeypatch.setitem(datasets.REGISTRY, "unpinned", Dataset("unpinned", "test", (), "unused:parse", "MIT", "none"))
    with pytest.raises(DataIntegrityError, match="'unpinned' has no file pinned .* data pin unpinned"):
        datasets.fetch("unpinned")
    with pytest.raises(registry.RegistryError, match=r"\['unpinned'\] have no file"):
        datasets.check_registry()
    assert datasets.available().set_index("name").loc["unpinned", "source"] == "nothing pinned yet"
