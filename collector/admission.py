"""What one box may ask of the collector: a bound on the bytes of request bodies being parsed
and stored at once (beyond it 503 with Retry-After, so that a burst of large batches cannot
take the process past its memory limit), and a rate per probe over every endpoint it may
call (beyond it 429 with Retry-After)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


class InFlight:
    """Bytes of bodies in the collector's hands at once. One request is always let in,
    however large its body (the body limit bounds it), so that nothing starves."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.held = 0

    def take(self, n: int) -> bool:
        if self.held and self.held + n > self.limit:
            return False
        self.held += n
        return True

    def give(self, n: int) -> None:
        self.held -= n


@dataclass
class _Bucket:
    tokens: float
    at: float


class RatePerProbe:
    """A token bucket per probe: `rate` requests a second, `burst` at once."""

    def __init__(self, rate: float, burst: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst, self.clock = rate, burst, clock
        self._buckets: dict[str, _Bucket] = {}

    def wait_s(self, probe_id: str) -> float:
        """0 when the probe may be answered now (a token taken); else seconds until it may."""
        now = self.clock()
        bucket = self._buckets.get(probe_id) or _Bucket(float(self.burst), now)
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.at) * self.rate)
        bucket.at = now
        self._buckets[probe_id] = bucket
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self.rate
