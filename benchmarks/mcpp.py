"""Planning speed of MCPP (study 05): simulated rollouts per second, and two threads against one.

Cases: layered random DAGs of 8 and 16 nodes (4 layers, edge probability 0.5, node templates from the MCPP
authors' released statistics) with 1 model and with the study's 2-model portfolio, each at two cells of the
study's grid: mid (3x the reference cost, 2x the reference latency) and the loosest (8x, 4x), and a stress cell
without effective limits (100x both), where every rollout runs to the end and, under the light model's Seq-1
continuation, a node with per-sample success p^2 ~ 0.008 takes about 130 single-sample batches (16 nodes).

One decision = MCPP's first decision with its default settings (64 rollouts per candidate and continuation,
k in {1, 4, 16, 64}, 8 random per-node candidates). Decisions on all numba threads and on one alternate in the
same process (so load on a shared machine hits both alike); figures are medians over the repetitions, and the
thread speed-up is the median of the paired ratios. Target: 1,000,000 rollouts/s on 2 cores in every case, and
two threads >= 1.7x one.

Anchors, measured on this machine kind with the authors' released simulator (WangXinglin/MCPP at commit 2a377ff,
its defaults M = 64 rollouts and k in {1, 4, 16, 64}, over the decisions of a few trials; for pure Python with 16
nodes or 2 models over the first decisions only), in rollouts/s for 8 nodes x 1 model / 8 x 2 / 16 x 1 / 16 x 2:
pure Python 2,174 / 1,964 / 566 / 515 and their numba kernel 251,305 / 226,912 / 126,177 / 110,484.

    AGENTEFF_MIRROR=../shared/mirror python benchmarks/mcpp.py [--repeats 15]
"""

from __future__ import annotations

import argparse
import os
import time

import numba
import numpy as np
import pandas as pd

from agenteff import datasets
from agenteff.engines.workflows import MCPP, Instance, layered_dag, plan_decision, portfolio

TARGET = 1_000_000
TARGET_SPEEDUP = 1.7
PORTFOLIO = pd.DataFrame(
    {"model": ["strong", "light"], "success_power": [1.0, 2.0], "latency_scale": [1.0, 0.5], "cost_scale": [1.0, 0.25]}
)
CELLS = {"mid": (3.0, 2.0), "loosest": (8.0, 4.0), "stress": (100.0, 100.0)}
# (nodes, models) -> rollouts/s of the authors' simulator, measured (see the docstring)
ANCHOR_NUMBA = {(8, 1): 251_305, (8, 2): 226_912, (16, 1): 126_177, (16, 2): 110_484}
ANCHOR_PYTHON = {(8, 1): 2_174, (8, 2): 1_964, (16, 1): 566, (16, 2): 515}


def cases() -> pd.DataFrame:
    templates = datasets.load("mcpp-node-templates")
    rng = np.random.default_rng(0)
    rows = []
    for n_nodes in (8, 16):
        base = layered_dag(templates, n_nodes, 4, 0.5, rng)
        for n_models, dag in ((1, base), (2, portfolio(base, PORTFOLIO))):
            for cell, (budget_x, deadline_x) in CELLS.items():
                rows.append(
                    {
                        "nodes": n_nodes,
                        "models": n_models,
                        "cell": cell,
                        "instance": Instance(
                            dag, budget_x * dag.reference_cost(), deadline_x * dag.reference_latency()
                        ),
                    }
                )
    return pd.DataFrame(rows)


def measure(instance: Instance, repeats: int, policy: MCPP | None = None) -> dict:
    """Median seconds per decision on all threads and on one (alternating), and the median paired speed-up."""
    policy = policy or MCPP()
    for parallel in (True, False):
        plan_decision(instance, policy, seed=0, parallel=parallel)  # compile and warm up outside the timing
    seconds = {True: [], False: []}
    cpu_seconds = []  # the serial planner's own CPU time: what one idle core would give, whatever the load
    rollouts = 0
    for repeat in range(repeats):
        for parallel in (True, False) if repeat % 2 else (False, True):
            started, cpu_started = time.perf_counter(), time.thread_time()
            rollouts = plan_decision(instance, policy, seed=repeat, parallel=parallel)[3]
            seconds[parallel].append(time.perf_counter() - started)
            if not parallel:
                cpu_seconds.append(time.thread_time() - cpu_started)
    threads, single = np.array(seconds[True]), np.array(seconds[False])
    return {
        "rollouts_per_decision": rollouts,
        "ms_per_decision": 1000 * np.median(threads),
        "rollouts_per_s": rollouts / np.median(threads),
        "rollouts_per_s_1_thread": rollouts / np.median(single),
        "rollouts_per_cpu_s_1_thread": rollouts / max(np.median(cpu_seconds), 1e-9),
        "speedup": float(np.median(single / threads)),
    }


def measurements(repeats: int = 15) -> pd.DataFrame:
    table = cases()
    measured = pd.DataFrame([measure(instance, repeats) for instance in table["instance"]])
    return pd.concat([table.drop(columns="instance"), measured], axis=1)


def rows(repeats: int = 15) -> list[dict]:
    """Rows of the benchmark table (see benchmarks/run_all.py)."""
    out = []
    threads = numba.get_num_threads()
    for r in measurements(repeats).itertuples():
        case = f"MCPP {r.nodes} nodes x {r.models} model(s), {r.cell}"
        anchor = ANCHOR_NUMBA[(r.nodes, r.models)]
        out.append(
            {
                "case": f"{case}: rollouts/s, {threads} threads",
                "ours": r.rollouts_per_s,
                "anchor": anchor,
                "limit": None,
                "ratio": r.rollouts_per_s / anchor,
                "target": f">= {TARGET:,} /s",
                "met": r.rollouts_per_s >= TARGET,
                "note": f"authors' numba kernel; {r.rollouts_per_s / ANCHOR_PYTHON[(r.nodes, r.models)]:,.0f}x "
                "their pure Python",
            }
        )
        out.append(
            {
                "case": f"{case}: rollouts per CPU-s, 1 thread",
                "ours": r.rollouts_per_cpu_s_1_thread,
                "anchor": anchor,
                "limit": None,
                "ratio": r.rollouts_per_cpu_s_1_thread / anchor,
                "target": "",
                "met": None,
                "note": "the serial planner's thread CPU time: robust to load",
            }
        )
        out.append(
            {
                "case": f"{case}: {threads} threads / 1",
                "ours": r.speedup,
                "anchor": None,
                "limit": float(threads),
                "ratio": r.speedup / threads,
                "target": f">= {TARGET_SPEEDUP}x",
                "met": r.speedup >= TARGET_SPEEDUP,
                "note": f"{r.rollouts_per_decision:,} rollouts, {r.ms_per_decision:.2f} ms per decision",
            }
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    repeats = parser.parse_args().repeats
    out = measurements(repeats)
    print(f"numba threads: {numba.get_num_threads()} ({numba.threading_layer()}); load {os.getloadavg()[0]:.1f}")
    with pd.option_context("display.width", 160, "display.float_format", "{:,.4g}".format):
        print(out.to_string(index=False))
    slowest = out["rollouts_per_s"].min()
    print(f"slowest case: {slowest:,.0f} rollouts/s (target {TARGET:,}: {'met' if slowest >= TARGET else 'NOT met'})")


if __name__ == "__main__":
    main()
