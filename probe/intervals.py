"""Continuous checks (availability) folded into interval records: `up` (the Internet
reachable, or not) and `on_net_up` (the operator's own nodes) over [start, end].

A check stands for the time until the next check, so an interval ends where the check that
changed the state began. An interval is reported when the state changes and at least every
`report_every` seconds. The open interval is saved in the spool's state after every check:
after a crash or a kill it is closed at the last check actually made, never stretched over
the time the probe was not running. That gap stays uncovered: "unknown", not "down".
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from netq.probe.spool import Spool
from netq.record import Identity, Kind, Outcome, Record

STATE_KEY = "availability_open_interval"


@dataclass
class OpenInterval:
    start: str  # RFC 3339
    last_check_end: str
    up: bool
    checks: int
    on_net_up: bool | None = None  # None: a state saved before on-net targets were told apart


class IntervalTracker:
    def __init__(self, spool: Spool, identity: Identity, kind: Kind, target: str,
                 unmeasured: dict[str, Any], every_s: float, report_every_s: float) -> None:
        self.spool = spool
        self.identity = identity
        self.kind = kind
        self.target = target
        self.unmeasured = unmeasured  # what every interval's metrics carry: the targets
        self.every_s = every_s
        self.report_every_s = report_every_s
        saved = spool.get_state(STATE_KEY)
        self.open: OpenInterval | None = OpenInterval(**saved) if saved else None

    def close_open(self) -> Record | None:
        """Close the open interval at its last check: one a previous run left open at start,
        or this run's own at an orderly stop."""
        if self.open is None:
            return None
        record = self._close(datetime.fromisoformat(self.open.last_check_end))
        self.spool.set_state(STATE_KEY, None)
        return record

    def observe(self, started: datetime, ended: datetime, up: bool,
                on_net_up: bool) -> list[Record]:
        """Fold one check in; returns the interval records it completes (spool them)."""
        closed: list[Record] = []
        if self.open is not None:
            last = datetime.fromisoformat(self.open.last_check_end)
            opened = datetime.fromisoformat(self.open.start)
            if (started - last).total_seconds() > 2 * self.every_s:
                closed.append(self._close(last))  # the probe was not looking in between
            elif (up, on_net_up) != (self.open.up, self.open.on_net_up) or \
                    (started - opened).total_seconds() >= self.report_every_s:
                closed.append(self._close(started))
        if self.open is None:
            self.open = OpenInterval(started.isoformat(), ended.isoformat(), up, 1, on_net_up)
        else:
            self.open.last_check_end = ended.isoformat()
            self.open.checks += 1
        self.spool.set_state(STATE_KEY, asdict(self.open))
        return closed

    def _close(self, end: datetime) -> Record:
        assert self.open is not None
        interval = self.open
        self.open = None
        metrics = {**self.unmeasured, "up": interval.up, "checks": interval.checks}
        if interval.on_net_up is not None:
            metrics["on_net_up"] = interval.on_net_up
        outcome = Outcome(self.target, True, metrics)
        start = datetime.fromisoformat(interval.start)
        # the id follows from the interval's start, so closing the same interval twice (a kill
        # between spooling it and saving the state) is one record, not two
        key = f"{self.identity.probe_id}/{self.identity.connection_id}/{self.kind}/{start}"
        return Record(self.identity, self.kind, start, max(end, start), outcome,
                      id=str(uuid.uuid5(uuid.NAMESPACE_URL, key)))
