"""The analyses of notebook 90 (agenteff.logs.your_runs) on small hand-made imported logs."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from agenteff import schema
from agenteff.logs import ImportedLog
from agenteff.logs import your_runs as yours


def make_log(runs: list[tuple], steps: list[dict] | None = None) -> ImportedLog:
    """Runs from (model, task, seed, success, cost) tuples in one suite."""
    frame = pd.DataFrame(
        [
            {
                "run_id": f"{model}:{task}:{seed}",
                "task": task,
                "suite": "bench",
                "architecture": "agent",
                "n_agents": 1,
                "model": model,
                "seed": seed,
                "success": success,
                "cost_usd": cost,
                "judge_cost_usd": np.nan,
                "status": "success",
            }
            for model, task, seed, success, cost in runs
        ]
    )
    step_rows = steps or [
        {"run_id": r, "step": 0, "agent_id": "agent", "role": "single", "round": 0, "turn": 0, "kind": "model"}
        for r in frame["run_id"]
    ]
    return ImportedLog(
        runs=schema.validate(frame, schema.RUNS),
        steps=schema.validate(pd.DataFrame(step_rows), schema.STEPS),
        files=pd.DataFrame(columns=["path", "format", "status", "runs", "note"]),
    )


def test_paired_comparison_counts_discordant_trials_by_hand():
    a = [("a", f"t{i}", 1, s, 0.1) for i, s in enumerate([True, True, True, False])]
    b = [("b", f"t{i}", 1, s, 0.1) for i, s in enumerate([True, False, False, True])]
    row = yours.paired_comparison(make_log(a + b), "a", "b", n_boot=200, seed=0).iloc[0]
    # per-task differences 0, 1, 1, -1: mean 0.25; a alone solved 2 trials, b alone 1: exact McNemar p = 1
    assert row["shared_tasks"] == 4 and row["difference"] == pytest.approx(0.25)
    assert (row["only_a_solved"], row["only_b_solved"]) == (2, 1)
    assert row["mcnemar_p"] == pytest.approx(1.0)
    assert row["ci_low"] <= 0.25 <= row["ci_high"]


def test_paired_comparison_ten_one_sided_wins():
    a = [("a", f"t{i}", 1, True, 0.1) for i in range(10)]
    b = [("b", f"t{i}", 1, False, 0.1) for i in range(10)] + [("b", "extra", 1, True, 0.1)]
    row = yours.paired_comparison(make_log(a + b), "a", "b", n_boot=200, seed=0).iloc[0]
    # only the 10 shared tasks count; p = 2 * 0.5**10
    assert row["shared_tasks"] == 10 and row["difference"] == 1.0
    assert row["mcnemar_p"] == pytest.approx(2 * 0.5**10)
    assert (row["ci_low"], row["ci_high"]) == (1.0, 1.0)


def test_paired_comparison_refuses_an_unknown_model_and_says_when_nothing_is_shared():
    log = make_log([("a", "t1", 1, True, 0.1), ("b", "t2", 1, True, 0.1)])
    with pytest.raises(ValueError, match="no runs of model 'c'"):
        yours.paired_comparison(log, "a", "c", n_boot=10, seed=0)
    assert "share no task" in yours.paired_comparison(log, "a", "b", n_boot=10, seed=0)["note"].iloc[0]


def test_unpriced_runs_are_left_out_of_cost_not_read_as_free():
    log = make_log(
        [("a", "t1", 1, True, 0.2), ("a", "t2", 1, False, 0.4), ("b", "t1", 1, True, np.nan), ("b", "t2", 1, True, 0.1)]
    )
    table = yours.accuracy_and_cost(log, n_boot=100, seed=0).set_index("model")
    assert table.loc["a", "cost_per_run_usd"] == pytest.approx(0.3) and table.loc["b", "priced_runs"] == 1
    passes = yours.cost_of_pass(log, n_boot=100, seed=0)
    assert passes["model"].tolist() == ["a"]  # b has an unpriced run: no cost-of-pass
    assert passes["cost_of_pass_usd"].iloc[0] == pytest.approx(0.6)  # 0.6 USD over 1 success
    assert yours.frontier(log)["model"].tolist() == ["a"]


def test_pass_hat_k_only_where_every_task_was_repeated():
    runs = [("a", t, s, ok, 0.1) for t, s, ok in [("t1", 1, True), ("t1", 2, True), ("t2", 1, True), ("t2", 2, False)]]
    runs += [("b", "t1", 1, True, 0.1), ("b", "t1", 2, True, 0.1), ("b", "t2", 1, True, 0.1)]
    table = yours.pass_hat_k(make_log(runs), max_k=5)
    # model a: pass^1 = 3/4, pass^2 = (1 + 0) / 2; model b has a task run once and is left out
    assert table["model"].unique().tolist() == ["a"]
    assert table["pass_hat_k"].tolist() == pytest.approx([0.75, 0.5])


def test_early_stop_compares_first_calls_confidence():
    runs = [("a", "t1", 1, True, 0.1), ("a", "t2", 1, False, 0.1)]
    steps = [
        {"run_id": "a:t1:1", "logprobs": json.dumps([-0.1, -0.1])},
        {"run_id": "a:t1:1", "logprobs": json.dumps([-0.1])},
        {"run_id": "a:t2:1", "logprobs": json.dumps([-1.0, -2.0])},
    ]
    steps = [
        {"step": i, "agent_id": "agent", "role": "single", "round": 0, "turn": i, "kind": "model", **s}
        for i, s in enumerate(steps)
    ]
    table = yours.early_stop(make_log(runs, steps))
    assert table["mean_success"].iloc[0] == pytest.approx(-0.1) and table["mean_failure"].iloc[0] == pytest.approx(-1.5)
    assert "no step" in yours.early_stop(make_log(runs))["note"].iloc[0]


def test_figures_say_when_there_is_nothing_to_draw():
    log = make_log([("a", "t1", 1, True, np.nan)])
    assert yours.accuracy_cost_frontier(yours.frontier(log)).caption.startswith("Nothing to draw")
    assert "more than once" in yours.pass_hat_k_curves(yours.pass_hat_k(log, 3)).caption


@pytest.mark.parametrize(
    "names, pair",
    [
        (["taubench_gpt41_r1_UPLOAD.json", "taubench_sonnet_r0_UPLOAD.json"], ("gpt-4.1", "claude-sonnet-4")),
        (["agent_traces.otlp.jsonl"], ("gpt-4o", "claude-sonnet-4")),
    ],
)
def test_every_analysis_runs_on_each_format(names, pair):
    """HAL steps carry no text or tool calls, OTLP no log-probabilities: every analysis still applies or says why."""
    fixtures = Path(__file__).parents[1] / "fixtures" / "logs"
    log = yours.import_runs([fixtures / n for n in names], outcomes=fixtures / "agent_traces.outcomes.csv")
    assert len(yours.accuracy_and_cost(log, 50, 0)) == log.runs.groupby(["suite", "model"]).ngroups
    yours.cost_of_pass(log, 50, 0)
    yours.pass_hat_k(log, 3)
    yours.paired_comparison(log, *pair, 50, 0)
    yours.cache_use(log)
    assert yours.trajectories(log)["runs"].sum() == len(log.runs)
    yours.early_stop(log)
    yours.accuracy_cost_frontier(yours.frontier(log))
