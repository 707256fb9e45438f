"""`netq demo` on a fresh install: three probes measure a loopback node for real beside a
generated quarter so far, everything reaches the collector's store, the quarter is judged
and its report written."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from netq.collector.store import Store
from netq.probe.spool import Spool


def test_the_demo_measures_for_real_and_the_collector_gets_every_kind(tmp_path: Path) -> None:
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
    result = subprocess.run(
        [sys.executable, "-m", "netq", "demo", "--duration", "30", "--workdir", str(tmp_path)],
        capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    assert "/metrics" in result.stdout
    for probe in ("demo-probe-1", "demo-probe-2", "demo-probe-3"):
        # everything a probe measured went to the collector
        assert len(Spool(tmp_path / f"spool-{probe}.db")) == 0
    store = Store.open(str(tmp_path / "netq.db"))
    with store.engine.connect() as db:
        measured = db.execute(text(
            "SELECT DISTINCT probe_id, kind FROM results WHERE ok AND probe_id LIKE "
            "'demo-probe-%' AND started_at > :since"), {"since": started}).all()
        connections = db.execute(text("SELECT count(DISTINCT connection_id) FROM results")
                                 ).scalar()
    store.close()
    for probe in ("demo-probe-1", "demo-probe-2", "demo-probe-3"):
        assert {kind for probe_id, kind in measured if probe_id == probe} == {
            "latency", "throughput", "availability", "attempt"}, result.stdout
    assert connections == 24  # the generated ones too
    assert "records in the collector's store" in result.stdout
    # every indicator of the fixed service and of customer service has a figure
    for number in (1, 2, 3, 10, 11, 12, 13, 14, 15, 16, 17):
        line = next(x for x in result.stdout.splitlines() if f"com645.{number} " in x)
        assert "no data" not in line, line
    assert "com645.9.min.down" in result.stdout
    assert "due" in result.stdout.split("netq report status")[1]  # the quarter before
    reports = {p.suffix for p in (tmp_path / "report").iterdir()}
    assert reports == {".html", ".pdf", ".csv", ".json"}
