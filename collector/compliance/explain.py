"""The evidence behind one figure: the results that made it, re-judged from the raw store.

It re-reads the quarter's raw results (O(results), unlike the figure itself) and runs them
through the same judgement as the rollups, so its totals are the figure's n and numerator.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import and_, select

from netq.collector import tables
from netq.collector.compliance import availability
from netq.collector.compliance.engine import judged
from netq.collector.compliance.indicators import MEASURES
from netq.collector.compliance.judgement import judge
from netq.collector.compliance.quarter import Quarter, minsk_day
from netq.collector.compliance.rollups import Registry, aware
from netq.collector.compliance.thresholds import Indicator, Profile
from netq.collector.store import Store


def find(store: Store, indicator_id: str) -> tuple[Profile, Indicator]:
    key, _, number = indicator_id.partition(".")
    profile = store.norms.profile(key)
    for indicator in profile.indicators:
        if indicator.id == number:
            return profile, indicator
    raise LookupError(f"profile {key} has no indicator {number!r}; it has: "
                      f"{', '.join(i.id for i in profile.indicators)}")


def explain(store: Store, quarter: Quarter, indicator_id: str,
            connection_id: str | None = None) -> dict[str, Any]:
    edition, indicator = find(store, indicator_id)
    if indicator.measure not in MEASURES:
        raise LookupError(f"{indicator_id} comes from the operator's imported records, not "
                          "from measurements: see `netq records list`")
    judging = judged(store, quarter, edition.profile)
    columns = MEASURES[indicator.measure].columns
    r = tables.results
    # an availability interval may start in the quarter before and reach into this one
    since = quarter.start - timedelta(days=1) if indicator.measure == "availability" \
        else quarter.start
    query = select(r).where(and_(r.c.started_at >= since, r.c.started_at < quarter.end))
    if connection_id is not None:
        query = query.where(r.c.connection_id == connection_id)
    evidence: list[dict[str, Any]] = []
    totals: dict[str, float] = dict.fromkeys(columns, 0.0)
    with store.engine.connect() as db:
        registry = Registry.read(db, [connection_id] if connection_id else None)
        for raw in db.execute(query.order_by(r.c.started_at, r.c.id)).mappings():
            row = {**raw, "started_at": aware(raw["started_at"]),
                   "ended_at": aware(raw["ended_at"])}
            connection = registry.in_force(row["connection_id"], minsk_day(row["started_at"]))
            if connection is None or connection.profile != judging.name or \
                    not indicator.covers(connection.service, connection.technology):
                continue
            for span in judging.spans:
                for day, tally in judge(row, connection, span.edition):
                    counted = {c: tally[c] for c in columns if tally.get(c)}
                    if not span.first_day <= day <= span.last_day or not counted:
                        continue
                    for column, value in counted.items():
                        totals[column] = (max(totals[column], value)
                                          if column.endswith("_max")
                                          else totals[column] + value)
                    evidence.append({"id": row["id"], "connection_id": row["connection_id"],
                                     "kind": row["kind"], "started_at": row["started_at"],
                                     "day": day, "edition": span.edition.key,
                                     "technology": connection.technology,
                                     "counted": counted})
        outages = {}
        if indicator.measure == "availability":
            ids = {e["connection_id"] for e in evidence}
            outages = {cid: [{"from": a, "to": b, "seconds": (b - a).total_seconds()}
                             for a, b in spans]
                       for cid, spans in availability.outages(
                           db, ids, quarter.start, quarter.end,
                           judging.edition.method.outage_min_minutes).items()}
    return {"quarter": str(quarter), "indicator": indicator_id, "name_ru": indicator.name_ru,
            "clause": indicator.clause, "measure": indicator.measure,
            "connection_id": connection_id, "totals": totals, "results": evidence,
            "outages": outages}
