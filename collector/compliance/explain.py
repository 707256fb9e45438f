"""The evidence behind one figure: the results that made it, re-judged from the raw store.

It re-reads the quarter's raw results (O(results), unlike the figure itself) and runs them
through the same judgement as the rollups, so its totals are the figure's n and numerator.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from netq.collector import queries
from netq.collector.compliance.engine import Judged, judged
from netq.collector.compliance.judgement import EXTREMES, judge
from netq.collector.compliance.measures import MEASURES, Tally
from netq.collector.compliance.quarter import Quarter, minsk_day
from netq.collector.compliance.thresholds import Indicator, Profile
from netq.collector.registry import Connection
from netq.collector.store import Store
from netq.errors import NotFound

# an availability interval may start the day before a period and reach into it
REACH_BACK = timedelta(days=1)
Piece = tuple[date, Profile, Tally]  # a Minsk day, the edition it was judged under, its tally
Judgement = tuple[Mapping[str, Any], Connection, list[Piece]]  # a raw result, its line, its pieces


def find(store: Store, indicator_id: str) -> tuple[Profile, Indicator]:
    key, dot, number = indicator_id.partition(".")
    if not dot or key not in store.norms.profiles:
        raise NotFound(f"no indicator {indicator_id!r}: an indicator is named by its edition "
                       f"and item, as `id` in netq compliance --json: e.g. com645.{number or key}"
                       f"; the editions are {', '.join(store.norms.profiles)}")
    profile = store.norms.profile(key)
    for indicator in profile.indicators:
        if indicator.id == number:
            return profile, indicator
    raise NotFound(f"profile {key} has no indicator {number!r}; it has: "
                      f"{', '.join(i.id for i in profile.indicators)}")


def judged_results(db: Any, judging: Sequence[Judged], start: datetime, end: datetime,
                   connection_ids: Sequence[str] | None = None,
                   kinds: Sequence[str] | None = None) -> Iterator[Judgement]:
    """The raw results started in [start, end), each with the connection row in force on
    its day and what it adds, day by day, under the edition of each judged day; a result of
    a connection none of `judging` covers is left out. The same `judge()` as the rollups."""
    by_profile = {j.name: j for j in judging}
    registry = queries.registry_periods(db, connection_ids)
    for row in queries.results(db, start, end, connection_ids, kinds):
        connection = registry.in_force(row["connection_id"], minsk_day(row["started_at"]))
        chosen = None if connection is None else by_profile.get(connection.profile)
        if connection is None or chosen is None:
            continue
        pieces = [(day, span.edition, tally) for span in chosen.spans
                  for day, tally in judge(row, connection, span.edition)
                  if span.first_day <= day <= span.last_day]
        if pieces:
            yield row, connection, pieces


def add(totals: dict[str, float], counted: dict[str, float]) -> None:
    """Fold one result's counts in, as the rollups fold them (sums, and the extremes)."""
    for column, value in counted.items():
        merge = EXTREMES.get(column)
        totals[column] = value if column not in totals else \
            merge(totals[column], value) if merge else totals[column] + value


def explain(store: Store, quarter: Quarter, indicator_id: str,
            connection_id: str | None = None) -> dict[str, Any]:
    edition, indicator = find(store, indicator_id)
    measure = MEASURES[indicator.measure]
    if measure.records is not None:
        raise NotFound(f"{indicator_id} comes from the operator's imported records, not "
                          "from measurements: see `netq records list`")
    judging = judged(store, quarter, edition.profile)
    columns = measure.columns
    since = quarter.start - REACH_BACK if measure.of_time else quarter.start
    evidence: list[dict[str, Any]] = []
    totals: dict[str, float] = {}
    with store.engine.connect() as db:
        for row, connection, pieces in judged_results(
                db, [judging], since, quarter.end,
                None if connection_id is None else [connection_id]):
            if not indicator.covers(connection.service, connection.technology):
                continue
            for day, piece_edition, tally in pieces:
                counted = {c: tally[c] for c in columns if tally.get(c)}
                if not counted:
                    continue
                add(totals, counted)
                evidence.append({"id": row["id"], "connection_id": row["connection_id"],
                                 "kind": row["kind"], "started_at": row["started_at"],
                                 "day": day, "edition": piece_edition.key,
                                 "technology": connection.technology,
                                 "counted": counted})
        outages = {}
        if measure.of_time:
            ids = {e["connection_id"] for e in evidence}
            outages = {cid: [{"from": a, "to": b, "seconds": (b - a).total_seconds()}
                             for a, b in spans]
                       for cid, spans in queries.outages(
                           db, ids, quarter.start, quarter.end,
                           judging.edition.method.outage_min_minutes).items()}
    return {"quarter": str(quarter), "indicator": indicator_id, "name_ru": indicator.name_ru,
            "clause": indicator.clause, "measure": indicator.measure,
            "connection_id": connection_id,
            "totals": {c: totals.get(c, 0.0) for c in columns}, "results": evidence,
            "outages": outages}
