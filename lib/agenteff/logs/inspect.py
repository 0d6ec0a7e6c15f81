"""Inspect AI eval logs: ``.eval`` (a zip with one member per sample) and ``.json`` (the whole log inline).

Read from the documented layout directly, one sample at a time: a ``.eval`` member is decompressed only when
its sample is read (deflate by ISA-L, then only the fields used decoded by msgspec; zstd members, written since
inspect_ai 0.3.206, through ``backports.zstd``), and a ``.json`` log is parsed as a stream (``ijson``), so a
multi-GB log never sits in memory whole.

Each sample and epoch is a run (``seed`` = epoch). Every model event is a step; calls inside a ``scorer`` span
(or, in logs older than spans, between a scorer's ``step`` begin and end events) are grading: kept as steps of
role ``judge`` and left out of the run's tokens and cost (``judge_cost_usd`` keeps their cost apart). Tool
events are steps of role ``tool``; the calls themselves sit on the model step that made them. Samples that
errored, hit a limit or never finished in a cancelled log are kept, with their ``status``. Two extra RUNS
columns keep the scored ``answer`` and the sample's ``target`` (SAMPLES' answer and gold, for single-call logs).
"""

from __future__ import annotations

import json
import re
import struct
import zipfile as stdlib_zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pandas as pd
from backports.zstd import zipfile  # the standard zipfile plus zstd members (compress type 93)
from isal import isal_zlib

from ..progress import progress
from ._common import RunRecord, fail, score_value
from ._usage import EXCLUDES_CACHE_SINCE, normalise, version_tuple

__all__ = ["read", "SUPPORTED_VERSIONS"]

#: Log format versions this reader knows (3 adds ``message_pool`` and ``input_refs``, which it does not need).
SUPPORTED_VERSIONS = (1, 2, 3)
_SAMPLE_MEMBER = re.compile(r"^samples/(.+)_epoch_(\d+)\.json$")


def read(path: Path, scorer: str | None = None, threshold: float = 1.0) -> tuple[list[RunRecord], dict]:
    """The runs of one Inspect log and its ``files`` row."""
    if path.suffix == ".eval":
        header, samples, count = _eval_container(path)
    else:
        header, samples = _json_container(path)
        count = None  # a stream: unknown until read
    version = header.get("version")
    if version not in SUPPORTED_VERSIONS:
        fail(path, "header", "version", f"log format version {version!r} is not one of {SUPPORTED_VERSIONS}")
    context = _Context(path, header, scorer, threshold)
    bar = progress(samples, desc=path.name[:40], unit="sample", total=count, leave=False)
    records = [context.run(sample, where) for where, sample in bar]
    status = header.get("status")
    note = ""
    if status == "error":
        error = header.get("error") or {}
        note = f"the evaluation failed: {str(error.get('message', 'no message'))[:120]}"
    elif status in ("cancelled", "started"):
        note = f"the evaluation did not finish ({status}); {len(records)} samples were logged"
    return records, {"path": str(path), "format": "inspect", "status": status, "runs": len(records), "note": note}


# --- containers -------------------------------------------------------------------------------------------


def _eval_container(path: Path) -> tuple[dict, Iterator[tuple[str, dict]], int]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, stdlib_zipfile.BadZipFile, EOFError) as exc:
        fail(path, None, None, f"not a readable .eval zip (truncated or not a zip): {exc}")
    names = archive.namelist()
    if "header.json" not in names:
        # a log still being written has only its journal; a cut file lost its central directory entries
        fail(path, None, "header.json", "the .eval has no header.json (still being written, or truncated)")
    header = _member(archive, path, "header.json")

    found = [(name, match) for name in names if (match := _SAMPLE_MEMBER.match(name))]
    found.sort(key=lambda pair: (_natural(pair[1].group(1)), int(pair[1].group(2))))  # sample id, then epoch
    members = [name for name, _ in found]

    def samples():
        with archive, open(path, "rb") as raw:
            for member in members:
                yield member, _sample_member(archive, raw, path, member)

    return header, samples(), len(members)


def _member(archive, path: Path, name: str) -> dict:
    try:
        with archive.open(name) as handle:
            return json.load(handle)
    except NotImplementedError as exc:  # a compression method this zipfile cannot read
        fail(path, name, None, f"cannot decompress: {exc}")
    except (zipfile.BadZipFile, stdlib_zipfile.BadZipFile, EOFError, OSError) as exc:
        fail(path, name, None, f"the member is truncated or corrupt: {exc}")
    except json.JSONDecodeError as exc:
        fail(path, name, None, f"not valid JSON: {exc}")


