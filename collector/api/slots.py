"""`POST /api/v1/slots` leases a speed test a port of a measurement server of the probe's
own plan (collector/slots.py); `DELETE /api/v1/slots/{lease}` gives it back."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from netq.collector.api.problems import Problem
from netq.collector.api.results import read_limited
from netq.collector.api.shared import PROBE_ANSWERS, Authenticated, Shared, collector, counted
from netq.collector.slots import MAX_SECONDS, Refusal
from netq.record import rfc3339

BODY_BYTES_MAX = 4096


class SlotRequest(BaseModel):
    """What a probe asks for: a server of its plan, and for how long."""

    model_config = ConfigDict(extra="forbid", strict=True)
    server: str = Field(min_length=1, max_length=64, description="a server of the plan")
    seconds: float = Field(ge=1, le=MAX_SECONDS, description="how long the test holds the "
                                                            "port: warm-up, measured, set-up")


def _count(request: Request, status: int) -> None:
    result = {200: "granted", 204: "released", 503: "full"}.get(status, "refused")
    collector(request).metrics.slot_requests.labels(result).inc()


router = APIRouter(route_class=counted(_count), responses=PROBE_ANSWERS)


@router.post(
    "/api/v1/slots",
    summary="Lease a slot on a measurement server's port for an exclusive test",
    # read and validated here (a body of at most BODY_BYTES_MAX), described by the same model
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
        "schema": SlotRequest.model_json_schema()}}}},
    responses={
        200: {"description": "the lease: target host:port, the wait before it starts, and "
                             "its seconds (at most what the probe's plan's longest test on "
                             "that server holds)"},
        404: {"description": "no such server in this probe's plan"},
        422: {"description": "the request is not {server, seconds}"},
        503: {"description": "no port free within the horizon; Retry-After says when"},
    },
)
async def post_slot(request: Request, shared: Shared, probe: Authenticated) -> JSONResponse:
    try:
        asked = SlotRequest.model_validate_json(
            await read_limited(request, BODY_BYTES_MAX) or b"")
    except ValidationError:
        raise Problem(422, f'the body must be {{"server": NAME, "seconds": 1…{MAX_SECONDS:g}}}'
                      ) from None
    served = await run_in_threadpool(shared.book.server_for, probe.id, probe.connections,
                                     asked.server)
    if served is None:
        raise Problem(404, f"no server {asked.server!r} in the plan of probe {probe.id}")
    server, holds_s = served
    granted = await run_in_threadpool(shared.broker.lease, probe.id, server,
                                      min(asked.seconds, holds_s))
    if isinstance(granted, Refusal):
        raise Problem(503, f"every port of {server.name} is taken for the next "
                           f"{shared.broker.horizon_s:g} s", retry_after_s=granted.retry_after_s)
    shared.metrics.slot_wait.observe(granted.wait_s)
    return JSONResponse({
        "lease": granted.id, "target": f"{server.host}:{granted.port}",
        "wait_s": round(granted.wait_s, 3),
        # on this collector's clock: a probe whose clock is off still waits `wait_s`
        "start_at": rfc3339(datetime.fromtimestamp(time.time() + granted.wait_s, UTC)),
        "seconds": round(granted.end - granted.start, 3)})


@router.delete("/api/v1/slots/{lease}", summary="Give a slot back: the test is over",
               status_code=204,
               responses={204: {"description": "released"},
                          404: {"description": "no such lease of this probe, or over"}})
async def delete_slot(lease: str, shared: Shared, probe: Authenticated) -> Response:
    if not await run_in_threadpool(shared.broker.release, lease, probe.id):
        raise Problem(404, f"no lease {lease} of probe {probe.id} is held")
    return Response(status_code=204)
