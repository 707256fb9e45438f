"""The cost of a quarter's compliance, and what the daily rollups buy.

    .venv/bin/python bench/compliance.py [--raw-connections 100] [--fleet 1000 10000]

1. Raw: a generated quarter (2026Q3) for --raw-connections connections on the schedule of
   issue 4 — a latency session every 15 minutes, a speed test every 4 hours, availability
   intervals every 15 minutes — inserted as raw results. Side by side on the same data:
   `netq compliance` (reading rollups, which ingest keeps; here built once from the raw rows
   and timed apart) and the baseline, one hand-written SQL query over the raw results. Both
   must give the same figures; their times give the ratio.
2. Fleet: daily rollups for each --fleet size over the whole quarter (92 days × connections
   rows, as ingest leaves them), and `netq compliance --json` timed as a separate process,
   with its peak memory. Target: 10 000 connections under 60 s and 2 GB.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from netq.collector import tables
from netq.collector.compliance.engine import compliance
from netq.collector.compliance.quarter import Quarter
from netq.collector.registry import FIRST_PERIOD, Connection
from netq.collector.store import Store

QUARTER = Quarter(2026, 3)
TARIFF_DOWN, TARIFF_UP = 100_000, 50_000
SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy keeps a DateTime in SQLite


def registry(n: int) -> list[Connection]:
    return [Connection(f"C{i:05d}", FIRST_PERIOD, "fixed", "pon", TARIFF_DOWN, TARIFF_UP,
                       f"region-{i % 6}", f"node-{i % 200}", "com645") for i in range(n)]


def raw_rows(connection_id: str, rng: random.Random) -> list[tuple]:
    rows = []
    start = QUARTER.start
    steps = int(QUARTER.seconds // 900)
    for step in range(steps):
        at = start + timedelta(seconds=900 * step + rng.uniform(0, 600))
        received = 100 - (rng.random() < 0.05) * rng.randint(1, 5)
        mean = rng.lognormvariate(3.0, 0.6)
        metrics = {"method": "udp", "sent": 100, "received": received,
                   "rtt_ms": dict.fromkeys(("min", "mean", "median", "p95", "max"), mean),
                   "jitter_ms": 1.0}
        rows.append(row(connection_id, "latency", at, 25, metrics))
        up = rng.random() > 0.002
        begins = start + timedelta(seconds=900 * step)
        rows.append(row(connection_id, "availability", begins, 900,
                        {"up": up, "on_net_up": up, "checks": 15, "targets": ["node"],
                         "off_net_targets": ["ix.by"]}))
        if step % 16 == 0:  # every 4 hours, alternating direction
            direction = "down" if step % 32 == 0 else "up"
            tariff = TARIFF_DOWN if direction == "down" else TARIFF_UP
            bps = tariff * 1000 * rng.uniform(0.5, 1.0)
            ended = "complete" if rng.random() > 0.02 else "premature"
            rows.append(row(connection_id, "throughput", at, 12, {
                "direction": direction, "streams": 4, "duration_s": 10,
                "bytes": int(bps * 10 / 8), "bits_per_second": bps, "ended": ended}))
    return rows


# the columns row() gives, in its order: `plan` and anything added later stay empty
RESULT_COLUMNS = ("id", "started_at", "ended_at", "probe_id", "connection_id", "kind",
                  "target", "ok", "error", "exclusion", "metrics", "received_at")
INSERT_RESULTS = (f"INSERT INTO results ({', '.join(RESULT_COLUMNS)}) "
                  f"VALUES ({', '.join('?' * len(RESULT_COLUMNS))})")


def row(connection_id: str, kind: str, at: datetime, seconds: float, metrics: dict) -> tuple:
    utc = at.astimezone(UTC)
    return (str(uuid.uuid4()), utc.strftime(SQLITE_TIME),
            (utc + timedelta(seconds=seconds)).strftime(SQLITE_TIME), "bench", connection_id,
            kind, "node", 1, None, None, json.dumps(metrics), utc.strftime(SQLITE_TIME))


BASELINE = """
WITH q AS (
  SELECT r.kind, r.metrics, c.tariff_down_kbps, c.tariff_up_kbps
  FROM results r JOIN connections c ON c.connection_id = r.connection_id
  WHERE r.started_at >= :start AND r.started_at < :end AND r.exclusion IS NULL
), latency AS (
  SELECT json_extract(metrics, '$.sent') AS sent, json_extract(metrics, '$.received') AS got,
         json_extract(metrics, '$.rtt_ms.mean') AS mean
  FROM q WHERE kind = 'latency' AND json_extract(metrics, '$.sent') >= 100
), speed AS (
  SELECT json_extract(metrics, '$.ended') AS ended,
         -- judged as the TCP payload measured
         json_extract(metrics, '$.bits_per_second') * 100 >= 70 * 1000 *
           CASE json_extract(metrics, '$.direction') WHEN 'down' THEN tariff_down_kbps
                ELSE tariff_up_kbps END AS meets
  FROM q WHERE kind = 'throughput'
)
SELECT
  (SELECT avg(mean) FROM latency WHERE got > 0) AS "10",
  (SELECT 100.0 * sum(sent - got) / sum(sent) FROM latency) AS "11",
  (SELECT 100.0 * sum(ended != 'not_started') / count(*) FROM speed) AS "13",
  (SELECT 100.0 * sum(ended = 'premature') / sum(ended != 'not_started') FROM speed) AS "14",
  (SELECT 100.0 * sum(meets) / count(*) FROM speed WHERE ended = 'complete') AS "15",
  (SELECT 100.0 * sum(got > 0 AND mean <= 400) / count(*) FROM latency) AS "16",
  (SELECT 100.0 * sum((sent - got) * 100 <= sent) / count(*) FROM latency) AS "17"
