"""A quarter's compliance: the API the CLI and the reporter use.

Every computation returns, with its figures, a manifest from which it can be re-derived and
checked: a hash of the data it read (rollup fingerprints, registry, operator records), the
profile as resolved, and the code version. The manifest is also kept in `compliance_runs`.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from importlib import metadata
from typing import Any

from sqlalchemy import and_, func, insert, select

from netq.collector import tables
from netq.collector.compliance import customer, indicators
from netq.collector.compliance.quarter import Quarter
from netq.collector.compliance.thresholds import Profile
from netq.collector.store import Store

DEFAULT_PROFILE = "com645"  # the regulation in force


def read_units(store: Store, quarter: Quarter,
               profile_key: str | None = None) -> list[indicators.Unit]:
    """The quarter's registry periods with their rollups: what every figure is made from.
    Read once and pass to `compliance` and `details` when a caller needs both."""
    profile = store.norms.profile(profile_key or DEFAULT_PROFILE)
    store.rollups.ensure_built(store.engine)  # a profile judged by criteria not yet rolled up
    with store.engine.connect() as db:
        return indicators.read_units(db, quarter, profile)


def compliance(store: Store, quarter: Quarter, profile_key: str | None = None,
               breakdown: indicators.Breakdown | None = None, record: bool = True,
               units: list[indicators.Unit] | None = None,
               evidence: bool = True) -> dict[str, Any]:
    """The quarter's indicators under a profile, as `netq compliance --json` prints them.

    `evidence=False` leaves out the sample and the manifest (a hash over every rollup row of
    the quarter): for the collector's periodic gauges, which are never published."""
    profile = store.norms.profile(profile_key or DEFAULT_PROFILE)
    if units is None:
        units = read_units(store, quarter, profile.key)
    with store.engine.connect() as db:
        customer_figures, counted_apart = customer.figures(db, quarter, profile.method)
        drawn = sample(db, quarter, profile) if evidence else None
        manifest = make_manifest(db, quarter, profile) if evidence else None
    warnings = []
    if not profile.in_force_on(quarter.first_day):
        when = profile.effective_from or "no date set"
        warnings.append(f"profile {profile.key} is not in force on {quarter.first_day} "
                        f"(effective from: {when})")
    document = {
        "quarter": str(quarter),
        "profile": profile.key,
        "profile_title": profile.title,
        "profile_source": profile.source,
        "timezone": "Europe/Minsk",
        "period": {"from": quarter.start.isoformat(), "to": quarter.end.isoformat()},
        "breakdown": breakdown,
        "method": profile.method.model_dump(mode="json"),
        "per_test": {s: p.model_dump(mode="json") for s, p in profile.per_test.items()},
        "indicators": indicators.compute(units, profile, breakdown, customer_figures),
        "connections": len({u.connection.connection_id for u in units}),
        "exclusions": {**indicators.exclusions(units), **counted_apart},
        "coverage": indicators.coverage(units),
        "sample": drawn,
        "warnings": warnings,
        "manifest": manifest,
    }
    if record and manifest is not None:  # a run is recorded with its manifest or not at all
        with store.engine.begin() as db:
            db.execute(insert(tables.compliance_runs).values(
                quarter=str(quarter), profile=profile.key,
                computed_at=datetime.fromisoformat(manifest["computed_at"]),
                snapshot_sha256=manifest["snapshot_sha256"],
                profile_sha256=manifest["profile_sha256"],
                code_version=manifest["code_version"],
                document=document))
    return document


