"""Study 01: the scaling regression of multi-agent systems (Kim et al., arXiv:2512.08296), reproduced and audited.

The paper predicts a configuration's success rate from model capability, task properties and coordination
metrics with a 19-term linear model (its Eq. 1). The authors' released analysis fits it by plain OLS: every term
is z-scored over the rows (population SD), products are formed from the raw values *before* scaling, the
capability index is centred before squaring, and the outcome is left unscaled. This module fits that model on
whatever per-row values a table holds, so published Table 5 constants (:func:`attach_published_metrics`) and a
user's own measured metrics go through the same code.

A table for :func:`fit` needs one row per configuration with the columns in :data:`MODEL_INPUTS`; the terms are
listed, with their paper notation and meaning, in :data:`TERMS`. Rows whose ``success_rate`` is missing are not
fitted but can be predicted.

The paper's values are keys ``kim-scaling/...`` of the ``paper-values`` data set
(``data/published/scaling/paper_values.csv``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.model_selection import KFold, LeaveOneGroupOut

from ... import datasets
from ...engines.topologies import ARCHITECTURES
from ...report import PaperValues

__all__ = [
    "TERMS",
    "TERM_LABELS",
    "terms_table",
    "MODEL_INPUTS",
    "OUTCOME",
    "DEFAULTS",
    "PAPER",
    "ScalingFit",
    "CrossValidation",
    "single_agent_baseline",
    "attach_published_metrics",
    "task_grounded_capability",
    "pooled_configs",
    "fit",
    "coefficient_key",
    "relative_change_key",
    "compare_coefficients",
    "cross_validate",
    "grouped_cross_validation",
    "grouped_folds",
    "capability_comparison",
    "select_architecture",
    "selection_accuracy",
    "relative_change",
    "multi_agent_gain",
    "saturation_threshold",
    "gain_slope_by_benchmark",
    "model_implied_threshold",
    "mixed_effects",
]

#: Sizes the notebook's ``fast`` run shrinks: name -> (full run, fast run); see :func:`agenteff.params.settle`.
DEFAULTS = {"n_boot": (2000, 200)}
#: Key prefix of the paper's values in the ``paper-values`` data set.
PAPER = "kim-scaling"
OUTCOME = "success_rate"
#: Per-row inputs of the model (the capability column can be swapped, see :func:`fit`).
MODEL_INPUTS = (
    "intelligence",
    "n_tools",
    "n_agents",
    "overhead_pct",
    "message_density",
    "redundancy",
    "efficiency",
    "error_amplification",
    "single_agent_baseline",
)


def _log1p(x: pd.Series) -> pd.Series:
    return np.log1p(x.astype(float))


# The 19 terms in the paper's order: (name, paper notation, meaning, raw value from a frame whose capability
# column is already centred as "I_c"). Products use raw (unscaled) factors, as in the authors' analysis.
_TERM_SPECS = (
    ("I_c", "I", "capability index, centred on the fitted rows' mean", lambda f: f["I_c"]),
    ("I_c^2", "I^2", "squared centred capability (curvature)", lambda f: f["I_c"] ** 2),
    ("log1p_T", "log(1+T)", "tools available on the benchmark, log(1+T)", lambda f: _log1p(f["n_tools"])),
    ("log1p_n", "log(1+n)", "agents in the architecture, log(1+n)", lambda f: _log1p(f["n_agents"])),
    ("log1p_O", "log(1+O)", "coordination overhead in %, log(1+O)", lambda f: _log1p(f["overhead_pct"])),
    ("c", "c", "message density", lambda f: f["message_density"]),
    ("R", "R", "redundancy", lambda f: f["redundancy"]),
    ("E", "E_c", "coordination efficiency", lambda f: f["efficiency"]),
    ("log1p_A", "log(1+A)", "error amplification, log(1+A)", lambda f: _log1p(f["error_amplification"])),
    (
        "P_SA",
        "P_SA",
        "single-agent baseline (same model and benchmark; benchmark mean for single-agent rows)",
        lambda f: f["single_agent_baseline"],
    ),
    ("I_c*E", "I x E_c", "capability x efficiency", lambda f: f["I_c"] * f["efficiency"]),
    (
        "A*P_SA",
        "A x P_SA",
        "error amplification x single-agent baseline",
        lambda f: f["error_amplification"] * f["single_agent_baseline"],
    ),
    ("O*T", "O x T", "overhead x tools (raw counts)", lambda f: f["overhead_pct"] * f["n_tools"]),
    ("R*n", "R x n", "redundancy x agents", lambda f: f["redundancy"] * f["n_agents"]),
    ("c*I_c", "c x I", "message density x capability", lambda f: f["message_density"] * f["I_c"]),
    ("E*T", "E_c x T", "efficiency x tools: the tool-coordination trade-off", lambda f: f["efficiency"] * f["n_tools"]),
    (
        "P_SA*log1p_n",
        "P_SA x log(1+n)",
        "baseline x log agents: the capability-saturation term",
        lambda f: f["single_agent_baseline"] * _log1p(f["n_agents"]),
    ),
    ("I_c*log1p_T", "I x log(1+T)", "capability x log tools", lambda f: f["I_c"] * _log1p(f["n_tools"])),
    ("A*T", "A x T", "error amplification x tools", lambda f: f["error_amplification"] * f["n_tools"]),
)

#: Term name -> meaning, in the paper's order.
TERMS = {name: meaning for name, _, meaning, _ in _TERM_SPECS}
#: Term name -> the paper's notation.
TERM_LABELS = {name: label for name, label, _, _ in _TERM_SPECS}


def terms_table() -> pd.DataFrame:
    """The model's terms in the paper's order: name, paper notation, meaning."""
    return pd.DataFrame(
        {"term": list(TERMS), "paper notation": list(TERM_LABELS.values()), "meaning": list(TERMS.values())}
    )


# ---------------------------------------------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------------------------------------------


def single_agent_baseline(configs: pd.DataFrame) -> pd.Series:
    """P_SA per row: the same model's single-agent success rate on the same benchmark; for single-agent rows the
    benchmark's mean single-agent success rate, as the authors' analysis does (so a row's own outcome is not its
    predictor)."""
    single = configs[configs["architecture"] == "single"]
    own = single.set_index(["benchmark", "model_short"])[OUTCOME]
    if own.index.has_duplicates:
        raise ValueError("more than one single-agent row for a (benchmark, model_short) pair")
    keys = pd.MultiIndex.from_frame(configs[["benchmark", "model_short"]].astype(object))
    baseline = pd.Series(own.reindex(keys).to_numpy(dtype=float), index=configs.index)
    is_single = (configs["architecture"] == "single").to_numpy()
    benchmark_mean = single.groupby("benchmark")[OUTCOME].mean()
    baseline[is_single] = configs.loc[is_single, "benchmark"].map(benchmark_mean).to_numpy(dtype=float)
    return baseline.rename("single_agent_baseline")


def _lookup(keys: pd.Series, table: pd.DataFrame, key: str, value: str, what: str) -> pd.Series:
    mapping = table.set_index(key)[value]
    out = keys.map(mapping)
    missing = out.isna()
    if missing.any():
        raise KeyError(f"no published {what} for {sorted(keys[missing].astype(str).unique())}")
    return out.astype(float)


def attach_published_metrics(configs: pd.DataFrame, published: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """``configs`` with the model inputs from the paper's published tables.

    Adds ``intelligence`` (capability index by ``model_short``), ``n_tools`` (by benchmark), ``n_agents`` and the
    Table 5 coordination metrics (by architecture: ``overhead_pct``, ``message_density``, ``redundancy``,
    ``efficiency``, ``error_amplification``) and ``single_agent_baseline`` (:func:`single_agent_baseline`).
    ``published`` defaults to the tables of data set ``scaling-v2-configs``.
    """
    published = published if published is not None else datasets.tables("scaling-v2-configs")
    out = configs.copy()
    out["intelligence"] = _lookup(
        out["model_short"], published["intelligence_index"], "model_short", "intelligence_index", "capability index"
    )
    out["n_tools"] = _lookup(out["benchmark"], published["tool_counts"], "benchmark", "n_tools", "tool count")
    metrics = published["coordination_metrics"]
    for column in ("n_agents", "overhead_pct", "message_density", "redundancy", "efficiency", "error_amplification"):
        out[column] = _lookup(out["architecture"], metrics, "architecture", column, "coordination metric")
    out["single_agent_baseline"] = single_agent_baseline(out)
    return out


def task_grounded_capability(configs: pd.DataFrame) -> pd.Series:
    """The paper's (v3) task-grounded capability index: each model's mean single-agent success rate over all
    benchmarks in the table."""
    single = configs[configs["architecture"] == "single"]
    return configs["model_short"].map(single.groupby("model_short")[OUTCOME].mean()).rename("task_capability")


def pooled_configs(
    *tables: pd.DataFrame, exclude_models: tuple[str, ...] = ("gemini-3-flash-preview",)
) -> pd.DataFrame:
    """Configuration tables stacked into one (v2's 180 + v3's 90 rows), without ``exclude_models`` (by
    ``model_short``). The default drops gemini-3-flash-preview, as the paper's v3 does (N = 260)."""
    pooled = pd.concat(tables, ignore_index=True)
    return pooled[~pooled["model_short"].isin(exclude_models)].reset_index(drop=True)


