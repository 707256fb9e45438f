"""`GET /api/v1/plan`: the test plan of the token's probe (collector/plans.py)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from netq.collector.api.problems import Problem
from netq.collector.api.shared import PROBE_ANSWERS, Authenticated, Shared, collector, counted


def _count(request: Request, status: int) -> None:
    collector(request).metrics.plan_requests.labels(str(status)).inc()


router = APIRouter(route_class=counted(_count), responses=PROBE_ANSWERS)


@router.get(
    "/api/v1/plan",
    summary="The test plan of the token's probe (netq.plan/1)",
    responses={
        200: {"description": "the plan; its version is also the ETag"},
        304: {"description": "If-None-Match named the version in force"},
        404: {"description": "no plan meets this probe: it runs its own file's tests"},
    },
)
async def get_plan(request: Request, shared: Shared, probe: Authenticated) -> Response:
    body = await run_in_threadpool(shared.book.for_probe, probe.id, probe.connections)
    if body is None:
        raise Problem(404, f"no plan of the set in force meets probe {probe.id}")
    etag = f'"{body["version"]}"'
    if etag in (t.strip() for t in request.headers.get("if-none-match", "").split(",")):
        return Response(status_code=304, headers={"ETag": etag})
    return JSONResponse(body, headers={"ETag": etag, "Cache-Control": "no-cache"})
