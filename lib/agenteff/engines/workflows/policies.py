"""Allocation policies for budget- and deadline-constrained workflows, and their simulated execution.

Policies of the MCPP study (Wang et al., 'On Time, Within Budget', arXiv:2605.06110):

* :class:`Seq`: every ready node gets ``k`` samples of one model; a failed batch is dispatched again.
* :class:`StaticSplit`: the budget is split over nodes once, before the run; node ``i`` gets
  ``floor(share_i / cost_i)`` samples per dispatch (a node whose share buys no sample cannot complete). Rules:
  ``uniform`` (equal shares), ``dirichlet`` (shares drawn from a flat Dirichlet, anew for every trial),
  ``latency`` (share proportional to the node's mean latency), ``success`` (proportional to the expected cost
  of one success, ``cost / success_prob``) and ``critical_path`` (nodes on the critical path of mean latencies
  get twice the share per unit of cost of the others). The paper names these splits; the exact weights are this
  project's reading.
* :class:`MCPP`: Monte Carlo Portfolio Planning; at every completion event with ready nodes, candidate actions
  (all ready nodes on one ``(model, k)``, plus ``n_random`` per-node draws when several nodes are ready) are
  each scored by ``n_rollouts`` simulated continuations under every ``Seq-(model, k)``; the best is executed.

Seq and the static splits run as executed baselines (samples launched one by one, no online deadline, judged on
makespan); MCPP's actions are atomic. See :mod:`agenteff.engines.workflows.kernels` for the exact rules.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import kernels
from .dag import Dag, Instance

__all__ = ["Seq", "StaticSplit", "MCPP", "SPLIT_RULES", "simulate", "evaluate", "plan_decision", "TRIAL_COLUMNS"]

SPLIT_RULES = ("uniform", "dirichlet", "latency", "success", "critical_path")
MAX_BATCH = 4096  # cap on a static split's samples per node, reached only with (near-)unlimited budgets
TRIAL_COLUMNS = ("success", "completed", "makespan", "spent", "decisions", "estimate", "rollouts")


@dataclass(frozen=True)
class Seq:
    k: int
    model: int = 0

    def __post_init__(self):
        if not 1 <= self.k <= 64:
            raise ValueError("Seq-k takes k in 1..64")

    @property
    def name(self) -> str:
        return f"Seq-{self.k}" + (f" m{self.model}" if self.model else "")

    def batches(self, dag: Dag, budgets: np.ndarray, n_trials: int, rng: np.random.Generator):
        shape = (len(budgets), n_trials, dag.n_nodes)
        return np.full(shape, self.model, dtype=np.int64), np.full(shape, self.k, dtype=np.int64)


@dataclass(frozen=True)
class StaticSplit:
    rule: str
    model: int = 0

    def __post_init__(self):
        if self.rule not in SPLIT_RULES:
            raise ValueError(f"unknown split rule {self.rule!r}; known: {SPLIT_RULES}")

    @property
    def name(self) -> str:
        return f"split-{self.rule}" + (f" m{self.model}" if self.model else "")

    def shares(self, dag: Dag, n_draws: int, rng: np.random.Generator) -> np.ndarray:
        """Budget shares ``[draw, node]`` (rows sum to 1)."""
        cost = dag.field("cost_mean")[self.model]
        if self.rule == "dirichlet":
            return rng.dirichlet(np.ones(dag.n_nodes), size=n_draws)
        weights = {
            "uniform": np.ones(dag.n_nodes),
            "latency": dag.field("lat_mean")[self.model],
            "success": cost / dag.field("success_prob")[self.model],
            "critical_path": cost * np.where(dag.critical_path(self.model), 2.0, 1.0),
        }[self.rule]
        return np.tile(weights / weights.sum(), (n_draws, 1))

    def batches(self, dag: Dag, budgets: np.ndarray, n_trials: int, rng: np.random.Generator):
        cost = dag.field("cost_mean")[self.model]
        shares = self.shares(dag, n_trials, rng)
        with np.errstate(invalid="ignore"):  # an unlimited budget times a zero share
            samples = np.floor(np.nan_to_num(budgets[:, None, None] * shares[None] / cost, nan=0.0))
        ks = np.minimum(samples, MAX_BATCH).astype(np.int64)
        return np.full(ks.shape, self.model, dtype=np.int64), ks


@dataclass(frozen=True)
class MCPP:
    k_values: tuple[int, ...] = (1, 4, 16, 64)
    n_rollouts: int = 64
    n_random: int = 8

    @property
    def name(self) -> str:
        return "MCPP"


def _compiled(dag: Dag):
    """The DAG as the kernels take it: topological order, CSR parents/children, lognormal parameters."""
    parents, children = dag.parents, dag.children
    parent_ptr = np.cumsum([0] + [len(p) for p in parents]).astype(np.int64)
    child_ptr = np.cumsum([0] + [len(c) for c in children]).astype(np.int64)
    parent_idx = np.array([q for p in parents for q in p], dtype=np.int64)
    child_idx = np.array([c for cs in children for c in cs], dtype=np.int64)
    mean, sd = dag.field("lat_mean"), dag.field("lat_std")
    sigma2 = np.log1p((sd / mean) ** 2)
    mu = np.log(mean) - sigma2 / 2
    p = dag.field("success_prob")
    with np.errstate(divide="ignore"):  # p == 1: a batch never fails
        log_fail = np.log1p(-p)
    return (
        dag.topological_order(),
        parent_ptr,
        parent_idx,
        child_ptr,
        child_idx,
        np.ascontiguousarray(mu),
        np.ascontiguousarray(np.sqrt(sigma2)),
        np.ascontiguousarray(dag.field("cost_mean")),
        np.ascontiguousarray(log_fail),
    )


def _run(dag: Dag, policy, budgets, deadlines, n_trials: int, seed: int) -> np.ndarray:
    budgets = np.asarray(budgets, dtype=float)
    deadlines = np.asarray(deadlines, dtype=float)
    rng = np.random.default_rng(seed)
    if isinstance(policy, MCPP):
        mode = kernels.MODE_MCPP
        shape = (len(budgets), n_trials, dag.n_nodes)
        models, ks = np.zeros(shape, dtype=np.int64), np.ones(shape, dtype=np.int64)
        k_values, n_random, n_rollouts = np.array(policy.k_values, dtype=np.int64), policy.n_random, policy.n_rollouts
    else:
        mode = kernels.MODE_BASELINE
        models, ks = policy.batches(dag, budgets, n_trials, rng)
        k_values, n_random, n_rollouts = np.ones(1, dtype=np.int64), 0, 0
    return kernels.run_trials(
        *_compiled(dag),
        budgets,
        deadlines,
        mode,
        models,
        ks,
        k_values,
        n_random,
        n_rollouts,
        kernels.trial_keys(seed, n_trials),
    )


def simulate(instance: Instance, policy, n_trials: int, seed: int) -> pd.DataFrame:
    """One row per trial of ``policy`` on ``instance``: success (completed within budget and deadline),
    completed (the DAG finished within budget), makespan (s), spent, MCPP's decisions, its first estimate of
    the completion probability and the rollouts it simulated. Trials share random numbers across policies."""
    out = _run(instance.dag, policy, [instance.budget], [instance.deadline], n_trials, seed)[0]
    frame = pd.DataFrame(out, columns=list(TRIAL_COLUMNS))
    frame[["success", "completed"]] = frame[["success", "completed"]].astype(bool)
    frame[["decisions", "rollouts"]] = frame[["decisions", "rollouts"]].astype(np.int64)
    frame.insert(0, "trial", np.arange(n_trials))
    return frame


def evaluate(dag: Dag, policies, settings: pd.DataFrame, n_trials: int, seed: int) -> pd.DataFrame:
    """Completion probability of each policy at each setting (rows of ``settings`` with ``budget`` and
    ``deadline``, other columns carried along): one row per (setting, policy) with ``p`` (share of trials that
    succeed), its standard error ``se``, the share completed regardless of the deadline, MCPP's mean first
    estimate, mean decisions and rollouts per decision."""
    rows = []
    for policy in policies:
        out = _run(dag, policy, settings["budget"], settings["deadline"], n_trials, seed)
        success = out[..., 0]
        p = success.mean(axis=1)
        decisions = out[..., 4].sum(axis=1)
        frame = settings.reset_index(drop=True).copy()
        frame["policy"] = policy.name
        frame["p"] = p
        frame["se"] = np.sqrt(p * (1 - p) / n_trials)
        frame["completed"] = out[..., 1].mean(axis=1)
        frame["estimate"] = np.nanmean(out[..., 5], axis=1) if isinstance(policy, MCPP) else np.nan
        frame["decisions"] = decisions / n_trials
        frame["rollouts_per_decision"] = np.where(
            decisions > 0, out[..., 6].sum(axis=1) / np.maximum(decisions, 1), 0.0
        )
        rows.append(frame)
    return pd.concat(rows, ignore_index=True)


def plan_decision(instance: Instance, policy: MCPP = MCPP(), seed: int = 0, parallel: bool = True):
    """MCPP's first decision on ``instance`` (all source nodes ready): ``(models, ks, estimate, rollouts)``
    with ``models``/``ks`` per node (meaningful for the ready nodes)."""
    dag = instance.dag
    status = np.array([kernels.READY if not p else kernels.PENDING for p in dag.parents], dtype=np.int64)
    zeros = np.zeros(dag.n_nodes, dtype=np.int64)
    planner = kernels.plan_parallel if parallel else kernels.plan
    compiled = _compiled(dag)
    return planner(
        *compiled[:3],
        *compiled[5:],
        status,
        zeros,
        zeros + 1,
        np.zeros(dag.n_nodes),
        np.array(policy.k_values, dtype=np.int64),
        policy.n_random,
        policy.n_rollouts,
        float(instance.budget),
        float(instance.deadline),
        kernels.trial_keys(seed, 1)[0],
    )
