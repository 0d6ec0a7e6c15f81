"""Study 07 figures: one figure function per saved figure, named after its files, returning the figure and its
caption (:func:`agenteff.report.figure`); figures with simulated panels say so and carry the stamp."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from ... import report
from .simulations import llm_label

__all__ = [
    "welfare_vs_consideration",
    "first_proposal_advantage",
    "bankruptcy_vs_size",
    "stabilizer_dose_response",
    "tokens_per_eas",
]


@report.figure
def welfare_vs_consideration(sweep: pd.DataFrame, llm: pd.DataFrame):
    """Welfare share of the optimum against consideration-set size, rule-based policies and LLM assistants."""
    fig, ax = plt.subplots(figsize=(7, 4.2))
    labels = {"best_of_k": "best of first k", "noisy": "noisy ranker of first k"}
    for policy, group in sweep[sweep["policy"] != "first"].groupby("policy"):
        summary = group.groupby("k")["welfare_share"].agg(["mean", "std"])
        ax.errorbar(summary.index, summary["mean"], yerr=summary["std"], marker="o", capsize=3, label=labels[policy])
    first = sweep.loc[sweep["policy"] == "first", "welfare_share"].mean()
    ax.axhline(first, color="0.4", ls=":", label="first proposal")
    for model, group in llm.groupby("model"):
        ax.plot(group["k"], group["welfare_share"], marker="s", ls="--", label=f"LLM {model}")
    ax.set_xscale("log")
    ks = sorted(sweep["k"].unique())
    ax.set_xticks(ks, [str(k) for k in ks])
    ax.minorticks_off()
    ax.set_xlabel("consideration set: first k proposals (log)")
    ax.set_ylabel("welfare / optimal welfare")
    ax.set_title("Welfare vs consideration-set size (simulated)")
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    return report.mark_simulated(fig), (
        "Simulated welfare as a share of the optimum against the number of proposals considered, for "
        f"rule-based assistants (mean and SD over markets) and {llm_label(llm)}."
    )


@report.figure
def first_proposal_advantage(sweep: pd.DataFrame, llm: pd.DataFrame, paper_low: float, paper_high: float):
    """Sales of the fastest over the best business: best-of-k by market size (left), first-proposal bias (right):
    each LLM assistant at the share of its customers that took the first proposal (measured, not its setting)."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for n, group in sweep[sweep["policy"] == "best_of_k"].groupby("n_businesses"):
        shown = group[np.isfinite(group["speed_advantage"]) & (group["speed_advantage"] > 0)]
        left.plot(shown["k"], shown["speed_advantage"], marker="o", label=f"{n} businesses")
    for axis in (left, right):
        axis.axhspan(paper_low, paper_high, color="C3", alpha=0.15, label="paper's range")
        axis.set_yscale("log")
        axis.set_ylabel("sales of fastest / sales of best (x)")
    left.set_xscale("log")
    ks = sorted(sweep.loc[sweep["policy"] == "best_of_k", "k"].unique())
    left.set_xticks(ks, [str(k) for k in ks])
    left.minorticks_off()
    left.set_xlabel("best of the first k proposals (log; k=1 and ties give infinity, omitted)")
    left.set_title("Consideration set (simulated)")
    left.legend(fontsize=7)
    q = np.linspace(0.01, 0.99, 200)
    right.plot(q, q / (1 - q), color="0.4", label="q / (1 - q): the rest find the best")
    right.scatter(
        llm["fastest_share"],
        llm["speed_advantage"].replace(np.inf, np.nan),
        color="C0",
        zorder=3,
        label=llm_label(llm),
    )
    right.set_xlabel("share q of customers taking the first proposal")
    right.set_title("First-proposal bias (simulated)")
    right.legend(fontsize=7)
    fig.tight_layout()
    return report.mark_simulated(fig), (
        "Simulated sales of the fastest over the best business: best of the first k proposals by market size "
        f"(left); share of customers taking the first proposal, with {llm_label(llm)} (right). Shaded: "
        f"the paper's {paper_low:g}-{paper_high:g}x."
    )


