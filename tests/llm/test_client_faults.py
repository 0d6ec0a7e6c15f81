"""Issue 12, LLM client: batches that fail part-way, Retry-After, re-sends, dead endpoints, readable errors."""

import contextlib
import email.utils
import json
import logging
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import openai
import pytest

from agenteff.llm import BudgetExceeded, LLMClient, RetriesExhausted, SimModel, local_server, sim_server
from agenteff.llm.client import _describe, _retry_after_s
from agenteff.llm.sim import server_stats

MODEL = "sim-rel"
PRICES = {MODEL: {"input": 1.0, "output": 2.0}}


def _question(i):
    return [{"role": "user", "content": f"What is {i} + 100?"}]


SIM_MODELS = [
    SimModel(MODEL, error_prob=0.0, latency_mean_s=0.02, latency_sd_s=0.0)
]  # served by the sim_url fixture (tests/conftest.py)


def test_budget_reached_mid_batch_keeps_and_counts_every_answered_call(sim_url, tmp_path):
    before = server_stats(sim_url)["completed"]
    requests = [dict(model=MODEL, messages=_question(i)) for i in range(300)]
    with LLMClient(
        base_url=sim_url, cache_dir=tmp_path, prices=PRICES, max_concurrency=16, budget_tokens=1500
    ) as client:
        with pytest.raises(BudgetExceeded) as caught:
            client.chat_many(requests)
        stats = client.stats
    answered = server_stats(sim_url)["completed"] - before
    finished = [r for r in caught.value.results if r is not None]
    assert len(caught.value.results) == 300
    assert len(finished) == answered == stats["requests_sent"]  # every paid call is kept
    spent = sum(r.prompt_tokens + r.completion_tokens for r in finished)
    assert spent == stats["prompt_tokens"] + stats["completion_tokens"] >= 1500
    assert f"spent {spent:,} of 1,500 tokens over {answered} requests sent" in str(caught.value)
    assert caught.value.results[caught.value.index] is None  # the request that found the budget spent
    with LLMClient(base_url=sim_url, cache_dir=tmp_path, prices=PRICES) as client:  # all of them were cached
        again = client.chat_many([requests[i] for i, r in enumerate(caught.value.results) if r is not None])
        assert client.stats["requests_sent"] == 0 and len(again) == answered


def test_any_error_mid_batch_lets_calls_in_flight_finish(sim_url, tmp_path):
    before = server_stats(sim_url)["completed"]
    requests = [dict(model=MODEL, messages=_question(i)) for i in range(40)]
    requests[5] = dict(model="no-such-model", messages=_question(5))  # 404: not retryable
    with LLMClient(base_url=sim_url, cache_dir=tmp_path, prices=PRICES, max_concurrency=8) as client:
        with pytest.raises(openai.NotFoundError) as caught:
            client.chat_many(requests)
        sent = client.stats["requests_sent"]
    answered = server_stats(sim_url)["completed"] - before
    finished = [r for r in caught.value.results if r is not None]
    assert caught.value.index == 5 and caught.value.results[5] is None
    assert 5 <= len(finished) == answered == sent - 1 < 40  # the first 8 went out at once; the rest were not sent
    assert all(r.content == f"The answer is {i + 100}." for i, r in enumerate(caught.value.results) if r)


@pytest.mark.parametrize("header", ["3600", "inf", "soon", ""])
def test_retry_after_is_capped_and_read_leniently(header):
    faults = {"rate_limit": 1.0, "retry_after_s": header}
    with sim_server([SimModel(MODEL, latency_mean_s=0.0)], faults) as url:
        with LLMClient(
            base_url=url, cache=False, prices=PRICES, max_retries=2, backoff_base_s=0.01, backoff_max_s=0.2
        ) as client:
            started = time.perf_counter()
            with pytest.raises(RetriesExhausted, match="after 3 attempts.*RateLimitError"):
                client.chat(MODEL, _question(1))
            assert time.perf_counter() - started < 3.0  # two waits of at most backoff_max_s
            assert client.stats["requests_sent"] == 3