class _Fields(msgspec.Struct):
    """Read like the dict it stands for: ``get`` gives ``default`` for a field the JSON did not have."""

    def get(self, name: str, default=None):
        value = getattr(self, name, msgspec.UNSET)
        return default if value is msgspec.UNSET else value


class _Event(_Fields):
    """The fields of an event the reader uses; msgspec skips the rest undecoded (a sandbox event's input and
    output, a model event's input, tools and call: most of a sample's bytes)."""

    event: Any = msgspec.UNSET
    id: Any = msgspec.UNSET
    span_id: Any = msgspec.UNSET
    parent_id: Any = msgspec.UNSET
    type: Any = msgspec.UNSET
    action: Any = msgspec.UNSET
    name: Any = msgspec.UNSET
    model: Any = msgspec.UNSET
    cache: Any = msgspec.UNSET
    output: Any = msgspec.UNSET
    result: Any = msgspec.UNSET
    working_time: Any = msgspec.UNSET
    events: list[_Event] | msgspec.UnsetType = msgspec.UNSET


class _Sample(_Fields):
    id: Any = msgspec.UNSET
    epoch: Any = msgspec.UNSET
    scores: Any = msgspec.UNSET
    total_time: Any = msgspec.UNSET
    error: Any = msgspec.UNSET
    limit: Any = msgspec.UNSET
    target: Any = msgspec.UNSET
    model_usage: Any = msgspec.UNSET
    attachments: Any = msgspec.UNSET
    events: list[_Event] | msgspec.UnsetType = msgspec.UNSET


_SAMPLE_DECODER = msgspec.json.Decoder(_Sample)
_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature, then the name's and the extra field's lengths


def _sample_member(archive, raw, path: Path, name: str) -> _Sample | dict:
    """One sample: its bytes inflated by ISA-L and only the fields the reader uses decoded (several times faster
    than ``zipfile`` and ``json``, which read members of other compressions and JSON msgspec refuses)."""
    info = archive.getinfo(name)
    if info.compress_type not in (zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED) or info.flag_bits & 1:
        return _member(archive, path, name)
    raw.seek(info.header_offset)
    signature, name_length, extra_length = _LOCAL_HEADER.unpack(raw.read(_LOCAL_HEADER.size))
    if signature != b"PK\x03\x04":
        fail(path, name, None, "the member is truncated or corrupt: no local file header")
    raw.seek(info.header_offset + _LOCAL_HEADER.size + name_length + extra_length)
    data = raw.read(info.compress_size)
    try:
        if info.compress_type == zipfile.ZIP_DEFLATED:
            data = isal_zlib.decompress(data, -15)
    except isal_zlib.error as exc:  # type: ignore[misc]  # isal's stub types its error as an instance
        fail(path, name, None, f"the member is truncated or corrupt: {exc}")
    if len(data) != info.file_size or isal_zlib.crc32(data) != info.CRC:
        fail(path, name, None, "the member is truncated or corrupt: its size or CRC-32 does not match")
    try:
        return _SAMPLE_DECODER.decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError):
        pass  # a layout the fields above do not describe, or JSON only Python reads (NaN): the full decoder
    try:
        return json.loads(data)
    except json.JSONDecodeError as exc:
        fail(path, name, None, f"not valid JSON: {exc}")


def _json_container(path: Path) -> tuple[dict, Iterator[tuple[str, dict]]]:
    import ijson

    handle = open(path, "rb")  # closed when the samples are exhausted
    events = ijson.parse(handle, use_float=True)
    header: dict = {}
    try:
        for prefix, event, value in events:
            if prefix == "" and event == "map_key":
                if value == "samples":
                    break
                header[value] = _build(events)
        else:
            handle.close()
            return header, iter(())
    except ijson.JSONError as exc:
        handle.close()
        fail(path, None, None, f"not valid JSON (truncated?): {exc}")

    def samples():
        with handle:
            try:
                for index, sample in enumerate(_array_items(events)):
                    yield f"samples[{index}]", sample
            except ijson.JSONError as exc:
                fail(path, "samples", None, f"not valid JSON (truncated?): {exc}")

    return header, samples()


def _build(events) -> object:
    """The next complete JSON value of an ijson event stream."""
    import ijson

    builder = ijson.ObjectBuilder()
    depth = 0
    for _, event, value in events:
        builder.event(event, value)
        depth += event in ("start_map", "start_array")
        depth -= event in ("end_map", "end_array")
        if depth == 0:
            return builder.value
    raise ijson.IncompleteJSONError("the file ends inside a value")


