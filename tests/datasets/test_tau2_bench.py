"""The tau2-bench leaderboard trajectories: the real files, and the parser on hand-made ones."""

import json
import os

import pytest

from agenteff import datasets
from agenteff.datasets import tau2_bench
from agenteff.paths import data_dir
from agenteff.schema import SchemaError

needs_data = pytest.mark.skipif(
    not os.environ.get(datasets.MIRROR_VARIABLE), reason="pinned files need the offline mirror (AGENTEFF_MIRROR)"
)


@needs_data
def test_real_files_keep_agent_user_simulator_and_tools_apart():
    produced = datasets.tables("tau2-bench-airline")
    runs, steps = produced["runs"], produced["steps"]
    assert len(runs) == 194
    assert runs.groupby("submission").size().to_dict() == {
        "aide-claude-sonnet-4-5": 50,
        "button-claude-opus-4-6": 50,
        "ironshell-claude-opus-4-6": 44,
        "ironshell-gpt-5.4": 50,
    }
    # the leaderboard's pass^1 of the ValueLabs entry is 72.0 (its submission.json)
    assert runs.loc[runs["submission"] == "aide-claude-sonnet-4-5", "success"].mean() == pytest.approx(0.72)
    assert set(zip(steps["agent_id"], steps["kind"])) == {
        ("agent", "llm_call"),
        ("agent", "fixed_message"),
        ("user_simulator", "llm_call"),
        ("tool", "tool_result"),
    }
    agent = steps[(steps["agent_id"] == "agent") & (steps["kind"] == "llm_call")]
    assert agent.groupby("run_id")["prompt_tokens"].sum().sort_index().tolist() == (
        runs.set_index("run_id")["prompt_tokens"].sort_index().tolist()
    )
    assert runs["cached_tokens"].isna().all()


def _message(role, content, usage=None, **extra):
    return {"role": role, "content": content, "usage": usage, "cost": 0.01 if usage else None, **extra}


def _file(tmp_path, messages, task_id="7", tasks=None):
    call = {"id": "c1", "name": "get_user_details", "arguments": {"user_id": "u1"}, "requestor": "assistant"}
    record = {
        "info": {"agent_info": {"llm": "agent-model"}, "user_info": {"llm": "user-model"}},
        "tasks": tasks if tasks is not None else [{"id": "7", "evaluation_criteria": {"actions": [{}, {}]}}],
        "simulations": [
            {
                "task_id": task_id,
                "trial": 0,
                "agent_cost": 0.5,
                "user_cost": 0.1,
                "duration": 12.0,
                "termination_reason": "user_stop",
                "reward_info": {"reward": 1.0},
                "messages": messages
                or [
                    _message("assistant", "Hi! How can I help you today?"),
                    _message("user", "Cancel my trip", {"prompt_tokens": 400, "completion_tokens": 5}),
                    _message("assistant", None, {"prompt_tokens": 3000, "completion_tokens": 40}, tool_calls=[call]),
                    _message("tool", '{"user_id": "u1"}', id="c1"),
                    _message("assistant", "Done", {"prompt_tokens": 3100, "completion_tokens": 20}),
                ],
            }
        ],
    }
    name = next(iter(tau2_bench.SUBMISSIONS))
    path = tmp_path / "airline.json"
    path.write_text(json.dumps(record))
    return name, path


def test_parser_on_a_tiny_file(tmp_path):
    name, path = _file(tmp_path, None)
    runs, steps = tau2_bench.results_tables(path, tau2_bench.SUBMISSIONS[name], domain="airline")
    (run,) = runs
    assert run["prompt_tokens"] == 6100 and run["completion_tokens"] == 60  # the agent's calls only
    assert run["user_prompt_tokens"] == 400 and run["user_completion_tokens"] == 5
    assert run["n_gold_actions"] == 2 and run["success"] and run["model"] == "agent-model"
    assert run["run_id"] == "tau2-airline/button-claude-opus-4-6/task007/trial0"
    kinds = [(s["agent_id"], s["kind"]) for s in steps]
    assert kinds == [
        ("agent", "fixed_message"),
        ("user_simulator", "llm_call"),
        ("agent", "llm_call"),
        ("tool", "tool_result"),
        ("agent", "llm_call"),
    ]
    assert json.loads(steps[2]["tool_calls"]) == [{"arguments": {"user_id": "u1"}, "name": "get_user_details"}]
    assert steps[3]["tool_name"] == "get_user_details"


def test_parser_names_the_file_on_bad_input(tmp_path):
    name, path = _file(tmp_path, [_message("system", "x")])
    with pytest.raises(SchemaError, match="unknown role 'system'"):
        tau2_bench.results_tables(path, tau2_bench.SUBMISSIONS[name], domain="airline")
    name, path = _file(tmp_path, None, task_id="99")
    with pytest.raises(SchemaError, match="task '99'"):
        tau2_bench.results_tables(path, tau2_bench.SUBMISSIONS[name], domain="airline")
    name, path = _file(tmp_path, [_message("user", "no usage")])
    with pytest.raises(SchemaError, match="without usage"):
        tau2_bench.results_tables(path, tau2_bench.SUBMISSIONS[name], domain="airline")
    path.write_text(json.dumps({"simulations": []}))
    with pytest.raises(SchemaError, match="not a tau2-bench results file"):
        tau2_bench.results_tables(path, tau2_bench.SUBMISSIONS[name], domain="airline")


def test_context_paper_values_card_lists_every_key_and_its_kind():
    table = datasets.load("paper-values")
    table = table[table["file"] == "published/context/paper_values.csv"]
    card = (data_dir() / "published/context/README.md").read_text()
    for key in table["key"]:
        assert f"`{key}`" in card
    assert table["note"].str.contains("abstract|code|secondary|qualitative").all()
