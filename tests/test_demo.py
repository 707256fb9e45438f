"""`netq demo` on a fresh install: the probe measures a loopback lab for real, everything
it measured reaches the collector's store, and the quarter is judged from it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from netq.collector.store import Store
from netq.probe.spool import Spool


def test_the_demo_measures_for_real_and_the_collector_gets_every_kind(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "netq", "demo", "--duration", "25", "--workdir", str(tmp_path)],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "/metrics" in result.stdout
    assert len(Spool(tmp_path / "spool.db")) == 0  # everything went to the collector
    store = Store.open(str(tmp_path / "netq.db"))
    with store.engine.connect() as db:
        rows = db.execute(text("SELECT kind, ok, metrics FROM results")).all()
    store.close()
    assert {kind for kind, ok, _ in rows if ok} == {"latency", "throughput", "availability",
                                                    "attempt"}, result.stdout
    assert "records in the collector's store" in result.stdout
    # every indicator of the fixed service and of customer service has a figure
    for number in (1, 2, 3, 10, 11, 12, 13, 14, 15, 16, 17):
        line = next(x for x in result.stdout.splitlines() if f"com645.{number} " in x)
        assert "no data" not in line, line
    assert "com645.9.min.down" in result.stdout
    reports = {p.suffix for p in (tmp_path / "report").iterdir()}
    assert reports == {".html", ".pdf", ".csv", ".json"}
