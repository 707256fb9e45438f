"""Latency and loss, measured through a path whose delay and loss the test injects."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

import pytest

from netq.probe import icmp_echo
from tests.lab import NODE_IMPAIRED_IP, NODE_IP, Lab
from tests.truth import binomial_interval

pytestmark = pytest.mark.lab
METHODS = ["icmp", "udp"]
NOBODY = ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups")
WITH_CAP_NET_RAW = ("--inh-caps=+net_raw", "--ambient-caps=+net_raw")


def session(lab: Lab, method: str, count: int, interval: float) -> dict:
    record = lab.probe("latency", "--target", NODE_IMPAIRED_IP, "--method", method,
                       "--count", str(count), "--interval", str(interval))
    assert record["ok"], record["error"]
    assert record["metrics"]["sent"] == count
    return record["metrics"]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("delay_ms", [20, 100, 450])
def test_mean_rtt_is_the_injected_delay_within_1ms_plus_2_percent(
    lab: Lab, method: str, delay_ms: float
) -> None:
    with lab.impaired(delay_ms=delay_ms):
        metrics = session(lab, method, count=100, interval=0.02)
    assert metrics["received"] == 100
    mean = metrics["rtt_ms"]["mean"]
    assert abs(mean - delay_ms) <= 1 + 0.02 * delay_ms, f"{method}: {mean} ms for {delay_ms} ms"
    assert metrics["rtt_ms"]["min"] >= delay_ms  # nothing arrives before the delay has passed
    if delay_ms >= 450:
        assert mean > 400  # so the session fails the 400 ms norm downstream


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("loss", [0.0, 0.01, 0.05])
def test_loss_ratio_lies_in_the_binomial_99_percent_interval_of_the_injected_loss(
    lab: Lab, method: str, loss: float
) -> None:
    with lab.impaired(loss=loss, seed=7) as relay:
        metrics = session(lab, method, count=1000, interval=0.003)
    low, high = binomial_interval(1000, loss)
    assert low <= metrics["loss_ratio"] <= high, f"{method}: {metrics['loss_ratio']} for {loss}"
    # and, exactly, the packets the relay really dropped are the ones the probe counts lost
    assert relay.packets >= 1000
    assert metrics["sent"] - metrics["received"] == relay.dropped


def test_a_reply_later_than_the_timeout_counts_as_lost(lab: Lab) -> None:
    with lab.impaired(delay_ms=300):
        record = lab.probe("latency", "--target", NODE_IMPAIRED_IP, "--method", "udp",
                           "--count", "20", "--interval", "0.01", "--timeout", "0.2")
    assert record["metrics"]["loss_ratio"] == 1.0
    assert record["metrics"]["rtt_ms"] is None


def test_a_node_without_a_reflector_is_an_infrastructure_failure_not_loss(lab: Lab) -> None:
    with lab.impaired():
        record = lab.probe("latency", "--target", f"{NODE_IMPAIRED_IP}:863", "--method", "udp",
                           "--count", "5", "--interval", "0.01", "--timeout", "0.5")
    assert record["ok"] is False
    assert record["exclusion"] == "server_down"
    assert "reflector" in record["error"]


def test_an_echo_reply_arriving_just_as_the_reader_polls_is_kept(lab: Lab) -> None:
    # The reader thread polls every POLL_S; a reply due exactly then was once thrown away by
    # icmplib's receive(timeout). Many one-packet sessions with that delay land on the edge.
    script = ("import asyncio\n"
              "from netq.probe import icmp_echo\n"
              "from netq.probe.session import EchoSession\n"
              "async def main():\n"
              "    for _ in range(50):\n"
              "        session = EchoSession(1, 0.01, 1.0)\n"
              f"        await icmp_echo.echo_session('{NODE_IMPAIRED_IP}', session)\n"
              "        print(len(session.rtt_s))\n"
              "asyncio.run(main())\n")
    with lab.impaired(delay_ms=icmp_echo.POLL_S * 1000):
        answered = lab.ns(lab.sub, sys.executable, "-c", script).stdout.split()
    assert answered == ["1"] * 50


def test_an_echo_reply_quicker_than_the_send_call_is_kept(lab: Lab) -> None:
    # On loopback the reply is in before sendto returns: the send must be stamped before it.
    record = lab.probe("latency", "--target", "127.0.0.1", "--count", "300",
                       "--interval", "0.001", "--timeout", "1")
    assert record["metrics"]["received"] == 300
    assert record["metrics"]["rtt_ms"]["min"] > 0


@contextlib.contextmanager
def ping_sockets_granted(lab: Lab) -> Iterator[None]:
    """Every group may open the kernel's ICMP datagram ("ping") sockets in the subscriber ns."""
    lab.ns(lab.sub, "sysctl", "-qw", "net.ipv4.ping_group_range=0 2147483647")
    try:
        yield
    finally:
        lab.ns(lab.sub, "sysctl", "-qw", "net.ipv4.ping_group_range=1 0")


@pytest.mark.parametrize(("runner", "grant_ping_sockets"), [
    pytest.param(NOBODY + WITH_CAP_NET_RAW, False, id="raw socket by CAP_NET_RAW, as the unit"),
    pytest.param(NOBODY, True, id="ping socket by ping_group_range"),
])
def test_icmp_works_for_an_unprivileged_user_given_either_permission(
    lab: Lab, runner: tuple[str, ...], grant_ping_sockets: bool
) -> None:
    grant = ping_sockets_granted(lab) if grant_ping_sockets else contextlib.nullcontext()
    with grant:
        record = lab.probe("latency", "--target", NODE_IP, "--count", "20",
                           "--interval", "0.01", runner=runner)
    assert record["ok"], record["error"]
    assert record["metrics"]["received"] == 20


def test_icmp_without_either_permission_is_a_probe_error_that_says_what_to_grant(
    lab: Lab,
) -> None:
    record = lab.probe("latency", "--target", NODE_IP, "--count", "3", runner=NOBODY)
    assert (record["ok"], record["exclusion"]) == (False, "probe_error")
    assert "CAP_NET_RAW" in record["error"]
