"""What a line costs the store: bytes per record and per line-day, on SQLite and PostgreSQL.

    .venv/bin/python bench/storage.py [--lines 100] [--days 3] [--postgresql]

Each line sends a day as the shipped plan measures it (examples/plans.yaml): an
availability interval, a latency session, an attempt and a DNS lookup every 15 minutes, and
a speed test each way every 4 hours: 396 records. They are ingested as the collector does
(results, their ids, the rollups of every profile's criteria, hours, peak speeds, down
intervals, readings), and the store's size is read before and after: the whole database
(PostgreSQL: pg_database_size; SQLite: the file after a checkpoint), tables and indexes.
Printed: bytes per record, per line-day, and per line-quarter (92 days).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from netq.collector.store import Store
from tests.records import attempt, interval, latency, registry_row, result_record, speed

START = datetime(2026, 8, 3, tzinfo=UTC)
DNS = {"qtype": "A", "timeout_s": 2, "queries": 3, "answered": 3, "failed": 0,
       "failure_ratio": 0.0,
       "resolution_ms": {"min": 12.0, "mean": 18.0, "median": 17.0, "max": 25.0},
       "results": [{"name": name, "rcode": "NOERROR", "ms": 18.0, "addresses": 2}
                   for name in ("www.belta.by", "www.gov.by", "www.tut.by")]}


def day(line: str, first: datetime) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for quarter_hour in range(96):
        at = first + timedelta(minutes=15 * quarter_hour)
        records += [
            interval(line, at.isoformat(), (at + timedelta(minutes=15)).isoformat(), up=True),
            latency(line, (at + timedelta(minutes=3)).isoformat(), 12.0, 100),
            attempt(line, (at + timedelta(minutes=6)).isoformat(), ok=True),
            result_record("dns", line, (at + timedelta(minutes=9)).isoformat(), 0.1, DNS)]
    for hours in range(0, 24, 4):
        at = first + timedelta(hours=hours, minutes=40)
        records += [speed(line, at.isoformat(), 95e6),
                    speed(line, (at + timedelta(minutes=1)).isoformat(), 48e6, "up")]
    return records


def size(store: Store) -> int:
    with store.engine.begin() as db:
        if store.dialect == "postgresql":
            db.exec_driver_sql("CHECKPOINT")
            return int(db.exec_driver_sql(
                "SELECT pg_database_size(current_database())").scalar_one())
        db.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    database = store.engine.url.database
    assert database is not None
    return Path(database).stat().st_size


def measure(kind: str, db: str, lines: int, days: int) -> None:
    store = Store.open(db)
    names = [f"L{n:05d}" for n in range(lines)]
    store.upsert_connections([registry_row(name) for name in names])
    empty = size(store)
    records = 0
    for n in range(days):
        for name in names:
            batch = day(name, START + timedelta(days=n))
            answers = store.ingest(batch, now=START + timedelta(days=days + 1))
            assert {a.status for a in answers} == {"accepted"}, answers[0]
            records += len(batch)
    grown = size(store) - empty
    store.close()
    per_line_day = grown / (lines * days)
    print(f"| {kind} | {lines} | {days} | {records:,} | {grown / records:,.0f} "
          f"| {per_line_day / 1024:,.0f} | {per_line_day * 92 / 2**20:,.1f} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=100)
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--postgresql", action="store_true")
    args = parser.parse_args()
    print("| back end | lines | days | records | bytes/record | KiB/line-day "
          "| MiB/line-quarter |")
    print("|---|---|---|---|---|---|---|")
    scratch = Path(tempfile.mkdtemp(prefix="netq-storage-"))
    pg_dir = Path(tempfile.mkdtemp(prefix="netq-pg-"))  # the server runs as postgres
    try:
        measure("sqlite", str(scratch / "storage.db"), args.lines, args.days)
        if args.postgresql:
            from tests.pg import create_database, postgres_server

            with postgres_server(pg_dir) as server:
                measure("postgresql", create_database(server), args.lines, args.days)
    finally:
        for folder in (scratch, pg_dir):
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
