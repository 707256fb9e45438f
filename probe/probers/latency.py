"""Latency and loss: a session of ICMP echo or STAMP (RFC 8762) packets."""

from __future__ import annotations

import socket
from typing import Literal

from icmplib.exceptions import SocketPermissionError
from prometheus_client import CollectorRegistry, Gauge
from pydantic import Field, model_validator
from structlog.typing import FilteringBoundLogger

from netq.address import HostPort, split_host_port
from netq.probe import icmp_echo, stamp, stamp_sender
from netq.probe.probers import LineLoad, Observe, Prober, ProberParams
from netq.probe.session import EchoSession
from netq.record import Outcome

LONGEST_SESSION_S = 3600.0


class Params(ProberParams):
    target: HostPort = Field(description="host, or host:port of a STAMP reflector for --method udp")
    method: Literal["icmp", "udp"] = Field("icmp", description="ICMP echo or UDP STAMP")
    count: int = Field(100, ge=1, le=65535, description="packets in the session")
    interval: float = Field(0.1, ge=0.001, le=60, description="seconds between packets")
    timeout: float = Field(3.0, gt=0, le=60, description="seconds after which a packet is lost")

    @model_validator(mode="after")
    def _within_an_hour(self) -> Params:
        # the collector takes a latency session of at most two hours
        if (self.count - 1) * self.interval + self.timeout > LONGEST_SESSION_S:
            raise ValueError(f"count × interval must keep the session within "
                             f"{LONGEST_SESSION_S:g} s")
        return self


async def probe(params: Params, log: FilteringBoundLogger) -> Outcome:
    session = EchoSession(params.count, params.interval, params.timeout)
    exclusion = None
    try:
        if params.method == "udp":
            host, port = split_host_port(params.target, stamp.DEFAULT_PORT)
            if await stamp_sender.stamp_session(host, port, session) and not session.rtt_s:
                exclusion = "server_down"
        else:
            await icmp_echo.echo_session(params.target, session)
    except socket.gaierror as exc:
        return Outcome(params.target, False, session.metrics(params.method),
                       error=f"cannot resolve {params.target}: {exc.strerror}")
    except SocketPermissionError:
        return Outcome(params.target, False, session.metrics(params.method),
                       exclusion="probe_error",
                       error="ICMP needs root or CAP_NET_RAW (or net.ipv4.ping_group_range "
                             "covering this user's group); or measure with --method udp")
    metrics = session.metrics(params.method)
    log.debug("latency_session", **{k: metrics[k] for k in ("sent", "received", "loss_ratio")})
    if exclusion:
        return Outcome(params.target, False, metrics, exclusion="server_down",
                       error=f"no STAMP reflector answers at {params.target} (port unreachable)")
    error = None
    if session.send_errors:
        error = (f"{len(session.send_errors)} of {session.sent} packets could not be sent: "
                 f"{session.send_errors[0]}")
    return Outcome(params.target, True, metrics, error=error)


def observer(registry: CollectorRegistry) -> Observe:
    rtt = Gauge("netq_probe_rtt_mean_seconds", "Mean round trip of the last latency session.",
                ["target", "method"], registry=registry)
    loss = Gauge("netq_probe_loss_ratio", "Packet loss of the last latency session.",
                 ["target", "method"], registry=registry)

    def observe(outcome: Outcome) -> None:
        if not outcome.ok:
            return
        labels = (outcome.target, outcome.metrics["method"])
        if outcome.metrics["rtt_ms"]:
            rtt.labels(*labels).set(outcome.metrics["rtt_ms"]["mean"] / 1000)
        loss.labels(*labels).set(outcome.metrics["loss_ratio"])

    return observe


def line_load(params: Params) -> LineLoad:
    return LineLoad(seconds=params.count * params.interval,
                packets_per_second=1 / params.interval)


PROBER = Prober(Params, probe, scheduling="background", observer=observer, load=line_load,
                example="--target 192.0.2.1 --count 20 --interval 0.2")
