"""DNS resolution time and failures, measured against a real resolver (dnsmasq on the lab's
node) through a path whose delay and loss the test injects."""

from __future__ import annotations

import contextlib

import pytest

from tests.lab import NODE_IMPAIRED_IP, NODE_IP, Lab, busy_cpu
from tests.truth import binomial_interval

pytestmark = pytest.mark.lab


def names(count: int) -> list[str]:
    options = []
    for i in range(count):
        options += ["--name", f"n{i}.iperf.lab.test"]
    return options


def resolve(lab: Lab, target: str, *options: str) -> dict:
    return lab.probe("dns", "--target", target, *options)


@pytest.mark.parametrize("cpu", ["idle", "busy"])
@pytest.mark.parametrize("delay_ms", [20, 100, 450])
def test_resolution_time_is_the_injected_delay_within_1ms_plus_2_percent(
    lab: Lab, delay_ms: float, cpu: str
) -> None:
    load = busy_cpu() if cpu == "busy" else contextlib.nullcontext()
    with lab.impaired(delay_ms=delay_ms), load:
        record = resolve(lab, NODE_IMPAIRED_IP, *names(20))
    metrics = record["metrics"]
    assert record["ok"], record["error"]
    assert (metrics["queries"], metrics["answered"], metrics["failed"]) == (20, 20, 0)
    times = metrics["resolution_ms"]
    assert times["min"] >= delay_ms  # no answer before the query has crossed the delay
    assert abs(times["mean"] - delay_ms) <= 1 + 0.02 * delay_ms, f"{times} for {delay_ms} ms"
    assert all(r["rcode"] == "NOERROR" and r["addresses"] == 1 for r in metrics["results"])


@pytest.mark.parametrize("loss", [0.0, 0.1])
def test_failed_queries_are_exactly_the_ones_the_path_dropped(lab: Lab, loss: float) -> None:
    with lab.impaired(loss=loss, seed=11) as relay:
        record = resolve(lab, NODE_IMPAIRED_IP, *names(100), "--timeout", "0.5")
    metrics = record["metrics"]
    assert record["ok"], record["error"]
    # one packet a query: each one the relay dropped is a query without an answer
    assert relay.packets >= 100
    assert metrics["failed"] == relay.dropped
    assert metrics["failure_ratio"] == pytest.approx(relay.dropped / 100)
    low, high = binomial_interval(100, loss)
    assert low <= metrics["failure_ratio"] <= high
    unanswered = [r for r in metrics["results"] if r["rcode"] is None]
    assert len(unanswered) == relay.dropped
    assert all(r["ms"] is None for r in unanswered)


def test_nxdomain_is_an_answer_and_refused_a_failure(lab: Lab) -> None:
    record = resolve(lab, NODE_IP, "--name", "web.lab.test", "--name", "gone.nx.lab.test",
                     "--name", "example.org")
    metrics = record["metrics"]
    assert [r["rcode"] for r in metrics["results"]] == ["NOERROR", "NXDOMAIN", "REFUSED"]
    assert (metrics["answered"], metrics["failed"]) == (2, 1)


def test_no_resolver_at_the_address_is_a_failed_test_naming_it(lab: Lab) -> None:
    record = resolve(lab, f"{NODE_IP}:5353", "--name", "web.lab.test")
    assert record["ok"] is False
    assert "port unreachable" in record["error"]

