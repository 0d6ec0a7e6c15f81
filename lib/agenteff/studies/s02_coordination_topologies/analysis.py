"""Study 02's tables: the published outcomes by architecture, the paper's Table 5 beside measured coordination
metrics, the agent-count sweep and its fitted laws. Frames in, frames out."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import numpy as np
import pandas as pd

from ...engines import topologies
from ...engines.topologies import ARCHITECTURES, MULTI_AGENT_ARCHITECTURES
from ...llm.endpoints import Endpoint, resolve_endpoint
from ...report import PaperValues
from .laws import failure_rate_ratio, fit_turn_law, paper_law

__all__ = [
    "DEFAULTS",
    "TABLE5_METRICS",
    "TURN_FIT_FIXED",
    "TURN_FIT_FREE",
    "DEFAULT_MAX_TOKENS",
    "Experiment",
    "Setting",
    "experiment_setting",
    "run_main",
    "run_agent_sweep",
    "measured_setting",
    "simulated_models",
    "protocol",
    "published_summary",
    "instance_summary",
    "published_error_amplification",
    "example_trajectory",
    "table5_comparison",
    "table5_wide",
    "configurations",
    "fit_turn_laws",
    "law_table",
    "density_points",
    "error_amplification_table",
]

#: Sizes ``fast`` shrinks: (full run, fast run); settled by :func:`agenteff.params.settle`.
DEFAULTS = {"n_tasks": (20, 4), "sweep_tasks": (8, 2), "n_boot": (1000, 200), "law_boot": (500, 200)}
#: Table 5 columns (the published table's names) and the measured metric each corresponds to.
TABLE5_METRICS = {
    "turns_mean": "turns",
    "turns_sd": "turns_sd",
    "overhead_pct": "overhead_pct",
    "message_density": "message_density",
    "redundancy": "redundancy",
    "efficiency": "efficiency",
    "error_amplification": "error_amplification",
    "success_per_1k_tokens": "success_per_1k_tokens",
}
#: The two turn-law fits: the offset b fixed at the paper's value (a and c comparable), and all three free.
TURN_FIT_FIXED = "b fixed at the paper's"
TURN_FIT_FREE = "all free"
_ORDER = {a: i for i, a in enumerate(ARCHITECTURES)}
#: The cap on every completion: an agent's turn is a tool call, a few NOTE lines or a final answer.
DEFAULT_MAX_TOKENS = 256
#: The simulated model the agent-count sweep uses when no real model is given.
_SWEEP_SIM_MODEL = "sim-medium"


@dataclass(frozen=True)
class Experiment:
    """Where and what the experiment calls, from the notebook's parameters: the endpoint (resolved once), the
    models of the main experiment and of the agent-count sweep, and the cap on every completion."""

    endpoint: Endpoint
    models: tuple[str, ...]
    sweep_model: str
    max_tokens: int
    limits: topologies.Limits = topologies.Limits()  # the protocol's turn and round limits


@dataclass(frozen=True)
class Setting:
    """What the measurements are, read from the runs: simulated agents or the model that answered."""

    simulated: bool
    models: tuple[str, ...]  # the models asked for
    label: str  # for titles and captions
    measured_note: str  # for the claims' notes


def experiment_setting(
    base_url: str | None,
    model: str | None,
    sweep_model: str | None = None,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    limits: dict | None = None,
) -> Experiment:
    """The experiment from the notebook's parameters. ``base_url``: None uses ``OPENAI_BASE_URL`` when set, else
    the simulated endpoint; "simulated" forces it (:func:`agenteff.llm.resolve_endpoint`). On the simulated
    endpoint ``model=None`` runs all of :data:`agenteff.engines.topologies.DEFAULT_MODELS`; on a live one it
    picks the endpoint's one served model (asking the endpoint, so an unreachable one fails here). ``limits``
    overrides fields of the paper's protocol (:class:`agenteff.engines.topologies.Limits`), e.g. fewer rounds for
    a model with a small context."""
    endpoint = resolve_endpoint(base_url)
    if int(max_tokens) < 1:
        raise ValueError(f"max_tokens must be a positive number of tokens, not {max_tokens!r}")
    protocol_limits = topologies.Limits.of(limits)
    if endpoint.simulated:
        models = tuple(topologies.DEFAULT_MODELS) if model is None else (model,)
        sweep = sweep_model or (model if model is not None else _SWEEP_SIM_MODEL)
    else:
        models = (endpoint.model_or_default(model),)
        sweep = sweep_model or models[0]
    return Experiment(endpoint, models, sweep, int(max_tokens), protocol_limits)


def run_main(experiment: Experiment, n_tasks: int, seed: int, scheduler=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The main experiment: every architecture (the paper's agent counts) on ``n_tasks`` tasks of both suites with
    every model, resumable on a live endpoint (:func:`agenteff.engines.topologies.run_experiment`)."""
    return topologies.run_experiment(
        experiment.endpoint,
        suites=topologies.SUITES,
        n_tasks=n_tasks,
        models=experiment.models,
        seeds=[seed],
        max_tokens=experiment.max_tokens,
        scheduler=scheduler,
        **asdict(experiment.limits),
    )


