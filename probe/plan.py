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
from netq.files import replace, text_of
from netq.probe.config import Server, Test, Upload, parse_test
from netq.probe.envelope import REASONS, Envelope, Refusal

RETRY_S = 60  # after a failed request, at most this long before asking again


@dataclass(frozen=True)
class Refused:
    """A test of the plan the probe will not run: where it is in the plan, and why."""

    index: int
    kind: str
    refusal: Refusal


@dataclass(frozen=True)
class Plan:
    name: str
    version: str
    poll_every_s: float
    tests: tuple[Test, ...]  # those within the probe's envelope
    servers: dict[str, Server]
    body: dict[str, Any]
    refused: tuple[Refused, ...] = ()


def parse(body: Any, source: str, envelope: Envelope) -> Plan:
    """The plan in `body` (netq.plan/1), or a ConfigError naming what is wrong; its tests
    outside `envelope` refused one by one, the rest kept."""
    found = wire.problems(body)
    if found:
        raise ConfigError(f"{source}: {'; '.join(found)}")
    document = yamlfile.Document(f"{source} {body['name']} {body['version']}", body)
    servers = {name: document.validate(Server, fields, ("servers", name))
               for name, fields in body["servers"].items()}
    tests, refused = [], []
    for index, fields in enumerate(body["tests"]):
        test = parse_test(document, ("tests", index), servers)
        refusal = Refusal("tests", f"the plan's test number {index + 1}; the probe runs at "
                                   f"most {envelope.limits.tests_max} (limits.tests_max)") \
            if index >= envelope.limits.tests_max else \
            envelope.refusal(test.kind, test.params, test.every, fields)
        if refusal is None:
            tests.append(test)
        else:
            refused.append(Refused(index, test.kind, refusal))
    return Plan(body["name"], body["version"], float(body["poll_every_s"]), tuple(tests),
                servers, body, tuple(refused))


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
        self.refused = Gauge("netq_probe_plan_tests_refused", "Tests of the central plan in "
                             "force that the probe refuses to run, outside its safety "
                             "envelope (probe.yaml limits), by reason.", ["reason"],
                             registry=registry)
        for reason in REASONS:
            self.refused.labels(reason)

    def running(self, plan: Plan | None) -> None:
        self.info.clear()
        for reason in REASONS:
            self.refused.labels(reason).set(
                0 if plan is None else sum(1 for r in plan.refused
                                           if r.refusal.reason == reason))
        if plan is not None:
            self.info.labels(plan.name, plan.version).set(1)


class PlanSource:
    """Asks for the plan and hands each change to the daemon through `changes`."""

    def __init__(self, upload: Upload, cache: Path, envelope: Envelope, metrics: PlanMetrics,
                 log: FilteringBoundLogger) -> None:
        self.endpoint = upload.url.rstrip("/") + "/api/v1/plan"
        self.upload = upload
        self.cache = cache
        self.envelope = envelope
        self.every_s = upload.plan_every
        self.metrics = metrics
        self.log = log
        self.changes: asyncio.Queue[Plan | None] = asyncio.Queue()
        self.current: Plan | None = None

    def cached(self) -> Plan | None:
        """The plan kept on disk, when there is a good one."""
        try:
            body = json.loads(self.cache.read_text("utf-8"))
            plan = parse(body, str(self.cache), self.envelope)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, ConfigError) as exc:
            self.log.warning("plan_cache_unusable", path=str(self.cache), error=str(exc))
            return None
        self.current = plan
        self.tell_refused(plan)
        return plan

    def tell_refused(self, plan: Plan) -> None:
        for refused in plan.refused:
            self.log.warning("plan_test_refused", plan=plan.name, version=plan.version,
                             test=refused.index, kind=refused.kind,
                             reason=refused.refusal.reason, why=refused.refusal.text)

    def keep(self, plan: Plan | None) -> None:
        """On disk before it is run: written whole or not at all."""
        if plan is None:
            with contextlib.suppress(FileNotFoundError):
                self.cache.unlink()
            return
        replace(self.cache, text_of(json.dumps(plan.body, ensure_ascii=False)), 0o600)

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
            plan = parse(response.json(), self.endpoint, self.envelope)
        except (ValueError, ConfigError) as exc:
            self.metrics.requests.labels("refused").inc()
            self.log.error("plan_refused", error=str(exc),
                           running=None if self.current is None else self.current.version)
            return True
        self.metrics.requests.labels("new").inc()
        if self.current is None or plan.version != self.current.version:
            self.log.info("plan_received", plan=plan.name, version=plan.version,
                          tests=len(plan.tests), refused=len(plan.refused))
            self.tell_refused(plan)
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
