"""The probers, one module per test kind, all with one signature, registered in one table.

The shape follows Prometheus blackbox_exporter's prober/: each module `probe/probers/KIND.py`
defines

    class Params(ProberParams): ...          # what the test needs; also its CLI options
    async def probe(params: Params, log: BoundLogger) -> Outcome: ...

and adding a kind means writing that file and adding its name to KINDS.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict
from structlog.typing import FilteringBoundLogger

from netq.record import Outcome

KINDS = ("latency", "throughput", "availability", "attempt", "snmp")


class ProberParams(BaseModel):
    """Base of every prober's parameters: strict, so a typo in a config key is an error."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def target_text(self) -> str:
        """The record's `target`: what was tested against."""
        target = getattr(self, "target", "")
        return ",".join(target) if isinstance(target, list | tuple) else str(target)


ProbeFn = Callable[[Any, FilteringBoundLogger], Awaitable[Outcome]]


@dataclass(frozen=True)
class Prober:
    kind: str
    params: type[ProberParams]
    probe: ProbeFn


def _load(kind: str) -> Prober:
    module = importlib.import_module(f"{__name__}.{kind}")
    return Prober(kind, module.Params, module.probe)


PROBERS: dict[str, Prober] = {kind: _load(kind) for kind in KINDS}
