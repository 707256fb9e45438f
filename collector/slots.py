"""Admission for exclusive tests: time slots on a measurement server's ports.

An iperf3 server runs one test at a time; two probes that start together on one port get
"the server is busy" and one test is lost or delayed, most of all in the evening peak when
everybody tests. The broker hands each speed test a lease: a port of the named server and a
start time at which nothing else holds that port, the earliest across the server's ports.
A lease ends at its end, or earlier when the probe gives it back; a probe that dies frees its
port when its lease runs out. A request that no port can serve within `horizon_s` is
answered with the wait until one could, and the probe tries again later.

State is in the memory of the collector process that answers `/api/v1/slots`: a restarted
collector forgets its leases, so for at most one test length two tests may meet on a port
(each then sees "busy" and retries, as without the broker).
"""

from __future__ import annotations

import bisect
import random
import threading
import uuid
from dataclasses import dataclass, field

MAX_SECONDS = 900.0  # the longest a lease lasts: a speed test's own upper bound and then some


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
    start: float  # on the broker's clock, seconds
    end: float


@dataclass
class Refusal:
    """No port free within the horizon: when to ask again."""

    retry_after_s: float


@dataclass
class _Port:
    starts: list[float] = field(default_factory=list)  # sorted, parallel to `leases`
    leases: list[Lease] = field(default_factory=list)


class SlotBroker:
    def __init__(self, horizon_s: float = 600, rng: random.Random | None = None) -> None:
        self.horizon_s = horizon_s
        self._rng = rng or random.Random()
        self._lock = threading.Lock()
        self._ports: dict[tuple[str, int], _Port] = {}
        self._leases: dict[str, Lease] = {}
        self._held: dict[str, str] = {}  # probe id -> its lease id

    def lease(self, probe_id: str, server: Server, seconds: float,
              now: float) -> Lease | Refusal:
        """The earliest slot of `seconds` on any of the server's ports, from `now`."""
        seconds = min(max(seconds, 1.0), MAX_SECONDS)
        with self._lock:
            earlier = self._held.pop(probe_id, None)
            if earlier is not None:  # a probe runs one exclusive test at a time
                self._end(earlier, now)
            options = []
            for port in server.ports:
                slot = self._port((server.name, port), now)
                options.append((self._earliest(slot, now, seconds), port))
            start = min(at for at, _ in options)
            if start - now > self.horizon_s:
                return Refusal(retry_after_s=round(start - now - self.horizon_s + 1, 1))
            port = self._rng.choice([p for at, p in options if at == start])
            lease = Lease(str(uuid.uuid4()), probe_id, server.name, port, start, start + seconds)
            slot = self._ports[(server.name, port)]
            index = bisect.bisect(slot.starts, start)
            slot.starts.insert(index, start)
            slot.leases.insert(index, lease)
            self._leases[lease.id] = lease
            self._held[probe_id] = lease.id
            return lease

    def release(self, lease_id: str, probe_id: str, now: float) -> bool:
        """The probe is done: the rest of its slot is free. False for a lease it does not
        hold (another probe's, or one already over)."""
        with self._lock:
            lease = self._leases.get(lease_id)
            if lease is None or lease.probe_id != probe_id or lease.end <= now:
                return False
            self._held.pop(probe_id, None)
            self._end(lease_id, now)
            return True

    def holding(self, now: float) -> int:
        """Leases not yet over."""
        with self._lock:
            return sum(1 for lease in self._leases.values() if lease.end > now)

    def _port(self, key: tuple[str, int], now: float) -> _Port:
        slot = self._ports.setdefault(key, _Port())
        while slot.leases and slot.leases[0].end <= now:  # over: forget it
            over = slot.leases.pop(0)
            slot.starts.pop(0)
            self._leases.pop(over.id, None)
            if self._held.get(over.probe_id) == over.id:
                del self._held[over.probe_id]
        return slot

    @staticmethod
    def _earliest(slot: _Port, now: float, seconds: float) -> float:
        """The first moment from `now` with `seconds` free before the next lease."""
        at = now
        for lease in slot.leases:
            if lease.start >= at + seconds:
                break
            at = max(at, lease.end)
        return at

    def _end(self, lease_id: str, now: float) -> None:
        lease = self._leases.pop(lease_id, None)
        if lease is None:
            return
        slot = self._ports[(lease.server, lease.port)]
        index = slot.leases.index(lease)
        if lease.start >= now:  # not begun: the whole slot is free again
            del slot.leases[index]
            del slot.starts[index]
            return
        shortened = Lease(lease.id, lease.probe_id, lease.server, lease.port, lease.start, now)
        slot.leases[index] = shortened
        self._leases[lease.id] = shortened
