"""A norm's limit as thresholds.yaml writes it: a value, the clause it stands in, and the
technologies it holds for. Values stay Decimal so that a boundary ("exactly 1 %") compares
exactly."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import Field

from netq.model import Strict, Technology

Clause = Annotated[str, Field(min_length=1, description="where in the source the norm stands")]


class Limit(Strict):
    value: Decimal
    clause: Clause
    # the technologies the norm holds for (None: every technology of the service)
    technologies: tuple[Technology, ...] | None = None

    def holds_for(self, technology: str) -> bool:
        return self.technologies is None or technology in self.technologies


class SpeedLimit(Limit):
    value: Decimal = Field(gt=0, le=100)  # percent of the tariff
