"""The action protocol (engines/actions.py) and its wire format (llm/actions.py): replies read into actions on
hand-made replies, the schema built from tool definitions, the encoding probe, and the simulated endpoint's
structured and tool-less models."""

import json

import pandas as pd
import pytest

from agenteff.engines import actions as A
from agenteff.llm import SimModel, sim_server
from agenteff.llm import actions as wire
from agenteff.llm.client import ChatResult, LLMClient

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "multiply",
            "description": "Multiply two integers.",
            "parameters": {
                "type": "object",
                "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
                "required": ["a", "b"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "negate",
            "description": "Negate an integer.",
            "parameters": {"type": "object", "properties": {"x": {"type": "integer"}}, "required": ["x"]},
        },
    },
]


def reply(content=None, tool_calls=(), finish_reason="stop") -> ChatResult:
    """A hand-made reply as the client returns it."""
    message = {"role": "assistant", "content": content, "tool_calls": list(tool_calls), "reasoning_content": None}
    return ChatResult(message, 10, 5, 0, 0, 0.0, 0.01, False, False, "m", finish_reason)


def call(name, arguments, call_id="c1"):
    return {"id": call_id, "name": name, "arguments": arguments}


# --- the schema ---------------------------------------------------------------------------------------------


def test_the_schema_has_one_branch_per_tool_and_one_for_the_final_answer():
    spec = wire.response_format(TOOLS)
    assert spec["type"] == "json_schema" and spec["json_schema"]["name"] == wire.SCHEMA_NAME
    branches = spec["json_schema"]["schema"]["anyOf"]
    assert [b["properties"]["action"]["const"] for b in branches] == ["multiply", "negate", "final_answer"]
    assert branches[0]["properties"]["input"] == TOOLS[0]["function"]["parameters"]  # bound to the tool's own
    assert branches[2]["properties"]["input"] == {"type": "string"}
    assert all(b["required"] == ["action", "input"] for b in branches)  # the thought is optional, and last
    assert all(list(b["properties"]) == ["action", "input", "thought"] for b in branches)
    assert branches[0]["properties"]["thought"] == {"type": "string", "maxLength": wire.MAX_THOUGHT_CHARS}
    terse = wire.response_format(TOOLS, thought_chars=0)["json_schema"]["schema"]["anyOf"]
    assert all(list(b["properties"]) == ["action", "input"] for b in terse)  # a decision with nothing to note
    # the simulated endpoint reads the tools back from the schema
    assert [t["function"]["name"] for t in wire.schema_tools(spec)] == ["multiply", "negate"]
    assert wire.schema_tools({"type": "json_schema", "json_schema": {"name": "other", "schema": {}}}) is None
    assert wire.schema_tools(None) is None


def test_request_options_per_encoding():
    assert A.request_options("native", TOOLS) == {"tools": TOOLS}
    assert A.request_options("structured", TOOLS) == {"response_format": wire.response_format(TOOLS)}
    assert A.request_options("structured", None) == {} == A.request_options("native", [])
    with pytest.raises(ValueError, match="unknown action encoding 'xml'"):
        A.request_options("xml", TOOLS)


# --- native replies -----------------------------------------------------------------------------------------


def test_a_native_tool_call_is_an_action():
    (action,) = A.read_reply(reply("CALL item 1", [call("multiply", {"a": 6, "b": 7})]), "native", TOOLS)
    assert action == A.Action("multiply", {"a": 6, "b": 7}, "CALL item 1", "c1", "")
    assert action.is_tool_call


def test_a_native_reply_without_calls_is_the_final_answer():
    (action,) = A.read_reply(reply("FINAL ANSWER: 42"), "native", TOOLS)
    assert (action.tool, action.text, action.malformed, action.is_tool_call) == (
        "final_answer",
        "FINAL ANSWER: 42",
        "",
        False,
    )