def _array_items(events) -> Iterator[object]:
    import ijson

    _, event, _ = next(events)
    if event == "null":
        return
    for _, event, value in events:
        if event == "end_array":
            return
        builder = ijson.ObjectBuilder()
        builder.event(event, value)
        depth = int(event in ("start_map", "start_array"))
        while depth:
            _, event, value = next(events)
            builder.event(event, value)
            depth += event in ("start_map", "start_array")
            depth -= event in ("end_map", "end_array")
        yield builder.value
    raise ijson.IncompleteJSONError("the file ends inside the samples")


def _natural(text: str):
    return (0, int(text), "") if text.isdigit() else (1, 0, text)


# --- samples ----------------------------------------------------------------------------------------------


class _Context:
    def __init__(self, path: Path, header: dict, scorer: str | None, threshold: float):
        spec = header.get("eval") or {}
        self.path = path
        self.header = header
        self.scorer = scorer
        self.threshold = threshold
        self.model = spec.get("model") or "unknown"
        self.suite = str(spec.get("task") or "unknown").rsplit("/", 1)[-1]
        self.log_id = spec.get("eval_id") or spec.get("run_id") or path.stem
        self.architecture = _solver_name(spec, header.get("plan") or {})
        version = version_tuple((spec.get("packages") or {}).get("inspect_ai"))
        self.modern = version is not None and version >= EXCLUDES_CACHE_SINCE
        self.log_status = header.get("status")

    def excludes_cache(self, model: str) -> bool:
        """The convention a call's totals cannot settle: by version, and before 0.3.184 by provider."""
        return self.modern or model.startswith("anthropic/")

    def run(self, sample: _Sample | dict, where: str) -> RunRecord:
        sample_id, epoch = sample.get("id"), sample.get("epoch", 1)
        where = f"{where} (sample {sample_id!r}, epoch {epoch})"
        if sample_id is None:
            fail(self.path, where, "id", "a sample without an id")
        score, answer = self._score(sample, where)
        status = self._status(sample, score)
        steps = self._steps(sample, where)
        run = {
            "run_id": f"{self.log_id}:{sample_id}:{epoch}",
            "task": str(sample_id),
            "suite": self.suite,
            "architecture": self.architecture,
            "n_agents": 1,
            "model": self.model,
            "seed": int(epoch),
            "success": bool(status == "success" and not pd.isna(score) and score >= self.threshold),
            "score": score,
            "latency_s": sample.get("total_time"),
            "status": status,
            "answer": answer,
            "target": _target(sample.get("target")),
        }
        if not any(s["kind"].startswith("model") for s in steps):
            run.update(self._usage_without_events(sample))
        return RunRecord(run, steps)

    def _status(self, sample: _Sample | dict, score) -> str:
        if sample.get("error"):
            return "error"
        if sample.get("limit"):
            return "limit"
        if pd.isna(score) and self.log_status in ("cancelled", "started", "error"):
            return "cancelled"
        return "success"

    def _score(self, sample: _Sample | dict, where: str):
        scores = sample.get("scores") or {}
        if not scores:
            return pd.NA, pd.NA
        name, _, key = (self.scorer or next(iter(scores))).partition("/")
        if name not in scores:
            fail(self.path, where, "scores", f"no score named {name!r}; the sample has {sorted(scores)}")
        value = scores[name].get("value") if isinstance(scores[name], dict) else scores[name]
        answer = scores[name].get("answer") if isinstance(scores[name], dict) else None
        if key:
            if not isinstance(value, dict) or key not in value:
                fail(self.path, where, f"scores.{name}.value", f"no value {key!r} in {value!r}")
            value = value[key]
        score = score_value(value, self.path, where, f"scores.{name}.value")
        return score, pd.NA if answer is None else str(answer)

    def _usage_without_events(self, sample: _Sample | dict) -> dict:
        """A sample logged without events: its ``model_usage`` totals (grader calls cannot be told apart)."""
        usage = sample.get("model_usage") or {}
        if not usage:
            return {}
        calls = [self._usage(model, u) for model, u in usage.items()]
        totals = {k: _sum(c[k] for c in calls) for k in calls[0] if k != "cache_convention"}
        costs = [u.get("total_cost") for u in usage.values()]
        if all(c is not None for c in costs):
            totals |= {"cost_usd": sum(costs), "cost_source": "recorded"}
        return totals

    def _usage(self, model: str, usage: dict | None) -> dict:
        usage = usage or {}
        return normalise(
            usage.get("input_tokens"),
            usage.get("output_tokens"),
            usage.get("total_tokens"),
            usage.get("input_tokens_cache_read"),
            usage.get("input_tokens_cache_write"),
            usage.get("reasoning_tokens"),
            excludes_cache_by_default=self.excludes_cache(model),
        )

    def _steps(self, sample: _Sample | dict, where: str) -> list[dict]:
        attachments = sample.get("attachments") or {}
        span_types: dict[object, tuple[object, object]] = {}  # span id -> (parent id, type)
        open_scorers: list[object] = []  # logs older than spans mark scorers with step events
        steps: list[dict] = []
        turns = {"single": 0, "judge": 0}
        for event in _flatten(sample.get("events") or []):
            kind = event.get("event")
            if kind == "span_begin":
                span_types[event.get("id")] = (event.get("parent_id"), event.get("type"))
            elif kind == "step" and event.get("type") == "scorer":
                if event.get("action") == "begin":
                    open_scorers.append(event.get("name"))
                elif open_scorers:
                    open_scorers.pop()
            elif kind == "model":
                judge = bool(open_scorers) or _inside_scorer(event.get("span_id"), span_types)
                role = "judge" if judge else "single"
                steps.append(self._model_step(event, role, turns[role], attachments, where))
                turns[role] += 1
            elif kind == "tool":
                steps.append(
                    {
                        "agent_id": "tool",
                        "role": "tool",
                        "turn": 0,
                        "kind": "tool",
                        "content": _text(event.get("result"), attachments),
                        "latency_s": _number(event.get("working_time")),
                    }
                )
        return steps

    def _model_step(self, event: dict, role: str, turn: int, attachments: dict, where: str) -> dict:
        output = event.get("output") or {}
        model = event.get("model") or self.model
        choices = output.get("choices") or [{}]
        message = choices[0].get("message") or {}
        usage = output.get("usage")
        step = {
            "agent_id": "judge" if role == "judge" else "agent",
            "role": role,
            "turn": turn,
            "kind": "model (Inspect cache)" if event.get("cache") == "read" else "model",
            "model": model,
            "content": _text(message.get("content"), attachments),
            "tool_calls": _tool_calls(message.get("tool_calls")),
            "latency_s": _number(output.get("time")),
            "logprobs": _logprobs(choices[0].get("logprobs")),
            **self._usage(model, usage),
        }
        cost = (usage or {}).get("total_cost")
        step["cost_usd"] = float(cost) if cost is not None else pd.NA
        return step