# ---------------------------------------------------------------------------------------------------------------
# Fit
# ---------------------------------------------------------------------------------------------------------------


def _raw_terms(frame: pd.DataFrame, capability: str, capability_mean: float) -> pd.DataFrame:
    missing = [c for c in (capability, *MODEL_INPUTS[1:]) if c not in frame.columns]
    if missing:
        raise KeyError(
            f"table lacks model inputs {missing}; see agenteff.studies.s01_scaling_regressions.MODEL_INPUTS "
            "(attach_published_metrics adds the published ones)"
        )
    inputs = frame.assign(I_c=frame[capability].astype(float) - capability_mean)
    raw = pd.DataFrame({name: build(inputs).astype(float) for name, _, _, build in _TERM_SPECS}, index=frame.index)
    if raw.isna().any().any():
        term = raw.columns[raw.isna().any()][0]
        row = int(np.flatnonzero(raw[term].isna().to_numpy())[0])
        raise ValueError(f"term {term!r} is missing in row {row + 1}; fill its inputs")
    return raw


@dataclass
class ScalingFit:
    """A fitted scaling model. ``coefficients`` has one row per term (intercept first) with the estimate, its
    standard error, 95% interval, p-value and whether the data identify it."""

    capability: str
    coefficients: pd.DataFrame
    r2: float
    r2_adjusted: float
    n: int
    rank: int
    unidentified: tuple[str, ...]
    capability_mean: float
    means: pd.Series = field(repr=False)
    scales: pd.Series = field(repr=False)
    params: np.ndarray = field(repr=False)
    covariance: np.ndarray = field(repr=False)
    sigma2: float = field(repr=False)
    df_resid: int = field(repr=False)

    @property
    def n_parameters(self) -> int:
        return len(self.params)

    def design(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The standardised design matrix (intercept first) of ``frame``, scaled with the fitted rows' moments."""
        z = (_raw_terms(frame, self.capability, self.capability_mean) - self.means) / self.scales
        return pd.concat([pd.Series(1.0, index=frame.index, name="intercept"), z], axis=1)

    def predict(self, frame: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
        """Predicted success rate per row with a ``level`` prediction interval (t with n - rank d.f.)."""
        x = self.design(frame).to_numpy()
        predicted = x @ self.params
        spread = np.sqrt(self.sigma2 + np.einsum("ij,jk,ik->i", x, self.covariance, x))
        half = stats.t.ppf(0.5 + level / 2, self.df_resid) * spread
        return pd.DataFrame(
            {"predicted": predicted, "pi_low": predicted - half, "pi_high": predicted + half}, index=frame.index
        )


def _identified(x: np.ndarray, pinv: np.ndarray, tol: float = 1e-8) -> np.ndarray:
    """Is each coefficient estimable? Coefficient j is identified when the unit vector e_j lies in the row space of
    the design, i.e. the projector onto that space leaves it unchanged."""
    projector = pinv @ x
    return np.abs(np.diag(projector) - 1.0) < tol


def fit(configs: pd.DataFrame, capability: str = "intelligence", level: float = 0.95) -> ScalingFit:
    """Fit the paper's 19-term model by OLS on the rows of ``configs`` with a success rate.

    Terms are z-scored over the fitted rows (population SD; a constant term becomes 0 and is reported as not
    identified); the outcome is unscaled. The solution is the minimum-norm least-squares one (pseudo-inverse, as
    statsmodels' OLS uses), so coefficients the design cannot separate are reported with ``identified=False``
    rather than silently trusted. Intervals are estimate +- z(0.975) SE, as in the authors' analysis; p-values use
    the t distribution with n - rank degrees of freedom. ``capability`` names the column used as I (for example
    ``task_capability`` from :func:`task_grounded_capability`).
    """
    rows = configs[configs[OUTCOME].notna()]
    capability_mean = float(rows[capability].astype(float).mean())
    raw = _raw_terms(rows, capability, capability_mean)
    means = raw.mean()
    scales = raw.std(ddof=0)
    scales[scales <= 1e-12 * (1 + means.abs())] = 1.0
    x = np.column_stack([np.ones(len(raw)), ((raw - means) / scales).to_numpy()])
    y = rows[OUTCOME].to_numpy(dtype=float)
    pinv = np.linalg.pinv(x)
    params = pinv @ y
    residuals = y - x @ params
    rank = int(np.linalg.matrix_rank(x))
    n = len(y)
    df_resid = n - rank
    if df_resid <= 0:
        raise ValueError(f"{n} rows cannot fit a model of rank {rank}")
    sigma2 = float(residuals @ residuals / df_resid)
    covariance = sigma2 * (pinv @ pinv.T)
    se = np.sqrt(np.diag(covariance))
    z = stats.norm.ppf(0.5 + level / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        t_values = params / se
    names = ["intercept", *raw.columns]
    identified = _identified(x, pinv)
    coefficients = pd.DataFrame(
        {
            "term": names,
            "label": ["intercept", *(TERM_LABELS[t] for t in raw.columns)],
            "estimate": params,
            "std_error": se,
            "ci_low": params - z * se,
            "ci_high": params + z * se,
            "p_value": 2 * stats.t.sf(np.abs(t_values), df_resid),
            "identified": identified,
        }
    )
    total = float(((y - y.mean()) ** 2).sum())
    r2 = 1.0 - float(residuals @ residuals) / total
    return ScalingFit(
        capability=capability,
        coefficients=coefficients,
        r2=r2,
        r2_adjusted=1.0 - (1.0 - r2) * (n - 1) / df_resid,
        n=n,
        rank=rank,
        unidentified=tuple(t for t, ok in zip(names, identified) if not ok),
        capability_mean=capability_mean,
        means=means,
        scales=scales,
        params=params,
        covariance=covariance,
        sigma2=sigma2,
        df_resid=df_resid,
    )


def coefficient_key(term: str, version: str = "") -> str:
    """The paper-values key of a term's published coefficient: ``P_SA*log1p_n`` -> ``kim-scaling/coef-p_sa-x-log1p_n``
    (with ``-v1`` appended for ``version="v1"``, a value a later version revised)."""
    slug = term.lower().replace("*", "-x-").replace("^2", "-squared")
    return f"{PAPER}/coef-{slug}" + (f"-{version}" if version else "")


def relative_change_key(benchmark: str, architecture: str) -> str:
    """The paper-values key of a published relative change vs the single agent (:func:`relative_change`)."""
    return f"{PAPER}/rel-change-{benchmark}-{architecture}".lower()


def compare_coefficients(fitted: ScalingFit, paper: PaperValues | None = None) -> pd.DataFrame:
    """Every fitted term beside the paper's value and interval (``paper``: the published values, by default
    :func:`agenteff.datasets.paper_values`); terms the paper's values do not cover have missing paper values."""
    paper = paper if paper is not None else datasets.paper_values()
    ours = fitted.coefficients[["term", "label", "estimate", "ci_low", "ci_high", "p_value", "identified"]]
    published = [paper.get(coefficient_key(term)) for term in ours["term"]]
    return ours.assign(
        paper=[np.nan if pv is None or pv.value is None else pv.value for pv in published],
        paper_ci_low=[np.nan if pv is None or pv.low is None else pv.low for pv in published],
        paper_ci_high=[np.nan if pv is None or pv.high is None else pv.high for pv in published],
    )


# ---------------------------------------------------------------------------------------------------------------
# Cross-validation and architecture selection
# ---------------------------------------------------------------------------------------------------------------


def _r2(y: np.ndarray, predicted: np.ndarray) -> float:
    total = float(((y - y.mean()) ** 2).sum())
    return float("nan") if total == 0 else 1.0 - float(((y - predicted) ** 2).sum()) / total


@dataclass
class CrossValidation:
    """Per-fold scores (``folds``) and the out-of-fold prediction of every row (``predictions``)."""

    folds: pd.DataFrame
    predictions: pd.DataFrame

    def summary(self) -> pd.Series:
        """The paper's summary: mean fold R^2 and its population SD; mean fold MAE and RMSE."""
        return pd.Series(
            {
                "r2_mean": self.folds["r2"].mean(),
                "r2_sd": self.folds["r2"].std(ddof=0),
                "mae": self.folds["mae"].mean(),
                "rmse": self.folds["rmse"].mean(),
                "folds": len(self.folds),
            }
        )


def cross_validate(
    configs: pd.DataFrame, k: int = 5, seed: int = 42, groups: str | None = None, capability: str = "intelligence"
) -> CrossValidation:
    """Out-of-sample fit of the model.

    ``groups=None``: random k-fold over rows, ``KFold(k, shuffle=True, random_state=seed)`` (the authors' folds).
    ``groups="benchmark"`` (or ``"model_short"``, any column): leave one group out. Each fold re-fits the
    standardisation on its training rows; for this model that gives the same predictions as the authors'
    scaling on all rows, without using held-out rows.
    """
    rows = configs[configs[OUTCOME].notna()].reset_index(drop=True)
    if groups is None:
        splits = KFold(n_splits=k, shuffle=True, random_state=seed).split(rows)
        held_out_names = None
    else:
        splits = LeaveOneGroupOut().split(rows, groups=rows[groups].astype(str))
        held_out_names = rows[groups].astype(str)
    fold_rows, predicted, fold_of = [], np.full(len(rows), np.nan), np.zeros(len(rows), dtype=int)
    for number, (train, test) in enumerate(splits):
        model = fit(rows.iloc[train], capability=capability)
        test_rows = rows.iloc[test]
        prediction = model.predict(test_rows)["predicted"].to_numpy()
        y = test_rows[OUTCOME].to_numpy(dtype=float)
        predicted[test], fold_of[test] = prediction, number
        errors = y - prediction
        fold_rows.append(
            {
                "fold": number,
                "held_out": str(number) if held_out_names is None else held_out_names.iloc[test[0]],
                "n_train": len(train),
                "n_test": len(test),
                "r2": _r2(y, prediction),
                "mae": float(np.abs(errors).mean()),
                "rmse": float(np.sqrt((errors**2).mean())),
            }
        )
    predictions = rows.assign(fold=fold_of, predicted=predicted)
    return CrossValidation(pd.DataFrame(fold_rows), predictions)


def grouped_cross_validation(configs: pd.DataFrame, capability: str = "intelligence") -> dict[str, CrossValidation]:
    """Leave one benchmark out (the paper's leave-one-domain-out test) and leave one model out:
    ``{"benchmark": ..., "model": ...}``."""
    return {
        "benchmark": cross_validate(configs, groups="benchmark", capability=capability),
        "model": cross_validate(configs, groups="model_short", capability=capability),
    }


def grouped_folds(grouped: dict[str, CrossValidation]) -> pd.DataFrame:
    """The folds of :func:`grouped_cross_validation` in one table, ``held_out_kind`` naming the group."""
    return pd.concat([cv.folds.assign(held_out_kind=kind) for kind, cv in grouped.items()], ignore_index=True)


def capability_comparison(pooled: pd.DataFrame, k: int = 5, seed: int = 42) -> pd.DataFrame:
    """k-fold cross-validation of the pooled (v3) table with the intelligence index as capability and with the
    task-grounded capability (:func:`task_grounded_capability`): one row each, :meth:`CrossValidation.summary`
    columns plus ``n_rows``, the configurations fitted."""
    pooled = pooled.assign(task_capability=task_grounded_capability(pooled))
    rows = {
        "intelligence index": cross_validate(pooled, k=k, seed=seed),
        "task-grounded capability": cross_validate(pooled, k=k, seed=seed, capability="task_capability"),
    }
    table = pd.DataFrame({name: cv.summary() for name, cv in rows.items()}).T
    return table.assign(n_rows=[len(cv.predictions) for cv in rows.values()])


def select_architecture(
    configs: pd.DataFrame, benchmark: str, model: str, fitted: ScalingFit | None = None, level: float = 0.95
) -> pd.DataFrame:
    """Predicted success of each architecture for one (benchmark, model) pair, with ``level`` prediction
    intervals, best first; ``chosen`` marks the predicted best.

    ``model`` matches ``model`` or ``model_short``. The rows of the pair carry its inputs, so a new model or
    benchmark is scored by adding its rows (success rate may be missing). ``fitted`` defaults to a fit on
    ``configs``.
    """
    fitted = fitted if fitted is not None else fit(configs)
    pair = configs[
        (configs["benchmark"] == benchmark) & ((configs["model"] == model) | (configs["model_short"] == model))
    ]
    if pair.empty:
        raise KeyError(f"no rows for benchmark {benchmark!r} and model {model!r}")
    out = pd.concat(
        [pair[["architecture", OUTCOME]].rename(columns={OUTCOME: "observed"}), fitted.predict(pair, level)], axis=1
    )
    out = out.sort_values("predicted", ascending=False, kind="stable").reset_index(drop=True)
    out["chosen"] = out.index == 0
    return out


def selection_accuracy(predictions: pd.DataFrame, predicted: str = "predicted") -> pd.DataFrame:
    """Was the architecture with the highest prediction the best one? One row per (benchmark, model).

    ``best_of_five``: the chosen architecture's observed success equals the pair's best (ties count as right).
    ``best_of_five_strict``: the chosen architecture is the pair's only best one (a tie for best counts as wrong).
    ``single_vs_multi``: the chosen kind (single agent or multi-agent) contains a best architecture.
    Use held-out predictions (``cross_validate(...).predictions``) for the paper's held-out claim.
    """
    rows = []
    for (benchmark, model), pair in predictions.groupby(["benchmark", "model"], sort=True):
        chosen = pair.loc[pair[predicted].idxmax()]
        best = pair[OUTCOME].max()
        n_best = int((pair[OUTCOME] == best).sum())
        chosen_multi = chosen["architecture"] != "single"
        same_kind = pair[(pair["architecture"] != "single") == chosen_multi]
        rows.append(
            {
                "benchmark": benchmark,
                "model": model,
                "chosen": chosen["architecture"],
                "best_observed": ", ".join(pair.loc[pair[OUTCOME] == best, "architecture"]),
                "best_of_five": bool(chosen[OUTCOME] == best),
                "best_of_five_strict": bool(chosen[OUTCOME] == best and n_best == 1),
                "single_vs_multi": bool(same_kind[OUTCOME].max() == best),
            }
        )
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------------------------
# Descriptive audits
# ---------------------------------------------------------------------------------------------------------------


def relative_change(configs: pd.DataFrame) -> pd.DataFrame:
    """Relative change (%) of each multi-agent architecture vs the single agent, per benchmark.

    ``relative_change_pct`` compares mean success over models (the paper's figure);
    ``mean_of_model_changes_pct`` averages each model's own relative change, for contrast.
    """
    means = configs.groupby(["benchmark", "architecture"])[OUTCOME].mean().unstack()
    single = means["single"]
    table = (
        means.drop(columns="single")
        .sub(single, axis=0)
        .div(single, axis=0)
        .mul(100)
        .stack()
        .rename("relative_change_pct")
        .reset_index()
    )
    gains = multi_agent_gain(configs)
    per_model = (
        gains.assign(change=100 * gains["gain"] / gains["baseline"])
        .groupby(["benchmark", "architecture"])["change"]
        .mean()
        .rename("mean_of_model_changes_pct")
    )
    table = table.join(per_model, on=["benchmark", "architecture"])
    order = {name: i for i, name in enumerate(ARCHITECTURES)}
    return table.sort_values(
        ["benchmark", "architecture"], key=lambda s: s.map(order) if s.name == "architecture" else s
    ).reset_index(drop=True)


def multi_agent_gain(configs: pd.DataFrame) -> pd.DataFrame:
    """Multi-agent rows with ``baseline`` (the same model's single-agent success on the benchmark) and ``gain``
    (success minus baseline)."""
    single = configs[configs["architecture"] == "single"][["benchmark", "model", OUTCOME]]
    multi = configs[configs["architecture"] != "single"]
    out = multi.merge(
        single.rename(columns={OUTCOME: "baseline"}), on=["benchmark", "model"], how="inner", validate="many_to_one"
    )
    return out.assign(gain=out[OUTCOME] - out["baseline"])


def saturation_threshold(configs: pd.DataFrame, n_boot: int = 2000, seed: int = 42) -> pd.Series:
    """The single-agent baseline at which the multi-agent gain crosses zero, from a straight-line fit of gain on
    baseline over all multi-agent rows, with a bootstrap 95% interval (rows resampled with replacement).

    Caveat: the baseline is on both sides (gain = P_MAS - P_SA), so noise in P_SA alone pulls the slope negative
    (regression to the mean); a crossing near any value is expected even without saturation.
    """
    gains = multi_agent_gain(configs)
    x, y = gains["baseline"].to_numpy(dtype=float), gains["gain"].to_numpy(dtype=float)

    def crossing(xs, ys):
        spread = xs - xs.mean()
        if not spread.any():  # a resample with one baseline value has no slope
            return np.nan, np.nan, np.nan
        slope = float(spread @ (ys - ys.mean()) / (spread @ spread))
        intercept = float(ys.mean() - slope * xs.mean())
        return slope, intercept, -intercept / slope

    slope, intercept, threshold = crossing(x, y)
    rng = np.random.default_rng(seed)
    draws = np.array([crossing(x[idx], y[idx])[2] for idx in rng.integers(0, len(x), size=(n_boot, len(x)))])
    return pd.Series(
        {
            "slope": slope,
            "intercept": intercept,
            "threshold": threshold,
            "ci_low": np.nanquantile(draws, 0.025),
            "ci_high": np.nanquantile(draws, 0.975),
            "n_rows": len(x),
        }
    )


def gain_slope_by_benchmark(configs: pd.DataFrame) -> pd.DataFrame:
    """Least-squares slope of multi-agent gain on the single-agent baseline within each benchmark, beside the
    pooled slope: whether saturation holds inside a benchmark or only between benchmarks."""
    gains = multi_agent_gain(configs)

    def slope(frame):
        x = frame["baseline"] - frame["baseline"].mean()
        return float(x @ (frame["gain"] - frame["gain"].mean()) / (x @ x))

    rows = [
        {
            "benchmark": b,
            "slope": slope(g),
            "mean_baseline": g["baseline"].mean(),
            "mean_gain": g["gain"].mean(),
            "n_rows": len(g),
        }
        for b, g in gains.groupby("benchmark", sort=True)
    ]
    rows.append(
        {
            "benchmark": "all (pooled)",
            "slope": slope(gains),
            "mean_baseline": gains["baseline"].mean(),
            "mean_gain": gains["gain"].mean(),
            "n_rows": len(gains),
        }
    )
    return pd.DataFrame(rows)


def model_implied_threshold(fitted: ScalingFit) -> pd.Series:
    """The baseline P_SA at which the fitted model's slope in log(1+n) is zero:
    beta_log1p_n / s_log1p_n + beta_PSAxlog1p_n * P / s_PSAxlog1p_n = 0. It is only meaningful when both
    coefficients are identified; ``identified`` says whether they are."""
    coef = fitted.coefficients.set_index("term")
    b_n, b_pn = coef.loc["log1p_n", "estimate"], coef.loc["P_SA*log1p_n", "estimate"]
    s_n, s_pn = fitted.scales["log1p_n"], fitted.scales["P_SA*log1p_n"]
    return pd.Series(
        {
            "threshold": -(b_n / s_n) * s_pn / b_pn,
            "identified": bool(coef.loc[["log1p_n", "P_SA*log1p_n"], "identified"].all()),
        }
    )


# ---------------------------------------------------------------------------------------------------------------
# Mixed effects
# ---------------------------------------------------------------------------------------------------------------


def _identified_basis(fitted: ScalingFit, design: pd.DataFrame) -> list[str]:
    """Identified terms, then unidentified ones in the paper's order as long as each adds rank: a full-rank
    subset of the design spanning the same space."""
    keep = [t for t in design.columns[1:] if t not in fitted.unidentified]
    for term in (t for t in design.columns[1:] if t in fitted.unidentified):
        if np.linalg.matrix_rank(design[["intercept", *keep, term]].to_numpy()) == len(keep) + 2:
            keep.append(term)
    return keep


def mixed_effects(configs: pd.DataFrame, capability: str = "intelligence") -> dict[str, pd.DataFrame]:
    """The model the paper names: the fixed terms plus random intercepts for model and benchmark (crossed), fitted
    by maximum likelihood with statsmodels MixedLM, against OLS on the same fixed terms.

    The 19-term design is rank-deficient, which MixedLM cannot fit, so both use a full-rank subset spanning the
    same space (:func:`_identified_basis`). Returns ``comparison`` (log-likelihood, AIC, residual and random-effect
    SDs, convergence and the optimiser's warnings, e.g. a variance on the boundary) and ``coefficients`` (fixed
    effects side by side).
    """
    import statsmodels.api as sm
    from statsmodels.regression.mixed_linear_model import MixedLM
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    rows = configs[configs[OUTCOME].notna()].reset_index(drop=True)
    fitted = fit(rows, capability=capability)
    design = fitted.design(rows)
    terms = _identified_basis(fitted, design)
    x = design[["intercept", *terms]]
    y = rows[OUTCOME].to_numpy(dtype=float)
    ols = sm.OLS(y, x).fit()
    components = {"model": "0 + C(model_short)", "benchmark": "0 + C(benchmark)"}
    frame = pd.concat([x, rows[["model_short", "benchmark"]].astype(str)], axis=1)
    frame["one_group"] = 1
    mixed_model = MixedLM.from_formula(
        f"{OUTCOME} ~ 0 + " + " + ".join(f"Q('{c}')" for c in x.columns),
        data=frame.assign(**{OUTCOME: y}),
        groups="one_group",
        vc_formula=components,
        re_formula="0",
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        mixed = mixed_model.fit(reml=False, method=["lbfgs"])
    notes = "; ".join(
        sorted({str(w.message).rstrip(".") for w in caught if issubclass(w.category, ConvergenceWarning)})
    )
    n_mixed = len(x.columns) + len(components) + 1
    variance = dict(zip(mixed.model.exog_vc.names, mixed.vcomp))
    comparison = pd.DataFrame(
        [
            {
                "model": "OLS",
                "log_likelihood": ols.llf,
                "parameters": len(x.columns) + 1,
                "aic": 2 * (len(x.columns) + 1) - 2 * ols.llf,
                "residual_sd": np.sqrt(ols.mse_resid),
                "model_sd": 0.0,
                "benchmark_sd": 0.0,
                "converged": True,
                "optimizer_notes": "",
            },
            {
                "model": "MixedLM",
                "log_likelihood": mixed.llf,
                "parameters": n_mixed,
                "aic": 2 * n_mixed - 2 * mixed.llf,
                "residual_sd": np.sqrt(mixed.scale),
                "model_sd": np.sqrt(variance["model"]),
                "benchmark_sd": np.sqrt(variance["benchmark"]),
                "converged": bool(mixed.converged),
                "optimizer_notes": notes,
            },
        ]
    )
    fixed = mixed.fe_params.to_numpy()
    coefficients = pd.DataFrame(
        {
            "term": x.columns,
            "label": ["intercept", *(TERM_LABELS[t] for t in terms)],
            "ols": ols.params.to_numpy(),
            "ols_se": ols.bse.to_numpy(),
            "mixed": fixed,
            "mixed_se": mixed.bse_fe.to_numpy(),
        }
    )
    return {"comparison": comparison, "coefficients": coefficients}