@pytest.mark.parametrize(
    "tool_call, finish, problem",
    [
        (call("divide", {"a": 1}), "tool_calls", "unknown tool"),
        (call("multiply", {"_unparsed": '{"a": 6, "b'}), "tool_calls", "unreadable arguments"),
        (call("multiply", {"_value": [6, 7]}), "tool_calls", "unreadable arguments"),
        (call("multiply", {"a": 6}), "length", "truncated"),
    ],
)
def test_malformed_native_calls_are_reported_not_run(tool_call, finish, problem):
    (action,) = A.read_reply(reply(None, [tool_call], finish), "native", TOOLS)
    assert action.malformed == problem and not action.is_tool_call and action.arguments == {}


def test_a_truncated_native_text_reply_is_marked():
    (action,) = A.read_reply(reply("I will first", finish_reason="length"), "native", TOOLS)
    assert action.malformed == "truncated" and action.text == "I will first"


def test_several_native_calls_are_several_actions():
    calls = [call("multiply", {"a": 2, "b": 3}, "c1"), call("negate", {"x": 4}, "c2")]
    actions = A.read_reply(reply("", calls), "native", TOOLS)
    assert [(a.tool, a.call_id) for a in actions] == [("multiply", "c1"), ("negate", "c2")]


# --- structured replies -------------------------------------------------------------------------------------


def test_a_structured_tool_action():
    text = wire.action_text("CALL item 1", "multiply", {"a": 6, "b": 7})
    (action,) = A.read_reply(reply(text), "structured", TOOLS)
    assert (action.tool, action.arguments, action.text, action.malformed) == (
        "multiply",
        {"a": 6, "b": 7},
        "CALL item 1",
        "",
    )


def test_a_structured_final_answer_joins_thought_and_answer():
    (action,) = A.read_reply(reply(wire.action_text("done", "final_answer", "FINAL ANSWER: 42")), "structured", TOOLS)
    assert (action.tool, action.text, action.is_tool_call) == ("final_answer", "done\nFINAL ANSWER: 42", False)
    (bare,) = A.read_reply(reply(wire.action_text("", "final_answer", "42")), "structured", TOOLS)
    assert bare.text == "42"


@pytest.mark.parametrize(
    "content, finish, problem",
    [
        ("The answer is 42.", "stop", "not JSON"),  # a server that ignored the schema
        ('{"thought": "", "action": "multiply", "input": {"a"', "length", "truncated"),  # cut at max_tokens
        ('{"thought": "", "action": "divide", "input": {"a": 1}}', "stop", "unknown tool"),
        ('{"thought": "", "action": "multiply", "input": [6, 7]}', "stop", "tool input is not an object"),
        ('{"thought": "", "action": "final_answer", "input": 42}', "stop", "final answer input is not text"),
        ('["multiply", {"a": 6}]', "stop", "not an action object"),
        ('{"action": "multiply"}', "stop", "not an action object"),
        ("", "stop", "not JSON"),
    ],
)
def test_malformed_structured_actions_are_reported(content, finish, problem):
    (action,) = A.read_reply(reply(content, finish_reason=finish), "structured", TOOLS)
    assert action.malformed == problem and not action.is_tool_call and action.text == content


def test_without_tools_a_reply_is_plain_text_in_either_encoding():
    for encoding in A.ENCODINGS:
        (action,) = A.read_reply(reply("ASSIGN w1: items 1"), encoding, None)
        assert (action.tool, action.text, action.malformed) == ("", "ASSIGN w1: items 1", "")


# --- conversation and step columns ----------------------------------------------------------------------------


