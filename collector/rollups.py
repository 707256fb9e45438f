"""Daily rollups: kept up as results arrive, rebuilt from the raw results when an input changes.

A rollup row is derived data: (raw results, registry, per-test criteria) → increments, by
judgement.judge. Ingest adds the increments of the results it has just inserted, in the same
transaction, so a result is in the rollups exactly when it is stored. A registry change for a
connection, or a criteria never built before, rebuilds the affected rows from raw results.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

import structlog
from sqlalchemy import and_, delete, func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from netq.collector import queries, tables
from netq.collector.compliance.judgement import EXTREMES, judge, on_net_only
from netq.collector.compliance.measures import Tally
from netq.collector.compliance.quarter import MINSK, minsk_day
from netq.collector.compliance.thresholds import Profile
from netq.collector.registry import RegistryPeriods
from netq.errors import ReadReplica
from netq.model import EVENING_PEAK

Key = tuple[str, str, date, date]  # criteria, connection_id, effective_from, day
HourKey = tuple[str, str, date, date, int]  # criteria, connection_id, effective_from, month, hour
Tallied = tuple[dict[Key, Tally], dict[HourKey, Tally], list[dict[str, Any]]]
HOURLY = (*tables.HOURLY_COUNTS, *tables.HOURLY_SUMS)
REBUILD_CHUNK = 200  # connections rebuilt per pass: bounds memory on a national fleet
log = structlog.get_logger("netq.rollups")


class Rollups:
    def __init__(self, dialect: str, criteria: Mapping[str, Profile]) -> None:
        self.dialect = dialect
        self.criteria = dict(criteria)

    # ---- as results arrive ----------------------------------------------------------------
    def add(self, db: Any, rows: Sequence[Mapping[str, Any]],
            registry: RegistryPeriods | None = None) -> None:
        """Fold newly inserted results in, inside the caller's transaction; `registry`: the
        periods of their connections, when the caller has read them."""
        if not rows:
            return
        registry = registry or queries.registry_periods(
            db, {row["connection_id"] for row in rows})
        self._upsert(db, *self._tally(rows, registry))
        self._note_down_intervals(db, rows)

    # ---- from raw results -----------------------------------------------------------------
    def ensure_built(self, engine: Any) -> None:
        """Build the rollups of every criteria that has none yet (a new profile, a new DB)."""
        with engine.begin() as db:
            built = set(db.execute(select(tables.rollup_criteria.c.criteria)).scalars())
        missing = {key: p for key, p in self.criteria.items() if key not in built}
        if not missing:
            return
        log.info("rollups_build", criteria=sorted(missing))
        with engine.begin() as db:
            Rollups(self.dialect, missing).rebuild(db, None)
            db.execute(insert(tables.rollup_criteria), [
                {"criteria": key, "profile": p.key, "built_at": datetime.now(UTC)}
                for key, p in missing.items()])

    def check_built(self, engine: Any) -> None:
        """On a read replica: every criteria's rollups are there (built on the primary)."""
        with engine.connect() as db:
            built = set(db.execute(select(tables.rollup_criteria.c.criteria)).scalars())
        missing = sorted(key for key in self.criteria if key not in built)
        if missing:
            raise ReadReplica(
                f"the read replica has no rollups for criteria {', '.join(missing)} (a "
                "profile or norm new to these thresholds): open the primary with them once "
                "(its collector builds them) and let the replica catch up")

    def rebuild(self, db: Any, connection_ids: Iterable[str] | None) -> None:
        """Recompute the rollups (and down intervals) of these connections, or of all."""
        ids = sorted(set(connection_ids) if connection_ids is not None else set(
            db.execute(select(tables.results.c.connection_id).distinct()).scalars()))
        derived = (tables.rollups, tables.hourly, tables.peak_speeds)
        down = tables.down_intervals
        if connection_ids is None:
            for table in derived:
                db.execute(delete(table).where(table.c.criteria.in_(list(self.criteria))))
            db.execute(delete(down))
        for start in range(0, len(ids), REBUILD_CHUNK):
            chunk = ids[start:start + REBUILD_CHUNK]
            if connection_ids is not None:
                for table in derived:
                    db.execute(delete(table).where(and_(
                        table.c.criteria.in_(list(self.criteria)),
                        table.c.connection_id.in_(chunk))))
                db.execute(delete(down).where(down.c.connection_id.in_(chunk)))
            registry = queries.registry_periods(db, chunk)
            rows = list(self._results(db, chunk))
            self._upsert(db, *self._tally(rows, registry))
            self._note_down_intervals(db, rows)

    # ---- the parts ------------------------------------------------------------------------
    def _results(self, db: Any, connection_ids: list[str]) -> Iterator[Mapping[str, Any]]:
        query = select(tables.results).where(tables.results.c.connection_id.in_(connection_ids))
        yield from db.execute(query).mappings()

    def _tally(self, rows: Iterable[Mapping[str, Any]], registry: RegistryPeriods) -> Tallied:
        totals: dict[Key, Tally] = {}
        hours: dict[HourKey, Tally] = {}
        peaks: list[dict[str, Any]] = []
        for row in rows:
            connection = registry.in_force(row["connection_id"], minsk_day(row["started_at"]))
            if connection is None:
                continue  # a test before the connection's first registry period: not judged
            local = row["started_at"].astimezone(MINSK)
            for criteria, profile in self.criteria.items():
                for day, tally in judge(row, connection, profile):
                    key = (criteria, connection.connection_id, connection.effective_from, day)
                    merge(totals.setdefault(key, {}), tally)
                    hourly = {name: tally[name] for name in HOURLY if tally.get(name)}
                    if hourly:  # a latency or speed test: one piece, on the day it started
                        merge(hours.setdefault((*key[:3], local.date().replace(day=1),
                                                local.hour), {}), hourly)
                    peak = EVENING_PEAK[0] <= local.hour < EVENING_PEAK[1]
                    if peak and tally.get("speed_down_n"):
                        peaks.append({"criteria": criteria, "result_id": row["id"],
                                      "connection_id": connection.connection_id,
                                      "effective_from": connection.effective_from, "day": day,
                                      "share_percent": tally["speed_down_share_sum"]})
        return totals, hours, peaks

    def _upsert(self, db: Any, totals: Mapping[Key, Tally], hours: Mapping[HourKey, Tally],
                peaks: Sequence[Mapping[str, Any]]) -> None:
        if peaks:
            db.execute(insert(tables.peak_speeds), peaks)
        if hours:
            db.execute(self._hours_statement(), [
                {**dict.fromkeys(HOURLY, 0), **tally, "criteria": criteria,
                 "connection_id": connection_id, "effective_from": effective_from,
                 "month": month, "hour": hour}
                for (criteria, connection_id, effective_from, month, hour), tally
                in hours.items()])
        if not totals:
            return
        values = []
        for (criteria, connection_id, effective_from, day), tally in totals.items():
            row: dict[str, Any] = {name: 0 for name in (*tables.ROLLUP_COUNTS,
                                                        *tables.ROLLUP_SUMS)}
            row.update({name: None for name in tables.ROLLUP_EXTREMES})
            row.update(tally)
            row.update(criteria=criteria, connection_id=connection_id,
                       effective_from=effective_from, day=day)
            values.append(row)
        db.execute(self._upsert_statement(), values)

    @functools.cache  # noqa: B019 - one statement per Rollups, built once (it is costly)
    def _upsert_statement(self) -> Any:
        table = tables.rollups
        builder = pg_insert if self.dialect == "postgresql" else sqlite_insert
        statement = builder(table)
        added = {name: table.c[name] + statement.excluded[name]
                 for name in (*tables.ROLLUP_COUNTS, *tables.ROLLUP_SUMS)}
        for name in tables.ROLLUP_EXTREMES:
            old, new = table.c[name], statement.excluded[name]
            if self.dialect == "postgresql":  # least/greatest skip NULLs
                added[name] = (func.least if EXTREMES[name] is min else func.greatest)(old, new)
            else:  # SQLite's two-argument min/max return NULL if either is NULL
                pick = func.min if EXTREMES[name] is min else func.max
                added[name] = pick(func.coalesce(old, new), func.coalesce(new, old))
        return statement.on_conflict_do_update(
            index_elements=["criteria", "connection_id", "effective_from", "day"], set_=added)

    @functools.cache  # noqa: B019 - as above
    def _hours_statement(self) -> Any:
        table = tables.hourly
        statement = (pg_insert if self.dialect == "postgresql" else sqlite_insert)(table)
        return statement.on_conflict_do_update(
            index_elements=["criteria", "connection_id", "effective_from", "month", "hour"],
            set_={name: table.c[name] + statement.excluded[name] for name in HOURLY})

    def _note_down_intervals(self, db: Any, rows: Iterable[Mapping[str, Any]]) -> None:
        down = [{"result_id": row["id"], "connection_id": row["connection_id"],
                 "started_at": row["started_at"], "ended_at": row["ended_at"]}
                for row in rows if row["kind"] == "availability" and row["exclusion"] is None
                and row["metrics"].get("up") is False and not on_net_only(row)]
        if down:
            db.execute(insert(tables.down_intervals), down)


def merge(into: Tally, tally: Mapping[str, float]) -> None:
    for name, value in tally.items():
        if name in EXTREMES:
            into[name] = EXTREMES[name](into.get(name, value), value)
        else:
            into[name] = into.get(name, 0) + value
