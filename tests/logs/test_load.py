"""agenteff.logs: users' own logs read into RUNS/STEPS, checked against numbers worked out from the files by hand.

The Inspect and ATIF files are the mirrored public samples (data sets ``inspect-sample-logs`` and
``atif-sample-trajectories``); OTLP and HAL are the hand-written fixtures in tests/fixtures/logs/ (no licensed real
export exists). Every expected number below is read off the file and summed or priced by hand in the comment.
"""

import json
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from backports.zstd import zipfile as zstd_zipfile

from agenteff import datasets, logs, schema
from agenteff.__main__ import main
from agenteff.logs._usage import normalise, version_tuple

FIXTURES = Path(__file__).parents[1] / "fixtures" / "logs"
# gpt-4o-mini in data/prices.csv: 0.15 input, 0.075 cached input, 0.60 output (USD per million tokens)
MINI = {"input": 0.15, "cached": 0.075, "output": 0.60}


@pytest.fixture(scope="module")
def inspect_files() -> dict[str, Path]:
    return {Path(name).name: path for name, path in datasets.fetch("inspect-sample-logs").items()}


@pytest.fixture(scope="module")
def atif_files() -> dict[str, Path]:
    return {Path(name).name: path for name, path in datasets.fetch("atif-sample-trajectories").items()}


def _one(inspect_files, fragment: str) -> Path:
    (name,) = [n for n in inspect_files if fragment in n]
    return inspect_files[name]


# --- Inspect --------------------------------------------------------------------------------------------------


def test_inspect_agent_tokens_cache_and_cost_by_hand(inspect_files):
    log = logs.load(_one(inspect_files, "browser.json"))
    (run,) = log.runs.itertuples()
    # five model events: input 1124 + 1568 + 2732 + 3896 + 5915, output 23 + 17 + 17 + 17 + 207,
    # cache reads 0 + 1024 + 1536 + 2688 + 3840; total_tokens = input + output, so input includes the cache
    assert (run.prompt_tokens, run.completion_tokens, run.cached_tokens) == (15235, 281, 9088)
    calls = log.steps[log.steps["kind"] == "model"]
    assert list(calls["cache_convention"]) == ["no_cache_tokens"] + ["input_includes_cache"] * 4
    assert (log.steps["role"] == "tool").sum() == 4
    assert run.success and run.status == "success" and run.suite == "browser"
    assert pd.isna(run.cost_usd) and run.cost_source == "none"  # the log recorded no cost
    priced = logs.reprice(log).runs.iloc[0]
    expected = ((15235 - 9088) * MINI["input"] + 9088 * MINI["cached"] + 281 * MINI["output"]) / 1e6
    assert priced["cost_usd"] == pytest.approx(expected)  # 1772.25e-6
    assert priced["cost_source"] == "repriced" and pd.isna(priced["recorded_cost_usd"])


def test_inspect_grader_calls_are_judge_steps_out_of_agent_cost(inspect_files):
    path = _one(inspect_files, "28-26-04-00_security-guide.json")
    log = logs.reprice(logs.load(path))
    first = log.runs.set_index("task").loc["1"]
    # sample 1: the solver's call 61 in / 17 out; the model_graded_fact grader's call 259 in / 292 out
    assert (first["prompt_tokens"], first["completion_tokens"]) == (61, 17)
    assert first["cost_usd"] == pytest.approx((61 * MINI["input"] + 17 * MINI["output"]) / 1e6)
    assert first["judge_cost_usd"] == pytest.approx((259 * MINI["input"] + 292 * MINI["output"]) / 1e6)
    judge = log.steps[log.steps["role"] == "judge"]
    assert len(judge) == 3 and set(judge["agent_id"]) == {"judge"}
    # agent + grader tokens add up to each sample's own model_usage in the file
    document = json.loads(path.read_text())
    for sample in document["samples"]:
        usage = sample["model_usage"]["openai/gpt-4o-mini"]
        mine = log.steps[log.steps["run_id"].str.endswith(f":{sample['id']}:1") & log.steps["kind"].eq("model")]
        assert mine["prompt_tokens"].sum() == usage["input_tokens"]
        assert mine["completion_tokens"].sum() == usage["output_tokens"]


