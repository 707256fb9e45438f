"""`netq demo` from the installed wheel, in an empty directory: three probes measure a loopback
node for real beside a generated quarter so far, everything reaches the collector's store, the
quarter is judged, its report and the live line's protocol written. And the generated quarter
shows each line's fault, or its health, the same way in every run."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from netq.collector.store import Store
from netq.demo import history
from netq.demo.fleet import FLEET
from netq.probe.spool import Spool
from tests.packaging import isolated_env


def test_the_demo_measures_for_real_and_the_collector_gets_every_kind(full_env: Path,
                                                                      tmp_path: Path) -> None:
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
    result = subprocess.run([str(full_env / "netq"), "demo", "--duration", "30"],
                            capture_output=True, text=True, timeout=180, cwd=tmp_path,
                            env=isolated_env())
    assert result.returncode == 0, result.stderr
    tmp_path /= "netq-demo"  # the default workdir, in the empty directory it ran in
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
        # the live probes ran the plan the demo applied, their speed tests in slots
        plans = db.execute(text(
            "SELECT DISTINCT plan FROM results WHERE probe_id LIKE 'demo-probe-%' "
            "AND started_at > :since"), {"since": started}).scalars().all()
        speed = db.execute(text(
            "SELECT exclusion, metrics FROM results WHERE kind = 'throughput' "
            "AND probe_id LIKE 'demo-probe-%' AND started_at > :since"),
            {"since": started}).all()
    store.close()
    assert len(plans) == 1
    assert plans[0] is not None
    assert f"demo-node {plans[0]}" in result.stdout
    assert speed
    # none lost its slot; on loopback the probes' CPU is the only limit, so a test may rightly
    # be flagged as measuring the probe
    assert all(exclusion in (None, "probe_overloaded") and json.loads(metrics)["busy_retries"]
               == 0 for exclusion, metrics in speed)
    for probe in ("demo-probe-1", "demo-probe-2", "demo-probe-3"):
        assert {kind for probe_id, kind in measured if probe_id == probe} == {
            "latency", "throughput", "availability", "attempt"}, result.stdout
    assert connections == 44  # the generated ones too
    assert "records in the collector's store" in result.stdout
    # every indicator of the fixed service and of customer service has a figure
    for number in (1, 2, 3, 10, 11, 12, 13, 14, 15, 16, 17):
        line = next(x for x in result.stdout.splitlines() if f"com645.{number} " in x)
        assert "no data" not in line, line
    assert "com645.9.min.down" in result.stdout
    assert "due" in result.stdout.split("netq report status")[1]  # the quarter before
    reports = {p.suffix for p in (tmp_path / "report").iterdir()}
    assert reports == {".html", ".pdf", ".csv", ".json"}
    protocol = {p.suffix: p for p in (tmp_path / "line").iterdir()}
    assert set(protocol) == {".html", ".pdf", ".json"}
    measured_line = json.loads(protocol[".json"].read_text("utf-8"))
    assert measured_line["connection_id"] == "DEMO-0001"
    assert {t["kind"] for t in measured_line["tests"]} == {"latency", "throughput", "attempt"}


@pytest.mark.parametrize("hours", [0, 5, 17, 100, 333, 1000, 2000])
def test_every_generated_line_shows_its_fault_or_its_health_in_every_session(
        hours: int) -> None:
    # the demo generates from a fortnight before the quarter until now; any "now" will do
    start = datetime(2026, 6, 17, 21, tzinfo=UTC)
    end = start + timedelta(days=14, hours=hours, minutes=7 * hours)
    for line in FLEET:
        records = history.quarter_so_far(line, start, end)
        sessions = [r["metrics"] for r in records if r["kind"] == "latency"]
        speeds = [r["metrics"] for r in records if r["kind"] == "throughput"]
        availability = [r["metrics"]["up"] for r in records if r["kind"] == "availability"]
        slow = {s["rtt_ms"]["mean"] > 400 for s in sessions}
        lossy = {s["loss_ratio"] > 0.01 for s in sessions}
        tariff = {"down": line.connection.tariff_down_kbps,
                  "up": line.connection.tariff_up_kbps}
        below = {s["bits_per_second"] < 0.7 * 1000 * tariff[s["direction"]] for s in speeds}
        where = line.connection.connection_id
        assert slow == {line.rtt_ms > 400}, where
        assert lossy == {line.loss_ratio > 0.01}, where
        assert below == {line.speed_share < 0.7}, where
        assert availability[-1] is not line.down_at_end, where
