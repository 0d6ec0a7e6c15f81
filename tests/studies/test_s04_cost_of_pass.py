"""Study 04's analysis and claims on small hand-made inputs, every expected value worked out by hand."""

import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from agenteff import datasets, report  # noqa: E402
from agenteff.studies import s04_cost_of_pass as s04  # noqa: E402


def paper_values(**values) -> report.PaperValues:
    """Paper values by key (``__`` for ``/``, ``_`` for ``-``), each a fraction from source 'src'."""
    made = {}
    for name, value in values.items():
        key = name.replace("__", "/").replace("_", "-")
        made[key] = report.PaperValue(key, key, value=value, unit="fraction", source="src")
    made["ai-agents-that-matter/baselines-on-frontier"] = report.PaperValue(
        "ai-agents-that-matter/baselines-on-frontier", "on the frontier", source="src"
    )
    return report.PaperValues(made)


EFFICIENT_AGENTS = dict(
    efficient_agents__owl_cost=0.4,
    efficient_agents__efficient_agents_cost=0.2,
    efficient_agents__relative_performance=0.8,
    efficient_agents__cost_of_pass_improvement=0.5,
)


# --- Efficient Agents arithmetic ----------------------------------------------------------------------------


def test_efficient_agents_arithmetic_and_claims_by_hand():
    paper = paper_values(**EFFICIENT_AGENTS)
    arithmetic = s04.efficient_agents_arithmetic(paper)
    assert arithmetic.loc["stated", "value"] == 0.5
    assert arithmetic.loc["as_cost_of_pass", "value"] == pytest.approx(1 - 0.2 / 0.4)  # 0.5
    assert arithmetic.loc["as_cost_per_task", "value"] == pytest.approx(1 - (0.2 / 0.8) / 0.4)  # 0.375
    assert arithmetic.loc["needed_accuracy_ratio", "value"] == pytest.approx(0.2 / (0.4 * 0.5))  # 1.0
    assert arithmetic.loc["as_cost_per_task", "reading"] == "costs per task, accuracy ratio 0.8"
    as_cop, per_task = s04.efficient_agents_claims(paper)
    assert (as_cop["paper_value"], as_cop["reproduced_value"], as_cop["status"]) == (0.5, 0.5, "reproduced")
    assert as_cop["note"] == "1 - 0.2 / 0.4 from the abstract's own numbers (paper: src)"
    assert per_task["claim"].endswith("costs per task and 80.0% accuracy")
    assert (per_task["reproduced_value"], per_task["status"]) == (0.375, "differs")
    assert per_task["note"].startswith("differs by -0.125 fraction; 1 - (0.2 / 0.8) / 0.4; 50.0% would need")
    assert "at 100.0% of OWL's accuracy, not 80.0%" in per_task["note"]


def test_efficient_agents_published_numbers_do_not_give_the_stated_improvement():
    paper = datasets.paper_values()
    arithmetic = s04.efficient_agents_arithmetic(paper)
    assert arithmetic.loc["as_cost_of_pass", "value"] == pytest.approx(1 - 0.228 / 0.398)
    assert arithmetic.loc["needed_accuracy_ratio", "value"] == pytest.approx(0.228 / (0.398 * (1 - 0.284)))
    statuses = [row["status"] for row in s04.efficient_agents_claims(paper)]
    assert statuses == ["differs", "differs"]


# --- frontiers ----------------------------------------------------------------------------------------------


def evaluations(rows):
    """agent-eval-runs-like rows from (release, strategy, cost per run, solved of 10), one model, two runs each."""
    return pd.DataFrame(
        [
            {"release": r, "strategy_name": s, "model": "m", "cost_usd": c, "n_solved": k, "n_tasks": 10}
            for r, s, c, k in rows
            for _ in range(2)
        ]
    )


