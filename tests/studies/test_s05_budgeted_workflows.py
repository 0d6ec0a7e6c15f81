"""Study 05: the grid summaries, the claims and the figure captions, on small hand-made inputs."""

import math

import numpy as np
import pandas as pd
import pytest

from agenteff import datasets
from agenteff.engines.workflows import MCPP, chain_dag
from agenteff.report import PaperValue, PaperValues
from agenteff.studies import s05_budgeted_workflows as s05
from agenteff.studies.s05_budgeted_workflows import analysis as study

SOURCE = "arXiv:1 v2, abstract"


@pytest.fixture
def paper():
    return PaperValues(
        {
            "mcpp/consistent-improvement": PaperValue(
                "mcpp/consistent-improvement", "beats strong baselines", source=SOURCE
            ),
            "mcpp/python-planner-speed": PaperValue(
                "mcpp/python-planner-speed", "python", low=500, high=2200, unit="rollouts/s"
            ),
            "mcpp/numba-kernel-speed": PaperValue(
                "mcpp/numba-kernel-speed", "numba", low=110_000, high=250_000, unit="rollouts/s", source="quoted"
            ),
        }
    )


def _summary(rows):
    """Rows (cell, policy, p, se, estimate) -> a grid summary with the columns :func:`grid_summary` gives."""
    frame = pd.DataFrame(rows, columns=["budget_x", "deadline_x", "policy", "p", "se", "estimate"])
    return frame.assign(decisions=2.0, rollouts_per_decision=100.0, instances=1)


def _grid(label, mcpp_boost=0.0):
    """Two cells; MCPP beats baseline a in both, b only in the first (then by 0.1 + boost and -0.05 + boost)."""
    summary = _summary(
        [
            (1, 1, "MCPP", 0.6 + mcpp_boost, 0.02, 0.55),
            (1, 1, "a", 0.4, 0.02, np.nan),
            (1, 1, "b", 0.5, 0.02, np.nan),
            (2, 1, "MCPP", 0.8 + mcpp_boost, 0.02, 0.82),
            (2, 1, "a", 0.7, 0.02, np.nan),
            (2, 1, "b", 0.85, 0.02, np.nan),
        ]
    )
    # on the selection trials a looks best in the first cell, b in the second
    selection = _summary(
        [
            (1, 1, "a", 0.45, 0.02, np.nan),
            (1, 1, "b", 0.42, 0.02, np.nan),
            (2, 1, "a", 0.6, 0.02, np.nan),
            (2, 1, "b", 0.9, 0.02, np.nan),
        ]
    )
    return s05.Grid(label, summary, selection, ("a", "b"), trials_per_cell=40, n_nodes=8)


@pytest.fixture
def single():
    """Single-plan calibration: two informative cells, one within 2 SE (z = 1) and one not (z = 3)."""
    return pd.DataFrame(
        {
            "budget_x": [1, 2, 3],
            "deadline_x": 1,
            "estimate": [0.45, 0.15, 1.0],
            "p": [0.5, 0.3, 1.0],
            "se": [0.05, 0.05, 0.0],
            "difference": [0.05, 0.15, 0.0],
        }
    )


def test_advantage_by_baseline_by_hand():
    table = study.advantage_by_baseline(_grid("one model").summary, ["a", "b"]).set_index("baseline")
    assert table.loc["a", "mean_advantage"] == pytest.approx(0.15)  # (0.2 + 0.1) / 2
    assert table.loc["b", "mean_advantage"] == pytest.approx(0.025)  # (0.1 - 0.05) / 2
    assert table.loc["b", "mean_advantage_se"] == pytest.approx(math.sqrt(4 * 0.02**2) / 2)
    assert table.loc["a", ["better", "tie", "worse"]].tolist() == [2, 0, 0]  # z = 7.1 and 3.5
    assert table.loc["b", ["better", "tie", "worse"]].tolist() == [1, 1, 0]  # z = 3.5 and -1.8


