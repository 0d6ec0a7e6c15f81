"""Planning speed of MCPP (study 05): simulated rollouts per second and seconds per decision.

Cases: layered random DAGs of 8 and 16 nodes (4 layers, edge probability 0.5, node templates from the MCPP
authors' released statistics) with 1 model and with the study's 2-model portfolio, each at two cells of the
study's grid: mid (3x the reference cost, 2x the reference latency) and the loosest (8x, 4x; the fewest rollouts
stop early). A stress case without effective limits (100x both) is printed apart: there a light-model node with
per-sample success p^2 ~ 0.001 needs thousands of single-sample batches per rollout.

One decision = MCPP's first decision with its default settings (64 rollouts per candidate and continuation,
k in {1, 4, 16, 64}, 8 random per-node candidates). Best of 30 repetitions, on all numba threads and on one.
Prints only; the target is 1,000,000 rollouts/s on 2 cores in every grid case.

    AGENTEFF_MIRROR=../shared/mirror python benchmarks/mcpp.py
"""
import numba
import numpy as np
import pandas as pd

from agenteff import datasets
from agenteff.engines.workflows import Instance, layered_dag, portfolio
from agenteff.studies.s05_budgeted_workflows import analysis as study

TARGET = 1_000_000
PORTFOLIO = pd.DataFrame({"model": ["strong", "light"], "success_power": [1.0, 2.0],
                          "latency_scale": [1.0, 0.5], "cost_scale": [1.0, 0.25]})
CELLS = {"mid": (3.0, 2.0), "loosest": (8.0, 4.0), "stress": (100.0, 100.0)}


def cases() -> pd.DataFrame:
    templates = datasets.load("mcpp-node-templates")
    rng = np.random.default_rng(0)
    rows = []
    for n_nodes in (8, 16):
        base = layered_dag(templates, n_nodes, 4, 0.5, rng)
        for n_models, dag in ((1, base), (2, portfolio(base, PORTFOLIO))):
            for cell, (budget_x, deadline_x) in CELLS.items():
                rows.append({"nodes": n_nodes, "models": n_models, "cell": cell,
                             "instance": Instance(dag, budget_x * dag.reference_cost(),
                                                  deadline_x * dag.reference_latency())})
    return pd.DataFrame(rows)


def main() -> None:
    table = cases()
    named = {f"{r.nodes} nodes, {r.models} model(s), {r.cell}": r.instance for r in table.itertuples()}
    threads = study.planning_speed(named, repeats=30, parallel=True)
    single = study.planning_speed(named, repeats=30, parallel=False)
    out = table.drop(columns="instance").assign(
        rollouts_per_decision=threads["rollouts_per_decision"],
        ms_per_decision=1000 * threads["seconds_per_decision"],
        rollouts_per_s=threads["rollouts_per_second"],
        ms_per_decision_1_thread=1000 * single["seconds_per_decision"],
        rollouts_per_s_1_thread=single["rollouts_per_second"])
    print(f"numba threads: {numba.get_num_threads()} ({numba.threading_layer()})")
    with pd.option_context("display.width", 160, "display.float_format", "{:,.4g}".format):
        print(out.to_string(index=False))
    grid = out[out["cell"] != "stress"]
    slowest = grid["rollouts_per_s"].min()
    print(f"slowest grid case on {numba.get_num_threads()} threads: {slowest:,.0f} rollouts/s "
          f"(target {TARGET:,}: {'met' if slowest >= TARGET else 'NOT met'})")
    stress = out[out["cell"] == "stress"]
    print(f"slowest stress case (no effective limits, outside the grid): {stress['rollouts_per_s'].min():,.0f} "
          f"rollouts/s ({'above' if stress['rollouts_per_s'].min() >= TARGET else 'below'} the target)")


if __name__ == "__main__":
    main()
