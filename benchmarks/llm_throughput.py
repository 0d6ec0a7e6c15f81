"""Throughput of LLMClient against the simulated endpoint (real HTTP on 127.0.0.1).

With every reply taking L seconds, c calls in flight can at best complete c / L requests per second; the ratio
to that ideal shows what the client, the HTTP stack and the endpoint cost on top (targets: >= 0.95 at c = 32,
>= 0.9 at c = 128). The endpoint is measured alone first, driven by a minimal raw-socket client sending the
requests LLMClient sends (streamed), so its own cost is known; CPU per request is reported for both sides (the
server's from its ``/sim/stats``). Replies are simulated. Then the same calls again, all answered by the response
cache: lookups per second.

    python benchmarks/llm_throughput.py [--latency 0.05] [--seconds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from urllib.parse import urlsplit

os.environ.setdefault("TQDM_DISABLE", "1")

from agenteff.llm import LLMClient, SimModel, sim_server  # noqa: E402
from agenteff.llm.sim import server_stats  # noqa: E402

MODEL = "sim-throughput"


def _requests(label: str, n: int) -> list[dict]:
    return [dict(model=MODEL, messages=[{"role": "user", "content": f"{label}: what is {i} + 1?"}]) for i in range(n)]


def measure(url: str, concurrency: int, latency_s: float, seconds: float, cache_dir: str) -> dict:
    n = max(concurrency, int(seconds * concurrency / latency_s))
    with LLMClient(base_url=url, cache_dir=cache_dir, max_concurrency=concurrency, prices={}) as client:
        client.chat_many(_requests(f"warm-up {concurrency}", concurrency))  # open the connections
        server_cpu = server_stats(url)["cpu_s"]
        started, cpu_started = time.perf_counter(), time.process_time()
        client.chat_many(_requests(f"c{concurrency}", n))
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        server_cpu = server_stats(url)["cpu_s"] - server_cpu
        assert client.stats["cache_hits"] == 0
    rate = n / elapsed
    return {
        "concurrency": concurrency,
        "requests": n,
        "requests_per_s": rate,
        "ideal_per_s": concurrency / latency_s,
        "ratio": rate / (concurrency / latency_s),
        "client_cpu_ms": 1000 * cpu / n,
        "server_cpu_ms": 1000 * server_cpu / n,
    }


def server_alone(url: str, concurrency: int, latency_s: float, seconds: float) -> dict:
    """The simulated endpoint driven by ``concurrency`` raw keep-alive connections, each sending the next request
    as soon as the last reply is read (the requests LLMClient sends: streamed, with usage)."""
    parts = urlsplit(url)
    n = max(concurrency, int(seconds * concurrency / latency_s))
    bodies = [
        json.dumps({**r, "temperature": 0.0, "stream": True, "stream_options": {"include_usage": True}}).encode()
        for r in _requests(f"alone {concurrency}", n)
    ]
    head = f"POST {parts.path}/chat/completions HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Length: "

    async def connection(queue: list[bytes]) -> None:
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        while queue:
            body = queue.pop()
            writer.write(b"%s%d\r\n\r\n%s" % (head.encode(), len(body), body))
            headers = await reader.readuntil(b"\r\n\r\n")
            length = int(headers.lower().split(b"content-length:")[1].split(b"\r\n")[0])
            await reader.readexactly(length)
        writer.close()

    async def run() -> float:
        queue = list(bodies)
        started = time.perf_counter()
        await asyncio.gather(*(connection(queue) for _ in range(concurrency)))
        return time.perf_counter() - started

    server_cpu = server_stats(url)["cpu_s"]
    elapsed = asyncio.run(run())
    server_cpu = server_stats(url)["cpu_s"] - server_cpu
    rate = n / elapsed
    return {
        "concurrency": concurrency,
        "requests": n,
        "requests_per_s": rate,
        "ideal_per_s": concurrency / latency_s,
        "ratio": rate / (concurrency / latency_s),
        "server_cpu_ms": 1000 * server_cpu / n,
    }


def cache_hits(url: str, cache_dir: str, n: int) -> dict:
    """The same ``n`` calls again, all answered by the cache: lookups/s, and client CPU per lookup."""
    with LLMClient(base_url=url, cache_dir=cache_dir, max_concurrency=32, prices={}) as client:
        started, cpu_started = time.perf_counter(), time.process_time()
        client.chat_many(_requests("c32", n))
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        assert client.stats["requests_sent"] == 0
    return {"lookups_per_s": n / elapsed, "cpu_us": 1e6 * cpu / n}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.05, help="simulated latency per reply, seconds")
    parser.add_argument("--seconds", type=float, default=2.0, help="target duration of each measurement")
    args = parser.parse_args()
    model = SimModel(MODEL, error_prob=0.0, latency_mean_s=args.latency, latency_sd_s=0.0)
    print(
        f"LLMClient -> simulated endpoint (simulated replies), constant latency {args.latency * 1000:.0f} ms, "
        f"{os.cpu_count()} CPU(s)"
    )
    print(
        f"{'':>18} {'concurrency':>11} {'requests':>9} {'requests/s':>11} {'ideal/s':>8} {'ratio':>6} "
        f"{'client CPU ms/req':>18} {'server CPU ms/req':>18}"
    )
    with sim_server([model]) as url, tempfile.TemporaryDirectory() as cache_dir:
        rows = [("endpoint alone", server_alone(url, c, args.latency, args.seconds)) for c in (32, 128)]
        rows += [("LLMClient", measure(url, c, args.latency, args.seconds, cache_dir)) for c in (1, 8, 32, 128)]
        for label, row in rows:
            client_cpu = f"{row['client_cpu_ms']:.2f}" if "client_cpu_ms" in row else ""
            print(
                f"{label:>18} {row['concurrency']:>11} {row['requests']:>9} {row['requests_per_s']:>11.1f} "
                f"{row['ideal_per_s']:>8.0f} {row['ratio']:>6.2f} {client_cpu:>18} {row['server_cpu_ms']:>18.2f}"
            )
        n = rows[-2][1]["requests"]
        hits = cache_hits(url, cache_dir, n)
        print(
            f"cache-hit replay (the {n} calls of concurrency 32 again): {hits['lookups_per_s']:.0f} lookups/s, "
            f"client CPU {hits['cpu_us']:.1f} us/lookup"
        )
        print(f"load average {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