def test_baseline_off_the_frontier_is_named_with_its_cost_ratio():
    # release r: warming (1.5 USD, 8/10) dominates retry (2 USD, 7/10); escalation is the most accurate
    table = evaluations(
        [("r", "simple", 1.0, 5), ("r", "retry", 2.0, 7), ("r", "warming", 1.5, 8), ("r", "escalation", 3.0, 9)]
    )
    strategies = s04.humaneval_strategies(table, n_boot=0, seed=0)
    per_run = strategies.set_index("strategy_name")["cost_per_run_usd"].to_dict()
    assert per_run == {"escalation": 3.0, "retry": 2.0, "simple": 1.0, "warming": 1.5}  # mean of two equal runs
    baselines = s04.baseline_frontier(strategies).set_index("strategy_name")
    assert baselines["on_frontier"].to_dict() == {"escalation": True, "retry": False, "warming": True}
    assert baselines.loc["retry", "dominated_by"] == "warming"
    assert baselines.loc["retry", "best_cost_ratio"] == pytest.approx(2.0 / 1.5)
    assert baselines.loc["retry", "accuracy_gap_pp"] == pytest.approx(10.0)  # 80% reachable for <= 2 USD
    leaderboard = s04.aider_leaderboard(aider([("a", 1.0, 5), ("b", 2.0, 4), ("c", 4.0, 9)]), n_boot=0, seed=0)
    frontier, board = s04.frontier_claims(s04.baseline_frontier(strategies), leaderboard, paper_values())
    assert (frontier["paper_value"], frontier["status"]) == ("on the frontier", "differs")
    assert frontier["reproduced_value"] == "2 of 3 (strategy, release) pairs on it"
    assert frontier["note"] == (
        "frontier of mean cost per run vs mean accuracy over 2 runs, per release; off the frontier: retry (r) is "
        "dominated by warming, costing 1.33x the cheapest as-accurate point (paper: src)"
    )
    # b (2 USD, 4/10) is dominated by a (1 USD, 5/10): twice the cost of the cheapest as-accurate run
    assert (board["reproduced_value"], board["status"]) == ("2 of 3", "new")
    assert board["note"] == "median dominated run costs 2.0x the cheapest as-accurate run; largest: b at 2x"


def test_baselines_all_on_the_frontier_reproduce_the_claim():
    table = evaluations([("r", "retry", 1.0, 5), ("r", "warming", 2.0, 7), ("q", "escalation", 9.0, 1)])
    baselines = s04.baseline_frontier(s04.humaneval_strategies(table, n_boot=0, seed=0))
    frontier = s04.frontier_claims(
        baselines, s04.aider_leaderboard(aider([("a", 1.0, 5), ("b", 2.0, 1)]), 0, 0), paper_values()
    )[0]
    assert frontier["status"] == "reproduced" and frontier["note"].endswith("off the frontier: none (paper: src)")


def aider(rows):
    """aider-polyglot-like runs from (model, cost, passed of 10); a missing cost is a free or local run."""
    return pd.DataFrame(
        [{"model": m, "edit_format": "diff", "cost_usd": c, "pass_num_2": k, "total_tests": 10} for m, c, k in rows]
    )


def test_aider_leaderboard_leaves_unpriced_runs_out():
    runs = aider([("a", 1.0, 5), ("free", math.nan, 9), ("c", 4.0, 8)])
    leaderboard = s04.aider_leaderboard(runs, n_boot=0, seed=0)
    assert list(leaderboard.index) == ["a", "c"]
    assert leaderboard.loc["c", "cost_of_pass_usd"] == pytest.approx(4.0 / 8)
    assert leaderboard.loc["c", "accuracy_pct"] == pytest.approx(80.0)
    assert (
        s04.aider_summary(runs, leaderboard) == "3 runs, 2 with a recorded cost (1 left out), 2 on the frontier; "
        "10 exercises per run"
    )


# --- pass^k -------------------------------------------------------------------------------------------------