def test_inspect_graded_eval_in_scorer_span_of_a_zip(inspect_files):
    log = logs.load(_one(inspect_files, "security-guide_LuxZ"))
    assert len(log.runs) == 16 and (log.steps["role"] == "judge").sum() == 16
    # sample 1: solver call 61 in / 8 out; its grader call (251 / 315) stays out
    assert tuple(log.runs.set_index("task").loc["1", ["prompt_tokens", "completion_tokens"]]) == (61, 8)


def test_inspect_epochs_are_seeds_and_pass_hat_k_applies(inspect_files):
    from agenteff.metrics import pass_hat_k

    log = logs.load(_one(inspect_files, "log_streaming.eval"))
    assert sorted(zip(log.runs["task"], log.runs["seed"])) == [("1", 1), ("1", 2), ("2", 1), ("2", 2)]
    assert log.runs["prompt_tokens"].sum() == 252  # the header's model_usage: 252 input, 6 output
    assert log.runs["completion_tokens"].sum() == 6
    by_task = log.runs.groupby("task")["success"].sum().to_dict()
    k2 = pass_hat_k(log.runs, 2)["pass_hat_k"].iloc[0]
    assert k2 == pytest.approx(sum(c == 2 for c in by_task.values()) / 2)
    assert log.samples is not None and len(log.samples) == 4  # one call per run: a single-call evaluation
    answer = log.samples.set_index(["problem_id", "sample_index"]).loc[("2", 1)]
    assert (answer["answer"], answer["gold"], answer["correct"]) == ("No", " No", True)  # sample 2, epoch 2


def test_inspect_no_usage_is_unknown_not_zero_and_v3_reads(inspect_files):
    log = logs.load(_one(inspect_files, "log_message_deduplication.eval"))
    (run,) = log.runs.itertuples()
    assert pd.isna(run.prompt_tokens) and pd.isna(run.completion_tokens)
    calls = log.steps[log.steps["kind"] == "model"]
    assert len(calls) == 6 and calls["prompt_tokens"].isna().all()
    assert sum(len(json.loads(c)) for c in calls["tool_calls"].dropna()) == 5
    assert run.score == 0.0 and not run.success


def test_inspect_error_and_cancelled_logs_say_so(inspect_files):
    log = logs.load([_one(inspect_files, "5EAmX6wj"), _one(inspect_files, "20-28-13-04-00_popularity.json")])
    files = log.files.set_index(log.files["path"].map(lambda p: Path(p).name))
    error = files.loc[[n for n in files.index if "5EAmX6wj" in n][0]]
    assert error["status"] == "error" and error["runs"] == 0 and "failed" in error["note"]
    cancelled = files.loc["2025-05-12T20-28-13-04-00_popularity.json"]
    assert cancelled["status"] == "cancelled" and cancelled["runs"] == 3
    assert log.runs["success"].sum() == 2  # C, C, I


def _rewrite_eval(source: Path, target: Path, edit, compression=zipfile.ZIP_DEFLATED, module=zipfile):
    with zipfile.ZipFile(source) as original, module.ZipFile(target, "w", compression=compression) as copy:
        for name in original.namelist():
            data = original.read(name)
            if name.endswith(".json"):
                data = json.dumps(edit(name, json.loads(data))).encode()
            copy.writestr(name, data)
    return target


def test_inspect_zstd_members_read_the_same(inspect_files, tmp_path):
    source = _one(inspect_files, "log_streaming.eval")
    target = _rewrite_eval(
        source, tmp_path / "zstd.eval", lambda n, d: d, compression=zstd_zipfile.ZIP_ZSTANDARD, module=zstd_zipfile
    )
    with zipfile.ZipFile(target) as check:  # the standard zipfile cannot read these members
        with pytest.raises(NotImplementedError):
            check.read("header.json")
    pd.testing.assert_frame_equal(logs.load(target).runs, logs.load(source).runs)


def _as_modern_convention(name, doc):
    """The browser log as inspect_ai >= 0.3.184 writes it: input_tokens without the cache reads."""
    if "eval" in doc:
        doc["eval"]["packages"] = {"inspect_ai": "0.3.190"}
    for sample in doc.get("samples") or []:
        for event in sample["events"]:
            usage = (event.get("output") or {}).get("usage") if event.get("event") == "model" else None
            if usage:
                usage["input_tokens"] -= usage["input_tokens_cache_read"]
    return doc


