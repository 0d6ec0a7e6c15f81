import hashlib

import pytest

from agenteff import datasets
from agenteff.datasets import DataIntegrityError, Dataset, RemoteFile


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
