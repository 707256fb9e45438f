"""One line's measurement protocol: what a subscriber or an inspector disputing a line needs,
and nothing of any other subscriber.

For a window of Minsk days: the registry rows (the contract's service, technology and
tariffs) in force, every test with its verdict against the per-test norms of the edition in
force on its day, the availability day by day with the outages, the planned works on the
line's node and the line's tickets, and the line's own figure for each indicator. Everything
comes from the raw results re-judged by the same `judge()` as the rollups (explain.py), so a
figure here equals what `netq compliance explain --connection` gives for the line, and a
manifest hash names the records it rests on.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from netq.collector import queries
from netq.collector.compliance import availability, indicators, obligations
from netq.collector.compliance.document import LineFigure
from netq.collector.compliance.engine import Judged, code_identity, judged
from netq.collector.compliance.explain import REACH_BACK, add, judged_results
from netq.collector.compliance.figures import Unit
from netq.collector.compliance.judgement import at_layer, verdicts
from netq.collector.compliance.measures import MEASURES, PER_TEST_NORMS
from netq.collector.compliance.notices import Notice
from netq.collector.compliance.quarter import Period, minsk_day, minsk_midnight
from netq.collector.compliance.thresholds import Profile
from netq.collector.registry import FIRST_PERIOD, Connection
from netq.collector.store import Store
from netq.errors import NetqError

LONGEST_WINDOW = timedelta(days=366)  # a year of one line: more is a mistake, not a dispute


class LineError(NetqError):
    """A window or connection the protocol cannot be made for; the message says why."""


def window(first_day: date, last_day: date) -> Period:
    if last_day < first_day:
        raise LineError(f"the window ends ({last_day}) before it begins ({first_day})")
    if last_day - first_day >= LONGEST_WINDOW:
        raise LineError(f"the window {first_day}–{last_day} is longer than "
                        f"{LONGEST_WINDOW.days} days; ask for one year at the most")
    return Period(first_day, last_day)


def protocol(store: Store, connection_id: str, period: Period,
             now: datetime | None = None) -> dict[str, Any]:
    """The line's protocol for the window `period` (whole Minsk days), as a JSON-ready dict."""
    now = now or datetime.now(UTC)
    with store.engine.connect() as db:
        periods = queries.registry_periods(db, [connection_id]).periods.get(connection_id)
        if not periods:
            raise LineError(f"connection {connection_id!r} is not in the registry")
        units = indicators.registry_units([periods], period, {p.profile for p in periods})
        if not units:
            raise LineError(f"connection {connection_id!r} has no registry row in force in "
                            f"{period.first_day}–{period.last_day} (its first is in force from "
                            f"{periods[0].effective_from})")
        known = sorted({u.connection.profile for u in units.values()}
                       & set(store.norms.names()))
        judging = [judged(store, period, name) for name in known]
        notices = [w for j in judging for w in j.warnings]
        notices += [Notice("profile %(profile)s (from %(day)s) is not defined in "
                           "thresholds.yaml: its tests are not judged",
                           {"profile": u.connection.profile,
                            "day": str(u.connection.effective_from)})
                    for u in units.values() if u.connection.profile not in known]
        walked = _walk(db, judging, period, connection_id, units)
        _refuse_archived(db, connection_id, period, walked["results_n"])
        for chosen in judging:
            works = queries.planned_works(
                db, period.start, period.end, obligations.announced_in_time(chosen.edition))
            queries.settle_availability(
                db, [u for u in units.values() if u.connection.profile == chosen.name],
                period, chosen.edition.method.outage_min_minutes, chosen.edition.suspensions,
                works)
        shortest = judging[-1].edition.method.outage_min_minutes if judging else min(
            p.method.outage_min_minutes for p in store.norms.profiles.values())
        outages = queries.outages(db, [connection_id], period.start, period.end,
                                  shortest).get(connection_id, [])
        nodes = {u.connection.node for u in units.values()}
        works = [w for w in queries.planned_works(
            db, period.start, period.end,
            obligations.announced_in_time(judging[-1].edition) if judging
            else lambda *_: True) if w.nodes & nodes]
        tickets = obligations.tickets(*queries.tickets(db, period, connection_id), store.norms,
                                      now)
        for ticket in tickets:
            ticket["seen"] = _seen(db, connection_id, ticket, outages, min(now, period.end))
        contracts = _contracts(db, connection_id)
        clauses: dict[str, str] = {reason: clause for reason, clause in
                                   judging[-1].edition.suspensions.items()} if judging else {}
        held = [{"suspension_id": s.suspension_id, "from": s.starts.isoformat(),
                 "to": None if s.ends is None else s.ends.isoformat(), "reason": s.reason,
                 "clause": clauses.get(s.reason), "excluded": s.reason in clauses}
                for s in queries.suspensions(db, [connection_id], period.start,
                                             period.end).get(connection_id, [])]
        manifest = _manifest(db, connection_id, period, walked["hash"], judging, works, held,
                             store.norms.sha256, now)
    return {
        "document": "line-protocol",
        "connection_id": connection_id,
        "period": {"from": period.first_day.isoformat(), "to": period.last_day.isoformat(),
                   "timezone": "Europe/Minsk", "start": period.start.isoformat(),
                   "end": period.end.isoformat()},
        "complete": now >= period.end,
        "registry": [_registry_row(u) for u in sorted(units.values(),
                                                       key=lambda u: u.begins)],
        "profiles": [{"profile": j.name, "editions": [
            {"key": s.edition.key, "title": s.edition.title, "source": s.edition.source,
             "from": s.first_day.isoformat(), "to": s.last_day.isoformat(),
             "per_test": {service: norms.model_dump(mode="json", exclude_none=True)
                          for service, norms in s.edition.per_test.items()},
             "speed_layer": s.edition.method.speed_layer} for s in j.spans]}
            for j in judging],
        "figures": [figure.model_dump(mode="json", exclude_unset=True)
                    for figure in _figures(judging, units, walked["totals"])],
        "tests": walked["tests"],
        "excluded": walked["excluded"],
        "days": _days(period, walked["days"], outages),
        "outage_min_minutes": float(shortest),
        "outages": [{"from": a.isoformat(), "to": b.isoformat(),
                     "minutes": round((b - a).total_seconds() / 60, 3),
                     "ticket_ids": [t["ticket_id"] for t in tickets if obligations.covers(
                         datetime.fromisoformat(t["registered_at"]), a, b)]}
                    for a, b in outages],
        "planned_works": [{"work_id": w.work_id, "announced_at": w.announced.isoformat(),
                           "starts_at": w.starts.isoformat(), "ends_at": w.ends.isoformat(),
                           "announced_in_time": w.in_time} for w in works],
        "tickets": tickets,
        "contracts": contracts,
        "suspensions": held,
        "observed_until": min(now, period.end).isoformat(),
        "coverage": indicators.coverage(units.values(), now),
        "warnings": [str(notice) for notice in notices],
        "notices": [notice.to_json() for notice in notices],
        "manifest": manifest,
    }


