"""Admission for exclusive tests: time slots on a measurement server's ports.

An iperf3 server runs one test at a time; two probes that start together on one port get
"the server is busy" and one test is lost or delayed, most of all in the evening peak when
everybody tests. The broker hands each speed test a lease: a port of the named server and a
start time at which nothing else holds that port, the earliest across the server's ports.
A lease ends at its end, or earlier when the probe gives it back; a probe that dies frees its
port when its lease runs out. A request that no port can serve within `horizon_s` is
answered with the wait until one could, and the probe tries again later.

Leases are kept in the store (`slot_leases`), so every collector on it hands out the same
ports and a restart forgets nothing. On PostgreSQL the leases of one server are computed
under a transaction-scoped advisory lock on its name, on the database's clock (collectors on
several hosts need not agree on the time), and an exclusion constraint on server, port and
time makes a double booking impossible even so. SQLite serves one collector process: a lock
in the process orders its requests.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, delete, func, select, text, update

from netq.collector import tables

MAX_SECONDS = 900.0  # the longest a lease lasts: a speed test's own upper bound and then some
SERVER_LOCKS = 0x6E7173  # advisory locks' first key for a server's leases ("nqs")


@dataclass(frozen=True)
class Server:
    name: str
    host: str
    ports: tuple[int, ...]


@dataclass(frozen=True)
class Lease:
    id: str
    probe_id: str
    server: str
    port: int
    start: float  # seconds since the epoch
    end: float
    granted_at: float  # the broker's clock when it was granted

    @property
    def wait_s(self) -> float:
        return self.start - self.granted_at


@dataclass
class Refusal:
    """No port free within the horizon: when to ask again."""

    retry_after_s: float


class SlotBroker:
    def __init__(self, engine: Engine, horizon_s: float = 600,
                 rng: random.Random | None = None) -> None:
        self.engine = engine
        self.horizon_s = horizon_s
        self._rng = rng or random.Random()
        self._lock = threading.Lock()  # SQLite's one process; PostgreSQL locks in the store
        self._postgresql = engine.dialect.name == "postgresql"

    def lease(self, probe_id: str, server: Server, seconds: float,
              now: float | None = None) -> Lease | Refusal:
        """The earliest slot of `seconds` on any of the server's ports, from `now` (default:
        the store's clock)."""
        seconds = min(max(seconds, 1.0), MAX_SECONDS)
        leases = tables.slot_leases
        with self._lock, self.engine.begin() as db:
            if self._postgresql:
                db.execute(text("SELECT pg_advisory_xact_lock(:namespace, hashtext(:server))"),
                           {"namespace": SERVER_LOCKS, "server": server.name})
            now = self._now(db, now)
            self._end_held(db, probe_id, now)  # a probe runs one exclusive test at a time
            db.execute(delete(leases).where(leases.c.server == server.name,
                                            leases.c.ends_at <= _instant(now)))
            taken: dict[int, list[tuple[float, float]]] = {port: [] for port in server.ports}
            for port, start, end in db.execute(
                    select(leases.c.port, leases.c.starts_at, leases.c.ends_at)
                    .where(leases.c.server == server.name)
                    .order_by(leases.c.starts_at)):
                if port in taken:
                    taken[port].append((start.timestamp(), end.timestamp()))
            options = [(_earliest(taken[port], now, seconds), port) for port in server.ports]
            start = min(at for at, _ in options)
            if start - now > self.horizon_s:
                return Refusal(retry_after_s=round(start - now - self.horizon_s + 1, 1))
            port = self._rng.choice([p for at, p in options if at == start])
            lease = Lease(str(uuid.uuid4()), probe_id, server.name, port, start,
                          start + seconds, now)
            db.execute(leases.insert().values(
                id=lease.id, probe_id=probe_id, server=server.name, port=port,
                starts_at=_instant(lease.start), ends_at=_instant(lease.end)))
            return lease

    def release(self, lease_id: str, probe_id: str, now: float | None = None) -> bool:
        """The probe is done: the rest of its slot is free. False for a lease it does not
        hold (another probe's, or one already over)."""
        leases = tables.slot_leases
        with self._lock, self.engine.begin() as db:
            now = self._now(db, now)
            held = db.execute(select(leases.c.id).where(
                leases.c.id == lease_id, leases.c.probe_id == probe_id,
                leases.c.ends_at > _instant(now))).first()
            if held is None:
                return False
            self._end(db, [lease_id], now)
            return True

    def holding(self, now: float | None = None) -> int:
        """Leases not yet over."""
        leases = tables.slot_leases
        with self.engine.connect() as db:
            now = self._now(db, now)
            return int(db.execute(select(func.count()).select_from(leases)
                                  .where(leases.c.ends_at > _instant(now))).scalar_one())

    def _now(self, db: Connection, now: float | None) -> float:
        if now is not None:
            return now
        if self._postgresql:
            return float(db.execute(text("SELECT extract(epoch FROM clock_timestamp())"))
                         .scalar_one())
        return time.time()

    def _end_held(self, db: Connection, probe_id: str, now: float) -> None:
        leases = tables.slot_leases
        held = db.execute(select(leases.c.id).where(
            leases.c.probe_id == probe_id, leases.c.ends_at > _instant(now))).scalars().all()
        self._end(db, held, now)

    @staticmethod
    def _end(db: Connection, lease_ids: Sequence[str], now: float) -> None:
        """Leases end now: one not begun frees its whole slot, one begun keeps what it used."""
        if not lease_ids:
            return
        leases, moment = tables.slot_leases, _instant(now)
        db.execute(delete(leases).where(leases.c.id.in_(lease_ids),
                                        leases.c.starts_at >= moment))
        db.execute(update(leases).where(leases.c.id.in_(lease_ids), leases.c.ends_at > moment)
                   .values(ends_at=moment))


def _instant(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _earliest(taken: list[tuple[float, float]], now: float, seconds: float) -> float:
    """The first moment from `now` with `seconds` free before the next lease; `taken` is
    sorted by start."""
    at = now
    for start, end in taken:
        if start >= at + seconds:
            break
        at = max(at, end)
    return at
