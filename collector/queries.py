"""The store's reads for the quarter's figures: the registry periods with their summed
rollups, outages, lawful suspensions, planned works and the availability time inside given
windows. Each query is here; what the rows mean (a unit's time down, what a suspension takes
out of item 12) is the compliance core's, which gets them as plain values and never sees a
table or a connection."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, false, func, or_, select

from netq.collector import tables
from netq.collector.compliance import availability, indicators
from netq.collector.compliance.availability import Span, Suspension, Work
from netq.collector.compliance.customer import Imported
from netq.collector.compliance.figures import Unit
from netq.collector.compliance.quarter import Period, Quarter
from netq.collector.registry import Connection, RegistryPeriods

CHUNK = 500  # connection ids per IN list
SUMMED = (*tables.ROLLUP_COUNTS, *tables.ROLLUP_SUMS)
# what a reading of speed alone sums (the Ethernet-layer reading beside the verdict)
SPEED_COLUMNS = tuple(name for name in (*SUMMED, *tables.ROLLUP_EXTREMES)
                      if name.startswith("speed_"))


def read_units(db: Any, quarter: Quarter | Period, spans: Sequence[indicators.Span],
               names: Iterable[str], planned: Sequence[Work] = (),
               columns: Sequence[str] | None = None) -> list[Unit]:
    """The registry periods under the profiles `names` in force during the quarter (or a
    month of it), with their rollups summed: each day's under the edition of its span, and
    their availability settled; or (`columns`) only those columns summed, nothing settled."""
    periods: dict[str, list[Connection]] = defaultdict(list)
    for row in db.execute(select(tables.connections).where(
            tables.connections.c.effective_from <= quarter.last_day)).mappings():
        periods[row["connection_id"]].append(Connection(**row))
    units = indicators.registry_units(periods.values(), quarter, names)
    if not units or not spans:
        return list(units.values())
    r = tables.rollups
    judged = or_(*(and_(r.c.criteria == span.edition.criteria, r.c.day >= span.first_day,
                        r.c.day <= span.last_day) for span in spans))
    extremes = tables.ROLLUP_EXTREMES
    wanted = set(columns) if columns is not None else set(SUMMED) | set(extremes)
    query = (select(r.c.connection_id, r.c.effective_from,
                    func.count().label("rollup_days"),
                    *(func.sum(r.c[name]).label(name) for name in SUMMED
                      if name in wanted),
                    *(func.min(r.c[name]).label(name) for name in extremes
                      if name.endswith("_min") and name in wanted),
                    *(func.max(r.c[name]).label(name) for name in extremes
                      if name.endswith("_max") and name in wanted))
             .where(judged).group_by(r.c.connection_id, r.c.effective_from))
    for row in db.execute(query).mappings():
        unit = units.get((row["connection_id"], row["effective_from"]))
        if unit is not None:
            unit.rollup_days = int(row["rollup_days"])
            unit.ids_digest = int(row.get("digest") or 0)  # exact: beyond a float's 53 bits
            # PostgreSQL sums bigints as numeric: one number type from here on; an extreme
            # no test set (NULL) is absent, as readers ask with .get()
            unit.sums = {k: float(v) for k, v in row.items() if v is not None and k not in (
                "connection_id", "effective_from", "rollup_days")}
    if columns is None:
        settle_availability(db, units.values(), quarter, spans[-1].edition.method
                            .outage_min_minutes, spans[-1].edition.suspensions, planned)
    return list(units.values())


def settle_availability(db: Any, units: Iterable[Unit], quarter: Quarter | Period,
                        outage_min_minutes: Decimal, lawful: Iterable[str],
                        planned: Sequence[Work] = ()) -> None:
    """The units' outages, suspensions and the availability time inside their windows, read
    for indicators.settle_availability."""
    units = list(units)
    ids = {u.connection.connection_id for u in units}
    indicators.settle_availability(
        units, outages(db, ids, quarter.start, quarter.end, outage_min_minutes),
        suspensions(db, ids, quarter.start, quarter.end), set(lawful), planned,
        lambda connection_id, windows: covered_within(db, connection_id, windows))


def registry_periods(db: Any, connection_ids: Iterable[str] | None = None) -> RegistryPeriods:
    """The registry periods of these connections (or of all)."""
    query = select(tables.connections)
    if connection_ids is not None:
        query = query.where(tables.connections.c.connection_id.in_(list(connection_ids)))
    return RegistryPeriods(Connection(**row) for row in db.execute(query).mappings())


def outages(db: Any, connection_ids: Iterable[str], start: datetime, end: datetime,
            min_minutes: Decimal) -> dict[str, list[Span]]:
    """Each connection's outages of at least `min_minutes`, cut to [start, end)."""
    shortest = availability.margin(min_minutes)
    d = tables.down_intervals
    ids = list(connection_ids)
    query = select(d.c.connection_id, d.c.started_at, d.c.ended_at).where(and_(
        d.c.started_at < end + shortest, d.c.ended_at > start - shortest)).order_by(
        d.c.connection_id, d.c.started_at)
    down: dict[str, list[Span]] = defaultdict(list)
    for first in range(0, len(ids), CHUNK):
        for row in db.execute(query.where(d.c.connection_id.in_(ids[first:first + CHUNK]))):
            down[row.connection_id].append((row.started_at, row.ended_at))
    return availability.outages(down, start, end, min_minutes)


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
        total += availability.covered(((row.started_at, row.ended_at, row.metrics)
                                       for row in rows), [(a, b)])
    return total


