"""`POST /api/v1/results`: a probe's batch of result records, each answered on its own.

The body is bounded before it is parsed: its bytes (also once gunzipped), the bytes of all
bodies in the collector's hands at once (503 beyond), and its JSON objects and arrays (a
body of millions of empty objects would cost gigabytes to parse)."""

from __future__ import annotations

import contextlib
import json
import zlib
from collections.abc import Iterator
from typing import Any

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from netq.collector.api.problems import Problem
from netq.collector.api.shared import (
    PROBE_ANSWERS,
    Authenticated,
    Collector,
    Shared,
    collector,
    counted,
)
from netq.record import HELD, VERDICTS, schema_text

MAX_BODY_BYTES = 8 * 1024 * 1024
MAX_RECORDS = 5000
# a record is an object with a few of its own (metrics, a round trip's figures) and lists:
# far more objects and arrays than records is a body made to exhaust the parser's memory
CONTAINERS_PER_RECORD = 16
log = structlog.get_logger("netq.collector")


def batch_schema() -> tuple[dict[str, Any], dict[str, Any]]:
    """The batch's schema, and the record schema as OpenAPI 3.1 components (its $defs
    moved beside it)."""
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


def gunzip_limited(body: bytes, limit: int) -> bytes | None:
    """The decompressed body; None when it would be longer than `limit`."""
    inflater = zlib.decompressobj(wbits=31)
    try:
        plain = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise Problem(400, f"the body is not valid gzip: {exc}") from None
    if len(plain) > limit:
        return None
    if not inflater.eof:
        raise Problem(400, "the gzip body is truncated")
    return plain


def _strings(batch: list[Any], field: str) -> set[str]:
    """The string values of `field` across the batch (anything else is a record's own
    validation problem, answered per record)."""
    return {r[field] for r in batch if isinstance(r, dict) and isinstance(r.get(field), str)}


def _count(request: Request, status: int) -> None:
    collector(request).metrics.requests.labels(str(status)).inc()


router = APIRouter(route_class=counted(_count), responses=PROBE_ANSWERS)
BATCH, COMPONENTS = batch_schema()


@router.post(
    "/api/v1/results",
    summary="Store a batch of result records",
    openapi_extra={"requestBody": {"required": True,
                                   "content": {"application/json": {"schema": BATCH}}}},
    responses={
        200: {"description": "every record accepted or already stored"},
        400: {"description": "the body is not JSON (or not gzip, or nested too deeply)"},
        403: {"description": "records of another probe or connection; nothing stored"},
        413: {"description": "body or batch too large; nothing stored"},
        415: {"description": "not application/json, or an unsupported content-encoding"},
        422: {"description": "some records not stored (conflict, unregistered, rejected; "
                             "reasons given); the rest stored"},
        503: {"description": "the collector holds its most bytes of batches; send it again "
                             "after Retry-After"},
    },
)
async def post_results(request: Request, shared: Shared, probe: Authenticated) -> JSONResponse:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise Problem(415, f"the body must be application/json, not {media_type or 'untyped'}")
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("identity", "gzip"):
        raise Problem(415, f"content-encoding {encoding} is not supported (gzip is)")
    declared = request.headers.get("content-length", "")
    limit = shared.max_body_bytes
    held = min(int(declared), limit) if declared.isdigit() else limit
    with _holding(shared, held):
        body = await read_limited(request, limit)
        if body is not None and encoding == "gzip":
            body = gunzip_limited(body, limit)
        if body is None:
            raise Problem(413, f"the body is larger than {limit} bytes")
        with _holding(shared, max(0, len(body) - held)):
            return await _stored(shared, probe, body)


@contextlib.contextmanager
def _holding(shared: Collector, n: int) -> Iterator[None]:
    """`n` bytes counted as in the collector's hands while the block runs; 503 when they
    would be beyond its bound."""
    if n and not shared.inflight.take(n):
        shared.metrics.busy.inc()
        raise Problem(503, f"the collector is parsing {shared.inflight.held:,} bytes of other "
                           "batches; send this one again shortly", retry_after_s=5)
    try:
        yield
    finally:
        if n:
            shared.inflight.give(n)


async def _stored(shared: Collector, probe: Authenticated, body: bytes) -> JSONResponse:
    most = shared.max_records
    containers = body.count(b"{") + body.count(b"[")
    if containers > most * CONTAINERS_PER_RECORD:
        raise Problem(413, f"{containers:,} JSON objects and arrays in one body; a batch of "
                           f"{most} records has at most {most * CONTAINERS_PER_RECORD:,}")
    try:
        batch = json.loads(body)
    except ValueError as exc:
        raise Problem(400, f"the body is not JSON: {exc}") from None
    except RecursionError:
        raise Problem(400, "the body is nested too deeply to be a batch of records") from None
    if not isinstance(batch, list):
        raise Problem(422, "the body must be a JSON array of result records")
    if len(batch) > most:
        raise Problem(413, f"{len(batch)} records in one batch; at most {most}")
    foreign = sorted(_strings(batch, "connection_id") - probe.connections)
    other_probes = sorted(_strings(batch, "probe_id") - {probe.id})
    if other_probes or foreign:
        reason = (f"probe_id {', '.join(other_probes)} is not this token's probe "
                  f"({probe.id})" if other_probes else
                  f"connection_id {', '.join(foreign)} is not registered to probe {probe.id}")
        raise Problem(403, f"{reason}; nothing of the batch was stored")
    answers = await run_in_threadpool(shared.store.ingest, batch, probe.connections, text=body)
    metrics = shared.metrics
    metrics.probe_seen(probe.id)
    for answer in answers:
        metrics.records.labels(answer.status).inc()
        if answer.status == "accepted" and answer.reasons:  # its plan never applied
            metrics.unknown_plan.inc()
            log.warning("record_of_an_unknown_plan", probe_id=probe.id, id=answer.id,
                        reasons=list(answer.reasons))
        if answer.status in ("conflict", "rejected"):
            log.warning("record_not_stored", probe_id=probe.id, id=answer.id,
                        status=answer.status, reasons=list(answer.reasons))
    counts = {verdict: sum(a.status == verdict for a in answers) for verdict in VERDICTS}
    held = sum(counts[verdict] for verdict in HELD)
    return JSONResponse({**counts, "results": [a.to_json() for a in answers]},
                        status_code=200 if held == len(answers) else 422)
