"""The daemon's schedule on loopback: speed tests never overlap on one probe, even when two
are due at once, and every run is spooled."""

from __future__ import annotations

import itertools
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from netq.probe.spool import Spool
from tests.lab import free_port

pytestmark = pytest.mark.slow  # seconds of real speed tests


def test_two_speed_tests_due_together_run_one_after_the_other(tmp_path: Path) -> None:
    ports = [free_port(), free_port()]
    servers = [subprocess.Popen(["iperf3", "-s", "-B", "127.0.0.1", "-p", str(p)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
               for p in ports]
    config = {
        "probe_id": "p1", "connection_id": "C-1", "technology": "ethernet",
        "tariff_down_kbps": 100_000, "tariff_up_kbps": 100_000, "spool": str(tmp_path / "s.db"),
        "metrics_listen": f"127.0.0.1:{free_port()}",
        "tests": [{"kind": "throughput", "every": 0.5, "target": f"127.0.0.1:{port}",
                   "direction": direction, "duration": 1, "omit": 0,
                   # loopback has no rate of its own: unbounded, the probe's CPU would be
                   # the limit, and it would flag its tests (probe_overloaded)
                   "bitrate": 50e6}
                  for port, direction in zip(ports, ("down", "up"), strict=True)],
    }
    (tmp_path / "probe.yaml").write_text(yaml.safe_dump(config))
    time.sleep(0.5)
    daemon = subprocess.Popen([sys.executable, "-m", "netq", "probe", "run", "--config",
                               str(tmp_path / "probe.yaml")], stderr=subprocess.DEVNULL)
    try:
        time.sleep(9)
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(15)
        for server in servers:
            server.kill()
            server.wait()
    records = Spool(tmp_path / "s.db").pending(100)
    assert {r["metrics"]["direction"] for r in records} == {"down", "up"}
    # each run measured, or, on a machine busy with other work, flagged by the probe as its
    # own CPU's reading (probe_overloaded): the schedule is what is judged here
    assert all(r["ok"] or r["exclusion"] == "probe_overloaded" for r in records), \
        [r["error"] for r in records]
    spans = sorted((datetime.fromisoformat(r["started_at"]), datetime.fromisoformat(r["ended_at"]))
                   for r in records)
    assert len(spans) >= 4
    for (_, earlier_end), (later_start, _) in itertools.pairwise(spans):
        assert later_start >= earlier_end  # never two at once: they would measure each other
