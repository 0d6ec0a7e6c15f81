"""Wall time of `python -m agenteff reproduce` over all notebooks with --jobs 1 and --jobs 2, and their ratio.

Runs on copies of the notebooks in a temporary folder, with figures and model-response caches there too, so the
working tree is untouched and both runs start equally cold (downloaded data files are shared: they are inputs,
not work). Usage: python benchmarks/reproduce.py [--jobs 1 2 ...]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from agenteff.paths import cache_dir, notebooks_dir


def timed_run(jobs: int) -> float:
    with tempfile.TemporaryDirectory(prefix="agenteff-bench-") as work:
        work = Path(work)
        copies = [shutil.copy(p, work) for p in sorted(notebooks_dir().glob("[0-9][0-9]_*.ipynb"))]
        (work / "cache").mkdir()
        (cache_dir() / "data").mkdir(parents=True, exist_ok=True)
        os.symlink(cache_dir() / "data", work / "cache" / "data")
        # the runner starts the longest notebooks first by the durations earlier runs recorded: share the record
        durations = cache_dir() / "durations.json"
        if durations.exists():
            shutil.copy(durations, work / "cache" / "durations.json")
        env = dict(os.environ, AGENTEFF_FIGURES_DIR=str(work / "figures"), AGENTEFF_CACHE_DIR=str(work / "cache"))
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "agenteff", "reproduce", "--jobs", str(jobs), *map(str, copies)],
            env=env,
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - started
        if (work / "cache" / "durations.json").exists():
            shutil.copy(work / "cache" / "durations.json", durations)
        if result.returncode != 0:
            print(result.stdout, result.stderr, file=sys.stderr)
            raise SystemExit(f"reproduce --jobs {jobs} failed")
        return seconds


def rows(jobs_list: tuple[int, ...] = (1, 2)) -> list[dict]:
    """Rows of the benchmark table (see benchmarks/run_all.py): wall time per job count and the speed-up."""
    times = {jobs: timed_run(jobs) for jobs in jobs_list}
    base = times[jobs_list[0]]
    out = [{"case": f"reproduce all notebooks, --jobs {jobs}: wall s", "ours": seconds, "anchor": None,
            "limit": None, "ratio": None, "target": "", "met": None, "note": ""} for jobs, seconds in times.items()]
    for jobs in jobs_list[1:]:
        out.append({"case": f"reproduce --jobs {jobs} / --jobs {jobs_list[0]}: speed-up", "ours": base / times[jobs],
                    "anchor": None, "limit": float(jobs), "ratio": base / times[jobs] / jobs,
                    "target": ">= 1.6x" if jobs == 2 else "", "met": base / times[jobs] >= 1.6 if jobs == 2 else None,
                    "note": f"{os.cpu_count()} cores"})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    jobs_list = parser.parse_args().jobs
    times = {jobs: timed_run(jobs) for jobs in jobs_list}
    base = times[jobs_list[0]]
    print(f"{'jobs':>5} {'wall s':>8} {'speed-up':>9}")
    for jobs, seconds in times.items():
        print(f"{jobs:>5} {seconds:>8.1f} {base / seconds:>8.2f}x")
    print(f"cores: {os.cpu_count()}")


if __name__ == "__main__":
    main()
