"""The live halves of the studies against a real model: each live study notebook run end to end in fast mode
against the local llama-server (SmolLM2-135M), into a temporary folder (issue 16).

The server comes from the session fixture ``llama_server_url`` (conftest.py): these tests skip where it is not
set up, and fail under ``AGENTEFF_REQUIRE_LIVE=1`` (.ci/run). Sizes are the smallest that still exercise every
cell that calls the model, with short completions, so the whole file stays within a few minutes on 2 cores.
"""

import pandas as pd

from agenteff.llm.local_server import MODEL_NAME
from agenteff.paths import notebooks_dir


def run_live(stem: str, base_url: str, tmp_path, monkeypatch, **parameters) -> tuple[pd.DataFrame, str]:
    """Execute notebook ``stem`` with ``fast=True`` against ``base_url`` (and the local model), figures and
    response cache in ``tmp_path``; return its claims table and the executed notebook's text."""
    import papermill

    monkeypatch.setenv("AGENTEFF_FIGURES_DIR", str(tmp_path / "figures"))
    monkeypatch.setenv("AGENTEFF_CACHE_DIR", str(tmp_path / "cache"))
    path = notebooks_dir() / f"{stem}.ipynb"
    papermill.execute_notebook(
        str(path),
        str(tmp_path / path.name),
        parameters={"fast": True, "base_url": base_url, **parameters},
        cwd=str(path.parent),
        progress_bar=False,
        log_output=False,
        kernel_name="python3",
    )
    claims = pd.read_csv(tmp_path / "figures" / stem / "claims.csv", keep_default_na=False)
    return claims, (tmp_path / path.name).read_text()


__all__ = ["run_live", "MODEL_NAME"]


# --- notebooks 02 (coordination topologies) and 04 (cost-of-pass) ---------------------------------------------

#: The smallest protocol that still runs every architecture's every phase once: SmolLM2 never calls a tool, so
#: each agent's act is one turn, and the paper's rounds would overflow its 2,048-token context.
_SHORT_PROTOCOL = {
    "max_rounds": 1,
    "debate_rounds": 1,
    "max_iterations": 2,
    "worker_iterations": 1,
    "debate_iterations": 1,
}


def _assert_live_topology_runs(claims: pd.DataFrame, text: str, stem: str, tmp_path) -> None:
    """What every live run of a topology notebook must show: it ran to the end and wrote its claims, the model's
    name where simulated runs say "simulated", and no figure labelled simulated."""
    import json

    assert MODEL_NAME in text
    captions = json.loads((tmp_path / "figures" / stem / "figures.json").read_text())
    assert all("simulated" not in caption.lower() for caption in captions.values()), captions
    measured = {name: caption for name, caption in captions.items() if MODEL_NAME in caption}
    assert measured, f"no caption names {MODEL_NAME}: {captions}"
    assert not claims.empty and set(claims["status"]) <= {"reproduced", "differs", "not reproducible", "new"}


def test_02_coordination_topologies_runs_live(llama_server_url, tmp_path, monkeypatch):
    stem = "02_coordination_topologies"
    claims, text = run_live(
        stem,
        llama_server_url,
        tmp_path,
        monkeypatch,
        max_tokens=16,
        limits=_SHORT_PROTOCOL,
        n_tasks=1,
        sweep_tasks=1,
        max_agents=2,
        n_boot=50,
        law_boot=50,
    )
    _assert_live_topology_runs(claims, text, stem, tmp_path)
    measured = claims[claims["note"].str.contains(f"measured with {MODEL_NAME}")]
    assert len(measured) > 20  # the Table-5 rows, the measured error amplification and the laws
    # a real model's measurements are evidence: judged reproduced or differs wherever a value could be computed
    # (a ratio over no success has none, and is "not reproducible")
    valued = pd.to_numeric(measured["reproduced_value"], errors="coerce").notna()
    assert valued.sum() > 20 and set(measured.loc[valued, "status"]) <= {"reproduced", "differs"}
    assert not claims["note"].str.contains("simulated agents").any()


def test_04_cost_of_pass_runs_live(llama_server_url, tmp_path, monkeypatch):
    stem = "04_cost_of_pass"
    claims, text = run_live(
        stem, llama_server_url, tmp_path, monkeypatch, max_tokens=16, limits=_SHORT_PROTOCOL, topology_tasks=1
    )
    _assert_live_topology_runs(claims, text, stem, tmp_path)
    assert "simulated: False" in text  # the topology runs' own 'simulated' column
    topology = claims[claims["claim"].str.contains("lowest cost-of-pass")]
    # the local model is called and priced by its own name: it has no price, so no cost-of-pass, and says so
    assert topology["claim"].tolist() == [f"Topologies, {MODEL_NAME}: lowest cost-of-pass"]
    assert topology["status"].tolist() == ["new"] and f"no price for {MODEL_NAME}" in topology["note"].iloc[0]
    assert f"answered by {MODEL_NAME}" in topology["note"].iloc[0]