def test_claims_by_hand(paper, single):
    speed = pd.DataFrame({"case": ["x", "y"], "rollouts_per_second": [2e6, 1.5e6]})
    rows = s05.claims(
        paper, one=_grid("one model"), two=_grid("two models", mcpp_boost=0.1), single=single, speed=speed
    )
    assert len(rows) == 7
    assert [row["key"] for row in rows] == [
        "consistent-improvement/one-model",
        "consistent-improvement/two-models",
        "against-best/one-model",
        "against-best/two-models",
        "calibration/single-plan",
        "calibration/full-mcpp-one-model",
        "planning-speed/slowest",
    ]
    one, two, best_one, best_two, single_plan, estimate, throughput = rows
    # one model: the weakest margin (against b) is 2.5 points with SE 2.0: not two SE above zero
    assert (one["reproduced_value"], one["status"], one["paper_value"]) == (2.5, "differs", "beats strong baselines")
    assert one["note"] == (
        "weakest margin against b (SE 2.0); cell verdicts over all 2 baselines: 3 better / 1 tied "
        f"/ 0 worse (|z| > 2 flags ~1 cell in 40 by chance) (paper: {SOURCE})"
    )
    assert one["claim"].startswith("MCPP improves constrained completion probability over each baseline, one model")
    # two models: 0.1 more everywhere, so against b (0.2 and 0.05) the mean margin is 12.5 points
    assert (two["reproduced_value"], two["status"]) == (12.5, "reproduced")
    # best baseline per cell, chosen on the selection trials (a, then b) and scored on the evaluation trials
    assert (best_one["reproduced_value"], best_one["status"], best_one["paper_value"]) == (7.5, "new", None)
    assert best_one["note"].startswith("cells better/tied/worse: 1/1/0")
    assert best_two["note"] == "cells better/tied/worse: 1/1/0"  # 0.3 (z = 10.6) and 0.05 (z = 1.8)
    assert (single_plan["reproduced_value"], single_plan["status"]) == (0.5, "new")
    assert single_plan["note"] == "mean |measured - estimate| 0.100 over 2 cells"
    assert estimate["reproduced_value"] == pytest.approx(0.015)  # (0.05 - 0.02) / 2
    assert throughput["claim"] == (
        "Planning throughput, slowest of 8- and 16-node DAGs with 1 and 2 models "
        "(authors' numba kernel: 110,000-250,000 rollouts/s)"
    )
    assert (throughput["paper_value"], throughput["reproduced_value"], throughput["status"]) == (
        "110000 to 250000",
        "at least 1,000,000 on one thread",
        "new",
    )
    slow = s05.claims(
        paper,
        one=_grid("one model"),
        two=_grid("two models"),
        single=single,
        speed=speed.assign(rollouts_per_second=[2e6, 5e5]),
    )[-1]
    assert slow["reproduced_value"] == "below 1,000,000 on one thread"


def test_the_headline_claim_comes_from_the_paper_values():
    claim = datasets.paper_values()["mcpp/consistent-improvement"]
    assert claim.value is None and claim.source == "arXiv:2605.06110 v2, abstract"
    kernel = datasets.paper_values()["mcpp/numba-kernel-speed"]
    assert (kernel.low, kernel.high, kernel.unit) == (110_000, 250_000, "rollouts/s")


def test_grid_helpers_by_hand(single):
    grid = _grid("one model")
    assert s05.grid_precision(grid).iloc[0].tolist() == ["one model", 40, 0.02]
    assert s05.verdict_counts(s05.advantage_over(grid, "a")).tolist() == [2, 0, 0]
    assert s05.strongest_baseline(grid.selection, grid.baselines) == "b"  # 0.66 on average against 0.525
    check = s05.single_plan_check(single)
    assert check["informative_cells"] == 2 and check["share_within_2_se"] == 0.5
    assert check["mean_z"] == pytest.approx(2.0)  # (1 + 3) / 2
    calibrated = s05.calibration_table(grid, _grid("two models", 0.1), single)
    errors = s05.calibration_errors(calibrated)
    assert errors.loc["MCPP, one model", "mean measured - estimate"] == pytest.approx(0.015)
    assert errors.loc["MCPP, two models", "mean absolute difference"] == pytest.approx((0.15 + 0.08) / 2)
    assert errors.loc["single plan", "mean absolute difference"] == pytest.approx(0.2 / 3)
    overhead = s05.planning_overhead(grid)
    assert overhead.loc["one model"].tolist() == [2.0, 100.0]


