"""A persistent response cache: SQLite, one row per request key, safe for several processes at once.

The key is a hash of the model, messages, tools and sampling parameters (and the sample index when sampling at
temperature > 0), never of the endpoint address or the API key, so a re-run of a finished experiment is answered
entirely from here and sends no request. Each write is its own transaction, so a crash loses at most the calls
in flight.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from pathlib import Path

__all__ = ["ResponseCache", "request_key"]


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

    def put(self, key: str, model: str, response: dict, latency_s: float) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO responses VALUES (?, ?, ?, ?)",
                (key, model, json.dumps(response, sort_keys=True), latency_s),
            )

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._db.close()
