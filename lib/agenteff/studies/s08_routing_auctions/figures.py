"""Study 08's figures: one function per file the notebook saves, each returning the figure and its caption; the
auction figure of simulated agents says so and carries the stamp."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ... import plots, report
from ...engines.auction import AuctionRun
from .analysis import COST_UNITS, LARGEST, SIZES, auction_models_label, is_simulated

__all__ = ["router_frontier", "accuracy_by_complexity", "auction_reliance_cost"]


@report.figure
def router_frontier(frontiers: dict[str, pd.DataFrame]):
    """One accuracy-cost panel per cost model: every router with its intervals, the frontier outlined."""
    fig, axes = plt.subplots(1, len(frontiers), figsize=(6.5 * len(frontiers), 5), squeeze=False)
    for ax, (cost_model, points) in zip(axes[0], frontiers.items()):
        kind = points["router"].str.split(" ").str[0].replace({"always": "one size"})
        points = points.assign(kind=kind)
        ax.errorbar(
            points["cost"],
            points["accuracy"] * 100,
            yerr=[
                (points["accuracy"] - points["accuracy_low"]) * 100,
                (points["accuracy_high"] - points["accuracy"]) * 100,
            ],
            xerr=[points["cost"] - points["cost_low"], points["cost_high"] - points["cost"]],
            fmt="none",
            ecolor="0.75",
            lw=0.8,
            zorder=0,
        )
        plots.draw_frontier(
            ax, points, cost="cost", accuracy="accuracy", hue="kind", label="router", accuracy_scale=100
        )
        for name in ("oracle", f"always {LARGEST}"):
            ax.annotate(
                name,
                (points.loc[name, "cost"], points.loc[name, "accuracy"] * 100),
                fontsize=7,
                textcoords="offset points",
                xytext=(6, 4),
            )
        ax.set_xlabel(f"mean cost per question [{COST_UNITS.get(cost_model, cost_model)}]")
        ax.set_ylabel("accuracy (judge: CORRECT) [%]")
        ax.set_title(f"FRAMES routers, cost by {cost_model}")
        ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    n = int(points["router"].size)
    caption = (
        f"Accuracy against mean cost per question of {n} routers over six Qwen3 sizes on the 824 FRAMES "
        "questions (AgentStop release, authors' judge), one panel per cost model; bars: 95% bootstrap "
        "intervals; outlined points and the grey step: the Pareto frontier of the deployable routers (the "
        "oracle, which needs the verdicts, is shown for reference)."
    )
    return fig, caption


@report.figure
def accuracy_by_complexity(by_complexity: pd.DataFrame, ratios: pd.DataFrame):
    """Top: accuracy of each size by complexity proxy; bottom: the small/large accuracy ratio by proxy."""
    proxies = list(by_complexity["proxy"].unique())
    fig, axes = plt.subplots(2, len(proxies), figsize=(6 * len(proxies), 8), squeeze=False)
    order = [m for m in SIZES if m in set(by_complexity["model"])]
    for column, proxy in enumerate(proxies):
        ax = axes[0, column]
        for model in order:
            sub = by_complexity[(by_complexity["proxy"] == proxy) & (by_complexity["model"] == model)]
            ax.errorbar(
                sub["level"],
                sub["accuracy"] * 100,
                yerr=[(sub["accuracy"] - sub["low"]) * 100, (sub["high"] - sub["accuracy"]) * 100],
                marker="o",
                capsize=3,
                label=model,
            )
        ax.set_xlabel(f"{proxy} per question")
        ax.set_ylabel("accuracy [%]")
        ax.set_title(f"FRAMES accuracy by {proxy}")
        ax.legend(fontsize=7)
        ax = axes[1, column]
        sub = ratios[ratios["proxy"] == proxy]
        ax.errorbar(
            sub["level"],
            sub["ratio"] * 100,
            yerr=[(sub["ratio"] - sub["low"]) * 100, (sub["high"] - sub["ratio"]) * 100],
            marker="s",
            capsize=3,
            color="k",
        )
        ax.axhline(100, color="0.6", lw=0.8, ls="--")
        ax.set_xlabel(f"{proxy} per question")
        ax.set_ylabel(f"{sub['small'].iloc[0]} / {sub['large'].iloc[0]} accuracy [%]")
        ax.set_title(f"small/large ratio by {proxy}")
    fig.tight_layout()
    caption = (
        "FRAMES accuracy of six Qwen3 sizes (one inference, authors' judge) by two complexity proxies, "
        "and the small-to-large accuracy ratio, with 95% bootstrap intervals over questions."
    )
    return fig, caption


@report.figure
def auction_reliance_cost(summaries: pd.DataFrame, run: AuctionRun):
    """The largest agent's share of wins and the cost of the auction against always-largest; titled simulated
    or with the models that answered, from ``run`` (the :class:`agenteff.engines.auction.AuctionRun`)."""
    simulated = is_simulated(run)
    tag = "simulated" if simulated else auction_models_label(run)
    levels = summaries[summaries["complexity"] != "all"]
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    axes[0].plot(levels["complexity"], levels["largest_share"] * 100, marker="o")
    axes[0].axhline(100, color="0.6", ls="--", lw=0.8, label="always largest")
    axes[0].set_xlabel("task complexity [steps]")
    axes[0].set_ylabel("tasks won by the largest agent [%]")
    axes[0].set_title(f"Auction: reliance on the largest agent ({tag})")
    axes[0].legend()
    x = np.arange(len(levels))
    for offset, column, label in (
        (-0.27, "largest_cost", "always largest"),
        (0.0, "execution_cost", "auction: execution only"),
        (0.27, "auction_cost", "auction: with plans and jury"),
    ):
        axes[1].bar(x + offset, levels[column], width=0.27, label=label)
    axes[1].set_xticks(x, levels["complexity"])
    axes[1].set_xlabel("task complexity [steps]")
    axes[1].set_ylabel("total cost [cost units]")
    axes[1].set_title(f"Auction cost against always-largest ({tag})")
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    total = summaries[summaries["complexity"] == "all"].iloc[0]
    who = "SIMULATED agents" if simulated else f"Agents {tag}"
    caption = (
        f"{who} on {int(total['tasks'])} arithmetic tasks: share of tasks the largest agent wins "
        "in the auction, and total cost (execution only, and with the planning and jury calls) against the "
        "largest agent alone, by complexity. "
        + ("Simulated; not" if simulated else "A live run of this re-implementation, not")
        + " a measurement of the paper's system."
    )
    return (report.mark_simulated(fig) if simulated else fig), caption
