"""Study 02's figures: one function per figure, frames in, a matplotlib figure out (style from
:func:`agenteff.report.set_style`). Titles of figures drawn from simulated runs say so."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from ... import metrics
from .analysis import MAS_ARCHITECTURES

__all__ = ["plot_published_outcomes", "plot_error_amplification", "plot_table5", "plot_success",
           "plot_turn_law", "plot_density"]

ORDER = ["single", *MAS_ARCHITECTURES]
#: Table-5 panels whose paper and measured values differ by orders of magnitude.
_LOG_PANELS = ("error_amplification", "success_per_1k_tokens")


def plot_published_outcomes(configs: pd.DataFrame, instances: pd.DataFrame):
    """Success by architecture per benchmark (v2 configurations and v3 instances), and v3 steps."""
    v3 = (instances.assign(resolved=instances["resolved"].astype(float))
          .groupby(["benchmark", "architecture", "model"], as_index=False)["resolved"].mean()
          .rename(columns={"resolved": "success_rate"}))
    both = pd.concat([configs[["benchmark", "architecture", "model", "success_rate"]], v3], ignore_index=True)
    benchmarks = list(dict.fromkeys(both["benchmark"]))
    palette = dict(zip(benchmarks, sns.color_palette("colorblind", len(benchmarks))))
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.5), gridspec_kw={"width_ratios": [3, 2]})
    sns.pointplot(both, x="architecture", y="success_rate", hue="benchmark", order=ORDER, dodge=0.5,
                  errorbar=("ci", 95), seed=0, linestyle="none", palette=palette, ax=left)
    left.set(title="Published success by architecture (mean over 9 models, 95% CI)", xlabel="architecture",
             ylabel="success rate (fraction of tasks)")
    left.legend(title="benchmark", fontsize=8, bbox_to_anchor=(1.0, 1.0), loc="upper left")
    sns.boxplot(instances[instances["has_output"]], x="architecture", y="n_steps", hue="benchmark", order=ORDER,
                palette=palette, ax=right, fliersize=2)
    right.set(title="v3 steps per instance (instances with output)", xlabel="architecture",
              ylabel="agent steps per instance")
    right.tick_params(axis="x", rotation=30)
    left.tick_params(axis="x", rotation=30)
    fig.tight_layout()
    return fig


def plot_error_amplification(table: pd.DataFrame, measured: pd.DataFrame | None = None):
    """The paper's error amplification beside failure-rate ratios from released outcomes (and measured runs)."""
    long = table.melt(id_vars="architecture", value_vars=["paper", "v2_configs", "v3_instances"],
                      var_name="source", value_name="amplification")
    if measured is not None:
        rows = measured[(measured["metric"] == "error_amplification") & measured["architecture"].isin(MAS_ARCHITECTURES)]
        long = pd.concat([long, rows.assign(source="measured (simulated)")[["architecture", "source", "value"]]
                         .rename(columns={"value": "amplification"})], ignore_index=True)
    labels = {"paper": "paper, Table 5", "v2_configs": "failure-rate ratio, 180 released configs",
              "v3_instances": "failure-rate ratio, v3 released instances"}
    long["source"] = long["source"].map(lambda s: labels.get(s, s))
    fig, ax = plt.subplots(figsize=(9, 4.5))
    sns.barplot(long, x="architecture", y="amplification", hue="source", order=list(MAS_ARCHITECTURES), ax=ax)
    ax.set_yscale("log")
    ax.axhline(1, color="0.3", lw=1, ls="--")
    for container in ax.containers:
        ax.bar_label(container, fmt="%.2f", fontsize=7)
    title = "Error amplification: the paper's figures are not failure-rate ratios"
    if measured is not None:
        title += " (measured bars: simulated)"
    ax.set(title=title, xlabel="architecture", ylabel="amplification vs single agent (x, log scale)")
    ax.legend(fontsize=8)
    return fig


def plot_table5(comparison: pd.DataFrame, title_suffix: str = "simulated"):
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
    for ax in axes.flat[len(shown):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=8)
    fig.suptitle(f"Table 5 measured from trajectories ({title_suffix}) vs paper")
    fig.tight_layout()
    return fig


def plot_success(result: pd.DataFrame, title: str):
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
    g.figure.suptitle(title, y=1.03)
    g.figure.subplots_adjust(bottom=0.3)  # room below the tick labels for the 'simulated data' stamp
    return g.figure


def plot_turn_law(per_run: pd.DataFrame, fits: dict[str, pd.DataFrame], paper: dict, title: str):
    """Turns per run against agent count, per architecture, with fitted laws (``{label: fit}``) and the
    paper's law."""
    fig, ax = plt.subplots(figsize=(8, 5))
    means = per_run.groupby(["architecture", "n_agents"], as_index=False)["turns"].mean()
    sns.lineplot(means, x="n_agents", y="turns", hue="architecture", hue_order=ORDER, marker="o", ax=ax)
    grid = np.linspace(1, per_run["n_agents"].max(), 100)
    for (label, fit), style in zip(fits.items(), ("-", ":")):
        p = fit.set_index("param")["value"]
        ax.plot(grid, metrics.turn_law(grid, p["a"], p["b"], p["c"]), color="k", lw=2, ls=style,
                label=f"{label}: T = {p['a']:.2f} (n + {p['b']:.2f})^{p['c']:.2f}")
    ax.plot(grid, metrics.turn_law(grid, paper["a"], paper["b"], paper["c"]), color="0.5", lw=2, ls="--",
            label=f"paper: T = {paper['a']} (n + {paper['b']})^{paper['c']}")
    ax.set(title=title, xlabel="agents n (orchestrator included)", ylabel="turns per run (model calls)")
    ax.legend(fontsize=8)
    return fig


def plot_density(configs: pd.DataFrame, fit: pd.DataFrame, paper: dict, c_star: float, title: str):
    """Success rate against message density per configuration, with the fitted and the paper's log law."""
    fig, ax = plt.subplots(figsize=(8, 5))
    sns.scatterplot(configs, x="message_density", y="success", hue="architecture", style="suite",
                    hue_order=[a for a in ORDER if a in set(configs["architecture"])], ax=ax)
    positive = configs["message_density"][configs["message_density"] > 0]
    grid = np.linspace(max(positive.min(), 0.02), positive.max(), 100)
    p = fit.set_index("param")["value"]
    ax.plot(grid, p["a"] + p["b"] * np.log(grid), color="k", lw=2,
            label=f"fit: S = {p['a']:.2f} + {p['b']:.2f} ln(c)")
    ax.plot(grid, paper["a"] + paper["b"] * np.log(grid), color="k", ls="--",
            label=f"paper: S = {paper['a']} + {paper['b']} ln(c)")
    ax.axvline(c_star, color="C3", ls=":", label=f"paper's saturation c* = {c_star}")
    ax.set(title=title, xlabel="message density c (inter-agent messages per turn)",
           ylabel="success rate (fraction of runs)")
    ax.legend(fontsize=7, bbox_to_anchor=(1.0, 1.0), loc="upper left")
    return fig
