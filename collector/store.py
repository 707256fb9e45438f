"""The store, behind one narrow interface, on SQLite or PostgreSQL.

Results are append-only and idempotent on the record's id: a batch sent twice is stored
once, and the second time every record answers `duplicate`. A batch is one transaction;
when `ingest` returns, what it called accepted is committed.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal

from sqlalchemy import Engine, and_, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from netq.collector import tables
from netq.collector.compliance import thresholds
from netq.collector.compliance.rollups import Rollups
from netq.collector.compliance.thresholds import Thresholds
from netq.collector.db import engine_for, migrate
from netq.collector.registry import Connection
from netq.collector.validate import problems

Verdict = Literal["accepted", "duplicate", "rejected"]


@dataclass(frozen=True)
class Answer:
    """What became of one record of a batch."""

    id: str | None
    status: Verdict
    reasons: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"id": self.id, "status": self.status}
        if self.reasons:
            body["reasons"] = list(self.reasons)
        return body


def token_hash(token: str) -> str:
    # tokens are 256 random bits, so a plain hash is enough: nothing to brute-force
    return hashlib.sha256(token.encode()).hexdigest()


class Store:
    def __init__(self, engine: Engine, norms: Thresholds) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self.norms = norms
        self.rollups = Rollups(self.dialect, norms.criteria())
        self._partitions: set[str] = set()

    @classmethod
    def open(cls, db: str | None = None, norms: Thresholds | None = None) -> Store:
        """The store at `db`, migrated, with rollups for every per-test criteria of `norms`
        (default: the packaged thresholds.yaml)."""
        engine = engine_for(db)
        migrate(engine)
        store = cls(engine, norms or thresholds.load())
        store.rollups.ensure_built(engine)
        return store

    def close(self) -> None:
        self.engine.dispose()

    # ---- results --------------------------------------------------------------------------
    def ingest(self, records: Sequence[Any], allowed_connections: set[str] | None = None,
               now: datetime | None = None) -> list[Answer]:
        """Validate and store a batch; one answer per record, in order.

        `allowed_connections`: the connections the sending probe may write for (None: any
        connection in the registry, as for a bulk import)."""
        received_at = now or datetime.now(UTC)
        answers: list[Answer | None] = []
        candidates: dict[str, tuple[int, dict[str, Any]]] = {}
        for index, record in enumerate(records):
            found = problems(record, now)
            if not found and record["id"] in candidates:
                answers.append(Answer(record["id"], "duplicate"))
                continue
            if found:
                answers.append(Answer(_id_of(record), "rejected", tuple(found)))
                continue
            answers.append(None)
            candidates[record["id"]] = (index, record)

        with self.engine.begin() as db:
            known = self._registered(db, {r["connection_id"] for _, r in candidates.values()})
            rows = []
            for record_id, (index, record) in list(candidates.items()):
                connection = record["connection_id"]
                if connection not in known:
                    answers[index] = Answer(record_id, "rejected", (
                        f"connection_id: {connection} is not in the connections registry",))
                elif allowed_connections is not None and connection not in allowed_connections:
                    answers[index] = Answer(record_id, "rejected", (
                        f"connection_id: {connection} is not registered to this probe",))
                else:
                    rows.append(_row(record, received_at))
                    continue
                del candidates[record_id]
            stored = self._existing(db, list(candidates))
            new_rows = [row for row in rows if row["id"] not in stored]
            self._ensure_partitions(db, {row["started_at"] for row in new_rows})
            inserted: set[str] = set()
            if new_rows:
                inserted = set(db.execute(self._insert_ignoring_duplicates(), new_rows).scalars())
                self.rollups.add(db, [row for row in new_rows if row["id"] in inserted])
        for record_id, (index, _) in candidates.items():
            answers[index] = Answer(record_id, "accepted" if record_id in inserted else "duplicate")
        return [a for a in answers if a is not None]

    def count_results(self) -> int:
        with self.engine.connect() as db:
            return int(db.execute(text("SELECT count(*) FROM results")).scalar_one())

    def _registered(self, db: Any, connection_ids: set[str]) -> set[str]:
        if not connection_ids:
            return set()
        column = tables.connections.c.connection_id
        query = select(column).where(column.in_(connection_ids)).distinct()
        return set(db.execute(query).scalars())

    def _existing(self, db: Any, ids: list[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(ids), 500):  # keep IN lists within SQLite's variable limit
            chunk = ids[start:start + 500]
            found |= set(db.execute(select(tables.results.c.id)
                                    .where(tables.results.c.id.in_(chunk))).scalars())
        return found

    def _insert_ignoring_duplicates(self) -> Any:
        # a concurrent batch may have stored the same record since _existing looked
        builder = pg_insert if self.dialect == "postgresql" else sqlite_insert
        # RETURNING names the rows this batch really inserted: only they go into the rollups
        return builder(tables.results).on_conflict_do_nothing().returning(tables.results.c.id)

    def _ensure_partitions(self, db: Any, moments: set[datetime]) -> None:
        if self.dialect != "postgresql":
            return
        for month in {(m.astimezone(UTC).year, m.astimezone(UTC).month) for m in moments}:
            name = f"results_y{month[0]}m{month[1]:02d}"
            if name in self._partitions:
                continue
            start = date(month[0], month[1], 1)
            end = date(month[0] + month[1] // 12, month[1] % 12 + 1, 1)
            db.execute(text(f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF results "
                            f"FOR VALUES FROM ('{start}T00:00:00Z') TO ('{end}T00:00:00Z')"))
            self._partitions.add(name)

    # ---- probes and tokens ----------------------------------------------------------------
    def create_token(self, probe_id: str, connection_ids: Iterable[str] = ()) -> str:
        """A new token for the probe (created if new), allowed to write for the connections."""
        token = secrets.token_urlsafe(32)
        moment = datetime.now(UTC)
        with self.engine.begin() as db:
            exists = db.execute(select(tables.probes.c.probe_id)
                                .where(tables.probes.c.probe_id == probe_id)).first()
            if not exists:
                db.execute(insert(tables.probes).values(probe_id=probe_id, created_at=moment))
            db.execute(insert(tables.probe_tokens).values(
                token_sha256=token_hash(token), probe_id=probe_id, created_at=moment))
            current = set(db.execute(select(tables.probe_connections.c.connection_id).where(
                tables.probe_connections.c.probe_id == probe_id)).scalars())
            new = [{"probe_id": probe_id, "connection_id": c}
                   for c in dict.fromkeys(connection_ids) if c not in current]
            if new:
                db.execute(insert(tables.probe_connections), new)
        return token

    def revoke_tokens(self, probe_id: str) -> int:
        tokens = tables.probe_tokens
        with self.engine.begin() as db:
            result = db.execute(update(tokens).where(and_(
                tokens.c.probe_id == probe_id, tokens.c.revoked_at.is_(None)))
                .values(revoked_at=datetime.now(UTC)))
            return int(result.rowcount)

    def authenticate(self, token: str) -> tuple[str, set[str]] | None:
        """(probe_id, its connections) for a live token, else None."""
        tokens = tables.probe_tokens
        with self.engine.connect() as db:
            probe_id = db.execute(select(tokens.c.probe_id).where(and_(
                tokens.c.token_sha256 == token_hash(token),
                tokens.c.revoked_at.is_(None)))).scalar()
            if probe_id is None:
                return None
            connections = set(db.execute(select(tables.probe_connections.c.connection_id).where(
                tables.probe_connections.c.probe_id == probe_id)).scalars())
        return probe_id, connections

    # ---- registry -------------------------------------------------------------------------
    def upsert_connections(self, rows: Sequence[Connection]) -> dict[str, int]:
        """Insert or update registry rows, keyed by (connection_id, effective_from), in one
        transaction; counts of inserted, updated and unchanged rows. The rollups of every
        connection whose periods changed are rebuilt in the same transaction: a tariff
        corrected after the fact re-judges the tests it covers."""
        counts = {"inserted": 0, "updated": 0, "unchanged": 0}
        changed: set[str] = set()
        table = tables.connections
        with self.engine.begin() as db:
            for row in rows:
                values = row.__dict__
                key = and_(table.c.connection_id == row.connection_id,
                           table.c.effective_from == row.effective_from)
                current = db.execute(select(table).where(key)).mappings().first()
                if current is None:
                    db.execute(insert(table).values(**values))
                    counts["inserted"] += 1
                elif dict(current) != values:
                    db.execute(update(table).where(key).values(**values))
                    counts["updated"] += 1
                else:
                    counts["unchanged"] += 1
                    continue
                changed.add(row.connection_id)
            if changed:
                self.rollups.rebuild(db, changed)
        return counts

    def connection_at(self, connection_id: str, moment: date) -> Connection | None:
        """The registry row in force on `moment` (a date in Europe/Minsk)."""
        table = tables.connections
        with self.engine.connect() as db:
            row = db.execute(select(table).where(and_(
                table.c.connection_id == connection_id, table.c.effective_from <= moment))
                .order_by(table.c.effective_from.desc()).limit(1)).mappings().first()
        return Connection(**row) if row else None


def _id_of(record: Any) -> str | None:
    return record.get("id") if isinstance(record, dict) and isinstance(record.get("id"), str) \
        else None


def _row(record: dict[str, Any], received_at: datetime) -> dict[str, Any]:
    return {
        "id": record["id"], "probe_id": record["probe_id"],
        "connection_id": record["connection_id"], "kind": record["kind"],
        "started_at": datetime.fromisoformat(record["started_at"]).astimezone(UTC),
        "ended_at": datetime.fromisoformat(record["ended_at"]).astimezone(UTC),
        "target": record["target"], "ok": record["ok"], "error": record["error"],
        "exclusion": record["exclusion"], "metrics": record["metrics"],
        "received_at": received_at,
    }
