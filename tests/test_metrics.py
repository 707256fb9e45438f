"""The probe daemon's /metrics: Prometheus conventions, checked by promtool itself."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from tests.lab import free_port

pytestmark = pytest.mark.slow  # a probe daemon and promtool


def test_the_daemon_serves_metrics_that_promtool_accepts(tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    assert promtool, "promtool is missing: scripts/setup installs Debian's prometheus package"
    port = free_port()
    config = {
        "probe_id": "p1", "connection_id": "C-1", "technology": "ethernet",
        "tariff_down_kbps": 100_000, "tariff_up_kbps": 100_000, "spool": str(tmp_path / "s.db"),
        "metrics_listen": f"127.0.0.1:{port}",
        "tests": [
            {"kind": "attempt", "every": 0.5, "target": "127.0.0.1:1"},
            {"kind": "availability", "every": 1, "target": ["127.0.0.1:1"],
             "off_net": ["127.0.0.2:1"],
             "timeout": 0.2},
            {"kind": "throughput", "every": 0.5, "target": "127.0.0.1:1", "direction": "up"},
        ],
    }
    (tmp_path / "probe.yaml").write_text(yaml.safe_dump(config))
    daemon = subprocess.Popen([sys.executable, "-m", "netq", "probe", "run", "--config",
                               str(tmp_path / "probe.yaml")], stderr=subprocess.DEVNULL)
    try:
        time.sleep(3)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            exposition = response.read()
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(10)
    text = exposition.decode()
    assert 'netq_probe_tests_total{kind="attempt",result="failed"}' in text
    assert 'netq_probe_tests_total{kind="throughput",result="excluded"}' in text  # refused
    assert "netq_probe_availability_up 1.0" in text  # a TCP reset is an answer
    lint = subprocess.run([promtool, "check", "metrics"], input=exposition, capture_output=True)
    assert lint.returncode == 0, lint.stdout.decode() + lint.stderr.decode()
    assert lint.stdout.decode().strip() == "", lint.stdout.decode()