def test_inspect_both_cache_conventions_give_the_same_tokens(inspect_files, tmp_path):
    source = _one(inspect_files, "browser.json")
    modern = tmp_path / "modern.json"
    modern.write_text(json.dumps(_as_modern_convention("", json.loads(source.read_text()))))
    old, new = logs.load(source), logs.load(modern)
    columns = ["prompt_tokens", "completion_tokens", "cached_tokens"]
    pd.testing.assert_frame_equal(old.runs[columns], new.runs[columns])
    calls = new.steps[new.steps["kind"] == "model"]
    assert list(calls["cache_convention"]) == ["no_cache_tokens"] + ["input_excludes_cache"] * 4


def test_usage_convention_decided_per_call():
    # Anthropic-style: 100 fresh input + 300 read + 50 written + 20 output = 470 total: input excludes the cache
    anthropic = normalise(100, 20, 470, cache_read=300, cache_write=50)
    assert (anthropic["prompt_tokens"], anthropic["cache_convention"]) == (450, "input_excludes_cache")
    # OpenAI-style: 450 input holding 300 read, total 470: input includes the cache
    openai = normalise(450, 20, 470, cache_read=300, cache_write=0)
    assert (openai["prompt_tokens"], openai["cache_convention"]) == (450, "input_includes_cache")
    # reasoning counted outside the output: total = 100 + 20 + 30
    outside = normalise(100, 20, 150, cache_read=0, reasoning=30)
    assert outside["completion_tokens"] == 50 and outside["reasoning_tokens"] == 30
    # a total that settles nothing falls back to the version's convention, and says so
    unsure = normalise(100, 20, None, cache_read=40, excludes_cache_by_default=True)
    assert (unsure["prompt_tokens"], unsure["cache_convention"]) == (140, "from_version")
    assert version_tuple("0.3.95.dev16+g6527d0861") == (0, 3, 95)


