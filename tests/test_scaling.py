"""Tests of agenteff.scaling and the scaling parsers: hand-computed cases, a synthetic recovery, and the released
data against the reference targets in ../shared/reference/scaling (skipped when that folder is absent)."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from agenteff import datasets, paths
from agenteff.studies import s01_scaling_regressions as scaling
from agenteff.datasets.agent_scaling import (CONFIGS, aggregate_instances, normalize_architecture, short_model_id)
from agenteff.schema import SchemaError, validate

REFERENCE = Path(paths.REPO_ROOT).parent / "shared" / "reference" / "scaling"
needs_reference = pytest.mark.skipif(not REFERENCE.is_dir(), reason=f"reference folder {REFERENCE} is absent")


# ---------------------------------------------------------------------------------------------------------------
# Reference targets, read from the README's table at test time
# ---------------------------------------------------------------------------------------------------------------

def _target_rows() -> dict[str, tuple[str, str]]:
    """README targets table: first cell -> (paper cell, data cell)."""
    rows = {}
    for line in (REFERENCE / "README.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) == 3 and not set(cells[0]) <= set("-"):
            rows[cells[0]] = (cells[1], cells[2])
    return rows


def _numbers(text: str) -> list[float]:
    return [float(x) for x in re.findall(r"[-+]?\d+\.\d+|[-+]?\d+", text)]


def _target(prefix: str) -> list[float]:
    (key,) = [k for k in _target_rows() if k.startswith(prefix)]
    return _numbers(_target_rows()[key][1])


@pytest.fixture(scope="module")
def v2():
    return scaling.attach_published_metrics(datasets.load("scaling-v2-configs"))


@pytest.fixture(scope="module")
def pooled():
    table = scaling.attach_published_metrics(scaling.pooled_configs(
        datasets.load("scaling-v2-configs"), datasets.load("scaling-v3-instances", "configs")))
    return table.assign(task_capability=scaling.task_grounded_capability(table))


@needs_reference
def test_v2_fit_and_cv_match_reference(v2):
    model = scaling.fit(v2)
    assert model.r2 == pytest.approx(_target("R^2 train")[0], abs=5e-4)
    cv = scaling.cross_validate(v2, k=5, seed=42).summary()
    mean, sd = _target("R^2 5-fold CV")
    assert cv["r2_mean"] == pytest.approx(mean, abs=1e-3)
    assert cv["r2_sd"] == pytest.approx(sd, abs=1e-3)


@needs_reference
@pytest.mark.parametrize("prefix, term", [
    ("P_SA x log1p(n)", "P_SA*log1p_n"), ("E x T", "E*T"), ("O x T", "O*T"), ("log1p(T)", "log1p_T"),
    ("P_SA |", "P_SA"), ("I_c", "I_c"),
])
def test_headline_coefficients_match_reference(v2, prefix, term):
    rows = {k + " |": v for k, v in _target_rows().items()}
    (key,) = [k for k in rows if k.startswith(prefix)]
    expected = _numbers(rows[key][1])[0]
    estimate = scaling.fit(v2).coefficients.set_index("term").loc[term, "estimate"]
    assert estimate == pytest.approx(expected, abs=1e-3)


@needs_reference
def test_saturation_interval_matches_paper(v2):
    """The paper's interval [-0.557, -0.252] is estimate +- 1.96 SE."""
    paper = _numbers(_target_rows()[next(k for k in _target_rows() if k.startswith("P_SA x log1p(n)"))][0])
    row = scaling.fit(v2).coefficients.set_index("term").loc["P_SA*log1p_n"]
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((paper[1], paper[2]), abs=1e-3)


@needs_reference
def test_v3_cv_matches_reference(pooled):
    assert len(pooled) == 260
    assert scaling.cross_validate(pooled).summary()["r2_mean"] == pytest.approx(_target("v3 R^2 CV")[0], abs=2e-3)
    task = scaling.cross_validate(pooled, capability="task_capability").summary()["r2_mean"]
    assert task == pytest.approx(_target("v3 with capability")[0], abs=2e-3)


