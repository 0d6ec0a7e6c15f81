"""Study 01 (agenteff.studies.s01_scaling_regressions): hand-computed cases, a synthetic recovery, the claims table
on hand-made results, and the released data against the reference targets in ../shared/reference/scaling (skipped
when that folder is absent). The parsers' tests are in tests/datasets/test_agent_scaling.py."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from agenteff import datasets, paths
from agenteff.datasets.agent_scaling import normalize_architecture
from agenteff.report import PaperValue, PaperValues
from agenteff.studies import s01_scaling_regressions as scaling

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
    table = scaling.attach_published_metrics(
        scaling.pooled_configs(datasets.load("scaling-v2-configs"), datasets.load("scaling-v3-instances", "configs"))
    )
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
@pytest.mark.parametrize(
    "prefix, term",
    [
        ("P_SA x log1p(n)", "P_SA*log1p_n"),
        ("E x T", "E*T"),
        ("O x T", "O*T"),
        ("log1p(T)", "log1p_T"),
        ("P_SA |", "P_SA"),
        ("I_c", "I_c"),
    ],
)
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
    names = {
        "Finance": "finance-agent",
        "PlanCraft": "plancraft-test",
        "BrowseComp-Plus": "browsecomp_plus_sampled_100",
    }
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
def test_single_agent_baseline_equals_the_release(v2):
    """P_SA of multi-agent rows is the same model's single-agent score, as in the release."""
    reference = pd.read_csv(REFERENCE / "official_180_configs_with_SA_baseline.csv")
    assert list(v2["architecture"]) == [normalize_architecture(a) for a in reference["architecture"]]
    multi = (v2["architecture"] != "single").to_numpy()
    assert v2.loc[multi, "single_agent_baseline"].to_numpy() == pytest.approx(
        reference.loc[multi, "P_SA_same_model"].to_numpy(), abs=1e-12
    )


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
    return pd.DataFrame(
        {
            "benchmark": rng.choice(["a", "b", "c"], n),
            "architecture": "centralized",
            "model": [f"m{i}" for i in range(n)],
            "model_short": [f"m{i}" for i in range(n)],
            "intelligence": rng.uniform(40, 75, n),
            "n_tools": rng.integers(2, 17, n),
            "n_agents": rng.integers(1, 6, n),
            "overhead_pct": rng.uniform(0, 500, n),
            "message_density": rng.uniform(0, 1, n),
            "redundancy": rng.uniform(0, 1, n),
            "efficiency": rng.uniform(0.05, 0.5, n),
            "error_amplification": rng.uniform(1, 18, n),
            "single_agent_baseline": rng.uniform(0.1, 0.8, n),
        }
    )


def _hand_terms(t: pd.DataFrame) -> pd.DataFrame:
    """The 19 terms written out independently of the library, in the paper's order."""
    i_c = t["intelligence"] - t["intelligence"].mean()
    T, n, Ov = t["n_tools"].astype(float), t["n_agents"].astype(float), t["overhead_pct"]  # Ov: overhead O
    c, R, E, A, P = (
        t["message_density"],
        t["redundancy"],
        t["efficiency"],
        t["error_amplification"],
        t["single_agent_baseline"],
    )
    return pd.DataFrame(
        [
            i_c,
            i_c**2,
            np.log1p(T),
            np.log1p(n),
            np.log1p(Ov),
            c,
            R,
            E,
            np.log1p(A),
            P,
            i_c * E,
            A * P,
            Ov * T,
            R * n,
            c * i_c,
            E * T,
            P * np.log1p(n),
            i_c * np.log1p(T),
            A * T,
        ]
    ).T


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
    inside = (model.coefficients["ci_low"].to_numpy()[1:] <= beta) & (
        beta <= model.coefficients["ci_high"].to_numpy()[1:]
    )
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
        ("x", "single", "m1", 0.2),
        ("x", "centralized", "m1", 0.4),
        ("x", "independent", "m1", 0.1),
        ("x", "single", "m2", 0.6),
        ("x", "centralized", "m2", 0.5),
        ("x", "independent", "m2", 0.6),
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
    configs = pd.DataFrame(
        {
            "benchmark": "x",
            "architecture": ["single"] * 4 + ["hybrid"] * 4,
            "model": ["a", "b", "c", "d"] * 2,
            "success_rate": [0.2, 0.4, 0.6, 0.8] + [b + 0.3 - 0.6 * b for b in (0.2, 0.4, 0.6, 0.8)],
        }
    ).assign(vendor="v", model_short=lambda f: f["model"])
    result = scaling.saturation_threshold(configs, n_boot=50)
    assert result["threshold"] == pytest.approx(0.5)
    assert result["slope"] == pytest.approx(-0.6)