def _walk(db: Any, judging: Sequence[Judged], period: Period, connection_id: str,
          units: dict[tuple[str, date], Unit]) -> dict[str, Any]:
    """Every result of the line re-judged: each unit's sums (as its rollups would hold
    them), the totals per indicator's population, the tests, and the records' hash."""
    tests: list[dict[str, Any]] = []
    excluded: dict[str, int] = defaultdict(int)
    days: dict[date, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    totals: dict[tuple[str, date], dict[str, float]] = defaultdict(dict)
    results_n: dict[date, int] = defaultdict(int)  # by day, as the rollups count them
    records = hashlib.sha256()
    for row, connection, pieces in judged_results(db, judging, period.start - REACH_BACK,
                                                  period.end, [connection_id]):
        records.update(_canonical(row))
        key = (connection.connection_id, connection.effective_from)
        for day, _, tally in pieces:
            add(totals[key], tally)
            results_n[day] += int(tally.get("results_n", 0))
            for column in DAY_COLUMNS:  # the figures' own counts, day by day
                days[day][column] += tally.get(column, 0.0)
        day, edition, tally = pieces[0]
        if row["exclusion"] is not None:
            excluded[row["exclusion"]] += 1
        if row["kind"] == "availability":
            continue
        norms = edition.norms_for(connection.service)
        verdict = verdicts(tally, norms, connection.technology)
        failed = {norm.reads for norm in PER_TEST_NORMS if verdict.get(norm.name) is False}
        days[day]["speed_failed_n"] += "throughput" in failed
        days[day]["latency_failed_n"] += "latency" in failed
        tests.append(_test(row, connection, edition, tally, verdict))
    for key, sums in totals.items():
        if key in units:
            units[key].sums = sums
    return {"tests": tests, "excluded": dict(excluded), "days": days, "totals": totals,
            "hash": records.hexdigest(), "results_n": results_n}


def _refuse_archived(db: Any, connection_id: str, period: Period,
                     found: Mapping[date, int]) -> None:
    """A protocol rests on the raw results; days whose results were archived (a dropped
    partition) would read as days without tests. The daily rollups keep counting them: any
    criteria counting more results on a day than the store holds says so."""
    counted = queries.results_counted(db, connection_id, period.first_day, period.last_day)
    missing = sorted(day for day, n in counted.items() if n > found.get(day, 0))
    if missing:
        held, kept = (sum(counted[d] for d in missing), sum(found.get(d, 0) for d in missing))
        raise LineError(
            f"the results of {connection_id} on {len(missing)} days ({missing[0]} … "
            f"{missing[-1]}) are no longer in the store: the daily rollups count {held} "
            f"tests there, the store holds {kept}. Restore the archived months' results "
            "before writing the line's protocol.")


def _seen(db: Any, connection_id: str, ticket: dict[str, Any],
          outages: Sequence[tuple[datetime, datetime]], until: datetime) -> dict[str, Any]:
    """What the probe saw of the line while a ticket was open (from a day before it was
    registered, as obligations.covers reads a ticket, to its restoration): a cross-check of the
    operator's record, never a verdict. `agrees` when a fault not the subscriber's met an
    outage; `no_outage_seen` when the line was observed up throughout; `not_observed` when no
    interval covered it."""
    opened = datetime.fromisoformat(ticket["registered_at"]) - obligations.COVERING
    closed = min(until, datetime.fromisoformat(ticket["restored_at"])) \
        if ticket["restored_at"] else until
    window = [(opened, closed)] if closed > opened else []
    observed = queries.covered_within(db, connection_id, window)
    down = sum(availability.overlap(outages, a, b) for a, b in window)
    check = "not_observed" if observed == 0 else "agrees" if down else "no_outage_seen"
    return {"observed_minutes": round(observed / 60, 3), "down_minutes": round(down / 60, 3),
            "cross_check": check}


def _canonical(row: Mapping[str, Any]) -> bytes:
    fields = [row["id"], row["started_at"].isoformat(), row["ended_at"].isoformat(),
              row["probe_id"], row["kind"], row["target"], str(row["ok"]),
              row["error"] or "", row["exclusion"] or "",
              json.dumps(row["metrics"], sort_keys=True, ensure_ascii=False)]
    return ("|".join(fields) + "\n").encode()


def _test(row: Mapping[str, Any], connection: Connection, edition: Profile,
          tally: dict[str, float], verdict: dict[str, bool]) -> dict[str, Any]:
    metrics = row["metrics"]
    entry: dict[str, Any] = {
        "id": row["id"], "kind": row["kind"], "started_at": row["started_at"].isoformat(),
        "target": row["target"], "edition": edition.key, "exclusion": row["exclusion"],
        "judged": bool(verdict), "verdicts": verdict,
    }
    if row["kind"] == "throughput":
        direction = metrics.get("direction")
        tariff = connection.tariff_down_kbps if direction == "down" \
            else connection.tariff_up_kbps
        entry.update(direction=direction, ended=metrics.get("ended"), tariff_kbps=tariff,
                     tcp_payload_kbps=None, kbps_at_layer=None, ethernet_kbps=None,
                     share_of_tariff=None, layer=edition.method.speed_layer)
        if metrics.get("ended") == "complete" and metrics.get("bits_per_second") is not None:
            bps, _ = at_layer(metrics, edition.method.speed_layer)
            ethernet, _ = at_layer(metrics, "ethernet")  # shown beside, never the verdict
            share = tally.get(f"speed_{direction}_share_sum")  # none when excluded
            entry.update(tcp_payload_kbps=round(metrics["bits_per_second"] / 1000, 3),
                         kbps_at_layer=round(float(bps) / 1000, 3),
                         ethernet_kbps=round(float(ethernet) / 1000, 3),
                         share_of_tariff=None if share is None else round(share, 4))
    elif row["kind"] == "latency":
        sent, received = metrics.get("sent") or 0, metrics.get("received") or 0
        rtt = metrics.get("rtt_ms") or {}
        entry.update(sent=sent, received=received,
                     loss_percent=round(100 * (sent - received) / sent, 4) if sent else None,
                     rtt_mean_ms=rtt.get("mean") if received else None)
    elif row["kind"] == "attempt":
        entry.update(ok=bool(row["ok"]), error=row["error"])
    return entry


def _figures(judging: Sequence[Judged], units: dict[tuple[str, date], Unit],
             totals: dict[tuple[str, date], dict[str, float]]) -> list[LineFigure]:
    """The line's own figure for each indicator whose population it is in: made as the
    published figure is made, from the line's units alone; with the totals `explain` gives.
    `line_meets` compares this one line's figure with the norm's value; the regulation's
    verdict is on the operator's whole population (the quarterly report)."""
    found = []
    for chosen in judging:
        mine = [u for u in units.values() if u.connection.profile == chosen.name]
        edition = chosen.edition
        for entry in indicators.compute(mine, edition):
            indicator = next(i for i in edition.indicators if i.id == entry["item"])
            covered = [u for u in mine if indicator.covers(u.connection.service,
                                                           u.connection.technology)
                       and _on_plan(u, entry)]
            if indicator.service == "customer" or not covered:
                continue
            summed: dict[str, float] = {}
            for unit in covered:
                add(summed, totals.get((unit.connection.connection_id,
                                        unit.connection.effective_from), {}))
            mine_only: dict[str, Any] = {
                "totals": {c: summed.get(c, 0.0) for c in MEASURES[indicator.measure].columns}}
            if entry.get("line_norm") is not None:  # item 9: the line's contract, in kbit/s
                mine_only.update(value=entry["mean_kbps"], unit="kbit/s", n=entry["tests"],
                                 n_counts="tests", norm={"op": entry["line_norm"]["op"],
                                                         "value": entry["line_norm"]["kbps"]},
                                 line_meets=not entry["lines_failing"])
            else:
                value = entry["value"]
                mine_only["line_meets"] = None if value is None else indicator.norm.met_by(value)
            found.append(LineFigure.model_validate({**entry, **mine_only}))
    return found


def _on_plan(unit: Unit, entry: dict[str, Any]) -> bool:
    """Whether the unit is on the tariff plan of a per-plan entry (item 9); any other entry
    takes every unit."""
    if entry.get("tariff_kbps") is None:
        return True
    per_plan = MEASURES[entry["measure"]].per_plan
    assert per_plan is not None
    return bool(getattr(unit.connection, f"tariff_{per_plan[0]}_kbps") == entry["tariff_kbps"])


# what each day sums of its tests' tallies: the very counts the figures are made of
DAY_COLUMNS = ("covered_s", "attempts_n", "attempts_failed_n", "speed_down_n", "speed_up_n",
               "latency_n", "excluded_n")


def _days(period: Period, days: dict[date, dict[str, float]],
          outages: list[tuple[datetime, datetime]]) -> list[dict[str, Any]]:
    """Day by day, counted as the figures count: attempts (items 13, 18), speed sessions
    (item 15), latency sessions (items 16, 17, 19), each with those outside its norm, the
    records not judged, and the time observed and down."""
    listed = []
    day = period.first_day
    while day <= period.last_day:
        start = minsk_midnight(day)
        seen = days.get(day, {})
        listed.append({
            "day": day.isoformat(),
            "covered_minutes": round(seen.get("covered_s", 0.0) / 60, 3),
            "down_minutes": round(availability.overlap(
                outages, start, start + timedelta(days=1)) / 60, 3),
            "attempts_n": int(seen.get("attempts_n", 0)),
            "attempts_failed_n": int(seen.get("attempts_failed_n", 0)),
            "speed_n": int(seen.get("speed_down_n", 0) + seen.get("speed_up_n", 0)),
            "speed_failed_n": int(seen.get("speed_failed_n", 0)),
            "latency_n": int(seen.get("latency_n", 0)),
            "latency_failed_n": int(seen.get("latency_failed_n", 0)),
            "excluded_n": int(seen.get("excluded_n", 0)),
        })
        day += timedelta(days=1)
    return listed


def _registry_row(unit: Unit) -> dict[str, Any]:
    row = unit.connection
    return {"effective_from": None if row.effective_from == FIRST_PERIOD
            else row.effective_from.isoformat(),
            "in_window_from": minsk_day(unit.begins).isoformat(),
            "in_window_to": (minsk_day(unit.ends - timedelta(seconds=1))).isoformat(),
            "service": row.service, "technology": row.technology,
            "tariff_down_kbps": row.tariff_down_kbps, "tariff_up_kbps": row.tariff_up_kbps,
            "region": row.region, "node": row.node, "profile": row.profile}


def _contracts(db: Any, connection_id: str) -> list[dict[str, Any]]:
    return [{key: value.isoformat() if isinstance(value, date) else value
             for key, value in row.items()}
            for row in queries.contracts_of(db, connection_id)]


def _manifest(db: Any, connection_id: str, period: Period, results_sha256: str,
              judging: Sequence[Judged], works: Sequence[availability.Work],
              held: Sequence[dict[str, Any]], thresholds_sha256: str,
              now: datetime) -> dict[str, Any]:
    """What the protocol rests on: its results, its registry rows, tickets, contracts and
    planned works, hashed; the norms as resolved; the code."""
    snapshot = hashlib.sha256(f"results|{results_sha256}\n".encode())
    for row in queries.registry_rows(db, connection_id):
        snapshot.update(("registry|" + "|".join(map(str, row.values())) + "\n").encode())
    tickets, _ = queries.tickets(db, period, connection_id)
    for row in sorted(tickets, key=lambda ticket: ticket["ticket_id"]):
        snapshot.update(("tickets|" + "|".join(map(str, row.values())) + "\n").encode())
    for row in _contracts(db, connection_id):
        snapshot.update(("contracts|" + json.dumps(row, sort_keys=True) + "\n").encode())
    for work in works:
        snapshot.update(f"planned_works|{work.work_id}|{work.announced}|{work.starts}|"
                        f"{work.ends}\n".encode())
    for suspension in held:
        snapshot.update(("suspensions|" + json.dumps(suspension, sort_keys=True) + "\n").encode())
    resolved = json.dumps([s.edition.model_dump(mode="json") for j in judging for s in j.spans],
                          sort_keys=True, ensure_ascii=False)
    return {"computed_at": now.isoformat(timespec="seconds"),
            "results_sha256": results_sha256,
            "snapshot_sha256": snapshot.hexdigest(),
            "profile_sha256": hashlib.sha256(resolved.encode()).hexdigest(),
            **code_identity(thresholds_sha256)}
