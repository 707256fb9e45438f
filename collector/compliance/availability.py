"""Outages from availability intervals (ITU-T Y.1540 Tav): down intervals that touch are one
outage; an outage shorter than the profile's minimum is not unavailability. Time no interval
covers is unknown, never down: the coverage tells how much of the quarter was seen."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, or_, select

from netq.collector import tables
from netq.collector.compliance.judgement import on_net_only

Span = tuple[datetime, datetime]
TOUCH = timedelta(seconds=1)  # consecutive intervals share an instant; allow for rounding


def outages(db: Any, connection_ids: Iterable[str], start: datetime, end: datetime,
            min_minutes: Decimal) -> dict[str, list[Span]]:
    """Each connection's outages of at least `min_minutes`, cut to [start, end)."""
    shortest = timedelta(minutes=float(min_minutes))
    d = tables.down_intervals
    ids = list(connection_ids)
    # an outage crossing the window's edge is whole within a margin of its minimum length;
    # one longer than that passes the minimum on the inside alone
    query = select(d.c.connection_id, d.c.started_at, d.c.ended_at).where(and_(
        d.c.started_at < end + shortest, d.c.ended_at > start - shortest)).order_by(
        d.c.connection_id, d.c.started_at)
    spans: dict[str, list[Span]] = defaultdict(list)
    for start_ in range(0, len(ids), 500):
        chunk = ids[start_:start_ + 500]
        for row in db.execute(query.where(d.c.connection_id.in_(chunk))):
            spans[row.connection_id].append((row.started_at, row.ended_at))
    found: dict[str, list[Span]] = {}
    for connection_id, intervals in spans.items():
        cut = [(max(a, start), min(b, end)) for a, b in merged(intervals)
               if b - a >= shortest and b > start and a < end]
        if cut:
            found[connection_id] = cut
    return found


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


def planned_works(db: Any, start: datetime, end: datetime,
                  in_time: Callable[[datetime, datetime], bool]) -> list[Work]:
    """Planned works overlapping [start, end), each judged by `in_time(announced, starts)`.
    Works announced late are not planned time: they stay in the figure, and are listed."""
    w = tables.planned_works
    rows = db.execute(select(w).where(and_(w.c.starts_at < end, w.c.ends_at > start))
                      .order_by(w.c.starts_at, w.c.work_id))
    return [Work(row.work_id, row.announced_at, row.starts_at,
                 row.ends_at, frozenset(row.nodes.split(";")),
                 in_time(row.announced_at, row.starts_at)) for row in rows]


def covered_within(db: Any, connection_id: str, windows: Iterable[Span]) -> float:
    """Seconds of a connection's availability intervals inside the windows, as item 12
    counts them (intervals with an off-net target)."""
    r = tables.results
    total = 0.0
    for a, b in windows:
        rows = db.execute(select(r.c.started_at, r.c.ended_at, r.c.metrics).where(and_(
            r.c.connection_id == connection_id, r.c.kind == "availability",
            r.c.exclusion.is_(None), r.c.started_at < b, r.c.ended_at > a,
            r.c.started_at >= a - timedelta(days=2))))  # intervals are at most minutes long
        total += overlap(((row.started_at, row.ended_at) for row in rows
                          if not on_net_only({"metrics": row.metrics})), a, b)
    return total


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


def suspensions(db: Any, connection_ids: Iterable[str], start: datetime,
                end: datetime) -> dict[str, list[Suspension]]:
    """Each connection's suspensions overlapping [start, end)."""
    s = tables.suspensions
    ids = list(connection_ids)
    found: dict[str, list[Suspension]] = defaultdict(list)
    for first in range(0, len(ids), 500):
        rows = db.execute(select(s).where(and_(
            s.c.connection_id.in_(ids[first:first + 500]), s.c.starts_at < end,
            or_(s.c.ends_at.is_(None), s.c.ends_at > start))).order_by(s.c.starts_at))
        for row in rows:
            found[row.connection_id].append(Suspension(
                row.suspension_id, row.connection_id, row.starts_at, row.ends_at, row.reason))
    return found
