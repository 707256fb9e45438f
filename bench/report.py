"""The quarterly report's cost beyond the compliance computation, and the sample report.

    .venv/bin/python bench/report.py [--connections 10000] [--sample docs/sample-report]

A generated quarter (2026Q3): daily rollups, down intervals and a registry across technologies,
regions and nodes, written straight into the store as ingest would leave them. Then:
- in process: the read of the quarter's rollups, the compliance computation with its evidence
  (as the report publishes it), the details (months, lines, nodes, plans), the whole build with
  the charts, the HTML and the PDF, timed apart;
- `netq report quarterly --format html --format pdf` as its own process: time and peak memory.
Target (issue 5): HTML under 10 s and PDF under 30 s beyond the compliance computation.
--sample also writes the report of a smaller generated quarter (HTML, PDF, open data, a
PNG of every page).
"""

from __future__ import annotations

import argparse
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.compliance import QUARTER, SQLITE_TIME, at_ethernet, rollup, run_measured
from netq.collector import tables
from netq.collector.compliance.engine import compliance, read_units
from netq.collector.compliance.report_data import details
from netq.collector.registry import FIRST_PERIOD, Connection
from netq.collector.store import Store
from netq.demo.operator import DEMO_OPERATOR
from netq.reports import quarterly

TECHNOLOGIES = [("fixed", "pon", 100_000, 50_000), ("fixed", "adsl", 10_000, 1_000),
                ("fixed", "ethernet", 300_000, 300_000), ("fixed", "docsis", 50_000, 5_000),
                ("wireless", "lte", 20_000, 5_000), ("wireless", "wifi", 50_000, 10_000)]
REGIONS = ["Брестская", "Витебская", "Гомельская", "Гродненская", "Минская", "Могилёвская",
           "г. Минск"]
# a full segment at the Ethernet layer against its TCP payload (IPv4, TCP timestamps)
ETHERNET_SCALE = (1448 + 52 + 18) / 1448
CITIES = ["Брест", "Витебск", "Гомель", "Гродно", "Борисов", "Могилёв", "Минск"]  # the nodes


def registry(n: int) -> list[Connection]:
    rows = []
    for i in range(n):
        service, technology, down, up = TECHNOLOGIES[i % len(TECHNOLOGIES)]
        region = REGIONS[i % len(REGIONS)]
        rows.append(Connection(f"C{i:05d}", FIRST_PERIOD, service, technology, down, up,
                               region, f"{CITIES[i % len(CITIES)]}-узел-{i % 40:02d}",
                               "com645"))
    return rows


def generate(path: Path, connections: int, seed: int = 3) -> None:
    store = Store.open(str(path))
    store.upsert_connections(registry(connections))
    regulation = store.norms.profile("com645")
    # the verdict's reading (the payload) and the one beside it (the Ethernet frame)
    criteria, ethernet = regulation.criteria, regulation.at_layer("ethernet").criteria
    store.close()
    rng = random.Random(seed)
    names = [c.name for c in tables.rollups.columns]
    days = [QUARTER.first_day + timedelta(days=d)
            for d in range((QUARTER.last_day - QUARTER.first_day).days + 1)]
    with sqlite3.connect(path) as db:
        # a probe at each subscriber's ONT, registered as `netq collector token create` does
        db.executemany("INSERT INTO probes (probe_id, created_at) VALUES (?, ?)",
                       [(f"ont-{row.connection_id}", "2026-06-01 00:00:00.000000")
                        for row in registry(connections)])
        db.executemany("INSERT INTO probe_connections (probe_id, connection_id) VALUES (?, ?)",
                       [(f"ont-{row.connection_id}", row.connection_id)
                        for row in registry(connections)])
        for row in registry(connections):
            quality = rng.betavariate(8, 1.5)  # most lines good, some poor
            values = [rollup(criteria, row.connection_id, day, rng, names) for day in days]
            values = [degrade(v, names, quality, rng) for v in values]
            values += [at_ethernet(v, names, ethernet, rng) for v in values]
            db.executemany(f"INSERT INTO rollups ({','.join(names)}) "
                           f"VALUES ({','.join('?' * len(names))})", values)
            # the evening peak's download tests, one a day, under both readings of the layer
            peaks = [peak_test(row, day, quality, rng) for day in days]
            db.executemany("INSERT INTO peak_speeds (criteria, day, result_id, connection_id, "
                           "effective_from, share_percent) VALUES (?, ?, ?, ?, ?, ?)", [
                (key, str(day), result_id, row.connection_id, str(FIRST_PERIOD), share * scale)
                for result_id, day, share in peaks
                for key, scale in ((criteria, 1.0), (ethernet, ETHERNET_SCALE))])
            db.executemany("INSERT INTO hourly (criteria, connection_id, effective_from, month, "
                           "hour, speed_down_n, rtt_n, speed_down_share_sum, rtt_mean_sum_ms) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           [hours(criteria, row.connection_id, month, hour, quality, rng)
                            for month in sorted({day.replace(day=1) for day in days})
                            for hour in range(24)])
            node_bad = int(row.node[-2:]) % 13 == 0  # a few nodes with outages
            outages = [(f"{row.connection_id}-{d}", row.connection_id, day)
                       for d, day in enumerate(days) if rng.random() < (0.05 if node_bad else
                                                                        0.003)]
            db.executemany("INSERT INTO down_intervals VALUES (?, ?, ?, ?)", [
                (rid, cid, start.strftime(SQLITE_TIME),
                 (start + timedelta(minutes=rng.randint(5, 240))).strftime(SQLITE_TIME))
                for rid, cid, day in outages
                for start in [datetime(day.year, day.month, day.day, 9, tzinfo=UTC)]])


