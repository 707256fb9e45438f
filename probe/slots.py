"""A slot on a measurement server for an exclusive test, leased from the collector's broker.

The probe asks `POST /api/v1/slots` for the seconds its test holds the server; the answer
names the port and how long to wait. When every port is taken further ahead than the
broker's horizon (or the probe asks more often than the collector's rate for it) it says
when to ask again, and the probe asks again until `max_wait_s` has passed; then the test is
lost to the busy server, on record. When the broker cannot be asked at all (collector away,
an error, asked again twice) the probe does what it did without one: it runs now, on a port
of the server chosen at random. The slot is given back when the test ends, so the rest of it serves
others; a probe that dies frees it when the lease runs out.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from dataclasses import dataclass

import httpx
from prometheus_client import CollectorRegistry, Counter
from structlog.typing import FilteringBoundLogger

from netq.errors import ConfigError
from netq.probe.config import Server, Upload

# a broker that fails to answer is asked again before the probe takes a port at random
# beside other probes' tests: behind a proxy the next request goes to another collector
BROKER_TRIES = 3
BROKER_RETRY_S = (1.0, 2.0)


@dataclass(frozen=True)
class Slot:
    target: str | None  # host:port; None: no slot within the longest wait
    wait_s: float = 0.0
    lease: str | None = None  # None: chosen by the probe, the broker not asked


class SlotClient:
    def __init__(self, upload: Upload, registry: CollectorRegistry, log: FilteringBoundLogger,
                 max_wait_s: float = 1800) -> None:
        self.endpoint = upload.url.rstrip("/") + "/api/v1/slots"
        self.upload = upload
        self.log = log
        self.max_wait_s = max_wait_s
        self.requests = Counter("netq_probe_slot_requests_total", "Slot requests for exclusive "
                                "tests, by result (granted; full: every port taken, asked "
                                "again later; limited: the collector's rate for this probe "
                                "reached, asked again later; fallback: the broker could not "
                                "be asked, a random port used; lost: no slot within the "
                                "longest wait).", ["result"], registry=registry)
        for result in ("granted", "full", "limited", "fallback", "lost"):
            self.requests.labels(result)

    async def take(self, name: str, server: Server, seconds: float) -> Slot:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.max_wait_s
        failed = 0
        async with httpx.AsyncClient(timeout=self.upload.timeout) as client:
            while True:
                try:
                    answer = await client.post(self.endpoint, headers=self.upload.bearer(),
                                               json={"server": name, "seconds": seconds})
                    unanswered = None if answer.status_code not in (500, 502, 504) else \
                        f"HTTP {answer.status_code}"
                except httpx.HTTPError as exc:
                    unanswered = f"{type(exc).__name__}: {exc}"
                except ConfigError as exc:
                    return self.fallback(name, server, str(exc))
                if unanswered is not None:
                    failed += 1
                    if failed >= BROKER_TRIES:
                        return self.fallback(name, server, unanswered)
                    self.log.info("slot_broker_retry", server=name, error=unanswered)
                    await asyncio.sleep(random.uniform(*BROKER_RETRY_S))
                    continue
                if answer.status_code == 200:
                    try:
                        granted = answer.json()
                        slot = Slot(str(granted["target"]), float(granted["wait_s"]),
                                    str(granted["lease"]))
                    except (ValueError, KeyError, TypeError) as exc:
                        return self.fallback(name, server, f"an answer not a slot: {exc}")
                    self.requests.labels("granted").inc()
                    return slot
                # every port taken, or this probe asking too often: when to ask again
                if answer.status_code not in (429, 503) or "retry_after_s" not in answer.text:
                    return self.fallback(name, server,
                                         f"HTTP {answer.status_code}: {answer.text[:200]}")
                self.requests.labels("full" if answer.status_code == 503 else "limited").inc()
                retry = float(answer.json()["retry_after_s"])
                if loop.time() + retry > deadline:
                    self.requests.labels("lost").inc()
                    return Slot(None)
                await asyncio.sleep(retry * random.uniform(1.0, 1.2))

    def fallback(self, name: str, server: Server, error: str) -> Slot:
        self.requests.labels("fallback").inc()
        self.log.warning("slot_broker_unreachable", server=name, error=error)
        return Slot(f"{server.host}:{random.choice(server.ports)}")

    async def give_back(self, slot: Slot) -> None:
        if slot.lease is None:
            return
        with contextlib.suppress(httpx.HTTPError, ConfigError):  # it runs out on its own
            async with httpx.AsyncClient(timeout=self.upload.timeout) as client:
                await client.delete(f"{self.endpoint}/{slot.lease}",
                                    headers=self.upload.bearer())
