"""A lean HTTP/1.1 transport for endpoints on the loopback interface (the simulated endpoint, local servers).

The ``openai`` SDK sends through ``httpx``, whose general-purpose connection pool costs over a millisecond of CPU
per request: at 32 calls in flight with 50 ms latency the event loop, not the endpoint, becomes the limit. For
``http://`` URLs on 127.0.0.1, ::1 or localhost this transport keeps a plain asyncio connection per in-flight
call instead; every other URL (TLS, remote hosts, proxies) goes through httpx's own transport unchanged. The SDK
still builds the request, authenticates it and maps errors: timeouts raise ``httpx.ReadTimeout`` (the SDK's
``APITimeoutError``), broken connections ``httpx.ReadError`` or ``ConnectError`` (``APIConnectionError``).

The read timeout is a limit on *silence*, as in httpx: the longest wait for the next piece of the reply (its
status line, then each chunk of a chunked body such as a stream of server-sent events), not on the whole reply.
A streamed generation of any length therefore never times out while tokens keep arriving; a non-streamed reply
sends nothing until it is complete, so for it the limit is the whole reply. On a timeout the connection is
closed, which is what tells llama.cpp's server (and vLLM) to cancel the generation.

A reply that is cut short or not valid HTTP (a server killed mid-reply leaves a chunked body without its end)
raises ``ReadError`` too, so it is retried like any dropped connection.

One request is sent at most once per call: when the server drops a kept-alive connection without replying,
this transport raises ``ReadError`` rather than re-sending on its own, so the caller's retry policy (counting,
backoff, budget) sees every send. Idle connections the server has already closed are discarded before use.

Why not a library: measured with benchmarks/llm_throughput.py (50 ms simulated latency, 32 calls in flight, 2
cores, quiet machine, 2026-11-22), the ratio to ideal throughput was 0.78 with the SDK's default httpx client,
0.84 with its aiohttp backend (``openai.DefaultAioHttpClient``) and 0.90 with this transport. The SDK's own
request and response objects then cost most of the client's remaining 0.9 ms of CPU per call, so
:class:`agenteff.llm.LLMClient` sends its chat calls to loopback servers through :meth:`LoopbackTransport.exchange`
directly (0.2-0.3 ms per call, 2026-12-01); every other request (model listings, remote endpoints) still goes
through the SDK.
"""

from __future__ import annotations

import asyncio
import contextlib

import httpx2 as httpx

__all__ = ["LoopbackTransport", "LOOPBACK_HOSTS"]

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
# Headers this transport must not forward: it sends no compressed-encoding support and manages connections.
_DROPPED = frozenset({b"accept-encoding", b"connection", b"transfer-encoding", b"content-length"})


class _BrokenConnection(Exception):
    """The peer closed the connection before answering."""


