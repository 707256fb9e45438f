"""Latency and loss, measured through a path whose delay and loss the test injects."""

from __future__ import annotations

import pytest

from tests.lab import NODE_IMPAIRED_IP, Lab
from tests.truth import binomial_interval

pytestmark = pytest.mark.lab
METHODS = ["icmp", "udp"]


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
