"""A quarter's indicators from the daily rollups: O(connections × days), never raw results.

The unit of the population is a connection's registry period within the quarter (a tariff or
technology change starts a new one), so that every figure is judged against the row in force
and a breakdown by technology, region or node puts each period where it was.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import and_, func, select

from netq.collector import tables
from netq.collector.compliance import availability, stats
from netq.collector.compliance.quarter import Period, Quarter, minsk_midnight
from netq.collector.compliance.thresholds import Indicator, Profile
from netq.collector.registry import Connection

Breakdown = Literal["technology", "region", "node"]
SUMMED = (*tables.ROLLUP_COUNTS, *tables.ROLLUP_SUMS)


@dataclass
class Unit:
    """One connection's registry period, with its rollups summed over the quarter."""

    connection: Connection
    begins: datetime  # the part of the quarter this period covers
    ends: datetime
    sums: dict[str, float] = field(default_factory=dict)
    down_s: float = 0.0
    planned_covered_s: float = 0.0  # seen during announced planned works: out of the figure
    planned_down_s: float = 0.0

    @property
    def scheduled_s(self) -> float:
        """Covered time that counts for availability: planned works taken out."""
        return self["covered_s"] - self.planned_covered_s

    @property
    def unavailable_s(self) -> float:
        return self.down_s - self.planned_down_s

    @property
    def expected_s(self) -> float:
        return (self.ends - self.begins).total_seconds()

    def __getitem__(self, name: str) -> float:
        return self.sums.get(name) or 0.0


@dataclass(frozen=True)
class Figure:
    value: float | None
    n: float
    ci95: tuple[float, float] | None = None


def read_units(db: Any, quarter: Quarter | Period, profile: Profile) -> list[Unit]:
    """Every registry period in force during the quarter (or a month of it), with its
    rollups summed."""
    periods: dict[str, list[Connection]] = defaultdict(list)
    for row in db.execute(select(tables.connections).where(
            tables.connections.c.effective_from <= quarter.last_day)).mappings():
        periods[row["connection_id"]].append(Connection(**row))
    units: dict[tuple[str, date], Unit] = {}
    for rows in periods.values():
        rows.sort(key=lambda r: r.effective_from)
        for index, row in enumerate(rows):
            begins = quarter.start if row.effective_from <= quarter.first_day \
                else minsk_midnight(row.effective_from)
            ends = quarter.end
            if index + 1 < len(rows):
                ends = min(ends, minsk_midnight(rows[index + 1].effective_from))
            if ends > begins:
                units[(row.connection_id, row.effective_from)] = Unit(row, begins, ends)
    r = tables.rollups
    query = (select(r.c.connection_id, r.c.effective_from,
                    *(func.sum(r.c[name]).label(name) for name in SUMMED),
                    *(func.min(r.c[name]).label(name) for name in tables.ROLLUP_EXTREMES
                      if name.endswith("_min")),
                    *(func.max(r.c[name]).label(name) for name in tables.ROLLUP_EXTREMES
                      if name.endswith("_max")))
             .where(and_(r.c.criteria == profile.criteria,
                         r.c.day >= quarter.first_day, r.c.day <= quarter.last_day))
             .group_by(r.c.connection_id, r.c.effective_from))
    for row in db.execute(query).mappings():
        unit = units.get((row["connection_id"], row["effective_from"]))
        if unit is not None:
            # PostgreSQL sums bigints as numeric: one number type from here on
            unit.sums = {k: None if v is None else float(v) for k, v in row.items()
                         if k not in ("connection_id", "effective_from")}
    outages = availability.outages(db, {u.connection.connection_id for u in units.values()},
                                   quarter.start, quarter.end, profile.method.outage_min_minutes)
    works = availability.planned_windows(
        db, quarter.start, quarter.end, timedelta(hours=float(profile.method.planned_notice_hours)))
    for unit in units.values():
        spans = outages.get(unit.connection.connection_id, ())
        unit.down_s = availability.overlap(spans, unit.begins, unit.ends)
        windows = availability.merged([(max(a, unit.begins), min(b, unit.ends))
                                       for a, b, nodes in works if unit.connection.node in nodes
                                       and a < unit.ends and b > unit.begins])
        if windows:
            unit.planned_covered_s = availability.covered_within(
                db, unit.connection.connection_id, windows)
            unit.planned_down_s = sum(availability.overlap(spans, a, b) for a, b in windows)
    return list(units.values())


def share_figure(k: float, n: float) -> Figure:
    """k of n as a percentage, with its Wilson interval."""
    interval = stats.wilson(k, n)
    return Figure(100 * k / n if n else None, n,
                  (100 * interval[0], 100 * interval[1]) if interval else None)


def share(numerator: Callable[[Unit], float], denominator: Callable[[Unit], float],
          ) -> Callable[[list[Unit]], Figure]:
    def figure(units: list[Unit]) -> Figure:
        return share_figure(sum(map(numerator, units)), sum(map(denominator, units)))
    return figure


def mean_of_units(value: Callable[[Unit], float | None]) -> Callable[[list[Unit]], Figure]:
    def figure(units: list[Unit]) -> Figure:
        values = [v for v in map(value, units) if v is not None]
        if not values:
            return Figure(None, 0)
        total, squares = sum(values), sum(v * v for v in values)
        return Figure(total / len(values), len(values),
                      stats.mean_interval(total, squares, len(values)))
    return figure


