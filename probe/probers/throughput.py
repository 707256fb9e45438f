"""TCP throughput with the iperf3 program (RFC 6349 style: parallel streams, warm-up omitted).

iperf3 runs as a subprocess under a hard timeout, never through the ctypes wrapper: that one
fails or hangs on repeated runs in one process. iperf3 makes the traffic; the bytes of the
measured window are counted by the probe's TCP (`tcp_delivered`), so the reading does not
depend on when iperf3 was scheduled. Its JSON outcome maps onto `ended`:
complete; premature (started, then lost the connection); not_started. A busy or absent
server is the measurement infrastructure's fault, retried with jittered backoff and
recorded with an exclusion, never counted against the subscriber's line. So is a probe whose
own CPU was too scarce for iperf3 to keep up (`probe_overloaded`, from `cpu_load`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import socket
from dataclasses import dataclass, field
from typing import Any, Literal

from prometheus_client import CollectorRegistry, Gauge
from pydantic import Field
from structlog.typing import FilteringBoundLogger
from tenacity import AsyncRetrying, retry_if_result, stop_after_attempt, wait_random_exponential

from netq.address import HostPort, split_host_port
from netq.probe.cpu_load import Load
from netq.probe.probers import LineLoad, Observe, Prober, ProberParams
from netq.probe.tcp_delivered import DeliveredBytes, Window
from netq.record import Exclusion, Outcome

DEFAULT_PORT = 5201
BUSY = "the server is busy"
# A test whose iperf3 had no CPU this share of its measured window or more measured the
# probe, not the line (docs/method.md: at 200 Mbit/s the reading stayed within 2.1 % of the
# goodput up to 0.095 and fell 3.4-7.8 % short from 0.137 on; idle or beside spinning work,
# 0.035 at most). Fixed, not a setting: a lower one would let an operator exclude tests at will.
OVERLOADED = 0.10


class Params(ProberParams):
    target: HostPort = Field(description="host[:port] of an iperf3 server")
    direction: Literal["down", "up"] = Field(description="down: towards the subscriber (-R)")
    duration: float = Field(10, ge=1, le=600, description="seconds measured, after the warm-up")
    streams: int = Field(4, ge=1, le=128, description="parallel TCP streams")
    omit: float = Field(2, ge=0, le=60, description="warm-up seconds excluded (iperf3 --omit)")
    bitrate: float = Field(0, ge=0, le=1e11, description="bits/s the streams offer in all "
                           "(iperf3 --bitrate, shared out among them); 0: as fast as the path "
                           "takes, as a speed test should")
    connect_timeout: float = Field(5, gt=0, le=60, description="seconds to set up the test")
    busy_attempts: int = Field(5, ge=1, le=50, description="tries while the server is busy")
    busy_backoff: float = Field(2, ge=0, le=300, description="base of the jittered backoff, s")
    iperf3: str = Field("iperf3", description="the iperf3 program")


@dataclass
class Run:
    """One iperf3 invocation's parsed result."""

    report: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    timed_out: bool = False
    window: Window | None = None  # counted by the probe's TCP, when it could be
    uncounted: str | None = None  # why it could not
    load: Load | None = None  # the probe's CPU over the window, or the run if there was none

    @property
    def busy(self) -> bool:
        return bool(self.error and BUSY in self.error)


def command(params: Params, host: str, port: int) -> list[str]:
    argv = [
        params.iperf3, "--client", host, "--port", str(port), "--json",
        "--time", f"{params.duration:g}", "--omit", f"{params.omit:g}",
        "--parallel", str(params.streams),
        "--connect-timeout", str(int(params.connect_timeout * 1000)),
    ]
    if params.bitrate:
        argv += ["--bitrate", f"{params.bitrate / params.streams:.0f}"]
    return [*argv, "--reverse"] if params.direction == "down" else argv


async def run_iperf3(params: Params, argv: list[str], hard_timeout: float) -> Run:
    delivered = DeliveredBytes(params.direction, params.streams, params.omit, params.duration)
    await asyncio.to_thread(delivered.start)
    process = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    delivered.attach(process.pid)
    try:
        async with asyncio.timeout(hard_timeout):
            stdout, stderr = await process.communicate()
    except asyncio.CancelledError:  # the daemon is stopping: leave no iperf3 behind
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        delivered.stop()
        raise
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        stdout, stderr = await process.communicate()
        run = parse(stdout, stderr)
        run.timed_out = True
        run.error = f"iperf3 did not finish within {hard_timeout:g} s and was killed"
    else:
        run = parse(stdout, stderr)
    run.window = delivered.stop()
    if run.window is None:
        run.uncounted = delivered.error or "no measured window between the streams' samples"
    run.load = run.window.load if run.window is not None else delivered.load()
    return run


def parse(stdout: bytes, stderr: bytes) -> Run:
    try:
        report = json.loads(stdout)
    except ValueError:
        text = (stderr or stdout).decode(errors="replace").strip()
        return Run(error=text or "iperf3 printed no result")
    return Run(report=report, error=report.get("error"))


