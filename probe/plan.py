"""The probe's central test plan: asked of the collector, kept on disk, run while it is away.

Every `plan_every` seconds (then at the plan's own `poll_every_s`) the probe asks
`GET /api/v1/plan` with the version it runs; the collector answers 304 (unchanged), 200 (a
new plan) or 404 (no plan meets this probe: it runs its own file's tests). A new plan is
checked whole, its tests parsed by the probers' own parameters, before anything changes:
one the probe cannot run is refused and the last good plan kept. A good plan is written to
disk (atomically) before it is run, so a restart without the collector runs it too.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from prometheus_client import CollectorRegistry, Counter, Gauge
from structlog.typing import FilteringBoundLogger

from netq import plan as wire
from netq import yamlfile
from netq.errors import ConfigError
from netq.probe.config import Server, Test, Upload, parse_test

RETRY_S = 60  # after a failed request, at most this long before asking again


@dataclass(frozen=True)
class Plan:
    name: str
    version: str
    poll_every_s: float
    tests: tuple[Test, ...]
    servers: dict[str, Server]
    body: dict[str, Any]


def parse(body: Any, source: str) -> Plan:
    """The plan in `body` (netq.plan/1), or a ConfigError naming what is wrong."""
    found = wire.problems(body)
    if found:
        raise ConfigError(f"{source}: {'; '.join(found)}")
    document = yamlfile.Document(f"{source} {body['name']} {body['version']}", body)
    servers = {name: document.validate(Server, fields, ("servers", name))
               for name, fields in body["servers"].items()}
    tests = tuple(parse_test(document, ("tests", i), servers)
                  for i in range(len(body["tests"])))
    return Plan(body["name"], body["version"], float(body["poll_every_s"]), tests, servers,
                body)


class PlanMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.info = Gauge("netq_probe_plan_info", "The central test plan the probe runs "
                          "(1), by name and version; absent while it runs its own file's "
                          "tests.", ["plan", "version"], registry=registry)
        self.requests = Counter("netq_probe_plan_requests_total", "Plan requests, by result "
                                "(new, unchanged, none, refused, failed).", ["result"],
                                registry=registry)
        for result in ("new", "unchanged", "none", "refused", "failed"):
            self.requests.labels(result)

    def running(self, plan: Plan | None) -> None:
        self.info.clear()
        if plan is not None:
            self.info.labels(plan.name, plan.version).set(1)


class PlanSource:
    """Asks for the plan and hands each change to the daemon through `changes`."""

    def __init__(self, upload: Upload, cache: Path, metrics: PlanMetrics,
                 log: FilteringBoundLogger) -> None:
        self.endpoint = upload.url.rstrip("/") + "/api/v1/plan"
        self.upload = upload
        self.cache = cache
        self.every_s = upload.plan_every
        self.metrics = metrics
        self.log = log
        self.changes: asyncio.Queue[Plan | None] = asyncio.Queue()
        self.current: Plan | None = None

    def cached(self) -> Plan | None:
        """The plan kept on disk, when there is a good one."""
        try:
            body = json.loads(self.cache.read_text("utf-8"))
            plan = parse(body, str(self.cache))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, ConfigError) as exc:
            self.log.warning("plan_cache_unusable", path=str(self.cache), error=str(exc))
            return None
        self.current = plan
        return plan

    def keep(self, plan: Plan | None) -> None:
        """On disk before it is run: written whole or not at all."""
        if plan is None:
            with contextlib.suppress(FileNotFoundError):
                self.cache.unlink()
            return
        partial = self.cache.with_name(self.cache.name + ".partial")
        with partial.open("w", encoding="utf-8") as file:
            json.dump(plan.body, file, ensure_ascii=False)
            file.flush()
            os.fsync(file.fileno())
        partial.replace(self.cache)

    async def ask(self, client: httpx.AsyncClient) -> bool:
        """One request; True when the collector answered it."""
        try:
            headers = self.upload.bearer()
            if self.current is not None:
                headers["If-None-Match"] = f'"{self.current.version}"'
            response = await client.get(self.endpoint, headers=headers)
        except httpx.HTTPError as exc:
            return self.failed(f"{type(exc).__name__}: {exc}")
        except ConfigError as exc:
            return self.failed(str(exc))
        if response.status_code == 304:
            self.metrics.requests.labels("unchanged").inc()
            return True
        if response.status_code == 404:
            self.metrics.requests.labels("none").inc()
            if self.current is not None:
                self.log.info("plan_withdrawn", plan=self.current.name,
                              version=self.current.version)
                await self.change(None)
            return True
        if response.status_code != 200:
            return self.failed(f"HTTP {response.status_code}: {response.text[:200]}")
        try:
            plan = parse(response.json(), self.endpoint)
        except (ValueError, ConfigError) as exc:
            self.metrics.requests.labels("refused").inc()
            self.log.error("plan_refused", error=str(exc),
                           running=None if self.current is None else self.current.version)
            return True
        self.metrics.requests.labels("new").inc()
        if self.current is None or plan.version != self.current.version:
            self.log.info("plan_received", plan=plan.name, version=plan.version,
                          tests=len(plan.tests))
            await self.change(plan)
        return True

    def failed(self, error: str) -> bool:
        self.metrics.requests.labels("failed").inc()
        self.log.warning("plan_request_failed", error=error,
                         running=None if self.current is None else self.current.version)
        return False

    async def change(self, plan: Plan | None) -> None:
        self.keep(plan)
        self.current = plan
        await self.changes.put(plan)

    async def run(self) -> None:
        async with httpx.AsyncClient(timeout=self.upload.timeout) as client:
            while True:
                answered = await self.ask(client)
                every = self.current.poll_every_s if self.current else self.every_s
                wait = every if answered else min(every, RETRY_S)
                # spread: a fleet restarted together does not ask together ever after
                await asyncio.sleep(wait * random.uniform(0.9, 1.1))
