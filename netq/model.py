"""The base of every configuration model, and the types configurations share."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict

from netq.address import HostPort

__all__ = ["EVENING_PEAK", "TECHNOLOGIES", "Duration", "HostPort", "Strict", "Technology",
           "seconds"]

# the access technologies of STB 1962-2012 and resolution No 645 (the registry's column, the
# probe's config)
Technology = Literal["adsl", "pon", "ethernet", "docsis", "wifi", "wll", "umts", "lte", "nr"]
TECHNOLOGIES: tuple[str, ...] = get_args(Technology)

# the evening peak, Minsk hours [from, to): where probes put part of their tests and where the
# report reads the busy hour, as Ofcom and the FCC's Measuring Broadband America mark it
EVENING_PEAK: tuple[int, int] = (19, 23)

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNIT_S = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}


def seconds(value: Any) -> float:
    """'90', 90, '15m', '4h', '500ms' -> seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(f"{value!r} is not a duration; write e.g. 90, 90s, 15m, 4h")
    return float(match.group(1)) * _UNIT_S[match.group(2)]


Duration = Annotated[float, BeforeValidator(seconds)]
"""Seconds, written as a number or as 500ms, 90s, 15m, 4h, 1d."""


class Strict(BaseModel):
    """Unknown keys are errors (a typo is never silently a default), values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)
