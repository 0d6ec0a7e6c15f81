"""Does a live study's engine keep a real server busy? Completion tokens per second through the engine against the
server's own throughput on the same requests at the same number of parallel slots, in one run.

1. **Engine**: study 02's topologies (``agenteff.engines.topologies.run_experiment``, structured actions) on the
   local llama-server, ``--slots`` runs at a time, a fresh response cache (every call reaches the server); every
   request the client sends is kept.
2. **Server alone**: the same requests replayed by a minimal client (plain HTTP from ``--slots`` threads, no
   engine, no cache, no streaming), so the server is never waiting for the orchestration between calls.

The ratio engine / server alone is what the engine costs the server (target >= 0.9). An agent's next call waits
for its previous reply and its tool call, so the engine has fewer calls ready than slots at moments (the end of
the grid, a run whose last agent is slow); replaying already-known requests has no such gaps.

    python benchmarks/server_utilisation.py [--url http://127.0.0.1:8080/v1] [--slots 4] [--tasks 2]

Without ``--url`` it starts the cached llama-server (``python -m agenteff live-setup`` first) with ``--slots``
slots. Both passes run against the same server, one after the other.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

os.environ.setdefault("TQDM_DISABLE", "1")

from agenteff.engines import topologies  # noqa: E402
from agenteff.llm import LLMClient, local_server, resolve_endpoint  # noqa: E402


def _engine_pass(url: str, model: str, slots: int, tasks: int) -> tuple[float, int, list[dict]]:
    """Wall time, completion tokens and the request bodies of the topologies grid through the engine."""
    sent: list[dict] = []
    original = LLMClient._send

    async def recording(self, request, messages, tools):
        sent.append(request)
        return await original(self, request, messages, tools)

    LLMClient._send = recording  # type: ignore[method-assign]
    try:
        started = time.perf_counter()
        _, steps = topologies.run_experiment(
            resolve_endpoint(url),
            n_tasks=tasks,
            models=[model],
            max_tokens=topologies.RECORDING["max_tokens"],
            max_concurrency=slots,
            **topologies.RECORDING["limits"],
        )
        elapsed = time.perf_counter() - started
    finally:
        LLMClient._send = original  # type: ignore[method-assign]
    return elapsed, int(steps["completion_tokens"].sum()), sent


def _post(url: str, body: dict) -> int:
    request = urllib.request.Request(
        f"{url}/chat/completions",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": "Bearer unused"},
    )
    with urllib.request.urlopen(request, timeout=600) as reply:
        return int(json.loads(reply.read())["usage"]["completion_tokens"])


def _direct_pass(url: str, requests: list[dict], slots: int) -> tuple[float, int]:
    """Wall time and completion tokens of ``requests`` sent straight to the server from ``slots`` threads."""
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=slots) as pool:
        tokens = sum(pool.map(lambda body: _post(url, body), requests))
    return time.perf_counter() - started, tokens


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=None, help="a running OpenAI-compatible server (default: start llama-server)")
    parser.add_argument("--slots", type=int, default=4, help="parallel slots of the server, and runs at a time")
    parser.add_argument("--tasks", type=int, default=2, help="tasks per suite of the topologies grid")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cache, contextlib.ExitStack() as stack:
        os.environ["AGENTEFF_CACHE_DIR"] = cache  # a fresh response cache: every engine call reaches the server
        url = args.url or stack.enter_context(local_server.local_server(parallel=args.slots, context=4096 * args.slots))
        model = resolve_endpoint(url).model_or_default(None)
        engine_s, engine_tokens, requests = _engine_pass(url, model, args.slots, args.tasks)
        direct_s, direct_tokens = _direct_pass(url, requests, args.slots)
    engine_rate, direct_rate = engine_tokens / engine_s, direct_tokens / direct_s
    print(
        f"server {model} at {args.slots} slots; {len(requests)} requests (study 02's topologies, {args.tasks} tasks per suite)"
    )
    print(f"{'pass':<28}{'seconds':>10}{'completion tokens':>20}{'tokens/s':>12}")
    print(f"{'engine (topologies)':<28}{engine_s:>10.1f}{engine_tokens:>20,}{engine_rate:>12.1f}")
    print(f"{'server alone (replayed)':<28}{direct_s:>10.1f}{direct_tokens:>20,}{direct_rate:>12.1f}")
    print(f"ratio engine / server alone: {engine_rate / direct_rate:.2f} (target >= 0.9)")


if __name__ == "__main__":
    main()
