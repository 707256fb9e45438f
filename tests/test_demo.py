"""`netq demo` on a fresh install: the probe measures a loopback lab and spools records."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from netq.probe.spool import Spool


def test_the_demo_measures_for_real_and_spools_every_kind(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "netq", "demo", "--duration", "25", "--workdir", str(tmp_path)],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "/metrics" in result.stdout
    records = Spool(tmp_path / "spool.db").pending(1000)
    kinds = {r["kind"] for r in records if r["ok"]}
    assert kinds == {"latency", "throughput", "availability", "attempt"}, result.stdout
    speeds = [r["metrics"]["bits_per_second"] for r in records if r["kind"] == "throughput"]
    assert min(speeds) > 100e6  # loopback carries far more than any tariff
