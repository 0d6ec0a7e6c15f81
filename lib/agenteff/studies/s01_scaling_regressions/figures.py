"""Study 01's figures: one function per file the notebook saves, each returning the figure and its caption."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from ... import datasets, report
from ...engines.topologies import ARCHITECTURES
from ...report import PaperValues
from .analysis import OUTCOME, PAPER, TERMS, CrossValidation, ScalingFit, grouped_folds, multi_agent_gain

__all__ = [
    "coefficients_forest",
    "predicted_vs_observed",
    "grouped_cv_r2",
    "relative_change_heatmap",
    "gain_vs_baseline",
]


def _point(paper: PaperValues, quantity: str) -> float:
    """The paper's point value ``kim-scaling/<quantity>``, for a reference line."""
    value = paper[f"{PAPER}/{quantity}"].value
    if value is None:
        raise ValueError(f"paper value {PAPER}/{quantity} has no point value to draw")
    return value


@report.figure
def coefficients_forest(coefficients: pd.DataFrame, fitted: ScalingFit, data: str = "v2"):
    """Forest plot of every coefficient (:func:`compare_coefficients`) beside the paper's, unidentified terms
    circled."""
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    rows = np.arange(len(coefficients))[::-1]
    estimate = coefficients["estimate"]
    ax.errorbar(
        estimate,
        rows,
        xerr=[estimate - coefficients["ci_low"], coefficients["ci_high"] - estimate],
        fmt="o",
        color="C0",
        label="reproduced (95% CI)",
    )
    has_paper = coefficients["paper"].notna().to_numpy()
    paper = coefficients.loc[has_paper]
    ax.errorbar(
        paper["paper"],
        rows[has_paper] + 0.25,
        xerr=np.nan_to_num([paper["paper"] - paper["paper_ci_low"], paper["paper_ci_high"] - paper["paper"]]),
        fmt="D",
        color="C3",
        label="paper (95% CI where given)",
    )
    unidentified = ~coefficients["identified"].to_numpy()
    ax.scatter(
        estimate[unidentified],
        rows[unidentified],
        s=140,
        facecolors="none",
        edgecolors="0.4",
        label="not identified (solver-dependent)",
    )
    ax.axvline(0, color="0.5", lw=0.8)
    ax.set_yticks(rows, coefficients["label"])
    ax.set_xlabel("standardized coefficient (success rate per SD of the term)")
    ax.set_title(f"Scaling model coefficients: paper vs reproduced ({data}, N = {fitted.n})")
    ax.legend(loc="lower right", fontsize=8)
    caption = (
        f"All {fitted.n_parameters} coefficients of the {len(TERMS)}-term model refitted on the {fitted.n} "
        "published configurations (blue, 95% CI = estimate +- 1.96 SE) beside the paper's values (red); "
        "circled terms are not identified."
    )
    return fig, caption


@report.figure
def predicted_vs_observed(cv: CrossValidation):
    """Out-of-fold predictions against observed success, by benchmark and architecture."""
    k = len(cv.folds)
    fig, ax = plt.subplots(figsize=(6, 5.5))
    sns.scatterplot(data=cv.predictions, x="predicted", y=OUTCOME, hue="benchmark", style="architecture", ax=ax)
    ax.plot([0, 1], [0, 1], color="0.5", lw=0.8)
    ax.set_xlabel("predicted success rate (out of fold)")
    ax.set_ylabel("observed success rate")
    ax.set_title(f"Held-out predictions, {k}-fold CV (R² = {cv.summary()['r2_mean']:.3f})")
    ax.legend(fontsize=7, bbox_to_anchor=(1.02, 1), loc="upper left")
    caption = (
        f"Out-of-fold predictions of the {k}-fold cross-validation against observed success, by benchmark "
        "(colour) and architecture (marker)."
    )
    return fig, caption


