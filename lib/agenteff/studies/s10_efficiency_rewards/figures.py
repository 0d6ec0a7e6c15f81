"""Study 10's figures: each returns ``(figure, caption)`` for :func:`agenteff.report.save_fig`."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from agenteff import report

__all__ = [
    "rank_agreement_matrix",
    "sign_reversals_per_reward",
    "length_bias_all_wrong",
    "selected_rollout_cost",
    "constant_sensitivity",
]


def _panels(count: int, width: float = 6.0, height: float = 4.8):
    fig, axes = plt.subplots(1, count, figsize=(width * count, height), squeeze=False)
    return fig, list(axes[0])


@report.figure
def rank_agreement_matrix(agreement: pd.DataFrame):
    """Mean within-cohort Kendall tau between every two rewards' advantages, one panel per data set."""
    names = list(dict.fromkeys(agreement["first"]))
    data = list(dict.fromkeys(agreement["data"]))
    fig, axes = _panels(len(data), 6.4, 5.6)
    for ax, name in zip(axes, data):
        matrix = agreement[agreement["data"] == name].pivot(index="first", columns="second", values="tau")
        matrix = matrix.loc[names, names]
        sns.heatmap(
            matrix,
            ax=ax,
            vmin=-1,
            vmax=1,
            cmap="vlag",
            annot=True,
            fmt=".2f",
            annot_kws={"fontsize": 7},
            cbar_kws={"label": "Kendall tau (mean over cohorts)"},
            mask=matrix.isna(),
        )
        ax.set_title(name)
        ax.set_xlabel("reward")
        ax.set_ylabel("reward")
    fig.suptitle("Do the rewards order a cohort's rollouts alike? Within-cohort rank agreement of advantages")
    fig.tight_layout()
    caption = (
        "Mean over cohorts of the Kendall tau-b between two rewards' GRPO advantages within a cohort (cohorts where "
        "either reward is constant left out); ZeroEval MATH level 5 (40 models per problem) and tau-bench airline "
        "(GPT-4o, 4 trials per task)"
    )
    return fig, caption


@report.figure
def sign_reversals_per_reward(reversals: pd.DataFrame):
    """Shares of correct rollouts with a negative advantage and of wrong ones with a positive advantage."""
    data = list(dict.fromkeys(reversals["data"]))
    fig, axes = _panels(len(data))
    for ax, name in zip(axes, data):
        rows = reversals[reversals["data"] == name]
        positions = np.arange(len(rows))
        ax.bar(positions - 0.2, 100 * rows["correct_negative"], 0.4, label="correct, negative advantage")
        ax.bar(positions + 0.2, 100 * rows["wrong_positive"], 0.4, label="wrong, positive advantage")
        ax.set_xticks(positions, rows["reward_name"], rotation=45, ha="right")
        ax.set_ylabel("share of rollouts (%)")
        ax.set_xlabel("reward")
        ax.set_title(f"{name} ({int(rows['cohorts'].iloc[0])} cohorts with right and wrong rollouts)")
        ax.legend(fontsize=8)
    fig.suptitle("Sign reversals: when an efficiency reward teaches against correctness")
    fig.tight_layout()
    caption = (
        "Share of correct rollouts given a negative advantage and of wrong rollouts given a positive one, per reward, "
        "over the cohorts holding both right and wrong rollouts"
    )
    return fig, caption


