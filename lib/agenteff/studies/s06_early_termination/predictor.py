"""AgentStop's early-stop predictor and its energy accounting (Pham et al., arXiv:2605.15206), re-implemented.

Per decision step k a classifier reads the first k steps of a run and predicts failure (positive class = a
failed run). Out-of-fold scores come from nested stratified cross-validation: the outer folds evaluate, an inner
grid search tunes the classifier on each outer training part. Operating points follow the paper: for each FPR
target (0, 0.05, ..., 1) and each outer fold, the threshold with the best TPR among those with FPR <= target
on that fold. The paper picks the threshold on the evaluation fold itself (``threshold_source="evaluation"``);
``"training"`` picks it on the fitted model's scores of the training part, as a deployed supervisor would have
to.

Energy accounting (the paper's): E_i is a run's energy, E_i(k) that of its first k steps; the baseline waste
W_0 is the energy of all failed runs. Stopping a failed run at k saves E_i - E_i(k); stopping a successful run
wastes E_i(k) and loses its success. Waste reduction = savings / W_0; performance drop = lost successes /
successes. Bootstrap intervals resample runs with the stop decisions held fixed (they show the sampling
spread of the accounting, not the spread of re-training).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegressionCV
from sklearn.metrics import roc_auc_score, roc_curve
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits  # installed with scikit-learn

from ...progress import progress
from .traces import Traces, features_at_step, step_feature_blocks

__all__ = [
    "FPR_TARGETS",
    "CLASSIFIERS",
    "BASELINES",
    "StopScores",
    "fpr_targets",
    "nested_cv_scores",
    "enough_for_nested_cv",
    "thresholds_at_fpr",
    "stop_decisions",
    "stop_accounting",
    "bootstrap_accounting",
    "bootstrap_counts",
    "baseline_scores",
    "score_traces",
    "operating_points",
    "best_under_drop",
    "roc_points",
    "stop_all_at_step",
]


def fpr_targets(step: float = 0.05) -> np.ndarray:
    """FPR targets 0, step, ..., 1."""
    if not 0 < step <= 1:
        raise ValueError(f"FPR target step must be in (0, 1], got {step}")
    return np.round(np.linspace(0.0, 1.0, int(round(1 / step)) + 1), 10)


FPR_TARGETS = fpr_targets(0.05)

#: classifier name -> (estimator factory given seed and inner folds, grid for an inner grid search or None when
#: the estimator tunes itself on the inner folds); scikit-learn only
CLASSIFIERS = {
    # the regularisation path over the inner folds: the same nested CV as a grid search, far fewer fits
    "logistic": (
        lambda seed, inner: make_pipeline(
            StandardScaler(),
            LogisticRegressionCV(
                Cs=[0.01, 0.1, 1.0, 10.0],
                l1_ratios=(0.0,),
                cv=inner,
                scoring="roc_auc",
                max_iter=2000,
                use_legacy_attributes=False,
            ),
        ),
        None,
    ),
    "gradient_boosting": (
        lambda seed, inner: HistGradientBoostingClassifier(max_iter=100, random_state=seed),
        {"learning_rate": [0.05, 0.1], "max_depth": [2, 3]},
    ),
}
BASELINES = ("min_logprob", "mean_logprob", "random")


@dataclass(frozen=True)
class StopScores:
    """Failure scores of the runs eligible at decision step k, with the folds they were evaluated in."""

    method: str
    k: int
    eligible: np.ndarray  # (n_all,) bool
    y: np.ndarray  # (n_eligible,) int, 1 = failed
    scores: np.ndarray  # (n_eligible,) failure score, higher = more likely to fail
    folds: np.ndarray  # (n_eligible,) outer fold of each run
    train_thresholds: np.ndarray | None = None  # (n_folds, n_targets) thresholds picked on training parts

    @property
    def auc(self) -> float:
        return float(roc_auc_score(self.y, self.scores)) if 0 < self.y.sum() < len(self.y) else np.nan


def enough_for_nested_cv(y: np.ndarray, n_folds: int, inner_folds: int) -> bool:
    """Does the rarer class fill every outer fold and, within each outer training part, every inner fold?"""
    rarer = int(min(np.sum(y), len(y) - np.sum(y)))
    return rarer >= n_folds and rarer - math.ceil(rarer / n_folds) >= inner_folds


def nested_cv_scores(
    X: np.ndarray,
    y: np.ndarray,
    classifier: str = "logistic",
    n_folds: int = 5,
    inner_folds: int = 5,
    seed: int = 42,
    grid: dict | None = None,
    targets: np.ndarray = FPR_TARGETS,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Out-of-fold failure probabilities from nested stratified CV.

    Returns ``(scores, folds, train_thresholds)``; ``train_thresholds[f]`` are the thresholds at ``targets``
    chosen on fold f's training part (the fitted model's own scores there).
    """
    if classifier not in CLASSIFIERS:
        raise ValueError(f"unknown classifier {classifier!r}; choose one of {sorted(CLASSIFIERS)}")
    if n_folds < 2 or inner_folds < 2:
        raise ValueError(f"need at least 2 outer and 2 inner folds, got {n_folds} and {inner_folds}")
    y = np.asarray(y, dtype=int)
    if not enough_for_nested_cv(y, n_folds, inner_folds):
        raise ValueError(
            f"too few runs of one class ({int(y.sum())} failed, {int(len(y) - y.sum())} successful) "
            f"for {n_folds}-fold stratified CV with {inner_folds} inner folds"
        )
    factory, default_grid = CLASSIFIERS[classifier]
    outer = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    inner = StratifiedKFold(n_splits=inner_folds, shuffle=True, random_state=seed)
    scores, folds = np.zeros(len(y)), np.zeros(len(y), dtype=int)
    train_thresholds = np.zeros((n_folds, len(targets)))
    for fold, (train, test) in enumerate(outer.split(X, y)):
        model = factory(seed, inner)
        if grid or default_grid:
            model = GridSearchCV(model, grid or default_grid, scoring="roc_auc", cv=inner, n_jobs=1)
        # one BLAS thread: many tiny fits, where threads only contend (ten times slower on a busy machine)
        with warnings.catch_warnings(), threadpool_limits(1):
            warnings.simplefilter("ignore", ConvergenceWarning)  # a weakly regularised fit; the search judges it
            model.fit(X[train], y[train])
        scores[test] = model.predict_proba(X[test])[:, 1]
        folds[test] = fold
        train_thresholds[fold] = thresholds_at_fpr(y[train], model.predict_proba(X[train])[:, 1], targets)
    return scores, folds, train_thresholds


