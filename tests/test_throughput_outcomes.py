"""How iperf3's JSON maps onto `ended` and exclusions (from iperf3 3.12's real wording)."""

from __future__ import annotations

import json

import pytest

from netq.probe.cpu_load import Load
from netq.probe.probers.throughput import (
    Params,
    Run,
    classify,
    command,
    metrics,
    overloaded,
    parse,
)
from netq.probe.tcp_delivered import Window


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
    assert "--bitrate" not in argv  # a speed test offers all the path takes


def test_a_bitrate_is_shared_out_among_the_streams() -> None:
    argv = command(Params(target="n", direction="up", bitrate=100e6, streams=4), "n", 5201)
    assert argv[argv.index("--bitrate") + 1] == "25000000"


@pytest.mark.parametrize(("waited", "steal", "flagged"), [
    (0.0, 0.0, False), (0.099, 0.0, False), (0.10, 0.0, True), (0.07, 0.03, True),
    (None, 0.10, True), (None, 0.0, False),
])
def test_a_test_whose_iperf3_lacked_a_cpu_too_long_is_the_probes_not_the_lines(
        waited: float | None, steal: float, flagged: bool) -> None:
    load = Load(busy=1.0, steal=steal, waited=waited)
    run = Run(window=Window(bytes=10**8, seconds=10.0, load=load), load=load)
    reason = overloaded(run)
    assert (reason is not None) == flagged
    if flagged:
        assert reason.startswith("the probe's CPU: iperf3 had none for ")
    m = metrics(Params(target="x", direction="down"), run, "complete", 0)
    assert m["cpu_steal_ratio"] == steal
    assert m.get("cpu_wait_ratio") == waited


def test_without_a_reading_of_the_cpu_a_test_is_not_flagged() -> None:
    assert overloaded(Run(window=Window(bytes=1, seconds=1.0))) is None
    assert overloaded(Run()) is None


def test_a_test_counted_by_iperf3_is_judged_by_the_cpu_over_its_whole_run() -> None:
    starved = Load(busy=0.1, steal=0.0, waited=0.4)
    run = run_of({"intervals": [INTERVAL], "end": {"sum_received": {
        "bytes": 10**7, "seconds": 10.0, "bits_per_second": 8e6}}})
    run.load = starved  # the sampler found no window: too starved to read its edges
    assert overloaded(run) is not None
    m = metrics(Params(target="x", direction="up"), run, "complete", 0)
    assert (m["counter"], m["cpu_wait_ratio"]) == ("iperf3", 0.4)