def tau_runs():
    # task a: 2 of 2 trials succeed, task b: 1 of 2 -> pass^1 = (1 + 1/2) / 2, pass^2 = (1 + 0) / 2
    return pd.DataFrame({"task": ["a", "a", "b", "b"], "success": [True, True, True, False]})


def simple_runs():
    # two logged runs per model on tasks t and u: the reliability model solves t twice and u once
    return pd.DataFrame(
        {
            "model": [s04.RELIABILITY_MODEL] * 4 + ["other"] * 4,
            "task": ["t", "t", "u", "u"] * 2,
            "run_name": ["run1", "run2"] * 4,
            "success": [True, True, True, False, False, False, True, True],
        }
    )


def test_reliability_claims_against_leaderboard_and_paper_text():
    paper = paper_values(
        tau_bench__leaderboard_pass_hat_1=0.75, tau_bench__leaderboard_pass_hat_2=0.4, tau_bench__paper_pass_hat_1=0.7
    )
    reliability = s04.tau_reliability(tau_runs(), paper)
    assert reliability[["k", "pass_hat_k", "published"]].values.tolist() == [[1, 0.75, 0.75], [2, 0.5, 0.4]]
    humaneval = s04.humaneval_reliability(simple_runs())
    rows = s04.reliability_claims(reliability, humaneval, paper)
    assert [(r["claim"], r["status"]) for r in rows] == [
        ("tau-bench airline GPT-4o pass^1", "reproduced"),
        ("tau-bench airline GPT-4o pass^2", "differs"),
        ("tau-bench airline GPT-4o pass^1 as stated in the paper text (about 70%)", "differs"),
        (f"HumanEval simple strategy, {s04.RELIABILITY_MODEL}: pass^1 -> pass^2", "new"),
    ]
    assert rows[1]["note"].startswith("differs by +0.1 fraction; computed from historical_trajectories/")
    assert rows[2]["note"].startswith("differs by +0.05 fraction;")
    assert rows[3]["reproduced_value"] == "0.750 -> 0.500"  # as the tau-bench example above
    assert rows[3]["note"] == "2 logged runs of 2 tasks (agent-eval)"


def test_pass_hat_k_figure_names_the_paper_text_value():
    paper = paper_values(
        tau_bench__leaderboard_pass_hat_1=0.75, tau_bench__leaderboard_pass_hat_2=0.4, tau_bench__paper_pass_hat_1=0.7
    )
    reliability = s04.tau_reliability(tau_runs(), paper)
    made = s04.pass_hat_k(reliability, s04.humaneval_reliability(simple_runs()), paper)
    fig, caption = made.figure, made.caption
    assert made.name == "pass_hat_k"
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert "paper text (about 70%)" in labels and fig.axes[0].get_ylim() == (0, 80)
    assert "released 2 x 2 trajectories" in caption and "2 runs per model" in caption
    plt.close(fig)


# --- trajectories, token spread, topologies -----------------------------------------------------------------


def test_trajectory_claims_and_step_budget():
    trajectories = pd.DataFrame({"n_agent_steps": [1, 3, 2, 4], "success": [True, True, False, False]})
    area, curve = s04.efficiency_quality(trajectories)
    assert area["max_budget"].iloc[0] == 4 and list(curve["budget"]) == [1, 2, 3, 4]
    assert area["eqa"].iloc[0] == pytest.approx((0.25 + 0.25 + 0.5 + 0.5) / 4)
    outcomes = pd.DataFrame(
        {
            "metric": ["action_repetition_rate", "n_tool_calls"],
            "mean_success": [0.01, 3.0],
            "mean_failure": [0.025, 7.5],
            "median_success": [0.0, 3.0],
            "median_failure": [0.0, 7.0],
            "mann_whitney_p": [0.0123, 0.0004],
        }
    )
    repetition, calls, eqa = s04.trajectory_claims(outcomes, area)
    assert repetition["reproduced_value"] == "1.00% vs 2.50%" and "p = 0.012 (trials" in repetition["note"]
    assert calls["reproduced_value"] == "3 vs 7" and calls["note"].startswith("Mann-Whitney p = 0.0004")
    assert eqa["reproduced_value"] == 0.375 and eqa["note"] == "success rate 0.50; budgets 1..4"


