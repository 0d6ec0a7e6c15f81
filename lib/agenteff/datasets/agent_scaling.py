"""Parsers for the scaling study (Kim et al., 'Towards a Science of Scaling Agent Systems', arXiv:2512.08296).

* :func:`parse_v2_configs` reads the published figures carried in ``data/published/scaling/`` (see the data card
  there): the 180 configurations of the paper's v2, Table 5's per-architecture coordination metrics, the model
  capability index and the tools per benchmark: the inputs of the paper's regression. (The paper's own results
  are in the ``paper-values`` data set, ``data/published/scaling/paper_values.csv``.)
* :func:`parse_v3_instances` reads the authors' per-instance outcomes on SWE-bench Verified and Terminal-Bench
  (``scripts/per_instance_results_swe_tb.csv`` of github.com/Haseebae/agent-scaling), the material behind the
  90 configurations added in v3, and aggregates them into configurations shaped like the v2 table.

Architectures are normalised to the short names of :data:`agenteff.schema.ARCHITECTURES`, the
project's one architecture list; benchmark ids are kept as the authors' release spells them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ..schema import ARCHITECTURES, Column, Schema, read_csv, validate

__all__ = [
    "ARCHITECTURES",
    "CONFIGS",
    "COORDINATION_METRICS",
    "INTELLIGENCE_INDEX",
    "TOOL_COUNTS",
    "INSTANCES",
    "normalize_architecture",
    "short_model_id",
    "aggregate_instances",
    "parse_v2_configs",
    "parse_v3_instances",
]

CONFIGS = Schema(
    "scaling_configs",
    (
        Column("benchmark", "str", doc="benchmark id as in the authors' release"),
        Column("architecture", "str", allowed=ARCHITECTURES, doc="agent architecture (short name)"),
        Column("vendor", "str", doc="model vendor"),
        Column("model", "str", doc="model id as run"),
        Column("model_short", "str", doc="model id without date suffix; key of the capability index"),
        Column("success_rate", "float", minimum=0, maximum=1, doc="fraction of benchmark instances solved"),
    ),
    unique=("benchmark", "architecture", "model"),
    doc="One row per (benchmark, architecture, model) configuration with its success rate.",
)

COORDINATION_METRICS = Schema(
    "scaling_coordination_metrics",
    (
        Column("architecture", "str", allowed=ARCHITECTURES),
        Column("overhead_pct", "float", minimum=0, doc="coordination overhead O, % extra turns vs single agent"),
        Column("message_density", "float", minimum=0, doc="inter-agent messages per reasoning turn, c"),
        Column("redundancy", "float", minimum=0, maximum=1, doc="mean similarity of sub-agent outputs, R"),
        Column("efficiency", "float", minimum=0, doc="success per turn relative to turns, E_c"),
        Column("error_amplification", "float", minimum=0, doc="error amplification factor A as published"),
        Column("success_per_1k_tokens", "float", minimum=0, doc="successes per 1,000 tokens"),
        Column("turns_mean", "float", minimum=0, doc="mean reasoning turns per task"),
        Column("turns_sd", "float", minimum=0, doc="standard deviation of turns per task"),
        Column("n_agents", "int", minimum=1, doc="agents counted in the regression (orchestrator included)"),
    ),
    unique=("architecture",),
    doc="The paper's Table 5: per-architecture coordination metrics (constants across benchmarks and models).",
)

INTELLIGENCE_INDEX = Schema(
    "scaling_intelligence_index",
    (
        Column("model_short", "str"),
        Column("intelligence_index", "float", minimum=0, maximum=100, doc="capability index I used by the regression"),
    ),
    unique=("model_short",),
)

TOOL_COUNTS = Schema(
    "scaling_tool_counts",
    (
        Column("benchmark", "str"),
        Column("n_tools", "int", minimum=0, doc="tools available to the agents, T"),
    ),
    unique=("benchmark",),
)

INSTANCES = Schema(
    "scaling_instances",
    (
        Column("benchmark", "str"),
        Column("architecture", "str", allowed=ARCHITECTURES),
        Column("vendor", "str"),
        Column("model", "str"),
        Column("instance_id", "str", doc="instance index within the benchmark sample"),
        Column("resolved", "bool", doc="did the run solve the instance?"),
        Column("n_steps", "int", minimum=0, doc="agent steps taken"),
        Column("has_output", "bool", doc="did the run produce an output?"),
    ),
    unique=("benchmark", "architecture", "model", "instance_id"),
    doc="One row per instance attempted by a configuration.",
)

_ARCHITECTURE_NAMES = {
    "single-agent": "single",
    "multi-agent-independent": "independent",
    "multi-agent-centralized": "centralized",
    "multi-agent-decentralized": "decentralized",
    "multi-agent-hybrid": "hybrid",
    **{name: name for name in ARCHITECTURES},
}

_DATE_SUFFIX = re.compile(r"-\d{8}$")


def normalize_architecture(name: str) -> str:
    """``'multi-agent-centralized'`` -> ``'centralized'``, ``'single-agent'`` -> ``'single'`` (short names pass)."""
    try:
        return _ARCHITECTURE_NAMES[str(name).strip().lower()]
    except KeyError:
        raise ValueError(f"unknown architecture {name!r}; expected one of {sorted(_ARCHITECTURE_NAMES)}") from None


def short_model_id(model: str) -> str:
    """The model id without its release-date suffix, as the capability index keys it
    (``claude-sonnet-4-5-20250929`` -> ``claude-sonnet-4-5``)."""
    return _DATE_SUFFIX.sub("", str(model))


def _by_name(files: dict, name: str) -> Path:
    matches = [Path(local) for path, local in files.items() if Path(path).name == name]
    if len(matches) != 1:
        raise FileNotFoundError(f"expected one file named {name!r} among {sorted(map(str, files))}")
    return matches[0]


def _read(path: Path, schema: Schema) -> pd.DataFrame:
    return validate(read_csv(path), schema, source=path)


def parse_v2_configs(files: dict) -> dict[str, pd.DataFrame]:
    """Tables ``configs``, ``coordination_metrics``, ``intelligence_index`` and ``tool_counts``."""
    configs_path = _by_name(files, "configs_v2.csv")
    configs = read_csv(configs_path)
    configs["architecture"] = configs["architecture"].map(normalize_architecture)
    return {
        "configs": validate(configs, CONFIGS, source=configs_path),
        "coordination_metrics": _read(_by_name(files, "coordination_metrics.csv"), COORDINATION_METRICS),
        "intelligence_index": _read(_by_name(files, "intelligence_index.csv"), INTELLIGENCE_INDEX),
        "tool_counts": _read(_by_name(files, "tool_counts.csv"), TOOL_COUNTS),
    }


def aggregate_instances(instances: pd.DataFrame) -> pd.DataFrame:
    """Configurations from per-instance outcomes: success rate = mean of ``resolved`` per
    (benchmark, architecture, vendor, model), in the columns of :data:`CONFIGS`."""
    keys = ["benchmark", "architecture", "vendor", "model"]
    configs = (
        instances.assign(resolved=instances["resolved"].astype(float))
        .groupby(keys, as_index=False, sort=True)["resolved"]
        .mean()
        .rename(columns={"resolved": "success_rate"})
    )
    configs["model_short"] = configs["model"].map(short_model_id)
    return validate(configs, CONFIGS, source="aggregated instances")


def parse_v3_instances(files: dict) -> dict[str, pd.DataFrame]:
    """Tables ``instances`` (one row per attempted instance) and ``configs`` (the 90 aggregated rows)."""
    path = _by_name(files, "per_instance_results_swe_tb.csv")
    raw = read_csv(path, dtype={"instance_idx": str})
    instances = pd.DataFrame(
        {
            "benchmark": raw["dataset"],
            "architecture": raw["agent_type"].map(normalize_architecture),
            "vendor": raw["provider"],
            "model": raw["model"],
            "instance_id": raw["instance_idx"],
            "resolved": raw["resolved"],
            "n_steps": raw["num_steps"],
            "has_output": raw["has_output"],
        }
    )
    instances = validate(instances, INSTANCES, source=path)
    return {"instances": instances, "configs": aggregate_instances(instances)}