@needs_reference
def test_relative_changes_match_reference(v2):
    names = {"Finance": "finance-agent", "PlanCraft": "plancraft-test", "BrowseComp-Plus": "browsecomp_plus_sampled_100"}
    table = scaling.relative_change(v2).set_index(["benchmark", "architecture"])["relative_change_pct"]
    checked = 0
    for label, (paper, _) in _target_rows().items():
        found = [n for n in names if re.search(rf"(^|: ){re.escape(n)} ", label)]
        if not found:
            continue
        benchmark, listed = names[found[0]], label.split(found[0] + " ", 1)[1]
        architectures = [w.strip().lower() for w in listed.split("/")]
        for architecture, value in zip(architectures, _numbers(paper)):
            assert table[(benchmark, architecture)] == pytest.approx(value, abs=0.1), (benchmark, architecture)
            checked += 1
    assert checked == 10


@needs_reference
def test_v2_data_files_equal_reference(v2):
    reference = pd.read_csv(REFERENCE / "official_180_configs_with_SA_baseline.csv")
    assert v2["success_rate"].to_numpy() == pytest.approx(reference["performance"].to_numpy(), abs=0)
    assert list(v2["model_short"]) == list(reference["model_short"])
    assert list(v2["architecture"]) == [normalize_architecture(a) for a in reference["architecture"]]
    # P_SA of multi-agent rows is the same model's single-agent score, as in the release
    multi = (v2["architecture"] != "single").to_numpy()
    assert v2.loc[multi, "single_agent_baseline"].to_numpy() == pytest.approx(
        reference.loc[multi, "P_SA_same_model"].to_numpy(), abs=1e-12)
    metrics = pd.read_csv(REFERENCE / "coordination_metrics_table5_per_architecture.csv")
    ours = datasets.load("scaling-v2-configs", "coordination_metrics").set_index("architecture")
    for row in metrics.itertuples():
        short = normalize_architecture(row.architecture)
        assert ours.loc[short, "efficiency"] == row.efficiency
        assert ours.loc[short, "n_agents"] == row.n_agents_in_regression
        assert ours.loc[short, "error_amplification"] == row.error_amplification


@needs_reference
def test_v3_aggregation_equals_released_configs():
    ours = datasets.load("scaling-v3-instances", "configs")
    reference = pd.read_csv(REFERENCE / "swe_tb_90_configs_aggregated.csv")
    reference = reference.assign(architecture=reference["architecture"].map(normalize_architecture))
    merged = ours.merge(reference, left_on=["benchmark", "architecture", "model"],
                        right_on=["dataset", "architecture", "model"], validate="one_to_one")
    assert len(merged) == 90
    assert merged["success_rate"].to_numpy() == pytest.approx(merged["performance"].to_numpy(), abs=1e-12)


def test_v3_models_map_to_capability_index():
    configs = datasets.load("scaling-v3-instances", "configs")
    index = set(datasets.load("scaling-v2-configs", "intelligence_index")["model_short"])
    assert set(configs["model_short"]) <= index
    assert len(datasets.load("scaling-v3-instances")) == 1800


def test_published_design_is_rank_deficient(v2):
    """Seven architecture-level terms plus the intercept live in the 5-architecture space: rank 17 of 20."""
    model = scaling.fit(v2)
    assert (model.rank, model.n_parameters) == (17, 20)
    architecture_level = {"log1p_n", "log1p_O", "c", "R", "E", "log1p_A", "R*n"}
    assert set(model.unidentified) == architecture_level
    assert model.coefficients.set_index("term").loc["E*T", "identified"]


# ---------------------------------------------------------------------------------------------------------------
# Synthetic and hand-computed cases
# ---------------------------------------------------------------------------------------------------------------

