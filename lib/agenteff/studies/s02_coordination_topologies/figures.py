"""Study 02's figures: one figure function per saved figure, named after its files, frames in, ``(figure,
caption)`` out (:func:`agenteff.report.figure`; style from :func:`agenteff.report.set_style`). Figures drawn from
simulated runs say so in their titles and carry the 'simulated data' stamp (:func:`agenteff.report.mark_simulated`)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.container import BarContainer

from ... import metrics, report
from ...engines.topologies import ARCHITECTURES, MULTI_AGENT_ARCHITECTURES
from .analysis import Setting
from .laws import density_saturation, paper_law, turns_by_law

__all__ = [
    "published_outcomes",
    "error_amplification",
    "table5_measured_vs_paper",
    "success_by_architecture",
    "turn_law",
    "success_vs_message_density",
]

ORDER = list(ARCHITECTURES)
#: Table-5 panels whose paper and measured values differ by orders of magnitude.
_LOG_PANELS = ("error_amplification", "success_per_1k_tokens")


def _mark_if_simulated(fig, setting: Setting) -> None:
    if setting.simulated:
        report.mark_simulated(fig)


@report.figure
def published_outcomes(configs: pd.DataFrame, instances: pd.DataFrame):
    """Success by architecture per benchmark (v2 configurations and v3 instances), and v3 steps."""
    v3 = (
        instances.assign(resolved=instances["resolved"].astype(float))
        .groupby(["benchmark", "architecture", "model"], as_index=False)["resolved"]
        .mean()
        .rename(columns={"resolved": "success_rate"})
    )
    both = pd.concat([configs[["benchmark", "architecture", "model", "success_rate"]], v3], ignore_index=True)
    benchmarks = list(dict.fromkeys(both["benchmark"]))
    palette = dict(zip(benchmarks, sns.color_palette("colorblind", len(benchmarks))))
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.5), gridspec_kw={"width_ratios": [3, 2]})
    sns.pointplot(
        both,
        x="architecture",
        y="success_rate",
        hue="benchmark",
        order=ORDER,
        dodge=0.5,
        errorbar=("ci", 95),
        seed=0,
        linestyle="none",
        palette=palette,
        ax=left,
    )
    left.set(
        title=f"Published success by architecture (mean over {both['model'].nunique()} models, 95% CI)",
        xlabel="architecture",
        ylabel="success rate (fraction of tasks)",
    )
    left.legend(title="benchmark", fontsize=8, bbox_to_anchor=(1.0, 1.0), loc="upper left")
    sns.boxplot(
        instances[instances["has_output"]],
        x="architecture",
        y="n_steps",
        hue="benchmark",
        order=ORDER,
        palette=palette,
        ax=right,
        fliersize=2,
    )
    right.set(
        title="v3 steps per instance (instances with output)", xlabel="architecture", ylabel="agent steps per instance"
    )
    right.tick_params(axis="x", rotation=30)
    left.tick_params(axis="x", rotation=30)
    fig.tight_layout()
    return fig, (
        "Published success rate by architecture per benchmark (v2 configurations, v3 instances), and "
        "steps per v3 instance by architecture."
    )


@report.figure
def error_amplification(table: pd.DataFrame, measured: pd.DataFrame, setting: Setting):
    """The paper's error amplification beside failure-rate ratios from released outcomes and measured runs
    (``table`` from :func:`~.analysis.published_error_amplification`, ``measured`` from
    :func:`agenteff.metrics.coordination`)."""
    long = table.melt(
        id_vars="architecture",
        value_vars=["paper", "v2_configs", "v3_instances"],
        var_name="source",
        value_name="amplification",
    )
    rows = measured[
        (measured["metric"] == "error_amplification") & measured["architecture"].isin(MULTI_AGENT_ARCHITECTURES)
    ]
    long = pd.concat(
        [
            long,
            rows.assign(source=f"measured ({setting.label})")[["architecture", "source", "value"]].rename(
                columns={"value": "amplification"}
            ),
        ],
        ignore_index=True,
    )
    labels = {
        "paper": "paper, Table 5",
        "v2_configs": "failure-rate ratio, released v2 configurations",
        "v3_instances": "failure-rate ratio, released v3 instances",
    }
    long["source"] = long["source"].map(lambda s: labels.get(s, s))
    fig, ax = plt.subplots(figsize=(9, 4.5))
    sns.barplot(long, x="architecture", y="amplification", hue="source", order=list(MULTI_AGENT_ARCHITECTURES), ax=ax)
    ax.set_yscale("log")
    ax.axhline(1, color="0.3", lw=1, ls="--")
    for container in ax.containers:
        if isinstance(container, BarContainer):
            ax.bar_label(container, fmt="%.2f", fontsize=7)
    title = "Error amplification: the paper's figures are not failure-rate ratios"
    if setting.simulated:
        title += " (measured bars: simulated)"
    ax.set(title=title, xlabel="architecture", ylabel="amplification vs single agent (x, log scale)")
    ax.legend(fontsize=8)
    _mark_if_simulated(fig, setting)
    return fig, (
        "Error amplification per architecture: the paper's Table 5 beside failure-rate ratios from the "
        f"released v2 configurations and v3 instances, and from measured runs ({setting.label})."
    )


@report.figure
def table5_measured_vs_paper(comparison: pd.DataFrame, setting: Setting):
    """One panel per Table-5 metric: measured (with 95% CI) as bars, the paper's value as a marker."""
    shown = [m for m in comparison["metric"].unique() if m != "turns_sd"]
    fig, axes = plt.subplots(2, 4, figsize=(15, 7))
    for ax, metric in zip(axes.flat, shown):
        rows = comparison[comparison["metric"] == metric].set_index("architecture").reindex(ORDER)
        x = np.arange(len(ORDER))
        err = np.vstack([rows["measured"] - rows["ci_low"], rows["ci_high"] - rows["measured"]])
        ax.bar(x, rows["measured"], yerr=np.nan_to_num(err), color="C0", alpha=0.8, capsize=3, label="measured")
        ax.scatter(x, rows["paper"], color="C3", marker="D", zorder=3, label="paper")
        ax.set_xticks(x, ORDER, rotation=30)
        ax.set(title=metric, ylabel=metrics.COORDINATION_METRICS[metric])
        if metric in _LOG_PANELS:
            ax.set_yscale("log")
            ax.set_ylabel(f"{metrics.COORDINATION_METRICS[metric]} (log scale)")
    for ax in axes.flat[len(shown) :]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=8)
    fig.suptitle(f"Table 5 measured from trajectories ({setting.label}) vs paper")
    fig.tight_layout()
    _mark_if_simulated(fig, setting)
    return fig, (
        f"Table 5 coordination metrics measured from trajectories ({setting.label}), 95% bootstrap CIs, "
        "with the paper's values as diamonds."
    )


