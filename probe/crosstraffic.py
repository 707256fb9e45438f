"""Is the subscriber using the line right now? Then a speed test would measure less than the
line can carry. The subscriber's CPE/ONT counters (SNMP) are sampled twice; above the
threshold (25 000 B/s by default, as SamKnows uses) the speed test is deferred."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from netq.probe.probers.snmp import Params as SnmpParams
from netq.probe.probers.snmp import SnmpError, poll


@dataclass(frozen=True)
class Reading:
    bytes_per_second: float | None  # None: the counters could not be read
    error: str | None = None


async def subscriber_traffic(params: SnmpParams, sample_s: float) -> Reading:
    """Bytes per second through the subscriber's interfaces, both directions added up."""
    try:
        first, t0 = await poll(params), time.monotonic()
        await asyncio.sleep(sample_s)
        second, t1 = await poll(params), time.monotonic()
    except SnmpError as exc:
        return Reading(None, str(exc))
    moved = 0
    for a, b in zip(first, second, strict=True):
        for key in ("in_octets", "out_octets"):
            if a[key] is None or b[key] is None:
                return Reading(None, f"interface {a['if_index']} has no {key} counter")
            moved += (b[key] - a[key]) % (1 << 64)  # a 64-bit counter may wrap once
    return Reading(moved / (t1 - t0))