def test_token_spread_summary_and_claim():
    runs = pd.DataFrame(
        {
            "model": ["m"] * 4 + ["n"] * 4,
            "task": ["a", "a", "b", "b"] * 2,
            "prompt_tokens": [10] * 8,
            "completion_tokens": [10, 30, 5, 5, 8, 8, 4, 4],
        }
    )
    prompt_spread, spread = s04.token_spread_by_task(runs)
    assert prompt_spread == 1.0
    summary = s04.token_spread_summary(spread)
    # model m: task a has cv = std(10, 30) / 20 = 14.142 / 20, task b none; the median of the two cvs
    assert summary.loc["m", "median_cv_pct"] == pytest.approx(round(100 * (200**0.5 / 20) / 2, 2))
    assert summary.loc["m", "tasks_over_1.5x_pct"] == 50.0 and summary.loc["n", "median_cv_pct"] == 0.0
    (row,) = s04.spread_claims(spread)
    assert row["claim"].endswith("across 2 runs") and row["reproduced_value"] == "0.0% to 35.4%"
    assert row["note"] == "range over 2 models (widest: m); prompts are identical"


def test_topology_claims_pick_the_cheapest_cost_of_pass_per_model():
    cost = pd.DataFrame(
        {
            "model": ["x", "x", "y"],
            "architecture": ["single", "hybrid", "single"],
            "attempts": [8.0, 8.0, 8.0],
            "cost_of_pass_usd": [0.02, 0.01, math.inf],
            "ci_low_usd": [0.01, 0.005, math.inf],
            "ci_high_usd": [0.04, math.inf, math.inf],
        }
    )
    x, y = s04.topology_claims(cost)
    assert x["reproduced_value"] == "hybrid at 0.0100" and x["note"].endswith("95% CI 0.0050 to inf")
    assert y["reproduced_value"] == "single at inf" and "8 runs per topology" in y["note"]


def test_simulated_models_are_priced_as_the_real_model_they_name():
    (model,) = s04.simulated_models({"sim-cheap": (0.3, "gpt-4o-mini")})
    assert (model.name, model.error_prob, model.priced_as) == ("sim-cheap", 0.3, "gpt-4o-mini")
    assert model.params == {"prompt_caching": True}


