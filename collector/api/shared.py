"""What the routes share: the collector's state for one app, the probe a request's token
names (a dependency, so OpenAPI states the bearer scheme), and the counting of answers."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.exceptions import HTTPException, RequestValidationError
from fastapi.responses import Response
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from netq.collector.admission import InFlight, RatePerProbe
from netq.collector.api.problems import Problem
from netq.collector.leader import Leadership
from netq.collector.metrics import CollectorMetrics
from netq.collector.plans import PlanBook
from netq.collector.slots import SlotBroker
from netq.collector.store import Store


@dataclass
class Collector:
    """One app's state: its store and limits, metrics, plans and slots."""

    store: Store
    metrics: CollectorMetrics
    max_body_bytes: int
    max_records: int
    inflight: InFlight
    rate: RatePerProbe
    book: PlanBook
    broker: SlotBroker
    leadership: Leadership


def collector(request: Request) -> Collector:
    state: Collector = request.app.state.collector
    return state


Shared = Annotated[Collector, Depends(collector)]
_bearer = HTTPBearer(auto_error=False, scheme_name="bearer",
                     description="the probe's token (netq collector token create)")


@dataclass(frozen=True)
class Probe:
    """The probe a request's token names, and the connections registered to it."""

    id: str
    connections: set[str]


async def _probe(shared: Shared, credentials: Annotated[HTTPAuthorizationCredentials | None,
                                                        Depends(_bearer)]) -> Probe:
    if credentials is None or not credentials.credentials.strip():
        raise Problem(401, "a bearer token is required: Authorization: Bearer <token>")
    identity = await run_in_threadpool(shared.store.authenticate,
                                       credentials.credentials.strip())
    if identity is None:
        raise Problem(401, "the token is unknown or revoked")
    wait = shared.rate.wait_s(identity[0])
    if wait:
        shared.metrics.rate_limited.inc()
        raise Problem(429, f"probe {identity[0]} asks more often than {shared.rate.rate:g} "
                           "times a second", retry_after_s=round(wait, 1))
    return Probe(*identity)


Authenticated = Annotated[Probe, Depends(_probe)]
# what any route of a probe's may answer before its own work
PROBE_ANSWERS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no token, or an unknown or revoked one"},
    429: {"description": "this probe asks too often; Retry-After says when to ask again"},
}


def counted(count: Callable[[Request, int], None]) -> type[APIRoute]:
    """Routes whose every answer is counted by `count(request, status)`: refusals raised in
    their dependencies, and failures the framework answers with 500 (or an alert on errors
    would never fire)."""

    class Counted(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handler = super().get_route_handler()

            async def counting(request: Request) -> Response:
                try:
                    response = await handler(request)
                except Problem as exc:
                    count(request, exc.status)
                    raise
                except HTTPException as exc:
                    count(request, exc.status_code)
                    raise
                except RequestValidationError:
                    count(request, 422)
                    raise
                except Exception:
                    count(request, 500)
                    raise
                count(request, response.status_code)
                return response

            return counting

    return Counted

