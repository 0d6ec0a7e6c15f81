"""Time and peak memory of parsing AgentStop's FRAMES agent profile (target: under 10 s and under 1 GiB).

The profile is a 15 MB CSV inside a zip with Python-literal columns (per-step lists of token log-probabilities
and token strings). The files are fetched (or copied from ``AGENTEFF_MIRROR``) and verified first; only the
parse is timed. Peak memory is reported twice: the Python heap at its highest during the parse (tracemalloc),
in one extra untimed parse, and the process's peak resident set size over the timed parses (``resource``),
which also counts the interpreter and the libraries.

    python benchmarks/agentstop_load.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import tracemalloc

os.environ.setdefault("TQDM_DISABLE", "1")

from agenteff import datasets
from agenteff.datasets import agentstop

TIME_LIMIT_S = 10.0
MEMORY_LIMIT_MB = 1024.0


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / 1024 if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB on Linux


def measure(repeat: int = 3) -> dict:
    """Best parse time of ``repeat`` timed parses, peak RSS over them, the Python heap's peak in one more parse."""
    files = datasets.fetch("agentstop-frames-profile")
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        produced = agentstop.parse_profile(files)
        times.append(time.perf_counter() - started)
    rss_mb = _peak_rss_mb()  # before tracemalloc adds its own bookkeeping
    tracemalloc.start()  # one more parse, untimed: tracing slows every allocation
    agentstop.parse_profile(files)
    heap_peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    sizes = ", ".join(f"{name} {len(table)} rows" for name, table in produced.items())
    return {"seconds": min(times), "rss_mb": rss_mb, "heap_peak_mb": heap_peak_mb, "sizes": sizes}


def rows(repeat: int = 3) -> list[dict]:
    """Rows of the benchmark table (see benchmarks/run_all.py)."""
    m = measure(repeat)
    return [
        {
            "case": "AgentStop FRAMES profile parse: s",
            "ours": m["seconds"],
            "anchor": None,
            "limit": None,
            "ratio": None,
            "target": f"< {TIME_LIMIT_S:g} s",
            "met": m["seconds"] < TIME_LIMIT_S,
            "note": f"best of {repeat}",
        },
        {
            "case": "AgentStop FRAMES profile parse: peak RSS MiB",
            "ours": m["rss_mb"],
            "anchor": None,
            "limit": None,
            "ratio": None,
            "target": f"< {MEMORY_LIMIT_MB:g} MiB",
            "met": m["rss_mb"] < MEMORY_LIMIT_MB,
            "note": f"Python heap peak {m['heap_peak_mb']:.0f} MiB",
        },
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed parses (the fastest is reported)")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    m = measure(args.repeat)
    print(f"agentstop-frames-profile: {m['sizes']}")
    print(f"parse time: best {m['seconds']:.2f} s of {args.repeat} (limit {TIME_LIMIT_S:g} s)")
    print(
        f"peak memory: Python heap {m['heap_peak_mb']:.0f} MiB (tracemalloc), process {m['rss_mb']:.0f} MiB "
        f"(peak RSS; limit {MEMORY_LIMIT_MB:g} MiB)"
    )
    within = m["seconds"] < TIME_LIMIT_S and m["rss_mb"] < MEMORY_LIMIT_MB
    print("within limits" if within else "OVER THE LIMITS")
    return 0 if within else 1


if __name__ == "__main__":
    raise SystemExit(main())