def suspensions(db: Any, connection_ids: Iterable[str], start: datetime,
                end: datetime) -> dict[str, list[Suspension]]:
    """Each connection's suspensions overlapping [start, end)."""
    s = tables.suspensions
    ids = list(connection_ids)
    found: dict[str, list[Suspension]] = defaultdict(list)
    for first in range(0, len(ids), CHUNK):
        rows = db.execute(select(s).where(and_(
            s.c.connection_id.in_(ids[first:first + CHUNK]), s.c.starts_at < end,
            or_(s.c.ends_at.is_(None), s.c.ends_at > start))).order_by(s.c.starts_at))
        for row in rows:
            found[row.connection_id].append(Suspension(
                row.suspension_id, row.connection_id, row.starts_at, row.ends_at, row.reason))
    return found


def imported(db: Any, quarter: Quarter, name: str, answer_max_s: Decimal) -> Imported:
    """The operator's records items 1–3 of profile `name` are made of (customer.Imported)."""
    c, k, t = tables.contracts, tables.support_calls, tables.tickets
    contracts = list(db.execute(select(c).where(c.c.registered_on <= quarter.last_day))
                     .mappings())
    tickets = list(db.execute(select(t).where(and_(
        t.c.registered_at >= quarter.start, t.c.registered_at < quarter.end,
        t.c.fault != "subscriber"))).mappings())
    registry = registry_periods(db, {r["connection_id"] for r in (*contracts, *tickets)
                                     if r["connection_id"] is not None})
    calls_n, answered, unassigned = db.execute(select(
        func.count(), func.sum(case((k.c.answer_s <= float(answer_max_s), 1), else_=0)),
        func.sum(case((k.c.profile.is_(None), 1), else_=0)),
    ).where(and_(k.c.offered_at >= quarter.start, k.c.offered_at < quarter.end,
                 or_(k.c.profile == name, k.c.profile.is_(None))))).one()
    return Imported(contracts, tickets, registry,
                    (int(calls_n), int(answered or 0), int(unassigned or 0)))


def results_counted(db: Any, connection_id: str, first_day: date,
                    last_day: date) -> dict[date, int]:
    """The results the daily rollups count for the line, day by day: the most any criteria
    counts (each criteria counted every result stored when it was built)."""
    rollups = tables.rollups
    counted: dict[date, int] = {}
    for _, day, n in db.execute(
            select(rollups.c.criteria, rollups.c.day, func.sum(rollups.c.results_n))
            .where(rollups.c.connection_id == connection_id,
                   rollups.c.day.between(first_day, last_day))
            .group_by(rollups.c.criteria, rollups.c.day)):
        counted[day] = max(counted.get(day, 0), int(n))
    return counted


def report_history(db: Any) -> tuple[date | None, list[tuple[str, datetime, str]],
                                      list[tuple[str, datetime]]]:
    """The first day anything was measured, each report published (quarter, moment,
    address) and each written (quarter, moment), oldest first: what deadline.status
    judges."""
    first = db.execute(select(func.min(tables.rollups.c.day))).scalar()
    up, runs = tables.publications, tables.report_runs
    published = [(row.quarter, row.published_at, row.url) for row in db.execute(
        select(up.c.quarter, up.c.published_at, up.c.url).order_by(up.c.published_at))]
    written = [(row.quarter, row.generated_at) for row in db.execute(
        select(runs.c.quarter, runs.c.generated_at).order_by(runs.c.generated_at))]
    return first, published, written


