"""Conformance of agenteff.logs with inspect_ai's own reader on the mirrored Inspect logs.

inspect_ai is not a dependency of the project, nor an extra (about 40 requirements; installed into the project's
environment it would downgrade fsspec and python-dateutil): the test runs in an environment that has it and the
project on its path, and is skipped elsewhere. Same samples, same scores, same token totals.
"""

from pathlib import Path

import pytest

from agenteff import datasets, logs

inspect_log = pytest.importorskip("inspect_ai.log")
inspect_scorer = pytest.importorskip("inspect_ai.scorer")

PATHS = sorted(datasets.fetch("inspect-sample-logs").values())


@pytest.mark.parametrize("path", PATHS, ids=lambda p: Path(p).name[:40])
def test_same_samples_scores_status_and_tokens(path):
    theirs = inspect_log.read_eval_log(str(path))
    ours = logs.load(path)
    assert ours.files["status"].iloc[0] == theirs.status
    samples = theirs.samples or []
    assert len(ours.runs) == len(samples)
    runs = ours.runs.set_index(["task", "seed"])
    to_float = inspect_scorer.value_to_float()
    for sample in samples:
        run = runs.loc[(str(sample.id), sample.epoch)]
        if sample.scores:
            first = next(iter(sample.scores.values()))
            assert run["score"] == pytest.approx(to_float(first.value))
        assert (run["status"] == "error") == (sample.error is not None)
        calls = ours.steps[ours.steps["run_id"].eq(run["run_id"]) & ours.steps["kind"].str.startswith("model")]
        usage = sample.model_usage or {}
        if usage:  # agent and grader calls together make the sample's own usage (these logs count cache inside)
            assert calls["prompt_tokens"].sum() == sum(u.input_tokens for u in usage.values())
            assert calls["completion_tokens"].sum() == sum(u.output_tokens for u in usage.values())
        else:
            assert calls["prompt_tokens"].isna().all()


def test_samples_df_agrees_on_the_samples():
    from inspect_ai.analysis import samples_df

    theirs = samples_df([str(p) for p in PATHS], quiet=True)
    ours = logs.load(PATHS)
    assert len(theirs) == len(ours.runs)
