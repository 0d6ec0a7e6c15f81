"""Study 03's figures: one function per file the notebook saves, each returning the figure and its caption; a
figure of simulated samples says so in its title and caption and carries the stamp."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from ... import plots, report
from ...metrics import grading
from .analysis import _TOKENS, answering_model, is_simulated

__all__ = [
    "accuracy_vs_length",
    "incorrect_vs_correct_length",
    "length_vs_difficulty",
    "correct_length_spread",
    "lead_targets_rewards",
    "round_efficiency",
]


def _tag(multi: pd.DataFrame) -> str:
    return " (simulated)" if is_simulated(multi) else f" ({answering_model(multi)})"


def _marked(fig, samples: pd.DataFrame):
    """``fig``, stamped when ``samples`` are simulated."""
    return report.mark_simulated(fig) if is_simulated(samples) else fig


@report.figure
def accuracy_vs_length(by_model: pd.DataFrame):
    """Figure: each model's strict accuracy against its mean output length, with the Pareto frontier."""
    fig, ax = plt.subplots(figsize=(7.5, 5))
    points = by_model.assign(kind=np.where(by_model["reasoning_model"], "reasoning model (o1)", "other model"))
    plots.draw_frontier(ax, points, cost="mean_length", accuracy="accuracy", hue="kind", label="model", log_cost=False)
    ax.set(
        xlabel=f"mean output length (tokens, {grading.TOKENIZER})",
        ylabel="accuracy, strict grader (%)",
        title="ZeroEval MATH level 5: accuracy vs output length per model",
    )
    ax.legend(fontsize=8)
    return fig, (
        "Accuracy (strict grader) against mean output tokens for each ZeroEval model; grey steps: the "
        "Pareto frontier, its models outlined and named."
    )


@report.figure
def incorrect_vs_correct_length(relative_gaps: pd.DataFrame):
    """Figure: histogram over problems of log2(mean relative length of wrong answers / of right answers)."""
    fig, ax = plt.subplots(figsize=(7, 4))
    sns.histplot(np.log2(relative_gaps["ratio"]), bins=40, ax=ax)
    ax.axvline(0, color="0.3", lw=1)
    ax.set(
        xlabel="log2(mean relative length of wrong answers / of right answers), per problem",
        ylabel="problems",
        title="Within each problem, wrong answers run longer",
    )
    return fig, (
        "Per ZeroEval problem: log2 ratio of the mean relative length (length over the model's median) of "
        "wrong vs right answers; right of 0 means the wrong answers were longer."
    )


@report.figure
def length_vs_difficulty(by_difficulty: pd.DataFrame):
    """Figure: median relative length (left) and accuracy (right) by difficulty bin, o1 models vs the rest."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, column, label in [
        (axes[0], "median_length", "median relative length (x model median)"),
        (axes[1], "accuracy", "accuracy, strict grader"),
    ]:
        sns.lineplot(data=by_difficulty, x="difficulty_bin", y=column, hue="models", marker="o", ax=ax)
        ax.set(xlabel="difficulty: share of the models that fail the problem", ylabel=label)
        ax.tick_params(axis="x", labelsize=8)
    axes[0].set_title("Harder problems draw longer answers")
    axes[1].set_title("and fewer right ones")
    return fig, "ZeroEval: median relative answer length and accuracy by problem difficulty, o1 models vs the rest."


@report.figure
def correct_length_spread(multi: pd.DataFrame, stats_table: pd.DataFrame, shown: int = 25):
    """Figure: every sample's length for ``shown`` solved problems spread evenly by median length, coloured by
    correctness (when no problem is solved, as in a small model's short live run: the unsolved ones)."""
    solved = stats_table[stats_table["n_correct"] >= 1]
    which = "problems" if len(solved) else "problems, none solved"
    pool = (solved if len(solved) else stats_table).sort_values("median_length")["problem_id"]
    chosen = pool.iloc[np.linspace(0, len(pool) - 1, min(shown, len(pool))).astype(int)]
    per_problem = int(multi.groupby("problem_id").size().max())
    fig, ax = plt.subplots(figsize=(10, 4.5))
    sns.stripplot(
        data=multi[multi["problem_id"].isin(chosen)],
        x="problem_id",
        y="completion_tokens",
        hue="correct",
        order=list(chosen),
        jitter=0.15,
        ax=ax,
        size=5,
    )
    ax.set(
        xlabel="problem (sorted by median length)",
        ylabel="completion tokens",
        title=f"Lengths of {per_problem} samples per problem{_tag(multi)}",
    )
    ax.tick_params(axis="x", labelsize=7, rotation=90)
    caption = f"Completion tokens of each sample for {len(chosen)} {which}, coloured by correctness{_tag(multi)}."
    return _marked(fig, multi), caption


@report.figure
def lead_targets_rewards(targets: pd.DataFrame, rewarded: pd.DataFrame):
    """Figure: the distribution of LEAD targets (left) and each sample's reward against length/target (right)."""
    tag = _tag(rewarded)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    sns.histplot(targets["target_length"], bins=30, ax=axes[0])
    axes[0].set(xlabel="LEAD target length L*_q (tokens)", ylabel="problems", title=f"Per-problem targets{tag}")
    solved = rewarded[rewarded["problem_id"].isin(targets.loc[targets["n_correct"] > 0, "problem_id"])]
    sns.scatterplot(
        data=solved,
        x=solved["completion_tokens"] / solved["target_length"],
        y="efficiency_reward",
        hue="correct",
        s=12,
        ax=axes[1],
    )
    axes[1].set(
        xlabel="sample length / target length", ylabel="efficiency reward", title=f"LEAD efficiency reward{tag}"
    )
    lower, upper = targets["lower_clamp"].iloc[0], targets["unsolved_target"].iloc[0]
    return _marked(fig, rewarded), (
        f"LEAD targets (mean correct length clamped to [{lower:g}, {upper:g}]) and each sample's "
        f"efficiency reward{tag}."
    )


@report.figure
def round_efficiency(efficiency: pd.DataFrame):
    """Figure: outcome and process efficiency of each demo response."""
    fig, ax = plt.subplots(figsize=(8, 4))
    long = efficiency.melt(
        id_vars="problem_id",
        value_vars=["outcome_efficiency", "process_efficiency"],
        var_name="measure",
        value_name="efficiency",
    )
    sns.barplot(data=long, x="problem_id", y="efficiency", hue="measure", ax=ax)
    ax.set(
        xlabel="response (demo file)",
        ylabel="efficiency (share of tokens)",
        ylim=(0, 1),
        title="Outcome and process efficiency of the demo responses",
    )
    return fig, (f"Outcome and process efficiency (Chen et al.) of the {len(efficiency)} demo responses, {_TOKENS}.")