def test_baselines_cover_every_model_and_rule():
    names = [policy.name for policy in s05.baselines([1, 64], n_models=2)]
    assert names[:3] == ["Seq-1", "Seq-64", "split-uniform"] and len(names) == 2 * (2 + 5)
    assert names[7:9] == ["Seq-1 m1", "Seq-64 m1"]
    assert set(s05.SHOWN_TWO_MODELS) - {"MCPP"} <= {p.name for p in s05.baselines([1, 2, 4, 8, 16, 32, 64], 2)}
    models = s05.portfolio_models(success_power=3.0)
    assert models["success_power"].tolist() == [1.0, 3.0]


def test_checks_against_closed_forms():
    chain = s05.chain_check((0.5,), (1, 2), cost=10.0, n_trials=4000, seed=0)
    assert chain["closed_form"].tolist() == [0.5, 0.75]
    assert np.allclose(chain["z"], (chain["simulated"] - chain["closed_form"]) / chain["se"])
    assert (chain["z"].abs() < 4).all()
    assert (s05.budget_below_one_sample(n_trials=50) == 0).all()


def test_instances_round_trip_into_the_figures_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENTEFF_FIGURES_DIR", str(tmp_path))
    dag = chain_dag([[0.5, 1.0, 0.2, 10.0], [0.9, 2.0, 0.1, 20.0]])
    (back,) = s05.exchange_round_trip([dag], "05_x")
    assert (tmp_path / "05_x" / "instances.json").is_file()
    assert back.field("cost_mean").tolist() == dag.field("cost_mean").tolist()
    table = s05.instance_table([dag])
    assert table.iloc[0][["edges", "reference_cost", "reference_latency_s"]].tolist() == [1, 30.0, 3.0]


def test_figure_captions_come_from_the_inputs(paper):
    import matplotlib

    matplotlib.use("Agg")
    grid = _grid("two models")
    made = s05.heatmaps_two_models(grid, ["MCPP", "a"])
    assert made.name == "heatmaps_two_models"
    assert "8-node layered DAGs" in made.caption and "a selection of the 2 baselines" in made.caption
    assert "every baseline" in s05.heatmaps_one_model(_grid("one model")).caption
    made = s05.advantage_one_model_fixed(_grid("one model"), "a")
    assert made.name == "advantage_one_model_fixed" and made.caption.endswith("|z| > 2. One model.")
    assert "simulated data" in [text.get_text() for text in made.figure.texts]  # every figure is stamped
    speed = pd.DataFrame({"case": ["x"], "rollouts_per_second": [3e5]})
    made = s05.planning_speed(speed, paper, MCPP(k_values=(1, 2), n_rollouts=32))
    fig, caption = made.figure, made.caption
    assert "32 rollouts per candidate" in caption and "k in {1, 2}" in caption and "1,000,000/s target" in caption
    assert [text.get_text() for text in fig.axes[0].get_legend().get_texts()][:2] == [
        "authors' Python planner",
        "authors' numba kernel",
    ]
    assert s05.mcpp_settings()["n_rollouts"] == MCPP().n_rollouts


def test_best_baseline_is_scored_on_independent_trials():
    cells = {"budget_x": [1, 1], "deadline_x": [1, 1], "policy": ["a", "b"]}
    selection = pd.DataFrame({**cells, "p": [0.5, 0.6], "se": [0.1, 0.1]})
    evaluation = pd.DataFrame({**cells, "p": [0.55, 0.4], "se": [0.05, 0.05]})
    best = study.best_baseline(selection, evaluation, ["a", "b"])
    assert best[["policy", "p"]].values.tolist() == [["b", 0.4]]
    summary = pd.DataFrame({"budget_x": [1], "deadline_x": [1], "policy": ["MCPP"], "p": [0.6], "se": [0.05]})
    row = study.advantage(summary, best).iloc[0]
    assert row["difference"] == pytest.approx(0.2) and row["verdict"] == "better"
