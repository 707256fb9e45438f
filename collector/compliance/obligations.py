"""What the operator owes for a quarter: incidents from outages with their priority and
deadline, tickets owed a fee recalculation, tickets past the 24-working-hour restoration.

- Incident: every outage (availability, ≥ the profile's minimum) that began in the quarter.
  Its impact is "service fully down" (the line was unreachable); its urgency is high when
  at least `node_outage_connections` connections behind the same node were down at the same
  time (a node fault), else normal. Priority and resolution time from becloud2021 4.1–4.2;
  resolved late when the outage lasted longer than that.
- Fee recalculation (com645; byfly2024 4.1.22): tickets of the operator's fault registered in
  the quarter and restored more than `fee_recalculation_after_hours` after registration, or
  not restored by now; with the hours.
- NCES restoration: the same tickets measured in Belarusian working hours.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, select

from netq.collector import tables
from netq.collector.compliance import availability, workcalendar
from netq.collector.compliance.quarter import Quarter
from netq.collector.compliance.rollups import aware
from netq.collector.compliance.thresholds import Profile, Thresholds


def obligations(db: Any, quarter: Quarter, profile: Profile, norms: Thresholds,
                now: datetime | None = None) -> dict[str, Any]:
    rules = norms.obligations
    listed = tickets(db, quarter, norms, now or datetime.now(UTC))
    return {
        "quarter": str(quarter),
        "incidents": incidents(db, quarter, profile, norms),
        "fee_recalculation": [t for t in listed
                              if t["hours"] > rules.fee_recalculation_after_hours],
        "restoration_over_working_hours": [
            t for t in listed if t["working_hours"] > rules.restore_within_working_hours],
        "sources": {"priorities": rules.priority_source,
                    "fee_recalculation": "com645 (Правила, п. о перерасчёте); byfly2024 4.1.22",
                    "restoration": "nces-vks, раздел 5"},
    }


def incidents(db: Any, quarter: Quarter, profile: Profile,
              norms: Thresholds) -> list[dict[str, Any]]:
    rules = norms.obligations
    nodes: dict[str, str] = {}
    for row in db.execute(select(tables.connections.c.connection_id, tables.connections.c.node,
                                 tables.connections.c.effective_from)
                          .order_by(tables.connections.c.effective_from)):
        nodes[row.connection_id] = row.node  # the latest period's node
    found = availability.outages(db, nodes, quarter.start, quarter.end,
                                 profile.method.outage_min_minutes)
    by_node: dict[str, list[tuple[datetime, datetime, str]]] = defaultdict(list)
    for connection_id, spans in found.items():
        for a, b in spans:
            by_node[nodes[connection_id]].append((a, b, connection_id))
    listed = []
    for node, outages in by_node.items():
        for a, b, connection_id in outages:
            together = {c for x, y, c in outages if x < b and y > a}
            urgency = "high" if len(together) >= rules.node_outage_connections else "normal"
            level_number = rules.priorities["fully_down"][urgency]
            level = rules.levels[level_number]
            hours = (b - a).total_seconds() / 3600
            limit = level.resolution_hours
            listed.append({
                "connection_id": connection_id, "node": node, "from": a.isoformat(),
                "to": b.isoformat(), "hours": round(hours, 3), "impact": "fully_down",
                "urgency": urgency, "connections_down_together": len(together),
                "priority": level_number, "priority_name_ru": level.name_ru,
                "resolution_hours": None if limit is None else float(limit),
                "resolved_late": limit is not None and hours > limit,
            })
    return sorted(listed, key=lambda i: (i["from"], i["connection_id"]))


def tickets(db: Any, quarter: Quarter, norms: Thresholds,
            now: datetime) -> list[dict[str, Any]]:
    """The operator's-fault tickets registered in the quarter, with hours to restoration
    (to now when not restored) in clock time and in working time."""
    day = norms.obligations.working_day
    t = tables.tickets
    listed = []
    for row in db.execute(select(t).where(and_(
            t.c.registered_at >= quarter.start, t.c.registered_at < quarter.end,
            t.c.fault == "operator")).order_by(t.c.registered_at, t.c.ticket_id)).mappings():
        registered = aware(row["registered_at"])
        restored = aware(row["restored_at"]) if row["restored_at"] is not None else None
        until = restored or now
        listed.append({
            "ticket_id": row["ticket_id"], "connection_id": row["connection_id"],
            "registered_at": registered.isoformat(),
            "restored_at": restored.isoformat() if restored else None,
            "hours": round((until - registered) / timedelta(hours=1), 3),
            "working_hours": round(workcalendar.working_seconds(
                registered, until, day.from_, day.to) / 3600, 3),
        })
    return listed