def test_claims_concatenates_every_section_in_order():
    paper = paper_values(
        tau_bench__leaderboard_pass_hat_1=0.75,
        tau_bench__leaderboard_pass_hat_2=0.5,
        tau_bench__paper_pass_hat_1=0.7,
        **EFFICIENT_AGENTS,
    )
    strategies = s04.humaneval_strategies(evaluations([("r", "retry", 1.0, 5)]), n_boot=0, seed=0)
    reliability = s04.tau_reliability(tau_runs(), paper)
    trajectories = pd.DataFrame({"n_agent_steps": [1, 2], "success": [True, False]})
    spread = s04.token_spread_by_task(
        pd.DataFrame({"model": ["m", "m"], "task": ["a", "a"], "prompt_tokens": [1, 1], "completion_tokens": [1, 3]})
    )[1]
    rows = s04.claims(
        paper,
        baselines=s04.baseline_frontier(strategies),
        leaderboard=s04.aider_leaderboard(aider([("a", 1.0, 5), ("b", 2.0, 4)]), 0, 0),
        reliability=reliability,
        humaneval=s04.humaneval_reliability(simple_runs()),
        outcomes=pd.DataFrame(
            {
                "metric": ["action_repetition_rate", "n_tool_calls"],
                "mean_success": [0.0, 1.0],
                "mean_failure": [0.0, 2.0],
                "median_success": [0.0, 1.0],
                "median_failure": [0.0, 2.0],
                "mann_whitney_p": [1.0, 1.0],
            }
        ),
        area=s04.efficiency_quality(trajectories)[0],
        spread=spread,
        topology=pd.DataFrame(
            {
                "model": ["x"],
                "architecture": ["single"],
                "attempts": [2.0],
                "cost_of_pass_usd": [0.5],
                "ci_low_usd": [0.25],
                "ci_high_usd": [1.0],
            }
        ),
    )
    assert [r["key"] for r in rows] == [
        "humaneval/baselines-on-frontier",
        "aider/frontier-runs",
        "tau-bench/pass-hat-1",
        "tau-bench/pass-hat-2",
        "tau-bench/pass-hat-1-paper-text",
        "pass-hat-k/decline",
        "trajectories/repetition-rate",
        "trajectories/tool-calls",
        "trajectories/eqa",
        "token-spread/median-cv",
        "topology/x/lowest-cost-of-pass",
        "efficient-agents/as-cost-of-pass",
        "efficient-agents/as-cost-per-task",
    ]
    assert [r["status"] for r in rows] == [
        "reproduced",
        "new",
        "reproduced",
        "reproduced",
        "differs",
        "new",
        "new",
        "new",
        "new",
        "new",
        "new",
        "reproduced",
        "differs",
    ]
    table = pd.DataFrame(rows)
    assert list(table.columns) == report.CLAIM_COLUMNS


def test_a_leaderboard_without_dominated_runs_says_so():
    leaderboard = s04.aider_leaderboard(aider([("a", 1.0, 5), ("b", 2.0, 7)]), n_boot=0, seed=0)
    baselines = s04.baseline_frontier(s04.humaneval_strategies(evaluations([("r", "retry", 1.0, 5)]), 0, 0))
    board = s04.frontier_claims(baselines, leaderboard, paper_values())[1]
    assert (board["reproduced_value"], board["note"]) == ("2 of 2", "no run is dominated")


# --- unhappy paths ------------------------------------------------------------------------------------------


def test_a_caption_refuses_runs_of_different_sizes():
    table = evaluations([("r", "retry", 1.0, 5), ("r", "warming", 2.0, 7)])
    table.loc[table["strategy_name"] == "warming", "n_tasks"] = 12
    strategies = s04.humaneval_strategies(table, n_boot=0, seed=0)
    with pytest.raises(ValueError, match="runs of different sizes"):
        s04.humaneval_frontier(strategies)
    plt.close("all")


def test_missing_paper_values_and_nonsense_models_are_refused():
    with pytest.raises(KeyError, match="tau-bench/leaderboard-pass-hat-1"):
        s04.tau_reliability(tau_runs(), paper_values())
    with pytest.raises(ValueError, match="error_prob must be in"):
        s04.simulated_models({"sim-x": (1.5, "gpt-4o")})


# --- the topology runs: one endpoint road, live models priced by their own names ----------------------------


def test_topology_setting_resolves_the_endpoint_once():
    simulated = s04.topology_setting(None, None, {"sim-a": (0.1, "gpt-4o")})
    assert simulated.endpoint.simulated and [m.name for m in simulated.models] == ["sim-a"]
    live = s04.topology_setting("http://host:1/v1", ["m1", "m2"], {"sim-a": (0.1, "gpt-4o")}, {"max_rounds": 2})
    assert (live.endpoint.simulated, live.models, live.limits.max_rounds) == (False, ("m1", "m2"), 2)
    assert s04.topology_setting("http://host:1/v1", "m1").models == ("m1",)
    with pytest.raises(ValueError, match="base_url is empty"):
        s04.topology_setting("", None, {"sim-a": (0.1, "gpt-4o")})
    with pytest.raises(ValueError, match=r"unknown limit\(s\) \['rounds'\]"):
        s04.topology_setting(None, None, {"sim-a": (0.1, "gpt-4o")}, {"rounds": 2})
    with pytest.raises(ValueError, match="needs simulated models"):
        s04.topology_setting("simulated", None, {})


