"""OpenTelemetry traces exported as OTLP JSON Lines, with GenAI semantic-convention or OpenInference attributes.

One trace is one run. Tokens are counted on model-call spans only (GenAI ``gen_ai.operation.name`` chat,
text_completion or generate_content; OpenInference span kind ``LLM``), never again on the agent or chain spans
that roll them up. The GenAI conventions count cache tokens inside ``gen_ai.usage.input_tokens``; an emitter
whose cache reads exceed its input tokens evidently left them out, and such a call is recorded as
``input_excludes_cache``. Tool spans are steps of role ``tool`` carrying their call. Spans of an evaluator
(OpenInference ``EVALUATOR``, or under a span named like a grader) are ``judge`` steps, out of the run's cost.

The outcome of a trace comes from a ``gen_ai.evaluation.result`` event (``gen_ai.evaluation.score.value`` or
``.score.label``) or from the user's outcomes file keyed by trace id; a trace with neither is an error.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pandas as pd

from ._common import RunRecord, fail, outcome_fields, score_value
from ._usage import normalise

__all__ = ["read"]

_MODEL_OPERATIONS = ("chat", "text_completion", "generate_content")


def read(path: Path, outcomes: dict | None = None, threshold: float = 1.0) -> tuple[list[RunRecord], dict]:
    traces: dict[str, list[dict]] = defaultdict(list)
    resources: dict[str, dict] = {}
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                fail(path, f"line {number}", None, f"not a JSON object (truncated?): {exc}")
            for resource_spans in data.get("resourceSpans") or []:
                resource = _attributes((resource_spans.get("resource") or {}).get("attributes"), path, number)
                for scope in resource_spans.get("scopeSpans") or []:
                    for span in scope.get("spans") or []:
                        trace = span.get("traceId")
                        if not trace:
                            fail(path, f"line {number}", "traceId", "a span without a trace id")
                        span["_attributes"] = _attributes(span.get("attributes"), path, number)
                        span["_line"] = number
                        traces[trace].append(span)
                        resources.setdefault(trace, resource)
    if not traces:
        fail(path, None, "resourceSpans", "no spans in the file")
    records = [
        _run(path, trace, spans, resources[trace], outcomes, threshold) for trace, spans in sorted(traces.items())
    ]
    return records, {"path": str(path), "format": "otlp", "status": "success", "runs": len(records), "note": ""}


def _attributes(items, path: Path, line: int) -> dict:
    out = {}
    for item in items or []:
        out[item.get("key")] = _value(item.get("value") or {}, path, line, item.get("key"))
    return out


def _value(value: dict, path: Path, line: int, key):
    if "stringValue" in value:
        return value["stringValue"]
    if "intValue" in value:  # int64 arrives as a string
        try:
            return int(value["intValue"])
        except (TypeError, ValueError):
            fail(path, f"line {line}", key, f"intValue {value['intValue']!r} is not an integer")
    if "doubleValue" in value:
        return float(value["doubleValue"])
    if "boolValue" in value:
        return bool(value["boolValue"])
    if "arrayValue" in value:
        return [_value(v, path, line, key) for v in (value["arrayValue"].get("values") or [])]
    return None


def _kind(attrs: dict) -> str:
    operation = attrs.get("gen_ai.operation.name")
    span_kind = str(attrs.get("openinference.span.kind", "")).upper()
    if operation in _MODEL_OPERATIONS or span_kind == "LLM":
        return "model"
    if operation == "execute_tool" or span_kind == "TOOL":
        return "tool"
    if span_kind == "EVALUATOR":
        return "evaluator"
    return "other"


def _run(path: Path, trace: str, spans: list[dict], resource: dict, outcomes, threshold) -> RunRecord:
    spans.sort(key=lambda s: (int(s.get("startTimeUnixNano") or 0), s.get("spanId") or ""))
    by_id = {s.get("spanId"): s for s in spans}
    where = f"trace {trace}"
    steps, turns = [], {"single": 0, "judge": 0}
    evaluations = []
    models = []
    for span in spans:
        attrs = span["_attributes"]
        for event in span.get("events") or []:
            if event.get("name") == "gen_ai.evaluation.result":
                evaluations.append((span, _attributes(event.get("attributes"), path, span["_line"])))
        kind = _kind(attrs)
        latency = _duration(span)
        if kind == "model":
            role = "judge" if _under_evaluator(span, by_id) else "single"
            model = (
                attrs.get("gen_ai.response.model") or attrs.get("gen_ai.request.model") or attrs.get("llm.model_name")
            )
            if role == "single" and model:
                models.append(model)
            step = {
                "agent_id": "judge" if role == "judge" else str(attrs.get("gen_ai.agent.name") or "agent"),
                "role": role,
                "turn": turns[role],
                "kind": "model",
                "model": model or pd.NA,
                "latency_s": latency,
                **_usage(attrs, path, f"{where}, span {span.get('spanId')}"),
            }
            cost = attrs.get("llm.cost.total")
            step["cost_usd"] = float(cost) if cost is not None else pd.NA
            turns[role] += 1
            steps.append(step)
        elif kind == "tool":
            name = attrs.get("gen_ai.tool.name") or attrs.get("tool.name") or span.get("name")
            arguments = (
                attrs.get("gen_ai.tool.call.arguments") or attrs.get("tool.parameters") or attrs.get("input.value")
            )
            steps.append(
                {
                    "agent_id": "tool",
                    "role": "tool",
                    "turn": 0,
                    "kind": "tool",
                    "tool_calls": json.dumps([{"name": name, "arguments": _maybe_json(arguments)}], sort_keys=True),
                    "latency_s": latency,
                }
            )
    root = next((s for s in spans if not s.get("parentSpanId") or s.get("parentSpanId") not in by_id), spans[0])
    root_attrs = root["_attributes"]
    task = str(
        root_attrs.get("gen_ai.conversation.id") or root_attrs.get("session.id") or root_attrs.get("task.id") or trace
    )
    if outcomes is not None and trace in outcomes:
        outcome = outcome_fields(outcomes[trace], threshold)
        task = outcomes[trace].get("task", task)
    elif evaluations:
        outcome = _evaluation_outcome(evaluations, path, where, threshold)
    else:
        fail(
            path,
            where,
            "gen_ai.evaluation.result",
            "the trace records no outcome: add an evaluation event or pass outcomes=<file> keyed by trace id",
        )
    run = {
        "run_id": trace,
        "task": task,
        "suite": str(resource.get("service.name") or "otlp"),
        "architecture": str(root_attrs.get("gen_ai.agent.name") or root.get("name") or "agent"),
        "n_agents": max(len({s["agent_id"] for s in steps if s["role"] == "single"}), 1),
        "model": max(set(models), key=models.count) if models else "unknown",
        "seed": int(root_attrs.get("trial", 0) or 0),
        "latency_s": _duration(root),
        "status": "error" if (root.get("status") or {}).get("code") in (2, "STATUS_CODE_ERROR") else "success",
        **outcome,
    }
    return RunRecord(run, steps)


def _usage(attrs: dict, path: Path, where: str) -> dict:
    def first(*names):
        return next((attrs[n] for n in names if attrs.get(n) is not None), None)

    inp = first("gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens", "llm.token_count.prompt")
    out = first("gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens", "llm.token_count.completion")
    read = first("gen_ai.usage.cache_read.input_tokens", "llm.token_count.prompt_details.cache_read")
    write = first("gen_ai.usage.cache_creation.input_tokens", "llm.token_count.prompt_details.cache_write")
    reasoning = first("gen_ai.usage.reasoning.output_tokens", "llm.token_count.completion_details.reasoning")
    total = first("llm.token_count.total")
    if inp is not None and read is not None and int(read) + int(write or 0) > int(inp):
        total = int(inp) + int(read) + int(write or 0) + int(out or 0)  # the emitter left cache tokens out
    elif total is None and inp is not None and out is not None:
        total = int(inp) + int(out)  # the conventions' own reading: cache tokens inside the input
    return normalise(inp, out, total, read, write, reasoning)


def _evaluation_outcome(evaluations, path: Path, where: str, threshold: float) -> dict:
    span, attrs = evaluations[-1]  # the last verdict of the trace
    if attrs.get("gen_ai.evaluation.score.value") is not None:
        score = score_value(attrs["gen_ai.evaluation.score.value"], path, where, "gen_ai.evaluation.score.value")
        return {"success": score >= threshold, "score": score}
    label = attrs.get("gen_ai.evaluation.score.label")
    if label is None:
        fail(path, where, "gen_ai.evaluation.score.value", "the evaluation event has neither a value nor a label")
    verdicts = {"pass": 1.0, "passed": 1.0, "correct": 1.0, "true": 1.0, "fail": 0.0, "failed": 0.0}
    verdicts |= {"incorrect": 0.0, "false": 0.0}
    if str(label).lower() not in verdicts:
        fail(path, where, "gen_ai.evaluation.score.label", f"cannot read the label {label!r} as pass or fail")
    score = verdicts[str(label).lower()]
    return {"success": score >= threshold, "score": score}


def _under_evaluator(span: dict, by_id: dict) -> bool:
    seen = set()
    current = by_id.get(span.get("parentSpanId"))
    while current is not None and current.get("spanId") not in seen:
        seen.add(current.get("spanId"))
        attrs = current["_attributes"]
        if _kind(attrs) == "evaluator" or attrs.get("gen_ai.operation.name") == "evaluate":
            return True
        current = by_id.get(current.get("parentSpanId"))
    return False


def _duration(span: dict) -> object:
    start, end = span.get("startTimeUnixNano"), span.get("endTimeUnixNano")
    if start is None or end is None:
        return pd.NA
    return max(int(end) - int(start), 0) / 1e9


def _maybe_json(text):
    if isinstance(text, str):
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return text
    return text
