"""The probes' API, one router per resource: `POST /api/v1/results` takes a batch of result
records from a probe (results.py); `GET /api/v1/plan` gives a probe its test plan (plan.py);
`POST /api/v1/slots` leases a speed test a port of a measurement server (slots.py); and the
operator's `/healthz`, `/readyz` and `/metrics` (health.py).

- Bearer token per probe (`netq collector token create`); only its hash is stored. Each
  probe asks at most `rate` times a second over every endpoint (429 with Retry-After).
- A probe writes only its own records, for the connections registered to it: otherwise
  401/403 and nothing of the batch is written.
- Each record is answered on its own: accepted; duplicate (already stored with the same
  content: idempotent on `id`); conflict (the id is stored with other content or from another
  probe: the stored record is kept); unregistered (its connection is not in the registry yet:
  send it again later); rejected, with its reasons. 200 when every record is held (accepted
  or duplicate), else 422; what was accepted is committed before the answer either way, so
  the probe can let it go. No record's problem is ever another record's 500.
- Bodies over the size limit (413, also once gunzipped), batches over the record limit
  (413), a body that is not application/json or has an encoding other than gzip (415),
  malformed or too deeply nested JSON (400) and a body that is not an array (422) are refused
  whole; beyond `max_inflight_bytes` of bodies at once, 503 with Retry-After.
- Every `compliance_every_s` the quarter to date is judged from the rollups and published
  as gauges on /metrics, per technology, for dashboards and alerts; every `lines_every_s`
  the lines' latest readings and the slot leases are read from the store. Of several
  collectors on one store only the leader (leader.py) does either, so each is exported once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from copy import deepcopy
from datetime import UTC, datetime
from typing import Any

import structlog
from fastapi import FastAPI

from netq import __version__
from netq.collector import readings
from netq.collector.admission import InFlight, RatePerProbe
from netq.collector.api import health, plan, results, slots
from netq.collector.api.problems import Problem, answer
from netq.collector.api.shared import Collector
from netq.collector.compliance.engine import compliance_read, profiles_present
from netq.collector.compliance.quarter import Quarter, minsk_day
from netq.collector.leader import Leadership
from netq.collector.metrics import CollectorMetrics
from netq.collector.plans import PlanBook
from netq.collector.runs import report_status
from netq.collector.slots import SlotBroker
from netq.collector.store import Store
from netq.sdnotify import keep_alive

MAX_INFLIGHT_BYTES = 64 * 1024 * 1024
PROBE_REQUESTS_PER_SECOND, PROBE_REQUESTS_BURST = 20.0, 200
log = structlog.get_logger("netq.collector")


def create_app(store: Store, max_body_bytes: int = results.MAX_BODY_BYTES,
               max_records: int = results.MAX_RECORDS, compliance_every_s: float = 300,
               max_inflight_bytes: int = MAX_INFLIGHT_BYTES,
               rate: RatePerProbe | None = None, lines_every_s: float = 30) -> FastAPI:
    shared = Collector(
        store=store, metrics=CollectorMetrics(), max_body_bytes=max_body_bytes,
        max_records=max_records, inflight=InFlight(max_inflight_bytes),
        rate=rate or RatePerProbe(PROBE_REQUESTS_PER_SECOND, PROBE_REQUESTS_BURST),
        book=PlanBook(store), broker=SlotBroker(store.engine),
        leadership=Leadership(store.engine))

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        tasks = [asyncio.create_task(keep_alive())]  # systemd: ready, then the watchdog
        for seconds, work in ((compliance_every_s, refresh_compliance),
                              (lines_every_s, refresh_lines)):
            if seconds > 0:
                tasks.append(asyncio.create_task(every(seconds, led(shared, work))))
        yield
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        shared.leadership.close()

    app = FastAPI(title="netq collector", version=__version__, lifespan=lifespan,
                  description="Takes result records (wire format netq.result/1) from probes.")
    app.state.collector = shared
    app.add_exception_handler(Problem, answer)
    for resource in (results, plan, slots, health):
        app.include_router(resource.router)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            from fastapi.openapi.utils import get_openapi

            spec = get_openapi(title=app.title, version=app.version,
                               description=app.description, routes=app.routes)
            spec.setdefault("components", {}).setdefault("schemas", {}).update(
                deepcopy(results.COMPONENTS))
            app.openapi_schema = spec
        return app.openapi_schema

    # FastAPI's documented way to publish a custom schema; mypy sees a method replaced
    app.openapi = openapi  # type: ignore[method-assign]
    return app


def led(shared: Collector, work: Callable[[Collector], None]) -> Callable[[], None]:
    """`work` done while this collector leads; while another does, none of the store's
    gauges are exported here."""
    def run() -> None:
        if shared.leadership.held():
            shared.metrics.leader.set(1)
            work(shared)
        else:
            shared.metrics.follow()

    return run


def refresh_lines(shared: Collector) -> None:
    """Every line's latest readings and the slot leases held, as the store has them."""
    with shared.store.engine.connect() as db:
        lines = readings.latest(db)
    shared.metrics.publish_lines(lines, shared.broker.holding())


def refresh_compliance(shared: Collector) -> None:
    """The quarter to date judged and published as gauges, with the report's deadline and
    the lines' norms."""
    store, metrics = shared.store, shared.metrics
    quarter = Quarter.of(datetime.now(UTC))
    names: list[str | None] = [
        n for n in profiles_present(store, quarter) if n in store.norms.names()]
    metrics.publish_compliance([
        compliance_read(store, quarter, name, breakdown="technology", evidence=False)[1]
        for name in names or [None]])
    today = minsk_day(datetime.now(UTC))
    quarters = report_status(store, today)
    metrics.publish_deadline(quarters[-1] if quarters else None)
    metrics.publish_line_norms(store.norms, today)


async def every(seconds: float, work: Callable[[], None]) -> None:
    """Run blocking `work` off the event loop now and every `seconds`; a failure is logged
    and retried next time, never the end of the collector."""
    loop = asyncio.get_running_loop()
    while True:
        try:
            await loop.run_in_executor(None, work)
        except Exception:  # the store may be away for a moment; ingest goes on regardless
            log.exception("store_gauges_refresh_failed")
        await asyncio.sleep(seconds)