def test_grouped_cross_validation_holds_out_each_group(v2):
    grouped = scaling.grouped_cross_validation(v2)
    folds = grouped["benchmark"].folds
    assert sorted(folds["held_out"]) == sorted(v2["benchmark"].unique())
    assert (folds["n_test"] == 45).all()
    assert sorted(grouped["model"].folds["held_out"]) == sorted(v2["model_short"].unique())
    table = scaling.grouped_folds(grouped)
    assert table["held_out_kind"].value_counts().to_dict() == {"model": 9, "benchmark": 4}


def test_capability_comparison_cross_validates_both_capabilities(pooled):
    table = scaling.capability_comparison(pooled, k=5, seed=42)
    assert list(table.index) == ["intelligence index", "task-grounded capability"]
    assert table["n_rows"].tolist() == [len(pooled)] * 2 and table["folds"].tolist() == [5, 5]
    direct = scaling.cross_validate(pooled, k=5, seed=42, capability="task_capability").summary()["r2_mean"]
    assert table.loc["task-grounded capability", "r2_mean"] == pytest.approx(direct)


def test_select_architecture_orders_predictions(v2):
    choice = scaling.select_architecture(v2, "finance-agent", "gpt-5")
    assert len(choice) == 5 and choice["predicted"].is_monotonic_decreasing
    assert choice.loc[0, "chosen"] and choice["chosen"].sum() == 1
    assert ((choice["pi_low"] < choice["predicted"]) & (choice["predicted"] < choice["pi_high"])).all()


def test_mixed_model_likelihood_at_least_ols(v2):
    """OLS is the mixed model with zero random-effect variances, so ML cannot do worse."""
    comparison = scaling.mixed_effects(v2)["comparison"].set_index("model")
    assert comparison.loc["MixedLM", "log_likelihood"] >= comparison.loc["OLS", "log_likelihood"] - 1e-6


def test_gain_slope_by_benchmark_by_hand():
    configs = pd.DataFrame(
        {
            "benchmark": ["p"] * 4 + ["q"] * 4,
            "architecture": ["single", "single", "hybrid", "hybrid"] * 2,
            "model": ["a", "b", "a", "b"] * 2,
            # p: baselines 0.2, 0.4 with gains +0.1, +0.3 (slope +1); q: baselines 0.6, 0.8 with gains 0, -0.4 (slope -2)
            "success_rate": [0.2, 0.4, 0.3, 0.7, 0.6, 0.8, 0.6, 0.4],
        }
    ).assign(vendor="v", model_short=lambda f: f["model"])
    slopes = scaling.gain_slope_by_benchmark(configs).set_index("benchmark")["slope"]
    assert slopes["p"] == pytest.approx(1.0) and slopes["q"] == pytest.approx(-2.0)
    assert slopes["all (pooled)"] < 0


# ---------------------------------------------------------------------------------------------------------------
# Paper values, claims and figures on hand-made results
# ---------------------------------------------------------------------------------------------------------------


def _paper(values: dict) -> PaperValues:
    """Hand-made paper values: key suffix -> value or (value, low, high)."""
    rows = {}
    for suffix, given in values.items():
        value, low, high = given if isinstance(given, tuple) else (given, None, None)
        key = f"kim-scaling/{suffix}"
        rows[key] = PaperValue(key, suffix, value, low, high, "u", "test paper")
    return PaperValues(rows)


def test_paper_value_keys():
    assert scaling.coefficient_key("P_SA*log1p_n") == "kim-scaling/coef-p_sa-x-log1p_n"
    assert scaling.coefficient_key("P_SA*log1p_n", "v1") == "kim-scaling/coef-p_sa-x-log1p_n-v1"
    assert scaling.coefficient_key("I_c^2") == "kim-scaling/coef-i_c-squared"
    assert scaling.relative_change_key("finance-agent", "hybrid") == "kim-scaling/rel-change-finance-agent-hybrid"


def test_every_claimed_key_is_a_registered_paper_value():
    paper = datasets.paper_values()
    for term in scaling.HEADLINE_TERMS:
        assert scaling.coefficient_key(term) in paper
    assert scaling.coefficient_key("P_SA*log1p_n", "v1") in paper


