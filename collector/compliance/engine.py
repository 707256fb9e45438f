"""A quarter's compliance: the API the CLI and the reporter use.

Every computation returns, with its figures, a manifest from which it can be re-derived and
checked: a hash of the data it read (rollup fingerprints, registry, operator records), the
profile as resolved, and the code version. Computing never writes: `collector/runs.py`
keeps a computation in `compliance_runs` when a command publishes it.
"""

from __future__ import annotations

import hashlib
import json
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