@report.figure
def success_by_architecture(result: pd.DataFrame, setting: Setting):
    """Success by architecture per suite and model, with 95% CIs (``result`` from
    :func:`agenteff.metrics.coordination` grouped by suite and model)."""
    rows = result[result["metric"] == "success"]
    g = sns.FacetGrid(rows, col="suite", height=4, aspect=1.3, sharey=True)
    for ax, (suite, frame) in zip(g.axes.flat, rows.groupby("suite", sort=True)):
        models = sorted(frame["model"].unique())
        width = 0.8 / len(models)
        for i, model in enumerate(models):
            part = frame[frame["model"] == model].set_index("architecture").reindex(ORDER)
            x = np.arange(len(ORDER)) + (i - (len(models) - 1) / 2) * width
            err = np.vstack([part["value"] - part["ci_low"], part["ci_high"] - part["value"]])
            ax.bar(x, part["value"], width, yerr=np.nan_to_num(err), capsize=2, label=model, color=f"C{i}")
        ax.set_xticks(np.arange(len(ORDER)), ORDER, rotation=30)
        ax.set(title=f"{suite} suite", xlabel="architecture", ylabel="success rate (fraction of runs)", ylim=(0, 1.05))
    g.axes.flat[-1].legend(title="model", fontsize=8, bbox_to_anchor=(1.02, 1.0), loc="upper left")
    g.figure.suptitle(f"Success by architecture, suite and model ({setting.label})", y=1.03)
    g.figure.subplots_adjust(bottom=0.3)  # room below the tick labels for the 'simulated data' stamp
    _mark_if_simulated(g.figure, setting)
    return g.figure, (
        f"Success rate by architecture on the parallel and sequential suites per model "
        f"({setting.label}), 95% bootstrap CIs."
    )