def thresholds_at_fpr(y: np.ndarray, scores: np.ndarray, targets: np.ndarray = FPR_TARGETS) -> np.ndarray:
    """Per FPR target, the score threshold with the best TPR among those with FPR <= target (ties: lowest FPR).

    A run is stopped when its score is >= the threshold; +inf stops nothing.
    """
    y = np.asarray(y, dtype=int)
    if y.sum() == 0 or y.sum() == len(y):
        raise ValueError("thresholds_at_fpr needs both failed and successful runs")
    fpr, tpr, thresholds = roc_curve(y, scores, drop_intermediate=False)
    out = np.empty(len(targets))
    for t, target in enumerate(targets):
        allowed = np.flatnonzero(fpr <= target + 1e-12)
        out[t] = thresholds[allowed[np.argmax(tpr[allowed])]]
    return out


def stop_decisions(
    stop: StopScores, targets: np.ndarray = FPR_TARGETS, threshold_source: str = "evaluation"
) -> np.ndarray:
    """Which runs are stopped at step k, per FPR target: a (n_targets, n_all) bool array."""
    if threshold_source not in ("evaluation", "training"):
        raise ValueError(f"threshold_source must be 'evaluation' or 'training', not {threshold_source!r}")
    if threshold_source == "training" and stop.train_thresholds is None:
        raise ValueError(f"{stop.method}: no training thresholds (a baseline is not trained)")
    decided = np.zeros((len(targets), len(stop.y)), dtype=bool)
    for fold in np.unique(stop.folds):
        part = stop.folds == fold
        if threshold_source == "evaluation":
            thresholds = thresholds_at_fpr(stop.y[part], stop.scores[part], targets)
        else:
            thresholds = np.asarray(stop.train_thresholds)[fold]  # present: checked above
        decided[:, part] = stop.scores[part][None, :] >= thresholds[:, None]
    out = np.zeros((len(targets), len(stop.eligible)), dtype=bool)
    out[:, stop.eligible] = decided
    return out


def _per_run_terms(failed, total_energy, energy_at_k, stopped):
    stopped = np.atleast_2d(stopped)
    savings = np.where(stopped & failed, total_energy - energy_at_k, np.where(stopped, -energy_at_k, 0.0))
    lost = stopped & ~failed
    return savings, lost