def _hand_fit() -> scaling.ScalingFit:
    """A fit with hand-chosen coefficients: term j has estimate j / 100 and interval estimate -+ 0.1."""
    terms = ["intercept", *scaling.TERMS]
    estimate = np.arange(len(terms)) / 100
    unidentified = ("log1p_n", "c")
    coefficients = pd.DataFrame(
        {
            "term": terms,
            "label": ["intercept", *scaling.TERM_LABELS.values()],
            "estimate": estimate,
            "std_error": 0.05,
            "ci_low": estimate - 0.1,
            "ci_high": estimate + 0.1,
            "p_value": 0.01,
            "identified": [t not in unidentified for t in terms],
        }
    )
    scales = pd.Series(1.0, index=list(scaling.TERMS))
    scales[["log1p_n", "P_SA*log1p_n"]] = [0.5, 0.25]
    return scaling.ScalingFit(
        capability="intelligence",
        coefficients=coefficients,
        r2=0.61324,
        r2_adjusted=0.5,
        n=12,
        rank=18,
        unidentified=unidentified,
        capability_mean=50.0,
        means=pd.Series(0.0, index=list(scaling.TERMS)),
        scales=scales,
        params=estimate,
        covariance=np.eye(len(terms)),
        sigma2=0.01,
        df_resid=2,
    )


def test_compare_coefficients_by_hand():
    paper = _paper({"coef-e-x-t": (-0.267, -0.355, -0.178), "coef-o-x-t": -0.162, "coef-p_sa-x-log1p_n-v1": -0.4})
    table = scaling.compare_coefficients(_hand_fit(), paper).set_index("term")
    assert table.loc["E*T", ["paper", "paper_ci_low", "paper_ci_high"]].tolist() == [-0.267, -0.355, -0.178]
    assert table.loc["O*T", "paper"] == -0.162 and np.isnan(table.loc["O*T", "paper_ci_low"])
    # the v1 value of a term is not its v2 value, so P_SA x log(1+n) has no paper value here
    assert table["paper"].notna().sum() == 2 and np.isnan(table.loc["P_SA*log1p_n", "paper"])


def _hand_results():
    """Hand-made results of every step the claims table reads, with their hand-computed consequences."""
    tiny = _tiny_configs()  # relative change: centralized +12.5 %, independent -12.5 % (see above)
    cv = scaling.CrossValidation(
        folds=pd.DataFrame({"fold": [0, 1], "r2": [0.5, 0.6], "mae": [0.1, 0.12], "rmse": [0.2, 0.3]}),
        predictions=tiny.assign(predicted=[0.1, 0.3, 0.2, 0.2, 0.1, 0.5]),
    )  # right, and right on a tie
    grouped = {
        "benchmark": scaling.CrossValidation(pd.DataFrame({"r2": [-1.0, -3.0, 0.5]}), pd.DataFrame()),
        "model": scaling.CrossValidation(pd.DataFrame({"r2": [0.4, 0.6]}), pd.DataFrame()),
    }
    return dict(
        model=_hand_fit(),
        cv=cv,
        grouped=grouped,
        threshold=pd.Series({"threshold": 0.4401, "ci_low": 0.4, "ci_high": 0.5, "slope": -1.0, "intercept": 0.44}),
        capabilities=pd.DataFrame(
            {"r2_mean": [0.372, 0.5], "folds": [2.0, 2.0], "n_rows": [10, 10]},
            index=["intelligence index", "task-grounded capability"],
        ),
        mixed={
            "comparison": pd.DataFrame(
                {"model": ["OLS", "MixedLM"], "aic": [-10.04, -12.36], "benchmark_sd": [0.0, 0.07251]}
            )
        },
    )


HAND_PAPER = {
    "r2-train": 0.613,
    "r2-cv-mean": 0.55,
    "r2-cv-sd": 0.1,
    "r2-cv-mean-v1": 0.56,
    "cv-mae": 0.089,
    "cv-rmse": 0.25,
    "coef-i_c": 0.01,
    "coef-log1p_t": 0.03,
    "coef-p_sa": 0.5,
    "coef-p_sa-x-log1p_n": (0.17, 0.07, 0.27),
    "coef-p_sa-x-log1p_n-v1": 0.2,
    "coef-e-x-t": (0.16, 0.06, 0.30),
    "coef-o-x-t": 0.13,
    "r2-cv-v3": 0.373,
    "r2-cv-v3-task-capability": 0.413,
    "saturation-threshold": 0.45,
    "selection-accuracy": 0.87,
    "lodo-r2": 0.89,
    "rel-change-x-independent": -12.5,
    "rel-change-x-centralized": 12.0,
}


