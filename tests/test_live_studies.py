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


# --- notebooks 03 (overthinking lengths), 07 (agentic markets), 08 (routing auctions) --------------------------


def test_03_samples_the_real_model_live(llama_server_url, tmp_path, monkeypatch):
    claims, executed = run_live(
        "03_overthinking_lengths", llama_server_url, tmp_path, monkeypatch, n_problems=4, k=2, max_tokens=48
    )
    sampled = claims.set_index("claim").loc["Multi-sample run: accuracy of all samples"]
    assert sampled["status"] == "new", "a live run measures its model: no paper to compare, not a simulation"
    assert MODEL_NAME in sampled["note"] and "simulated" not in sampled["note"]
    assert f"8 samples of 4 problems (lead-math-test) from {MODEL_NAME}," in executed
    assert "not reproducible" not in claims.loc[claims["claim"].str.startswith("Multi-sample"), "status"].tolist()
    figures = (tmp_path / "figures" / "03_overthinking_lengths" / "figures.json").read_text()
    assert "simulated" not in figures.lower() and MODEL_NAME in figures


def test_07_asks_the_real_model_to_choose_among_proposals(llama_server_url, tmp_path, monkeypatch):
    import json

    claims, executed = run_live(
        "07_agentic_markets", llama_server_url, tmp_path, monkeypatch, n_llm_customers=4, n_businesses=8
    )
    table = claims.set_index("claim")
    speed = table.filter(like="Magentic speed-over-quality advantage", axis=0)
    assert speed.index.item().endswith(f"LLM assistant {MODEL_NAME}, own bias")
    assert speed["status"].item() == "not reproducible"  # the markets are simulated, live assistant or not
    ideal = table.filter(like="near-optimal welfare only under ideal search", axis=0)
    assert ideal.index.item().endswith("(measured LLM assistant, all proposals)") and MODEL_NAME in ideal["note"].item()
    assert MODEL_NAME in executed  # the assistants' tables name the model that answered
    captions = json.loads((tmp_path / "figures" / "07_agentic_markets" / "figures.json").read_text())
    assert MODEL_NAME in captions["first_proposal_advantage"]


def test_08_runs_its_auction_on_the_real_model(llama_server_url, tmp_path, monkeypatch):
    import json

    # the one served model bids alone (a one-bidder auction: plans, jury and execution all run) on 3 tasks
    claims, executed = run_live("08_routing_auctions", llama_server_url, tmp_path, monkeypatch, n_tasks=3, n_boot=50)
    auction = claims[claims["claim"].str.startswith("auction ")]
    assert len(auction) == 3 and (auction["status"] == "not reproducible").all()  # SALE released nothing
    assert auction["claim"].str.endswith(f"(auction of {MODEL_NAME})").sum() == 2
    assert not auction["note"].str.contains("SIMULATED").any() and auction["note"].str.contains(MODEL_NAME).all()
    assert "simulated: False" in executed
    figures = (tmp_path / "figures" / "08_routing_auctions" / "figures.json").read_text()
    caption = json.loads(figures)["auction_reliance_cost"]
    assert MODEL_NAME in caption and "simulated" not in caption.lower()
