"""Outages from availability intervals (ITU-T Y.1540 Tav): down intervals that touch are one
outage; an outage shorter than the profile's minimum is not unavailability. Time no interval
covers is unknown, never down: the coverage tells how much of the quarter was seen."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from netq.collector.compliance.judgement import on_net_only

Span = tuple[datetime, datetime]
TOUCH = timedelta(seconds=1)  # consecutive intervals share an instant; allow for rounding


def outages(down: Mapping[str, list[Span]], start: datetime, end: datetime,
            min_minutes: Decimal) -> dict[str, list[Span]]:
    """Each connection's outages of at least `min_minutes`, cut to [start, end), from its
    down intervals (queries.outages reads those that can touch the window)."""
    shortest = margin(min_minutes)
    found: dict[str, list[Span]] = {}
    for connection_id, intervals in down.items():
        cut = [(max(a, start), min(b, end)) for a, b in merged(intervals)
               if b - a >= shortest and b > start and a < end]
        if cut:
            found[connection_id] = cut
    return found


def margin(min_minutes: Decimal) -> timedelta:
    """How far beyond a window's edge an outage crossing it must be read: within its minimum
    length it is whole; one longer passes the minimum on the inside alone."""
    return timedelta(minutes=float(min_minutes))


def merged(intervals: list[Span]) -> list[Span]:
    """Touching or overlapping intervals joined, in time order."""
    runs: list[Span] = []
    for a, b in sorted(intervals):
        if runs and a <= runs[-1][1] + TOUCH:
            runs[-1] = (runs[-1][0], max(runs[-1][1], b))
        else:
            runs.append((a, b))
    return runs


def overlap(spans: Iterable[Span], start: datetime, end: datetime) -> float:
    """Seconds of `spans` inside [start, end)."""
    return sum(max(0.0, (min(b, end) - max(a, start)).total_seconds()) for a, b in spans)


@dataclass(frozen=True)
class Work:
    """Announced planned works: `in_time` when announced as early as the source asks."""

    work_id: str
    announced: datetime
    starts: datetime
    ends: datetime
    nodes: frozenset[str]
    in_time: bool


def covered(intervals: Iterable[tuple[datetime, datetime, Mapping[str, Any]]],
            windows: Iterable[Span]) -> float:
    """Seconds of availability intervals (start, end, metrics) inside the windows, as item 12
    counts them (intervals with an off-net target)."""
    intervals = list(intervals)
    return sum(overlap(((a, b) for a, b, metrics in intervals
                        if not on_net_only({"metrics": metrics})), start, end)
               for start, end in windows)


def subtract(windows: Iterable[Span], holes: Iterable[Span]) -> list[Span]:
    """The parts of merged `windows` outside every hole."""
    left = merged(list(windows))
    for c, d in merged(list(holes)):
        left = [piece for a, b in left for piece in ((a, min(b, c)), (max(a, d), b))
                if piece[1] > piece[0]]
    return left


@dataclass(frozen=True)
class Suspension:
    """A period a line's service was suspended, and why (records.Suspension)."""

    suspension_id: str
    connection_id: str
    starts: datetime
    ends: datetime | None  # None: still suspended
    reason: str