def stop_accounting(failed, total_energy, energy_at_k, stopped) -> dict:
    """The paper's accounting for one set of stop decisions (arrays over all runs; ``stopped`` may be 2-D,
    one row per operating point).

    Returns arrays: ``saved_mwh`` (net), ``baseline_waste_mwh`` (W_0), ``waste_reduction_pct``,
    ``lost_successes``, ``performance_drop_pct``.
    """
    failed = np.asarray(failed, dtype=bool)
    savings, lost = _per_run_terms(
        failed, np.asarray(total_energy, float), np.asarray(energy_at_k, float), np.asarray(stopped, dtype=bool)
    )
    waste = float(np.sum(np.asarray(total_energy, float)[failed]))
    successes = int((~failed).sum())
    if waste <= 0 or successes == 0:
        raise ValueError("stop_accounting needs failed runs with energy and at least one successful run")
    saved = savings.sum(axis=1)
    return {
        "saved_mwh": saved,
        "baseline_waste_mwh": waste,
        "waste_reduction_pct": 100 * saved / waste,
        "lost_successes": lost.sum(axis=1),
        "performance_drop_pct": 100 * lost.sum(axis=1) / successes,
    }


def bootstrap_counts(n: int, n_boot: int = 1000, seed: int = 42) -> np.ndarray:
    """How often each of ``n`` runs is drawn in each of ``n_boot`` bootstrap resamples (n_boot, n)."""
    if n_boot < 1 or n < 1:
        raise ValueError(f"bootstrap needs runs and replicates, got n={n}, n_boot={n_boot}")
    return np.random.default_rng(seed).multinomial(n, np.full(n, 1.0 / n), size=n_boot).astype(float)


def bootstrap_accounting(
    failed,
    total_energy,
    energy_at_k,
    stopped,
    n_boot: int = 1000,
    ci: float = 0.95,
    seed: int = 42,
    counts: np.ndarray | None = None,
) -> dict:
    """Percentile bootstrap intervals (runs resampled, decisions fixed) of waste reduction and performance drop.

    Returns ``{name: (low, high)}`` arrays per operating point for both percentages. ``counts`` (from
    :func:`bootstrap_counts`) reuses one set of resamples, so methods and steps are compared on the same draws.
    """
    failed = np.asarray(failed, dtype=bool)
    total_energy = np.asarray(total_energy, float)
    savings, lost = _per_run_terms(
        failed, total_energy, np.asarray(energy_at_k, float), np.asarray(stopped, dtype=bool)
    )
    counts = bootstrap_counts(len(failed), n_boot, seed) if counts is None else counts
    waste = counts @ np.where(failed, total_energy, 0.0)
    successes = counts @ (~failed).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        reduction = 100 * (counts @ savings.T) / waste[:, None]
        drop = 100 * (counts @ lost.T.astype(float)) / successes[:, None]
    tails = [100 * (1 - ci) / 2, 100 * (1 + ci) / 2]
    return {
        "waste_reduction_pct": np.nanpercentile(reduction, tails, axis=0),
        "performance_drop_pct": np.nanpercentile(drop, tails, axis=0),
    }


def baseline_scores(traces: Traces, k: int, method: str, seed: int = 42) -> StopScores:
    """A baseline's failure score at step k, from step k alone: low confidence flags failure (score = minus the
    step's min or mean token log-probability), or a seeded random score. One fold: thresholds on all runs, as
    the authors evaluate their baselines.

    The authors' notebook feeds the raw log-probability as the failure score (confident steps flagged); that
    orientation gives AUC = 1 - the AUC shown here.
    """
    eligible = traces.n_steps > k
    index = np.flatnonzero(eligible)
    if method == "min_logprob":
        scores = np.array([-traces.logprobs[i][k - 1].min() if len(traces.logprobs[i][k - 1]) else 0.0 for i in index])
    elif method == "mean_logprob":
        scores = np.array([-traces.logprobs[i][k - 1].mean() if len(traces.logprobs[i][k - 1]) else 0.0 for i in index])
    elif method == "random":
        scores = np.random.default_rng(seed + k).random(len(index))
    else:
        raise ValueError(f"unknown baseline {method!r}; choose one of {BASELINES}")
    return StopScores(method, k, eligible, traces.failed[eligible].astype(int), scores, np.zeros(len(index), int))


def score_traces(
    traces: Traces,
    steps=range(1, 11),
    classifier: str = "logistic",
    n_folds: int = 5,
    inner_folds: int = 5,
    seed: int = 42,
    n_smallest: int = 10,
    baselines=BASELINES,
    grid: dict | None = None,
    targets: np.ndarray = FPR_TARGETS,
    features: tuple | None = None,
) -> list[StopScores]:
    """Failure scores of AgentStop's classifier and of the baselines at every decision step.

    Steps where the rarer class cannot fill every outer and inner fold are skipped (the authors skip them too).
    ``features``: :func:`step_feature_blocks` of ``traces``, when already computed (they do not depend on labels).
    """
    blocks, overlap = features if features is not None else step_feature_blocks(traces, n_smallest)
    out = []
    for k in progress(list(steps), desc="decision steps"):
        X, eligible = features_at_step(traces, k, blocks, overlap)
        y = traces.failed[eligible].astype(int)
        if not enough_for_nested_cv(y, n_folds, inner_folds):
            continue
        scores, folds, train_thresholds = nested_cv_scores(X, y, classifier, n_folds, inner_folds, seed, grid, targets)
        out.append(StopScores("agentstop", k, eligible, y, scores, folds, train_thresholds))
        out.extend(baseline_scores(traces, k, method, seed) for method in baselines)
    return out


