"""For the operator's monitoring: liveness, readiness (the store takes a write) and the
Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from netq.collector.api.problems import Problem
from netq.collector.api.shared import Shared

router = APIRouter()


@router.get("/healthz", summary="The process is alive")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="The store takes writes",
            responses={503: {"description": "the store cannot be written"}})
def readyz(shared: Shared) -> JSONResponse:
    try:
        shared.store.check_writable()
    except Exception as exc:  # any failure of the store means not ready
        raise Problem(503, f"the store cannot be written: {type(exc).__name__}") from None
    return JSONResponse({"status": "ready"})


@router.get("/metrics", summary="Prometheus metrics", response_class=PlainTextResponse)
def prometheus_metrics(shared: Shared) -> PlainTextResponse:
    return PlainTextResponse(generate_latest(shared.metrics.registry),
                             media_type=CONTENT_TYPE_LATEST)
