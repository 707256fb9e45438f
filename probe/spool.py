"""The probe's durable local spool: every record is committed here before anything else.

SQLite in WAL mode with synchronous=FULL, so a record whose append returned survives a
kill -9 or a power cut. A record leaves only when the collector holds it (`acknowledge`:
accepted now, or stored before). One the collector will not take as it is (rejected, in
conflict with what it holds, a row that no longer reads as a record) moves to the
quarantine, kept until an operator sends it again or lets it go (`netq probe spool …`). One
the collector cannot take yet (its connection not registered) waits and is offered again
later, without holding up the others. Past `max_records`, or with the disk full, records are
dropped by the configured policy and counted. A small key-value table keeps daemon state
that must outlive a restart.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from netq.errors import NetqError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    seq  INTEGER PRIMARY KEY AUTOINCREMENT,
    id   TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS quarantine (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    id      TEXT NOT NULL UNIQUE,
    body    TEXT NOT NULL,
    status  TEXT NOT NULL,
    reasons TEXT NOT NULL,
    at      REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""
# a record offered again later (its connection not registered yet) waits until then
_NOT_BEFORE = "ALTER TABLE records ADD COLUMN not_before REAL NOT NULL DEFAULT 0"
FullPolicy = Literal["drop_newest", "drop_oldest"]


class SpoolError(NetqError):
    """The spool cannot be opened or written; the message says which file and why."""


@dataclass(frozen=True)
class Quarantined:
    id: str
    status: str
    reasons: list[str]
    at: float
    body: str


class Spool:
    def __init__(self, path: str | Path, max_records: int = 1_000_000,
                 when_full: FullPolicy = "drop_oldest") -> None:
        self.path = Path(path)
        self.max_records = max_records
        self.when_full = when_full
        self.dropped_unsaved = 0  # dropped when even the count could not be written
        # the metrics thread reads counts while the event loop writes
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(records)")}
            if "not_before" not in columns:
                self._db.execute(_NOT_BEFORE)
        except (OSError, sqlite3.Error) as exc:
            raise SpoolError(f"cannot open the spool {self.path}: {exc}") from None

    def append(self, record: dict[str, Any]) -> bool:
        """Commit the record; False when it had to be dropped (the disk is full)."""
        body = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
        for attempt in (1, 2):
            try:
                with self._lock, self._db:
                    self._db.execute("BEGIN IMMEDIATE")
                    self._db.execute("INSERT OR IGNORE INTO records (id, body) VALUES (?, ?)",
                                     (record["id"], body))
                    excess = self._count() - self.max_records
                    if excess > 0:
                        self._drop_oldest(excess)
                return True
            except sqlite3.OperationalError as exc:
                if not _disk_full(exc):
                    raise
                if attempt == 1 and self.when_full == "drop_oldest" and self._make_room():
                    continue
                break
        self._count_dropped(1)
        return False

    def pending(self, limit: int) -> list[dict[str, Any]]:
        """The oldest records due for upload. A row that no longer reads as a record goes to
        the quarantine instead (it would otherwise block every upload behind it)."""
        moment = time.time()
        with self._lock:
            rows = self._db.execute(
                "SELECT id, body FROM records WHERE not_before <= ? ORDER BY seq LIMIT ?",
                (moment, limit)).fetchall()
        records, corrupt = [], []
        for record_id, body in rows:
            try:
                record = json.loads(body)
                if not isinstance(record, dict) or record.get("id") != record_id:
                    raise ValueError("not the record its id names")
            except ValueError as exc:
                corrupt.append((record_id, "corrupt", [f"unreadable in the spool: {exc}"]))
                continue
            records.append(record)
        if corrupt:
            self.quarantine(corrupt)
        return records

    def acknowledge(self, ids: list[str]) -> None:
        """The collector holds these: they leave the spool."""
        with self._lock, self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany("DELETE FROM records WHERE id = ?", [(i,) for i in ids])

    def defer(self, ids: list[str], seconds: float) -> None:
        """Offer these again no sooner than `seconds` from now."""
        until = time.time() + seconds
        with self._lock, self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany("UPDATE records SET not_before = ? WHERE id = ?",
                                 [(until, i) for i in ids])

    def quarantine(self, entries: list[tuple[str, str, list[str]]]) -> None:
        """Move records (id, status, reasons) from the queue to the quarantine."""
        moment = time.time()
        with self._lock, self._db:
            self._db.execute("BEGIN IMMEDIATE")
            for record_id, status, reasons in entries:
                self._db.execute(
                    "INSERT OR REPLACE INTO quarantine (id, body, status, reasons, at) "
                    "SELECT id, body, ?, ?, ? FROM records WHERE id = ?",
                    (status, json.dumps(reasons, ensure_ascii=False), moment, record_id))
                self._db.execute("DELETE FROM records WHERE id = ?", (record_id,))

    def quarantined(self) -> list[Quarantined]:
        with self._lock:
            rows = self._db.execute("SELECT id, status, reasons, at, body FROM quarantine "
                                    "ORDER BY seq").fetchall()
        return [Quarantined(i, status, json.loads(reasons), at, body)
                for i, status, reasons, at, body in rows]

    def release(self, ids: list[str] | None = None) -> int:
        """Put quarantined records (all when None) back in the queue; how many moved."""
        return self._from_quarantine(ids, keep=True)

    def discard(self, ids: list[str] | None = None) -> int:
        """Let quarantined records (all when None) go for good; how many went."""
        return self._from_quarantine(ids, keep=False)

    def __len__(self) -> int:
        with self._lock:
            return self._count()

    @property
    def quarantined_total(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM quarantine").fetchone()[0])

    @property
    def dropped_total(self) -> int:
        with self._lock:
            return self._dropped() + self.dropped_unsaved

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

    def _from_quarantine(self, ids: list[str] | None, keep: bool) -> int:
        chosen = "" if ids is None else f" WHERE id IN ({','.join('?' * len(ids))})"
        params = () if ids is None else tuple(ids)
        with self._lock, self._db:
            self._db.execute("BEGIN IMMEDIATE")
            if keep:
                self._db.execute("INSERT OR IGNORE INTO records (id, body) SELECT id, body "
                                 f"FROM quarantine{chosen} ORDER BY seq", params)
            return int(self._db.execute(f"DELETE FROM quarantine{chosen}", params).rowcount)

    def _make_room(self) -> bool:
        """Drop the oldest hundredth of the queue to make room; False if even that failed."""
        try:
            with self._lock, self._db:
                self._db.execute("BEGIN IMMEDIATE")
                self._drop_oldest(max(1, self._count() // 100))
            return True
        except sqlite3.OperationalError:
            return False

    def _drop_oldest(self, n: int) -> None:
        self._db.execute("DELETE FROM records WHERE seq IN "
                         "(SELECT seq FROM records ORDER BY seq LIMIT ?)", (n,))
        self._set("dropped_total", str(self._dropped() + n))

    def _count_dropped(self, n: int) -> None:
        try:
            with self._lock, self._db:
                self._set("dropped_total", str(self._dropped() + n))
        except sqlite3.OperationalError:
            self.dropped_unsaved += n

    def _count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM records").fetchone()[0])

    def _dropped(self) -> int:
        row = self._db.execute("SELECT value FROM state WHERE key = 'dropped_total'").fetchone()
        return int(row[0]) if row else 0

    def _set(self, key: str, value: str) -> None:
        self._db.execute("INSERT INTO state (key, value) VALUES (?, ?) "
                         "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))


def _disk_full(exc: sqlite3.OperationalError) -> bool:
    return getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL or "full" in str(exc)
