"""A quarter's compliance: the API the CLI and the reporter use.

Every computation returns, with its figures, a manifest from which it can be re-derived and
checked: a hash of the data it read (rollup fingerprints, registry, operator records), the
profile as resolved, and the code version. The manifest is also kept in `compliance_runs`.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import metadata
from typing import Any

from sqlalchemy import and_, false, func, or_, select

from netq.collector import tables
from netq.collector.compliance import availability, customer, indicators, obligations
from netq.collector.compliance.quarter import Period, Quarter, minsk_day
from netq.collector.compliance.thresholds import Profile, ThresholdsError
from netq.collector.store import Store

DEFAULT_PROFILE = "com645"  # the regulation in force


@dataclass(frozen=True)
class Judged:
    """What a computation judges: the connections whose registry profile is `name`, each day
    under the edition in force that day (or under one forced edition, to see what it would
    change), and the edition whose aggregate norms the quarter is held to."""

    name: str
    spans: list[indicators.Span]
    edition: Profile
    warnings: list[str]


def judged(store: Store, period: Quarter | Period, profile: str | None = None,
           edition: str | None = None) -> Judged:
    norms = store.norms
    editions = norms.editions(profile or (norms.profile(edition).profile if edition
                                          else DEFAULT_PROFILE))
    name = editions[0].profile
    warnings: list[str] = []
    if edition is not None:
        forced = norms.profile(edition)
        if forced.profile != name:
            raise ThresholdsError(f"edition {edition} is of profile {forced.profile}, "
                                  f"not of {name}")
        if not all(forced.in_force_on(d) for d in (period.first_day, period.last_day)):
            warnings.append(f"edition {forced.key} is not in force throughout {period} "
                            f"(effective {forced.effective_from or 'never'}–"
                            f"{forced.effective_to or ''}): the figures show what it would "
                            "give, not what applies")
        return Judged(name, [indicators.Span(forced, period.first_day, period.last_day)],
                      forced, warnings)
    spans: list[indicators.Span] = []
    unjudged = 0
    day = period.first_day
    while day <= period.last_day:
        found = norms.in_force(name, day)
        if found is None:
            unjudged += 1
        elif spans and spans[-1].edition.key == found.key and \
                spans[-1].last_day == day - timedelta(days=1):
            spans[-1] = indicators.Span(found, spans[-1].first_day, day)
        else:
            spans.append(indicators.Span(found, day, day))
        day += timedelta(days=1)
    if unjudged:
        warnings.append(f"no edition of profile {name} is in force on {unjudged} day(s) of "
                        f"{period}: tests of those days are not judged")
    if len({s.edition.key for s in spans}) > 1:
        warnings.append("the edition changed within the period: "
                        + "; ".join(f"{s.edition.key} {s.first_day}–{s.last_day}"
                                    for s in spans)
                        + "; each test is judged under its day's edition, the aggregate "
                          f"norms are {spans[-1].edition.key}'s")
    chosen = spans[-1].edition if spans else editions[-1]
    if chosen.superseded and chosen.effective_to is None:
        warnings.append(f"{chosen.key}: its source marks it superseded but gives no end date; "
                        "set effective_to in thresholds.yaml when the next edition is known")
    return Judged(name, spans, chosen, warnings)


def profiles_present(store: Store, quarter: Quarter) -> list[str]:
    """The registry profiles of the connections in force during the quarter."""
    c = tables.connections
    with store.engine.connect() as db:
        return sorted(db.execute(select(c.c.profile).distinct().where(
            c.c.effective_from <= quarter.last_day)).scalars())


def unknown_profiles(store: Store, quarter: Quarter) -> list[str]:
    known = set(store.norms.names())
    return [name for name in profiles_present(store, quarter) if name not in known]


def read_units(store: Store, quarter: Quarter | Period, profile: str | None = None,
               edition: str | None = None, judging: Judged | None = None,
               ) -> list[indicators.Unit]:
    """The quarter's registry periods with their rollups: what every figure is made from.
    Read once and pass to `compliance` and `details` when a caller needs both."""
    judging = judging or judged(store, quarter, profile, edition)
    store.rollups.ensure_built(store.engine)  # a profile judged by criteria not yet rolled up
    with store.engine.connect() as db:
        works = availability.planned_works(db, quarter.start, quarter.end,
                                           obligations.announced_in_time(judging.edition))
        return indicators.read_units(db, quarter, judging.spans, {judging.name}, works)


def compliance(store: Store, quarter: Quarter, profile: str | None = None,
               breakdown: indicators.Breakdown | None = None,
               units: list[indicators.Unit] | None = None,
               evidence: bool = True, edition: str | None = None,
               now: datetime | None = None) -> dict[str, Any]:
    """The quarter's indicators for the connections of one registry profile (default
    com645), as `netq compliance --json` prints them, as of `now` (default: now), which is
    also the manifest's `computed_at`.

    `evidence=False` leaves out the sample and the manifest (a hash over every rollup row of
    the quarter): for the collector's periodic gauges, which are never published."""
    now = now or datetime.now(UTC)
    judging = judged(store, quarter, profile, edition)
    chosen = judging.edition
    if units is None:
        units = read_units(store, quarter, judging=judging)
    with store.engine.connect() as db:
        customer_figures, counted_apart = customer.figures(db, quarter, chosen.method,
                                                           minsk_day(now))
        drawn = sample(db, quarter, judging) if evidence else None
        manifest = make_manifest(db, quarter, judging, now) if evidence else None
    warnings = list(judging.warnings)
    if not judging.spans:
        warnings.append(f"profile {judging.name} has no edition in force in {quarter}")
    on_net_only = indicators.exclusions(units)["availability_on_net_only_minutes"]
    if on_net_only:
        warnings.append(f"{on_net_only:,.0f} minutes of availability were checked against "
                        "on-net targets only (probes configured before off-net targets): they "
                        "measured the access network, not the Internet")
    assumed = indicators.exclusions(units)["speed_segment_assumed"]
    if assumed:
        warnings.append(f"{assumed:,.0f} speed tests do not record their segment size (probes "
                        "before it was recorded, or iperf3's own count): stated at the "
                        f"{chosen.method.speed_layer} layer as IPv4 with TCP timestamps in a "
                        "1500-byte MTU")
    unknown = unknown_profiles(store, quarter)
    if unknown:
        warnings.append("connections of profiles thresholds.yaml does not define are judged "
                        f"under none: {', '.join(unknown)}")
    document = {
        "quarter": str(quarter),
        "profile": judging.name,
        "edition": chosen.key,
        "editions": [{"key": s.edition.key, "from": s.first_day.isoformat(),
                      "to": s.last_day.isoformat()} for s in judging.spans],
        "profile_title": chosen.title,
        "profile_source": chosen.source,
        "timezone": "Europe/Minsk",
        "period": {"from": quarter.start.isoformat(), "to": quarter.end.isoformat()},
        "breakdown": breakdown,
        "method": chosen.method.model_dump(mode="json"),
        "per_test": {s: p.model_dump(mode="json", exclude_none=True)
                     for s, p in chosen.per_test.items()},
        "indicators": indicators.compute(units, chosen, breakdown, customer_figures),
        "connections": len({u.connection.connection_id for u in units}),
        "exclusions": {**indicators.exclusions(units), **counted_apart},
        "coverage": indicators.coverage(units),
        "sample": drawn,
        "out_of_scope": OUT_OF_SCOPE,
        "warnings": warnings,
        "manifest": manifest,
    }
    return document


