"""Command line: ``python -m agenteff reproduce | import | serve-sim | data | live-setup | serve-local |
record-samples``."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path


def _reproduce(args) -> int:
    from .runner import ParameterError, parse_parameters, reproduce

    try:
        parameters = parse_parameters(args.parameter)
    except ParameterError as exc:
        print(f"error: {exc}", flush=True)
        return 2
    return reproduce(args.notebooks, jobs=args.jobs, parameters=parameters, replace=args.replace)


def _data(args) -> int:
    from . import datasets

    if args.action == "list":
        import pandas as pd

        with pd.option_context("display.max_colwidth", 60, "display.width", 200):
            print(datasets.available()[["name", "source", "commit", "files", "licence"]].to_string(index=False))
        return 0
    if args.action == "rehash":
        manifest = datasets.rehash()
        print(f"recorded the sha256 of every registered file under data/ in {manifest}; commit it with your edit")
        return 0
    if args.action == "registry":
        return _registry(args.check)
    if args.action == "pin":
        if len(args.names) < 3:
            print("usage: python -m agenteff data pin <data set> <owner>/<repo>@<commit> <path> [<path> ...]")
            return 2
        added = datasets.pin(args.names[0], args.names[1], args.names[2:])
        print(f"pinned {len(added)} file(s) of {args.names[0]!r} in {datasets.registry.REGISTRY_FILE}")
        return 0
    names = args.names or list(datasets.REGISTRY)
    failed = 0
    for name in names:
        try:
            try:
                paths = datasets.fetch(name)
            except datasets.CorruptCopyRemoved as exc:
                print(f"{name}: {exc}; fetching it again", flush=True)
                paths = datasets.fetch(name)
        except datasets.DataIntegrityError as exc:
            failed += 1
            print(f"{name}: FAILED: {exc}", flush=True)
            continue
        print(f"{name}: {len(paths)} file(s) verified", flush=True)
    return 1 if failed else 0


def _registry(check_only: bool) -> int:
    from . import datasets
    from .datasets import registry

    if not check_only:  # rewrite sorted first (after a hand merge), then check like CI does
        registry.write(registry.read())
    try:
        count = datasets.check_registry()
    except registry.RegistryError as exc:
        print(f"registry check FAILED: {exc}")
        return 1
    print(f"{registry.REGISTRY_FILE}: {count} pins, sorted, each of a declared data set")
    return 0


def _import(args) -> int:
    from pathlib import Path

    import pandas as pd

    from . import logs

    try:
        imported = logs.load(
            args.paths, args.format, scorer=args.scorer, threshold=args.threshold, outcomes=args.outcomes
        )
        if args.reprice:
            imported = logs.reprice(imported, args.prices)
    except (logs.LogFormatError, FileNotFoundError, ValueError) as exc:
        print(f"cannot import: {exc}", file=sys.stderr)
        return 2
    written = logs.write(imported, args.out)
    files = imported.files.assign(path=[Path(p).name for p in imported.files["path"]])
    with pd.option_context("display.width", 200, "display.max_colwidth", 70):
        print(files.to_string(index=False))
        print()
        print(imported.summary().to_string(index=False) if len(imported.runs) else "no runs: see each file's status")
    print("\nwrote " + ", ".join(str(p) for p in written))
    return 0


def _live_setup(args) -> int:
    from .llm import local_server

    binary, model = local_server.setup(jobs=args.jobs)
    print(f"llama-server: {binary}\nmodel: {model}")
    return 0


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _serve_local(args) -> int:
    from .llm import local_server

    try:
        process, base_url = local_server.serve(port=args.port, threads=args.threads, parallel=args.parallel)
    except local_server.LocalServerError as exc:
        print(f"error: {exc}", flush=True)
        return 1
    signal.signal(signal.SIGTERM, _interrupt)  # SIGTERM (kill, a service manager) stops llama-server as Ctrl-C does
    print(
        f"serving {local_server.MODEL_NAME} at {base_url} (Ctrl-C stops it)\n"
        f"  export OPENAI_BASE_URL={base_url}  # and any OPENAI_API_KEY: the local server checks none",
        flush=True,
    )
    try:
        return process.wait()
    except KeyboardInterrupt:
        process.terminate()
        process.wait()
        return 0


def _record_samples(args) -> int:
    from .engines import sampling
    from .llm import local_server
    from .paths import data_dir

    target = args.output or data_dir() / "recorded" / "smollm2_135m_samples.csv"
    with local_server.local_server(parallel=4) as base_url:
        recorded = sampling.record_samples(target, base_url, local_server.MODEL_NAME, **sampling.RECORDING)
    print(
        f"{len(recorded)} samples of {recorded['problem_id'].nunique()} problems, accuracy "
        f"{recorded['correct'].mean():.3f}: {target}\nnow run `python -m agenteff data rehash` and commit both"
    )
    return 0


def _record_topologies(args) -> int:
    from .engines import topologies
    from .llm import local_server, resolve_endpoint
    from .paths import data_dir

    target = Path(args.output) if args.output else data_dir() / "recorded"
    with local_server.local_server(parallel=4, context=16384) as base_url:
        runs, steps = topologies.record_trajectories(target, resolve_endpoint(base_url), local_server.MODEL_NAME)
    turns = steps.groupby("run_id").size()
    print(
        f"{len(runs)} runs, {len(steps)} steps ({(steps['tool_calls'] != '[]').sum()} with tool calls, "
        f"{(steps['malformed'] != '').sum()} malformed), {turns.mean():.2f} turns per run: {target}\n"
        "now run `python -m agenteff data rehash` and commit the CSVs with data/SHA256SUMS"
    )
    return 0


def _record_context_ab(args) -> int:
    from .engines import context_ab
    from .llm import local_server, resolve_endpoint
    from .paths import data_dir

    target = Path(args.output) if args.output else data_dir() / "recorded"
    with local_server.local_server(parallel=4, context=16384) as base_url:
        out = context_ab.record_context_ab(target, resolve_endpoint(base_url), local_server.MODEL_NAME)
    calls = out["steps"][out["steps"]["kind"] == "llm_call"]
    print(
        f"{len(out['runs'])} episodes, {len(calls)} model calls ({(calls['tool_calls'] != '[]').sum()} with tool "
        f"calls, {(calls['malformed'] != '').sum()} malformed), success {out['runs']['success'].mean():.2f}: "
        f"{target}\nnow run `python -m agenteff data rehash` and commit the CSVs with data/SHA256SUMS"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "serve-sim":  # the simulated endpoint parses its own options
        from .llm.sim import main as serve_sim

        return serve_sim(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m agenteff", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("reproduce", help="execute notebooks in place with papermill")
    run.add_argument("notebooks", nargs="*", help="notebook stems, numbers or paths (default: all)")
    run.add_argument("--jobs", "-j", type=int, default=None, help="notebooks at once (default: number of cores)")
    run.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        metavar=("NAME", "VALUE"),
        help="papermill parameter, e.g. -p fast true (repeatable); checked against the "
        "notebook's parameters cell before anything runs",
    )
    run.add_argument(
        "--replace",
        action="store_true",
        help="let a run with non-default parameters replace the stored notebook, figures and claims "
        "(default: such runs go to .cache/runs/<notebook>-<hash>/)",
    )
    run.set_defaults(handler=_reproduce)

    imports = commands.add_parser(
        "import",
        help="read agent logs (Inspect, ATIF, OTLP JSON Lines, HAL, tau2-bench results) into runs/steps tables (parquet)",
    )
    imports.add_argument("paths", nargs="+", help="log files or folders (searched recursively)")
    imports.add_argument("--out", required=True, help="folder for runs.parquet, steps.parquet (and samples.parquet)")
    imports.add_argument("--format", default="auto", choices=["auto", "inspect", "atif", "otlp", "hal", "tau2"])
    imports.add_argument("--scorer", default=None, help="Inspect score to read: name or name/key (default: the first)")
    imports.add_argument("--threshold", type=float, default=1.0, help="a run succeeds when its score is at least this")
    imports.add_argument("--outcomes", default=None, help="CSV/JSONL of run_id (or trace_id) and success or score")
    imports.add_argument(
        "--reprice", action="store_true", help="price every call from a price table, keeping the recorded cost"
    )
    imports.add_argument("--prices", default=None, help="price table CSV for --reprice (default: data/prices.csv)")
    imports.set_defaults(handler=_import)

    commands.add_parser("serve-sim", help="run the simulated OpenAI-compatible endpoint (see --help there)")

    data = commands.add_parser(
        "data", help="list or fetch the pinned data sets; rehash records data/SHA256SUMS; pin and registry"
    )
    data.add_argument(
        "action",
        choices=["list", "fetch", "rehash", "pin", "registry"],
        help="rehash: record the sha256 of the registered files under data/ after a deliberate edit; "
        "pin <data set> <owner>/<repo>@<commit> <path>...: add public files to the registry file; "
        "registry: sort the registry file and check it (--check: only check)",
    )
    data.add_argument("names", nargs="*", help="data set names (default: all); for pin, its arguments")
    data.add_argument("--check", action="store_true", help="registry: check without rewriting (CI)")
    data.set_defaults(handler=_data)

    live = commands.add_parser(
        "live-setup",
        help="build llama-server and extract SmolLM2-135M (cached outside the checkout; reused when present)",
    )
    live.add_argument("--jobs", "-j", type=int, default=None, help="compile jobs (default: number of cores)")
    live.set_defaults(handler=_live_setup)

    local = commands.add_parser("serve-local", help="serve SmolLM2-135M with llama-server on 127.0.0.1")
    local.add_argument("--port", type=int, default=8080)
    local.add_argument("--threads", type=int, default=1, help="CPU threads for generation")
    local.add_argument("--parallel", type=int, default=4, help="requests served at once (slots)")
    local.set_defaults(handler=_serve_local)

    record = commands.add_parser(
        "record-samples",
        help="re-record study 03's samples of SmolLM2-135M on the local llama-server (data/recorded/; replies cached)",
    )
    record.add_argument("--output", default=None, help="CSV to write (default: data/recorded/smollm2_135m_samples.csv)")
    record.set_defaults(handler=_record_samples)

    trajectories = commands.add_parser(
        "record-topologies",
        help="re-record study 02's topology runs of SmolLM2-135M on the local llama-server (data/recorded/)",
    )
    trajectories.add_argument("--output", default=None, help="folder for the two CSVs (default: data/recorded/)")
    trajectories.set_defaults(handler=_record_topologies)

    context_ab = commands.add_parser(
        "record-context-ab",
        help="re-record study 09's context A/B of SmolLM2-135M on the local llama-server (data/recorded/)",
    )
    context_ab.add_argument("--output", default=None, help="folder for the two CSVs (default: data/recorded/)")
    context_ab.set_defaults(handler=_record_context_ab)

    args = parser.parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