def _fake_error(headers):
    return SimpleNamespace(response=SimpleNamespace(headers=headers))


def test_retry_after_parsing_by_hand():
    assert _retry_after_s(_fake_error({"retry-after": "2"})) == 2.0
    assert _retry_after_s(_fake_error({"retry-after-ms": "250", "retry-after": "9"})) == 0.25
    for unreadable in ("soon", "", "inf", "nan", "Mon, 99 Foo 2026 00:00:00 GMT"):
        assert _retry_after_s(_fake_error({"retry-after": unreadable})) is None
    in_ten_s = email.utils.formatdate(time.time() + 10, usegmt=True)
    assert 8 <= _retry_after_s(_fake_error({"retry-after": in_ten_s})) <= 10
    assert _retry_after_s(_fake_error({"retry-after": email.utils.formatdate(0, usegmt=True)})) == 0.0


def test_dropped_connections_are_counted_as_sends_never_resent_silently():
    with sim_server([SimModel(MODEL, error_prob=0.0, latency_mean_s=0.0)], {"disconnect": 0.5, "seed": 3}) as url:
        with LLMClient(
            base_url=url,
            cache=False,
            prices=PRICES,
            max_concurrency=8,
            max_retries=30,
            backoff_base_s=0.001,
            backoff_max_s=0.01,
        ) as client:
            results = client.chat_many([dict(model=MODEL, messages=_question(i)) for i in range(120)])
            stats = client.stats
        server = server_stats(url)
    assert [r.content for r in results] == [f"The answer is {i + 100}." for i in range(120)]
    assert server["chat_requests"] == stats["requests_sent"] == 120 + stats["retries"]
    assert server["disconnect"] == stats["retries"] > 0


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_dead_endpoint_fails_fast_naming_the_url():
    base_url = f"http://127.0.0.1:{_closed_port()}/v1"
    with LLMClient(base_url=base_url, cache=False, prices=PRICES, max_retries=6, backoff_base_s=1.0) as client:
        started = time.perf_counter()
        with pytest.raises(RetriesExhausted) as caught:
            client.chat(MODEL, _question(1))
        assert time.perf_counter() - started < 2.0
        assert client.stats["requests_sent"] == 1
    message = str(caught.value)
    assert f"{base_url}/chat/completions" in message and "connection refused" in message
    assert "attempt 1" in message


@pytest.mark.parametrize(
    "stream, complaint", [(False, "reply body is not JSON"), (True, "a streamed chunk is not JSON")]
)
def test_malformed_replies_are_named_without_private_classes(stream, complaint):
    # the simulated fault cuts the body in half: mid-JSON, and (streamed) mid-way through a chunk's line
    with sim_server([SimModel(MODEL, latency_mean_s=0.0)], {"malformed": 1.0}) as url:
        with LLMClient(
            base_url=url, cache=False, prices=PRICES, max_retries=1, backoff_base_s=0.001, stream=stream
        ) as client:
            with pytest.raises(RetriesExhausted) as caught:
                client.chat(MODEL, _question(1))
    message = str(caught.value)
    assert f"last error: malformed reply: {complaint}" in message
    assert "_Malformed" not in message and f"{url}/chat/completions" in message


