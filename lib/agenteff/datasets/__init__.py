"""Pinned public data sets: fetch once, verify, cache, parse into the project's schemas.

Each data set is a list of files pinned by GitHub raw URL at a fixed commit and sha256, plus a parser that
turns them into validated tables. The pins are data, one line per file of a data set in ``registry.txt``; how to
add one, and the check that runs in CI, are in :mod:`agenteff.datasets.registry`. Files are downloaded once into ``<cache>/data/<owner>/<repo>/<commit>/<path>``
(pooch does the transfer, the hash check and the atomic move, so a failed or truncated download leaves nothing
behind). Every load re-verifies the cached bytes: a corrupted file is removed and reported by name with its
expected hash, and the next load fetches it again.

Offline machines point ``AGENTEFF_MIRROR`` at a directory laid out like the raw URLs
(``<owner>/<repo>/<commit>/<path>``); files are then copied from there instead of downloaded, with the same checks.

Data carried in the repository (published figures under ``data/``, each with a data card) is loaded through the
same :func:`load`, and checked the same way: ``data/SHA256SUMS`` records the sha256 of every registered file
(``sha256sum`` format), so an accidental edit or a cut file is caught on load. After a deliberate edit, run
``python -m agenteff data rehash`` and commit the manifest with the change.

Several processes may load the same data set at once: checking, removing and fetching a cached file happen under
a per-file lock, so none sees another's half-done repair.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib
import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pooch
import yaml

from ..paths import cache_dir, data_dir
from ..schema import SchemaError
from . import registry
from .registry import RegistryError, RemoteFile

__all__ = [
    "RemoteFile",
    "RegistryError",
    "LocalFile",
    "Dataset",
    "DataIntegrityError",
    "CorruptCopyRemoved",
    "REGISTRY",
    "MIRROR_VARIABLE",
    "MANIFEST_NAME",
    "available",
    "fetch",
    "load",
    "tables",
    "paper_values",
    "rehash",
    "check_registry",
    "pin",
]

MIRROR_VARIABLE = "AGENTEFF_MIRROR"


class DataIntegrityError(RuntimeError):
    """A file is missing, truncated or does not match its pinned sha256."""


class CorruptCopyRemoved(DataIntegrityError):
    """A cached download did not match its sha256 and was removed; fetching again repairs it."""


MANIFEST_NAME = "SHA256SUMS"
_REHASH = "python -m agenteff data rehash"


@dataclass(frozen=True)
class LocalFile:
    """A file carried in the repository under ``data/``."""

    path: str


@dataclass(frozen=True)
class Dataset:
    name: str
    description: str
    files: tuple
    parser: str  # "module:function" under agenteff.datasets; gets {path: local Path}, returns {table: frame}
    licence: str
    citation: str

    @property
    def source(self) -> str:
        if not self.files:
            return "nothing pinned yet"
        first = self.files[0]
        return first.repo if isinstance(first, RemoteFile) else "this repository (data/)"

    @property
    def commit(self) -> str:
        if not self.files:
            return ""
        first = self.files[0]
        return first.commit[:7] if isinstance(first, RemoteFile) else ""


_PINS = registry.read()


def _pinned(dataset: str) -> tuple[RemoteFile, ...]:
    return registry.pinned(dataset, _PINS)


_AGENTSTOP_PAPER = (
    "Pham, Katevas, Shahin Shamsabadi, Haddadi, 'AgentStop: Terminating Local AI Agents Early to Save "
    "Energy in Consumer Devices', arXiv:2605.15206"
)
_SCALING_PAPER = "Kim et al., 'Towards a Science of Scaling Agent Systems', arXiv:2512.08296"

REGISTRY: dict[str, Dataset] = {
    d.name: d
    for d in [
        Dataset(
            "scaling-v2-configs",
            "Published figures of the scaling paper (v2): 180 configurations, Table 5 coordination metrics, "
            "model capability index, tools per benchmark",
            (
                LocalFile("published/scaling/configs_v2.csv"),
                LocalFile("published/scaling/coordination_metrics.csv"),
                LocalFile("published/scaling/intelligence_index.csv"),
                LocalFile("published/scaling/tool_counts.csv"),
            ),
            "agent_scaling:parse_v2_configs",
            "published figures, cited",
            _SCALING_PAPER,
        ),
        Dataset(
            "scaling-v3-instances",
            "Per-instance outcomes (resolved, steps) of 9 models x 5 architectures x 20 instances on "
            "SWE-bench Verified and Terminal-Bench, from the scaling paper's authors",
            _pinned("scaling-v3-instances"),
            "agent_scaling:parse_v3_instances",
            "MIT",
            _SCALING_PAPER,
        ),
        Dataset(
            "zeroeval-math-l5",
            "40 models x 721 MATH level-5 problems, one output each (reasoning + answer JSON), with the "
            "repository's own accuracy summary",
            _pinned("zeroeval-math-l5"),
            "zeroeval:parse",
            "Apache-2.0",
            "Lin et al., ZeroEval: a unified framework for evaluating language models (github.com/yuchenlin/ZeroEval)",
        ),
        Dataset(
            "overthinking-demo",
            "20 responses split into solution rounds with per-round correctness (demo size)",
            _pinned("overthinking-demo"),
            "overthinking:parse",
            "see repository",
            "Chen et al., 'Do NOT Think That Much for 2+3=? On the Overthinking of o1-Like LLMs', arXiv:2412.21187",
        ),
        Dataset(
            "lead-math-test",
            "MATH level 3-5 test problems with ground-truth answers (default problem set for live sampling)",
            _pinned("lead-math-test"),
            "lead:parse",
            "Apache-2.0",
            "LEAD, arXiv:2605.09806",
        ),
        Dataset(
            "smollm2-135m-samples",
            "SmolLM2-135M-Instruct (Q4_1, llama-server) sampled 8 times per generated arithmetic word problem, "
            "graded; recorded here by `python -m agenteff record-samples` (card: data/recorded/README.md)",
            (LocalFile("recorded/smollm2_135m_samples.csv"),),
            "recorded:parse_samples",
            "model outputs of SmolLM2-135M-Instruct (Apache-2.0); problems generated by this repository",
            "this repository; model: Allal et al., 'SmolLM2', arXiv:2502.02737",
        ),
        Dataset(
            "smollm2-135m-topologies",
            "the five coordination topologies run on SmolLM2-135M-Instruct (Q4_1, llama-server), agents acting "
            "through schema-constrained JSON actions: runs and steps; recorded here by `python -m agenteff "
            "record-topologies` (card: data/recorded/README.md)",
            (
                LocalFile("recorded/smollm2_135m_topology_runs.csv"),
                LocalFile("recorded/smollm2_135m_topology_steps.csv"),
            ),
            "recorded:parse_topologies",
            "model outputs of SmolLM2-135M-Instruct (Apache-2.0); tasks generated by this repository",
            "this repository; model: Allal et al., 'SmolLM2', arXiv:2502.02737",
        ),
        Dataset(
            "smollm2-135m-context-ab",
            "study 09's context policies (mono-context, workspace, omission) run as agents on SmolLM2-135M-Instruct "
            "(Q4_1, llama-server) on generated lookup tasks, acting through schema-constrained JSON actions: runs "
            "and steps; recorded here by `python -m agenteff record-context-ab` (card: data/recorded/README.md)",
            (
                LocalFile("recorded/smollm2_135m_context_ab_runs.csv"),
                LocalFile("recorded/smollm2_135m_context_ab_steps.csv"),
            ),
            "recorded:parse_context_ab",
            "model outputs of SmolLM2-135M-Instruct (Apache-2.0); tasks generated by this repository",
            "this repository; model: Allal et al., 'SmolLM2', arXiv:2502.02737",
        ),
        Dataset(
            "agent-eval-runs",
            "'AI Agents That Matter': per-run total cost, tokens, time and accuracy of HumanEval agent strategies",
            _pinned("agent-eval-runs"),
            "agent_eval:parse_runs",
            "Apache-2.0",
            "Kapoor et al., 'AI Agents That Matter', arXiv:2407.01502",
        ),
        Dataset(
            "agent-eval-simple-calls",
            "'AI Agents That Matter': per-call API logs and per-task pass/fail of repeated runs of the simple "
            "strategy on HumanEval",
            _pinned("agent-eval-simple-calls"),
            "agent_eval:parse_simple_calls",
            "Apache-2.0",
            "Kapoor et al., 'AI Agents That Matter', arXiv:2407.01502",
        ),
        Dataset(
            "aider-polyglot",
            "Aider polyglot leaderboard: 69 model runs on 225 coding tasks (pass rates, total cost, seconds per case)",
            _pinned("aider-polyglot"),
            "aider:parse",
            "Apache-2.0",
            "Aider LLM leaderboards, polyglot benchmark (aider.chat/docs/leaderboards)",
        ),
        Dataset(
            "tau-bench-airline-gpt4o",
            "tau-bench airline, GPT-4o: 50 tasks x 4 trials with full trajectories and rewards",
            _pinned("tau-bench-airline-gpt4o"),
            "tau_bench:parse",
            "MIT",
            "Yao et al., 'tau-bench: A Benchmark for Tool-Agent-User Interaction in Real-World Domains', arXiv:2406.12045",
        ),
        Dataset(
            "tau2-bench-airline",
            "tau2-bench leaderboard: four submissions' airline simulations (Claude Opus 4.6 twice, Claude Sonnet "
            "4.5, GPT-5.4; 194 runs) with per-call tokens and cost of the agent and of the user simulator kept "
            "apart, rewards and gold actions; data card data/cards/tau2_bench.md",
            _pinned("tau2-bench-airline"),
            "tau2_bench:parse",
            "MIT",
            "Barres et al., 'tau2-bench: Evaluating Conversational Agents in a Dual-Control Environment', "
            "arXiv:2506.07982 (leaderboard submissions)",
        ),
        Dataset(
            "mcpp-node-templates",
            "5,000 node templates (success_prob, lat_mean, lat_std, cost_mean) from the MCPP authors' simulator",
            _pinned("mcpp-node-templates"),
            "mcpp:parse",
            "see repository",
            "'On Time, Within Budget: Constraint-Driven Online Resource Allocation for Agentic Workflows', arXiv:2605.06110",
        ),
        Dataset(
            "paper-values",
            "Every number the reproduced papers state (claims, fitted laws, coefficients, speeds), one schema, "
            "one row per number with its source location",
            (
                LocalFile("published/auctions/paper_values.csv"),
                LocalFile("published/efficiency/paper_values.csv"),
                LocalFile("published/scaling/paper_values.csv"),
                LocalFile("published/coordination/paper_values.csv"),
                LocalFile("published/overthinking/paper_values.csv"),
                LocalFile("published/markets/paper_values.csv"),
                LocalFile("published/agentstop/paper_values.csv"),
                LocalFile("published/mcpp/paper_values.csv"),
                LocalFile("published/context/paper_values.csv"),
                LocalFile("published/rewards/paper_values.csv"),
            ),
            "published:parse",
            "published figures, cited per row",
            "see the paper, arxiv, version and location columns",
        ),
        Dataset(
            "agentstop-frames-profile",
            "AgentStop: 824 FRAMES runs of a local code agent (Qwen3-1.7B, llama.cpp) with per-step tokens, "
            "log-probabilities, energy and duration (no verdicts released: runs.success is missing), and the "
            "FRAMES question metadata; data card data/cards/agentstop.md",
            _pinned("agentstop-frames-profile"),
            "agentstop:parse_profile",
            "MIT",
            _AGENTSTOP_PAPER,
        ),
        Dataset(
            "agentstop-llm-judged",
            "AgentStop: bare-LLM (no agent) answers of Qwen3 models on the 824 FRAMES and 4,326 SimpleQA questions "
            "with the authors' judge verdicts (CORRECT / INCORRECT / NOT_ATTEMPTED); data card data/cards/agentstop.md",
            _pinned("agentstop-llm-judged"),
            "agentstop:parse_llm_judged",
            "MIT",
            _AGENTSTOP_PAPER,
        ),
        Dataset(
            "agentstop-judge-prompt",
            "AgentStop: the authors' LLM-judge prompt for QA answers, read as data from their grading notebook",
            _pinned("agentstop-judge-prompt"),
            "agentstop:parse_judge_prompt",
            "MIT",
            _AGENTSTOP_PAPER,
        ),
        Dataset(
            "magentic-markets",
            "Magentic Marketplace: the released markets (customers with requested items, reference prices and "
            "required amenities; businesses with menus, prices, amenities) and each market's published baselines",
            _pinned("magentic-markets"),
            "magentic:parse",
            "MIT",
            "Bansal et al., 'Magentic Marketplace: An Open-Source Environment for Studying Agentic Markets', "
            "arXiv:2510.25779",
        ),
        Dataset(
            "bazaar-outcomes",
            "Agent Bazaar: per-model, per-seed outcomes behind the paper's figures (THE_CRASH bankruptcy, prices, "
            "survivors; THE_LEMON_MARKET welfare, Sybil revenue share, volume, cached EAS; tokens) and model sizes",
            _pinned("bazaar-outcomes"),
            "bazaar:parse",
            "MIT",
            "Karten et al., 'Agent Bazaar: Enabling Economic Alignment in Multi-Agent Marketplaces', arXiv:2605.17698 "
            "(thesis branch Market-v1)",
        ),
        Dataset(
            "inspect-sample-logs",
            "Inspect AI eval logs from inspect_ai's and inspect_scout's own tests (.json and .eval; an agent with "
            "tools and cache reads, model-graded scorers, 2 epochs, a cancelled and an error log, format v3)",
            _pinned("inspect-sample-logs"),
            "sample_logs:parse",
            "MIT",
            "UK AI Security Institute, 'Inspect AI' (inspect.aisi.org.uk); Meridian Labs, 'Inspect Scout'",
        ),
        Dataset(
            "atif-sample-trajectories",
            "Harbor ATIF trajectories (golden-test fixtures of mocked runs: placeholder token counts and costs), "
            "one with a context-summarisation continuation",
            _pinned("atif-sample-trajectories"),
            "sample_logs:parse_trajectories",
            "MIT",
            "Harbor framework golden tests, via Meridian Labs' Inspect Scout",
        ),
        Dataset(
            "model-prices",
            "USD per million tokens by model (dated, with sources; edit to price your own endpoint)",
            (LocalFile("prices.csv"),),
            "prices:parse",
            "published price lists, cited per row",
            "see the source column of data/prices.csv",
        ),
    ]
}


def available() -> pd.DataFrame:
    """The registered data sets with source, commit, licence and citation."""
    return pd.DataFrame(
        [
            {
                "name": d.name,
                "description": d.description,
                "source": d.source,
                "commit": d.commit,
                "files": len(d.files),
                "licence": d.licence,
                "citation": d.citation,
            }
            for d in REGISTRY.values()
        ]
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _mirror_copy(mirror_root: Path, file: RemoteFile):
    def download(url, output_file, _pooch):
        source = mirror_root / file.relative
        if not source.is_file():
            raise DataIntegrityError(
                f"{file.path}: not in the mirror at {source} ({MIRROR_VARIABLE}={mirror_root}); "
                f"expected sha256 {file.sha256}"
            )
        if hasattr(output_file, "write"):
            with open(source, "rb") as handle:
                shutil.copyfileobj(handle, output_file)
        else:
            shutil.copyfile(source, output_file)

    return download


@contextlib.contextmanager
def _file_lock(target: Path):
    """An exclusive lock on ``target`` among processes, held for the block (lock files live in
    ``<cache>/locks/``, so the data folders hold only data)."""
    locks = cache_dir() / "locks"
    locks.mkdir(parents=True, exist_ok=True)
    with open(locks / f"{hashlib.sha256(str(target).encode()).hexdigest()[:32]}.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _ensure(file: RemoteFile) -> Path:
    root = cache_dir() / "data"
    target = root / file.relative
    _refuse_links(root, file.relative)
    with _file_lock(target):  # another process may be checking, removing or fetching the same file
        return _ensure_locked(file, target)


def _refuse_links(root: Path, relative: Path) -> None:
    """A cached file's path below the cache root holds no symbolic link: the loader removes and rewrites files
    there, so a link would let it delete or replace a file outside the cache (the root itself may be a link)."""
    path = root
    for part in relative.parts:
        path = path / part
        if path.is_symlink():
            raise DataIntegrityError(
                f"{path} is a symbolic link (to {os.readlink(path)}) inside the data cache {root}; refusing to read "
                "or write through it, since a corrupt copy there would be removed. Remove the link (the files are "
                "fetched again into the cache)"
            )


def _ensure_locked(file: RemoteFile, target: Path) -> Path:
    if target.exists():
        actual = _sha256(target)
        if actual == file.sha256:
            return target
        target.unlink()  # never keep a corrupt copy: the next load fetches a fresh one
        raise CorruptCopyRemoved(
            f"{target}: cached copy of {file.url} is corrupt (sha256 {actual}, expected {file.sha256}); "
            "it has been removed and will be fetched again on the next load"
        )
    mirror = os.environ.get(MIRROR_VARIABLE)
    downloader = _mirror_copy(Path(mirror), file) if mirror else pooch.HTTPDownloader(progressbar=True)
    try:
        pooch.retrieve(
            file.url, known_hash=f"sha256:{file.sha256}", fname=target.name, path=target.parent, downloader=downloader
        )
    except DataIntegrityError:
        raise
    except ValueError as exc:  # pooch's hash mismatch: the temporary file is already gone
        raise DataIntegrityError(
            f"{file.path} from {file.url}: does not match its expected sha256 {file.sha256} "
            f"(truncated or changed); nothing was cached. {exc}"
        ) from exc
    except Exception as exc:
        raise DataIntegrityError(
            f"{file.path}: could not fetch {file.url} (expected sha256 {file.sha256}): {exc}. "
            f"Offline? Set {MIRROR_VARIABLE} to a mirror laid out as <owner>/<repo>/<commit>/<path>."
        ) from exc
    return target


def _manifest() -> dict[str, str]:
    """``{path under data/: sha256}`` from ``data/SHA256SUMS``."""
    path = data_dir() / MANIFEST_NAME
    if not path.is_file():
        return {}
    recorded = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        digest, _, name = line.partition("  ")
        if len(digest) != 64 or not name:
            raise DataIntegrityError(
                f"{path}: line {number} is not '<sha256>  <path>': {line!r}; rebuild it with `{_REHASH}`"
            )
        recorded[name] = digest
    return recorded


def _check_local(name: str, file: LocalFile, recorded: dict[str, str]) -> Path:
    local = data_dir() / file.path
    if not local.is_file():
        raise DataIntegrityError(f"{local}: file of data set {name!r} is missing from the repository")
    manifest = data_dir() / MANIFEST_NAME
    if file.path not in recorded:
        raise DataIntegrityError(
            f"{local}: file of data set {name!r} has no sha256 in {manifest}; after adding "
            f"or deliberately editing files under data/, run `{_REHASH}` and commit {MANIFEST_NAME}"
        )
    actual = _sha256(local)
    if actual != recorded[file.path]:
        raise DataIntegrityError(
            f"{local}: sha256 {actual} does not match {recorded[file.path]} recorded in {manifest}: the file "
            f"changed. If the edit is deliberate, run `{_REHASH}` and commit {MANIFEST_NAME} with it; otherwise "
            f"restore the file (git checkout -- data/{file.path})"
        )
    return local


def rehash() -> Path:
    """Record the sha256 of every registered file under data/ in ``data/SHA256SUMS`` (written atomically)."""
    paths = sorted({f.path for d in REGISTRY.values() for f in d.files if isinstance(f, LocalFile)})
    missing = [p for p in paths if not (data_dir() / p).is_file()]
    if missing:
        raise DataIntegrityError(f"registered files missing under {data_dir()}: {missing}")
    lines = "".join(f"{_sha256(data_dir() / p)}  {p}\n" for p in paths)
    manifest = data_dir() / MANIFEST_NAME
    fd, tmp = tempfile.mkstemp(dir=data_dir(), prefix=f".{MANIFEST_NAME}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(lines)
    os.replace(tmp, manifest)
    return manifest


def check_registry(path: Path = registry.REGISTRY_FILE) -> int:
    """Check the registry file against itself and :data:`REGISTRY`; return its number of pins.

    Raises :class:`RegistryError` on a malformed or unsorted line, a file pinned with two hashes, a data set with
    pins that REGISTRY does not declare, and a declared data set whose remote files are not exactly its pins (a
    hash typed into the code instead of the registry).
    """
    pins = registry.read(path, strict=True)
    pinned_sets = {pin.dataset for pin in pins}
    undeclared = sorted(pinned_sets - set(REGISTRY))
    if undeclared:
        raise RegistryError(f"{path}: data sets {undeclared} have pins but REGISTRY does not declare them")
    empty = [name for name, dataset in REGISTRY.items() if not dataset.files]
    if empty:
        raise RegistryError(f"{path}: data sets {empty} have no file; add them with `python -m agenteff data pin`")
    for name, dataset in REGISTRY.items():
        declared = tuple(f for f in dataset.files if isinstance(f, RemoteFile))
        if not declared and name not in pinned_sets:
            continue
        if name not in pinned_sets or declared != registry.pinned(name, pins):
            raise RegistryError(
                f"{path}: the remote files REGISTRY declares for data set {name!r} are not its pins there; "
                "declare them with _pinned(name) and add pins with `python -m agenteff data pin`"
            )
    return len(pins)


def pin(dataset: str, source: str, paths: list[str], path: Path = registry.REGISTRY_FILE) -> list[registry.Pin]:
    """Pin ``paths`` of ``source`` (``owner/repo@commit``) as files of ``dataset`` in the registry file.

    Each file is copied from the mirror when ``AGENTEFF_MIRROR`` is set, else downloaded, and its sha256 is what
    gets recorded (so pin only from a source you trust); the file is rewritten sorted and checked.
    """
    repo, _, commit = source.partition("@")
    mirror = os.environ.get(MIRROR_VARIABLE)
    added = []
    with tempfile.TemporaryDirectory() as scratch:
        for number, file_path in enumerate(paths):
            registry.Pin(dataset, repo, commit, file_path, "0" * 64)  # refuse a malformed name before fetching
            unpinned = RemoteFile(repo, commit, file_path, "not pinned yet")
            downloader = _mirror_copy(Path(mirror), unpinned) if mirror else pooch.HTTPDownloader(progressbar=True)
            local = pooch.retrieve(unpinned.url, None, fname=str(number), path=scratch, downloader=downloader)
            added.append(registry.Pin(dataset, repo, commit, file_path, _sha256(Path(local))))
    registry.write(registry.read(path) + added, path)
    return added


USE_LOG_VARIABLE = "AGENTEFF_DATA_USE_LOG"


def fetch(name: str) -> dict[str, Path]:
    """Make the data set's files available locally and verified; return ``{path in repo: local path}``.

    When ``AGENTEFF_DATA_USE_LOG`` names a file (the notebook runner sets it), the data set's name and
    :func:`version` are appended to it, so the run's provenance can list the data that made its results."""
    dataset = _get(name)
    if not dataset.files:
        raise DataIntegrityError(
            f"data set {name!r} has no file pinned in {registry.REGISTRY_FILE}; add them with "
            f"`python -m agenteff data pin {name} <owner>/<repo>@<commit> <path>...`"
        )
    paths = {}
    recorded = _manifest() if any(isinstance(f, LocalFile) for f in dataset.files) else {}
    for file in dataset.files:
        if isinstance(file, LocalFile):
            paths[file.path] = _check_local(name, file, recorded)
        else:
            paths[file.path] = _ensure(file)
    log = os.environ.get(USE_LOG_VARIABLE)
    if log:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"name": name, "version": version(name)}) + "\n")
    return paths


