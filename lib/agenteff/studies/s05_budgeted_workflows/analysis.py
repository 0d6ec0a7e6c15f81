"""The budget x deadline study of MCPP against its baselines (study 05) and its summaries.

The budget axis is in units of the instance's reference cost (one sample of the first model on every node) and
the deadline axis in units of its reference latency (the critical path of mean one-sample latencies): the
authors' own grid is not released, so these relative units make instances of different sizes comparable.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ...engines.workflows.dag import Dag, Instance, chain_dag, layered_dag, load_instances, portfolio, save_instances
from ...engines.workflows.policies import MCPP, SPLIT_RULES, Seq, StaticSplit, evaluate, plan_decision, simulate
from ...paths import figures_dir

__all__ = [
    "DEFAULTS",
    "INFORMATIVE",
    "SPEED_TARGET",
    "SPEED_SIZES",
    "SHOWN_TWO_MODELS",
    "Grid",
    "template_summary",
    "mcpp_settings",
    "random_instances",
    "exchange_round_trip",
    "instance_table",
    "baselines",
    "portfolio_models",
    "with_portfolio",
    "grid_settings",
    "evaluate_grid",
    "grid_summary",
    "run_grid",
    "grid_precision",
    "best_baseline",
    "advantage",
    "advantage_over",
    "advantage_over_best",
    "verdict_counts",
    "advantage_by_baseline",
    "strongest_baseline",
    "calibration_cells",
    "single_plan_grid",
    "single_plan_check",
    "calibration_table",
    "calibration_errors",
    "planning_overhead",
    "chain_check",
    "budget_below_one_sample",
    "speed_cases",
    "measure_planning_speed",
    "speed_table",
]

#: Sizes ``fast`` shrinks: (full run, fast run); settled by :func:`agenteff.params.settle`.
DEFAULTS = {"n_instances": (3, 2), "n_trials": (120, 16), "n_trials_portfolio": (50, 8)}
#: Cells where either policy's completion probability lies strictly inside this range inform a comparison.
INFORMATIVE = (0.02, 0.98)
#: The planning throughput this project aims at (issue 8), rollouts per second on one thread.
SPEED_TARGET = 1e6
#: Node counts of the DAGs the planning speed is measured on (each with one and two models).
SPEED_SIZES = (8, 16)
#: The two-model heat-maps show MCPP and this selection of the baselines (all are in the tables).
SHOWN_TWO_MODELS = (
    "MCPP",
    "Seq-1",
    "Seq-4",
    "Seq-16",
    "split-success",
    "Seq-1 m1",
    "Seq-4 m1",
    "Seq-16 m1",
    "split-success m1",
    "split-critical_path m1",
)


@dataclass(frozen=True)
class Grid:
    """One budget x deadline grid: MCPP and the baselines on the evaluation trials (``summary``), the baselines
    again on independent trials (``selection``, used only to choose a baseline), and what was run."""

    label: str  # "one model", "two models"
    summary: pd.DataFrame
    selection: pd.DataFrame
    baselines: tuple[str, ...]
    trials_per_cell: int
    n_nodes: int  # nodes per DAG


def template_summary(templates: pd.DataFrame) -> pd.DataFrame:
    """Distribution of the node templates' fields, with the cost per second of latency (its size hints at the
    unit of the cost)."""
    table = templates.drop(columns="template_id").assign(cost_per_second=templates["cost_mean"] / templates["lat_mean"])
    return table.describe().loc[["count", "mean", "std", "min", "50%", "max"]]


def mcpp_settings(policy: MCPP | None = None) -> pd.Series:
    """MCPP's planning settings (the paper's): the k set, rollouts per candidate and continuation, random
    per-node candidates."""
    policy = policy or MCPP()
    return pd.Series(asdict(policy), name=policy.name)


def random_instances(
    templates: pd.DataFrame, n_instances: int, n_nodes: int, n_layers: int, edge_prob: float, seed: int
) -> list[Dag]:
    """``n_instances`` layered random DAGs with node templates drawn from ``templates``."""
    rng = np.random.default_rng(seed)
    return [layered_dag(templates, n_nodes, n_layers, edge_prob, rng) for _ in range(n_instances)]


def exchange_round_trip(dags: list[Dag], notebook: str) -> list[Dag]:
    """Write the instances (budget and deadline at their reference values) in the exchange format to
    ``figures/<notebook>/instances.json``, so other simulators can run them, and read them back."""
    path = save_instances(
        [Instance(d, d.reference_cost(), d.reference_latency()) for d in dags],
        Path(figures_dir()) / notebook / "instances.json",
    )
    return [instance.dag for instance in load_instances(path)]


def instance_table(dags: list[Dag]) -> pd.DataFrame:
    """Per instance: edges, reference cost and latency, and the mean success probability of its nodes."""
    return pd.DataFrame(
        [
            {
                "instance": i,
                "edges": sum(map(len, d.parents)),
                "reference_cost": d.reference_cost(),
                "reference_latency_s": d.reference_latency(),
                "mean_success_prob": d.field("success_prob").mean(),
            }
            for i, d in enumerate(dags)
        ]
    )


def baselines(seq_k, n_models: int = 1) -> list:
    """Every fixed policy on every model: Seq-k for each ``k`` of ``seq_k`` and every static split."""
    return [
        policy
        for model in range(n_models)
        for policy in [Seq(k, model) for k in seq_k] + [StaticSplit(rule, model) for rule in SPLIT_RULES]
    ]


def portfolio_models(success_power: float = 2.0, latency_scale: float = 0.5, cost_scale: float = 0.25) -> pd.DataFrame:
    """The two-model portfolio: the released (strong) model and a light one derived from it (our assumption, not
    the paper's): each sample costs ``cost_scale`` and takes ``latency_scale`` times as much and succeeds with
    probability ``p ** success_power``."""
    return pd.DataFrame(
        {
            "model": ["strong", "light"],
            "success_power": [1.0, success_power],
            "latency_scale": [1.0, latency_scale],
            "cost_scale": [1.0, cost_scale],
        }
    )


def with_portfolio(dags: list[Dag], models: pd.DataFrame) -> list[Dag]:
    """The same DAGs with every model of ``models`` on each node."""
    return [portfolio(d, models) for d in dags]


def grid_settings(dag: Dag, budget_x, deadline_x) -> pd.DataFrame:
    """Every (budget, deadline) pair of the grid, in absolute units for ``dag``."""
    cells = pd.MultiIndex.from_product([budget_x, deadline_x], names=["budget_x", "deadline_x"]).to_frame(index=False)
    cells["budget"] = cells["budget_x"] * dag.reference_cost()
    cells["deadline"] = cells["deadline_x"] * dag.reference_latency()
    return cells


def evaluate_grid(dags, policies, budget_x, deadline_x, n_trials: int, seed: int) -> pd.DataFrame:
    """:func:`~agenteff.engines.workflows.policies.evaluate` on every instance over the grid; column ``instance``."""
    frames = []
    for index, dag in enumerate(dags):
        frame = evaluate(dag, policies, grid_settings(dag, budget_x, deadline_x), n_trials, seed + 1000 * index)
        frame.insert(0, "instance", index)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def grid_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Completion probability per (cell, policy) averaged over instances, with its standard error."""
    grouped = table.groupby(["budget_x", "deadline_x", "policy"], sort=False)
    out = grouped.agg(
        p=("p", "mean"),
        estimate=("estimate", "mean"),
        decisions=("decisions", "mean"),
        rollouts_per_decision=("rollouts_per_decision", "mean"),
        instances=("p", "size"),
    )
    out["se"] = grouped["se"].apply(lambda se: math.sqrt((se**2).sum())) / out["instances"]
    return out.reset_index()


def run_grid(dags: list[Dag], fixed: list, budget_x, deadline_x, n_trials: int, seed: int, label: str) -> Grid:
    """MCPP and the ``fixed`` policies over the grid on every instance, and the fixed policies again on
    independent trials (seed + 1) to choose baselines with."""
    summary = grid_summary(evaluate_grid(dags, [*fixed, MCPP()], budget_x, deadline_x, n_trials, seed))
    selection = grid_summary(evaluate_grid(dags, fixed, budget_x, deadline_x, n_trials, seed + 1))
    return Grid(
        label, summary, selection, tuple(policy.name for policy in fixed), len(dags) * n_trials, dags[0].n_nodes
    )


def grid_precision(grid: Grid) -> pd.DataFrame:
    """Trials per cell and the largest standard error of a cell's completion probability."""
    return pd.DataFrame(
        [{"grid": grid.label, "trials_per_cell": grid.trials_per_cell, "largest_se": grid.summary["se"].max()}]
    )


def best_baseline(selection: pd.DataFrame, evaluation: pd.DataFrame, baselines) -> pd.DataFrame:
    """Per cell, the baseline with the highest completion probability on the ``selection`` trials and its
    probability on independent ``evaluation`` trials (selecting and scoring on the same trials would credit the
    baseline with the luck of the best of many noisy estimates)."""
    pool = selection[selection["policy"].isin(baselines)]
    chosen = pool.loc[pool.groupby(["budget_x", "deadline_x"])["p"].idxmax(), ["budget_x", "deadline_x", "policy"]]
    scored = chosen.merge(evaluation, on=["budget_x", "deadline_x", "policy"])
    return scored[["budget_x", "deadline_x", "policy", "p", "se"]].reset_index(drop=True)


def advantage(summary: pd.DataFrame, reference: pd.DataFrame, policy: str = "MCPP") -> pd.DataFrame:
    """Per cell: ``policy``'s completion probability minus ``reference``'s (a table with ``p``, ``se`` per
    cell), its standard error, and whether it is significantly positive or negative (|z| > 2)."""
    mine = summary[summary["policy"] == policy][["budget_x", "deadline_x", "p", "se"]]
    both = mine.merge(reference, on=["budget_x", "deadline_x"], suffixes=("", "_reference"))
    both["difference"] = both["p"] - both["p_reference"]
    both["difference_se"] = np.sqrt(both["se"] ** 2 + both["se_reference"] ** 2)
    z = both["difference"] / both["difference_se"].where(both["difference_se"] > 0)
    both["verdict"] = np.select([z > 2, z < -2], ["better", "worse"], "tie")
    return both


def advantage_over(grid: Grid, baseline: str) -> pd.DataFrame:
    """:func:`advantage` of MCPP over one fixed ``baseline`` on the grid."""
    reference = grid.summary[grid.summary["policy"] == baseline][["budget_x", "deadline_x", "p", "se"]]
    return advantage(grid.summary, reference)


def advantage_over_best(grid: Grid) -> pd.DataFrame:
    """:func:`advantage` of MCPP over the best baseline of each cell, chosen on the selection trials."""
    return advantage(grid.summary, best_baseline(grid.selection, grid.summary, grid.baselines))


def verdict_counts(cells: pd.DataFrame) -> pd.Series:
    """Cells where MCPP is significantly better, tied or worse."""
    return cells["verdict"].value_counts().reindex(["better", "tie", "worse"], fill_value=0)


def advantage_by_baseline(
    summary: pd.DataFrame, baselines, policy: str = "MCPP", informative: tuple[float, float] = INFORMATIVE
) -> pd.DataFrame:
    """For each baseline: ``policy``'s mean advantage over the informative cells (where either policy's
    completion probability lies inside ``informative``), its standard error (cells taken as independent) and
    the number of cells where it is significantly better, tied or worse (|z| > 2 per cell, so about one cell in
    40 is flagged by chance when two policies are equal)."""
    rows = []
    for name in baselines:
        reference = summary[summary["policy"] == name][["budget_x", "deadline_x", "p", "se"]]
        cells = advantage(summary, reference, policy)
        lo, hi = informative
        inside = cells[
            ((cells["p"] > lo) & (cells["p"] < hi)) | ((cells["p_reference"] > lo) & (cells["p_reference"] < hi))
        ]
        counts = inside["verdict"].value_counts()
        mean_se = math.sqrt((inside["difference_se"] ** 2).sum()) / max(len(inside), 1)
        rows.append(
            {
                "baseline": name,
                "cells": len(inside),
                "mean_advantage": inside["difference"].mean(),
                "mean_advantage_se": mean_se,
                "better": int(counts.get("better", 0)),
                "tie": int(counts.get("tie", 0)),
                "worse": int(counts.get("worse", 0)),
            }
        )
    return pd.DataFrame(rows)


def strongest_baseline(selection: pd.DataFrame, baselines) -> str:
    """The baseline with the highest completion probability averaged over the whole grid (on ``selection``
    trials): the best single policy a user could have fixed in advance."""
    pool = selection[selection["policy"].isin(baselines)]
    return str(pool.groupby("policy")["p"].mean().idxmax())


def calibration_cells(summary: pd.DataFrame, policy: str = "MCPP") -> pd.DataFrame:
    """``policy``'s first-decision estimate of its completion probability beside the measured probability."""
    rows = summary[summary["policy"] == policy][["budget_x", "deadline_x", "estimate", "p", "se"]].copy()
    rows["difference"] = rows["p"] - rows["estimate"]
    return rows.reset_index(drop=True)


def chain_check(
    probabilities=(0.35, 0.6), k_values=(1, 2, 4, 8, 16), cost: float = 1000.0, n_trials: int = 20_000, seed: int = 0
) -> pd.DataFrame:
    """Seq-k on a chain whose budget buys exactly one batch per node and with no deadline: simulated completion
    probability beside the closed form prod_i (1 - (1 - p_i)^k), and their difference in standard errors."""
    dag = chain_dag([[p, 1.0, 0.5, cost] for p in probabilities])
    rows = []
    for k in k_values:
        instance = Instance(dag, k * cost * len(probabilities), math.inf)
        measured = simulate(instance, Seq(k), n_trials, seed)["success"].mean()
        exact = float(np.prod([1 - (1 - p) ** k for p in probabilities]))
        rows.append(
            {"k": k, "simulated": measured, "closed_form": exact, "se": math.sqrt(exact * (1 - exact) / n_trials)}
        )
    table = pd.DataFrame(rows)
    table["z"] = (table["simulated"] - table["closed_form"]) / table["se"]
    return table


def budget_below_one_sample(seq_k=(1, 64), n_trials: int = 1000, seed: int = 0) -> pd.Series:
    """Completion probability of every kind of policy on a two-node chain whose budget cannot buy one sample:
    zero for all of them."""
    cost = 1000.0
    too_poor = Instance(chain_dag([[0.9, 1.0, 0.2, cost]] * 2), cost - 1, math.inf)
    policies: list[Seq | StaticSplit | MCPP] = [*(Seq(k) for k in seq_k), StaticSplit("uniform"), MCPP()]
    return pd.Series(
        {policy.name: float(simulate(too_poor, policy, n_trials, seed)["success"].mean()) for policy in policies},
        name="completion probability",
    )


def single_plan_grid(dags: list[Dag], budget_x, deadline_x, n_trials: int, seed: int, k: int = 4) -> pd.DataFrame:
    """:func:`calibration` of a single-plan MCPP (one candidate, ``k`` samples, one continuation) on the grid:
    neither replanning nor best-of-many selection applies, so its estimate must match within Monte Carlo error."""
    policy = MCPP(k_values=(k,), n_random=0)
    return calibration_cells(
        grid_summary(evaluate_grid(dags, [policy], budget_x, deadline_x, n_trials, seed)), policy.name
    )


def single_plan_check(cells: pd.DataFrame, informative: tuple[float, float] = INFORMATIVE) -> pd.Series:
    """Over the informative cells of :func:`single_plan_grid`: how many, the mean absolute difference between
    measured and estimated probability, the share within 2 standard errors and the mean z."""
    inside = cells[cells["p"].between(*informative)]
    z = inside["difference"] / inside["se"]
    return pd.Series(
        {
            "informative_cells": len(inside),
            "mean_abs_difference": inside["difference"].abs().mean(),
            "share_within_2_se": float((z.abs() <= 2).mean()),
            "mean_z": z.mean(),
        }
    )


def calibration_table(one: Grid, two: Grid, single: pd.DataFrame) -> pd.DataFrame:
    """Estimate beside measured probability per cell for MCPP on both grids and the single-plan MCPP."""
    return pd.concat(
        [
            calibration_cells(one.summary).assign(setting=f"MCPP, {one.label}"),
            calibration_cells(two.summary).assign(setting=f"MCPP, {two.label}"),
            single.assign(setting="single plan"),
        ],
        ignore_index=True,
    )


def calibration_errors(calibrated: pd.DataFrame) -> pd.DataFrame:
    """Per setting of :func:`calibration_table`: mean and mean absolute difference, measured minus estimate."""
    grouped = calibrated.groupby("setting")["difference"]
    return pd.DataFrame(
        {
            "mean measured - estimate": grouped.mean(),
            "mean absolute difference": grouped.apply(lambda d: d.abs().mean()),
        }
    )


def planning_overhead(*grids: Grid) -> pd.DataFrame:
    """MCPP's decisions per run and rollouts per decision, averaged over each grid."""
    rows = {
        grid.label: grid.summary[grid.summary["policy"] == "MCPP"][["decisions", "rollouts_per_decision"]].mean()
        for grid in grids
    }
    return pd.DataFrame(rows).T.rename_axis("grid")


def speed_cases(
    templates: pd.DataFrame, models: pd.DataFrame, n_layers: int, edge_prob: float, seed: int
) -> dict[str, Instance]:
    """One planning problem per DAG size of :data:`SPEED_SIZES`, with one and with two models, at a moderate
    budget (three reference costs) and deadline (two reference latencies)."""
    rng = np.random.default_rng(seed)
    cases = {}
    for size in SPEED_SIZES:
        base = layered_dag(templates, size, n_layers, edge_prob, rng)
        for label, dag in (("1 model", base), ("2 models", portfolio(base, models))):
            cases[f"{size} nodes, {label}"] = Instance(dag, 3 * dag.reference_cost(), 2 * dag.reference_latency())
    return cases


def measure_planning_speed(
    cases: dict[str, Instance], policy: MCPP | None = None, repeats: int = 20, parallel: bool = True
) -> pd.DataFrame:
    """Wall time of MCPP's first decision per case (best of ``repeats``, so other load on the machine counts as
    little as possible), the rollouts it simulated and the rollouts per second, on all numba threads
    (``parallel``) or on one."""
    policy = policy or MCPP()
    rows = []
    for name, instance in cases.items():
        plan_decision(instance, policy, seed=0, parallel=parallel)  # compile and warm up outside the timing
        best, rollouts = math.inf, 0
        for repeat in range(repeats):
            start = time.perf_counter()
            rollouts = plan_decision(instance, policy, seed=repeat, parallel=parallel)[3]
            best = min(best, time.perf_counter() - start)
        rows.append(
            {
                "case": name,
                "rollouts_per_decision": rollouts,
                "seconds_per_decision": best,
                "rollouts_per_second": rollouts / best,
            }
        )
    return pd.DataFrame(rows)


def speed_table(speed: pd.DataFrame) -> pd.DataFrame:
    """:func:`measure_planning_speed` with the time per decision in milliseconds."""
    return speed.assign(milliseconds_per_decision=1000 * speed["seconds_per_decision"]).drop(
        columns="seconds_per_decision"
    )
