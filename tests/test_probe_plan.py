"""A real probe takes its plan from a real collector: it runs its own file's tests until a
plan is applied, then the plan (its version on every record and on /metrics), keeps running
it from disk through a restart while the collector is away, follows a changed plan, and
goes back to its own tests when no plan meets it any more. Every record is stored once,
with the version of the plan that made it."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sqlalchemy import text

from netq.collector.store import Store
from netq.probe.spool import Spool
from tests.lab import ended, free_port, wait_for
from tests.records import registered_probe
from tests.test_collector_api import start_collector
from tests.test_upload_reliability import assert_exactly_once

pytestmark = pytest.mark.slow  # a probe daemon and a collector

# the envelope of these probes: an attempt every 50 ms (a test's own, not a line's)
FAST = {"every_min": {"attempt": 0.05}, "targets": ["127.0.0.1"]}


def attempts(port: int) -> dict[str, Any]:
    """Failing TCP attempts to a closed loopback port: a record every 50 ms, told apart by
    the port."""
    return {"kind": "attempt", "every": 0.05, "target": f"127.0.0.1:{port}"}


def apply(tmp_path: Path, db: str, plans: list[dict[str, Any]]) -> None:
    path = tmp_path / "plans.yaml"
    path.write_text(yaml.safe_dump({"poll_every": 1, "limits": FAST, "plans": plans}))
    subprocess.run([sys.executable, "-m", "netq", "fleet", "plan", "apply", str(path),
                    "--db", db], check=True, capture_output=True)


def start_probe(tmp_path: Path, collector_port: int, token: str,
                metrics_port: int) -> subprocess.Popen[bytes]:
    config = {
        "probe_id": "probe-1", "connection_id": "C-1", "technology": "pon",
        "spool": str(tmp_path / "s.db"), "metrics_listen": f"127.0.0.1:{metrics_port}",
        "log_level": "info", "tests": [attempts(2)], "limits": FAST,
        "collector": {"url": f"http://127.0.0.1:{collector_port}", "token": token,
                      "batch": 50, "every": 0.3, "max_backoff": 1, "timeout": 5,
                      "plan_every": 0.5},
    }
    (tmp_path / "probe.yaml").write_text(yaml.safe_dump(config))
    return subprocess.Popen([sys.executable, "-m", "netq", "probe", "run", "--config",
                             str(tmp_path / "probe.yaml")],
                            stderr=(tmp_path / "probe.log").open("ab"))


def running(metrics_port: int) -> str | None:
    """The plan version on the probe's /metrics, None when it runs its own tests."""
    try:
        body = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=2).text
    except httpx.HTTPError:
        return "unreachable"
    for line in body.splitlines():
        if line.startswith("netq_probe_plan_info{"):
            return line.split('version="')[1].split('"')[0]
    return None


def spooled_targets(tmp_path: Path) -> set[tuple[str, str | None]]:
    return {(r["target"], r.get("plan")) for r in Spool(tmp_path / "s.db").pending(100_000)}


def stored(db: str) -> set[tuple[str, str | None]]:
    """(target, plan version) of every stored result."""
    store = Store.open(db)
    with store.engine.connect() as connection:
        rows = connection.execute(text("SELECT DISTINCT target, plan FROM results")).all()
    store.close()
    return {(target, plan) for target, plan in rows}


def test_a_probe_follows_its_central_plan_and_keeps_it_through_an_outage(
        tmp_path: Path, db_url: str) -> None:
    token = registered_probe(db_url)
    port, metrics_port = free_port(), free_port()
    collector = start_collector(db_url, port)
    probe = start_probe(tmp_path, port, token, metrics_port)
    try:
        wait_for(lambda: ("127.0.0.1:2", None) in stored(db_url), "the own tests stored")
        assert running(metrics_port) is None
        apply(tmp_path, db_url, [{"name": "pon", "match": {"technology": "pon"},
                                  "tests": [attempts(1)]}])
        wait_for(lambda: running(metrics_port) not in (None, "unreachable"), "plan v1 taken")
        first = running(metrics_port)
        wait_for(lambda: ("127.0.0.1:1", first) in stored(db_url), "v1 records")

        # the collector goes away and the probe restarts: it runs the plan it kept
        collector.terminate()
        collector.wait(10)
        probe.send_signal(signal.SIGTERM)
        assert probe.wait(15) == 0
        probe = start_probe(tmp_path, port, token, metrics_port)
        wait_for(lambda: running(metrics_port) == first, "the kept plan run after a restart")
        started = time.monotonic()
        wait_for(lambda: ("127.0.0.1:1", first) in spooled_targets(tmp_path)
                 and time.monotonic() - started > 1, "records of the kept plan spooled")
        assert ("127.0.0.1:2", None) not in spooled_targets(tmp_path)

        collector = start_collector(db_url, port)
        apply(tmp_path, db_url, [{"name": "pon", "match": {"technology": "pon"},
                                  "tests": [attempts(3)]}])
        wait_for(lambda: running(metrics_port) not in (None, first, "unreachable"),
                 "plan v2 taken", timeout_s=30)
        second = running(metrics_port)
        wait_for(lambda: ("127.0.0.1:3", second) in stored(db_url), "v2 records")

        # no plan meets the probe any more: back to its own file's tests, nothing kept
        apply(tmp_path, db_url, [{"name": "elsewhere", "match": {"node": "node-9"},
                                  "tests": [attempts(4)]}])
        wait_for(lambda: running(metrics_port) is None, "the plan withdrawn", timeout_s=30)
        assert not (tmp_path / "plan.json").exists()
        wait_for(lambda: len(Spool(tmp_path / "s.db")) < 20, "the spool to drain", timeout_s=60)
        probe.send_signal(signal.SIGTERM)
        assert probe.wait(15) == 0
    finally:
        ended(probe, collector)
    # each target was run under exactly the plan that named it, and nothing else
    made: dict[str, set[str | None]] = {}
    for target, plan in stored(db_url) | spooled_targets(tmp_path):
        made.setdefault(target, set()).add(plan)
    assert made == {"127.0.0.1:2": {None}, "127.0.0.1:1": {first}, "127.0.0.1:3": {second}}
    assert_exactly_once(tmp_path, db_url)