"""


def raw_comparison(connections: int, workdir: Path) -> None:
    path = workdir / "raw.db"
    store = Store.open(str(path))
    store.upsert_connections(registry(connections))
    rng = random.Random(1)
    started = time.perf_counter()
    with sqlite3.connect(path) as db:
        for connection in registry(connections):
            db.executemany(INSERT_RESULTS, raw_rows(connection.connection_id, rng))
    count = store.count_results()
    print(f"raw quarter: {connections} connections, {count:,} results "
          f"(generated and inserted in {time.perf_counter() - started:.1f} s)")
    started = time.perf_counter()
    with store.engine.begin() as db:
        store.rollups.rebuild(db, None)
    build = time.perf_counter() - started
    print(f"rollups built from the raw results: {build:.1f} s "
          f"({count / build:,.0f} results/s; ingest does this as results arrive)")

    started = time.perf_counter()
    document = compliance(store, QUARTER)
    ours = time.perf_counter() - started
    with sqlite3.connect(path) as db:
        started = time.perf_counter()
        cursor = db.execute(BASELINE, {"start": QUARTER.start.strftime(SQLITE_TIME),
                                       "end": QUARTER.end.strftime(SQLITE_TIME)})
        names = [d[0] for d in cursor.description]
        baseline = dict(zip(names, cursor.fetchone(), strict=True))
        base = time.perf_counter() - started
    figures = {e["id"].removeprefix("com645."): e["value"] for e in document["indicators"]}
    different = []
    for number, value in baseline.items():
        same = abs(value - figures[number]) < 1e-6
        different += [] if same else [number]
        print(f"  indicator {number:>2}: rollups {figures[number]:.6f}  raw SQL {value:.6f}"
              f"  {'same' if same else 'DIFFERENT'}")
    print(f"netq compliance (rollups): {ours:.3f} s   baseline SQL over raw: {base:.3f} s   "
          f"ratio baseline/netq = {base / ours:.1f}")
    store.close()
    if different:
        raise SystemExit(f"the rollups and the raw SQL disagree on {', '.join(different)}")


def fleet(connections: int, workdir: Path) -> None:
    path = workdir / f"fleet-{connections}.db"
    store = Store.open(str(path))
    store.upsert_connections(registry(connections))
    rng = random.Random(2)
    regulation = store.norms.profile("com645")
    # the verdict's reading (the payload) and the one beside it (the Ethernet frame)
    criteria, ethernet = regulation.criteria, regulation.at_layer("ethernet").criteria
    names = [c.name for c in tables.rollups.columns]
    days = [QUARTER.first_day + timedelta(days=d)
            for d in range((QUARTER.last_day - QUARTER.first_day).days + 1)]
    started = time.perf_counter()
    with sqlite3.connect(path) as db:
        for connection in registry(connections):
            values = [rollup(criteria, connection.connection_id, day, rng, names)
                      for day in days]
            values += [at_ethernet(v, names, ethernet, rng) for v in values]
            db.executemany(f"INSERT INTO rollups ({','.join(names)}) "
                           f"VALUES ({','.join('?' * len(names))})", values)
    print(f"fleet {connections:>6}: {2 * connections * len(days):,} rollup rows written in "
          f"{time.perf_counter() - started:.1f} s (two readings of the speed layer)")
    store.close()
    with tempfile.TemporaryFile() as out:
        seconds, peak_mb, code = run_measured([sys.executable, "-m", "netq", "compliance",
                                               "--quarter", str(QUARTER), "--db", str(path),
                                               "--json"], out)
        assert code == 0, f"netq compliance exited {code}"
        out.seek(0)
        n = json.load(out)["connections"]
    print(f"  netq compliance --json: {seconds:.2f} s, peak RSS {peak_mb:.0f} MB "
          f"({n} connections judged)")


def run_measured(argv: list[str], stdout: Any) -> tuple[float, float, int]:
    """Run a program: its wall time, its own peak resident memory (MB) and exit code.

    The peak is the kernel's VmHWM of the program's own memory map, read until it exits:
    the rusage of a child counts the parent's size it had before exec (vfork), which here
    is the benchmark's own, large, process."""
    started = time.perf_counter()
    child = subprocess.Popen(argv, stdout=stdout)
    peak_kb = 0
    proc = Path(f"/proc/{child.pid}")
    mine = "\0".join(argv[1:]).encode()
    while child.poll() is None:
        try:  # until exec the child's map is still the benchmark's
            if mine in (proc / "cmdline").read_bytes():
                status = (proc / "status").read_text()
                peak_kb = max(peak_kb, int(status.split("VmHWM:")[1].split()[0]))
        except (OSError, IndexError):
            break
        time.sleep(0.02)
    code = child.wait()
    return time.perf_counter() - started, peak_kb / 1024, code