@report.figure
def bankruptcy_vs_size(model_table: pd.DataFrame, correlation: dict):
    """Per open-weight model: mean bankruptcy rate and health (bootstrap 95% intervals) against parameters."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    table = model_table.dropna(subset=["params_b"])
    developers = sorted(table["developer"].unique())
    palette = dict(zip(developers, sns.color_palette("colorblind", len(developers))))
    for axis, metric, label, rho in (
        (axes[0], "bankruptcy", "bankruptcy rate", correlation["rho_bankruptcy"]),
        (axes[1], "health", "health score S", correlation["rho_health"]),
    ):
        column = "bankruptcy_rate" if metric == "bankruptcy" else "health"
        for developer, group in table.groupby("developer"):
            err = np.vstack([group[column] - group[f"{metric}_low"], group[f"{metric}_high"] - group[column]])
            axis.errorbar(
                group["params_b"],
                group[column],
                yerr=np.clip(err, 0, None),
                fmt="o",
                capsize=3,
                color=palette[developer],
                label=developer,
            )
        axis.set_xscale("log")
        axis.set_xlabel("parameters (billions, log)")
        axis.set_ylabel(label)
        axis.set_title(f"{label.capitalize()} vs size (Spearman rho {rho:+.2f})")
    axes[1].legend(fontsize=7, ncol=2)
    fig.suptitle("THE_CRASH, open-weight LLM firms (released outcomes)")
    fig.tight_layout()
    return fig, (
        f"THE_CRASH outcomes of open-weight LLM firms ({len(table)} models; released per-seed data, thesis branch): "
        "mean bankruptcy rate and health score per model against parameters, bootstrap 95% intervals."
    )


@report.figure
def stabilizer_dose_response(released: pd.DataFrame, simulated: pd.DataFrame):
    """Bankruptcy rate against stabilizing firms k: released open-weight outcomes, and the rule-based simulation."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    err = np.vstack(
        [
            released["bankruptcy_rate"] - released["bankruptcy_rate_low"],
            released["bankruptcy_rate_high"] - released["bankruptcy_rate"],
        ]
    )
    left.errorbar(
        released["n_stab"], released["bankruptcy_rate"], yerr=err, marker="o", capsize=3, label="mean over models"
    )
    left.plot(released["n_stab"], released["all_bankrupt"], marker="x", ls=":", label="share of runs all bankrupt")
    left.set_title("Released outcomes, open-weight LLM firms")
    for discovery, group in simulated.groupby("discovery"):
        summary = group.groupby("n_stab")["bankruptcy_rate"].mean()
        right.plot(summary.index, summary.to_numpy(), marker="o", label=f"discovery limit {discovery}")
    right.set_title("Rule-based firms (simulated)")
    for axis in (left, right):
        axis.set_xlabel("stabilizing firms k (of 5)")
        axis.legend(fontsize=7)
    left.set_ylabel("bankruptcy rate")
    fig.tight_layout()
    return report.mark_simulated(fig), (
        "Bankruptcy rate against stabilizing firms: released open-weight outcomes (left, 95% bootstrap over "
        "models) and rule-based firms in a simulated THE_CRASH by consumer discovery limit (right)."
    )


@report.figure
def tokens_per_eas(eas: pd.DataFrame, crash: pd.DataFrame):
    """Tokens per unit of EAS (THE_LEMON_MARKET) and per surviving firm (THE_CRASH), per release."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    eas = eas.sort_values("tokens_per_eas")
    left.barh(eas["release"], eas["tokens_per_eas"] / 1e6, color="C0")
    left.set_xlabel("million tokens per run / EAS")
    left.set_title("THE_LEMON_MARKET: tokens per EAS")
    finite = crash[np.isfinite(crash["tokens_per_surviving_firm"])].sort_values("tokens_per_surviving_firm")
    right.barh(finite["release"], finite["tokens_per_surviving_firm"] / 1e6, color="C1")
    right.set_xlabel("million tokens per surviving firm")
    right.set_title("THE_CRASH: tokens per surviving firm")
    for axis in (left, right):
        axis.tick_params(axis="y", labelsize=7)
    fig.tight_layout()
    return fig, (
        "Released Agent Bazaar runs: tokens per run divided by the release's EAS (THE_LEMON_MARKET) and tokens "
        "per surviving firm (THE_CRASH), per release folder (thesis branch)."
    )
