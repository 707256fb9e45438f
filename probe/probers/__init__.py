"""The probers, one module per test kind, each describing itself; the table is `record.Kind`.

The shape follows Prometheus blackbox_exporter's prober/ and perfSONAR pScheduler's test
plugins: each module `probe/probers/KIND.py` ends with

    PROBER = Prober(Params, probe, scheduling=..., every=..., observer=...)

where `Params` (a ProberParams) is what the test needs, and also its CLI options and its
config keys; `probe(params, log) -> Outcome` runs one test; the scheduling class tells the
daemon how to run it; `observer` puts its last result on the probe's /metrics. Nothing
outside this package names a kind: adding one means writing its module, adding its name to
`record.Kind`, and describing its metrics in the record schema.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from prometheus_client import CollectorRegistry
from pydantic import BaseModel, ConfigDict
from structlog.typing import FilteringBoundLogger

from netq.record import KINDS, Kind, Outcome

# exclusive: one at a time on a probe, and deferred while the subscriber uses the line (a
#   speed test would measure the subscriber's traffic, and load the line they pay for);
# background: at a random moment of each period, beside anything else;
# continuous: on the clock, every period; the checks are up/down states that the daemon
#   folds into interval records instead of keeping each one.
Scheduling = Literal["exclusive", "background", "continuous"]


class ProberParams(BaseModel):
    """Base of every prober's parameters: strict, so a typo in a config key is an error."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def target_text(self) -> str:
        """The record's `target`: what was tested against."""
        target = getattr(self, "target", "")
        return ",".join(target) if isinstance(target, list | tuple) else str(target)


@dataclass(frozen=True)
class LineLoad:
    """What one test puts on the subscriber's line, for the probe's safety envelope."""

    seconds: float = 0.0  # that it holds the line
    streams: int = 0  # parallel TCP connections
    packets_per_second: float = 0.0


def no_load(params: Any) -> LineLoad:
    """A few packets at a time: nothing the envelope bounds beyond its period."""
    return LineLoad()


def aimed_at(params: Any) -> list[str]:
    """The targets a test sends to: its `target`, one or several."""
    target = getattr(params, "target", None)
    return [] if target is None else list(target) if isinstance(target, list | tuple) \
        else [str(target)]


ProbeFn = Callable[[Any, FilteringBoundLogger], Awaitable[Outcome]]
Observe = Callable[[Outcome], None]


def unobserved(registry: CollectorRegistry) -> Observe:
    """For a kind with nothing of its own on /metrics: the probe's counters are enough."""
    return lambda outcome: None


@dataclass(frozen=True)
class Prober:
    params: type[ProberParams]
    probe: ProbeFn
    scheduling: Scheduling = "background"
    every: float | None = None  # the default period, s; None: the config must give one
    # registers the kind's gauges on the probe's registry; returns what updates them
    observer: Callable[[CollectorRegistry], Observe] = unobserved
    # the metrics a record of the test carries before anything is measured: a speed test
    # deferred before it started, the fixed part of a continuous test's intervals
    unmeasured: Callable[[Any], dict[str, Any]] = lambda params: {}
    # for a test that holds its server alone (one iperf3 test per port): seconds it holds
    # it, for a slot of the collector's broker; None: it holds no server
    occupies: Callable[[Any], float] | None = None
    # the probe's safety envelope (probe/envelope.py): what one test puts on the line, where
    # it sends, the shortest period a central plan may ask, and the parameters only the
    # probe's own file may set (programs and paths: a plan never chooses what the box runs)
    load: Callable[[Any], LineLoad] = no_load
    aims: Callable[[Any], list[str]] = aimed_at
    every_min: float = 60.0
    local_only: tuple[str, ...] = ()
    # bytes a finished test put on the line (its outcome's metrics), for the day's budget
    moved: Callable[[Any, Outcome], float] = lambda params, outcome: 0.0
    # the options of one `netq probe measure KIND` as an operator would type them (--help)
    example: str = ""

    @property
    def summary(self) -> str:
        """The first line of the module's docstring: the kind in a phrase."""
        doc = importlib.import_module(self.probe.__module__).__doc__ or ""
        return doc.strip().splitlines()[0] if doc.strip() else ""


def _load(kind: str) -> Prober:
    prober = importlib.import_module(f"{__name__}.{kind}").PROBER
    if not isinstance(prober, Prober):
        raise TypeError(f"{__name__}.{kind}.PROBER is not a Prober")
    return prober


PROBERS: dict[Kind, Prober] = {kind: _load(kind) for kind in KINDS}
