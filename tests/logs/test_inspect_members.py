"""The fast road through an Inspect ``.eval`` member (ISA-L inflate, msgspec decoding only the used fields) gives
the tables the full road (``zipfile`` and ``json``) gives, and still catches corrupt members."""

import json
import struct
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from agenteff import datasets, logs
from agenteff.logs import inspect


@pytest.fixture(scope="module")
def eval_logs() -> list[Path]:
    return sorted(p for name, p in datasets.fetch("inspect-sample-logs").items() if name.endswith(".eval"))


def _full_road(archive, raw, path, name):
    return inspect._member(archive, path, name)


def test_every_mirrored_eval_reads_as_the_full_decoder_reads_it(eval_logs, monkeypatch):
    fast = [logs.load(path) for path in eval_logs]
    monkeypatch.setattr(inspect, "_sample_member", _full_road)
    for path, quick in zip(eval_logs, fast):
        full = logs.load(path)
        pd.testing.assert_frame_equal(quick.runs, full.runs, obj=f"runs of {path.name}")
        pd.testing.assert_frame_equal(quick.steps, full.steps, obj=f"steps of {path.name}")
    assert sum(len(log.steps) for log in fast) > 0


def _stored_copy(source: Path, target: Path, edit=lambda name, doc: doc, compression=zipfile.ZIP_STORED) -> Path:
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w", compression) as copy:
        for name in original.namelist():
            data = original.read(name)
            if name.startswith("samples/"):
                data = json.dumps(edit(name, json.loads(data))).encode()
            copy.writestr(name, data)
    return target


def _first_sample(path: Path) -> zipfile.ZipInfo:
    with zipfile.ZipFile(path) as archive:
        return next(i for i in archive.infolist() if i.filename.startswith("samples/"))


@pytest.mark.parametrize(
    ("compression", "message"),
    [(zipfile.ZIP_STORED, "CRC-32 does not match"), (zipfile.ZIP_DEFLATED, "truncated or corrupt")],
)
def test_a_corrupt_member_is_named(eval_logs, tmp_path, compression, message):
    path = _stored_copy(eval_logs[0], tmp_path / "corrupt.eval", compression=compression)
    info = _first_sample(path)
    data = bytearray(path.read_bytes())
    name_length, extra_length = struct.unpack("<HH", data[info.header_offset + 26 : info.header_offset + 30])
    middle = info.header_offset + 30 + name_length + extra_length + info.compress_size // 2
    data[middle] = ord("x") if data[middle] != ord("x") else ord("y")  # same size, another CRC-32
    path.write_bytes(bytes(data))
    with pytest.raises(logs.LogFormatError, match=rf"corrupt\.eval: {info.filename}: .*{message}"):
        logs.load(path)


def test_json_only_python_reads_takes_the_full_decoder(eval_logs, tmp_path):
    def no_time(name, doc):
        return doc | {"total_time": float("nan")}  # written as NaN, which strict JSON decoders refuse

    path = _stored_copy(eval_logs[0], tmp_path / "nan.eval", no_time)
    assert b"NaN" in path.read_bytes()
    imported = logs.load(path)
    assert len(imported.runs) == len(logs.load(eval_logs[0]).runs)
    assert imported.runs["latency_s"].isna().all()