# com645 annex items netq does not compute, and why (the report and docs say so)
OUT_OF_SCOPE = [
    {"items": "4–8", "what": "телефонное радиосоединение сотовой подвижной электросвязи",
     "why": "voice calls need drive tests with speech-quality instruments, not data probes"},
    {"items": "22–25", "what": "эфирное наземное цифровое телевизионное вещание DVB-T/T2",
     "why": "field strength, frequency and BER need RF instruments at 10 m"},
    {"items": "26–28", "what": "трансляция телевизионных программ в системах кабельного "
                                "телевидения", "why": "RF levels at the subscriber socket "
                                                      "need RF instruments"},
]


def _judged_rows(judging: Judged) -> Any:
    r = tables.rollups
    return or_(false(), *(and_(r.c.criteria == s.edition.criteria, r.c.day >= s.first_day,
                               r.c.day <= s.last_day) for s in judging.spans))


def _of_profile(judging: Judged) -> Any:
    r, c = tables.rollups, tables.connections
    return r.join(c, and_(c.c.connection_id == r.c.connection_id,
                          c.c.effective_from == r.c.effective_from,
                          c.c.profile == judging.name))


def sample(db: Any, quarter: Quarter, judging: Judged) -> dict[str, Any]:
    """Who was measured: probes, and connections and results per region (from rollups)."""
    r, c, p = tables.rollups, tables.connections, tables.probe_connections
    in_quarter = _judged_rows(judging)
    regions = db.execute(
        select(c.c.region, func.count(func.distinct(r.c.connection_id)),
               func.sum(r.c.results_n))
        .select_from(_of_profile(judging))
        .where(in_quarter).group_by(c.c.region).order_by(c.c.region)).all()
    probes = db.execute(select(func.count(func.distinct(p.c.probe_id))).where(
        p.c.connection_id.in_(select(r.c.connection_id).select_from(_of_profile(judging))
                              .where(in_quarter)))).scalar_one()
    return {"probes": int(probes),
            "regions": [{"region": region, "connections": int(n), "results": int(results)}
                        for region, n, results in regions]}


