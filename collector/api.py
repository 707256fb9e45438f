"""The probes' API: `POST /api/v1/results` takes a batch of result records from a probe;
`GET /api/v1/plan` gives a probe its test plan (collector/plans.py); `POST /api/v1/slots`
leases a speed test a port of a measurement server (collector/slots.py).

- Bearer token per probe (`netq collector token create`); only its hash is stored.
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
  whole.
- Every `compliance_every_s` the quarter to date is judged from the rollups and published
  as gauges on /metrics, per technology, for dashboards and alerts.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import math
import time
import zlib
from collections.abc import AsyncIterator, Callable, Coroutine
from copy import deepcopy
from datetime import UTC, datetime
from typing import Any, TypeVar

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, generate_latest
from starlette.concurrency import run_in_threadpool

from netq import __version__
from netq.collector.admission import InFlight, RatePerProbe, retry_after
from netq.collector.compliance.engine import compliance, profiles_present
from netq.collector.compliance.quarter import Quarter, minsk_day
from netq.collector.metrics import CollectorMetrics
from netq.collector.plans import PlanBook
from netq.collector.runs import report_status
from netq.collector.slots import MAX_SECONDS, Refusal, SlotBroker
from netq.collector.store import Store
from netq.record import HELD, VERDICTS, rfc3339, schema_text
from netq.sdnotify import keep_alive

MAX_BODY_BYTES = 8 * 1024 * 1024
MAX_RECORDS = 5000
MAX_INFLIGHT_BYTES = 64 * 1024 * 1024
PROBE_REQUESTS_PER_SECOND, PROBE_REQUESTS_BURST = 20.0, 200
# a record is an object with a few of its own (metrics, a round trip's figures) and lists:
# far more objects and arrays than records is a body made to exhaust the parser's memory
CONTAINERS_PER_RECORD = 16
log = structlog.get_logger("netq.collector")


def _batch_schema() -> tuple[dict[str, Any], dict[str, Any]]:
    """The record schema as OpenAPI 3.1 components: its $defs moved beside it."""
    schema = json.loads(schema_text())
    text = json.dumps(schema).replace('"#/$defs/', '"#/components/schemas/')
    schema = json.loads(text)
    # the kinds' facts for the collector (x-longest-test-s) are not for API clients
    components = {name: {k: v for k, v in facts.items() if not k.startswith("x-")}
                  for name, facts in schema.pop("$defs").items()}
    for key in ("$schema", "$id"):
        schema.pop(key, None)
    # The wire schema picks a kind's metrics with if/then, which names the failing field in
    # every refusal; OpenAPI tools (and a generator of requests) read alternatives better,
    # so the API states the same rule as one alternative per kind and failure.
    schema["oneOf"] = [{"properties": {**branch["if"]["properties"],
                                       **branch["then"]["properties"]}}
                       for branch in schema.pop("allOf")]
    components["ResultRecord"] = schema
    batch = {"type": "array", "maxItems": MAX_RECORDS,
             "items": {"$ref": "#/components/schemas/ResultRecord"}}
    return batch, components


def _strings(batch: list[Any], field: str) -> set[str]:
    """The string values of `field` across the batch (anything else is a record's own
    validation problem, answered per record)."""
    return {r[field] for r in batch if isinstance(r, dict) and isinstance(r.get(field), str)}


def problem(status: int, detail: str, **extra: Any) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse({"detail": detail, **extra}, status_code=status, headers=headers)


async def read_limited(request: Request, limit: int) -> bytes | None:
    """The body, or None when it is longer than `limit` (checked while reading: a client
    that lies in Content-Length or streams chunks cannot make us hold more)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


def gunzip_limited(body: bytes, limit: int) -> bytes | str | None:
    """The decompressed body; None when it would be longer than `limit`; a sentence when it
    is not gzip."""
    inflater = zlib.decompressobj(wbits=31)
    try:
        plain = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        return f"the body is not valid gzip: {exc}"
    if len(plain) > limit:
        return None
    if not inflater.eof:
        return "the gzip body is truncated"
    return plain


Answer = TypeVar("Answer", bound=Response)


async def counted(requests: Counter, answering: Coroutine[Any, Any, Answer]) -> Answer:
    """The answer, counted by its status code in `requests`; a failure the framework answers
    with 500 is counted too, or an alert on errors would never fire."""
    try:
        response = await answering
    except Exception:
        requests.labels("500").inc()
        raise
    requests.labels(str(response.status_code)).inc()
    return response


