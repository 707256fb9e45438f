"""Under systemd (Type=notify, WatchdogSec=) the probe daemon and the collector say when they
are ready and keep petting the watchdog while their event loop turns. The test plays
systemd's side: it binds the notify socket and passes it as systemd does."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.lab import free_port

pytestmark = pytest.mark.slow  # daemons watched for their watchdog periods


def notifications(command: list[str], tmp_path: Path, seconds: float) -> list[str]:
    path = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(path))
        sock.settimeout(0.2)
        env = {**os.environ, "NOTIFY_SOCKET": str(path), "WATCHDOG_USEC": "500000"}
        process = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
        received = []
        deadline = time.monotonic() + seconds
        try:
            while time.monotonic() < deadline:
                try:
                    received.append(sock.recv(256).decode())
                except TimeoutError:
                    continue
        finally:
            process.send_signal(signal.SIGTERM)
            # uvicorn ends by re-raising the SIGTERM it handled; systemd takes both as clean
            assert process.wait(15) in (0, -signal.SIGTERM)
    return received


def probe_command(tmp_path: Path) -> list[str]:
    config = {"probe_id": "p1", "connection_id": "C-1", "technology": "ethernet",
              "tariff_down_kbps": 100_000, "tariff_up_kbps": 100_000,
              "spool": str(tmp_path / "s.db"), "metrics_listen": f"127.0.0.1:{free_port()}",
              "tests": [{"kind": "availability", "every": 1, "target": ["127.0.0.1"],
                         "off_net": ["127.0.0.2"]}]}
    (tmp_path / "probe.yaml").write_text(yaml.safe_dump(config))
    return [sys.executable, "-m", "netq", "probe", "run", "--config",
            str(tmp_path / "probe.yaml")]


def collector_command(tmp_path: Path) -> list[str]:
    return [sys.executable, "-m", "netq", "collector", "serve", "--db",
            str(tmp_path / "netq.db"), "--listen", f"127.0.0.1:{free_port()}"]


@pytest.mark.parametrize("command", [probe_command, collector_command],
                         ids=["probe", "collector"])
def test_ready_once_then_the_watchdog_every_half_period(command, tmp_path: Path) -> None:
    received = notifications(command(tmp_path), tmp_path, seconds=6)
    assert received[0] == "READY=1"
    assert received.count("READY=1") == 1
    # WatchdogSec=0.5 s: petted every 0.25 s from start-up to the end of the 6 s
    assert received.count("WATCHDOG=1") >= 12, received