def rollup(criteria: str, connection_id: str, day: date, rng: random.Random,
           names: list[str]) -> tuple:
    latency = 96
    lost = sum(rng.randint(1, 5) for _ in range(rng.randint(0, 5)))
    means = [rng.lognormvariate(3.0, 0.6) for _ in range(latency)]
    values = dict.fromkeys(names, 0)
    values.update(
        criteria=criteria, connection_id=connection_id, effective_from=str(FIRST_PERIOD),
        day=str(day), results_n=latency * 2 + 6, digest=rng.getrandbits(40) * 100,
        latency_n=latency, delay_pass_n=latency, loss_pass_n=latency - rng.randint(0, 2),
        rtt_n=latency, packets_sent=100 * latency, packets_lost=lost,
        rtt_mean_sum_ms=sum(means), rtt_mean_sq_sum=sum(m * m for m in means),
        speed_down_n=3, speed_down_pass_n=rng.randint(1, 3), speed_up_n=3,
        speed_up_pass_n=rng.randint(1, 3), attempts_n=6, started_n=6, covered_s=86400.0,
        speed_down_share_sum=240.0, speed_up_share_sum=240.0,
        # payload shares of a network provisioned a little above its tariffs
        speed_down_share_min=rng.uniform(68, 98), speed_down_share_max=rng.uniform(94, 108),
        speed_up_share_min=rng.uniform(68, 98), speed_up_share_max=rng.uniform(94, 108))
    return tuple(values[name] for name in names)


def at_ethernet(values: tuple, names: list[str], criteria: str, rng: random.Random) -> tuple:
    """The same day's tests stated at the Ethernet frame: 1518/1448 of the payload, a test
    near 70 % now and then over it."""
    row = dict(zip(names, values, strict=True), criteria=criteria)
    for direction in ("down", "up"):
        for part in ("sum", "min", "max"):
            row[f"speed_{direction}_share_{part}"] *= 1518 / 1448
        tests, passed = row[f"speed_{direction}_n"], row[f"speed_{direction}_pass_n"]
        row[f"speed_{direction}_pass_n"] = min(tests, passed + (rng.random() < 0.3))
    return tuple(row[name] for name in names)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--raw-connections", type=int, default=100)
    parser.add_argument("--fleet", type=int, nargs="*", default=[1000, 10000])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="netq-bench-") as tmp:
        if args.raw_connections:
            raw_comparison(args.raw_connections, Path(tmp))
        for size in args.fleet:
            fleet(size, Path(tmp))


if __name__ == "__main__":
    main()