def create_app(store: Store, max_body_bytes: int = MAX_BODY_BYTES,
               max_records: int = MAX_RECORDS, compliance_every_s: float = 300,
               max_inflight_bytes: int = MAX_INFLIGHT_BYTES,
               rate: RatePerProbe | None = None) -> FastAPI:
    metrics = CollectorMetrics()
    inflight = InFlight(max_inflight_bytes)
    rate = rate or RatePerProbe(PROBE_REQUESTS_PER_SECOND, PROBE_REQUESTS_BURST)
    book = PlanBook(store)
    broker = SlotBroker()
    metrics.slot_leases.set_function(lambda: broker.holding(time.monotonic()))

    def refresh_compliance() -> None:
        quarter = Quarter.of(datetime.now(UTC))
        names: list[str | None] = [
            n for n in profiles_present(store, quarter) if n in store.norms.names()]
        metrics.publish_compliance([
            compliance(store, quarter, name, breakdown="technology", evidence=False)
            for name in names or [None]])
        today = minsk_day(datetime.now(UTC))
        quarters = report_status(store, today)
        metrics.publish_deadline(quarters[-1] if quarters else None)
        metrics.publish_line_norms(store.norms, today)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        tasks = [asyncio.create_task(keep_alive())]  # systemd: ready, then the watchdog
        if compliance_every_s > 0:
            tasks.append(asyncio.create_task(every(compliance_every_s, refresh_compliance)))
        yield
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    app = FastAPI(title="netq collector", version=__version__, lifespan=lifespan,
                  description="Takes result records (wire format netq.result/1) from probes.")
    batch_schema, components = _batch_schema()

    def _observe(records: list[dict[str, Any]]) -> None:
        # a batch is one probe's, mostly one connection and day: one registry look-up each
        tariff_at = functools.lru_cache(maxsize=None)(store.connection_at)
        for record in records:
            metrics.observe(record, tariff_at)

    @app.post(
        "/api/v1/results",
        summary="Store a batch of result records",
        openapi_extra={
            "requestBody": {"required": True,
                            "content": {"application/json": {"schema": batch_schema}}},
            "security": [{"bearer": []}],
        },
        responses={
            200: {"description": "every record accepted or already stored"},
            400: {"description": "the body is not JSON (or not gzip, or nested too deeply)"},
            401: {"description": "no token, or an unknown or revoked one"},
            403: {"description": "records of another probe or connection; nothing stored"},
            413: {"description": "body or batch too large; nothing stored"},
            415: {"description": "not application/json, or an unsupported content-encoding"},
            422: {"description": "some records not stored (conflict, unregistered, rejected; "
                                 "reasons given); the rest stored"},
        },
    )
    async def post_results(request: Request) -> JSONResponse:
        return await counted(metrics.requests, _post_results(request))

    async def authenticated(request: Request) -> tuple[str, set[str]] | JSONResponse:
        """(probe id, its connections) of the request's bearer token, or the 401 answer."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return problem(401, "a bearer token is required: Authorization: Bearer <token>")
        identity = await run_in_threadpool(store.authenticate, token.strip())
        if identity is None:
            return problem(401, "the token is unknown or revoked")
        wait = rate.wait_s(identity[0])
        if wait:
            metrics.rate_limited.inc()
            answer = problem(429, f"probe {identity[0]} asks more often than "
                                  f"{rate.rate:g} times a second", retry_after_s=round(wait, 1))
            answer.headers.update(retry_after(wait))
            return answer
        return identity

    async def _post_results(request: Request) -> JSONResponse:
        identity = await authenticated(request)
        if isinstance(identity, JSONResponse):
            return identity
        probe_id, allowed = identity
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type != "application/json" and not media_type.endswith("+json"):
            return problem(415, f"the body must be application/json, not {media_type or 'untyped'}")
        encoding = request.headers.get("content-encoding", "identity").strip().lower()
        if encoding not in ("identity", "gzip"):
            return problem(415, f"content-encoding {encoding} is not supported (gzip is)")
        declared = request.headers.get("content-length", "")
        held = min(int(declared), max_body_bytes) if declared.isdigit() else max_body_bytes
        if not inflight.take(held):
            return busy()
        try:
            return await _store_batch(request, probe_id, allowed, encoding, held)
        finally:
            inflight.give(held)

    def busy() -> JSONResponse:
        metrics.busy.inc()
        answer = problem(503, f"the collector is parsing {inflight.held:,} bytes of other "
                              "batches; send this one again shortly", retry_after_s=5)
        answer.headers.update(retry_after(5))
        return answer

    async def _store_batch(request: Request, probe_id: str, allowed: set[str], encoding: str,
                           held: int) -> JSONResponse:
        body = await read_limited(request, max_body_bytes)
        if body is not None and encoding == "gzip":
            inflated = gunzip_limited(body, max_body_bytes)
            if isinstance(inflated, str):
                return problem(400, inflated)
            if isinstance(inflated, bytes) and len(inflated) > held:
                more = len(inflated) - held
                if not inflight.take(more):
                    return busy()
                try:
                    return await _parsed(inflated, probe_id, allowed)
                finally:
                    inflight.give(more)
            body = inflated
        if body is None:
            return problem(413, f"the body is larger than {max_body_bytes} bytes")
        return await _parsed(body, probe_id, allowed)

    async def _parsed(body: bytes, probe_id: str, allowed: set[str]) -> JSONResponse:
        containers = body.count(b"{") + body.count(b"[")
        if containers > max_records * CONTAINERS_PER_RECORD:
            return problem(413, f"{containers:,} JSON objects and arrays in one body; a batch "
                                f"of {max_records} records has at most "
                                f"{max_records * CONTAINERS_PER_RECORD:,}")
        try:
            batch = json.loads(body)
        except ValueError as exc:
            return problem(400, f"the body is not JSON: {exc}")
        except RecursionError:
            return problem(400, "the body is nested too deeply to be a batch of records")
        if not isinstance(batch, list):
            return problem(422, "the body must be a JSON array of result records")
        if len(batch) > max_records:
            return problem(413, f"{len(batch)} records in one batch; at most {max_records}")
        foreign = sorted(_strings(batch, "connection_id") - allowed)
        other_probes = sorted(_strings(batch, "probe_id") - {probe_id})
        if other_probes or foreign:
            reason = (f"probe_id {', '.join(other_probes)} is not this token's probe "
                      f"({probe_id})" if other_probes else
                      f"connection_id {', '.join(foreign)} is not registered to probe {probe_id}")
            return problem(403, f"{reason}; nothing of the batch was stored")
        answers = await run_in_threadpool(store.ingest, batch, allowed, text=body)
        metrics.probe_seen(probe_id)
        for answer in answers:
            metrics.records.labels(answer.status).inc()
            if answer.status == "accepted" and answer.reasons:  # its plan never applied
                metrics.unknown_plan.inc()
                log.warning("record_of_an_unknown_plan", probe_id=probe_id, id=answer.id,
                            reasons=list(answer.reasons))
            if answer.status in ("conflict", "rejected"):
                log.warning("record_not_stored", probe_id=probe_id, id=answer.id,
                            status=answer.status, reasons=list(answer.reasons))
        accepted = [record for record, answer in zip(batch, answers, strict=True)
                    if answer.status == "accepted"]
        await run_in_threadpool(_observe, accepted)
        counts = {verdict: sum(a.status == verdict for a in answers) for verdict in VERDICTS}
        held = sum(counts[verdict] for verdict in HELD)
        return JSONResponse({**counts, "results": [a.to_json() for a in answers]},
                            status_code=200 if held == len(answers) else 422)

    @app.get(
        "/api/v1/plan",
        summary="The test plan of the token's probe (netq.plan/1)",
        openapi_extra={"security": [{"bearer": []}]},
        responses={
            200: {"description": "the plan; its version is also the ETag"},
            304: {"description": "If-None-Match named the version in force"},
            401: {"description": "no token, or an unknown or revoked one"},
            404: {"description": "no plan meets this probe: it runs its own file's tests"},
        },
    )
    async def get_plan(request: Request) -> Response:
        return await counted(metrics.plan_requests, _get_plan(request))

    async def _get_plan(request: Request) -> Response:
        identity = await authenticated(request)
        if isinstance(identity, JSONResponse):
            return identity
        probe_id, allowed = identity
        body = await run_in_threadpool(book.for_probe, probe_id, allowed)
        if body is None:
            return problem(404, f"no plan of the set in force meets probe {probe_id}")
        etag = f'"{body["version"]}"'
        if etag in (t.strip() for t in request.headers.get("if-none-match", "").split(",")):
            return Response(status_code=304, headers={"ETag": etag})
        return JSONResponse(body, headers={"ETag": etag, "Cache-Control": "no-cache"})

    @app.post(
        "/api/v1/slots",
        summary="Lease a slot on a measurement server's port for an exclusive test",
        openapi_extra={
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["server", "seconds"],
                "additionalProperties": False,
                "properties": {"server": {"type": "string", "minLength": 1, "maxLength": 64},
                               "seconds": {"type": "number", "minimum": 1,
                                           "maximum": MAX_SECONDS}}}}}},
            "security": [{"bearer": []}],
        },
        responses={
            200: {"description": "the lease: target host:port, the wait before it starts, and "
                                 "its seconds (at most what the probe's plan's longest test "
                                 "on that server holds)"},
            401: {"description": "no token, or an unknown or revoked one"},
            404: {"description": "no such server in this probe's plan"},
            422: {"description": "the request is not {server, seconds}"},
            503: {"description": "no port free within the horizon; Retry-After says when"},
        },
    )
    async def post_slot(request: Request) -> Response:
        identity = await authenticated(request)
        if isinstance(identity, JSONResponse):
            return count_slot(identity, "refused")
        try:
            asked = json.loads(await read_limited(request, 4096) or b"")
        except (ValueError, RecursionError):
            asked = None
        seconds = asked.get("seconds") if isinstance(asked, dict) else None
        if not isinstance(asked, dict) or set(asked) != {"server", "seconds"} or \
                not isinstance(asked["server"], str) or isinstance(seconds, bool) or \
                not isinstance(seconds, int | float) or not 1 <= seconds <= MAX_SECONDS:
            return count_slot(problem(422, "the body must be {\"server\": NAME, \"seconds\": "
                                           f"1…{MAX_SECONDS:g}}}"), "refused")
        served = await run_in_threadpool(book.server_for, identity[0], identity[1],
                                         asked["server"])
        if served is None:
            return count_slot(problem(404, f"no server {asked['server']!r} in the plan of "
                                           f"probe {identity[0]}"), "refused")
        server, holds_s = served
        clock, wall = time.monotonic(), time.time()
        granted = broker.lease(identity[0], server, min(float(seconds), holds_s), clock)
        if isinstance(granted, Refusal):
            return count_slot(problem(
                503, f"every port of {server.name} is taken for the next "
                     f"{broker.horizon_s:g} s", retry_after_s=granted.retry_after_s),
                "full", {"Retry-After": str(math.ceil(granted.retry_after_s))})
        metrics.slot_wait.observe(granted.start - clock)
        return count_slot(JSONResponse({
            "lease": granted.id, "target": f"{server.host}:{granted.port}",
            "wait_s": round(granted.start - clock, 3),
            "start_at": rfc3339(datetime.fromtimestamp(wall + granted.start - clock, UTC)),
            "seconds": round(granted.end - granted.start, 3)}), "granted")

    @app.delete("/api/v1/slots/{lease}", summary="Give a slot back: the test is over",
                openapi_extra={"security": [{"bearer": []}]},
                responses={204: {"description": "released"},
                           401: {"description": "no token, or an unknown or revoked one"},
                           404: {"description": "no such lease of this probe, or over"}})
    async def delete_slot(lease: str, request: Request) -> Response:
        identity = await authenticated(request)
        if isinstance(identity, JSONResponse):
            return identity
        if not broker.release(lease, identity[0], time.monotonic()):
            return problem(404, f"no lease {lease} of probe {identity[0]} is held")
        metrics.slot_requests.labels("released").inc()
        return Response(status_code=204)

    def count_slot(response: Response, result: str,
                   headers: dict[str, str] | None = None) -> Response:
        metrics.slot_requests.labels(result).inc()
        response.headers.update(headers or {})
        return response

    @app.get("/healthz", summary="The process is alive")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", summary="The store takes writes",
             responses={503: {"description": "the store cannot be written"}})
    def readyz() -> JSONResponse:
        try:
            store.check_writable()
        except Exception as exc:  # any failure of the store means not ready
            return problem(503, f"the store cannot be written: {type(exc).__name__}")
        return JSONResponse({"status": "ready"})

    @app.get("/metrics", summary="Prometheus metrics", response_class=PlainTextResponse)
    def prometheus_metrics() -> PlainTextResponse:
        return PlainTextResponse(generate_latest(metrics.registry),
                                 media_type=CONTENT_TYPE_LATEST)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            from fastapi.openapi.utils import get_openapi

            spec = get_openapi(title=app.title, version=app.version,
                               description=app.description, routes=app.routes)
            spec.setdefault("components", {}).setdefault("schemas", {}).update(
                deepcopy(components))
            spec["components"]["securitySchemes"] = {"bearer": {"type": "http",
                                                                "scheme": "bearer"}}
            app.openapi_schema = spec
        return app.openapi_schema

    # FastAPI's documented way to publish a custom schema; mypy sees a method replaced
    app.openapi = openapi  # type: ignore[method-assign]
    return app


async def every(seconds: float, work: Callable[[], None]) -> None:
    """Run blocking `work` off the event loop now and every `seconds`; a failure is logged
    and retried next time, never the end of the collector."""
    loop = asyncio.get_running_loop()
    while True:
        try:
            await loop.run_in_executor(None, work)
        except Exception:  # the store may be away for a moment; ingest goes on regardless
            log.exception("compliance_refresh_failed")
        await asyncio.sleep(seconds)
