"""The fleet's test plans in the store: applied as a whole set, served per probe.

A set is applied in one transaction and never edited; the latest is the one served, and
every set stays, so the version a record carries leads back to the tests its probe ran. A
probe gets the first plan of the set whose `match` one of its connections meets (the
registry row in force today); a plan with no `match` meets every probe.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select

from netq import plan as wire
from netq.collector import tables
from netq.collector.compliance.quarter import minsk_day
from netq.collector.registry import Connection
from netq.collector.slots import MAX_SECONDS, Server
from netq.collector.store import Store


def apply(store: Store, plan_set: dict[str, Any], source_sha256: str) -> int:
    """Store `plan_set` (already checked, see netq.fleet.plans) as the one now served; its id."""
    with store.engine.begin() as db:
        key = db.execute(insert(tables.plan_sets).values(
            applied_at=datetime.now(UTC), source_sha256=source_sha256, plans=plan_set)
        ).inserted_primary_key
    assert key is not None  # an insert's key
    return int(key[0])


def latest(store: Store) -> tuple[int, dict[str, Any]] | None:
    """(id, set) of the set applied last, or None before the first."""
    s = tables.plan_sets
    with store.engine.connect() as db:
        row = db.execute(select(s.c.id, s.c.plans).order_by(s.c.id.desc()).limit(1)).first()
    return None if row is None else (int(row.id), row.plans)


def history(store: Store) -> list[dict[str, Any]]:
    """Every set applied, oldest first, with the versions of its plans."""
    s = tables.plan_sets
    with store.engine.connect() as db:
        rows = db.execute(select(s).order_by(s.c.id)).mappings().all()
    return [{"id": row["id"], "applied_at": row["applied_at"].isoformat(),
             "source_sha256": row["source_sha256"],
             "plans": {p["name"]: p["version"] for p in row["plans"]["plans"]}}
            for row in rows]


def matches(match: dict[str, list[str]], probe_id: str, connection: Connection | None) -> bool:
    """Every key of `match` has one of its values: the probe's id, or a fact of the
    connection's registry row (which a probe whose connection is not registered lacks)."""
    facts = {"probe_id": probe_id}
    if connection is not None:
        facts.update(technology=connection.technology, region=connection.region,
                     node=connection.node, connection_id=connection.connection_id)
    return all(facts.get(key) in values for key, values in match.items())


def chosen(plan_set: dict[str, Any], probe_id: str,
           connections: Iterable[Connection]) -> dict[str, Any] | None:
    """The plan of `plan_set` this probe runs: the first any of its connections matches."""
    rows: list[Connection | None] = [*connections] or [None]
    candidate: dict[str, Any]
    for candidate in plan_set["plans"]:
        if any(matches(candidate.get("match", {}), probe_id, row) for row in rows):
            return candidate
    return None


def latest_id(store: Store) -> int | None:
    with store.engine.connect() as db:
        found = db.execute(select(func.max(tables.plan_sets.c.id))).scalar()
    return None if found is None else int(found)


class PlanBook:
    """What the API serves: each probe's plan. A set applied is served from the next
    request; a probe's match against the registry is kept `keep_s` seconds (a registry
    import reaches its probes within that)."""

    def __init__(self, store: Store, keep_s: float = 30) -> None:
        self.store = store
        self.keep_s = keep_s
        self._lock = threading.Lock()
        self._set: tuple[int, dict[str, Any]] | None = None
        # probe id -> (when read, set id, the plan body served, its servers' longest hold)
        self._probes: dict[str, tuple[float, int, dict[str, Any] | None, dict[str, float]]] = {}

    def _current(self) -> tuple[int, dict[str, Any]] | None:
        """The set in force (read again when another was applied); call with the lock."""
        set_id = latest_id(self.store)
        if set_id is None:
            return None
        if self._set is None or self._set[0] != set_id:
            self._set = latest(self.store)
            self._probes.clear()
        return self._set

    def server_for(self, probe_id: str, connection_ids: Iterable[str],
                   name: str) -> tuple[Server, float] | None:
        """A measurement server of the plan this probe runs, and the longest its plan's tests
        hold it (s): no probe leases, or learns the address of, a server its own plan does not
        name, nor holds one longer than its own tests would."""
        served, holds = self._served(probe_id, connection_ids)
        if served is None or name not in served["servers"]:
            return None
        fields = served["servers"][name]
        return Server(name, fields["host"], tuple(fields["ports"])), holds.get(name, MAX_SECONDS)

    def for_probe(self, probe_id: str, connection_ids: Iterable[str]) -> dict[str, Any] | None:
        """The plan body (netq.plan/1) this probe is to run; None when no plan meets it."""
        return self._served(probe_id, connection_ids)[0]

    def _served(self, probe_id: str, connection_ids: Iterable[str]
                ) -> tuple[dict[str, Any] | None, dict[str, float]]:
        clock = time.monotonic()
        with self._lock:
            current = self._current()
            if current is None:
                return None, {}
            set_id, plan_set = current
            cached = self._probes.get(probe_id)
            if cached is not None and cached[1] == set_id and clock - cached[0] <= self.keep_s:
                return cached[2], cached[3]
        today = minsk_day(datetime.now(UTC))
        rows = [row for row in (self.store.connection_at(c, today) for c in sorted(connection_ids))
                if row is not None]
        found = chosen(plan_set, probe_id, rows)
        served = None if found is None else wire.body(
            found["name"], found["tests"], found["servers"], plan_set["poll_every_s"])
        # sets applied before plans stated their holds: a lease's own upper bound
        holds = {} if found is None else found.get("holds_s", {})
        with self._lock:
            self._probes[probe_id] = (clock, set_id, served, holds)
        return served, holds