@report.figure
def grouped_cv_r2(grouped: dict[str, CrossValidation], cv: CrossValidation, paper: PaperValues | None = None):
    """R² of each held-out benchmark and model (:func:`grouped_cross_validation`), beside the paper's
    leave-one-domain-out R² and the random k-fold R²."""
    paper = paper if paper is not None else datasets.paper_values()
    folds = grouped_folds(grouped).sort_values(["held_out_kind", "r2"])
    fig, ax = plt.subplots(figsize=(8, 4.8))
    for kind, color in [("benchmark", "C3"), ("model", "C0")]:
        part = folds[folds["held_out_kind"] == kind]
        ax.barh(part["held_out"], part["r2"], color=color, label=f"one {kind} held out")
    ax.set_xscale("symlog", linthresh=1)
    ax.axvline(_point(paper, "lodo-r2"), color="C3", ls="--", lw=1, label="paper: leave-one-domain-out R² (v1)")
    ax.axvline(
        cv.summary()["r2_mean"], color="0.3", ls=":", lw=1, label=f"random {len(cv.folds)}-fold CV R² (reproduced)"
    )
    ax.axvline(0, color="0.5", lw=0.8)
    ax.set_xlabel("held-out R² (symmetric log scale)")
    ax.set_title("Grouped cross-validation: R² on a held-out benchmark or model")
    ax.legend(fontsize=8, bbox_to_anchor=(1.02, 1), loc="upper left")
    caption = (
        "R² on each held-out benchmark and each held-out model when the model is fitted on the rest; "
        "dashed line: the paper's leave-one-domain-out R² (v1)."
    )
    return fig, caption


@report.figure
def relative_change_heatmap(changes: pd.DataFrame, n_models: int):
    """Heat-map of :func:`relative_change` (benchmark x multi-agent architecture)."""
    heat = changes.pivot(index="benchmark", columns="architecture", values="relative_change_pct")
    heat = heat[[a for a in ARCHITECTURES if a in heat.columns]]
    fig, ax = plt.subplots(figsize=(7, 3.6))
    sns.heatmap(heat, annot=True, fmt="+.1f", cmap="RdBu", center=0, cbar_kws={"label": "relative change (%)"}, ax=ax)
    ax.set_xlabel("multi-agent architecture")
    ax.set_ylabel("benchmark")
    ax.set_title("Mean success vs single agent, relative change (%)")
    caption = (
        f"Relative change (%) of mean success over {n_models} models, each multi-agent architecture vs the "
        "single agent, per benchmark (v2 data)."
    )
    return fig, caption


@report.figure
def gain_vs_baseline(configs: pd.DataFrame, threshold: pd.Series, paper: PaperValues | None = None):
    """Multi-agent gain against the single-agent baseline with the fitted line of :func:`saturation_threshold`,
    its zero crossing and the paper's threshold."""
    paper = paper if paper is not None else datasets.paper_values()
    fig, ax = plt.subplots(figsize=(7, 4.8))
    sns.scatterplot(
        data=multi_agent_gain(configs), x="baseline", y="gain", hue="benchmark", style="architecture", ax=ax
    )
    line_x = np.linspace(0, 1, 50)
    ax.plot(
        line_x, threshold["intercept"] + threshold["slope"] * line_x, color="0.2", lw=1.2, label="least-squares line"
    )
    ax.axvline(threshold["threshold"], color="0.2", ls=":", lw=1, label="zero crossing (reproduced)")
    ax.axvline(_point(paper, "saturation-threshold"), color="C3", ls="--", lw=1, label="paper's threshold")
    ax.axhline(0, color="0.5", lw=0.8)
    ax.set_xlim(0, 1)
    ax.set_xlabel("single-agent success rate of the same model (P_SA)")
    ax.set_ylabel("multi-agent gain (success rate points)")
    ax.set_title("Multi-agent gain vs single-agent baseline")
    ax.legend(fontsize=7, bbox_to_anchor=(1.02, 1), loc="upper left")
    caption = (
        "Gain of each multi-agent configuration over the same model's single agent, against that "
        "single-agent success; the fitted line's zero crossing beside the paper's threshold."
    )
    return fig, caption