@report.figure
def length_bias_all_wrong(biases: pd.DataFrame):
    """Among the wrong rollouts of cohorts with no correct rollout: does a reward favour longer or shorter ones?"""
    rows = biases[(biases["among"] == "wrong") & (biases["cohorts_kept"] == "all_wrong")]
    data = list(dict.fromkeys(rows["data"]))
    names = list(dict.fromkeys(rows["reward_name"]))
    fig, ax = plt.subplots(figsize=(9, 4.8))
    width = 0.8 / len(data)
    for index, name in enumerate(data):
        part = rows[rows["data"] == name].set_index("reward_name").reindex(names)
        ax.bar(np.arange(len(names)) + (index - (len(data) - 1) / 2) * width, part["mean_tau"], width, label=name)
    ax.axhline(0, color="0.3", lw=0.8)
    ax.set_xticks(np.arange(len(names)), names, rotation=45, ha="right")
    ax.set_ylim(-1.05, 1.05)
    ax.set_xlabel("reward (no bar: constant on these cohorts)")
    ax.set_ylabel("Kendall tau of tokens and advantage\n(> 0: longer favoured)")
    ax.legend(fontsize=8)
    ax.set_title("Length bias where no rollout is correct")
    fig.tight_layout()
    caption = (
        "Mean within-cohort Kendall tau between a wrong rollout's tokens and its advantage, over the cohorts where no "
        "rollout is correct (ZeroEval problems no model solves; tau-bench tasks no trial passes); above 0 the "
        "reward teaches longer wrong answers"
    )
    return fig, caption


@report.figure
def selected_rollout_cost(selected: pd.DataFrame):
    """The rollout each reward prefers per cohort: its tokens against the binary reward's, and its correctness."""
    data = list(dict.fromkeys(selected["data"]))
    fig, axes = _panels(len(data), 6.4, 4.8)
    for ax, name in zip(axes, data):
        rows = selected[selected["data"] == name].iloc[::-1]
        positions = np.arange(len(rows))
        ax.barh(positions, rows["tokens_vs_binary"], color="C0")
        for position, ratio, correct in zip(positions, rows["tokens_vs_binary"], rows["correct"]):
            ax.text(ratio, position, f" {100 * correct:.1f}% correct", va="center", fontsize=8)
        ax.axvline(1, color="0.3", lw=0.8, ls="--")
        ax.set_yticks(positions, rows["reward_name"])
        ax.set_xlim(0, 1.45 * rows["tokens_vs_binary"].max())
        ax.set_xlabel("tokens of the preferred rollout / binary reward's choice (ratio)")
        ax.set_ylabel("reward")
        ax.set_title(name)
    fig.suptitle("What each reward would select: cost and correctness of the top-advantage rollout")
    fig.tight_layout()
    caption = (
        "Per reward, the rollouts with the largest advantage in each cohort (ties averaged): mean tokens as a ratio "
        "of the binary reward's choice (bars), and the share of cohorts where that choice is correct (labels)"
    )
    return fig, caption


@report.figure
def constant_sensitivity(sensitivity: pd.DataFrame):
    """Sign reversals against each swept constant: one panel per reward and constant, one colour per data set."""
    panels = list(dict.fromkeys(zip(sensitivity["reward_name"], sensitivity["constant"])))
    columns = 4
    rows_count = -(-len(panels) // columns)
    fig, axes = plt.subplots(rows_count, columns, figsize=(3.6 * columns, 3.0 * rows_count), squeeze=False)
    colours = dict(zip(dict.fromkeys(sensitivity["data"]), sns.color_palette("colorblind")))
    for ax, (reward, constant) in zip(axes.flat, panels):
        part = sensitivity[(sensitivity["reward_name"] == reward) & (sensitivity["constant"] == constant)]
        for name, rows in part.groupby("data", sort=False):
            positions = np.arange(len(rows))
            ax.plot(positions, 100 * rows["wrong_positive"], marker="o", color=colours[name], label=f"{name}: wrong +")
            ax.plot(
                positions,
                100 * rows["correct_negative"],
                marker="s",
                ls="--",
                color=colours[name],
                label=f"{name}: right -",
            )
            ax.set_xticks(positions, [str(v) if isinstance(v, bool) else f"{v:g}" for v in rows["value"]])
        ax.set_title(f"{reward}: {constant}", fontsize=9)
        ax.set_xlabel(constant)
        ax.set_ylabel("rollouts reversed (%)")
    for ax in axes.flat[len(panels) :]:
        ax.axis("off")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower right", fontsize=8)
    fig.suptitle("How sign reversals move with the unverified constants (the reward's other constants fixed)")
    fig.tight_layout()
    caption = (
        "Share of wrong rollouts given a positive advantage (solid) and of correct ones given a negative advantage "
        "(dashed), per reward and swept constant, over the cohorts holding both right and wrong rollouts"
    )
    return fig, caption