def test_inspect_bad_files_name_file_and_field(inspect_files, tmp_path):
    source = _one(inspect_files, "log_streaming.eval")
    cut = tmp_path / "cut.eval"
    cut.write_bytes(source.read_bytes()[: source.stat().st_size // 2])
    with pytest.raises(logs.LogFormatError, match=r"cut\.eval: .*truncated"):
        logs.load(cut)
    future = _rewrite_eval(source, tmp_path / "v9.eval", lambda n, d: d | {"version": 9} if n == "header.json" else d)
    with pytest.raises(logs.LogFormatError, match=r"v9\.eval: header: field 'version': .*9"):
        logs.load(future)
    json_log = _one(inspect_files, "browser.json")
    cut_json = tmp_path / "cut.json"
    cut_json.write_bytes(json_log.read_bytes()[:200_000])
    with pytest.raises(logs.LogFormatError, match=r"cut\.json: samples: .*truncated"):
        logs.load(cut_json, format="inspect")
    with pytest.raises(logs.LogFormatError, match=r"field 'scores'.*no score named 'nope'"):
        logs.load(source, scorer="nope")


def test_inspect_json_is_streamed_not_loaded_whole(inspect_files, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("json.load on a whole log")

    monkeypatch.setattr(json, "load", refuse)
    assert len(logs.load(_one(inspect_files, "browser.json")).runs) == 1


# --- ATIF -----------------------------------------------------------------------------------------------------


def _outcomes(tmp_path, rows: dict[str, bool]) -> Path:
    path = tmp_path / "outcomes.csv"
    path.write_text("run_id,success\n" + "".join(f"{k},{str(v).lower()}\n" for k, v in rows.items()))
    return path


def test_atif_continuation_totals_and_copied_steps(atif_files, tmp_path):
    root = atif_files["terminus_2_hello-world-context-summarization-linear-history.trajectory.json"]
    run_id = root.name.removesuffix(".json")
    log = logs.load(root, outcomes=_outcomes(tmp_path, {run_id: True}))
    (run,) = log.runs.itertuples()
    # final_metrics of the root (2252 / 160 / 0.00723) plus the continuation's own (7802 / 1030 / 0.029805)
    assert (run.prompt_tokens, run.completion_tokens) == (2252 + 7802, 160 + 1030)
    assert run.cost_usd == pytest.approx(0.00723 + 0.029805) and run.cost_source == "recorded"
    # root: 5 steps; continuation: 8, of which 4 copied from before the hand-off
    assert len(log.steps) == 5 + 4
    # the continuation's final_metrics exceed its steps by the summarisation calls, priced as gpt-4o (2.50/10.00)
    steps = log.steps[log.steps["kind"] == "model"]
    extra_cost = (0.00723 + 0.029805) - steps["cost_usd"].sum()
    extra_tokens = (2252 + 7802 - steps["prompt_tokens"].sum(), 160 + 1030 - steps["completion_tokens"].sum())
    assert extra_cost == pytest.approx((extra_tokens[0] * 2.5 + extra_tokens[1] * 10.0) / 1e6)


def test_atif_tool_calls_logprobs_and_harbor_result(atif_files, tmp_path):
    trial = tmp_path / "trial"
    (trial / "agent").mkdir(parents=True)
    doc = json.loads(atif_files["openhands_hello-world.trajectory.json"].read_text())
    doc["steps"][4]["metrics"]["logprobs"] = [-0.5, -0.25, 0.0]
    (trial / "agent" / "trajectory.json").write_text(json.dumps(doc))
    (trial / "result.json").write_text(
        json.dumps({"task_name": "hello-world", "verifier_result": {"rewards": {"reward": 1.0}}})
    )
    log = logs.load(trial)
    (run,) = log.runs.itertuples()
    assert run.success and run.score == 1.0
    assert (run.prompt_tokens, run.completion_tokens, run.cost_usd) == (220, 80, pytest.approx(0.00135))
    assert json.loads(log.steps.loc[4, "logprobs"]) == [-0.5, -0.25, 0.0]
    assert log.steps["tool_calls"].notna().sum() == 2


def test_atif_without_outcome_is_an_error(atif_files):
    with pytest.raises(logs.LogFormatError, match=r"openhands_hello-world\.trajectory\.json: run .*outcome"):
        logs.load(atif_files["openhands_hello-world.trajectory.json"])


def test_atif_missing_continuation_is_an_error(atif_files, tmp_path):
    root = atif_files["terminus_2_hello-world-context-summarization-linear-history.trajectory.json"]
    shutil.copy(root, tmp_path / "alone.trajectory.json")
    with pytest.raises(logs.LogFormatError, match="field 'continued_trajectory_ref'"):
        logs.load(tmp_path / "alone.trajectory.json", outcomes=_outcomes(tmp_path, {"x": True}))


# --- OTLP -----------------------------------------------------------------------------------------------------


def test_otlp_tokens_counted_once_and_priced_by_hand():
    log = logs.load(FIXTURES / "agent_traces.otlp.jsonl", outcomes=FIXTURES / "agent_traces.outcomes.csv")
    runs = logs.reprice(log).runs.set_index("task")
    order = runs.loc["order-status-1"]
    # two chat spans 1000 (600 cached, inside) + 500 in, 80 + 40 out; the agent span's roll-up 1500/120 not again
    assert (order["prompt_tokens"], order["completion_tokens"], order["cached_tokens"]) == (1500, 120, 600)
    assert order["cost_usd"] == pytest.approx((900 * 0.15 + 600 * 0.075 + 120 * 0.60) / 1e6)
    assert order["success"] and order["score"] == 1.0
    refund = runs.loc["refund-2"]
    # cache reads 800 > input 200: excluded by the emitter; prompt = 200 + 800 read + 100 written
    assert (refund["prompt_tokens"], refund["cached_tokens"], refund["cache_write_tokens"]) == (1100, 800, 100)
    # claude-sonnet-4: 3.00 input, 0.30 cache read, 3.75 cache write, 15.00 output
    assert refund["cost_usd"] == pytest.approx((200 * 3.0 + 800 * 0.30 + 100 * 3.75 + 50 * 15.0) / 1e6)
    assert not refund["success"]  # label "fail"
    capital = runs.loc["capital-3"]
    # OpenInference: 300 in (100 cached) / 30 out on gpt-4o; the EVALUATOR's call 150 / 10 on gpt-4o-mini
    assert capital["cost_usd"] == pytest.approx((200 * 2.5 + 100 * 1.25 + 30 * 10.0) / 1e6)
    assert capital["judge_cost_usd"] == pytest.approx((150 * 0.15 + 10 * 0.60) / 1e6)
    assert capital["success"]  # from the outcomes file
    assert (log.steps["role"] == "tool").sum() == 2


def test_otlp_trace_without_outcome_is_an_error():
    with pytest.raises(logs.LogFormatError, match=r"trace 6e0c63257de34c92bf9efcd03927272e: field 'gen_ai.evaluation"):
        logs.load(FIXTURES / "agent_traces.otlp.jsonl")


def test_otlp_bad_line_names_the_line(tmp_path):
    path = tmp_path / "cut.jsonl"
    first, second = (FIXTURES / "agent_traces.otlp.jsonl").read_text().splitlines(keepends=True)[:2]
    path.write_text(first + second[: len(second) // 2])
    with pytest.raises(logs.LogFormatError, match=r"cut\.jsonl: line 2: .*truncated"):
        logs.load(path)


# --- HAL ------------------------------------------------------------------------------------------------------


def test_hal_task_dict_layout_keeps_recorded_cost_beside_repriced():
    log = logs.reprice(logs.load(FIXTURES / "taubench_gpt41_r1_UPLOAD.json"))
    runs = log.runs.set_index("task")
    # task 0: calls 400 in / 50 out and 600 in (300 cached) / 60 out; gpt-4.1: 2.00 input, 0.50 cached, 8.00 out
    assert (runs.loc["0", "prompt_tokens"], runs.loc["0", "completion_tokens"]) == (1000, 110)
    assert runs.loc["0", "cost_usd"] == pytest.approx((700 * 2.0 + 300 * 0.5 + 110 * 8.0) / 1e6)
    assert runs.loc["0", "recorded_cost_usd"] == pytest.approx(0.00288)  # HAL's: cache reads at the full price
    assert runs["seed"].tolist() == [1, 1] and runs["success"].tolist() == [True, False]


def test_hal_weave_layout_anthropic_excludes_cache():
    log = logs.reprice(logs.load(FIXTURES / "taubench_sonnet_r0_UPLOAD.json"))
    first = log.runs.set_index("task").loc["0"]
    # 100 fresh + 200 read + 50 written = 350 prompt tokens; claude-sonnet-4 prices
    assert (first["prompt_tokens"], first["cached_tokens"], first["cache_write_tokens"]) == (350, 200, 50)
    assert first["cost_usd"] == pytest.approx((100 * 3.0 + 200 * 0.30 + 50 * 3.75 + 20 * 15.0) / 1e6)
    assert pd.isna(first["recorded_cost_usd"])


def test_hal_weave_call_without_task_is_an_error(tmp_path):
    doc = json.loads((FIXTURES / "taubench_sonnet_r0_UPLOAD.json").read_text())
    del doc["raw_logging_results"][1]["weave_task_id"]
    path = tmp_path / "bad_UPLOAD.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(logs.LogFormatError, match=r"raw_logging_results\[1\]: field 'weave_task_id'"):
        logs.load(path)


# --- loading, pricing, CLI ------------------------------------------------------------------------------------


def test_load_refuses_nonsense():
    with pytest.raises(ValueError, match="threshold"):
        logs.load(FIXTURES, threshold=2)
    with pytest.raises(ValueError, match="format"):
        logs.load(FIXTURES, format="csv")
    with pytest.raises(FileNotFoundError):
        logs.load(FIXTURES / "missing.eval")
    with pytest.raises(logs.LogFormatError, match="appears twice"):
        logs.load([FIXTURES / "taubench_sonnet_r0_UPLOAD.json"] * 2)


def test_reprice_with_users_prices_and_unpriced_models():
    log = logs.load(FIXTURES / "taubench_sonnet_r0_UPLOAD.json")
    mine = logs.reprice(log, {"claude-sonnet-4": {"input": 1.0, "output": 2.0}})
    # cached and cache-write default to the input price: 350 * 1.0 + 20 * 2.0
    assert mine.runs.loc[0, "cost_usd"] == pytest.approx((350 * 1.0 + 20 * 2.0) / 1e6)
    unpriced = logs.reprice(log, {"other": {"input": 1.0, "output": 1.0}})
    assert unpriced.runs["cost_usd"].isna().all() and set(unpriced.runs["cost_source"]) == {"none"}


def test_price_table_without_cache_write_column_bills_input(tmp_path):
    from agenteff.llm.pricing import PriceTable, call_cost

    path = tmp_path / "prices.csv"
    path.write_text(
        "model,provider,input_usd_per_mtok,cached_input_usd_per_mtok,output_usd_per_mtok,as_of,source\n"
        "m,me,2.0,1.0,4.0,2026-01-01,mine\n"
    )
    price = PriceTable.load(path).lookup("m")
    assert call_cost(price, 1000, 10, cached_tokens=200, cache_write_tokens=100) == pytest.approx(
        (700 * 2.0 + 200 * 1.0 + 100 * 2.0 + 10 * 4.0) / 1e6
    )


def test_cli_import_writes_validated_tables(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["import", str(FIXTURES / "taubench_gpt41_r1_UPLOAD.json"), "--out", str(out), "--reprice"])
    assert code == 0
    runs = schema.read_table(out / "runs.parquet", schema.RUNS)
    assert len(runs) == 2 and runs["cost_source"].eq("repriced").all()
    schema.read_table(out / "steps.parquet", schema.STEPS)
    printed = capsys.readouterr().out
    assert "gpt-4.1" in printed and "taubench_gpt41_r1_UPLOAD.json" in printed
    assert main(["import", str(FIXTURES / "agent_traces.otlp.jsonl"), "--out", str(out)]) == 2
    assert "no outcome" in capsys.readouterr().err


def _with_error_and_limit(name, doc):
    if name == "samples/1_epoch_1.json":
        doc["error"] = {"message": "sandbox died", "traceback": ""}
        doc["scores"] = {}
    if name == "samples/2_epoch_1.json":
        doc["limit"] = {"type": "token", "limit": 100}
    return doc


def test_inspect_error_and_limit_samples_are_kept_with_their_status(inspect_files, tmp_path):
    path = _rewrite_eval(_one(inspect_files, "log_streaming.eval"), tmp_path / "faults.eval", _with_error_and_limit)
    runs = logs.load(path).runs.set_index(["task", "seed"])
    assert runs.loc[("1", 1), "status"] == "error" and not runs.loc[("1", 1), "success"]
    assert pd.isna(runs.loc[("1", 1), "score"])
    assert runs.loc[("2", 1), "status"] == "limit" and not runs.loc[("2", 1), "success"]
    assert runs.loc[("1", 2), "status"] == "success"


@pytest.mark.parametrize(
    "value, expected",
    [
        ("C", 1.0),
        ("P", 0.5),
        ("I", 0.0),
        ("N", 0.0),
        (True, 1.0),
        (0.25, 0.25),
        ("0.75", 0.75),
        ({"a": "C", "b": 0}, 0.5),
    ],
)
def test_every_score_type(value, expected):
    from agenteff.logs._common import score_value

    assert score_value(value, "f", "sample 1", "scores.x.value") == expected


def test_a_score_that_is_no_score_names_its_place():
    from agenteff.logs._common import score_value

    with pytest.raises(logs.LogFormatError, match=r"f: sample 1: field 'scores.x.value': cannot read 'maybe'"):
        score_value("maybe", "f", "sample 1", "scores.x.value")


def test_threshold_turns_partial_credit_into_success(inspect_files, tmp_path):
    def partial(name, doc):
        if name.startswith("samples/"):
            doc["scores"]["match"]["value"] = "P"
        return doc

    path = _rewrite_eval(_one(inspect_files, "log_streaming.eval"), tmp_path / "partial.eval", partial)
    assert not logs.load(path).runs["success"].any()
    assert logs.load(path, threshold=0.5).runs["success"].all()


def test_inspect_calls_nested_in_tool_events_of_older_logs_are_counted(inspect_files, tmp_path):
    def nest(name, doc):  # pre-span logs kept a sub-agent's calls inside the tool event that ran it
        if name == "samples/1_epoch_1.json":
            model = next(e for e in doc["events"] if e["event"] == "model")
            doc["events"].append({"event": "tool", "function": "helper", "result": "ok", "events": [model]})
        return doc

    source = _one(inspect_files, "log_streaming.eval")
    path = _rewrite_eval(source, tmp_path / "nested.eval", nest)
    before = logs.load(source).runs.set_index(["task", "seed"]).loc[("1", 1), "prompt_tokens"]
    after = logs.load(path).runs.set_index(["task", "seed"]).loc[("1", 1), "prompt_tokens"]
    assert after == 2 * before


def test_reprice_counts_calls_that_are_no_step(atif_files, tmp_path):
    root = atif_files["terminus_2_hello-world-context-summarization-linear-history.trajectory.json"]
    log = logs.reprice(logs.load(root, outcomes=_outcomes(tmp_path, {root.name.removesuffix(".json"): True})))
    # the run's totals (summarisation calls included): 10054 prompt, 1190 completion tokens, no cache, gpt-4o
    assert log.runs.loc[0, "cost_usd"] == pytest.approx((10054 * 2.5 + 1190 * 10.0) / 1e6)
    assert log.runs.loc[0, "cost_usd"] == pytest.approx(log.runs.loc[0, "recorded_cost_usd"])  # Harbor's own