def _synthetic(n: int, seed: int) -> pd.DataFrame:
    """Per-row metrics that vary freely (as a user's own measurements would)."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "benchmark": rng.choice(["a", "b", "c"], n), "architecture": "centralized",
        "model": [f"m{i}" for i in range(n)], "model_short": [f"m{i}" for i in range(n)],
        "intelligence": rng.uniform(40, 75, n), "n_tools": rng.integers(2, 17, n),
        "n_agents": rng.integers(1, 6, n), "overhead_pct": rng.uniform(0, 500, n),
        "message_density": rng.uniform(0, 1, n), "redundancy": rng.uniform(0, 1, n),
        "efficiency": rng.uniform(0.05, 0.5, n), "error_amplification": rng.uniform(1, 18, n),
        "single_agent_baseline": rng.uniform(0.1, 0.8, n),
    })


def _hand_terms(t: pd.DataFrame) -> pd.DataFrame:
    """The 19 terms written out independently of the library, in the paper's order."""
    i_c = t["intelligence"] - t["intelligence"].mean()
    T, n, O = t["n_tools"].astype(float), t["n_agents"].astype(float), t["overhead_pct"]
    c, R, E, A, P = (t["message_density"], t["redundancy"], t["efficiency"], t["error_amplification"],
                     t["single_agent_baseline"])
    return pd.DataFrame([i_c, i_c ** 2, np.log1p(T), np.log1p(n), np.log1p(O), c, R, E, np.log1p(A), P,
                         i_c * E, A * P, O * T, R * n, c * i_c, E * T, P * np.log1p(n), i_c * np.log1p(T),
                         A * T]).T


def test_fit_recovers_known_coefficients_with_per_row_metrics():
    table = _synthetic(400, seed=1)
    terms = _hand_terms(table)
    z = ((terms - terms.mean()) / terms.std(ddof=0)).to_numpy()
    beta = np.linspace(-0.09, 0.09, 19)
    table["success_rate"] = 0.45 + z @ beta + np.random.default_rng(2).normal(0, 0.002, len(table))
    model = scaling.fit(table)
    assert model.rank == 20 and model.unidentified == ()
    estimates = model.coefficients["estimate"].to_numpy()
    assert estimates[0] == pytest.approx(0.45, abs=1e-3)
    assert estimates[1:] == pytest.approx(beta, abs=3e-3)
    inside = (model.coefficients["ci_low"].to_numpy()[1:] <= beta) & (beta <= model.coefficients["ci_high"].to_numpy()[1:])
    assert inside.mean() >= 0.8
    assert model.r2 > 0.99


def test_constant_metric_column_is_reported_unidentified():
    table = _synthetic(120, seed=3).assign(redundancy=0.4)
    table["success_rate"] = 0.5 + 0.01 * np.random.default_rng(4).normal(size=len(table))
    model = scaling.fit(table)
    assert "R" in model.unidentified and model.rank == 19


def test_fit_names_missing_inputs():
    table = _synthetic(50, seed=5).drop(columns="efficiency").assign(success_rate=0.3)
    with pytest.raises(KeyError, match="efficiency"):
        scaling.fit(table)


def _tiny_configs() -> pd.DataFrame:
    rows = [  # benchmark, architecture, model, success
        ("x", "single", "m1", 0.2), ("x", "centralized", "m1", 0.4), ("x", "independent", "m1", 0.1),
        ("x", "single", "m2", 0.6), ("x", "centralized", "m2", 0.5), ("x", "independent", "m2", 0.6),
    ]
    frame = pd.DataFrame(rows, columns=["benchmark", "architecture", "model", "success_rate"])
    return frame.assign(vendor="v", model_short=frame["model"])


def test_single_agent_baseline_by_hand():
    baseline = scaling.single_agent_baseline(_tiny_configs())
    # multi-agent rows: own model's single score; single rows: benchmark mean of single scores (0.4)
    assert baseline.tolist() == pytest.approx([0.4, 0.2, 0.2, 0.4, 0.6, 0.6])


def test_relative_change_by_hand():
    table = scaling.relative_change(_tiny_configs()).set_index("architecture")
    # means: single 0.4, centralized 0.45, independent 0.35
    assert table.loc["centralized", "relative_change_pct"] == pytest.approx(12.5)
    assert table.loc["independent", "relative_change_pct"] == pytest.approx(-12.5)
    # per-model changes for centralized: +100% and -16.67%
    assert table.loc["centralized", "mean_of_model_changes_pct"] == pytest.approx((100 - 100 / 6) / 2)