def test_claims_on_hand_made_results():
    rows = scaling.claims(_paper(HAND_PAPER), configs=_tiny_configs(), **_hand_results())
    table = {row["claim"]: row for row in rows}
    assert len(table) == len(rows) == 4 + 14 + 2 + 2 + 2 + 7

    def row(claim):
        return [table[claim][column] for column in ("paper_value", "reproduced_value", "status")]

    def note(claim):
        return table[claim]["note"]

    assert row("R^2 train (v2, N=12)") == [0.613, 0.6132, "reproduced"]
    assert row("R^2 2-fold CV, mean (v2)") == [0.55, 0.55, "reproduced"]
    assert row("R^2 2-fold CV, SD (v2)") == [0.1, 0.05, "differs"]  # population SD of 0.5 and 0.6
    assert note("R^2 2-fold CV, SD (v2)").startswith("differs by -0.05 u")
    assert "v2 revised it to 0.55" in note("R^2 2-fold CV, mean (v1 abstract)")
    # coefficients: I_c is term 1 (0.01), log1p_T term 3 (0.03), P_SA term 10 (0.1), P_SA x log(1+n) term 17
    assert row("coefficient I (v2)") == [0.01, 0.01, "reproduced"]
    assert row("coefficient P_SA (v2)") == [0.5, 0.1, "differs"]
    assert row("coefficient P_SA x log(1+n), 95% CI low (v2)") == [0.07, 0.07, "reproduced"]
    assert row("coefficient E_c x T, 95% CI high (v2)") == [0.30, 0.26, "differs"]  # term 16: 0.16 + 0.1
    assert row("coefficient P_SA x log(1+n) (v1 abstract)") == [0.2, 0.17, "differs"]
    assert row("coefficient c (v2)")[1:] == [0.06, "new"]
    assert row("design rank (v2, 20 parameters)") == [None, 18, "new"]
    assert note("design rank (v2, 20 parameters)").startswith("2 directions not identified")
    assert row("CV MAE (v2)") == [0.089, 0.11, "differs"]
    assert row("CV RMSE (v2)") == [0.25, 0.25, "reproduced"]
    assert row("R^2 2-fold CV, 10 configurations (v3)") == [0.373, 0.372, "reproduced"]
    assert row("R^2 2-fold CV, 10 configurations, task-grounded capability (v3)") == [0.413, 0.5, "differs"]
    # relative changes: one claim per published value, in the paper's order
    changes = [c for c in table if c.startswith("relative change")]
    assert changes == [
        "relative change vs single agent: x, independent",
        "relative change vs single agent: x, centralized",
    ]
    assert row(changes[0]) == [-12.5, -12.5, "reproduced"] and row(changes[1]) == [12.0, 12.5, "differs"]
    assert note(changes[0]).startswith("change of mean success over 2 models")
    assert row("capability-saturation threshold (zero crossing of MAS gain vs P_SA)") == [0.45, 0.44, "reproduced"]
    implied = "capability-saturation threshold implied by the fitted model"
    assert row(implied) == [0.45, None, "not reproducible"]
    # -(b_n / s_n) * s_PSAxn / b_PSAxn with log1p_n term 4 (0.04, scale 0.5), P_SA x log(1+n) term 17 (0.17, 0.25)
    assert f"gives {-(0.04 / 0.5) * 0.25 / 0.17:.3f}" in note(implied)
    selection = "best architecture identified, held-out configurations"
    assert row(selection) == [0.87, 1.0, "differs"]
    assert "(0.500 when a tie for best counts wrong), 2 pairs" in note(selection)
    assert row("single- vs multi-agent decision right, held-out configurations") == [None, 1.0, "new"]
    assert row("leave-one-domain-out R^2 (v1)") == [0.89, -1.167, "differs"]
    assert "mean over 3 benchmarks; 2 of them negative, median -1.00" in note("leave-one-domain-out R^2 (v1)")
    assert row("leave-one-model-out R^2 (v2 data)") == [None, 0.5, "new"]
    mixed = "benchmark random-intercept SD, mixed model the paper names"
    assert row(mixed) == [None, 0.0725, "new"] and note(mixed).endswith("AIC OLS -10.0 vs MixedLM -12.4")
    assert note("R^2 train (v2, N=12)") == "paper: test paper"


