"""prometheus/alertmanager.yml, checked by Debian's Alertmanager itself: amtool accepts it,
every alert of the rules file routes by its severity (a line's fault to the ticket queue, a
node's to the pager), and a running Alertmanager holds a node's line alerts back while the
node's own alert fires."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.lab import free_port

HERE = Path(__file__).resolve().parent.parent / "prometheus"
CONFIG = HERE / "alertmanager.yml"
RULES = HERE / "netq.rules.yml"
RECEIVER = {"warning": "netq-tickets", "critical": "netq-pager"}


def program(name: str) -> str:
    found = shutil.which(name)
    assert found, f"{name} is missing: scripts/setup --test installs prometheus-alertmanager"
    return found


def rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(RULES.read_text("utf-8"))
    return [rule for group in document["groups"] for rule in group["rules"]]


def test_amtool_accepts_the_configuration() -> None:
    result = subprocess.run([program("amtool"), "check-config", str(CONFIG)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("rule", rules(), ids=lambda rule: rule["alert"])
def test_every_alert_routes_by_its_severity(rule: dict[str, Any]) -> None:
    severity = rule["labels"]["severity"]
    result = subprocess.run(
        [program("amtool"), "config", "routes", "test", f"--config.file={CONFIG}",
         f"--verify.receivers={RECEIVER[severity]}", f"alertname={rule['alert']}",
         f"severity={severity}", "node=n1"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture
def alertmanager(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [program("prometheus-alertmanager"), f"--config.file={CONFIG}",
         f"--storage.path={tmp_path}", f"--web.listen-address=127.0.0.1:{port}",
         "--cluster.listen-address="],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{url}/-/ready", timeout=1)
                break
            except OSError:
                assert time.monotonic() < deadline, "alertmanager did not start"
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(10)


def post(url: str, alerts: list[dict[str, str]]) -> None:
    body = json.dumps([{"labels": labels} for labels in alerts]).encode()
    request = urllib.request.Request(f"{url}/api/v2/alerts", body,
                                     {"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=5)


def inhibited(url: str) -> dict[str, bool]:
    with urllib.request.urlopen(f"{url}/api/v2/alerts", timeout=5) as answer:
        alerts = json.load(answer)
    return {f"{a['labels']['alertname']}/{a['labels'].get('connection_id', '')}":
            bool(a["status"]["inhibitedBy"]) for a in alerts}


def test_a_node_alert_holds_back_the_line_alerts_of_that_node_only(alertmanager: str) -> None:
    post(alertmanager, [
        {"alertname": "NetqNodeDown", "severity": "critical", "node": "n1"},
        {"alertname": "NetqConnectionDown", "severity": "warning", "node": "n1",
         "connection_id": "A1"},
        {"alertname": "NetqLatencyAboveNorm", "severity": "warning", "node": "n1",
         "connection_id": "A2"},
        {"alertname": "NetqConnectionDown", "severity": "warning", "node": "n2",
         "connection_id": "B1"},
    ])
    deadline = time.monotonic() + 15
    while (state := inhibited(alertmanager)).get("NetqConnectionDown/A1") is not True:
        assert time.monotonic() < deadline, state
        time.sleep(0.2)
    assert state == {"NetqNodeDown/": False, "NetqConnectionDown/A1": True,
                     "NetqLatencyAboveNorm/A2": True, "NetqConnectionDown/B1": False}
