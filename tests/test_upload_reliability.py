"""Probe → collector, end to end, with real processes: nothing lost, nothing twice.

- The collector is away while the probe measures (a "day" on a compressed clock): the probe
  spools, then drains when the collector comes back.
- The collector is killed with SIGKILL, repeatedly, while the probe uploads: after restarts
  every record the probe made is stored exactly once.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import text

from netq.collector.store import Store
from netq.probe.spool import Spool
from tests.lab import free_port, wait_for
from tests.records import registered_probe
from tests.test_collector_api import start_collector

pytestmark = pytest.mark.slow  # collectors started, killed and restarted


def start_probe(tmp_path: Path, collector_port: int, token: str) -> subprocess.Popen[bytes]:
    # failing TCP attempts to a closed port: a record every 50 ms, no traffic off the machine
    config = {
        "probe_id": "probe-1", "connection_id": "C-1", "technology": "pon",
        "tariff_down_kbps": 100_000, "tariff_up_kbps": 50_000, "spool": str(tmp_path / "s.db"),
        "metrics_listen": f"127.0.0.1:{free_port()}", "log_level": "info",
        "tests": [{"kind": "attempt", "every": 0.05, "target": "127.0.0.1:1"}],
        "collector": {"url": f"http://127.0.0.1:{collector_port}", "token": token,
                      "batch": 20, "every": 0.3, "max_backoff": 1, "timeout": 5},
    }
    (tmp_path / "probe.yaml").write_text(yaml.safe_dump(config))
    return subprocess.Popen([sys.executable, "-m", "netq", "probe", "run", "--config",
                             str(tmp_path / "probe.yaml")],
                            stderr=(tmp_path / "probe.log").open("wb"))


def made_ids(tmp_path: Path) -> list[str]:
    """Every record the probe spooled, from its structured log."""
    ids = []
    for line in (tmp_path / "probe.log").read_text().splitlines():
        entry: dict[str, Any] = json.loads(line)
        if entry.get("event") == "record":
            ids.append(entry["id"])
    return ids


def stored_ids(db: str) -> list[str]:
    store = Store.open(db)
    with store.engine.connect() as connection:
        ids = list(connection.execute(text("SELECT id FROM results")).scalars())
    store.close()
    return ids


def assert_exactly_once(tmp_path: Path, db: str) -> None:
    """Every record the probe made is in the store or still in its spool; none twice."""
    made, stored = made_ids(tmp_path), stored_ids(db)
    left = {r["id"] for r in Spool(tmp_path / "s.db").pending(100)}
    assert len(stored) == len(set(stored))  # exactly once
    assert set(stored) | left == set(made)  # nothing lost


def finish(probe: subprocess.Popen[bytes], tmp_path: Path) -> None:
    """Let the upload catch up with the probe's production (20 records/s), then stop it.
    What was made after the last drain stays in the spool: the checks count it in."""
    wait_for(lambda: len(Spool(tmp_path / "s.db")) < 20, "the spool to drain", timeout_s=60)
    probe.send_signal(signal.SIGTERM)
    assert probe.wait(15) == 0


def test_a_collector_away_for_a_while_gets_everything_when_it_returns(
    tmp_path: Path, db_url: str
) -> None:
    token = registered_probe(db_url)
    port = free_port()
    probe = start_probe(tmp_path, port, token)
    time.sleep(4)  # collector away: the probe keeps measuring and spooling
    assert len(Spool(tmp_path / "s.db")) > 40
    collector = start_collector(db_url, port)
    try:
        finish(probe, tmp_path)
    finally:
        collector.terminate()
        collector.wait(10)
    assert_exactly_once(tmp_path, db_url)


def test_kill_9_of_the_collector_mid_upload_loses_nothing_and_doubles_nothing(
    tmp_path: Path, db_url: str
) -> None:
    token = registered_probe(db_url)
    port = free_port()
    collector = start_collector(db_url, port)
    probe = start_probe(tmp_path, port, token)
    try:
        for _ in range(3):
            time.sleep(2)
            collector.send_signal(signal.SIGKILL)
            collector.wait()
            time.sleep(1)
            collector = start_collector(db_url, port)
        time.sleep(2)
        finish(probe, tmp_path)
    finally:
        collector.terminate()
        collector.wait(10)
    assert len(made_ids(tmp_path)) > 100
    assert_exactly_once(tmp_path, db_url)