def run_agent_sweep(
    experiment: Experiment, n_tasks: int, max_agents: int, seed: int, scheduler=None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The agent-count sweep: every architecture with 1 to ``max_agents`` agents, on both suites, with the sweep
    model."""
    return topologies.run_experiment(
        experiment.endpoint,
        suites=topologies.SUITES,
        n_tasks=n_tasks,
        models=[experiment.sweep_model],
        seeds=[seed],
        n_agents=range(1, int(max_agents) + 1),
        max_tokens=experiment.max_tokens,
        scheduler=scheduler,
        **asdict(experiment.limits),
    )


def _answered_by(runs: pd.DataFrame) -> list[str]:
    """The model ids that answered: the replies' own ids where recorded, else the ids asked for."""
    served = runs["served_model"] if "served_model" in runs else runs["model"]
    names = served.where(served.notna(), runs["model"]).astype(str)
    return sorted({name for value in names for name in value.split(",") if name})


def measured_setting(runs: pd.DataFrame) -> Setting:
    """What the measurements are, from the data: simulated when every run came from the simulated endpoint (the
    runs' ``simulated`` column), else labelled with the model(s) that answered."""
    simulated = bool(runs["simulated"].all())
    models = tuple(dict.fromkeys(runs["model"]))
    if simulated:
        label = "simulated"
        note = (
            "simulated agents (serve-sim) on synthetic suites: the level is a property of the simulation, "
            "not evidence about the paper"
        )
    else:
        answered = ", ".join(_answered_by(runs))
        label = f"model {answered}"
        note = f"measured with {answered} on synthetic suites"
    return Setting(simulated, models, label, note)


def simulated_models() -> pd.DataFrame:
    """The simulated models: per-write error probability and the real model whose prices bill their tokens."""
    return pd.DataFrame(
        [
            {"model": name, "error_prob": error, "priced_as": priced}
            for name, (error, priced) in topologies.DEFAULT_MODELS.items()
        ]
    )


def protocol(limits: topologies.Limits | None = None) -> pd.DataFrame:
    """The protocol's agent counts per architecture and its turn and round limits (None: the paper's)."""
    agents = [{"setting": f"agents: {a}", "value": n} for a, n in topologies.DEFAULT_AGENTS.items()]
    limits = limits or topologies.Limits()
    return pd.DataFrame(agents + [{"setting": f.name, "value": getattr(limits, f.name)} for f in fields(limits)])


def _ordered(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values("architecture", key=lambda s: s.map(_ORDER), kind="stable").reset_index(drop=True)


def published_summary(configs: pd.DataFrame) -> pd.DataFrame:
    """The 180 v2 configurations by architecture: count, benchmarks, models, mean and SD of success."""
    grouped = configs.groupby("architecture")
    out = pd.DataFrame(
        {
            "configurations": grouped.size(),
            "benchmarks": grouped["benchmark"].nunique(),
            "models": grouped["model"].nunique(),
            "success_mean": grouped["success_rate"].mean(),
            "success_sd": grouped["success_rate"].std(),
        }
    ).reset_index()
    return _ordered(out)


def instance_summary(instances: pd.DataFrame) -> pd.DataFrame:
    """v3 per-instance outcomes by architecture: instances, resolved rate, and steps (all instances, and those
    that produced an output)."""
    grouped = instances.groupby("architecture")
    with_output = instances[instances["has_output"]].groupby("architecture")["n_steps"]
    out = pd.DataFrame(
        {
            "instances": grouped.size(),
            "resolved_rate": grouped["resolved"].mean(),
            "steps_mean": grouped["n_steps"].mean(),
            "steps_median": grouped["n_steps"].median(),
            "steps_mean_with_output": with_output.mean(),
        }
    ).reset_index()
    return _ordered(out)


def published_error_amplification(configs: pd.DataFrame, instances: pd.DataFrame, paper: pd.DataFrame) -> pd.DataFrame:
    """Failure-rate error amplification per architecture from the released outcomes, beside the paper's value.

    ``v2_configs``: mean over (benchmark, model) of ``(1 - S_MAS) / (1 - S_SAS)`` on the 180 configurations;
    ``v3_instances``: the same from per-instance outcomes (success rate per benchmark and model over 20
    instances); ``paper``: Table 5's error amplification.
    """
    v2 = failure_rate_ratio(configs).groupby("architecture")["ratio"].agg(["mean", "count"])
    resolved = instances.assign(resolved=instances["resolved"].astype(float))
    v3 = failure_rate_ratio(resolved, success="resolved").groupby("architecture")["ratio"].agg(["mean", "count"])
    out = pd.DataFrame(
        {
            "paper": paper.set_index("architecture")["error_amplification"],
            "v2_configs": v2["mean"],
            "v2_groups": v2["count"],
            "v3_instances": v3["mean"],
            "v3_groups": v3["count"],
        }
    )
    out = out.loc[list(MULTI_AGENT_ARCHITECTURES)].rename_axis("architecture").reset_index()
    return out.astype({"v2_groups": int, "v3_groups": int})


def example_trajectory(
    runs: pd.DataFrame,
    steps: pd.DataFrame,
    architecture: str = "centralized",
    suite: str = "sequential",
    n_steps: int = 10,
) -> pd.DataFrame:
    """The first ``n_steps`` steps of the first run of ``architecture`` on ``suite``: what STEPS holds."""
    chosen = runs[(runs["architecture"] == architecture) & (runs["suite"] == suite)]
    if chosen.empty:
        raise ValueError(f"no {architecture} run on the {suite} suite")
    run_id = chosen.iloc[0]["run_id"]
    columns = ["agent_id", "role", "round", "turn", "content", "recipients"]
    return steps.loc[steps["run_id"] == run_id, columns].head(n_steps)


def table5_comparison(measured: pd.DataFrame, paper: pd.DataFrame) -> pd.DataFrame:
    """Table 5, paper beside measured: one row per architecture and metric with ``paper``, ``measured``,
    ``ci_low``, ``ci_high`` (``measured`` from :func:`agenteff.metrics.coordination` without groups)."""
    rows = []
    measured = measured.set_index(["architecture", "metric"])
    for _, published in paper.iterrows():
        arch = published["architecture"]
        for column, metric in TABLE5_METRICS.items():
            found = (arch, metric) in measured.index
            m = measured.loc[(arch, metric)] if found else pd.Series(np.nan, index=["value", "ci_low", "ci_high"])
            rows.append(
                {
                    "architecture": arch,
                    "metric": metric,
                    "paper": float(published[column]),
                    "measured": float(m["value"]),
                    "ci_low": float(m["ci_low"]),
                    "ci_high": float(m["ci_high"]),
                }
            )
    return _ordered(pd.DataFrame(rows))


def table5_wide(comparison: pd.DataFrame) -> pd.DataFrame:
    """:func:`table5_comparison` for reading: a row per metric, per architecture the paper's and the measured
    value side by side."""
    wide = comparison.pivot(index="metric", columns="architecture", values=["paper", "measured"])
    wide = wide.swaplevel(axis=1)
    architectures = [a for a in _ORDER if a in set(comparison["architecture"])]
    wide = wide[[(a, source) for a in architectures for source in ("paper", "measured")]]
    return wide.loc[[m for m in TABLE5_METRICS.values() if m in wide.index]]


def configurations(per_run: pd.DataFrame, by=("architecture", "n_agents", "suite", "model")) -> pd.DataFrame:
    """Per configuration (from :func:`agenteff.metrics.run_coordination`'s per-run table): runs, success rate,
    mean turns and mean message density."""
    grouped = per_run.groupby(list(by), sort=True)
    return pd.DataFrame(
        {
            "runs": grouped.size(),
            "success": grouped["success"].mean().astype(float),
            "turns": grouped["turns"].mean(),
            "message_density": grouped["message_density"].mean(),
        }
    ).reset_index()


def fit_turn_laws(sweep: pd.DataFrame, paper: PaperValues, n_boot: int, seed: int) -> dict[str, pd.DataFrame]:
    """The turn law fitted to the sweep's per-run turns (from :func:`agenteff.metrics.run_coordination`) twice:
    ``{TURN_FIT_FIXED: b at the paper's value, TURN_FIT_FREE: a, b and c fitted}`` (see :func:`fit_turn_law`)."""
    offset = paper_law(paper, "turn")["b"]
    return {
        TURN_FIT_FIXED: fit_turn_law(sweep["n_agents"], sweep["turns"], b=offset, n_boot=n_boot, seed=seed),
        TURN_FIT_FREE: fit_turn_law(sweep["n_agents"], sweep["turns"], n_boot=n_boot, seed=seed),
    }


def law_table(fits: dict[str, pd.DataFrame], published: dict[str, float]) -> pd.DataFrame:
    """Fitted parameters (``{fit label: fit}``) with the paper's value of each beside them."""
    table = pd.concat(fits, names=["fit"]).droplevel(1)
    return table.assign(paper=table["param"].map(published))


def density_points(*per_run: pd.DataFrame) -> pd.DataFrame:
    """One point per configuration (:func:`configurations`) of every per-run table given (sweep, main runs)."""
    return pd.concat([configurations(frame) for frame in per_run], ignore_index=True)


def error_amplification_table(measured: pd.DataFrame, published_ea: pd.DataFrame) -> pd.DataFrame:
    """Error amplification per multi-agent architecture, every definition: measured failure-rate and trace-level
    ratios, the paper's figure and the failure-rate ratios of the released outcomes."""
    rows = measured[
        measured["metric"].isin(["error_amplification", "error_amplification_trace"])
        & measured["architecture"].isin(MULTI_AGENT_ARCHITECTURES)
    ]
    wide = rows.pivot(index="architecture", columns="metric", values="value")
    wide = wide.join(published_ea.set_index("architecture")[["paper", "v2_configs", "v3_instances"]])
    return wide.loc[[a for a in MULTI_AGENT_ARCHITECTURES if a in wide.index]]
