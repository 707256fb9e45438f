"""A simulated fleet: N probes, each with its own token and connection, each posting a batch
every 5 minutes (at its own random offset), on a compressed clock.

    .venv/bin/python bench/fleet.py --probes 1000 --period 3 [--postgresql]

--period is the compressed 5 minutes in seconds (3 s: 100x real time). Prints request latency
percentiles and whether the collector kept up: every batch answered before the probe's next
one was due. The load generator runs on the same 2 cores as the collector. --collectors 2
(PostgreSQL only: SQLite serves one collector process) starts two on the store, the probes
dealt out between them as a proxy would.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from netq.collector.store import Store
from tests.lab import free_port
from tests.pg import create_database, postgres_server
from tests.records import latency_record, registry_row
from tests.test_collector_api import start_collector


def enrol(db: str, probes: int) -> list[tuple[str, str]]:
    """(connection_id, token) for each probe."""
    started = time.perf_counter()
    store = Store.open(db)
    connections = [f"C-{i:06d}" for i in range(probes)]
    store.upsert_connections([registry_row(c) for c in connections])
    fleet = [(c, store.create_token(f"probe-{c}", [c])) for c in connections]
    store.close()
    print(f"(enrolled {probes} probes in {time.perf_counter() - started:.0f} s)", flush=True)
    return fleet


async def probe_loop(client: httpx.AsyncClient, url: str, connection: str, token: str,
                     period: float, periods: int, batch: int, start: float,
                     latencies: list[float], lags: list[float], late: list[int]) -> None:
    offset = random.uniform(0, period)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    for n in range(periods):
        due = start + offset + n * period
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        began = time.perf_counter()
        lags.append(began - due)
        records = [latency_record(id=str(uuid.uuid4()), probe_id=f"probe-{connection}",
                                  connection_id=connection) for _ in range(batch)]
        try:
            response = await client.post(url, content=json.dumps(records).encode(),
                                         headers=headers)
            failed = response.status_code != 200
        except httpx.HTTPError:  # an overwhelmed collector drops connections: not kept up
            failed = True
        finished = time.perf_counter()
        if failed:
            late.append(1)
            continue
        latencies.append(finished - began)
        if finished > due + period:
            late.append(1)


async def simulate(urls: list[str], fleet: list[tuple[str, str]], period: float, periods: int,
                   batch: int) -> tuple[list[float], list[float], int, float]:
    latencies: list[float] = []
    lags: list[float] = []
    late: list[int] = []
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        start = time.perf_counter() + 1
        await asyncio.gather(*(probe_loop(client, urls[n % len(urls)], c, t, period, periods,
                                          batch, start, latencies, lags, late)
                               for n, (c, t) in enumerate(fleet)))
        elapsed = time.perf_counter() - start
    return latencies, lags, len(late), elapsed


def run(db: str, probes: int, period: float, periods: int, batch: int, kind: str,
        collectors: int) -> None:
    fleet = enrol(db, probes)
    ports = [free_port() for _ in range(collectors)]
    processes = [start_collector(db, port) for port in ports]
    try:
        latencies, lags, late, elapsed = asyncio.run(simulate(
            [f"http://127.0.0.1:{port}/api/v1/results" for port in ports], fleet, period,
            periods, batch))
    finally:
        for process in processes:
            process.terminate()
            process.wait(10)
    q = statistics.quantiles(latencies, n=100)
    records = probes * periods * batch
    print(f"| {kind} | {collectors} | {probes} | {300 / period:.0f}x | {batch} | {len(latencies)} "
          f"| {records / elapsed:,.0f} | {q[49] * 1000:.0f} | {q[98] * 1000:.0f} "
          f"| {max(lags) * 1000:.0f} | {'yes' if late == 0 else f'no ({late} late or failed)'} |",
          flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--probes", type=int, nargs="+", default=[1000])
    parser.add_argument("--period", type=float, default=3.0, help="compressed 5 minutes, s")
    parser.add_argument("--periods", type=int, default=3)
    parser.add_argument("--batch", type=int, default=20, help="records per batch")
    parser.add_argument("--postgresql", action="store_true")
    parser.add_argument("--collectors", type=int, default=1)
    args = parser.parse_args()
    if args.collectors > 1 and not args.postgresql:
        parser.error("several collectors share a PostgreSQL store: add --postgresql")
    print("| back end | collectors | probes | clock | records/batch | requests | records/s "
          "| p50 ms | p99 ms | worst start lag ms | kept up |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    workdir = Path(tempfile.mkdtemp(prefix="netq-fleet-"))
    for probes in args.probes:
        if args.postgresql:
            with postgres_server(Path(tempfile.mkdtemp(prefix="netq-pg-"))) as server:
                run(create_database(server), probes, args.period, args.periods, args.batch,
                    "postgresql", args.collectors)
        else:
            run(str(workdir / f"fleet-{probes}.db"), probes, args.period, args.periods,
                args.batch, "sqlite", 1)


if __name__ == "__main__":
    main()