def _topology_runs(model, served, simulated, costs, successes):
    n = len(costs)
    return pd.DataFrame(
        {
            "model": model,
            "served_model": served,
            "architecture": ["single"] * n,
            "cost_usd": costs,
            "success": successes,
            "prompt_tokens": [10] * n,
            "cached_tokens": [0] * n,
            "simulated": simulated,
        }
    )


def test_an_unpriced_live_model_keeps_its_accuracy_and_has_no_cost():
    runs = pd.concat(
        [
            _topology_runs("priced", "priced-2025", False, [0.1, 0.3], [True, False]),
            _topology_runs("local", "local-q4", False, [math.nan, math.nan], [True, True]),
        ],
        ignore_index=True,
    )
    cost = s04.topology_cost(runs, n_boot=0, seed=0).set_index("model")
    assert cost.loc["priced", "cost_of_pass_usd"] == pytest.approx(0.4)  # (0.1 + 0.3) / 1 success
    assert cost.loc["local", "accuracy_pct"] == 100 and math.isnan(cost.loc["local", "cost_of_pass_usd"])
    assert not cost.loc["local", "on_frontier"] and cost.loc["local", "served_model"] == "local-q4"
    local, priced = s04.topology_claims(cost.reset_index())
    assert local["claim"] == "Topologies, local: lowest cost-of-pass" and local["reproduced_value"] is None
    assert local["note"].startswith("answered by local-q4; no price for local") and local["status"] == "new"
    assert priced["reproduced_value"] == "single at 0.4000" and priced["note"].startswith("answered by priced-2025")
    made = s04.topology_cost_of_pass(cost.reset_index())
    fig, caption = made.figure, made.caption
    assert "simulated data" not in [text.get_text() for text in fig.texts]  # a live run: no stamp
    assert [local["key"], priced["key"]] == [
        "topology/local/lowest-cost-of-pass",
        "topology/priced/lowest-cost-of-pass",
    ]
    titles = [ax.get_title() for ax in fig.axes] + [fig._suptitle.get_text()]
    assert not any("simulated" in t for t in titles) and "with model local-q4, priced-2025" in titles[-1]
    assert "1 unpriced" in titles[1] and "with model local-q4, priced-2025" in caption
    plt.close(fig)


def test_a_grid_of_unpriced_models_only_has_every_column_and_no_cost():
    cost = s04.topology_cost(_topology_runs("local", "local", False, [math.nan], [False]), n_boot=0, seed=0)
    table = s04.topology_table(cost)
    assert table["cost_of_pass_usd"].isna().all() and table["accuracy_pct"].tolist() == [0.0]
    (row,) = s04.topology_claims(cost)
    assert row["reproduced_value"] is None and "no price for local" in row["note"]
    fig = s04.topology_cost_of_pass(cost).figure
    assert "1 unpriced" in fig.axes[1].get_title()
    plt.close(fig)


def test_the_topology_figure_says_simulated_when_the_runs_are():
    runs = _topology_runs("sim-x", "sim-x", True, [0.1, 0.2], [True, False])
    cost = s04.topology_cost(runs, n_boot=0, seed=0)
    made = s04.topology_cost_of_pass(cost)
    fig, caption = made.figure, made.caption
    assert "(simulated" in fig.axes[0].get_title() and fig._suptitle.get_text().endswith("(simulated)")
    assert "simulated data" in [text.get_text() for text in fig.texts]
    assert caption.startswith("Simulated runs of the 1 study-02 topologies")
    (row,) = s04.topology_claims(cost)
    assert row["claim"] == "Simulated topologies, sim-x: lowest cost-of-pass"
    assert row["note"].startswith("simulated endpoint; 2 runs per topology")
    plt.close(fig)
