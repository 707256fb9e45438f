"""Which of the collectors on one store publishes the store's gauges.

Several collectors on one PostgreSQL store each take probes' records; the work that reads
the whole store (the quarter to date, the report deadline, the lines' readings and norms,
the slot leases) is done by one of them, so it is done once and exported once: the one that
holds a session-level advisory lock, on a connection of its own. When that collector stops,
dies or loses its connection, the database frees the lock with the session, and another
collector takes it at its next turn. SQLite serves one collector process, which leads.
"""

from __future__ import annotations

import threading

import structlog
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

# pg_advisory_lock's one-key form: "netqlead" read as a number (the slot broker uses the
# two-key form, which the database keeps apart)
LEADER_LOCK = int.from_bytes(b"netqlead", "big")
log = structlog.get_logger("netq.collector")


class Leadership:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._session: Connection | None = None  # holds the lock while it lives
        self._turn = threading.Lock()  # the refreshers ask from threads of their own

    def held(self) -> bool:
        """True while this collector leads: the lock is taken if free, kept if held."""
        if self.engine.dialect.name != "postgresql":
            return True
        with self._turn:
            return self._hold()

    def _hold(self) -> bool:
        try:
            if self._session is not None:
                self._session.execute(text("SELECT 1"))  # the session, and so the lock, lives
                return True
            session = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            if session.execute(text("SELECT pg_try_advisory_lock(:key)"),
                               {"key": LEADER_LOCK}).scalar_one():
                self._session = session
                log.info("collector_leads")
                return True
            session.close()
            return False
        except SQLAlchemyError as exc:
            log.warning("collector_leadership_lost", error=str(exc).splitlines()[0])
            self._release()
            return False

    def close(self) -> None:
        """Give the lead up (the lock goes with the session)."""
        with self._turn:
            self._release()

    def _release(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            # closed, not given back to the pool: a pooled connection would keep the lock
            session.invalidate()
            session.close()
