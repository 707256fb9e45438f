"""A quarter's indicators from the daily rollups: O(connections × days), never raw results.

The unit of the population is a connection's registry period within the quarter (a tariff or
technology change starts a new one), so that every figure is judged against the row in force
and a breakdown by technology, region or node puts each period where it was. The unit of
sampling is the connection: intervals come from the spread between connections (stats.py).
The operator's own records (contracts, calls, tickets) are complete, not a sample: their
figures have no interval and are judged whatever their n.

The decision rule (docs/method.md) has three states: a figure meets or fails its norm when
its whole 95 % interval lies on that side of it (a census: the value itself), and is «on the
edge» when the interval crosses it, whichever side the value is on.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from netq.collector.compliance import availability, stats
from netq.collector.compliance.document import Verdict
from netq.collector.compliance.figures import Figure, Unit
from netq.collector.compliance.measures import MEASURES, Measure, speed_extreme
from netq.collector.compliance.quarter import Period, Quarter, minsk_midnight
from netq.collector.compliance.thresholds import Indicator, Norm, Profile
from netq.collector.registry import Connection

Breakdown = Literal["technology", "region", "node"]


@dataclass(frozen=True)
class Span:
    """Days of a period judged under one edition."""

    edition: Profile
    first_day: date
    last_day: date



def registry_units(periods: Iterable[Sequence[Connection]], quarter: Quarter | Period,
                   names: Iterable[str]) -> dict[tuple[str, date], Unit]:
    """Each connection's registry periods (`periods`: one list per connection) under the
    profiles `names`, cut to the part of the quarter each was in force, with no sums yet."""
    names = set(names)
    units: dict[tuple[str, date], Unit] = {}
    for rows in periods:
        rows = sorted(rows, key=lambda r: r.effective_from)
        for index, row in enumerate(rows):
            begins = quarter.start if row.effective_from <= quarter.first_day \
                else minsk_midnight(row.effective_from)
            ends = quarter.end
            if index + 1 < len(rows):
                ends = min(ends, minsk_midnight(rows[index + 1].effective_from))
            if ends > begins and row.profile in names:
                units[(row.connection_id, row.effective_from)] = Unit(row, begins, ends)
    return units


def settle_availability(units: Iterable[Unit],
                        outages: Mapping[str, Sequence[availability.Span]],
                        suspended: Mapping[str, Sequence[availability.Suspension]],
                        lawful: Set[str], planned: Sequence[availability.Work],
                        covered: Callable[[str, Sequence[availability.Span]], float]) -> None:
    """Each unit's time down (its connection's `outages`, of at least the method's minimum);
    the observed and down time of its suspensions on a ground the edition names a clause
    for (`lawful`), which item 12 leaves out; and the down time inside planned works, which
    it keeps (annex, item 12 gives them no exclusion), with the other reading's figures
    beside. `covered(connection, windows)`: the seconds its intervals observed in them."""
    for unit in units:
        connection_id = unit.connection.connection_id
        spans_down = outages.get(connection_id, ())
        unit.down_s = availability.overlap(spans_down, unit.begins, unit.ends)
        mine = [s for s in suspended.get(connection_id, ())
                if s.starts < unit.ends and (s.ends is None or s.ends > unit.begins)]
        taken_out = availability.merged([(max(s.starts, unit.begins), min(s.ends or unit.ends,
                                                                           unit.ends))
                                         for s in mine if s.reason in lawful])
        unit.suspended_without_clause = sum(s.reason not in lawful for s in mine)
        if taken_out:
            unit.excluded_covered_s = covered(connection_id, taken_out)
            unit.excluded_down_s = sum(availability.overlap(spans_down, a, b)
                                       for a, b in taken_out)
        works = [w for w in planned if unit.connection.node in w.nodes
                 and w.starts < unit.ends and w.ends > unit.begins]
        if not works:
            continue
        unit.planned_down_s = sum(availability.overlap(spans_down, a, b)
                                  for a, b in _windows(works, unit, taken_out))
        unit.planned_late_down_s = sum(
            availability.overlap(spans_down, a, b)
            for a, b in _windows([w for w in works if not w.in_time], unit, taken_out))
        in_time = _windows([w for w in works if w.in_time], unit, taken_out)
        if in_time:
            unit.planned_in_time_covered_s = covered(connection_id, in_time)
            unit.planned_in_time_down_s = sum(availability.overlap(spans_down, a, b)
                                              for a, b in in_time)


def _windows(works: Sequence[availability.Work], unit: Unit,
             suspended: Sequence[availability.Span]) -> list[availability.Span]:
    """The works' time within the unit, outside its lawful suspensions."""
    return availability.subtract([(max(w.starts, unit.begins), min(w.ends, unit.ends))
                                  for w in works], suspended)