def operating_points(
    traces: Traces,
    scored: list[StopScores],
    targets: np.ndarray = FPR_TARGETS,
    threshold_source: str = "evaluation",
    n_boot: int = 1000,
    seed: int = 42,
) -> pd.DataFrame:
    """Waste reduction and performance drop (%, with bootstrap intervals) per method, step and FPR target."""
    total = traces.total_energy
    counts = bootstrap_counts(len(traces), n_boot, seed)
    rows = []
    for stop in scored:
        source = threshold_source if stop.train_thresholds is not None else "evaluation"
        stopped = stop_decisions(stop, targets, source)
        energy_at_k = traces.energy_first(stop.k)
        point = stop_accounting(traces.failed, total, energy_at_k, stopped)
        spread = bootstrap_accounting(traces.failed, total, energy_at_k, stopped, counts=counts)
        auc = stop.auc
        for t, target in enumerate(targets):
            rows.append(
                {
                    "method": stop.method,
                    "k": stop.k,
                    "fpr_target": float(target),
                    "n_eligible": len(stop.y),
                    "auc": auc,
                    "stopped": int(stopped[t].sum()),
                    "waste_reduction_pct": point["waste_reduction_pct"][t],
                    "waste_reduction_low": spread["waste_reduction_pct"][0, t],
                    "waste_reduction_high": spread["waste_reduction_pct"][1, t],
                    "performance_drop_pct": point["performance_drop_pct"][t],
                    "performance_drop_low": spread["performance_drop_pct"][0, t],
                    "performance_drop_high": spread["performance_drop_pct"][1, t],
                }
            )
    return pd.DataFrame(rows)


def best_under_drop(table: pd.DataFrame, max_drop_pct: float = 5.0, method: str = "agentstop") -> pd.Series:
    """The operating point (any step, any FPR target) with the largest waste reduction among those whose
    performance drop is below ``max_drop_pct``: how the paper's headline reads its figures."""
    rows = table[(table["method"] == method) & (table["performance_drop_pct"] < max_drop_pct)]
    if rows.empty:
        raise ValueError(f"no {method} operating point has a performance drop below {max_drop_pct}%")
    return rows.sort_values(["waste_reduction_pct", "k"], ascending=[False, True], kind="stable").iloc[0]


def roc_points(scored: list[StopScores], method: str = "agentstop") -> pd.DataFrame:
    """Pooled out-of-fold ROC curve per step: ``k, auc, fpr, tpr``."""
    rows = []
    for stop in scored:
        if stop.method != method:
            continue
        fpr, tpr, _ = roc_curve(stop.y, stop.scores)
        rows.append(pd.DataFrame({"k": stop.k, "auc": stop.auc, "fpr": fpr, "tpr": tpr}))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["k", "auc", "fpr", "tpr"])


def stop_all_at_step(traces: Traces, steps=range(1, 11), n_boot: int = 1000, seed: int = 42) -> pd.DataFrame:
    """The rule with no predictor: stop every run still going after step k. The reference any predictor must
    beat, since long runs fail more often (rows in :func:`operating_points`' columns, ``fpr_target`` NaN)."""
    counts = bootstrap_counts(len(traces), n_boot, seed)
    rows = []
    for k in steps:
        stopped = (traces.n_steps > k)[None, :]
        if not stopped.any():
            continue
        energy_at_k = traces.energy_first(k)
        point = stop_accounting(traces.failed, traces.total_energy, energy_at_k, stopped)
        spread = bootstrap_accounting(traces.failed, traces.total_energy, energy_at_k, stopped, counts=counts)
        rows.append(
            {
                "method": "stop_all",
                "k": k,
                "fpr_target": np.nan,
                "n_eligible": int(stopped.sum()),
                "auc": np.nan,
                "stopped": int(stopped.sum()),
                "waste_reduction_pct": point["waste_reduction_pct"][0],
                "waste_reduction_low": spread["waste_reduction_pct"][0, 0],
                "waste_reduction_high": spread["waste_reduction_pct"][1, 0],
                "performance_drop_pct": point["performance_drop_pct"][0],
                "performance_drop_low": spread["performance_drop_pct"][0, 0],
                "performance_drop_high": spread["performance_drop_pct"][1, 0],
            }
        )
    return pd.DataFrame(rows)
