"""Reachability of the Internet: one check of several targets (ICMP echo, falling back to TCP
connect), each classed on-net (the operator's own nodes) or off-net (beyond its network: an
exchange point, well-known public hosts).

A check is up when any off-net target answers: "готовность соединения с сетью Интернет" is
about the Internet, not the access network. Whether an on-net target answered is kept beside
it, so that an access fault (nothing answers) can be told from an upstream one (only on-net
answers). A TCP reset counts as an answer: it proves the path works even where ICMP is
filtered. The daemon turns checks into interval records.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import Any

from icmplib.exceptions import ICMPLibError
from prometheus_client import CollectorRegistry, Gauge
from pydantic import Field, model_validator
from structlog.typing import FilteringBoundLogger

from netq.address import HostPort, split_host_port
from netq.probe import icmp_echo
from netq.probe.probers import Observe, Prober, ProberParams
from netq.probe.session import EchoSession
from netq.record import Outcome


class Params(ProberParams):
    target: list[HostPort] = Field(
        min_length=1, description="on-net host[:tcp-port] (the operator's own nodes); repeat "
                                  "for each")
    off_net: list[HostPort] = Field(
        min_length=1, description="off-net host[:tcp-port], beyond the operator's network (an "
                                  "exchange point, well-known public hosts); repeat for each")
    echoes: int = Field(3, ge=1, le=20, description="ICMP echo requests per target")
    timeout: float = Field(1.0, gt=0, le=30, description="seconds to wait for an answer")
    tcp_port: int = Field(443, ge=1, le=65535, description="TCP port tried when ICMP fails")

    @model_validator(mode="after")
    def _distinct_targets(self) -> Params:
        # at least one on-net and one off-net target, and not the same host: so that one
        # unreachable server is not taken for the line being down
        if len({*self.target, *self.off_net}) < 2:
            raise ValueError("give at least 2 distinct targets (target and off_net), so that "
                             "one unreachable server is not taken for the line being down")
        return self


async def icmp_answers(host: str, params: Params) -> bool:
    session = EchoSession(params.echoes, 0.05, params.timeout)
    # no raw-socket privilege and no ping_group_range: ICMP is unusable, TCP decides
    with contextlib.suppress(OSError, ICMPLibError):
        await icmp_echo.echo_session(host, session)
    return bool(session.rtt_s)


async def tcp_answers(host: str, port: int, wait_s: float) -> bool:
    try:
        async with asyncio.timeout(wait_s):
            _, writer = await asyncio.open_connection(host, port)
    except ConnectionRefusedError:
        return True  # a reset came back over the path
    except (OSError, TimeoutError):
        return False
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return True


async def reachable(target: str, params: Params) -> bool:
    host, port = split_host_port(target, params.tcp_port)
    try:
        return await icmp_answers(host, params) or await tcp_answers(host, port, params.timeout)
    except socket.gaierror:
        return False


async def probe(params: Params, log: FilteringBoundLogger) -> Outcome:
    targets = [*params.target, *params.off_net]
    answers = await asyncio.gather(*(reachable(t, params) for t in targets))
    reached = [t for t, up in zip(targets, answers, strict=True) if up]
    log.debug("availability_check", reached=reached)
    metrics = {**unmeasured(params), "up": any(t in reached for t in params.off_net),
               "on_net_up": any(t in reached for t in params.target), "checks": 1,
               "reached": reached}
    return Outcome(params.target_text(), True, metrics)


def observer(registry: CollectorRegistry) -> Observe:
    up = Gauge("netq_probe_availability_up", "1 when the last reachability check reached an "
               "off-net target.", registry=registry)

    def observe(outcome: Outcome) -> None:
        if outcome.ok and "up" in outcome.metrics:  # a failed prober measured nothing
            up.set(1 if outcome.metrics["up"] else 0)

    return observe


def unmeasured(params: Params) -> dict[str, Any]:
    return {"targets": list(params.target), "off_net_targets": list(params.off_net)}


def aims(params: Params) -> list[str]:
    return [*params.target, *params.off_net]


PROBER = Prober(Params, probe, scheduling="continuous", every=60, observer=observer,
                unmeasured=unmeasured, aims=aims, every_min=10,
                example="--target node1.isp.example --off-net 1.1.1.1:443")