def decide(norm: Norm, figure: Figure, enough: bool, measured: bool = True,
           ) -> tuple[bool | None, Verdict, bool | None]:
    """(meets, verdict, certain): `meets` is the value's side of the norm; the verdict is
    that side only when the whole interval lies there (or the records are complete), else
    «edge»; no verdict without a value or below the minimum sample."""
    if figure.value is None:
        return None, "no_data" if measured else "not_measured", None
    if not enough:
        return None, "insufficient_sample", None
    meets = norm.met_by(figure.value)
    if figure.complete:
        certain = True
    elif figure.ci95 is None:
        certain = False  # one line has no spread to tell how far the value may be off
    else:
        certain = norm.met_by(figure.ci95[0]) == norm.met_by(figure.ci95[1])
    verdict: Verdict = ("meets" if meets else "fails") if certain else "edge"
    return meets, verdict, certain


def indicator_entry(profile: Profile, indicator: Indicator, figure: Figure,
                    group: Mapping[str, str | None], measured: bool = True) -> dict[str, Any]:
    sample = figure.n if figure.connections is None else figure.connections
    enough = figure.complete or sample >= profile.method.min_sample
    meets, verdict, certain = decide(indicator.norm, figure, enough, measured)
    return {
        "id": f"{profile.key}.{indicator.id}",
        "edition": profile.key,
        "item": indicator.id,
        "name_ru": indicator.name_ru,
        "clause": indicator.clause,
        "service": indicator.service,
        "technology": group.get("technology"),
        **{k: v for k, v in group.items() if k != "technology"},
        "measure": indicator.measure,
        "value": None if figure.value is None else round(figure.value, 6),
        "unit": indicator.unit,
        "norm": {"op": indicator.norm.op, "value": float(indicator.norm.value)},
        # an operator's own laxer norm, and the regulation's clause that judges instead
        "source_norm": None if indicator.source_norm is None else {
            "op": indicator.source_norm.op, "value": float(indicator.source_norm.value)},
        "raised_by": indicator.raised_by,
        "meets": meets,
        "verdict": verdict,
        "certain": certain,
        "n": round(figure.n, 3),
        "n_counts": MEASURES[indicator.measure].counts,
        "series": MEASURES[indicator.measure].series,
        "connections": figure.connections,
        "ci95": None if figure.ci95 is None else [round(figure.ci95[0], 6),
                                                  round(figure.ci95[1], 6)],
        "insufficient_sample": verdict == "insufficient_sample",
        "averaging": indicator.averaging,
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
            measure = MEASURES[indicator.measure]
            if measure.records is not None:
                if not key:  # the operator's records are not broken down by line
                    figure = (customer or {}).get(measure.records, Figure(None, 0))
                    entries.append(indicator_entry(profile, indicator, figure, group))
                continue
            selected = [u for u in members
                        if indicator.covers(u.connection.service, u.connection.technology)]
            if key and not selected:
                continue  # a group none of whose lines the indicator counts: not applicable
            if measure.per_plan is not None:
                entries.extend(plan_entries(profile, indicator, selected, group))
                continue
            figure = measure.figure(selected, indicator.averaging)
            entry = indicator_entry(profile, indicator, figure, group,
                                    measured=_measured(measure, selected))
            if measure.of_time:
                entry.update(_planned_works(selected))
            entries.append(entry)
    return entries


def _measured(measure: Measure, units: Sequence[Unit]) -> bool:
    """Whether the indicator could be measured as defined: item 12 names the Internet, so
    time observed only against on-net targets does not measure it."""
    return not measure.of_time or not any(u["covered_on_net_only_s"] for u in units)


def _planned_works(units: Sequence[Unit]) -> dict[str, float]:
    """What item 12's figure holds of planned works: their unavailable minutes, and of them
    those of works announced later than the rules ask."""
    return {"planned_works_down_minutes": round(sum(u.planned_down_s for u in units) / 60, 3),
            "planned_works_late_notice_down_minutes":
                round(sum(u.planned_late_down_s for u in units) / 60, 3)}


# the norm of item 9 is every contract's: every line of a plan must reach it
EVERY_LINE = Norm(op=">=", value=Decimal(100))


def line_extremes(units: Iterable[Unit], measure: str) -> dict[str, float]:
    """Each line's fastest (or slowest) test of the direction, as % of its tariff, over its
    registry periods on the plan given."""
    per_plan = MEASURES[measure].per_plan
    assert per_plan is not None, f"{measure} is not judged per tariff plan"
    direction, extreme = per_plan
    pick = max if extreme == "max" else min
    found: dict[str, float] = {}
    for unit in units:
        value = speed_extreme(direction, extreme)(unit)
        if value is not None:
            line = unit.connection.connection_id
            found[line] = value if line not in found else pick(found[line], value)
    return found


def plan_entries(profile: Profile, indicator: Indicator, units: Sequence[Unit],
                 group: Mapping[str, str | None]) -> list[dict[str, Any]]:
    """Item 9 per tariff plan of the direction: a per-contract norm, so the figure is the
    share of the plan's lines whose own fastest (slowest) test reaches the tariff (its share
    the norm names), and the plan fails as soon as one line does not: a contract breached is a
    fact, not an estimate. While every line reaches it, the 95 % interval over the lines says
    how sure that is of the plan's other subscribers. The mean of the lines' extremes is kept
    beside, in kbit/s."""
    measure = MEASURES[indicator.measure]
    assert measure.per_plan is not None
    direction, _ = measure.per_plan
    plans: dict[int, list[Unit]] = defaultdict(list)
    for unit in units:
        plans[getattr(unit.connection, f"tariff_{direction}_kbps")].append(unit)
    found = []
    for tariff in sorted(plans, reverse=True):
        extremes = line_extremes(plans[tariff], indicator.measure)
        if not extremes:
            continue
        lines = len(extremes)
        # which lines: `netq compliance connections`; the document, published, names none
        failing = [line for line, share in extremes.items() if not indicator.norm.met_by(share)]
        interval = stats.wilson(lines - len(failing), lines)
        figure = Figure(100 * (lines - len(failing)) / lines, lines,
                        None if interval is None else (100 * interval[0], 100 * interval[1]),
                        lines, complete=bool(failing))
        entry = indicator_entry(profile, indicator.model_copy(update={"norm": EVERY_LINE}),
                                figure, group)
        mean = measure.figure(plans[tariff])
        scale = tariff / 100
        entry.update(
            unit="% of lines", n_counts="lines", tariff_kbps=tariff,
            layer=profile.method.speed_layer,
            line_norm={"op": indicator.norm.op, "share_of_tariff": float(indicator.norm.value),
                       "kbps": float(indicator.norm.value) * scale},
            lines_failing=len(failing), tests=round(mean.n),
            mean_kbps=None if mean.value is None else round(mean.value * scale, 3),
            mean_ci95_kbps=None if mean.ci95 is None else [round(mean.ci95[0] * scale, 3),
                                                           round(mean.ci95[1] * scale, 3)])
        found.append(entry)
    return found


def exclusions(units: Iterable[Unit]) -> dict[str, float]:
    units = list(units)
    counted = {name: sum(u[f"{name}_n"] for u in units)
               for name in ("excluded", "infrastructure", "deferred", "probe_error", "unjudged",
                            "speed_segment_assumed")}
    # observed time a lawful suspension took out of item 12, and suspensions kept in it for
    # want of a clause in the line's profile
    counted["suspended_minutes"] = round(sum(u.excluded_covered_s for u in units) / 60, 3)
    counted["suspensions_without_clause"] = sum(u.suspended_without_clause for u in units)
    # observed time that did not measure item 12 (no off-net target): not in the figure
    counted["availability_on_net_only_minutes"] = round(
        sum(u["covered_on_net_only_s"] for u in units) / 60, 3)
    return counted


def coverage(units: Iterable[Unit], until: datetime | None = None) -> dict[str, float | None]:
    """The time observed against the time there was to observe: the units' part of the
    period up to `until` (the computation's moment, in a quarter not yet over)."""
    units = list(units)
    expected = sum(max(0.0, ((u.ends if until is None else min(u.ends, until)) - u.begins)
                       .total_seconds()) for u in units)
    covered = sum(u["covered_s"] for u in units)
    return {"covered_s": covered, "expected_s": expected,
            "ratio": round(covered / expected, 6) if expected else None}