def test_selection_accuracy_by_hand_with_ties():
    predictions = _tiny_configs().assign(predicted=[0.1, 0.3, 0.2, 0.2, 0.1, 0.5])
    table = scaling.selection_accuracy(predictions).set_index("model")
    assert table.loc["m1", "chosen"] == "centralized" and table.loc["m1", "best_of_five"]
    # m2: independent ties single at 0.6, so choosing it is right on both counts
    assert table.loc["m2", "best_of_five"] and table.loc["m2", "single_vs_multi"]
    # strictly, m1's unique best counts but m2's shared best does not
    assert table["best_of_five_strict"].tolist() == [True, False]
    wrong = scaling.selection_accuracy(predictions.assign(predicted=[0.9, 0.3, 0.2, 0.2, 0.9, 0.5]))
    assert wrong.set_index("model").loc["m1", ["best_of_five", "single_vs_multi"]].tolist() == [False, False]
    assert wrong.set_index("model").loc["m2", ["best_of_five", "single_vs_multi"]].tolist() == [False, True]


def test_saturation_threshold_of_exact_line():
    configs = pd.DataFrame({
        "benchmark": "x", "architecture": ["single"] * 4 + ["hybrid"] * 4, "model": ["a", "b", "c", "d"] * 2,
        "success_rate": [0.2, 0.4, 0.6, 0.8] + [b + 0.3 - 0.6 * b for b in (0.2, 0.4, 0.6, 0.8)],
    }).assign(vendor="v", model_short=lambda f: f["model"])
    result = scaling.saturation_threshold(configs, n_boot=50)
    assert result["threshold"] == pytest.approx(0.5)
    assert result["slope"] == pytest.approx(-0.6)


def test_grouped_cross_validation_holds_out_each_group(v2):
    folds = scaling.cross_validate(v2, groups="benchmark").folds
    assert sorted(folds["held_out"]) == sorted(v2["benchmark"].unique())
    assert (folds["n_test"] == 45).all()


def test_select_architecture_orders_predictions(v2):
    choice = scaling.select_architecture(v2, "finance-agent", "gpt-5")
    assert len(choice) == 5 and choice["predicted"].is_monotonic_decreasing
    assert choice.loc[0, "chosen"] and choice["chosen"].sum() == 1
    assert ((choice["pi_low"] < choice["predicted"]) & (choice["predicted"] < choice["pi_high"])).all()


def test_mixed_model_likelihood_at_least_ols(v2):
    """OLS is the mixed model with zero random-effect variances, so ML cannot do worse."""
    comparison = scaling.mixed_effects(v2)["comparison"].set_index("model")
    assert comparison.loc["MixedLM", "log_likelihood"] >= comparison.loc["OLS", "log_likelihood"] - 1e-6


def test_parser_helpers_and_schema():
    assert normalize_architecture("multi-agent-hybrid") == "hybrid"
    assert normalize_architecture("single-agent") == "single"
    assert short_model_id("claude-sonnet-4-5-20250929") == "claude-sonnet-4-5"
    assert short_model_id("gpt-5") == "gpt-5"
    with pytest.raises(ValueError):
        normalize_architecture("swarm")
    bad = _tiny_configs().assign(architecture="swarm")
    with pytest.raises(SchemaError, match="architecture"):
        validate(bad, CONFIGS)


def test_aggregate_instances_by_hand():
    instances = pd.DataFrame({
        "benchmark": "b", "architecture": "single", "vendor": "v", "model": "m-20250101",
        "instance_id": ["0", "1", "2", "3"], "resolved": [True, False, True, True], "n_steps": 3,
        "has_output": True,
    })
    configs = aggregate_instances(instances)
    assert configs["success_rate"].tolist() == [0.75]
    assert configs["model_short"].tolist() == ["m"]


def test_gain_slope_by_benchmark_by_hand():
    configs = pd.DataFrame({
        "benchmark": ["p"] * 4 + ["q"] * 4,
        "architecture": ["single", "single", "hybrid", "hybrid"] * 2,
        "model": ["a", "b", "a", "b"] * 2,
        # p: baselines 0.2, 0.4 with gains +0.1, +0.3 (slope +1); q: baselines 0.6, 0.8 with gains 0, -0.4 (slope -2)
        "success_rate": [0.2, 0.4, 0.3, 0.7, 0.6, 0.8, 0.6, 0.4],
    }).assign(vendor="v", model_short=lambda f: f["model"])
    slopes = scaling.gain_slope_by_benchmark(configs).set_index("benchmark")["slope"]
    assert slopes["p"] == pytest.approx(1.0) and slopes["q"] == pytest.approx(-2.0)
    assert slopes["all (pooled)"] < 0
