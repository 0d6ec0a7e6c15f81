"""The sha256 of every pinned public file, kept as data in ``registry.txt`` beside this module.

One line per file of a data set, fields separated by single spaces, the path last (it may contain spaces)::

    <data set> <owner>/<repo>@<commit> <sha256> <path in the repository>

Membership is the first field, never a path prefix: a file read by two data sets has a line in each, and a file
no data set reads has no line. Lines are sorted (data set, repository, commit, path), so a merge of two branches'
additions rarely touches the same lines; ``#`` starts a comment line.

To add a pin, in one way only:

    python -m agenteff data pin <data set> <owner>/<repo>@<commit> <path> [<path> ...]

fetches each file (copied from ``$AGENTEFF_MIRROR`` when set, else downloaded from the GitHub raw URL), records
its sha256 and rewrites the file in order; then declare the data set in ``REGISTRY`` (``datasets/__init__.py``)
with ``files=_pinned("<data set>")``. Never type a hash by hand: pins kept elsewhere (a branch's ``pins.py``
dict) are ported by passing their paths to ``data pin`` with the mirror set, and the test that compares every pin
with the mirror's ``SHA256SUMS`` confirms the hashes. ``python -m agenteff data registry --check``
(run by the tests) fails on a line out of order or malformed, a file pinned twice with two hashes, a data set
with pins but no declaration, and a declared data set with no file.
"""

from __future__ import annotations

import os
import re
import tempfile
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

__all__ = ["RemoteFile", "Pin", "REGISTRY_FILE", "RegistryError", "read", "write", "render", "pinned"]

RAW_BASE = "https://raw.githubusercontent.com"
REGISTRY_FILE = Path(__file__).with_name("registry.txt")
_HEADER = (
    "# The sha256 of every pinned public file: <data set> <owner>/<repo>@<commit> <sha256> <path>.\n"
    "# Generated: add pins with `python -m agenteff data pin`, check with `python -m agenteff data registry --check`.\n"
)
_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")
_REPO = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*")
_COMMIT = re.compile(r"[0-9a-f]{40}")
_SHA256 = re.compile(r"[0-9a-f]{64}")


class RegistryError(ValueError):
    """The registry file is malformed or disagrees with itself; the message names the file and line."""


@dataclass(frozen=True)
class RemoteFile:
    repo: str  # owner/name
    commit: str
    path: str
    sha256: str

    @property
    def url(self) -> str:
        # spaces and parentheses in a path must be percent-encoded in the URL (the mirror/cache keep them verbatim)
        return f"{RAW_BASE}/{self.repo}/{self.commit}/{urllib.parse.quote(self.path)}"

    @property
    def relative(self) -> Path:
        return Path(self.repo) / self.commit / self.path


@dataclass(frozen=True, order=True)
class Pin:
    """One line of the registry: a pinned file as a member of one data set."""

    dataset: str
    repo: str
    commit: str
    path: str
    sha256: str

    def __post_init__(self):
        for value, pattern, what in [
            (self.dataset, _NAME, "data set name (lower case, digits, '-')"),
            (self.repo, _REPO, "repository owner/name"),
            (self.commit, _COMMIT, "commit (40 lower-case hex digits)"),
            (self.sha256, _SHA256, "sha256 (64 lower-case hex digits)"),
        ]:
            if not pattern.fullmatch(value):
                raise RegistryError(f"{value!r} is not a {what}")
        if not self.path or self.path != self.path.strip() or self.path.startswith("/"):
            raise RegistryError(f"path {self.path!r} must be relative, with no surrounding spaces")

    @property
    def file(self) -> RemoteFile:
        return RemoteFile(self.repo, self.commit, self.path, self.sha256)

    def line(self) -> str:
        return f"{self.dataset} {self.repo}@{self.commit} {self.sha256} {self.path}"


def _parse_line(line: str, where: str) -> Pin:
    fields = line.split(" ", 3)
    if len(fields) != 4:
        raise RegistryError(f"{where}: expected '<data set> <owner>/<repo>@<commit> <sha256> <path>', got {line!r}")
    dataset, source, sha256, path = fields
    repo, _, commit = source.partition("@")
    try:
        return Pin(dataset, repo, commit, path, sha256)
    except RegistryError as exc:
        raise RegistryError(f"{where}: {exc}") from None


def read(path: Path = REGISTRY_FILE, *, strict: bool = False) -> list[Pin]:
    """The pins of the registry file, in file order. ``strict`` also refuses lines out of order, repeated lines
    and one file pinned with two hashes (what ``data registry --check`` enforces)."""
    pins: list[Pin] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line or line.startswith("#"):
            continue
        pins.append(_parse_line(line, f"{path} line {number}"))
    if strict:
        _check_canonical(pins, path)
    return pins


def _check_canonical(pins: list[Pin], path: Path) -> None:
    hashes: dict[tuple[str, str, str], str] = {}
    for index, pin in enumerate(pins):
        if index and pin <= pins[index - 1]:
            kind = "repeats" if pin == pins[index - 1] else "is out of order after"
            raise RegistryError(
                f"{path}: the pin {pin.line()!r} {kind} {pins[index - 1].line()!r}; "
                "rewrite the file with `python -m agenteff data pin` (it sorts)"
            )
        first = hashes.setdefault((pin.repo, pin.commit, pin.path), pin.sha256)
        if first != pin.sha256:
            raise RegistryError(f"{path}: {pin.repo}@{pin.commit} {pin.path} is pinned with two hashes")


def render(pins: list[Pin]) -> str:
    """The registry text of ``pins``: header, then one sorted line per distinct pin."""
    return _HEADER + "".join(f"{pin.line()}\n" for pin in sorted(set(pins)))


def write(pins: list[Pin], path: Path = REGISTRY_FILE) -> Path:
    """Write ``pins`` sorted and checked, atomically (a failed write leaves the old file)."""
    text = render(pins)
    _check_canonical(sorted(set(pins)), path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)
    return path


def pinned(dataset: str, pins: list[Pin] | None = None) -> tuple[RemoteFile, ...]:
    """The files of ``dataset`` in registry order; empty while none is pinned (the check and a fetch then say so,
    and ``data pin`` still runs to add them)."""
    return tuple(pin.file for pin in (read() if pins is None else pins) if pin.dataset == dataset)
