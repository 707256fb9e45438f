"""Connection attempts as a subscriber's application makes them: DNS, TCP, then HTTP GET.

The record's `phase` is where the attempt stopped: the failing phase, or the last one
when it succeeded. Each phase's time is kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
from urllib.parse import urlsplit

from pydantic import Field
from structlog.typing import FilteringBoundLogger

from netq.address import HostPort, split_host_port
from netq.probe.probers import Prober, ProberParams
from netq.record import Outcome


class Params(ProberParams):
    target: HostPort = Field(
        description="http(s)://host[:port]/path, or host:port for DNS and TCP only")
    timeout: float = Field(10, gt=0, le=120, description="seconds allowed for each phase")


def ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 3)


async def probe(params: Params, log: FilteringBoundLogger) -> Outcome:
    url = urlsplit(params.target) if "://" in params.target else None
    if url:
        host, port = url.hostname or "", url.port or (443 if url.scheme == "https" else 80)
    else:
        host, port = split_host_port(params.target, 80)
    timings: dict[str, float | int | None] = {
        "dns_ms": None, "tcp_ms": None, "http_ms": None, "http_status": None}
    began = time.perf_counter()

    def result(phase: str, error: str | None = None) -> Outcome:
        metrics = {"phase": phase, "duration_ms": ms(began), **timings}
        return Outcome(params.target, error is None, metrics, error=error)

    loop = asyncio.get_running_loop()
    start = time.perf_counter()
    try:
        async with asyncio.timeout(params.timeout):
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, TimeoutError) as exc:
        reason = exc.strerror if isinstance(exc, socket.gaierror) else "timed out"
        return result("dns", f"DNS: cannot resolve {host}: {reason}")
    timings["dns_ms"] = ms(start)

    address = str(infos[0][4][0])
    start = time.perf_counter()
    try:
        async with asyncio.timeout(params.timeout):
            _, writer = await asyncio.open_connection(address, port)
    except (OSError, TimeoutError) as exc:
        reason = os.strerror(exc.errno) if isinstance(exc, OSError) and exc.errno else "timed out"
        return result("tcp", f"TCP: cannot connect to {address}:{port}: {reason}")
    timings["tcp_ms"] = ms(start)
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    if url is None:
        return result("tcp")

    import httpx  # 10+ MB resident: paid only by probes that make HTTP attempts

    try:
        async with httpx.AsyncClient(timeout=params.timeout) as client:
            start = time.perf_counter()  # after the client's set-up (TLS context), not before
            response = await client.get(params.target)
    except httpx.HTTPError as exc:
        reason = str(exc) or type(exc).__name__
        return result("http", f"HTTP: GET {params.target} failed: {reason}")
    timings["http_ms"], timings["http_status"] = ms(start), response.status_code
    log.debug("attempt", target=params.target, status=response.status_code)
    if response.status_code >= 400:
        return result("http", f"HTTP: GET {params.target} answered {response.status_code}")
    return result("http")


PROBER = Prober(Params, probe, scheduling="background",
                example="--target https://www.gov.by/")
