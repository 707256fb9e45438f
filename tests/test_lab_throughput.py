"""Speed, measured over a link the test shapes with tc tbf, and iperf3's failure modes."""

from __future__ import annotations

import contextlib
import signal
import threading
import time

import pytest

from netq.collector.compliance.judgement import at_layer
from netq.probe.probers.throughput import OVERLOADED
from tests.cgroup import cpu_quota
from tests.lab import L2_GOODPUT, NODE_IP, UNROUTED_IP, Lab, busy_cpu, machine_cpu

pytestmark = pytest.mark.lab
# the probe's defaults. The ground truth is the TCP goodput tbf lets through. A reading may
# fall 3 % short of it (the streams' own losses cost some) but never exceed it by over 1 %:
# an error that favours the operator is the one to rule out. Counted when iperf3 read the
# bytes, readings moved by up to 5 % with the probe's CPU busy, and by up to 4.8 % with a
# loss at the warm-up's end; counted by the probe's TCP (netq.probe.tcp_delivered), not.
DURATION, OMIT, STREAMS = 10, 2, 4


@pytest.fixture
def shaped(lab: Lab):
    yield lab.shape
    lab.shape(None)


@pytest.mark.parametrize("cpu", ["idle", "busy"])
@pytest.mark.parametrize("direction", ["down", "up"])
@pytest.mark.parametrize("rate_mbit", [10, 50, 200])
def test_speed_is_the_links_tcp_goodput_within_1_percent_over_3_under(
    lab: Lab, shaped, rate_mbit: int, direction: str, cpu: str
) -> None:
    shaped(rate_mbit)
    with machine_cpu() as seen, busy_cpu() if cpu == "busy" else contextlib.nullcontext():
        record = lab.probe("throughput", "--target", f"{NODE_IP}:5201", "--direction",
                           direction, "--duration", str(DURATION), "--omit", str(OMIT),
                           "--streams", str(STREAMS))
    assert record["ok"], record["error"]
    metrics = record["metrics"]
    assert (metrics["ended"], metrics["counter"]) == ("complete", "tcp_info")
    # the probe saw its CPU as it was (busy: the spinners on every core; idle: whatever else
    # the machine ran, read from /proc/stat over the whole run), and did not take a busy CPU
    # for overload
    assert record["exclusion"] is None
    if cpu == "busy":
        assert metrics["cpu_busy_ratio"] > 0.9
    else:
        assert abs(metrics["cpu_busy_ratio"] - seen.busy) < 0.25, (metrics, seen)
    assert metrics["cpu_wait_ratio"] + metrics["cpu_steal_ratio"] < OVERLOADED
    assert metrics["direction"] == direction
    assert metrics["streams"] == STREAMS
    # inside iperf3's window; a sampler the CPU starves only shortens it
    assert DURATION - 0.5 <= metrics["duration_s"] <= DURATION
    goodput = rate_mbit * 1e6 * L2_GOODPUT
    assert -0.03 <= metrics["bits_per_second"] / goodput - 1 <= 0.01, metrics
    # the segment as the lab builds it (MTU 1500, IPv4, TCP timestamps), and the speed stated
    # at the Ethernet layer is the shaped rate (tbf counts frames without their 4-byte FCS)
    assert (metrics["segment_payload_bytes"], metrics["segment_header_bytes"]) == (1448, 52)
    ethernet, assumed = at_layer(metrics, "ethernet")
    assert not assumed
    assert -0.03 <= float(ethernet) / (rate_mbit * 1e6 * 1518 / 1514) - 1 <= 0.01, metrics


def test_a_probe_too_starved_to_keep_up_flags_its_test_and_is_not_judged(lab: Lab,
                                                                         shaped) -> None:
    # 3 % of one core cannot take 200 Mbit/s in: the reading falls 6-8 % short of the line
    shaped(200)
    with cpu_quota(0.03) as group:
        record = lab.probe("throughput", "--target", f"{NODE_IP}:5201", "--direction", "down",
                           "--duration", str(DURATION), "--omit", str(OMIT), "--streams",
                           str(STREAMS), cgroup=group)
    metrics = record["metrics"]
    assert (record["ok"], record["exclusion"]) == (False, "probe_overloaded"), metrics
    assert metrics["ended"] == "complete"  # what it read is kept, beside the reason
    assert metrics["cpu_wait_ratio"] + metrics["cpu_steal_ratio"] >= OVERLOADED
    assert record["error"].startswith("the probe's CPU: iperf3 had none for ")


def test_an_unreachable_server_is_an_unsuccessful_attempt(lab: Lab) -> None:
    record = lab.probe("throughput", "--target", UNROUTED_IP, "--direction", "down",
                       "--duration", "2", "--connect-timeout", "1")
    assert record["ok"] is False
    assert record["metrics"]["ended"] == "not_started"
    assert record["exclusion"] is None  # the subscriber could not reach it: that counts
    assert "unable to connect" in record["error"]


def test_a_server_that_refuses_is_down_and_excluded(lab: Lab) -> None:
    record = lab.probe("throughput", "--target", f"{NODE_IP}:5299", "--direction", "up",
                       "--duration", "2")
    assert (record["ok"], record["exclusion"]) == (False, "server_down")
    assert record["metrics"]["ended"] == "not_started"
    assert "Connection refused" in record["error"]


def test_a_busy_server_is_retried_then_excluded_never_counted_against_the_line(lab: Lab) -> None:
    occupier = threading.Thread(target=lab.iperf3_baseline, args=(5202, "up", 8, 0, 1))
    occupier.start()
    time.sleep(1)
    try:
        record = lab.probe("throughput", "--target", f"{NODE_IP}:5202", "--direction", "down",
                           "--duration", "2", "--busy-attempts", "3", "--busy-backoff", "0.2")
    finally:
        occupier.join()
    assert (record["ok"], record["exclusion"]) == (False, "server_busy")
    assert record["metrics"]["ended"] == "not_started"
    assert record["metrics"]["busy_retries"] == 2
    assert "busy" in record["error"]


def test_a_server_killed_mid_test_ends_the_test_prematurely(lab: Lab, shaped) -> None:
    shaped(50)  # a rate a probe takes in without its CPU being the limit
    server = lab.start_iperf3(5203)
    time.sleep(0.5)
    killer = threading.Timer(3, server.send_signal, args=(signal.SIGKILL,))
    killer.start()
    record = lab.probe("throughput", "--target", f"{NODE_IP}:5203", "--direction", "down",
                       "--duration", "8", "--omit", "1")
    killer.join()
    assert record["ok"] is False
    assert record["metrics"]["ended"] == "premature"
    assert record["exclusion"] is None
    assert record["metrics"]["bytes"] > 0  # what arrived before the break is kept
    assert record["error"].startswith("iperf3: ")


def test_a_server_name_that_does_not_resolve_is_an_unsuccessful_attempt(lab: Lab) -> None:
    record = lab.probe("throughput", "--target", "missing.lab.test", "--direction", "down")
    assert (record["ok"], record["exclusion"]) == (False, None)
    assert record["metrics"]["ended"] == "not_started"
    assert record["error"].startswith("cannot resolve missing.lab.test")


def test_a_missing_iperf3_program_is_a_probe_error(lab: Lab) -> None:
    record = lab.probe("throughput", "--target", NODE_IP, "--direction", "down",
                       "--iperf3", "/nonexistent/iperf3")
    assert (record["ok"], record["exclusion"]) == (False, "probe_error")
    assert "apt-get install iperf3" in record["error"]
