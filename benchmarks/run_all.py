"""Every speed figure of the project in one table: this project's figure, the anchor's, the physical limit where
one exists, the ratio (to the anchor, else to the limit) and the target (issue 17). Run on demand
(`make benchmarks`), never in tests; prints only.

Composes the benchmark modules beside it, each of which still runs alone:
* ``mcpp.rows()``: MCPP planner rollouts/s against the authors' released simulator (figures measured, cited in
  benchmarks/mcpp.py) and two threads against one;
* the simulated endpoint alone (``llm_throughput.server_alone``), then the LLM client against it through
  ``llm_throughput.measure`` / ``cache_hits`` as they are: requests/s against the ideal c / L, CPU per request;
* ``reproduce.rows()``: wall time of all notebooks with ``--jobs 1`` and ``--jobs 2`` (minutes of work: skip with
  ``--skip reproduce``);
* ``agentstop_load.rows()`` when that module exists;
* ``log_import.rows(1000)``: importing a large synthetic Inspect log against inspect_ai's readers (compared only
  where inspect_ai is importable: run from an environment that has it).

Times are compared within one run (alternating where possible), so a loaded machine still gives stable ratios;
the load average is printed beside the table.

    AGENTEFF_MIRROR=../shared/mirror python benchmarks/run_all.py [--skip reproduce llm mcpp agentstop logs]
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import os
import platform
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TQDM_DISABLE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

LLM_LATENCY_S = 0.05
LLM_SECONDS = 2.0
LLM_TARGETS = {32: 0.95, 128: 0.9}


def llm_rows() -> list[dict]:
    """The simulated endpoint alone at concurrency 32 and 128 (its own cost must not be the limit), the client at
    1, 8, 32 and 128 against it, and cache-hit replay."""
    import llm_throughput as bench

    model = bench.SimModel(bench.MODEL, error_prob=0.0, latency_mean_s=LLM_LATENCY_S, latency_sd_s=0.0)
    out = []
    with bench.sim_server([model]) as url, tempfile.TemporaryDirectory() as cache_dir:
        for row in [bench.server_alone(url, c, LLM_LATENCY_S, LLM_SECONDS) for c in (32, 128)]:
            out.append(
                {
                    "case": f"simulated endpoint alone, concurrency {row['concurrency']}: requests/s",
                    "ours": row["requests_per_s"],
                    "anchor": None,
                    "limit": row["ideal_per_s"],
                    "ratio": row["ratio"],
                    "target": "",
                    "met": None,
                    "note": f"raw-socket client; server CPU {row['server_cpu_ms']:.2f} ms/request",
                }
            )
        measured = [bench.measure(url, c, LLM_LATENCY_S, LLM_SECONDS, cache_dir) for c in (1, 8, 32, 128)]
        for row in measured:
            target = LLM_TARGETS.get(row["concurrency"])
            out.append(
                {
                    "case": f"LLM client, concurrency {row['concurrency']}: requests/s",
                    "ours": row["requests_per_s"],
                    "anchor": None,
                    "limit": row["ideal_per_s"],
                    "ratio": row["ratio"],
                    "target": f">= {target} of c/L" if target else "",
                    "met": row["ratio"] >= target if target else None,
                    "note": f"c/L with L = {LLM_LATENCY_S * 1000:.0f} ms; CPU ms/request: client "
                    f"{row['client_cpu_ms']:.2f}, server {row['server_cpu_ms']:.2f}",
                }
            )
        n = measured[2]["requests"]
        hits = bench.cache_hits(url, cache_dir, n)
        out.append(
            {
                "case": "LLM client, cache-hit replay: lookups/s",
                "ours": hits["lookups_per_s"],
                "anchor": None,
                "limit": None,
                "ratio": None,
                "target": ">= 50,000 /s",
                "met": hits["lookups_per_s"] >= 50_000,
                "note": f"the {n} calls of concurrency 32 again; client CPU {hits['cpu_us']:.1f} us/lookup",
            }
        )
    return out


def _module_rows(name: str) -> list[dict]:
    return importlib.import_module(name).rows()


SECTIONS = {
    "mcpp": lambda: _module_rows("mcpp"),
    "llm": llm_rows,
    "reproduce": lambda: _module_rows("reproduce"),
    "agentstop": lambda: _module_rows("agentstop_load"),
    "logs": lambda: importlib.import_module("log_import").rows(samples=1000),
}


def _number(value) -> str:
    if value is None:
        return ""
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def format_table(rows: list[dict]) -> str:
    """The rows as one fixed-width table (ratio = ours / anchor where there is an anchor, else ours / limit)."""
    header = ("case", "ours", "anchor", "limit", "ratio", "target", "met", "note")
    cells = [header] + [
        (
            r["case"],
            _number(r["ours"]),
            _number(r.get("anchor")),
            _number(r.get("limit")),
            _number(r.get("ratio")),
            r.get("target", ""),
            {True: "yes", False: "NO", None: ""}[r.get("met")],
            r.get("note", ""),
        )
        for r in rows
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = [
        "  ".join(c.ljust(w) if i in (0, 5, 7) else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))
        for row in cells
    ]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def machine() -> str:
    model = (
        next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            platform.processor(),
        )
        if Path("/proc/cpuinfo").exists()
        else ""
    )
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"{os.cpu_count()} CPU(s), {model}; load average {load}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip", nargs="*", default=[], choices=sorted(SECTIONS))
    skip = set(parser.parse_args().skip)
    here = Path(__file__).resolve().parent
    rows = []
    print(f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, {machine()}", flush=True)
    for name, section in SECTIONS.items():
        if name in skip or (name == "agentstop" and not (here / "agentstop_load.py").exists()):
            continue
        rows += section()
        print(f"  {name} done, load average {os.getloadavg()[0]:.2f}", flush=True)
    print(format_table(rows))
    missed = [r["case"] for r in rows if r.get("met") is False]
    print(f"targets missed: {len(missed)}" + "".join(f"\n  {case}" for case in missed))
    print(f"after: {machine()}")


if __name__ == "__main__":
    main()