@report.figure
def turn_law(per_run: pd.DataFrame, fits: dict[str, pd.DataFrame], paper: report.PaperValues, setting: Setting):
    """Turns per run against agent count, per architecture, with the fitted laws (``{label: fit}``, from
    :func:`~.analysis.fit_turn_laws`) and the paper's law."""
    fig, ax = plt.subplots(figsize=(8, 5))
    means = per_run.groupby(["architecture", "n_agents"], as_index=False)["turns"].mean()
    sns.lineplot(means, x="n_agents", y="turns", hue="architecture", hue_order=ORDER, marker="o", ax=ax)
    grid = np.linspace(1, per_run["n_agents"].max(), 100)
    for (label, fit), style in zip(fits.items(), ("-", ":")):
        p = fit.set_index("param")["value"]
        ax.plot(
            grid,
            turns_by_law(grid, p["a"], p["b"], p["c"]),
            color="k",
            lw=2,
            ls=style,
            label=f"fit, {label}: T = {p['a']:.2f} (n + {p['b']:.2f})^{p['c']:.2f}",
        )
    law = paper_law(paper, "turn")
    ax.plot(
        grid,
        turns_by_law(grid, law["a"], law["b"], law["c"]),
        color="0.5",
        lw=2,
        ls="--",
        label=f"paper: T = {law['a']:g} (n + {law['b']:g})^{law['c']:g}",
    )
    ax.set(
        title=f"Turns against agent count ({setting.label})",
        xlabel="agents n (orchestrator included)",
        ylabel="turns per run (model calls)",
    )
    ax.legend(fontsize=8)
    _mark_if_simulated(fig, setting)
    who = f"{setting.label}, {', '.join(setting.models)}" if setting.simulated else setting.label
    return fig, (
        f"Mean turns per run by architecture and agent count ({who}), the fitted law T = a (n + b)^c and the "
        "paper's law."
    )


@report.figure
def success_vs_message_density(configs: pd.DataFrame, fit: pd.DataFrame, paper: report.PaperValues, setting: Setting):
    """Success rate against message density per configuration, with the fitted and the paper's log law and the
    paper's saturation density."""
    fig, ax = plt.subplots(figsize=(8, 5))
    sns.scatterplot(
        configs,
        x="message_density",
        y="success",
        hue="architecture",
        style="suite",
        hue_order=[a for a in ORDER if a in set(configs["architecture"])],
        ax=ax,
    )
    positive = configs["message_density"][configs["message_density"] > 0]
    grid = np.linspace(max(positive.min(), 0.02), positive.max(), 100)
    p = fit.set_index("param")["value"]
    ax.plot(grid, p["a"] + p["b"] * np.log(grid), color="k", lw=2, label=f"fit: S = {p['a']:.2f} + {p['b']:.2f} ln(c)")
    law = paper_law(paper, "density")
    ax.plot(
        grid,
        law["a"] + law["b"] * np.log(grid),
        color="k",
        ls="--",
        label=f"paper: S = {law['a']:g} + {law['b']:g} ln(c)",
    )
    c_star = density_saturation(paper)
    ax.axvline(c_star, color="C3", ls=":", label=f"paper's saturation c* = {c_star:g}")
    ax.set(
        title=f"Success against message density ({setting.label})",
        xlabel="message density c (inter-agent messages per turn)",
        ylabel="success rate (fraction of runs)",
    )
    ax.legend(fontsize=7, bbox_to_anchor=(1.0, 1.0), loc="upper left")
    _mark_if_simulated(fig, setting)
    return fig, (
        f"Success rate against inter-agent messages per turn per configuration ({setting.label}), with "
        "the fitted and the paper's log law and the paper's saturation density."
    )
