"""The probe's durable local spool: every record is committed here before anything else.

SQLite in WAL mode with synchronous=FULL, so a record whose append returned survives a
kill -9 or a power cut. Records leave only when the collector has acknowledged them
(`acknowledge`), oldest first; past `max_records` the oldest are dropped and counted.
A small key-value table keeps daemon state that must outlive a restart.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    seq  INTEGER PRIMARY KEY AUTOINCREMENT,
    id   TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


class SpoolError(Exception):
    pass


class Spool:
    def __init__(self, path: str | Path, max_records: int = 1_000_000) -> None:
        self.path = Path(path)
        self.max_records = max_records
        # the metrics thread reads counts while the event loop writes
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise SpoolError(f"cannot open the spool {self.path}: {exc}") from None

    def append(self, record: dict[str, Any]) -> None:
        body = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
        with self._lock, self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("INSERT OR IGNORE INTO records (id, body) VALUES (?, ?)",
                             (record["id"], body))
            excess = self._count() - self.max_records
            if excess > 0:
                self._db.execute("DELETE FROM records WHERE seq IN "
                                 "(SELECT seq FROM records ORDER BY seq LIMIT ?)", (excess,))
                self._set("dropped_total", str(self._dropped() + excess))

    def pending(self, limit: int) -> list[dict[str, Any]]:
        """The oldest records not yet acknowledged, for upload."""
        with self._lock:
            rows = self._db.execute("SELECT body FROM records ORDER BY seq LIMIT ?", (limit,))
            return [json.loads(body) for (body,) in rows]

    def acknowledge(self, ids: list[str]) -> None:
        with self._lock, self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany("DELETE FROM records WHERE id = ?", [(i,) for i in ids])

    def __len__(self) -> int:
        with self._lock:
            return self._count()

    @property
    def dropped_total(self) -> int:
        with self._lock:
            return self._dropped()

    def get_state(self, key: str) -> Any:
        with self._lock:
            row = self._db.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def set_state(self, key: str, value: Any) -> None:
        with self._lock, self._db:
            if value is None:
                self._db.execute("DELETE FROM state WHERE key = ?", (key,))
            else:
                self._set(key, json.dumps(value))

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM records").fetchone()[0])

    def _dropped(self) -> int:
        row = self._db.execute("SELECT value FROM state WHERE key = 'dropped_total'").fetchone()
        return int(row[0]) if row else 0

    def _set(self, key: str, value: str) -> None:
        self._db.execute("INSERT INTO state (key, value) VALUES (?, ?) "
                         "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))