def test_serve_sim_shuts_down_quietly_with_connections_open():
    process = subprocess.Popen(
        [sys.executable, "-m", "agenteff", "serve-sim", "--port", "0", "--latency-mean", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    try:
        address = re.search(rb"http://([\d.]+):(\d+)/v1", process.stdout.readline())
        idle = socket.create_connection((address[1].decode(), int(address[2])), timeout=5)
        busy = socket.create_connection((address[1].decode(), int(address[2])), timeout=5)
        body = json.dumps({"model": "agenteff-sim", "messages": [{"role": "user", "content": "hi"}]}).encode()
        busy.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        time.sleep(0.3)  # the server is now waiting on one connection and playing latency on the other
        process.send_signal(signal.SIGTERM)
        _, errors = process.communicate(timeout=15)
        idle.close()
        busy.close()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0
    assert b"Traceback" not in errors and b"CancelledError" not in errors, errors.decode()[-1500:]


class _HalfReplyServer:
    """A loopback server that answers every request with ``reply`` (a cut-short HTTP response) and hangs up."""

    def __init__(self, reply: bytes):
        self.reply = reply
        self.requests = 0
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while True:
            try:
                connection, _ = self._socket.accept()
            except OSError:
                return
            with connection:
                received = b""
                while b"\r\n\r\n" not in received:
                    received += connection.recv(65536)
                head, _, body = received.partition(b"\r\n\r\n")
                length = int(re.search(rb"(?i)content-length: (\d+)", head)[1])
                while len(body) < length:
                    body += connection.recv(65536)
                self.requests += 1
                connection.sendall(self.reply)

    def close(self):
        self._socket.close()


_CHUNKED = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
_HALF_SENT = {
    "headers only": _CHUNKED,
    "chunk size cut": _CHUNKED + b"1",
    "chunk size not hex": _CHUNKED + b"zz\r\ndata: {}\r\n",
    "chunk cut": _CHUNKED + b'40\r\ndata: {"choices"',
    "status line cut": b"HTTP/1.1\r\n\r\n",
    "status not a number": b"HTTP/1.1 2x0 OK\r\nContent-Length: 2\r\n\r\n{}",
    "length not a number": b"HTTP/1.1 200 OK\r\nContent-Length: many\r\n\r\n{}",
}


@pytest.mark.parametrize("kind", list(_HALF_SENT))
def test_a_half_sent_reply_is_retried_and_named_by_its_url_without_secrets(kind):
    server = _HalfReplyServer(_HALF_SENT[kind])
    secret = "hunter2-" + "pass-4e1f"
    try:
        with LLMClient(
            base_url=f"http://user:{secret}@127.0.0.1:{server.port}/v1",
            cache=False,
            prices=PRICES,
            max_retries=2,
            backoff_base_s=0.001,
        ) as client:
            with pytest.raises(RetriesExhausted) as caught:
                client.chat(MODEL, _question(1))
            assert client.stats["requests_sent"] == server.requests == 3
    finally:
        server.close()
    message = str(caught.value)
    assert f"http://127.0.0.1:{server.port}/v1/chat/completions" in message and "after 3 attempts" in message
    assert secret not in message and "APIConnectionError" in message


def _batch(n, offset=0):
    return [dict(model=MODEL, messages=_question(offset + i)) for i in range(n)]


def test_a_locked_cache_neither_stalls_the_client_nor_loses_or_repays_a_reply(sim_url, tmp_path):
    with LLMClient(base_url=sim_url, cache_dir=tmp_path, prices=PRICES) as client:
        blocker = sqlite3.connect(tmp_path / "responses.sqlite", isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")  # another process writing for ever holds the write lock
        try:
            started = time.perf_counter()
            for start in range(0, 30, 10):  # three turns of the loop, each with replies to write
                client.chat_many(_batch(10, start))
            again = client.chat_many(_batch(30))  # answered from the replies kept in memory
            assert time.perf_counter() - started < 10  # each write waited 60 s before
            assert client.stats["requests_sent"] == 30 and all(r.from_cache for r in again)
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
    with LLMClient(base_url=sim_url, cache_dir=tmp_path, prices=PRICES) as client:  # written once the lock went
        assert all(r.from_cache for r in client.chat_many(_batch(30))) and client.stats["requests_sent"] == 0


def test_a_full_disk_keeps_replies_in_memory_and_writes_them_when_space_returns(sim_url, tmp_path, caplog):
    with LLMClient(base_url=sim_url, cache_dir=tmp_path, prices=PRICES) as client:
        client.chat_many(_batch(2))
        pages = client._cache._db.execute("PRAGMA page_count").fetchone()[0]
        client._cache._db.execute(f"PRAGMA max_page_count = {pages}")  # SQLite's own "database or disk is full"
        client.chat_many(_batch(40, 2))
        again = client.chat_many(_batch(42))
        assert client.stats["requests_sent"] == 42 and all(r.from_cache for r in again)
        assert "database or disk is full" in caplog.text and str(tmp_path / "responses.sqlite") in caplog.text
        client._cache._db.execute("PRAGMA max_page_count = 1073741823")  # space comes back before the end
    with LLMClient(base_url=sim_url, cache_dir=tmp_path, prices=PRICES) as client:
        assert all(r.from_cache for r in client.chat_many(_batch(42))) and client.stats["requests_sent"] == 0


def _damage_file(path):
    path.write_bytes(b"this is not an SQLite database" * 100)


def _damage_rows(path):
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        keys = [row[0] for row in db.execute("SELECT key FROM responses ORDER BY key")]
        db.execute("UPDATE responses SET response = '{not json' WHERE key = ?", (keys[0],))
        db.execute("UPDATE responses SET response = '[1, 2]' WHERE key = ?", (keys[1],))
        db.execute("UPDATE responses SET response = '{\"choices\": 3}' WHERE key = ?", (keys[2],))


@pytest.mark.parametrize("damage, resent", [(_damage_file, 6), (_damage_rows, 3)])
def test_a_damaged_cache_is_named_moved_aside_or_repaired_and_rebuilt(sim_url, tmp_path, caplog, damage, resent):
    with LLMClient(base_url=sim_url, cache_dir=tmp_path, prices=PRICES) as client:
        first = client.chat_many(_batch(6))
    damage(tmp_path / "responses.sqlite")
    with LLMClient(base_url=sim_url, cache_dir=tmp_path, prices=PRICES) as client:
        again = client.chat_many(_batch(6))
        assert client.stats["requests_sent"] == resent  # only what the damage lost is asked for again
        assert [r.content for r in again] == [r.content for r in first]
    assert str(tmp_path / "responses.sqlite") in caplog.text and "damaged" in caplog.text
    if damage is _damage_file:
        assert len(list(tmp_path.glob("responses.damaged-*.sqlite"))) == 1  # kept for inspection
    with LLMClient(base_url=sim_url, cache_dir=tmp_path, prices=PRICES) as client:  # rebuilt: all cached again
        client.chat_many(_batch(6))
        assert client.stats["requests_sent"] == 0


def test_httpx_and_sdk_logs_carry_no_password_from_the_url(sim_url, caplog):
    secret = "pw-" + "log-7d0c2a"
    with_password = sim_url.replace("http://", f"http://alice:{secret}@")
    caplog.set_level(logging.DEBUG)
    with LLMClient(base_url=with_password, cache=False, prices=PRICES) as client:
        assert client.list_models()  # goes through httpx, which logs the request's URL
    assert "HTTP Request" in caplog.text and secret not in caplog.text


def _children_of(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, IndexError):
            continue
    return found


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def test_serve_local_on_a_busy_port_says_so():
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "agenteff", "serve-local", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 1 and "serving" not in done.stdout
    assert f"error: port {port} on 127.0.0.1 is in use" in done.stdout + done.stderr
    assert "Traceback" not in done.stderr


def test_serve_local_stops_llama_server_on_sigterm():
    if not local_server.server_binary().is_file():
        pytest.skip("llama-server is not set up here (python -m agenteff live-setup)")
    process = subprocess.Popen(
        [sys.executable, "-m", "agenteff", "serve-local", "--port", str(_closed_port())],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert "serving" in process.stdout.readline()
        (server,) = _children_of(process.pid)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _running(server):
            time.sleep(0.1)
        orphaned = _running(server)
        if orphaned:
            os.kill(server, signal.SIGKILL)
        assert not orphaned
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_error_descriptions_in_logs_and_messages_carry_no_url_secrets():
    secret = "pw-" + "describe-91b7"
    error = openai.APIConnectionError(
        message=f"Connection error: cannot reach http://alice:{secret}@10.0.0.1:8080/v1", request=None
    )
    described = _describe(error)
    assert secret not in described and "http://[redacted]@10.0.0.1:8080/v1" in described