def version(name: str) -> str:
    """The version of data set ``name``: the commit its files are pinned at (``repo@commit``), or for files
    carried under data/, ``data/sha256:<first 12 hex of the digest of their recorded sha256s>``."""
    dataset = _get(name)
    pinned = sorted({f"{f.repo}@{f.commit}" for f in dataset.files if isinstance(f, RemoteFile)})
    local = [f.path for f in dataset.files if isinstance(f, LocalFile)]
    if local:
        recorded = _manifest()
        digest = hashlib.sha256("".join(f"{recorded.get(p, '')}  {p}\n" for p in sorted(local)).encode())
        pinned.append(f"data/sha256:{digest.hexdigest()[:12]}")
    return " + ".join(pinned)


def _get(name: str) -> Dataset:
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown data set {name!r}; registered: {', '.join(REGISTRY)}") from None


def tables(name: str) -> dict[str, pd.DataFrame]:
    """All tables the data set's parser produces, validated, by table name."""
    dataset = _get(name)
    module_name, function_name = dataset.parser.split(":")
    parser = getattr(importlib.import_module(f"{__name__}.{module_name}"), function_name)
    files = fetch(name)
    try:
        return parser(files)
    except (DataIntegrityError, SchemaError):
        raise
    except (
        pd.errors.ParserError,
        pd.errors.EmptyDataError,
        UnicodeDecodeError,
        json.JSONDecodeError,
        yaml.YAMLError,
    ) as exc:  # a parser's bare error: say which data set and files
        where = ", ".join(str(p) for p in files.values())
        raise SchemaError(f"data set {name!r} ({where}): cannot be parsed: {type(exc).__name__}: {exc}") from exc


def load(name: str, table: str | None = None) -> pd.DataFrame:
    """A validated table of data set ``name`` (its first table unless ``table`` names another)."""
    produced = tables(name)
    if table is None:
        return next(iter(produced.values()))
    if table not in produced:
        raise KeyError(f"data set {name!r} has tables {list(produced)}, not {table!r}")
    return produced[table]


def paper_values():
    """Every published number, by key (:class:`agenteff.report.PaperValues`), from the ``paper-values`` data set."""
    from .published import as_paper_values

    return as_paper_values(load("paper-values"))


pooch.get_logger().setLevel(logging.WARNING)  # keep notebook output identical on cold and warm caches