def test_claim_keys_are_stable_and_unique():
    rows = scaling.claims(_paper(HAND_PAPER), configs=_tiny_configs(), **_hand_results())
    keys = [row["key"] for row in rows]
    assert len(set(keys)) == len(keys)
    by_key = {row["key"]: row["claim"] for row in rows}
    assert by_key["cv/r2"] == "R^2 2-fold CV, mean (v2)"
    assert by_key["lodo/r2"] == "leave-one-domain-out R^2 (v1)"
    assert by_key["coef/p_sa-x-log1p_n/ci-low"] == "coefficient P_SA x log(1+n), 95% CI low (v2)"
    assert by_key["coef/p_sa-x-log1p_n/v1"] == "coefficient P_SA x log(1+n) (v1 abstract)"
    # a relative change is keyed by its paper-values key's benchmark and architecture
    assert by_key["rel-change/x-centralized"] == "relative change vs single agent: x, centralized"


def test_claims_refuse_a_published_change_the_table_cannot_check():
    paper = _paper({**HAND_PAPER, "rel-change-y-hybrid": 5.0})
    with pytest.raises(KeyError, match="rel-change-y-hybrid"):
        scaling.claims(paper, configs=_tiny_configs(), **_hand_results())


def test_claims_need_every_paper_value():
    paper = _paper({k: v for k, v in HAND_PAPER.items() if k != "lodo-r2"})
    with pytest.raises(KeyError, match="kim-scaling/lodo-r2"):
        scaling.claims(paper, configs=_tiny_configs(), **_hand_results())


def test_gaps_lists_the_unsupported_claims():
    table = pd.DataFrame(scaling.claims(_paper(HAND_PAPER), configs=_tiny_configs(), **_hand_results()))
    lines = scaling.gaps(table).splitlines()
    assert len(lines) == int(table["status"].isin(["differs", "not reproducible"]).sum())
    assert lines[0].startswith("- R^2 2-fold CV, SD (v2): paper 0.1, here 0.05 (differs). differs by -0.05")


def test_figures_say_what_the_data_are():
    model, cv = _hand_fit(), _hand_results()["cv"]
    coefficients = scaling.compare_coefficients(model, _paper(HAND_PAPER))
    made = scaling.coefficients_forest(coefficients, model)
    fig, caption = made.figure, made.caption
    assert made.name == "coefficients_forest"
    assert fig.axes[0].get_title().endswith("(v2, N = 12)")
    assert caption.startswith("All 20 coefficients of the 19-term model refitted on the 12 published")
    made = scaling.predicted_vs_observed(cv)
    fig, caption = made.figure, made.caption
    assert fig.axes[0].get_title() == "Held-out predictions, 2-fold CV (R² = 0.550)" and "2-fold" in caption
    changes = scaling.relative_change(_tiny_configs())
    made = scaling.relative_change_heatmap(changes, n_models=2)
    fig, caption = made.figure, made.caption
    # columns in the project's architecture order, whatever order the table has
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["independent", "centralized"]
    assert "over 2 models" in caption
    plt.close("all")


def test_claims_of_the_released_data(v2):
    """The claims table on the published configurations: every claim present, the headline statuses as reported."""
    cv = scaling.cross_validate(v2, k=5, seed=42)
    results = _hand_results()
    rows = scaling.claims(
        datasets.paper_values(),
        configs=v2,
        model=scaling.fit(v2),
        cv=cv,
        grouped=scaling.grouped_cross_validation(v2),
        threshold=scaling.saturation_threshold(v2, n_boot=20, seed=1),
        capabilities=results["capabilities"],
        mixed=results["mixed"],
    )
    status = pd.DataFrame(rows).set_index("claim")["status"]
    assert len(status) == 39 and not status.index.has_duplicates
    # the hand-made v3 results above make one of the two v3 claims differ; the rest is the released data's
    assert status.value_counts().to_dict() == {"reproduced": 25, "differs": 7, "new": 6, "not reproducible": 1}
    assert status["R^2 train (v2, N=180)"] == "reproduced"
    assert status["coefficient E_c x T, 95% CI low (v2)"] == "reproduced"
    assert status["best architecture identified, held-out configurations"] == "differs"
    assert status["leave-one-domain-out R^2 (v1)"] == "differs"