class LoopbackTransport(httpx.AsyncBaseTransport):
    def __init__(self, fallback: httpx.AsyncBaseTransport | None = None):
        self._fallback = fallback or httpx.AsyncHTTPTransport()
        self._idle: dict[tuple[str, int], list[tuple[asyncio.StreamReader, asyncio.StreamWriter]]] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme != "http" or url.host not in LOOPBACK_HOSTS:
            return await self._fallback.handle_async_request(request)
        timeouts = request.extensions.get("timeout", {})
        payload = self._serialise(request, request.content)  # the SDK sends a complete JSON body
        status, headers, body = await self.exchange(
            (url.host, url.port or 80), payload, timeouts.get("connect"), timeouts.get("read"), request
        )
        return httpx.Response(status, headers=headers, content=body, request=request)

    async def exchange(self, address, payload: bytes, connect_s, silence_s, request=None):
        """Send one serialised HTTP/1.1 request to a loopback ``(host, port)`` and read the reply: (status,
        headers, body). Raises httpx's ConnectError/ConnectTimeout, ReadTimeout (``silence_s`` without a byte)
        or ReadError, as the transport does for the SDK; :class:`agenteff.llm.LLMClient` calls it directly for
        loopback endpoints, without the SDK's per-request machinery."""
        connection = self._idle_connection(address) or await self._connect(address, connect_s)
        try:
            return await self._exchange(connection, payload, request, silence_s, address)
        except _BrokenConnection as exc:
            raise httpx.ReadError("the server closed the connection without replying", request=request) from exc

    def _idle_connection(self, address):
        """A kept-alive connection still open (those the server closed meanwhile are dropped unused)."""
        idle = self._idle.setdefault(address, [])
        while idle:
            reader, writer = idle.pop()
            if reader.at_eof() or writer.is_closing():
                writer.close()
                continue
            return reader, writer
        return None

    async def _connect(self, address, timeout):
        try:
            return await asyncio.wait_for(asyncio.open_connection(*address), timeout)
        except TimeoutError as exc:
            raise httpx.ConnectTimeout(f"connecting to {address[0]}:{address[1]} timed out") from exc
        except OSError as exc:
            raise httpx.ConnectError(f"cannot connect to {address[0]}:{address[1]}: {exc}") from exc

    @staticmethod
    def _serialise(request: httpx.Request, body: bytes) -> bytes:
        target = request.url.raw_path
        lines = [request.method.encode() + b" " + target + b" HTTP/1.1"]
        lines += [name + b": " + value for name, value in request.headers.raw if name.lower() not in _DROPPED]
        lines.append(b"Content-Length: " + str(len(body)).encode())
        return b"\r\n".join(lines) + b"\r\n\r\n" + body

    async def _exchange(self, connection, payload, request, silence_s, address):
        reader, writer = connection
        try:
            writer.write(payload)
            async with asyncio.timeout(silence_s) as deadline:  # no extra task per call, unlike wait_for
                status, headers, body, keep = await _read_response(reader, _silence(deadline, silence_s))
        except TimeoutError as exc:
            writer.close()
            raise httpx.ReadTimeout("timed out waiting for the reply", request=request) from exc
        except (ConnectionError, asyncio.IncompleteReadError, _BrokenConnection) as exc:
            writer.close()
            if isinstance(exc, _BrokenConnection) or (isinstance(exc, asyncio.IncompleteReadError) and not exc.partial):
                raise _BrokenConnection() from exc
            raise httpx.ReadError(f"the connection broke while reading the reply: {exc}", request=request) from exc
        except BaseException:  # cancelled mid-exchange: the connection's state is unknown
            writer.close()
            raise
        if keep:
            self._idle[address].append(connection)
        else:
            writer.close()
        return status, headers, body

    async def aclose(self) -> None:
        for connections in self._idle.values():
            for _reader, writer in connections:
                with contextlib.suppress(Exception):
                    writer.close()
        self._idle.clear()
        await self._fallback.aclose()


def _silence(deadline: asyncio.Timeout, limit: float | None):
    """A callback that restarts ``deadline`` (the limit on silence) each time a piece of the reply arrives."""
    if limit is None:
        return lambda: None
    loop = asyncio.get_running_loop()
    return lambda: deadline.reschedule(loop.time() + limit)


async def _read_response(reader: asyncio.StreamReader, heard=lambda: None):
    try:
        head = await reader.readuntil(b"\r\n\r\n")  # the status line and headers in one read
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            raise _BrokenConnection() from exc
        raise
    except asyncio.LimitOverrunError as exc:
        raise ConnectionError(f"the reply's headers are too long ({exc})") from exc
    status_line, *lines = head[:-4].split(b"\r\n")
    parts = status_line.split(b" ", 2)
    status = _number(parts[1] if len(parts) > 1 else b"", 10, f"status line {status_line[:80]!r}")
    headers = []
    for line in lines:
        name, _, value = line.partition(b":")
        headers.append((name.strip(), value.strip()))
    fields = {name.lower(): value for name, value in headers}
    if fields.get(b"transfer-encoding", b"").lower() == b"chunked":
        heard()
        body = await _read_chunked(reader, heard)
        keep = True
    elif b"content-length" in fields:
        body = await reader.readexactly(_number(fields[b"content-length"], 10, "Content-Length"))
        keep = True
    else:  # delimited by the connection closing
        body = await reader.read()
        keep = False
    keep = keep and fields.get(b"connection", b"").lower() != b"close" and parts[0] == b"HTTP/1.1"
    headers = [(n, v) for n, v in headers if n.lower() != b"transfer-encoding"]
    return status, headers, body, keep


async def _read_chunked(reader: asyncio.StreamReader, heard) -> bytes:
    chunks: list[bytes] = []
    while True:
        line = await reader.readline()
        if not line.endswith(b"\n"):  # the server stopped sending (died) before the body's end
            raise ConnectionError("the reply was cut short (a chunked body without its last chunk)")
        size = _number(line.split(b";")[0].strip(), 16, "chunk size")
        if size == 0:
            while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(chunks)
        chunks.append(await reader.readexactly(size))
        await reader.readexactly(2)
        heard()


def _number(text: bytes, base: int, what: str) -> int:
    """A number of the reply's framing; :class:`ConnectionError` (a broken reply, retried) when it is not one."""
    try:
        return int(text, base)
    except ValueError:
        raise ConnectionError(f"the reply is not valid HTTP: unreadable {what} {text[:40]!r}") from None
