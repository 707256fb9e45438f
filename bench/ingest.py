"""Ingest throughput: records/s through the collector's HTTP API in batches of --batch
records (100; a probe uploading as it measures sends 1 or 2), from 1 and 4 clients, beside a
baseline that inserts the same rows with the bare database driver in one transaction.

    .venv/bin/python bench/ingest.py [--records 20000] [--batch 100] [--postgresql]

--postgresql starts a throwaway PostgreSQL server (needs Debian's postgresql; as root it runs
the server as the postgres user) and measures one collector and two on it, the clients'
batches dealt out between them in turn (SQLite serves one collector process). The clients
run on the same cores as the collectors. Targets: >= 5 000 records/s on SQLite, ratio >= 0.3.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from netq.collector.store import Store
from tests.lab import free_port
from tests.pg import create_database
from tests.records import latency_record, registered_probe
from tests.test_collector_api import start_collector


def records(n: int) -> list[dict]:
    return [latency_record(id=str(uuid.uuid4())) for _ in range(n)]


def via_api(db: str, batches: list[list[dict]], clients: int, collectors: int,
            workdir: Path) -> float:
    token = registered_probe(db)
    ports = [free_port() for _ in range(collectors)]
    # one sender stands for a fleet: no per-probe rate limit
    config = workdir / "collector.yaml"
    config.write_text("probe_requests_per_second: 10000\nprobe_requests_burst: 1000000\n")
    processes = [start_collector(db, port, "--config", str(config)) for port in ports]
    urls = [f"http://127.0.0.1:{port}/api/v1/results" for port in ports]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    bodies = [json.dumps(b).encode() for b in batches]
    try:
        with httpx.Client(headers=headers, timeout=60) as client:
            for url in urls:
                client.post(url, content=json.dumps(records(1)).encode())  # warm up

            def send(numbered: tuple[int, bytes]) -> None:
                response = client.post(urls[numbered[0] % collectors], content=numbered[1])
                assert response.status_code == 200, response.text[:300]

            start = time.perf_counter()
            with ThreadPoolExecutor(clients) as pool:
                list(pool.map(send, enumerate(bodies)))
            return time.perf_counter() - start
    finally:
        for process in processes:
            process.terminate()
            process.wait(10)


def baseline(db: str, rows: list[dict]) -> float:
    """The same rows, one transaction, the bare driver: the most a store could do."""
    values = [(r["id"], r["started_at"], r["ended_at"], r["probe_id"], r["connection_id"],
               r["kind"], r["target"], r["ok"], r["error"], r["exclusion"],
               json.dumps(r["metrics"]), r["ended_at"]) for r in rows]
    sql = ("INSERT INTO results (id, started_at, ended_at, probe_id, connection_id, kind, "
           "target, ok, error, exclusion, metrics, received_at) VALUES "
           "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)")
    Store.open(db).close()  # the schema, by the migrations
    start = time.perf_counter()
    if db.startswith("postgresql"):
        import psycopg

        with psycopg.connect(db) as connection, connection.cursor() as cursor:
            cursor.execute("CREATE TABLE IF NOT EXISTS results_y2026m08 PARTITION OF results "
                           "FOR VALUES FROM ('2026-08-01') TO ('2026-09-01')")
            cursor.executemany(sql, values)
    else:
        with sqlite3.connect(db) as connection:
            connection.execute("PRAGMA synchronous=FULL")
            connection.executemany(sql.replace("%s", "?"), values)
    return time.perf_counter() - start


def fresh_db(kind: str, workdir: Path, server: str | None) -> str:
    if kind == "sqlite":
        return str(workdir / f"{uuid.uuid4().hex}.db")
    assert server is not None
    return create_database(server)


def run(kind: str, n: int, batch: int, workdir: Path, server: str | None) -> None:
    data = records(n)
    batches = [data[i:i + batch] for i in range(0, n, batch)]
    base_s = baseline(fresh_db(kind, workdir, server), data)
    for collectors in (1, 2) if kind == "postgresql" else (1,):
        for clients in (1, 4):
            api_s = via_api(fresh_db(kind, workdir, server), batches, clients, collectors,
                            workdir)
            print(f"| {kind} | {collectors} | {clients} | {n} | {batch} | {n / api_s:,.0f} "
                  f"| {len(batches) / api_s:,.0f} | {n / base_s:,.0f} | {base_s / api_s:.2f} |",
                  flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=100, help="records per request")
    parser.add_argument("--postgresql", action="store_true")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="netq-bench-ingest-"))
    pg_dir = Path(tempfile.mkdtemp(prefix="netq-pg-"))  # the server runs as postgres
    print("| back end | collectors | HTTP clients | records | records/request | API records/s "
          "| API requests/s | bare driver records/s (one transaction) | ratio |")
    print("|---|---|---|---|---|---|---|---|---|")
    try:
        run("sqlite", args.records, args.batch, workdir, None)
        if args.postgresql:
            from tests.pg import postgres_server

            with postgres_server(pg_dir) as server:
                run("postgresql", args.records, args.batch, workdir, server)
    finally:
        for folder in (workdir, pg_dir):
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