def _flatten(events: list) -> Iterator[dict]:
    """Events in order, with those that logs before spans nested inside tool and subtask events (sub-agents)
    right after their parent; logs with spans keep every event at the top level, so nothing is seen twice."""
    for event in events:
        yield event
        if nested := event.get("events"):  # rare: no generator for the events without
            yield from _flatten(nested)


def _inside_scorer(span_id, span_types: dict) -> bool:
    seen = set()
    while span_id is not None and span_id not in seen:
        seen.add(span_id)
        parent, kind = span_types.get(span_id, (None, None))
        if kind == "scorer":
            return True
        span_id = parent
    return False


def _solver_name(spec: dict, plan: dict) -> str:
    solver = spec.get("solver")
    if solver:
        return str(solver).rsplit("/", 1)[-1]
    names = [str(step.get("solver")) for step in plan.get("steps") or [] if step.get("solver")]
    return "+".join(names) if names else "inspect"


def _text(content, attachments: dict) -> object:
    if content is None:
        return pd.NA
    if isinstance(content, list):  # content parts: keep the text ones
        content = "\n".join(str(part.get("text", "")) for part in content if isinstance(part, dict) and "text" in part)
    text = str(content)
    if text.startswith("attachment://"):
        text = str(attachments.get(text.removeprefix("attachment://"), text))
    return text


def _target(target) -> object:
    """A sample's target as text (a list of accepted answers joined by " | ")."""
    if target is None:
        return pd.NA
    return " | ".join(map(str, target)) if isinstance(target, list) else str(target)


def _tool_calls(calls) -> object:
    if not calls:
        return pd.NA
    return json.dumps([{"name": c.get("function"), "arguments": c.get("arguments")} for c in calls], sort_keys=True)


def _logprobs(logprobs) -> object:
    if not logprobs or not logprobs.get("content"):
        return pd.NA
    return json.dumps([min(float(item["logprob"]), 0.0) for item in logprobs["content"]])


def _number(value) -> object:
    return pd.NA if value is None else float(value)


def _sum(values) -> object:
    values = list(values)
    return pd.NA if any(pd.isna(v) for v in values) else sum(values)
