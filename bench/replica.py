"""Ingest while a quarterly report runs: on the primary, or on a streaming read replica.

    .venv/bin/python bench/replica.py [--connections 10000] [--seconds 20]

A throwaway PostgreSQL primary with a generated quarter (bench/report.py's: daily rollups,
peak speeds, hours and outages of --connections lines), a streaming replica of it
(pg_basebackup -R), and one collector on the primary taking batches of 100 records from 4
HTTP clients. Ingest is measured alone for --seconds, then for as long as `netq report
quarterly --format html` runs against the primary, then against the replica (recording on
the primary). Printed: the report's time and the records/s beside ingest alone (a ratio).
Everything shares this machine's cores: the replica takes the report's database work off
the primary, not its Python (on separate hosts it would take both).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.report import QUARTER, generate
from netq.collector.store import Store
from tests import pg
from tests.lab import free_port, wait_for
from tests.records import latency_record, registered_probe
from tests.test_collector_api import start_collector

# what bench/report.py writes beside the registry, copied to PostgreSQL as it is
GENERATED = ("probes", "probe_connections", "connections", "rollups", "peak_speeds", "hourly",
             "down_intervals")
BATCH, CLIENTS = 100, 4


def copy_generated(source: Path, db: str) -> None:
    """The generated store's rows, into the migrated PostgreSQL store at `db` (COPY)."""
    import psycopg

    Store.open(db).close()  # the schema and the rollups' criteria
    with sqlite3.connect(source) as lite, psycopg.connect(db) as connection:
        connection.execute("SET timezone = 'UTC'")  # SQLite's times are UTC, unmarked
        for table in GENERATED:
            cursor = lite.execute(f"SELECT * FROM {table}")
            columns = ", ".join(d[0] for d in cursor.description)
            with connection.cursor().copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in cursor:
                    copy.write_row(row)
        connection.execute("ANALYZE")


class Load:
    """CLIENTS senders posting batches of fresh records until stopped; records accepted."""

    def __init__(self, url: str, token: str) -> None:
        self.url, self.token = url, token
        self.accepted = 0
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()

    def _send(self) -> None:
        with httpx.Client(headers={"Authorization": f"Bearer {self.token}"},
                          timeout=60) as client:
            while not self._stop.is_set():
                body = json.dumps([latency_record(id=str(uuid.uuid4())) for _ in range(BATCH)])
                answer = client.post(self.url, content=body,
                                     headers={"Content-Type": "application/json"})
                with self._lock:
                    if answer.status_code != 200:
                        self.failures.append(answer.text[:300])
                        return
                    self.accepted += BATCH

    def during(self, work: subprocess.Popen[bytes] | float) -> tuple[float, float]:
        """(records/s, seconds) while `work` runs, or for that many seconds."""
        self.accepted = 0
        self._stop.clear()
        threads = [threading.Thread(target=self._send) for _ in range(CLIENTS)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        if isinstance(work, float):
            time.sleep(work)
        else:
            assert work.wait() == 0, "the report failed"
        took = time.perf_counter() - started
        accepted = self.accepted
        self._stop.set()
        for thread in threads:
            thread.join()
        assert not self.failures, self.failures[0]
        return accepted / took, took


def report(db: str, out: Path, *extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "netq", "report", "quarterly", "--quarter",
                             str(QUARTER), "--db", db, "--format", "html", "--out", str(out),
                             *extra], stdout=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--connections", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=20.0, help="ingest alone")
    args = parser.parse_args()
    # the servers run as the postgres user: folders of their own in /tmp
    folders = [Path(tempfile.mkdtemp(prefix="netq-pg-")) for _ in range(2)]
    work = Path(tempfile.mkdtemp(prefix="netq-bench-replica-"))
    try:
        started = time.perf_counter()
        generate(work / "generated.db", args.connections)
        with pg.postgres_server(folders[0]) as server:
            primary = pg.create_database(server)
            copy_generated(work / "generated.db", primary)
            print(f"{args.connections} lines of {QUARTER} on PostgreSQL in "
                  f"{time.perf_counter() - started:.0f} s", flush=True)
            with pg.replica_server(server, folders[1]) as replica_server:
                replica = replica_server.rsplit("/", 1)[0] + "/" + primary.rsplit("/", 1)[1]
                token = registered_probe(primary)
                wait_for(lambda: pg.caught_up(primary, replica), "the replica", timeout_s=300)
                port = free_port()
                # one sender stands for the fleet: no per-probe rate limit
                (work / "collector.yaml").write_text("probe_requests_per_second: 10000\n"
                                                     "probe_requests_burst: 100000\n")
                collector = start_collector(primary, port, "--config",
                                            str(work / "collector.yaml"))
                try:
                    load = Load(f"http://127.0.0.1:{port}/api/v1/results", token)
                    alone, _ = load.during(args.seconds)
                    on_primary, primary_s = load.during(report(primary, work / "p"))
                    on_replica, replica_s = load.during(report(replica, work / "r",
                                                               "--primary", primary))
                finally:
                    collector.terminate()
                    collector.wait(10)
        print("| quarterly report (html) | report s | ingest records/s | ratio to alone |")
        print("|---|---|---|---|")
        print(f"| none | – | {alone:,.0f} | 1.00 |")
        print(f"| on the primary | {primary_s:.1f} | {on_primary:,.0f} "
              f"| {on_primary / alone:.2f} |")
        print(f"| on the replica | {replica_s:.1f} | {on_replica:,.0f} "
              f"| {on_replica / alone:.2f} |")
    finally:
        for folder in (*folders, work):
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