def make_manifest(db: Any, quarter: Quarter, judging: Judged,
                  now: datetime) -> dict[str, Any]:
    r, c = tables.rollups, tables.connections
    snapshot = hashlib.sha256()
    rows = db.execute(
        select(r.c.connection_id, r.c.effective_from, r.c.day, r.c.results_n, r.c.digest)
        .select_from(_of_profile(judging)).where(_judged_rows(judging))
        .order_by(r.c.connection_id, r.c.effective_from, r.c.day))
    results = 0
    for row in rows:
        snapshot.update(f"{row[0]}|{row[1]}|{row[2]}|{row[3]}|{row[4]}\n".encode())
        results += row[3]
    for row in db.execute(select(c).order_by(c.c.connection_id, c.c.effective_from)):
        snapshot.update(("registry|" + "|".join(map(str, row)) + "\n").encode())
    d = tables.down_intervals
    for row in db.execute(select(d.c.result_id).where(and_(
            d.c.started_at < quarter.end, d.c.ended_at > quarter.start)).order_by(d.c.result_id)):
        snapshot.update(f"down|{row[0]}\n".encode())
    for table, moment in ((tables.support_calls, "offered_at"), (tables.tickets, "registered_at"),
                          (tables.planned_works, "starts_at")):
        column = table.c[moment]
        for row in db.execute(select(table).where(and_(
                column >= quarter.start - timedelta(days=92), column < quarter.end))
                .order_by(*table.primary_key.columns)):
            snapshot.update((f"{table.name}|" + "|".join(map(str, row)) + "\n").encode())
    for row in db.execute(select(tables.contracts).order_by(tables.contracts.c.contract_id)):
        snapshot.update(("contracts|" + "|".join(map(str, row)) + "\n").encode())
    resolved = json.dumps([s.edition.model_dump(mode="json") for s in judging.spans]
                          or [judging.edition.model_dump(mode="json")],
                          sort_keys=True, ensure_ascii=False)
    return {
        "computed_at": now.isoformat(timespec="seconds"),
        "results": results,
        "snapshot_sha256": snapshot.hexdigest(),
        "profile_sha256": hashlib.sha256(resolved.encode()).hexdigest(),
        "criteria": sorted({s.edition.criteria for s in judging.spans}),
        "code_version": metadata.version("netq"),
    }


def details(store: Store, quarter: Quarter, profile: str | None = None,
            units: list[indicators.Unit] | None = None,
            edition: str | None = None) -> dict[str, Any]:
    """What the report shows beside the indicator table: each network indicator month by
    month, each connection's mean download speed as a share of its tariff by technology (the
    lines whose norms judge speed), availability by node (the lines item 12 counts), and each
    connection's own shares (for pseudonymised open data)."""
    months = []
    for month in quarter.months():
        judging = judged(store, month, profile, edition)
        entries = indicators.compute(read_units(store, month, judging=judging), judging.edition)
        months.append({"month": month.first_day.isoformat(),
                       "indicators": [e for e in entries if e["service"] != "customer"]})
    if units is None:
        units = read_units(store, quarter, profile, edition)
    judging = judged(store, quarter, profile, edition)
    rules = judging.edition
    available = next((i for i in rules.indicators if i.measure == "availability"), None)
    speed: dict[str, list[float]] = defaultdict(list)
    scheduled: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for unit in units:
        line = unit.connection
        norms = rules.norms_for(line.service)
        # only lines whose own norms judge their speed, and whose availability item 12 counts
        if unit["speed_down_n"] and norms is not None and \
                norms.speed_norm_for(line.technology) is not None:
            speed[line.technology].append(unit["speed_down_share_sum"] / unit["speed_down_n"])
        if available is None or not available.covers(line.service, line.technology):
            continue
        if unit.scheduled_s > 0:
            totals = scheduled[unit.connection.node]
            totals[0] += unit.scheduled_s - unit.unavailable_s
            totals[1] += unit.scheduled_s
    with store.engine.connect() as db:
        hours = hour_profile(db, quarter, judging)
    return {"months": months, "speed_down_share_by_technology": dict(speed),
            "availability_by_node": {node: 100 * up / total
                                     for node, (up, total) in scheduled.items()},
            "hours": hours,
            "connections": [connection_shares(unit) for unit in units]}


