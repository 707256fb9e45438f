"""What the operator owes for a quarter, by the rules of each connection's profile:

- fee recalculation (com645 rules, item 28; cosmos2025 in the same words): every ticket of a
  fault that is not the subscriber's (the operator's or a third party's), registered in the
  quarter and not restored within the profile's hours of registration. byfly2024 4.1.22 says
  less (only "полного отсутствия доступа"); the Rules' item 28 binds byfly all the same;
- support levels (becloud2021 4.1–4.2), for the profiles whose contracts carry them: each
  ticket's priority from its registered impact and urgency, its reaction (acknowledged_at)
  and resolution (restored_at) timed from registration against the level's limits; an
  urgency the ticket does not record is taken as normal and says so;
- restoration in working hours (nces-vks 5.3): the operator's-fault tickets of those
  profiles, timed in Belarusian working hours from registration;
- planned works announced later than the profile's rule (com645: a day ahead; nces-vks 5.2:
  one working day ahead): listed; every planned work stays in the availability figure;
- probe-detected outages, with the tickets that cover them: for cross-checking, never judged.

A ticket falls under the profile of its connection's registry row on the registration day,
and that profile's edition in force on that day.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from datetime import UTC, datetime, timedelta
from typing import Any

from netq.collector import queries
from netq.collector.compliance import workcalendar
from netq.collector.compliance.availability import Span, Work
from netq.collector.compliance.quarter import MINSK, Quarter, minsk_day
from netq.collector.compliance.thresholds import Profile, SupportLevels, Thresholds, Urgency
from netq.collector.registry import RegistryPeriods


def announced_in_time(edition: Profile) -> Callable[[datetime, datetime], bool]:
    """Whether planned works were announced as early as the edition's sources ask."""
    asked = edition.obligations.planned_notice
    notice = timedelta(hours=0 if asked is None else float(asked.hours))
    working = edition.obligations.planned_notice_working_days

    def in_time(announced: datetime, starts: datetime) -> bool:
        if starts - announced < notice:
            return False
        if working is None:
            return True
        latest = workcalendar.working_days_before(minsk_day(starts), working.days)
        return announced.astimezone(MINSK).date() <= latest
    return in_time


def obligations(db: Any, quarter: Quarter, norms: Thresholds,
                now: datetime | None = None) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    listed = tickets(*queries.tickets(db, quarter), norms, now)
    used = {t["edition"] for t in listed if t["edition"] is not None}
    return {
        "quarter": str(quarter),
        "warnings": [str(w) for key in sorted(used) for w in norms.profile(key).warnings()],
        "fee_recalculation": [t for t in listed if t["fee_recalculation"] == "owed"],
        "support_levels": [t for t in listed if t["support_level"] is not None],
        "restoration_over_working_hours": [
            t for t in listed if t["restoration"] is not None and t["restoration"]["late"]],
        "planned_works_short_notice": short_notice(
            quarter, norms, queries.profiles_of_node(db),
            queries.planned_works(db, quarter.start, quarter.end, lambda *_: True)),
        "outages": outages_seen(db, quarter, norms),
    }


def tickets(rows: Iterable[Mapping[str, Any]], registry: RegistryPeriods, norms: Thresholds,
            now: datetime) -> list[dict[str, Any]]:
    """Each ticket (queries.tickets: those registered in a quarter, of one connection or all,
    with their lines' registry periods), with what each rule of its profile says."""
    listed = []
    for row in rows:
        registered = row["registered_at"]
        restored, acknowledged = row["restored_at"], row["acknowledged_at"]
        until = restored or now
        hours = (until - registered) / timedelta(hours=1)
        connection = registry.in_force(row["connection_id"], minsk_day(registered))
        edition = None if connection is None or connection.profile not in norms.names() \
            else norms.in_force(connection.profile, minsk_day(registered))
        entry: dict[str, Any] = {
            "ticket_id": row["ticket_id"], "connection_id": row["connection_id"],
            "profile": None if connection is None else connection.profile,
            "edition": None if edition is None else edition.key,
            "fault": row["fault"], "impact": row["impact"], "urgency": row["urgency"],
            "registered_at": registered.isoformat(),
            "acknowledged_at": acknowledged.isoformat() if acknowledged else None,
            "restored_at": restored.isoformat() if restored else None,
            "restored": restored is not None,
            "hours": round(hours, 3),
            "fee_recalculation": None, "support_level": None, "restoration": None,
        }
        if edition is not None:
            entry.update(_judged(edition, row, registered, acknowledged, restored, until, hours))
        listed.append(entry)
    return listed


def _judged(edition: Profile, row: Any, registered: datetime,
            acknowledged: datetime | None, restored: datetime | None, until: datetime,
            hours: float) -> dict[str, Any]:
    owed = edition.obligations
    found: dict[str, Any] = {}
    fee = owed.fee_recalculation
    if fee is not None and row["fault"] != "subscriber" and hours > fee.after_hours:
        found["fee_recalculation"] = "owed"
        found["fee"] = {"hours_over": round(hours - float(fee.after_hours), 3),
                        "after_hours": float(fee.after_hours), "clause": fee.clause}
    if owed.support_levels is not None:
        found["support_level"] = _support_level(row, owed.support_levels, registered,
                                                acknowledged, restored, until)
    limit = owed.restoration_working_hours
    if limit is not None and row["fault"] == "operator":
        day = limit.working_day
        working = workcalendar.working_seconds(registered, until, day.from_, day.to) / 3600
        found["restoration"] = {"working_hours": round(working, 3), "limit": float(limit.hours),
                                "late": working > limit.hours, "clause": limit.clause,
                                "working_day": f"{day.from_:%H:%M}–{day.to:%H:%M}",
                                "working_day_assumed": day.clause is None}
    return found


