"""Reachability: one check of several targets (ICMP echo, falling back to TCP connect).

A check is up when any target answers. A TCP reset counts as an answer: it proves the path
works even where ICMP is filtered. The daemon turns checks into interval records.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket

from icmplib.exceptions import ICMPLibError
from pydantic import Field
from structlog.typing import FilteringBoundLogger

from netq.probe import icmp_echo
from netq.probe.address import HostPort, split_host_port
from netq.probe.probers import ProberParams
from netq.probe.session import EchoSession
from netq.record import Outcome


class Params(ProberParams):
    target: list[HostPort] = Field(
        min_length=1, description="host[:tcp-port]; repeat for each target")
    echoes: int = Field(3, ge=1, le=20, description="ICMP echo requests per target")
    timeout: float = Field(1.0, gt=0, le=30, description="seconds to wait for an answer")
    tcp_port: int = Field(443, ge=1, le=65535, description="TCP port tried when ICMP fails")


async def icmp_answers(host: str, params: Params) -> bool:
    session = EchoSession(params.echoes, 0.05, params.timeout)
    # no raw-socket privilege and no ping_group_range: ICMP is unusable, TCP decides
    with contextlib.suppress(OSError, ICMPLibError):
        await icmp_echo.measure(host, session)
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
    answers = await asyncio.gather(*(reachable(t, params) for t in params.target))
    reached = [t for t, up in zip(params.target, answers, strict=True) if up]
    log.debug("availability_check", reached=reached)
    metrics = {"up": bool(reached), "checks": 1, "targets": list(params.target), "reached": reached}
    return Outcome(params.target_text(), True, metrics)