def sample(db: Any, quarter: Quarter, profile: Profile) -> dict[str, Any]:
    """Who was measured: probes, and connections and results per region (from rollups)."""
    r, c, p = tables.rollups, tables.connections, tables.probe_connections
    in_quarter = and_(r.c.criteria == profile.criteria, r.c.day >= quarter.first_day,
                      r.c.day <= quarter.last_day)
    regions = db.execute(
        select(c.c.region, func.count(func.distinct(r.c.connection_id)),
               func.sum(r.c.results_n))
        .select_from(r.join(c, and_(c.c.connection_id == r.c.connection_id,
                                    c.c.effective_from == r.c.effective_from)))
        .where(in_quarter).group_by(c.c.region).order_by(c.c.region)).all()
    probes = db.execute(select(func.count(func.distinct(p.c.probe_id))).where(
        p.c.connection_id.in_(select(r.c.connection_id).where(in_quarter)))).scalar_one()
    return {"probes": int(probes),
            "regions": [{"region": region, "connections": int(n), "results": int(results)}
                        for region, n, results in regions]}


def make_manifest(db: Any, quarter: Quarter, profile: Profile) -> dict[str, Any]:
    r, c = tables.rollups, tables.connections
    snapshot = hashlib.sha256()
    rows = db.execute(
        select(r.c.connection_id, r.c.effective_from, r.c.day, r.c.results_n, r.c.digest)
        .where(and_(r.c.criteria == profile.criteria, r.c.day >= quarter.first_day,
                    r.c.day <= quarter.last_day))
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
    resolved = json.dumps(profile.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return {
        "computed_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "results": results,
        "snapshot_sha256": snapshot.hexdigest(),
        "profile_sha256": hashlib.sha256(resolved.encode()).hexdigest(),
        "criteria": profile.criteria,
        "code_version": metadata.version("netq"),
    }


def details(store: Store, quarter: Quarter, profile_key: str | None = None,
            units: list[indicators.Unit] | None = None) -> dict[str, Any]:
    """What the report shows beside the indicator table: each network indicator month by
    month, each connection's mean download speed as a share of its tariff by technology,
    availability by node, and each connection's own shares (for pseudonymised open data)."""
    profile = store.norms.profile(profile_key or DEFAULT_PROFILE)
    months = []
    with store.engine.connect() as db:
        for month in quarter.months():
            entries = indicators.compute(indicators.read_units(db, month, profile), profile)
            months.append({"month": month.first_day.isoformat(),
                           "indicators": [e for e in entries if e["service"] != "customer"]})
        if units is None:
            units = indicators.read_units(db, quarter, profile)
    speed: dict[str, list[float]] = defaultdict(list)
    scheduled: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for unit in units:
        if unit["speed_down_n"]:
            speed[unit.connection.technology].append(
                unit["speed_down_share_sum"] / unit["speed_down_n"])
        if unit.scheduled_s > 0:
            totals = scheduled[unit.connection.node]
            totals[0] += unit.scheduled_s - unit.unavailable_s
            totals[1] += unit.scheduled_s
    return {"months": months, "speed_down_share_by_technology": dict(speed),
            "availability_by_node": {node: 100 * up / total
                                     for node, (up, total) in scheduled.items()},
            "connections": [connection_shares(unit) for unit in units]}


def connection_shares(unit: indicators.Unit) -> dict[str, Any]:
    """One registry period's own figures; `connection_id` is for the caller to pseudonymise."""
    def ratio(k: float, n: float) -> float | None:
        return None if not n else round(100 * k / n, 4)
    return {
        "connection_id": unit.connection.connection_id,
        "service": unit.connection.service, "technology": unit.connection.technology,
        "region": unit.connection.region, "period_from": unit.begins.isoformat(),
        "speed_sessions": int(unit["speed_down_n"] + unit["speed_up_n"]),
        "speed_meeting_norm_percent": ratio(unit["speed_down_pass_n"] + unit["speed_up_pass_n"],
                                            unit["speed_down_n"] + unit["speed_up_n"]),
        "latency_sessions": int(unit["latency_n"]),
        "delay_meeting_norm_percent": ratio(unit["delay_pass_n"], unit["latency_n"]),
        "loss_meeting_norm_percent": ratio(unit["loss_pass_n"], unit["latency_n"]),
        "packet_loss_percent": ratio(unit["packets_lost"], unit["packets_sent"]),
        "availability_percent": ratio(unit.scheduled_s - unit.unavailable_s, unit.scheduled_s),
    }
