"""The cost of one line's protocol for a quarter, in a store holding a fleet's raw results.

    .venv/bin/python bench/line.py [--others 100] [--sample docs/sample-line]

A generated quarter (2026Q3) on the schedule of bench/compliance.py (a latency session and an
availability interval every 15 minutes, a speed test every 4 hours) for one line and
--others lines beside it, inserted as raw results. Then, each as its own process with its
peak memory: `netq report line` for the line's quarter in each format, and the baseline
`netq compliance explain --connection` for one indicator of the same line (the evidence the
protocol's figures must equal). Target (issue 13): a quarter of one line under 3 s.
--sample also writes the protocol of two weeks of a generated line with an outage, its
ticket and a planned work announced late (HTML, PDF, JSON, a PNG of every page).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.compliance import INSERT_RESULTS, QUARTER, raw_rows, registry, run_measured
from bench.report import pages_png
from netq.collector.compliance.line import protocol, window
from netq.collector.records import import_csv
from netq.collector.store import Store
from netq.demo.operator import DEMO_OPERATOR
from netq.reports import line as document

LINE = "C00000"
# the sample line's outage (UTC), its ticket and a planned work announced 6 h ahead (Minsk)
OUTAGE = ("2026-07-08 11:00:00", "2026-07-08 13:30:00")
TICKETS = """ticket_id,connection_id,registered_at,restored_at,fault,acknowledged_at,impact,urgency
T-2607-118,C00000,2026-07-08 14:20,2026-07-10 09:00,operator,,,
"""
WORKS = """work_id,announced_at,starts_at,ends_at,nodes
PW-0712,2026-07-11 20:00,2026-07-12 02:00,2026-07-12 04:00,node-0
"""


def sample(out: Path, workdir: Path) -> None:
    path = workdir / "sample.db"
    store = Store.open(str(path))
    store.upsert_connections(registry(1))
    rows = []
    for row in raw_rows(LINE, random.Random(7)):
        if row[5] == "availability" and OUTAGE[0] <= row[1] < OUTAGE[1]:
            row = (*row[:10], json.dumps({**json.loads(row[10]), "up": False,
                                          "on_net_up": False}), row[11])
        rows.append(row)
    with sqlite3.connect(path) as db:
        db.executemany(INSERT_RESULTS, rows)
    with store.engine.begin() as db:
        store.rollups.rebuild(db, None)
    for kind, text in (("tickets", TICKETS), ("planned-works", WORKS)):
        assert import_csv(store, kind, text.splitlines(keepends=True), kind).rejected \
            == []
    made = protocol(store, LINE, window(date(2026, 7, 1), date(2026, 7, 14)),
                    datetime(2026, 7, 20, 9, tzinfo=UTC))
    store.close()
    shutil.rmtree(out, ignore_errors=True)
    written = document.write(made, ["html", "pdf", "json"], out, "ru", DEMO_OPERATOR)
    for path in written:
        path.chmod(0o644)  # a made-up line, for the docs
    print("sample line protocol:", *written, *pages_png(written), sep="\n  ")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--others", type=int, default=100)
    parser.add_argument("--sample", type=Path, help="also write the sample protocol here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="netq-bench-") as tmp:
        if args.sample:
            sample(args.sample, Path(tmp))
        path = Path(tmp) / "line.db"
        store = Store.open(str(path))
        lines = registry(args.others + 1)
        store.upsert_connections(lines)
        rng = random.Random(5)
        started = time.perf_counter()
        with sqlite3.connect(path) as db:
            for connection in lines:
                db.executemany(INSERT_RESULTS, raw_rows(connection.connection_id, rng))
        with store.engine.begin() as db:
            store.rollups.rebuild(db, None)
        print(f"{len(lines)} lines, {store.count_results():,} raw results "
              f"(generated, inserted and rolled up in {time.perf_counter() - started:.1f} s)")
        store.close()
        window = ["--from", str(QUARTER.first_day), "--to", str(QUARTER.last_day)]
        with open(Path(tmp) / "explain.json", "wb") as out:
            base, base_mb, code = run_measured(
                [sys.executable, "-m", "netq", "compliance", "explain", "--quarter",
                 str(QUARTER), "--indicator", "com645.16", "--connection", LINE, "--db",
                 str(path)], out)
        assert code == 0, f"netq compliance explain exited {code}"
        print(f"baseline: netq compliance explain --connection (one indicator): {base:.2f} s, "
              f"peak RSS {base_mb:.0f} MB")
        for kind in ("json", "html", "pdf"):
            seconds, peak_mb, code = run_measured(
                [sys.executable, "-m", "netq", "report", "line", "--connection", LINE,
                 *window, "--format", kind, "--out", str(Path(tmp) / "out"), "--db",
                 str(path)], sys.stdout)
            assert code == 0, f"netq report line --format {kind} exited {code}"
            size = (Path(tmp) / "out" / f"netq-line-{LINE}-{QUARTER.first_day}-"
                    f"{QUARTER.last_day}.{kind}").stat().st_size
            print(f"netq report line --format {kind}: {seconds:.2f} s, peak RSS "
                  f"{peak_mb:.0f} MB, {size / 1e6:.1f} MB written; ratio to the baseline "
                  f"{seconds / base:.2f}")


if __name__ == "__main__":
    main()