def test_conversation_messages_per_encoding():
    native = reply("CALL item 1", [call("multiply", {"a": 6, "b": 7})])
    messages = A.conversation_messages("native", native, A.read_reply(native, "native", TOOLS), ['{"result": 42}'])
    assert messages[0]["tool_calls"][0]["function"] == {"name": "multiply", "arguments": '{"a": 6, "b": 7}'}
    assert messages[1] == {"role": "tool", "tool_call_id": "c1", "content": '{"result": 42}'}
    text = wire.action_text("CALL item 1", "multiply", {"a": 6, "b": 7})
    structured = reply(text)
    messages = A.conversation_messages(
        "structured", structured, A.read_reply(structured, "structured", TOOLS), ['{"result": 42}']
    )
    assert messages == [
        {"role": "assistant", "content": text},
        {"role": "user", "content": 'OBSERVATION from multiply: {"result": 42}'},
    ]
    with pytest.raises(ValueError, match="1 tool call"):
        A.conversation_messages("native", native, A.read_reply(native, "native", TOOLS), [])


def test_step_fields_are_the_same_for_both_encodings():
    native = A.read_reply(reply("CALL item 1", [call("multiply", {"a": 6, "b": 7})]), "native", TOOLS)
    text = wire.action_text("CALL item 1", "multiply", {"a": 6, "b": 7})
    structured = A.read_reply(reply(text), "structured", TOOLS)
    one, other = (A.steps_fields(e, a, ["42"]) for e, a in (("native", native), ("structured", structured)))
    assert one.pop("encoding") == "native" and other.pop("encoding") == "structured"
    assert (
        one
        == other
        == {
            "action": "multiply",
            "tool_calls": '[{"arguments": {"a": 6, "b": 7}, "name": "multiply"}]',
            "observations": '["42"]',
            "malformed": "",
        }
    )
    broken = A.steps_fields("structured", A.read_reply(reply("prose"), "structured", TOOLS), [])
    assert (broken["action"], broken["tool_calls"], broken["malformed"]) == ("", "[]", "not JSON")


def test_a_structured_conversation_reads_back_as_the_native_one():
    native_reply = {"content": "CALL item 1", "tool_calls": [{"name": "negate", "arguments": {"x": 3}}]}
    structured = [
        {"role": "system", "content": "ROLE: single"},
        {"role": "user", "content": "TASK"},
        {"role": "assistant", "content": wire.encode_reply(native_reply["content"], native_reply["tool_calls"])},
        {"role": "user", "content": wire.observation_text("negate", '{"result": -3}')},
        {"role": "assistant", "content": wire.encode_reply("NOTE\nFINAL ANSWER: -3", [])},
        {"role": "user", "content": "OBSERVATION from nothing: not after an action, kept"},
    ]
    native = wire.native_conversation(structured, TOOLS)
    assert native[:2] == structured[:2]
    assert native[2]["content"] == "CALL item 1"
    assert native[2]["tool_calls"][0]["function"] == {"name": "negate", "arguments": '{"x": 3}'}
    assert native[3] == {"role": "tool", "tool_call_id": native[2]["tool_calls"][0]["id"], "content": '{"result": -3}'}
    assert native[4] == {"role": "assistant", "content": "NOTE\nFINAL ANSWER: -3"}
    assert native[5] == structured[5]


# --- the probe and the simulated endpoint -------------------------------------------------------------------


def test_probe_finds_native_calls_or_falls_back_to_structured_actions(tmp_path):
    models = [SimModel("calls"), SimModel("no-calls", params={"native_tools": False, "json_schema": True})]
    with sim_server(models) as url, LLMClient(base_url=url, api_key="x", cache_dir=tmp_path) as client:
        assert A.resolve_encoding(client, "calls") == "native"
        assert A.resolve_encoding(client, "no-calls") == "structured"
        sent = client.stats["requests_sent"]
        assert A.probe_encoding(client, "no-calls") == "structured" and client.stats["requests_sent"] == sent
        assert A.resolve_encoding(client, "no-calls", "native") == "native"  # forced
        with pytest.raises(ValueError, match="unknown action encoding"):
            A.resolve_encoding(client, "calls", "tools")