def _support_level(row: Any, support: SupportLevels, registered: datetime,
                   acknowledged: datetime | None, restored: datetime | None,
                   until: datetime) -> dict[str, Any]:
    clause = support.clause
    if row["impact"] is None:
        return {"priority": None, "judged": False, "why": "impact not recorded on the ticket",
                "clause": clause}
    urgency: Urgency = row["urgency"] or "normal"
    number = support.priorities[row["impact"]][urgency]
    level = support.levels[number]
    reaction_limit = timedelta(minutes=level.reaction_minutes)
    reacted = (acknowledged or until) - registered
    resolution = None if level.resolution_hours is None else \
        timedelta(hours=float(level.resolution_hours))
    return {
        "priority": number, "priority_name_ru": level.name_ru, "judged": True,
        "urgency_source": "ticket" if row["urgency"] else "not recorded: normal assumed",
        "reaction_minutes": round(reacted / timedelta(minutes=1), 3),
        "reaction_limit_minutes": level.reaction_minutes,
        "reaction_late": reacted > reaction_limit,
        "reacted": acknowledged is not None,
        "resolution_hours": round((until - registered) / timedelta(hours=1), 3),
        "resolution_limit_hours": None if level.resolution_hours is None
        else float(level.resolution_hours),
        "resolution_late": resolution is not None and until - registered > resolution,
        "resolved": restored is not None,
        "clause": clause,
    }


def short_notice(quarter: Quarter, norms: Thresholds, profiles_of_node: Mapping[str, Set[str]],
                 works: Iterable[Work]) -> list[dict[str, Any]]:
    """Planned works that began in the quarter announced later than a profile's rule asks,
    per profile whose connections sit behind the works' nodes (`profiles_of_node`)."""
    works = list(works)
    listed = []
    for name in norms.names():
        edition = norms.in_force(name, quarter.last_day)
        if edition is None:
            continue
        in_time = announced_in_time(edition)
        for work in works:
            if in_time(work.announced, work.starts) or \
                    not quarter.start <= work.starts < quarter.end or not any(
                    name in profiles_of_node.get(node, ()) for node in work.nodes):
                continue
            listed.append({
                "work_id": work.work_id, "profile": name, "edition": edition.key,
                "announced_at": work.announced.isoformat(), "starts_at": work.starts.isoformat(),
                "ends_at": work.ends.isoformat(), "nodes": sorted(work.nodes),
                "notice_hours": round((work.starts - work.announced) / timedelta(hours=1), 3),
                "rule": _notice_rule(edition),
                "counted_in_availability": True,
            })
    return listed


def _notice_rule(edition: Profile) -> str:
    """The notice the edition's sources ask, with their clauses."""
    asked = edition.obligations
    rules = [f"{asked.planned_notice.hours} h: {asked.planned_notice.clause}"
             if asked.planned_notice else None,
             asked.planned_notice_working_days.clause
             if asked.planned_notice_working_days else None]
    return "; ".join(rule for rule in rules if rule)


COVERING = timedelta(days=1)


def covers(registered: datetime, start: datetime, end: datetime) -> bool:
    """Whether a ticket registered at `registered` covers the outage [start, end): registered
    while it lasted, or within a day before it began (the same fault, seen late)."""
    return start - COVERING <= registered < end


def outages_seen(db: Any, quarter: Quarter, norms: Thresholds) -> list[dict[str, Any]]:
    """The quarter's outages (at least the regulation's minimum length) and the tickets that
    may cover them, read for `outages`."""
    minimum = min(p.method.outage_min_minutes for p in norms.profiles.values())
    nodes = queries.latest_nodes(db)
    found = queries.outages(db, nodes, quarter.start, quarter.end, minimum)
    return outages(found, nodes, queries.ticket_times(db, found, quarter.start - COVERING,
                                                      quarter.end))


def outages(found: Mapping[str, Sequence[Span]], nodes: Mapping[str, str],
            registered: Mapping[str, Sequence[tuple[str, datetime]]]) -> list[dict[str, Any]]:
    """Outages the probes saw (`found`, per connection), with the tickets of the same
    connection (`registered`: id and moment) registered while it lasted: facts to check
    against the tickets, not a verdict (the sources time obligations from the registered
    request)."""
    by_node: dict[str, list[tuple[datetime, datetime, str]]] = defaultdict(list)
    for connection_id, down in found.items():
        for a, b in down:
            by_node[nodes[connection_id]].append((a, b, connection_id))
    listed = []
    for node, spans in by_node.items():
        for a, b, connection_id in spans:
            covering = [ticket_id for ticket_id, moment in registered.get(connection_id, ())
                        if covers(moment, a, b)]
            listed.append({
                "connection_id": connection_id, "node": node, "from": a.isoformat(),
                "to": b.isoformat(), "hours": round((b - a).total_seconds() / 3600, 3),
                "connections_of_node_down_together":
                    len({x for s, e, x in spans if s < b and e > a}),
                "ticket_ids": covering,
            })
    return sorted(listed, key=lambda i: (i["from"], i["connection_id"]))
