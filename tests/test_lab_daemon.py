"""The probe daemon in the lab: availability intervals against a link the test takes down,
a probe that is killed, and speed tests deferred while the subscriber uses the line."""

from __future__ import annotations

import itertools
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.lab import NODE_IP, NODE_SECOND_IP, SNMP_AGENT, SNMP_COMMUNITY, Lab, free_port

pytestmark = pytest.mark.lab
CHECK_EVERY = 2.0


def spooled(spool: Path) -> list[dict[str, Any]]:
    import json

    with sqlite3.connect(spool) as db:
        return [json.loads(b) for (b,) in db.execute("SELECT body FROM records ORDER BY seq")]


def start_daemon(lab: Lab, config: dict[str, Any], path: Path) -> subprocess.Popen[bytes]:
    path.write_text(yaml.safe_dump(config))
    return lab.spawn(lab.sub, sys.executable, "-m", "netq", "probe", "run", "--config", str(path))


def base_config(tmp_path: Path, tests: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"probe_id": "lab-probe", "connection_id": "LAB-1", "technology": "pon",
            "tariff_down_kbps": 50_000, "tariff_up_kbps": 20_000,
            "spool": str(tmp_path / "spool.db"), "metrics_listen": f"127.0.0.1:{free_port()}",
            "tests": tests, **extra}


def at(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def test_availability_intervals_cover_an_outage_and_leave_a_dead_probe_uncovered(
    lab: Lab, tmp_path: Path
) -> None:
    # on-net: the node itself; off-net: an address behind it, standing for the Internet
    config = base_config(tmp_path, [{
        "kind": "availability", "every": CHECK_EVERY, "target": [NODE_IP],
        "off_net": [NODE_SECOND_IP], "echoes": 2, "timeout": 0.4, "tcp_port": 9}])
    daemon = start_daemon(lab, config, tmp_path / "probe.yaml")
    time.sleep(5)
    down_at = time.time()
    lab.link(up=False)  # the access line breaks: nothing answers
    time.sleep(8)
    up_at = time.time()
    lab.link(up=True)
    time.sleep(5)
    upstream_at = time.time()
    # upstream of the node breaks: the node answers, the Internet does not
    lab.ns(lab.node, "ip", "addr", "del", f"{NODE_SECOND_IP}/32", "dev", "lo")
    time.sleep(8)
    upstream_back_at = time.time()
    lab.ns(lab.node, "ip", "addr", "add", f"{NODE_SECOND_IP}/32", "dev", "lo")
    time.sleep(5)
    daemon.send_signal(signal.SIGKILL)  # the probe itself disappears
    daemon.wait()
    killed_at = time.time()
    time.sleep(6)
    restarted_at = time.time()
    daemon = start_daemon(lab, config, tmp_path / "probe.yaml")
    time.sleep(5)
    daemon.send_signal(signal.SIGTERM)
    assert daemon.wait(10) == 0

    intervals = [r for r in spooled(tmp_path / "spool.db") if r["kind"] == "availability"]
    states = [(r["metrics"]["up"], r["metrics"]["on_net_up"], at(r["started_at"]),
               at(r["ended_at"])) for r in intervals]
    assert [(up, on_net) for up, on_net, _, _ in states] == [
        (True, True), (False, False), (True, True), (False, True), (True, True),
        (True, True)], states
    for (start, end), (began, ended) in ((states[1][2:], (down_at, up_at)),
                                         (states[3][2:], (upstream_at, upstream_back_at))):
        assert abs(start - began) <= CHECK_EVERY
        assert abs(end - ended) <= CHECK_EVERY
    # contiguous while the probe ran, a gap while it was dead: unknown, not down
    for earlier, later in itertools.pairwise(states[:5]):
        assert earlier[3] == later[2]
    assert states[4][3] <= killed_at < restarted_at <= states[5][2]
    assert all(r["ok"] and r["metrics"]["checks"] >= 1 for r in intervals)
    assert {tuple(r["metrics"]["off_net_targets"]) for r in intervals} == {(NODE_SECOND_IP,)}


def test_a_speed_test_waits_while_the_subscriber_uses_the_line(lab: Lab, tmp_path: Path) -> None:
    config = base_config(
        tmp_path,
        [{"kind": "throughput", "every": 600, "target": f"{NODE_IP}:5201", "direction": "down",
          "duration": 2, "omit": 0}],
        cross_traffic={"snmp": {"target": SNMP_AGENT, "community": SNMP_COMMUNITY,
                                "if_index": [lab.if_index("s0")]},
                       "threshold_bytes_per_second": 25_000, "sample": 6, "retry_after": 1,
                       "max_deferrals": 5})
    # the subscriber's own download, 2 Mbit/s = 250 000 B/s, for the first 10 s
    cross = threading.Thread(target=lab.ns, args=(lab.sub, "iperf3", "-c", NODE_IP, "-p", "5202",
                                                  "-R", "-b", "2M", "-t", "10"))
    cross.start()
    time.sleep(1)
    # every: 600 puts the first run anywhere in 10 minutes; a config with every: 1 starts it now
    config["tests"][0]["every"] = 1
    daemon = start_daemon(lab, config, tmp_path / "probe.yaml")
    cross.join()
    deadline = time.time() + 40
    while time.time() < deadline:
        records = spooled(tmp_path / "spool.db") if (tmp_path / "spool.db").exists() else []
        if any(r["metrics"].get("ended") == "complete" for r in records):
            break
        time.sleep(1)
    daemon.send_signal(signal.SIGTERM)
    daemon.wait(10)

    deferred = [r for r in records if r["exclusion"] == "cross_traffic"]
    completed = [r for r in records if r["metrics"].get("ended") == "complete"]
    assert deferred, records
    assert completed, records
    assert deferred[0]["started_at"] < completed[0]["started_at"]
    assert deferred[0]["metrics"]["cross_traffic_bytes_per_second"] > 25_000
    assert "deferred" in deferred[0]["error"]


def test_records_written_before_a_kill_9_are_in_the_spool(lab: Lab, tmp_path: Path) -> None:
    config = base_config(tmp_path, [{"kind": "latency", "every": 0.5, "target": NODE_IP,
                                     "count": 5, "interval": 0.01, "timeout": 0.5}])
    daemon = start_daemon(lab, config, tmp_path / "probe.yaml")
    time.sleep(4)
    daemon.send_signal(signal.SIGKILL)
    daemon.wait()
    records = spooled(tmp_path / "spool.db")
    assert len(records) >= 3
    assert all(r["kind"] == "latency" and r["ok"] for r in records)
    assert datetime.fromisoformat(records[-1]["ended_at"]).tzinfo == UTC
