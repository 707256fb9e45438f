"""How iperf3's JSON maps onto `ended` and exclusions (from iperf3 3.12's real wording)."""

from __future__ import annotations

import json

import pytest

from netq.probe.probers.throughput import Params, classify, command, metrics, parse


def run_of(document: dict):
    return parse(json.dumps(document).encode(), b"")


INTERVAL = {"sum": {"bytes": 1_000_000, "seconds": 1.0, "omitted": False}}
OMITTED = {"sum": {"bytes": 5_000_000, "seconds": 1.0, "omitted": True}}


@pytest.mark.parametrize(("document", "ended", "exclusion"), [
    ({"intervals": [INTERVAL], "end": {}}, "complete", None),
    ({"error": "the server is busy running a test. try again later"}, "not_started",
     "server_busy"),
    ({"error": "unable to connect to server: Connection refused"}, "not_started", "server_down"),
    ({"error": "unable to connect to server: No route to host"}, "not_started", None),
    ({"error": "control socket has closed unexpectedly", "intervals": [OMITTED, INTERVAL]},
     "premature", None),
])
def test_outcomes(document: dict, ended: str, exclusion: str | None) -> None:
    assert classify(run_of(document)) == (ended, exclusion)


def test_a_premature_test_keeps_the_goodput_measured_after_the_warm_up() -> None:
    run = run_of({"error": "control socket has closed unexpectedly",
                  "intervals": [OMITTED, INTERVAL, INTERVAL]})
    m = metrics(Params(target="x", direction="down"), run, "premature", 0)
    assert (m["bytes"], m["duration_s"], m["bits_per_second"]) == (2_000_000, 2.0, 8_000_000.0)


def test_no_json_at_all_is_an_error_with_iperf3s_own_words() -> None:
    run = parse(b"", b"iperf3: error - unable to create a new stream\n")
    assert run.error == "iperf3: error - unable to create a new stream"
    assert classify(run) == ("not_started", None)


def test_down_means_reverse_mode_and_the_warm_up_is_omitted() -> None:
    params = Params(target="n", direction="down", duration=10, omit=2, streams=8)
    argv = command(params, "n", 5201)
    assert argv[-1] == "--reverse"
    assert argv[argv.index("--omit") + 1] == "2"
    assert argv[argv.index("--parallel") + 1] == "8"
    assert "--reverse" not in command(Params(target="n", direction="up"), "n", 5201)