def test_the_simulated_endpoint_obeys_the_schema_only_when_told(tmp_path):
    messages = [{"role": "user", "content": "What is 6 * 7? Use the tool."}]
    models = [
        SimModel("schema", params={"native_tools": False, "json_schema": True}),
        SimModel("prose", params={"native_tools": False}),
    ]
    with sim_server(models) as url, LLMClient(base_url=url, api_key="x", cache_dir=tmp_path) as client:
        obeyed, (action,) = A.chat_action(client, "schema", messages, TOOLS, "structured")
        assert json.loads(obeyed.content)["action"] in ("multiply", "negate", "final_answer")
        assert action.malformed == ""
        _, (ignored,) = A.chat_action(client, "prose", messages, TOOLS, "structured")
        assert ignored.malformed == "not JSON"
        native, (text,) = A.chat_action(client, "prose", messages, TOOLS, "native")
        assert native.tool_calls == [] and text.tool == "final_answer"  # tools read, never called


# --- the topologies act through the protocol ------------------------------------------------------------------


def _sim_agent(name, **params):
    from agenteff.engines.topologies import BEHAVIOUR

    return SimModel(name, behaviour=BEHAVIOUR, error_prob=0.0, latency_mean_s=0.001, latency_sd_s=0.0, params=params)


def test_topologies_take_the_same_steps_in_either_encoding(tmp_path, monkeypatch):
    from agenteff.engines.topologies import ARCHITECTURES, run_experiment

    monkeypatch.setenv("AGENTEFF_CACHE_DIR", str(tmp_path))
    grid = dict(architectures=ARCHITECTURES, suites=["parallel", "sequential"], n_tasks=1)
    native_runs, native_steps = run_experiment(models=[_sim_agent("sim-tools")], **grid)
    runs, steps = run_experiment(models=[_sim_agent("sim-json", native_tools=False, json_schema=True)], **grid)
    # probed: one model makes native tool calls, the other cannot and is given the schema
    assert set(native_runs["action_encoding"]) == {"native"} and set(runs["action_encoding"]) == {"structured"}
    assert runs["success"].all() and native_runs["success"].all()
    same = ["agent_id", "role", "round", "turn", "content", "action", "tool_calls", "observations", "recipients"]
    pd.testing.assert_frame_equal(steps[same], native_steps[same])
    assert (steps["tool_calls"] != "[]").sum() > 10 and (steps["malformed"] == "").all()
    tool_steps = steps[steps["tool_calls"] != "[]"]
    assert set(tool_steps["encoding"]) == {"structured"}
    assert set(steps.loc[steps["tool_calls"] == "[]", "encoding"]) <= {"structured", ""}  # "" where no tools offered
    # the observation is the tool's own result on the task's data
    first = tool_steps.iloc[0]
    assert json.loads(json.loads(first["observations"])[0]).keys() == {"result"}


def test_a_server_that_ignores_the_schema_gives_malformed_steps_not_a_crash(tmp_path, monkeypatch):
    from agenteff.engines.topologies import run_experiment

    monkeypatch.setenv("AGENTEFF_CACHE_DIR", str(tmp_path))
    runs, steps = run_experiment(
        models=[_sim_agent("sim-prose", native_tools=False)],
        architectures=["single", "centralized"],
        suites=["parallel"],
        n_tasks=2,
        action_encoding="structured",  # forced: the probe would find no encoding that works
    )
    acting = steps[steps["encoding"] == "structured"]
    assert len(acting) > 0 and (acting["malformed"] == "not JSON").all() and (steps["tool_calls"] == "[]").all()
    per_run = acting.groupby("run_id").size()
    assert runs["malformed_actions"].tolist() == per_run.reindex(runs["run_id"], fill_value=0).tolist()
    assert not runs["success"].any()  # no look-up was ever made
    with pytest.raises(ValueError, match="unknown action encoding 'json'"):
        run_experiment(
            models=["sim-strong"], architectures=["single"], suites=["parallel"], n_tasks=1, action_encoding="json"
        )
