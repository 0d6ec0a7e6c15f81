"""The budget x deadline study of MCPP against its baselines (study 05), and its summaries.

The budget axis is in units of the instance's reference cost (one sample of the first model on every node) and
the deadline axis in units of its reference latency (the critical path of mean one-sample latencies): the
authors' own grid is not released, so these relative units make instances of different sizes comparable.
"""
from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd

from ...engines.workflows.dag import Dag, Instance, chain_dag, layered_dag
from ...engines.workflows.policies import MCPP, Seq, evaluate, plan_decision, simulate

__all__ = ["random_instances", "grid_settings", "evaluate_grid", "grid_summary", "best_baseline",
           "advantage", "advantage_by_baseline", "strongest_baseline", "calibration", "chain_check", "planning_speed"]


def random_instances(templates: pd.DataFrame, n_instances: int, n_nodes: int, n_layers: int, edge_prob: float,
                     seed: int) -> list[Dag]:
    """``n_instances`` layered random DAGs with node templates drawn from ``templates``."""
    rng = np.random.default_rng(seed)
    return [layered_dag(templates, n_nodes, n_layers, edge_prob, rng) for _ in range(n_instances)]


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
    out = grouped.agg(p=("p", "mean"), estimate=("estimate", "mean"), decisions=("decisions", "mean"),
                      rollouts_per_decision=("rollouts_per_decision", "mean"), instances=("p", "size"))
    out["se"] = grouped["se"].apply(lambda se: math.sqrt((se ** 2).sum())) / out["instances"]
    return out.reset_index()


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


def advantage_by_baseline(summary: pd.DataFrame, baselines, policy: str = "MCPP",
                          informative: tuple[float, float] = (0.02, 0.98)) -> pd.DataFrame:
    """For each baseline: ``policy``'s mean advantage over the informative cells (where either policy's
    completion probability lies inside ``informative``), its standard error (cells taken as independent) and
    the number of cells where it is significantly better, tied or worse (|z| > 2 per cell, so about one cell in
    40 is flagged by chance when two policies are equal)."""
    rows = []
    for name in baselines:
        reference = summary[summary["policy"] == name][["budget_x", "deadline_x", "p", "se"]]
        cells = advantage(summary, reference, policy)
        lo, hi = informative
        inside = cells[((cells["p"] > lo) & (cells["p"] < hi)) | ((cells["p_reference"] > lo) & (cells["p_reference"] < hi))]
        counts = inside["verdict"].value_counts()
        mean_se = math.sqrt((inside["difference_se"] ** 2).sum()) / max(len(inside), 1)
        rows.append({"baseline": name, "cells": len(inside), "mean_advantage": inside["difference"].mean(),
                     "mean_advantage_se": mean_se, "better": int(counts.get("better", 0)),
                     "tie": int(counts.get("tie", 0)), "worse": int(counts.get("worse", 0))})
    return pd.DataFrame(rows)


def strongest_baseline(selection: pd.DataFrame, baselines) -> str:
    """The baseline with the highest completion probability averaged over the whole grid (on ``selection``
    trials): the best single policy a user could have fixed in advance."""
    pool = selection[selection["policy"].isin(baselines)]
    return str(pool.groupby("policy")["p"].mean().idxmax())


def calibration(summary: pd.DataFrame, policy: str = "MCPP") -> pd.DataFrame:
    """``policy``'s first-decision estimate of its completion probability beside the measured probability."""
    rows = summary[summary["policy"] == policy][["budget_x", "deadline_x", "estimate", "p", "se"]].copy()
    rows["difference"] = rows["p"] - rows["estimate"]
    return rows.reset_index(drop=True)


def chain_check(probabilities, k_values, cost: float, n_trials: int, seed: int) -> pd.DataFrame:
    """Seq-k on a chain whose budget buys exactly one batch per node and with no deadline: simulated completion
    probability beside the closed form prod_i (1 - (1 - p_i)^k)."""
    dag = chain_dag([[p, 1.0, 0.5, cost] for p in probabilities])
    rows = []
    for k in k_values:
        instance = Instance(dag, k * cost * len(probabilities), math.inf)
        measured = simulate(instance, Seq(k), n_trials, seed)["success"].mean()
        exact = float(np.prod([1 - (1 - p) ** k for p in probabilities]))
        rows.append({"k": k, "simulated": measured, "closed_form": exact,
                     "se": math.sqrt(exact * (1 - exact) / n_trials)})
    return pd.DataFrame(rows)


def planning_speed(cases: dict[str, Instance], policy: MCPP = MCPP(), repeats: int = 20,
                   parallel: bool = True) -> pd.DataFrame:
    """Wall time of MCPP's first decision per case (best of ``repeats``, so other load on the machine counts as
    little as possible), the rollouts it simulated and the rollouts per second, on all numba threads
    (``parallel``) or on one."""
    rows = []
    for name, instance in cases.items():
        plan_decision(instance, policy, seed=0, parallel=parallel)  # compile and warm up outside the timing
        best, rollouts = math.inf, 0
        for repeat in range(repeats):
            start = time.perf_counter()
            rollouts = plan_decision(instance, policy, seed=repeat, parallel=parallel)[3]
            best = min(best, time.perf_counter() - start)
        rows.append({"case": name, "rollouts_per_decision": rollouts, "seconds_per_decision": best,
                     "rollouts_per_second": rollouts / best})
    return pd.DataFrame(rows)