def hour_profile(db: Any, quarter: Quarter, judging: Judged,
                 ) -> dict[str, dict[str, list[float | None]]]:
    """By Minsk hour of the day, per technology: the mean download speed as % of the tariff
    (lines whose norms judge speed) and the mean round trip, over the quarter's tests of the
    profile's lines, summed in the database. Each month is read under the edition in force at
    its end (the hourly sums are per month)."""
    months = {}
    for month in quarter.months():
        span = next((s for s in reversed(judging.spans)
                     if s.first_day <= month.last_day and s.last_day >= month.first_day), None)
        if span is not None:
            months[month.first_day] = span.edition.criteria
    h, c = tables.hourly, tables.connections
    rows = db.execute(
        select(c.c.service, c.c.technology, h.c.hour,
               *(func.sum(h.c[name]).label(name) for name in (*tables.HOURLY_COUNTS,
                                                              *tables.HOURLY_SUMS)))
        .select_from(h.join(c, and_(c.c.connection_id == h.c.connection_id,
                                    c.c.effective_from == h.c.effective_from,
                                    c.c.profile == judging.name)))
        .where(or_(false(), *(and_(h.c.criteria == criteria, h.c.month == month)
                              for month, criteria in months.items())))
        .group_by(c.c.service, c.c.technology, h.c.hour)).mappings()
    sums: dict[str, dict[str, list[list[float]]]] = {
        "speed": defaultdict(lambda: [[0.0, 0.0] for _ in range(24)]),
        "delay": defaultdict(lambda: [[0.0, 0.0] for _ in range(24)])}
    for row in rows:
        norms = judging.edition.per_test.get(row["service"])
        if norms is not None and norms.speed_norm_for(row["technology"]) is not None:
            cell = sums["speed"][row["technology"]][row["hour"]]
            cell[0] += float(row["speed_down_share_sum"])
            cell[1] += float(row["speed_down_n"])
        cell = sums["delay"][row["technology"]][row["hour"]]
        cell[0] += float(row["rtt_mean_sum_ms"])
        cell[1] += float(row["rtt_n"])
    return {what: {technology: [k / n if n else None for k, n in by_hour]
                   for technology, by_hour in sorted(found.items())
                   if any(n for _, n in by_hour)}
            for what, found in sums.items()}


def connection_shares(unit: indicators.Unit) -> dict[str, Any]:
    """One registry period's own figures; `connection_id` is for the caller to pseudonymise."""
    def ratio(k: float, n: float) -> float | None:
        return None if not n else round(100 * k / n, 4)
    return {
        "connection_id": unit.connection.connection_id,
        "service": unit.connection.service, "technology": unit.connection.technology,
        "region": unit.connection.region, "period_from": minsk_day(unit.begins).isoformat(),
        "speed_sessions": int(unit["speed_down_n"] + unit["speed_up_n"]),
        "speed_meeting_norm_percent": ratio(unit["speed_down_pass_n"] + unit["speed_up_pass_n"],
                                            unit["speed_down_n"] + unit["speed_up_n"]),
        "latency_sessions": int(unit["latency_n"]),
        "delay_meeting_norm_percent": ratio(unit["delay_pass_n"], unit["latency_n"]),
        "loss_meeting_norm_percent": ratio(unit["loss_pass_n"], unit["latency_n"]),
        "packet_loss_percent": ratio(unit["packets_lost"], unit["packets_sent"]),
        "availability_percent": ratio(unit.scheduled_s - unit.unavailable_s, unit.scheduled_s),
    }
