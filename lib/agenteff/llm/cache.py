"""A persistent response cache: SQLite, one row per request key, safe for several processes at once.

The key is a hash of the model, messages, tools and sampling parameters (and the sample index when sampling at
temperature > 0), never of the endpoint address or the API key, so a re-run of a finished experiment is answered
entirely from here and sends no request. :class:`agenteff.llm.LLMClient` writes the replies that arrive in one
turn of its event loop in one transaction, so a crash loses at most the calls in flight and those just finished.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from pathlib import Path

__all__ = ["ResponseCache", "request_key"]

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
    def __init__(self, folder: Path):
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / "responses.sqlite"
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, timeout=60, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")  # readers never block the writer; several processes share it
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, model TEXT NOT NULL, "
            "response TEXT NOT NULL, latency_s REAL NOT NULL)"
        )

    def get(self, key: str) -> tuple[dict, float] | None:
        with self._lock:
            row = self._db.execute("SELECT response, latency_s FROM responses WHERE key = ?", (key,)).fetchone()
        return (json.loads(row[0]), row[1]) if row else None

    def get_many(self, keys: list[str]) -> dict[str, tuple[dict, float]]:
        """The stored replies among ``keys`` (absent keys are left out), read in a few queries rather than one
        per key: replaying a finished batch costs one round trip to SQLite per thousand calls."""
        found: dict[str, tuple[str, float]] = {}  # JSON text until decoded below
        unique = list(dict.fromkeys(keys))
        with self._lock:
            for start in range(0, len(unique), _KEYS_PER_QUERY):
                chunk = unique[start : start + _KEYS_PER_QUERY]
                rows = self._db.execute(
                    f"SELECT key, response, latency_s FROM responses WHERE key IN ({','.join('?' * len(chunk))})",
                    chunk,
                ).fetchall()
                found.update((key, (response, latency)) for key, response, latency in rows)
        return {key: (json.loads(response), latency) for key, (response, latency) in found.items()}

    def put(self, key: str, model: str, response: dict, latency_s: float) -> None:
        self.put_many([(key, model, response, latency_s)])

    def put_many(self, rows: list[tuple[str, str, dict, float]]) -> None:
        """Store (key, model, response, latency_s) rows in one transaction: all or none."""
        encoded = [
            (key, model, json.dumps(response, sort_keys=True), latency) for key, model, response, latency in rows
        ]
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._db.executemany("INSERT OR REPLACE INTO responses VALUES (?, ?, ?, ?)", encoded)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._db.close()
