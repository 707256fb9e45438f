"""What the quarterly report shows beside the indicator table: each network indicator month
by month, the spread of the lines' speeds per technology, availability by node, the
hour-of-day profile, and each line's own shares for the open data. Read from the same
rollups and judged by the same editions as the quarter's indicators (engine.py), apart from
them: the engine computes the figures a regulator checks, this only what the report draws.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from netq.collector import queries
from netq.collector.compliance import indicators, line_counts
from netq.collector.compliance.engine import Judged, judged, read_units
from netq.collector.compliance.figures import Unit
from netq.collector.compliance.measures import MEASURES, PER_TEST_NORMS, SPEED_NORM
from netq.collector.compliance.quarter import Quarter, minsk_day
from netq.collector.compliance.thresholds import Profile
from netq.collector.store import Store
from netq.model import EVENING_PEAK


def details(store: Store, quarter: Quarter, profile: str | None = None,
            units: list[Unit] | None = None,
            edition: str | None = None, today: date | None = None) -> dict[str, Any]:
    """What the report shows beside the indicator table: each network indicator month by
    month (up to `today`, the last month marked with the day it was observed to when it has not
    ended), each connection's mean download speed as a share of its tariff by technology (the
    lines whose norms judge speed), availability by node (the lines item 12 counts), and each
    connection's own shares (for pseudonymised open data)."""
    months = []
    for month in quarter.months():
        if today is not None and month.first_day > today:
            break  # not begun: nothing to chart
        judging = judged(store, month, profile, edition)
        entries = indicators.compute(read_units(store, month, judging=judging), judging.edition)
        months.append({"month": month.first_day.isoformat(),
                       "until": None if today is None or today >= month.last_day
                       else today.isoformat(),
                       "indicators": [e for e in entries if e["service"] != "customer"]})
    if units is None:
        units = read_units(store, quarter, profile, edition)
    judging = judged(store, quarter, profile, edition)
    rules = judging.edition
    available = next((i for i in rules.indicators if MEASURES[i.measure].of_time), None)
    speed: dict[str, list[float]] = defaultdict(list)
    scheduled: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for unit in units:
        line = unit.connection
        norms = rules.norms_for(line.service)
        # only lines whose own norms judge their speed, and whose availability item 12 counts
        if unit["speed_down_n"] and norms is not None and \
                norms.value(SPEED_NORM, line.technology) is not None:
            speed[line.technology].append(unit["speed_down_share_sum"] / unit["speed_down_n"])
        if available is None or not available.covers(line.service, line.technology):
            continue
        if unit.scheduled_s > 0:
            totals = scheduled[unit.connection.node]
            totals[0] += unit.scheduled_s - unit.unavailable_s
            totals[1] += unit.scheduled_s
    until = min(today, quarter.last_day) if today else quarter.last_day
    with store.engine.connect() as db:
        sums = hour_sums(queries.hourly(db, judging.name, months_judged(quarter, judging)),
                         judging)
        peak = queries.peak_download_shares(db, judging.spans, until)
    lines = line_counts.lines(units, rules)
    counted = line_counts.norms_set(rules)
    days = (until - quarter.first_day).days + 1
    return {"months": months, "speed_down_share_by_technology": dict(speed),
            "availability_by_node": {node: 100 * up / total
                                     for node, (up, total) in scheduled.items()},
            "hours": hour_profile(sums),
            "day_and_peak": day_and_peak(sums),
            "norms": list(counted),
            "lines_by_region": line_counts.by_region(lines, counted),
            "worst_nodes": line_counts.worst_nodes(lines, counted),
            "lines_total": line_counts.by(lines.values(), lambda _: "", counted),
            "plans": line_counts.plans(units, rules, peak),
            "panel": line_counts.panel(units, lines, days),
            "connections": [connection_shares(unit, rules) for unit in units]}


def months_judged(quarter: Quarter, judging: Judged) -> dict[date, str]:
    """Each month of the quarter (its first day) and the criteria of the edition in force at
    its end: the hourly sums are kept per month."""
    months = {}
    for month in quarter.months():
        span = next((s for s in reversed(judging.spans)
                     if s.first_day <= month.last_day and s.last_day >= month.first_day), None)
        if span is not None:
            months[month.first_day] = span.edition.criteria
    return months