def delay_mean(units: list[Unit]) -> Figure:
    total = sum(u["rtt_mean_sum_ms"] for u in units)
    squares = sum(u["rtt_mean_sq_sum"] for u in units)
    n = sum(u["rtt_n"] for u in units)
    return Figure(total / n if n else None, n, stats.mean_interval(total, squares, n))


def speed_extreme(direction: str, extreme: str) -> Callable[[Unit], float | None]:
    def value(unit: Unit) -> float | None:
        return unit.sums.get(f"speed_{direction}_share_{extreme}") \
            if unit[f"speed_{direction}_n"] else None
    return value


MEASURES: dict[str, Callable[[list[Unit]], Figure]] = {
    "speed_max_of_tariff_down": mean_of_units(speed_extreme("down", "max")),
    "speed_max_of_tariff_up": mean_of_units(speed_extreme("up", "max")),
    "speed_min_of_tariff_down": mean_of_units(speed_extreme("down", "min")),
    "speed_min_of_tariff_up": mean_of_units(speed_extreme("up", "min")),
    "delay_mean": delay_mean,
    "packet_loss": share(lambda u: u["packets_lost"], lambda u: u["packets_sent"]),
    # in minutes, as Y.1540 counts availability: n is minutes observed
    "availability": share(lambda u: (u.scheduled_s - u.unavailable_s) / 60,
                          lambda u: u.scheduled_s / 60),
    "attempts_successful": share(lambda u: u["attempts_n"] - u["attempts_failed_n"],
                                 lambda u: u["attempts_n"]),
    "attempts_failed": share(lambda u: u["attempts_failed_n"], lambda u: u["attempts_n"]),
    "premature_disconnections": share(lambda u: u["premature_n"], lambda u: u["started_n"]),
    "sessions_meeting_speed": share(lambda u: u["speed_down_pass_n"] + u["speed_up_pass_n"],
                                    lambda u: u["speed_down_n"] + u["speed_up_n"]),
    "sessions_meeting_delay": share(lambda u: u["delay_pass_n"], lambda u: u["latency_n"]),
    "sessions_meeting_loss": share(lambda u: u["loss_pass_n"], lambda u: u["latency_n"]),
    "sessions_over_delay": share(lambda u: u["latency_n"] - u["delay_pass_n"],
                                 lambda u: u["latency_n"]),
    "sessions_below_down_floor": share(lambda u: u["speed_down_below_floor_n"],
                                       lambda u: u["speed_down_n"]),
}


def indicator_entry(profile: Profile, indicator: Indicator, figure: Figure,
                    group: Mapping[str, str | None]) -> dict[str, Any]:
    enough = figure.value is not None and figure.n >= profile.method.min_sample
    return {
        "id": f"{profile.key}.{indicator.id}",
        "name_ru": indicator.name_ru,
        "service": indicator.service,
        "technology": group.get("technology"),
        **{k: v for k, v in group.items() if k != "technology"},
        "measure": indicator.measure,
        "value": None if figure.value is None else round(figure.value, 6),
        "unit": indicator.unit,
        "norm": {"op": indicator.norm.op, "value": float(indicator.norm.value)},
        "meets": indicator.norm.met_by(figure.value) if enough and figure.value is not None
        else None,
        "n": round(figure.n, 3),
        "ci95": None if figure.ci95 is None else [round(figure.ci95[0], 6),
                                                  round(figure.ci95[1], 6)],
        "insufficient_sample": not enough,
    }


def compute(units: Iterable[Unit], profile: Profile, breakdown: Breakdown | None = None,
            customer: Mapping[str, Figure] | None = None) -> list[dict[str, Any]]:
    """Every indicator of the profile over the units: for all of them, then per group."""
    units = list(units)
    groups: dict[tuple[str, ...], list[Unit]] = {(): units}
    if breakdown is not None:
        for unit in units:
            groups.setdefault((getattr(unit.connection, breakdown),), []).append(unit)
    entries = []
    for key, members in groups.items():
        group: dict[str, str | None] = {"technology": None}
        if breakdown is not None:
            group[breakdown] = key[0] if key else None
        for indicator in profile.indicators:
            if indicator.service == "customer":
                if not key:  # the operator's records are not broken down by line
                    figure = (customer or {}).get(indicator.measure, Figure(None, 0))
                    entries.append(indicator_entry(profile, indicator, figure, group))
                continue
            selected = [u for u in members if u.connection.service == indicator.service and (
                indicator.technologies is None
                or u.connection.technology in indicator.technologies)]
            figure = MEASURES[indicator.measure](selected)
            entries.append(indicator_entry(profile, indicator, figure, group))
    return entries


def exclusions(units: Iterable[Unit]) -> dict[str, float]:
    units = list(units)
    counted = {name: sum(u[f"{name}_n"] for u in units)
               for name in ("excluded", "infrastructure", "deferred", "probe_error", "unjudged")}
    # observed time taken out of availability for announced planned works
    counted["planned_works_minutes"] = round(sum(u.planned_covered_s for u in units) / 60, 3)
    return counted


def coverage(units: Iterable[Unit]) -> dict[str, float | None]:
    units = list(units)
    expected = sum(u.expected_s for u in units)
    covered = sum(u["covered_s"] for u in units)
    return {"covered_s": covered, "expected_s": expected,
            "ratio": round(covered / expected, 6) if expected else None}