def reports_to_publish(db: Any, quarter: str, profile: str | None,
                       ended: datetime) -> list[tuple[int, str]]:
    """The latest report of each profile written for `quarter` once it had `ended` (of
    `profile`, when given): (its run, its profile)."""
    runs = tables.report_runs
    query = select(runs.c.id, runs.c.profile).where(
        runs.c.quarter == quarter, runs.c.generated_at >= ended).order_by(runs.c.generated_at)
    if profile is not None:
        query = query.where(runs.c.profile == profile)
    return list({name: (run, name) for run, name in db.execute(query)}.values())


def results(db: Any, start: datetime, end: datetime,
            connection_ids: Sequence[str] | None = None,
            kinds: Sequence[str] | None = None) -> Iterator[Mapping[str, Any]]:
    """The raw results started in [start, end) (of these connections, of these kinds), in
    time order."""
    r = tables.results
    query = select(r).where(and_(r.c.started_at >= start, r.c.started_at < end))
    if connection_ids is not None:
        query = query.where(r.c.connection_id.in_(list(connection_ids)))
    if kinds is not None:
        query = query.where(r.c.kind.in_(list(kinds)))
    yield from db.execute(query.order_by(r.c.started_at, r.c.id)).mappings()


def hourly(db: Any, profile: str, months: Mapping[date, str]) -> Iterator[Mapping[str, Any]]:
    """The hourly sums of the lines of `profile`, per service, technology and Minsk hour,
    each month (its first day) under the criteria given for it."""
    h, c = tables.hourly, tables.connections
    yield from db.execute(
        select(c.c.service, c.c.technology, h.c.hour,
               *(func.sum(h.c[name]).label(name) for name in (*tables.HOURLY_COUNTS,
                                                              *tables.HOURLY_SUMS)))
        .select_from(h.join(c, and_(c.c.connection_id == h.c.connection_id,
                                    c.c.effective_from == h.c.effective_from,
                                    c.c.profile == profile)))
        .where(or_(false(), *(and_(h.c.criteria == criteria, h.c.month == month)
                              for month, criteria in months.items())))
        .group_by(c.c.service, c.c.technology, h.c.hour)).mappings()


def peak_download_shares(db: Any, spans: Sequence[indicators.Span], until: date,
                         ) -> dict[tuple[str, date], list[float]]:
    """Each registry period's evening-peak download tests (19:00–23:00 Minsk) judged on the
    days up to `until`, as % of the tariff in force, each day under its edition's criteria:
    kept by the rollups as the tests arrive (a quarter holds millions of tests)."""
    p = tables.peak_speeds
    query = select(p.c.connection_id, p.c.effective_from, p.c.share_percent).where(or_(
        false(), *(and_(p.c.criteria == span.edition.criteria, p.c.day >= span.first_day,
                        p.c.day <= min(span.last_day, until)) for span in spans)))
    found: dict[tuple[str, date], list[float]] = defaultdict(list)
    for connection_id, effective_from, share in db.execute(query):
        found[(connection_id, effective_from)].append(share)
    return found


def tickets(db: Any, period: Quarter | Period, connection_id: str | None = None,
            ) -> tuple[list[Mapping[str, Any]], RegistryPeriods]:
    """The tickets registered in the period (of one connection, or all), in order, and the
    registry periods of their lines."""
    t = tables.tickets
    query = select(t).where(and_(t.c.registered_at >= period.start,
                                 t.c.registered_at < period.end))
    if connection_id is not None:
        query = query.where(t.c.connection_id == connection_id)
    rows = list(db.execute(query.order_by(t.c.registered_at, t.c.ticket_id)).mappings())
    return rows, registry_periods(db, {row["connection_id"] for row in rows})


def ticket_times(db: Any, connection_ids: Iterable[str], start: datetime, end: datetime,
                 ) -> dict[str, list[tuple[str, datetime]]]:
    """Each connection's tickets registered in [start, end): id and moment, in order."""
    t = tables.tickets
    ids = list(connection_ids)
    found: dict[str, list[tuple[str, datetime]]] = defaultdict(list)
    for first in range(0, len(ids), CHUNK):
        for row in db.execute(select(t.c.connection_id, t.c.ticket_id, t.c.registered_at)
                              .where(and_(t.c.connection_id.in_(ids[first:first + CHUNK]),
                                          t.c.registered_at >= start, t.c.registered_at < end))
                              .order_by(t.c.registered_at)):
            found[row.connection_id].append((row.ticket_id, row.registered_at))
    return found


