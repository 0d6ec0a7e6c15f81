"""The scaling study's parsers (agenteff.datasets.agent_scaling): the published v2 tables, the authors' per-instance
v3 file, hand-made bad files, and the scaling paper's values in the paper-values data set."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from agenteff import datasets, paths
from agenteff.datasets.agent_scaling import (
    ARCHITECTURES,
    CONFIGS,
    aggregate_instances,
    normalize_architecture,
    parse_v2_configs,
    short_model_id,
)
from agenteff.engines import topologies
from agenteff.schema import SchemaError, validate

REFERENCE = Path(paths.REPO_ROOT).parent / "shared" / "reference" / "scaling"
needs_reference = pytest.mark.skipif(not REFERENCE.is_dir(), reason=f"reference folder {REFERENCE} is absent")


def test_one_architecture_list_for_the_project():
    assert ARCHITECTURES is topologies.ARCHITECTURES
    assert ARCHITECTURES[0] == "single" and len(set(ARCHITECTURES)) == 5


def test_v2_data_set_holds_the_regression_inputs_only():
    produced = datasets.tables("scaling-v2-configs")
    assert list(produced) == ["configs", "coordination_metrics", "intelligence_index", "tool_counts"]
    configs = produced["configs"]
    assert len(configs) == 180 and set(configs["architecture"]) == set(ARCHITECTURES)
    assert configs.groupby(["benchmark", "architecture"]).size().eq(9).all()


@needs_reference
def test_v2_data_files_equal_reference():
    v2 = datasets.load("scaling-v2-configs")
    reference = pd.read_csv(REFERENCE / "official_180_configs_with_SA_baseline.csv")
    assert v2["success_rate"].to_numpy() == pytest.approx(reference["performance"].to_numpy(), abs=0)
    assert list(v2["model_short"]) == list(reference["model_short"])
    assert list(v2["architecture"]) == [normalize_architecture(a) for a in reference["architecture"]]
    metrics = pd.read_csv(REFERENCE / "coordination_metrics_table5_per_architecture.csv")
    ours = datasets.load("scaling-v2-configs", "coordination_metrics").set_index("architecture")
    for row in metrics.itertuples():
        short = normalize_architecture(row.architecture)
        assert ours.loc[short, "efficiency"] == row.efficiency
        assert ours.loc[short, "n_agents"] == row.n_agents_in_regression
        assert ours.loc[short, "error_amplification"] == row.error_amplification


@needs_reference
def test_v3_aggregation_equals_released_configs():
    ours = datasets.load("scaling-v3-instances", "configs")
    reference = pd.read_csv(REFERENCE / "swe_tb_90_configs_aggregated.csv")
    reference = reference.assign(architecture=reference["architecture"].map(normalize_architecture))
    merged = ours.merge(
        reference,
        left_on=["benchmark", "architecture", "model"],
        right_on=["dataset", "architecture", "model"],
        validate="one_to_one",
    )
    assert len(merged) == 90
    assert merged["success_rate"].to_numpy() == pytest.approx(merged["performance"].to_numpy(), abs=1e-12)


def test_v3_models_map_to_capability_index():
    configs = datasets.load("scaling-v3-instances", "configs")
    index = set(datasets.load("scaling-v2-configs", "intelligence_index")["model_short"])
    assert set(configs["model_short"]) <= index
    assert len(datasets.load("scaling-v3-instances")) == 1800


def test_parser_helpers_and_schema():
    assert normalize_architecture("multi-agent-hybrid") == "hybrid"
    assert normalize_architecture(" Single-Agent ") == "single"
    assert short_model_id("claude-sonnet-4-5-20250929") == "claude-sonnet-4-5"
    assert short_model_id("gpt-5") == "gpt-5"
    with pytest.raises(ValueError, match="unknown architecture 'swarm'"):
        normalize_architecture("swarm")
    bad = pd.DataFrame(
        {
            "benchmark": ["x"],
            "architecture": ["swarm"],
            "vendor": ["v"],
            "model": ["m"],
            "model_short": ["m"],
            "success_rate": [0.5],
        }
    )
    with pytest.raises(SchemaError, match="architecture"):
        validate(bad, CONFIGS)


def test_aggregate_instances_by_hand():
    instances = pd.DataFrame(
        {
            "benchmark": "b",
            "architecture": "single",
            "vendor": "v",
            "model": "m-20250101",
            "instance_id": ["0", "1", "2", "3"],
            "resolved": [True, False, True, True],
            "n_steps": 3,
            "has_output": True,
        }
    )
    configs = aggregate_instances(instances)
    assert configs["success_rate"].tolist() == [0.75]
    assert configs["model_short"].tolist() == ["m"]


@pytest.fixture
def v2_files(tmp_path):
    """Copies of the four published v2 files, to be spoiled one at a time."""
    files = {}
    for name in ("configs_v2.csv", "coordination_metrics.csv", "intelligence_index.csv", "tool_counts.csv"):
        files[f"published/scaling/{name}"] = Path(
            shutil.copy(paths.REPO_ROOT / "data/published/scaling" / name, tmp_path / name)
        )
    return files


def test_v2_parser_names_the_file_and_row_of_a_bad_success_rate(v2_files):
    path = v2_files["published/scaling/configs_v2.csv"]
    table = pd.read_csv(path)
    table.loc[2, "success_rate"] = 1.5
    table.to_csv(path, index=False)
    with pytest.raises(SchemaError, match=r"configs_v2\.csv: row 3, column 'success_rate': 1\.5 is outside"):
        parse_v2_configs(v2_files)


def test_v2_parser_rejects_an_unknown_architecture(v2_files):
    path = v2_files["published/scaling/configs_v2.csv"]
    table = pd.read_csv(path)
    table.loc[0, "architecture"] = "multi-agent-swarm"
    table.to_csv(path, index=False)
    with pytest.raises(ValueError, match="multi-agent-swarm"):
        parse_v2_configs(v2_files)


def test_v2_parser_says_which_file_is_missing(v2_files):
    del v2_files["published/scaling/tool_counts.csv"]
    with pytest.raises(FileNotFoundError, match="tool_counts.csv"):
        parse_v2_configs(v2_files)


def test_scaling_paper_values_are_registered_under_one_prefix():
    table = datasets.load("paper-values")
    scaling = table[table["file"] == "published/scaling/paper_values.csv"]
    assert len(scaling) == 28
    assert scaling["key"].str.startswith("kim-scaling/").all()
    assert set(scaling["arxiv"]) == {"2512.08296"}
    saturation = datasets.paper_values()["kim-scaling/coef-p_sa-x-log1p_n"]
    assert (saturation.value, saturation.low, saturation.high) == (-0.404, -0.557, -0.252)
    assert saturation.source == "arXiv:2512.08296 v2, abstract; regression coefficient table"


def test_the_loader_names_architectures_without_loading_the_engines():
    """Layering: data sets sit below the engines; the one architecture list lives in the core schema."""
    import subprocess
    import sys

    probe = "import sys, agenteff.datasets.agent_scaling; print(sorted(m for m in sys.modules if m.startswith('agenteff.engines')))"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"
    from agenteff import schema
    from agenteff.datasets import agent_scaling
    from agenteff.engines import topologies

    assert agent_scaling.ARCHITECTURES is schema.ARCHITECTURES is topologies.ARCHITECTURES
