"""Import throughput of a large Inspect log: ``agenteff.logs.load`` against inspect_ai's own readers, same file.

The log is synthetic but made of real parts: the mirrored browser-agent sample (gpt-4o-mini, 5 model calls and 4
tool calls, with its attachments) has its events repeated to reach ``--calls`` model calls and is written
``--samples`` times into one ``.eval`` zip, with the header of its log. Then, in one process and run:

* ours: ``agenteff.logs.load(path)`` (RUNS and STEPS, validated);
* inspect_ai's ``read_eval_log(path)`` (every sample into its pydantic model) and
  ``inspect_ai.analysis.samples_df(path)`` (its one-row-per-sample table), when ``inspect_ai`` is importable.
  It is not a dependency, nor an extra: installed into the project's environment it would downgrade fsspec and
  python-dateutil (a pandas requirement), so run this script from a separate virtual environment holding
  inspect-ai, with the project on its path.

Each is timed once after a warm-up on a small log; the ratio is their time over ours (target of issue 24: >= 10),
in wall time and in the process's CPU time (on a shared machine the CPU ratio moves less with the load).
Memory: the Python heap's peak during our import (tracemalloc, one extra untimed run), beside the size of the
tables it returns and the largest sample, since reading holds one sample at a time plus the growing tables.

    python benchmarks/log_import.py [--samples 5000] [--calls 20] [--keep]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
import tempfile
import time
import tracemalloc
import zipfile
from pathlib import Path

os.environ.setdefault("TQDM_DISABLE", "1")

from agenteff import datasets, logs

SOURCE = "2025-05-12T20-27-36-04-00_browser.json"
TARGET_RATIO = 10.0


def build_log(target: Path, samples: int, calls: int) -> tuple[int, int]:
    """Write the synthetic log; return (bytes of the largest sample member, model calls per sample)."""
    (source,) = [p for name, p in datasets.fetch("inspect-sample-logs").items() if name.endswith(SOURCE)]
    document = json.loads(source.read_text())
    sample = document.pop("samples")[0]
    model_events = sum(e["event"] == "model" for e in sample["events"])
    repeats = max(1, -(-calls // model_events))  # ceiling: at least `calls` model calls
    sample["events"] = [copy.deepcopy(e) for _ in range(repeats) for e in sample["events"]]
    header = document | {"status": "success"}
    header["eval"]["config"] = header["eval"].get("config", {}) | {"epochs": 1}
    largest = 0
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("header.json", json.dumps(header))
        summaries = []
        for index in range(1, samples + 1):
            sample["id"] = index
            body = json.dumps(sample)
            largest = max(largest, len(body))
            archive.writestr(f"samples/{index}_epoch_1.json", body)
            summaries.append({key: sample[key] for key in ("id", "epoch", "input", "target", "scores", "model_usage")})
        archive.writestr("summaries.json", json.dumps(summaries))
    return largest, model_events * repeats


def _timed(function, *args):
    """(wall seconds, CPU seconds of this process, result)."""
    started, cpu = time.perf_counter(), time.process_time()
    result = function(*args)
    return time.perf_counter() - started, time.process_time() - cpu, result


def measure(samples: int, calls: int, folder: Path) -> dict:
    path = folder / "synthetic.eval"
    small = folder / "warm-up.eval"
    largest, per_sample = build_log(path, samples, calls)
    build_log(small, 5, calls)
    logs.load(small)  # warm-up: imports, caches
    ours_s, ours_cpu_s, imported = _timed(logs.load, path)
    tracemalloc.start()
    logs.load(path)
    heap_peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    table_mb = (imported.runs.memory_usage(deep=True).sum() + imported.steps.memory_usage(deep=True).sum()) / 2**20
    result = {
        "samples": samples,
        "calls_per_sample": per_sample,
        "file_mb": path.stat().st_size / 2**20,
        "largest_sample_mb": largest / 2**20,
        "ours_s": ours_s,
        "ours_cpu_s": ours_cpu_s,
        "heap_peak_mb": heap_peak_mb,
        "tables_mb": table_mb,
        "steps": len(imported.steps),
    }
    try:
        from inspect_ai.analysis import samples_df
        from inspect_ai.log import read_eval_log
    except ImportError:
        return result
    read_eval_log(str(small))
    samples_df(str(small), quiet=True)
    result["read_eval_log_s"], result["read_eval_log_cpu_s"], _ = _timed(read_eval_log, str(path))
    result["samples_df_s"], result["samples_df_cpu_s"], _ = _timed(lambda p: samples_df(p, quiet=True), str(path))
    return result


def rows(samples: int = 5000, calls: int = 20) -> list[dict]:
    """Rows of the benchmark table (see benchmarks/run_all.py)."""
    with tempfile.TemporaryDirectory() as folder:
        m = measure(samples, calls, Path(folder))
    note = f"{m['samples']} samples x {m['calls_per_sample']} calls, {m['file_mb']:.0f} MB zip"
    out = [
        {
            "case": "Inspect log import, samples/s",
            "ours": m["samples"] / m["ours_s"],
            "anchor": m["samples"] / m["read_eval_log_s"] if "read_eval_log_s" in m else None,
            "limit": None,
            "ratio": m["read_eval_log_s"] / m["ours_s"] if "read_eval_log_s" in m else None,
            "target": f">= {TARGET_RATIO:g}x read_eval_log",
            "met": m.get("read_eval_log_s", 0) / m["ours_s"] >= TARGET_RATIO if "read_eval_log_s" in m else None,
            "note": note,
        }
    ]
    if "samples_df_s" in m:
        out.append(
            {
                "case": "Inspect log import vs samples_df, samples/s",
                "ours": m["samples"] / m["ours_s"],
                "anchor": m["samples"] / m["samples_df_s"],
                "limit": None,
                "ratio": m["samples_df_s"] / m["ours_s"],
                "target": f">= {TARGET_RATIO:g}x",
                "met": m["samples_df_s"] / m["ours_s"] >= TARGET_RATIO,
                "note": "samples_df builds one row per sample, no per-call table",
            }
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=5000)
    parser.add_argument("--calls", type=int, default=20, help="model calls per sample (at least)")
    parser.add_argument("--keep", action="store_true", help="keep the synthetic log in ./.cache/bench/")
    args = parser.parse_args()
    if args.keep:
        folder = Path(".cache/bench")
        folder.mkdir(parents=True, exist_ok=True)
        m = measure(args.samples, args.calls, folder)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            m = measure(args.samples, args.calls, Path(tmp))
    print(
        f"{m['samples']} samples x {m['calls_per_sample']} model calls: {m['file_mb']:.1f} MB zip, "
        f"largest sample {m['largest_sample_mb']:.2f} MB uncompressed"
    )
    print(
        f"agenteff.logs.load: {m['ours_s']:.2f} s ({m['ours_cpu_s']:.2f} s CPU) = "
        f"{m['samples'] / m['ours_s']:,.0f} samples/s, "
        f"{m['file_mb'] / m['ours_s']:.1f} MB/s of zip; {m['steps']:,} steps; Python heap peak "
        f"{m['heap_peak_mb']:.0f} MiB (tables returned: {m['tables_mb']:.0f} MiB)"
    )
    if "read_eval_log_s" not in m:
        print("inspect_ai is not installed here: pip install inspect-ai to compare with its readers")
        return
    for name in ("read_eval_log", "samples_df"):
        seconds, cpu = m[f"{name}_s"], m[f"{name}_cpu_s"]
        print(
            f"inspect_ai {name}: {seconds:.2f} s ({cpu:.2f} s CPU) = {m['samples'] / seconds:,.0f} samples/s; "
            f"ratio {seconds / m['ours_s']:.1f}x wall, {cpu / m['ours_cpu_s']:.1f}x CPU (target >= {TARGET_RATIO:g}x)"
        )
    print(f"load average while measuring: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    sys.exit(main())