def hour_sums(rows: Iterable[Mapping[str, Any]], judging: Judged,
              ) -> dict[str, dict[str, list[list[float]]]]:
    """By Minsk hour of the day, per technology: the download speed as % of the tariff (lines
    whose norms judge speed) and the round trip, each as [sum, tests], over the quarter's tests
    of the profile's lines (`rows`: queries.hourly, summed in the database per service,
    technology and hour)."""
    sums: dict[str, dict[str, list[list[float]]]] = {
        "speed": defaultdict(lambda: [[0.0, 0.0] for _ in range(24)]),
        "delay": defaultdict(lambda: [[0.0, 0.0] for _ in range(24)])}
    for row in rows:
        norms = judging.edition.norms_for(row["service"])
        if norms is not None and norms.value(SPEED_NORM, row["technology"]) is not None:
            cell = sums["speed"][row["technology"]][row["hour"]]
            cell[0] += float(row["speed_down_share_sum"])
            cell[1] += float(row["speed_down_n"])
        cell = sums["delay"][row["technology"]][row["hour"]]
        cell[0] += float(row["rtt_mean_sum_ms"])
        cell[1] += float(row["rtt_n"])
    return {what: {technology: by_hour for technology, by_hour in sorted(found.items())
                   if any(n for _, n in by_hour)}
            for what, found in sums.items()}


def hour_profile(sums: dict[str, dict[str, list[list[float]]]],
                 ) -> dict[str, dict[str, list[float | None]]]:
    """The hourly sums as means, hour by hour."""
    return {what: {technology: [k / n if n else None for k, n in by_hour]
                   for technology, by_hour in found.items()}
            for what, found in sums.items()}


def day_and_peak(sums: dict[str, dict[str, list[list[float]]]],
                 ) -> list[dict[str, Any]]:
    """Per technology, the mean download speed (% of the tariff) and the mean round trip over
    the whole day and in the evening peak (19:00–23:00 Minsk), each weighted by its tests."""
    def mean(by_hour: list[list[float]], hours: range) -> float | None:
        k = sum(by_hour[h][0] for h in hours)
        n = sum(by_hour[h][1] for h in hours)
        return k / n if n else None
    peak = range(*EVENING_PEAK)
    rows = []
    for technology in sorted({t for found in sums.values() for t in found}):
        row: dict[str, Any] = {"technology": technology}
        for what, found in sums.items():
            by_hour = found.get(technology)
            row[what] = None if by_hour is None else {
                "day": mean(by_hour, range(24)), "peak": mean(by_hour, peak),
                "tests": sum(n for _, n in by_hour),
                "peak_tests": sum(by_hour[h][1] for h in peak)}
        rows.append(row)
    return rows


@dataclass(frozen=True)
class Sessions:
    """A test kind a per-test norm judges, in the open data: its column of sessions (then the
    share of them meeting each norm of the kind), the rollup columns that count them, and
    what the column means."""

    column: str
    counted_by: tuple[str, ...]
    meaning: str


SESSIONS = {"throughput": Sessions("speed_sessions", ("speed_down_n", "speed_up_n"),
                                   "complete speed tests, both directions"),
            "latency": Sessions("latency_sessions", ("latency_n",), "latency sessions judged")}


def connection_shares(unit: Unit, rules: Profile) -> dict[str, Any]:
    """One registry period's own figures; `connection_id` is for the caller to pseudonymise.
    A share of tests meeting a norm the line's profile does not set for it is empty (does not
    apply), never 0 %."""
    line = unit.connection
    norms = rules.norms_for(line.service)

    def ratio(k: float, n: float) -> float | None:
        return round(100 * k / n, 4) if n else None
    return {
        "connection_id": unit.connection.connection_id,
        "service": unit.connection.service, "technology": unit.connection.technology,
        "region": unit.connection.region, "period_from": minsk_day(unit.begins).isoformat(),
        **{column: value for kind, sessions in SESSIONS.items() for column, value in (
            (sessions.column, int(sum(unit[c] for c in sessions.counted_by))),
            *((f"{norm.name}_meeting_norm_percent",
               None if norms is None or norms.value(norm.key, line.technology) is None
               else ratio(norm.tests(unit) - norm.failed(unit), norm.tests(unit)))
              for norm in PER_TEST_NORMS if norm.reads == kind))},
        "packet_loss_percent": ratio(unit["packets_lost"], unit["packets_sent"]),
        "availability_percent": ratio(unit.scheduled_s - unit.unavailable_s, unit.scheduled_s),
    }