def peak_test(row: Connection, day: date, quality: float,
              rng: random.Random) -> tuple[str, date, float]:
    """One download test of a day's evening peak: its id, day and % of the tariff."""
    share = 100 * min(1.0, max(0.05, rng.gauss(0.8 * quality, 0.12)))
    return str(uuid.UUID(int=rng.getrandbits(128))), day, share


def hours(criteria: str, connection_id: str, month: date, hour: int, quality: float,
          rng: random.Random) -> tuple:
    """A month's tests of one Minsk hour: slower and later in the evening peak."""
    evening = 19 <= hour < 23
    speeds, sessions = rng.randint(5, 10), 120
    share = 80 * quality * (0.88 if evening else 1.0)
    rtt = rng.lognormvariate(3.0, 0.2) * (1.4 if evening else 1.0)
    return (criteria, connection_id, str(FIRST_PERIOD), str(month), hour, speeds, sessions,
            speeds * share, sessions * rtt)


def degrade(values: tuple, names: list[str], quality: float, rng: random.Random) -> tuple:
    """Scale one day's passes and speeds by the line's quality."""
    row = dict(zip(names, values, strict=True))
    for column in ("speed_down_pass_n", "speed_up_pass_n"):
        row[column] = min(row[column], round(3 * quality + rng.random() * 0.5))
    row["delay_pass_n"] = round(row["latency_n"] * min(1.0, quality + 0.1))
    for direction in ("down", "up"):
        row[f"speed_{direction}_share_min"] *= quality
        row[f"speed_{direction}_share_sum"] *= quality
    return tuple(row[name] for name in names)


def timed(label: str, work, *args):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = work(*args)
    print(f"  {label:<38} {time.perf_counter() - started:7.2f} s")
    return result


def measure(connections: int, workdir: Path) -> None:
    path = workdir / f"report-{connections}.db"
    started = time.perf_counter()
    generate(path, connections)
    print(f"{connections} connections: quarter generated in {time.perf_counter() - started:.0f} s")
    store = Store.open(str(path))
    units = timed("the quarter's rollups read", read_units, store, QUARTER)
    timed("compliance, with its evidence", compliance, store, QUARTER, None, "technology",
          units)
    timed("details: months, lines, nodes, plans", details, store, QUARTER, None, units)
    context = timed("build: all of the above, the charts", quarterly.build, store, QUARTER)
    timed("HTML", quarterly.html, context)
    timed("PDF (WeasyPrint)", quarterly.pdf, context, workdir / "report.pdf")
    store.close()
    seconds, peak_mb, code = run_measured(
        [sys.executable, "-m", "netq", "report", "quarterly", "--quarter", str(QUARTER),
         "--db", str(path), "--out", str(workdir / "out"), "--format", "html", "--format",
         "pdf"], subprocess.DEVNULL)
    assert code == 0
    print(f"  {'netq report quarterly html+pdf, all in':<38} "
          f"{seconds:7.2f} s, peak RSS {peak_mb:.0f} MB")


def sample(out: Path, workdir: Path) -> None:
    path = workdir / "sample.db"
    generate(path, 420)
    store = Store.open(str(path))
    context = quarterly.build(store, QUARTER, now=datetime(2026, 10, 5, 7, tzinfo=UTC),
                              operator=DEMO_OPERATOR)
    shutil.rmtree(out, ignore_errors=True)
    written = quarterly.write(context, ["html", "pdf", "csv", "json"], out)
    store.close()
    print("sample report:", *written, *pages_png(written), sep="\n  ")


def pages_png(written: list[Path]) -> list[Path]:
    """Every page of the PDF among `written`, as page-N.png beside it (60 dpi: to look at,
    not to print)."""
    pdf = next(p for p in written if p.suffix == ".pdf")
    for old in pdf.parent.glob("page-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(pdf.parent / "page")],
                   check=True)
    return sorted(pdf.parent.glob("page-*.png"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", type=int, nargs="*", default=[10000])
    parser.add_argument("--sample", type=Path, help="also write the sample report here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="netq-bench-") as tmp:
        for n in args.connections:
            measure(n, Path(tmp))
        if args.sample:
            sample(args.sample, Path(tmp))


if __name__ == "__main__":
    main()
