"""What a figure is made of and what it is: a connection's registry period with its rollups
summed over the quarter (the unit of the population), and a figure with its n, interval and
sampling units."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from netq.collector.registry import Connection


@dataclass
class Unit:
    """One connection's registry period, with its rollups summed over the quarter."""

    connection: Connection
    begins: datetime  # the part of the quarter this period covers
    ends: datetime
    sums: dict[str, float] = field(default_factory=dict)
    # the rollup rows summed, and the exact sum of their results' id fingerprints: what the
    # manifest's snapshot hashes (a result added or taken away changes it)
    rollup_days: int = 0
    ids_digest: int = 0
    down_s: float = 0.0  # in outages of at least the method's minimum
    # observed and down time taken out of item 12 by a clause (lawful suspensions)
    excluded_covered_s: float = 0.0
    excluded_down_s: float = 0.0
    suspended_without_clause: int = 0  # suspensions whose reason the profile does not allow
    # unavailable time inside planned works (it stays in the figure: shown beside), and inside
    # works announced later than the rules ask (flagged)
    planned_down_s: float = 0.0
    planned_late_down_s: float = 0.0
    # the other reading, planned works taken out: observed and down time inside works
    # announced in time
    planned_in_time_covered_s: float = 0.0
    planned_in_time_down_s: float = 0.0

    @property
    def scheduled_s(self) -> float:
        """Time observed against the Internet that counts for item 12."""
        return self["covered_s"] - self.excluded_covered_s

    @property
    def unavailable_s(self) -> float:
        return self.down_s - self.excluded_down_s

    @property
    def expected_s(self) -> float:
        return (self.ends - self.begins).total_seconds()

    def planned_works_excluded(self) -> Unit:
        """This unit read with announced planned works out of item 12 (the reading the
        sources do not give: shown beside the verdict, never as it)."""
        return replace(self, excluded_covered_s=self.excluded_covered_s
                       + self.planned_in_time_covered_s,
                       excluded_down_s=self.excluded_down_s + self.planned_in_time_down_s)

    def __getitem__(self, name: str) -> float:
        return self.sums.get(name) or 0.0


@dataclass(frozen=True)
class Figure:
    value: float | None
    n: float  # what the measure counts: sessions, packets, minutes, tests, records
    ci95: tuple[float, float] | None = None
    connections: int | None = None  # the units of sampling behind it (None: not lines)
    # a fact, not an estimate: the operator's own records (a census), or a plan a line of
    # which breached its contract; judged on the value, with no sampling error
    complete: bool = False


def share_figure(k: float, n: float) -> Figure:
    """k of n of the operator's own records as a percentage: complete, so no interval."""
    return Figure(100 * k / n if n else None, n, None, None, complete=True)
