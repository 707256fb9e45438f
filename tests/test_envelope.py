"""The probe's safety envelope: a plan is input from the network, and no test of it outside
the probe's own limits runs, whoever wrote it — a plan naming the program to execute, aiming
at a third party, asking for a test every millisecond, a 600 s × 128-stream speed test,
1 000 packets a second, thousands of tests. `netq fleet plan check` refuses the same plans
first, naming file, line and key."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from netq import plan as wire
from netq.collector import plans
from netq.collector.store import Store
from netq.errors import ConfigError
from netq.probe.config import parse as probe_config
from netq.probe.envelope import Budget, Envelope, Limits
from netq.probe.plan import parse
from tests.lab import ended, free_port, wait_for
from tests.records import registered_probe
from tests.test_collector_api import start_collector
from tests.test_probe_plan import stored

SPEED = {"kind": "throughput", "every": "4h", "target": "192.0.2.10:5201", "direction": "down"}
ATTACKS: list[tuple[str, dict[str, Any], str, str]] = [
    ("program", {**SPEED, "iperf3": "/tmp/anything"}, "program",
     "iperf3: only the probe's own file chooses the programs it runs"),
    ("third-party", {**SPEED, "target": "198.51.100.7"}, "target",
     "198.51.100.7 is not among the probe's allowed targets"),
    ("every-ms", {"kind": "attempt", "every": 0.001, "target": "192.0.2.10:80"}, "period",
     "every 0.001 s; the probe runs attempt tests at most every 60 s"),
    ("speed-every-second", {**SPEED, "every": 1}, "period",
     "the probe runs throughput tests at most every 1800 s"),
    ("long-speed", {**SPEED, "duration": 600}, "duration", "602 s on the line; at most 30"),
    ("streams", {**SPEED, "streams": 128}, "streams", "128 streams; at most 8"),
    ("flood", {"kind": "latency", "every": "15m", "target": "192.0.2.10", "count": 20000,
               "interval": 0.001}, "rate", "1000 packets a second; at most 50"),
]
ENVELOPE = Envelope.of(Limits(targets=["192.0.2.0/24"]))


def served(tests: list[dict[str, Any]]) -> dict[str, Any]:
    return wire.body("attack", tests, {}, 300)


@pytest.mark.parametrize(("name", "test", "reason", "said"), ATTACKS,
                         ids=[a[0] for a in ATTACKS])
def test_a_probe_refuses_a_plan_test_outside_its_envelope_and_runs_the_rest(
        name: str, test: dict[str, Any], reason: str, said: str) -> None:
    good = {"kind": "attempt", "every": "15m", "target": "192.0.2.10:80"}
    plan = parse(served([good, test]), "collector", ENVELOPE)
    assert [t.kind for t in plan.tests] == ["attempt"]
    [refused] = plan.refused
    assert (refused.index, refused.refusal.reason) == (1, reason)
    assert said in refused.refusal.text


def test_a_plan_of_more_tests_than_the_limit_runs_only_the_first() -> None:
    tests = [{"kind": "attempt", "every": "15m", "target": f"192.0.2.10:{p}"}
             for p in range(1, 41)]
    plan = parse(served(tests), "collector", ENVELOPE)
    assert len(plan.tests) == 32
    assert {r.refusal.reason for r in plan.refused} == {"tests"}


def test_names_are_allowed_as_written_addresses_by_network() -> None:
    envelope = Envelope.of(Limits(targets=["speed.isp.example", "10.0.0.0/8", "2001:db8::/32"]),
                           ["127.0.0.1"])
    for host in ("SPEED.isp.example.", "10.1.2.3", "2001:db8::5", "127.0.0.1"):
        assert envelope.allows(host), host
    for host in ("speed.isp.example.evil.org", "11.0.0.1", "evil.org", "2001:db9::1"):
        assert not envelope.allows(host), host


def test_the_probe_allows_its_own_targets_and_its_collector() -> None:
    config = probe_config({
        "probe_id": "p", "connection_id": "C", "technology": "pon",
        "tests": [{"kind": "latency", "every": "15m", "target": "node1:862", "method": "udp"}],
        "collector": {"url": "https://collector.isp.example:8443", "token": "x" * 43},
        "limits": {"targets": ["192.0.2.0/24"]}})
    envelope = config.envelope()
    assert all(envelope.allows(h) for h in ("node1", "collector.isp.example", "192.0.2.99"))
    assert not envelope.allows("198.51.100.1")


@pytest.mark.parametrize(("name", "test", "reason", "said"), ATTACKS,
                         ids=[a[0] for a in ATTACKS])
def test_fleet_plan_check_refuses_what_a_probe_would(
        tmp_path: Path, name: str, test: dict[str, Any], reason: str, said: str) -> None:
    path = tmp_path / "plans.yaml"
    path.write_text(yaml.safe_dump({"limits": {"targets": ["192.0.2.0/24"]},
                                    "plans": [{"name": "p", "tests": [test]}]},
                                   sort_keys=False))
    result = subprocess.run([sys.executable, "-m", "netq", "fleet", "plan", "check",
                             str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"Error: {path}:7: plans[0].tests[0]: a probe would refuse it: ")
    assert said in line


@pytest.mark.slow  # a collector, a probe or the netq command started
def test_a_live_probe_refuses_a_hostile_plan_its_collector_serves(tmp_path: Path) -> None:
    """A collector whose store was altered (or whose plans file wrote itself lax limits)
    serves a plan naming a program to run, a third party and a flood: the probe refuses each
    by its own limits and runs the plan's good test."""
    db = str(tmp_path / "netq.db")
    token = registered_probe(db)
    marker = tmp_path / "executed"
    program = tmp_path / "evil.sh"
    program.write_text(f"#!/bin/sh\ntouch {marker}\n")
    program.chmod(0o755)
    tests = [
        {"kind": "attempt", "every": 0.05, "target": "127.0.0.1:1"},
        {"kind": "throughput", "every": 1, "target": "127.0.0.1:9", "direction": "down",
         "iperf3": str(program)},
        {"kind": "attempt", "every": 0.05, "target": "192.0.2.1:80"},
        {"kind": "latency", "every": 60, "target": "127.0.0.1", "count": 20000,
         "interval": 0.001}]
    store = Store.open(db)
    plans.apply(store, {"poll_every_s": 1, "servers": {}, "plans": [
        {"name": "hostile", "match": {}, "tests": tests, "servers": {},
         "version": wire.version("hostile", tests, {})}]}, "0" * 64)
    store.close()
    port, metrics_port = free_port(), free_port()
    config = {
        "probe_id": "probe-1", "connection_id": "C-1", "technology": "pon",
        "spool": str(tmp_path / "s.db"), "metrics_listen": f"127.0.0.1:{metrics_port}",
        "limits": {"every_min": {"attempt": 0.05}},
        "collector": {"url": f"http://127.0.0.1:{port}", "token": token, "batch": 50,
                      "every": 0.3, "max_backoff": 1, "timeout": 5, "plan_every": 0.5}}
    (tmp_path / "probe.yaml").write_text(yaml.safe_dump(config))
    collector = start_collector(db, port)
    probe = subprocess.Popen([sys.executable, "-m", "netq", "probe", "run", "--config",
                              str(tmp_path / "probe.yaml")],
                             stderr=(tmp_path / "probe.log").open("ab"))

    def refused() -> dict[str, float]:
        try:
            body = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=2).text
        except httpx.HTTPError:
            return {}
        return {line.split('reason="')[1].split('"')[0]: float(line.split()[-1])
                for line in body.splitlines()
                if line.startswith("netq_probe_plan_tests_refused{")}

    try:
        wait_for(lambda: refused().get("program") == 1, "the plan taken, its tests judged")
        assert refused() == {"program": 1, "target": 1, "rate": 1, "period": 0,
                             "duration": 0, "streams": 0, "tests": 0}
        wait_for(lambda: any(t == "127.0.0.1:1" for t, _ in stored(db)), "the good test runs")
        probe.send_signal(signal.SIGTERM)
        assert probe.wait(15) == 0
    finally:
        ended(probe, collector)
    assert not marker.exists(), "the plan's program was executed"
    assert {t for t, _ in stored(db)} == {"127.0.0.1:1"}
    log = (tmp_path / "probe.log").read_text()
    assert log.count("plan_test_refused") == 3
    assert "iperf3: only the probe's own file chooses the programs it runs" in log


def test_limits_of_a_probe_file_are_checked() -> None:
    with pytest.raises(ConfigError, match=r"limits.targets: 'a b' is not a host name"):
        probe_config({"probe_id": "p", "connection_id": "C", "technology": "pon",
                      "tests": [{"kind": "attempt", "every": 60, "target": "x:1"}],
                      "limits": {"targets": ["a b"]}})


def test_the_day_s_budget_of_the_line_counts_runs_and_bytes_over_24_hours() -> None:
    clock = [0.0]
    budget = Budget(Limits(speed_tests_per_day=3, bytes_per_day=1e9), lambda: clock[0])
    for _ in range(3):
        assert budget.refusal(True) is None
        budget.spend(True, 100e6)
        clock[0] += 60
    refused = budget.refusal(True)
    assert refused is not None
    assert refused.reason == "per_day"
    assert budget.refusal(False) is None  # a latency session is not a speed test
    clock[0] = 86_400.0 + 1  # the first run is a day old
    assert budget.refusal(True) is None
    budget.spend(False, 800e6)
    assert budget.refusal(False) is None  # the few packets of a latency session still run
    refused = budget.refusal(True)
    assert refused is not None
    assert refused.reason == "bytes"
    assert "limits.bytes_per_day" in refused.text