def latest_nodes(db: Any) -> dict[str, str]:
    """Each connection's node in its latest registry period."""
    c = tables.connections
    nodes: dict[str, str] = {}
    for row in db.execute(select(c.c.connection_id, c.c.node).order_by(c.c.effective_from)):
        nodes[row.connection_id] = row.node
    return nodes


def profiles_of_node(db: Any) -> dict[str, set[str]]:
    """The profiles of the connections behind each node, in any registry period."""
    c = tables.connections
    found: dict[str, set[str]] = defaultdict(set)
    for node, profile in db.execute(select(c.c.node, c.c.profile).distinct()):
        found[node].add(profile)
    return found


def profiles_present(db: Any, last_day: date) -> list[str]:
    """The registry profiles of the connections in force by `last_day`."""
    c = tables.connections
    return sorted(db.execute(select(c.c.profile).distinct().where(
        c.c.effective_from <= last_day)).scalars())


def sample(db: Any, units: Iterable[Unit]) -> dict[str, Any]:
    """Who was measured, of the units read: probes, and connections and results per
    region."""
    measured: dict[str, set[str]] = defaultdict(set)
    results: dict[str, int] = defaultdict(int)
    for unit in units:
        if unit.rollup_days:
            measured[unit.connection.region].add(unit.connection.connection_id)
            results[unit.connection.region] += int(unit.sums.get("results_n", 0))
    ids = set().union(*measured.values())
    p = tables.probe_connections
    probes = {probe for probe, connection in db.execute(select(p.c.probe_id, p.c.connection_id))
              if connection in ids}
    return {"probes": len(probes),
            "regions": [{"region": region, "connections": len(measured[region]),
                         "results": results[region]} for region in sorted(measured)]}


def snapshot(db: Any, quarter: Quarter, units: Iterable[Unit]) -> tuple[int, str]:
    """The results behind the units, and a SHA-256 over what their figures are made from:
    each unit's rollups as the database summed them (rows, results and the sum of their ids'
    fingerprints), the registry, the down intervals, the operator's records and the planned
    works."""
    c = tables.connections
    digest = hashlib.sha256()
    results = 0
    for unit in sorted(units, key=lambda u: (u.connection.connection_id,
                                             u.connection.effective_from)):
        if unit.rollup_days:
            n = int(unit.sums.get("results_n", 0))
            digest.update(f"{unit.connection.connection_id}|{unit.connection.effective_from}|"
                          f"{unit.rollup_days}|{n}|{unit.ids_digest}\n".encode())
            results += n
    for row in db.execute(select(c).order_by(c.c.connection_id, c.c.effective_from)):
        digest.update(("registry|" + "|".join(map(str, row)) + "\n").encode())
    d = tables.down_intervals
    for row in db.execute(select(d.c.result_id).where(and_(
            d.c.started_at < quarter.end, d.c.ended_at > quarter.start)).order_by(d.c.result_id)):
        digest.update(f"down|{row[0]}\n".encode())
    for table, moment in ((tables.support_calls, "offered_at"), (tables.tickets, "registered_at"),
                          (tables.planned_works, "starts_at")):
        column = table.c[moment]
        for row in db.execute(select(table).where(and_(
                column >= quarter.start - timedelta(days=92), column < quarter.end))
                .order_by(*table.primary_key.columns)):
            digest.update((f"{table.name}|" + "|".join(map(str, row)) + "\n").encode())
    held = tables.suspensions
    for row in db.execute(select(held).where(and_(
            held.c.starts_at < quarter.end,
            or_(held.c.ends_at.is_(None), held.c.ends_at > quarter.start)))
            .order_by(held.c.suspension_id)):
        digest.update(("suspensions|" + "|".join(map(str, row)) + "\n").encode())
    for row in db.execute(select(tables.contracts).order_by(tables.contracts.c.contract_id)):
        digest.update(("contracts|" + "|".join(map(str, row)) + "\n").encode())
    return int(results), digest.hexdigest()


def registry_rows(db: Any, connection_id: str) -> list[Mapping[str, Any]]:
    """A connection's registry rows as stored, oldest first."""
    c = tables.connections
    return list(db.execute(select(c).where(c.c.connection_id == connection_id)
                           .order_by(c.c.effective_from)).mappings())


def contracts_of(db: Any, connection_id: str) -> list[Mapping[str, Any]]:
    """A connection's contracts as stored, by registration day."""
    k = tables.contracts
    return list(db.execute(select(k).where(k.c.connection_id == connection_id)
                           .order_by(k.c.registered_on)).mappings())
