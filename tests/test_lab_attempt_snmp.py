"""Connection attempts (DNS, TCP, HTTP) and SNMP polling against real servers in the lab."""

from __future__ import annotations

import time

import pytest

from tests.lab import NODE_IP, SNMP_AGENT, SNMP_COMMUNITY, UNROUTED_IP, Lab

pytestmark = pytest.mark.lab


def test_an_http_attempt_resolves_connects_and_gets(lab: Lab) -> None:
    record = lab.probe("attempt", "--target", "http://web.lab.test:8080/")
    assert record["ok"], record["error"]
    metrics = record["metrics"]
    assert (metrics["phase"], metrics["http_status"]) == ("http", 200)
    assert all(metrics[k] >= 0 for k in ("dns_ms", "tcp_ms", "http_ms"))
    assert metrics["duration_ms"] >= metrics["dns_ms"] + metrics["tcp_ms"] + metrics["http_ms"]


def test_a_dns_failure_stops_the_attempt_at_the_dns_phase(lab: Lab) -> None:
    record = lab.probe("attempt", "--target", "http://missing.lab.test:8080/", "--timeout", "3")
    assert record["ok"] is False
    assert record["metrics"]["phase"] == "dns"
    assert record["error"].startswith("DNS: cannot resolve missing.lab.test")


def test_a_refused_connection_stops_the_attempt_at_the_tcp_phase(lab: Lab) -> None:
    record = lab.probe("attempt", "--target", f"{NODE_IP}:8081")
    assert (record["ok"], record["metrics"]["phase"]) == (False, "tcp")
    assert "Connection refused" in record["error"]


def test_an_unreachable_host_stops_the_attempt_at_the_tcp_phase(lab: Lab) -> None:
    record = lab.probe("attempt", "--target", f"http://{UNROUTED_IP}/", "--timeout", "2")
    assert (record["ok"], record["metrics"]["phase"]) == (False, "tcp")


def snmp_poll(lab: Lab, *extra: str) -> dict:
    return lab.probe("snmp", "--target", SNMP_AGENT, "--community", SNMP_COMMUNITY,
                     "--if-index", str(lab.if_index("s0")), *extra)


def test_snmp_reads_the_interface_counters_the_kernel_keeps(lab: Lab) -> None:
    # move traffic through s0, then let snmpd's interface cache expire
    lab.iperf3_baseline(5201, "up", 1, 0, 1)
    time.sleep(6)
    truth_rx, truth_tx = lab.kernel_counter("s0", "rx_bytes"), lab.kernel_counter("s0", "tx_bytes")
    record = snmp_poll(lab)
    assert record["ok"], record["error"]
    (interface,) = record["metrics"]["interfaces"]
    assert interface["oper_status"] == "up"
    assert interface["in_octets"] == truth_rx
    assert interface["out_octets"] == truth_tx
    assert truth_tx > 1_000_000  # the iperf3 run above went through s0


def test_snmp_sees_an_interface_go_down(lab: Lab) -> None:
    lab.link(up=False)
    try:
        time.sleep(6)
        record = snmp_poll(lab)
    finally:
        lab.link(up=True)
    assert record["metrics"]["interfaces"][0]["oper_status"] in ("down", "lowerLayerDown")


def test_a_dead_agent_is_an_error_record_not_a_crash(lab: Lab) -> None:
    record = lab.probe("snmp", "--target", "127.0.0.1:16199", "--if-index", "1",
                       "--timeout", "0.5", "--retries", "0")
    assert record["ok"] is False
    assert record["error"].startswith("SNMP agent 127.0.0.1:16199")
    assert record["metrics"]["interfaces"] == []