def measured_intervals(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [i["sum"] for i in report.get("intervals", []) if not i["sum"].get("omitted")]


def metrics(params: Params, run: Run, ended: str, busy_retries: int) -> dict[str, Any]:
    received = run.report.get("end", {}).get("sum_received")
    counter = "tcp_info"
    if ended != "not_started" and run.window is not None:
        n_bytes, seconds = run.window.bytes, run.window.seconds
    elif ended == "complete" and received:
        n_bytes, seconds, counter = int(received["bytes"]), float(received["seconds"]), "iperf3"
    else:  # what arrived before the test broke off, warm-up excluded
        intervals = measured_intervals(run.report)
        n_bytes = sum(int(i["bytes"]) for i in intervals)
        seconds = sum(float(i["seconds"]) for i in intervals)
        counter = "iperf3"
    sent = run.report.get("end", {}).get("sum_sent") or {}
    counted: dict[str, Any] = {} if ended == "not_started" else {"counter": counter}
    if counter == "tcp_info" and ended == "complete" and received:
        counted["iperf3_bits_per_second"] = round(float(received["bits_per_second"]), 1)
    if counter == "tcp_info" and run.window is not None and run.window.segment is not None:
        counted["segment_payload_bytes"] = run.window.segment.payload_bytes
        counted["segment_header_bytes"] = run.window.segment.header_bytes
    if ended != "not_started" and run.load is not None:
        counted.update(run.load.as_metrics())
    return {
        "direction": params.direction,
        "streams": params.streams,
        "duration_s": round(seconds, 3),
        "omit_s": params.omit,
        "bytes": n_bytes,
        "bits_per_second": round(n_bytes * 8 / seconds, 1) if seconds > 0 else 0.0,
        "ended": ended,
        "retransmits": sent.get("retransmits"),
        "busy_retries": busy_retries,
        **counted,
    }


def classify(run: Run) -> tuple[str, Exclusion | None]:
    """(ended, exclusion) for a finished iperf3 run."""
    if run.error is None:
        return "complete", None
    # iperf3 --json prints only at the end, so a run killed by the hard timeout shows nothing;
    # it had passed --connect-timeout, so the test had started.
    if run.report.get("intervals") or run.timed_out:
        return "premature", None
    if run.busy:
        return "not_started", "server_busy"
    if "Connection refused" in run.error:
        return "not_started", "server_down"
    return "not_started", None  # no route, timeout: an unsuccessful attempt on the line


def overloaded(run: Run) -> str | None:
    """Why the probe's own CPU made the reading the probe's rather than the line's, or None."""
    load = run.load
    if load is None or load.lacked < OVERLOADED:
        return None
    return (f"the probe's CPU: iperf3 had none for {load.lacked:.0%} of the measured time "
            f"(waited {load.waited or 0:.0%}, stolen {load.steal:.0%}); the reading is the "
            "probe's, not the line's")


def not_started(params: Params) -> dict[str, Any]:
    """The metrics of a speed test that never ran (also used for deferrals)."""
    return metrics(params, Run(), "not_started", 0)


async def probe(params: Params, log: FilteringBoundLogger) -> Outcome:
    def failed(error: str, exclusion: Exclusion | None) -> Outcome:
        return Outcome(params.target, False, not_started(params), error=error,
                       exclusion=exclusion)

    if shutil.which(params.iperf3) is None:
        return failed(f"the iperf3 program ({params.iperf3}) is not installed: "
                      "apt-get install iperf3", "probe_error")
    host, port = split_host_port(params.target, DEFAULT_PORT)
    try:
        await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        return failed(f"cannot resolve {host}: {exc.strerror}", None)

    argv = command(params, host, port)
    hard_timeout = params.omit + params.duration + params.connect_timeout + 15
    retrying = AsyncRetrying(
        retry=retry_if_result(lambda r: r.busy),
        wait=wait_random_exponential(multiplier=params.busy_backoff, max=60),
        stop=stop_after_attempt(params.busy_attempts),
        before_sleep=lambda state: log.info(
            "iperf3_server_busy", target=params.target, attempt=state.attempt_number),
        retry_error_callback=lambda state: state.outcome.result() if state.outcome else Run(),
    )
    run: Run = await retrying(run_iperf3, params, argv, hard_timeout)
    attempts = int(retrying.statistics.get("attempt_number", 1))

    ended, exclusion = classify(run)
    if ended != "not_started" and run.uncounted:
        log.warning("throughput_counted_by_iperf3", target=params.target, reason=run.uncounted)
    outcome_metrics = metrics(params, run, ended, attempts - 1)
    error = None if run.error is None else f"iperf3: {run.error}"
    # a test that never started says nothing of the probe's CPU while it measured
    starved = overloaded(run) if exclusion is None and ended != "not_started" else None
    if starved is not None:
        exclusion, error = "probe_overloaded", starved + (f"; {error}" if error else "")
        log.warning("throughput_probe_overloaded", target=params.target, reason=starved)
    return Outcome(params.target, ended == "complete" and exclusion is None, outcome_metrics,
                   error=error, exclusion=exclusion)


def observer(registry: CollectorRegistry) -> Observe:
    goodput = Gauge("netq_probe_throughput_bytes_per_second", "Goodput of the last completed "
                    "speed test.", ["direction"], registry=registry)

    def observe(outcome: Outcome) -> None:
        if outcome.ok:
            goodput.labels(outcome.metrics["direction"]).set(
                outcome.metrics["bits_per_second"] / 8)

    return observe


def occupies(params: Params) -> float:
    """The server's port is held from the connection to the end of the results' exchange:
    warm-up and measured seconds, and a few seconds' set-up on either side."""
    return params.omit + params.duration + 3


def moved(params: Params, outcome: Outcome) -> float:
    """The measured window's bytes, and the warm-up's at the same rate."""
    measured = float(outcome.metrics.get("bytes") or 0)
    return measured * (params.omit + params.duration) / params.duration


def line_load(params: Params) -> LineLoad:
    return LineLoad(seconds=params.omit + params.duration, streams=params.streams)


# at most 48 a day, FCC MBA's hourly cadence halved: a speed test fills the subscriber's line
PROBER = Prober(Params, probe, scheduling="exclusive", observer=observer,
                unmeasured=not_started, occupies=occupies, load=line_load, every_min=1800,
                local_only=("iperf3",), moved=moved,
                example="--target speed.isp.example:5201 --direction down")
