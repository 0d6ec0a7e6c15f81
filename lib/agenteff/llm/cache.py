"""A persistent response cache: SQLite, one row per request key, safe for several processes at once.

The key is a hash of the model, messages, tools and sampling parameters (and the sample index when sampling at
temperature > 0), never of the endpoint address or the API key, so a re-run of a finished experiment is answered
entirely from here and sends no request. :class:`agenteff.llm.LLMClient` writes the replies that arrive in one
turn of its event loop in one transaction, so a crash loses at most the calls in flight and those just finished.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
import sqlite3
import threading
from pathlib import Path

__all__ = ["ResponseCache", "request_key"]

_SQLITE_CORRUPT, _SQLITE_NOTADB = 11, 26  # primary result codes of a damaged file
_log = logging.getLogger(__name__)
_KEYS_PER_QUERY = 900  # below SQLite's oldest limit on bound parameters (999)


def request_key(
    model: str, messages: list, tools, temperature: float, sample_index: int, max_tokens, extra: dict
) -> str:
    canonical = json.dumps(
        {
            "model": model,
            "messages": messages,
            "tools": tools,
            "temperature": temperature,
            "sample_index": sample_index if temperature > 0 else 0,
            "max_tokens": max_tokens,
            "extra": extra,
        },
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


class ResponseCache:
    """The cache in ``<folder>/responses.sqlite``. Reads wait at most ``read_wait_s`` for a lock (a read that cannot
    be answered is a miss); :meth:`put_many` waits ``wait_s`` and raises ``sqlite3.OperationalError`` when the
    file stays locked or the disk is full, so the caller can keep the rows and try again. A damaged file (not a
    database, malformed, without the expected table) is moved aside to ``responses.damaged-<time>.sqlite`` and an
    empty cache started; a damaged row (not a JSON chat completion) is a miss, overwritten by the next reply.
    Both are logged with the file's path."""

    def __init__(self, folder: Path, read_wait_s: float = 5.0):
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / "responses.sqlite"
        self._read_wait_ms = int(read_wait_s * 1000)
        self._lock = threading.Lock()
        try:
            self._db = self._open()
        except sqlite3.DatabaseError as exc:
            if not _damaged(exc):
                raise
            self._move_aside(exc)
            self._db = self._open()

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=60, check_same_thread=False, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")  # readers never block the writer; several processes share it
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute(
                "CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, model TEXT NOT NULL, "
                "response TEXT NOT NULL, latency_s REAL NOT NULL)"
            )
            db.execute("SELECT key, model, response, latency_s FROM responses LIMIT 1").fetchall()
            db.execute(f"PRAGMA busy_timeout = {self._read_wait_ms}")
        except BaseException:
            db.close()
            raise
        return db

    def _move_aside(self, exc: Exception) -> None:
        stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%S.%f")
        aside = self.path.with_name(f"responses.damaged-{stamp}.sqlite")
        self.path.replace(aside)
        for suffix in ("-wal", "-shm"):
            companion = self.path.with_name(self.path.name + suffix)
            if companion.exists():
                companion.replace(aside.with_name(aside.name + suffix))
        _log.warning(
            "the response cache %s is damaged (%s): moved it to %s and started an empty one", self.path, exc, aside.name
        )

    def _rebuild(self, exc: sqlite3.DatabaseError) -> None:
        """Replace a file found damaged in use (the caller holds the lock)."""
        self._db.close()
        self._move_aside(exc)
        self._db = self._open()

    def _query(self, sql: str, parameters) -> list:
        """Rows of a read; none when the file is locked too long (a miss) or damaged (then rebuilt)."""
        try:
            return self._db.execute(sql, parameters).fetchall()
        except sqlite3.DatabaseError as exc:
            if _damaged(exc):
                self._rebuild(exc)
            else:
                _log.warning("the response cache %s could not be read (%s): treated as a miss", self.path, exc)
            return []

    def _decode(self, key: str, response: str, latency) -> tuple[dict, float] | None:
        try:
            body = json.loads(response)
            if not (isinstance(body, dict) and isinstance(body.get("choices"), list)):
                raise ValueError("not a chat completion")
            return body, float(latency)
        except (ValueError, TypeError) as exc:
            _log.warning(
                "the response cache %s holds a damaged reply for key %s (%s): asked for again", self.path, key[:12], exc
            )
            return None

    def get(self, key: str) -> tuple[dict, float] | None:
        return self.get_many([key]).get(key)

    def get_many(self, keys: list[str]) -> dict[str, tuple[dict, float]]:
        """The stored replies among ``keys`` (absent keys are left out), read in a few queries rather than one
        per key: replaying a finished batch costs one round trip to SQLite per thousand calls."""
        rows = []
        unique = list(dict.fromkeys(keys))
        with self._lock:
            for start in range(0, len(unique), _KEYS_PER_QUERY):
                chunk = unique[start : start + _KEYS_PER_QUERY]
                rows += self._query(
                    f"SELECT key, response, latency_s FROM responses WHERE key IN ({','.join('?' * len(chunk))})",
                    chunk,
                )
        decoded = {key: self._decode(key, response, latency) for key, response, latency in rows}
        return {key: value for key, value in decoded.items() if value is not None}

    def put(self, key: str, model: str, response: dict, latency_s: float) -> None:
        self.put_many([(key, model, response, latency_s)])

    def put_many(self, rows: list[tuple[str, str, dict, float]], wait_s: float = 60.0) -> None:
        """Store (key, model, response, latency_s) rows in one transaction: all or none. Waits at most ``wait_s``
        for another writer's lock."""
        encoded = [
            (key, model, json.dumps(response, sort_keys=True), latency) for key, model, response, latency in rows
        ]
        with self._lock:
            try:
                self._write(encoded, wait_s)
            except sqlite3.DatabaseError as exc:
                if not _damaged(exc):
                    raise
                self._rebuild(exc)
                self._write(encoded, wait_s)

    def _write(self, encoded: list, wait_s: float) -> None:
        self._db.execute(f"PRAGMA busy_timeout = {int(wait_s * 1000)}")
        try:
            self._db.execute("BEGIN IMMEDIATE")  # take the write lock first: wait here, not half-way
            try:
                self._db.executemany("INSERT OR REPLACE INTO responses VALUES (?, ?, ?, ?)", encoded)
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
        finally:
            self._db.execute(f"PRAGMA busy_timeout = {self._read_wait_ms}")

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _damaged(exc: sqlite3.DatabaseError) -> bool:
    """Is this SQLite error a damaged file (rather than a lock, a full disk or a mistake in a query)?"""
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    return code in (_SQLITE_CORRUPT, _SQLITE_NOTADB) or "no such column" in str(exc) or "no such table" in str(exc)
