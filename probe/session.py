"""A two-way echo session shared by the ICMP and STAMP senders.

Packets are paced at a fixed interval from the session start (no drift when a send is
slow); a packet is lost when no reply arrives within the timeout (ITU-T Y.1540 Tmax,
3 s by default). Replies that come later are counted as lost, as Y.1540 requires.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import statistics
from collections.abc import Callable
from typing import Any


class EchoSession:
    def __init__(self, count: int, interval_s: float, timeout_s: float) -> None:
        self.count = count
        self.interval_s = interval_s
        self.timeout_s = timeout_s
        self.sent = 0
        self.send_errors: list[str] = []
        self.rtt_s: dict[int, float] = {}
        self._all_in = asyncio.Event()

    def reply(self, seq: int, rtt_s: float) -> None:
        """Record packet `seq`'s round trip; duplicates, strays and late replies are ignored."""
        if not 0 <= seq < self.sent or seq in self.rtt_s or not 0 <= rtt_s <= self.timeout_s:
            return
        self.rtt_s[seq] = rtt_s
        if len(self.rtt_s) == self.count:
            self._all_in.set()

    async def run(self, send: Callable[[int], None]) -> None:
        """Call `send(seq)` for each packet on schedule, then wait out the timeout."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        for seq in range(self.count):
            delay = start + seq * self.interval_s - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            self.sent += 1
            try:
                send(seq)
            except OSError as exc:  # no route, link down: the packet is lost, not the session
                self.send_errors.append(exc.strerror or str(exc))
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.timeout_s):
                await self._all_in.wait()

    def metrics(self, method: str) -> dict[str, Any]:
        ordered = [self.rtt_s[seq] * 1000 for seq in sorted(self.rtt_s)]
        return {
            "method": method,
            "sent": self.sent,
            "received": len(ordered),
            "loss_ratio": (self.sent - len(ordered)) / self.sent if self.sent else None,
            "timeout_s": self.timeout_s,
            "interval_s": self.interval_s,
            "rtt_ms": rtt_summary(ordered),
            "jitter_ms": jitter(ordered),
        }


def rtt_summary(rtt_ms: list[float]) -> dict[str, float] | None:
    if not rtt_ms:
        return None
    if len(rtt_ms) > 1:
        p95 = statistics.quantiles(rtt_ms, n=100, method="inclusive")[94]
    else:
        p95 = rtt_ms[0]
    return {
        "min": round(min(rtt_ms), 3),
        "mean": round(statistics.fmean(rtt_ms), 3),
        "median": round(statistics.median(rtt_ms), 3),
        "p95": round(p95, 3),
        "max": round(max(rtt_ms), 3),
    }


def jitter(rtt_ms: list[float]) -> float | None:
    """Mean absolute difference of consecutive round trips (IPDV, RFC 5481), in sequence order."""
    if len(rtt_ms) < 2:
        return None
    return round(statistics.fmean(abs(b - a) for a, b in itertools.pairwise(rtt_ms)), 3)
