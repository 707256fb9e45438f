"""The store, behind one narrow interface, on SQLite or PostgreSQL.

Results are append-only and idempotent on the record's id: a batch sent twice is stored
once, and the second time every record answers `duplicate`. The batches that arrive while
one commits are stored together in the next transaction (commits.py); when `ingest`
returns, what it called accepted is committed.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import Engine, and_, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DataError, IntegrityError

from netq.collector import queries, readings, tables
from netq.collector.commits import GroupCommit
from netq.collector.compliance import thresholds
from netq.collector.compliance.thresholds import Thresholds
from netq.collector.db import engine_for, migrate, read_only
from netq.collector.identity import content_digest
from netq.collector.registry import Connection
from netq.collector.rollups import Rollups
from netq.collector.validate import SUSPICIOUS_JSON, problems, suspicious
from netq.record import Verdict

# /readyz: less room than this beside an SQLite store is not ready (a batch's records, their
# rollups and the log written ahead of them)
MIN_FREE_BYTES = 64 * 1024 * 1024
UNKNOWN_PLAN = ("plan: version {plan} was never applied on this collector; stored, judged and "
                "flagged (unknown_plan_results)")
CONFLICT_CONTENT = "id: already stored with other content; the stored record is kept"
CONFLICT_OTHER_PROBE = "id: already stored from another probe; the stored record is kept"
CONFLICT_IN_BATCH = "id: twice in this batch with other content; the first is kept"


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


log = structlog.get_logger("netq.collector")
PARTITION_LOCKS = 0x6E7170  # advisory locks' first key for a month's partition ("nqp")
REGISTRY_CHUNK = 500  # registry rows looked up at once (an IN list within SQLite's bounds)
TOKEN_ID_CHARS = 12  # of the token's sha256: names a token in lists and revocations


def new_token() -> str:
    """A probe token's secret: 256 random bits."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    # tokens are 256 random bits, so a plain hash is enough: nothing to brute-force
    return hashlib.sha256(token.encode()).hexdigest()


class Store:
    def __init__(self, engine: Engine, norms: Thresholds) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self._plans_seen: tuple[int | None, set[str]] | None = None
        self.norms = norms
        self.rollups = Rollups(self.dialect, norms.criteria())
        self._partitions: set[str] = set()
        self._together: GroupCommit[Answer] = GroupCommit(self._commit)
        self.read_only = False  # a read replica: figures computed, nothing written

    @classmethod
    def open(cls, db: str | None = None, norms: Thresholds | None = None) -> Store:
        """The store at `db`, migrated, with rollups for every per-test criteria of `norms`
        (default: the packaged thresholds.yaml). A read replica is only read: its schema
        and rollups must be the primary's already."""
        engine = engine_for(db)
        replica = read_only(engine)
        migrate(engine, replica)
        store = cls(engine, norms or thresholds.load())
        store.read_only = replica
        if store.read_only:
            store.rollups.check_built(engine)
        else:
            store.rollups.ensure_built(engine)
        return store

    def close(self) -> None:
        self.engine.dispose()

    # ---- results --------------------------------------------------------------------------
    def ingest(self, records: Sequence[Any], allowed_connections: set[str] | None = None,
               now: datetime | None = None, text: bytes | None = None) -> list[Answer]:
        """Validate and store a batch; one answer per record, in order.

        `allowed_connections`: the connections the sending probe may write for (None: any
        connection in the registry, as for a bulk import). `text`: the JSON the batch was
        read from, when there was one. Whatever goes wrong with one record is that record's
        answer: the rest of the batch is stored as if it were not there."""
        received_at = now or datetime.now(UTC)
        answers: list[Answer | None] = []
        candidates: dict[str, tuple[int, dict[str, Any]]] = {}
        # one look at the whole batch rules out, as a rule, what each record would be walked
        # for: its text when there is one (a scan), else its serialisation
        representable = (SUSPICIOUS_JSON.search(text) is None if text is not None
                         else not suspicious(records))
        for index, record in enumerate(records):
            answer, row = self._checked(record, now, received_at, representable)
            if answer is None and row["id"] in candidates:
                earlier = candidates[row["id"]][1]
                answer = (Answer(row["id"], "duplicate")
                          if content_digest(earlier) == content_digest(row)
                          else Answer(row["id"], "conflict", (CONFLICT_IN_BATCH,)))
            answers.append(answer)
            if answer is None:
                candidates[row["id"]] = (index, row)

        with self.engine.connect() as db:
            known = self._registered(db, {r["connection_id"] for _, r in candidates.values()})
        rows: list[tuple[int, dict[str, Any]]] = []
        for record_id, (index, row) in candidates.items():
            connection = row["connection_id"]
            if connection not in known:
                answers[index] = Answer(record_id, "unregistered", (
                    f"connection_id: {connection} is not in the connections registry (yet)",))
            elif allowed_connections is not None and connection not in allowed_connections:
                answers[index] = Answer(record_id, "rejected", (
                    f"connection_id: {connection} is not registered to this probe",))
            else:
                rows.append((index, row))
        if rows:
            self._ensure_partitions({row["started_at"] for _, row in rows})
            try:
                stored = self._together.submit([row for _, row in rows])
            except (DataError, IntegrityError):
                # a value the checks let through and the database refused: find which record,
                # each on its own, so its neighbours are stored regardless. Any other failure
                # is the store's, not a record's: it propagates, and the sender tries again.
                stored = {}
                for _, row in rows:
                    stored.update(self._store_alone(row))
            for index, row in rows:
                answers[index] = stored[row["id"]]
        return [a for a in answers if a is not None]

    def _checked(self, record: Any, now: datetime | None, received_at: datetime,
                 representable: bool) -> tuple[Answer | None, dict[str, Any]]:
        """(None, its row) for a record to store; (its rejection, {}) otherwise."""
        try:
            found = problems(record, now, representable)
            if found:
                return Answer(_id_of(record), "rejected", tuple(found)), {}
            return None, _row(record, received_at)
        except Exception as exc:  # a check that fails is this record's problem, no one else's
            log.exception("record_check_failed", id=_id_of(record))
            return Answer(_id_of(record), "rejected", (
                f"record: could not be checked ({type(exc).__name__})",)), {}

    def _commit(self, rows: list[Any]) -> dict[str, Answer]:
        with self.engine.begin() as db:
            return self._store(db, rows)

    def _store(self, db: Any, rows: list[dict[str, Any]]) -> dict[str, Answer]:
        """Claim each row's id, store the rows claimed, and answer every row: one whose id
        was claimed before is a duplicate when the stored row says the same, else a conflict."""
        ids = tables.result_ids
        builder = pg_insert if self.dialect == "postgresql" else sqlite_insert
        claimed = set(db.execute(
            builder(ids).on_conflict_do_nothing().returning(ids.c.id),
            [{"id": r["id"], "probe_id": r["probe_id"]} for r in rows],
        ).scalars())
        answers = {r["id"]: Answer(r["id"], "accepted") for r in rows if r["id"] in claimed}
        others = [r for r in rows if r["id"] not in claimed]
        stored: dict[str, dict[str, Any]] = {}
        for start in range(0, len(others), 500):  # keep IN lists within SQLite's variable limit
            chunk = [r["id"] for r in others[start:start + 500]]
            stored.update({found["id"]: dict(found) for found in db.execute(
                select(tables.results).where(tables.results.c.id.in_(chunk))).mappings()})
        for row in others:
            kept = stored.get(row["id"])
            if kept is not None and kept["probe_id"] != row["probe_id"]:
                answers[row["id"]] = Answer(row["id"], "conflict", (CONFLICT_OTHER_PROBE,))
            elif kept is None or content_digest(kept) != content_digest(row):
                answers[row["id"]] = Answer(row["id"], "conflict", (CONFLICT_CONTENT,))
            else:
                answers[row["id"]] = Answer(row["id"], "duplicate")
        new = [r for r in rows if r["id"] in claimed]
        if new:
            db.execute(insert(tables.results), new)
            registry = queries.registry_periods(db, {row["connection_id"] for row in new})
            self.rollups.add(db, new, registry)
            readings.add(db, new, registry)
            unknown = [r for r in new if r["plan"] is not None
                       and r["plan"] not in self._applied_plans(db)]
            if unknown:
                db.execute(insert(tables.unknown_plan_results), [
                    {"result_id": r["id"], "plan": r["plan"]} for r in unknown])
                for r in unknown:
                    answers[r["id"]] = Answer(r["id"], "accepted", (UNKNOWN_PLAN.format(
                        plan=r["plan"]),))
        return answers

    def _applied_plans(self, db: Any) -> set[str]:
        """Every plan version of every set ever applied (read again when a set is added)."""
        sets = tables.plan_sets
        latest = db.execute(select(func.max(sets.c.id))).scalar()
        if self._plans_seen is None or self._plans_seen[0] != latest:
            versions = {plan["version"] for plans in db.execute(select(sets.c.plans)).scalars()
                        for plan in plans.get("plans", [])}
            self._plans_seen = (latest, versions)
        return self._plans_seen[1]

    def _store_alone(self, row: dict[str, Any]) -> dict[str, Answer]:
        try:
            return self._commit([row])
        except (DataError, IntegrityError) as exc:
            log.warning("record_refused_by_store", id=row["id"], error=str(exc.orig))
            return {row["id"]: Answer(row["id"], "rejected", (
                f"record: the store refused it ({type(exc.orig).__name__})",))}

    def check_writable(self) -> None:
        """Raises unless a write can be committed now: a row rewritten and committed, so
        that it needs what a batch needs (disk for the journal, a store that is not read
        only); a rolled-back write would pass on a full disk."""
        database = self.engine.url.database
        if self.dialect == "sqlite" and database and database != ":memory:":
            # SQLite reuses its write-ahead log: a small write can commit on a full disk
            # that a batch would not fit on
            stat = os.statvfs(Path(database).resolve().parent)
            free = stat.f_bavail * stat.f_frsize
            if free < MIN_FREE_BYTES:
                raise OSError(f"{free:,} bytes free beside {database}; a batch needs "
                              f"{MIN_FREE_BYTES:,}")
        table = tables.readiness
        statement = (pg_insert if self.dialect == "postgresql" else sqlite_insert)(table)
        with self.engine.begin() as db:
            db.execute(statement.values(id=1, checked_at=datetime.now(UTC))
                       .on_conflict_do_update(index_elements=["id"],
                                              set_={"checked_at": statement.excluded.checked_at}))

    def count_results_by_kind(self) -> list[tuple[str, bool, int]]:
        """(kind, ok, results) for every kind and outcome stored."""
        r = tables.results
        with self.engine.connect() as db:
            return [(kind, bool(ok), n) for kind, ok, n in db.execute(
                select(r.c.kind, r.c.ok, func.count()).group_by(r.c.kind, r.c.ok)
                .order_by(r.c.kind, r.c.ok))]

    def count_results(self) -> int:
        with self.engine.connect() as db:
            return int(db.execute(text("SELECT count(*) FROM results")).scalar_one())

    def _registered(self, db: Any, connection_ids: set[str]) -> set[str]:
        if not connection_ids:
            return set()
        column = tables.connections.c.connection_id
        query = select(column).where(column.in_(connection_ids)).distinct()
        return set(db.execute(query).scalars())

    def _ensure_partitions(self, moments: set[datetime]) -> None:
        """Each month's partition, created and committed on its own before any batch uses it,
        and remembered only once it exists: a batch that fails later cannot leave a month
        believed present. Validation keeps months within the accepted window."""
        if self.dialect != "postgresql":
            return
        for month in sorted({(m.year, m.month) for m in moments}):
            name = f"results_y{month[0]}m{month[1]:02d}"
            if name in self._partitions:
                continue
            start = date(month[0], month[1], 1)
            end = date(month[0] + month[1] // 12, month[1] % 12 + 1, 1)
            with self.engine.begin() as db:
                # IF NOT EXISTS does not order two sessions creating it at once (a month's
                # first batches at two threads or collectors): the second waits for the first
                db.execute(text("SELECT pg_advisory_xact_lock(:namespace, hashtext(:name))"),
                           {"namespace": PARTITION_LOCKS, "name": name})
                db.execute(text(f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF results "
                                f"FOR VALUES FROM ('{start}T00:00:00Z') TO ('{end}T00:00:00Z')"))
            self._partitions.add(name)

    # ---- probes and tokens ----------------------------------------------------------------
    def create_token(self, probe_id: str, connection_ids: Iterable[str] = (),
                     supersedes: bool = False, token: str | None = None,
                     exclusive: bool = False) -> str:
        """A new token for the probe (created if new), allowed to write for the connections.
        `supersedes`: its first use revokes the probe's tokens live now, named by id (a
        rotation that completes when the probe has the new one, so no request in between is
        refused). `token`: the secret, when the caller made it (to write it out first).
        `exclusive`: the connections move to this probe, any other probe loses them."""
        token = token or new_token()
        moment = datetime.now(UTC)
        digest = token_hash(token)
        with self.engine.begin() as db:
            exists = db.execute(select(tables.probes.c.probe_id)
                                .where(tables.probes.c.probe_id == probe_id)).first()
            if not exists:
                db.execute(insert(tables.probes).values(probe_id=probe_id, created_at=moment))
            superseded = list(db.execute(select(tables.probe_tokens.c.token_sha256).where(and_(
                tables.probe_tokens.c.probe_id == probe_id,
                tables.probe_tokens.c.revoked_at.is_(None)))).scalars()) if supersedes else []
            db.execute(insert(tables.probe_tokens).values(
                token_sha256=digest, probe_id=probe_id, created_at=moment,
                supersedes=bool(superseded)))
            if superseded:
                db.execute(insert(tables.token_rotations), [
                    {"token_sha256": digest, "superseded_sha256": old} for old in superseded])
            scope = tables.probe_connections
            if exclusive:
                db.execute(scope.delete().where(and_(
                    scope.c.connection_id.in_(list(connection_ids)),
                    scope.c.probe_id != probe_id)))
            current = set(db.execute(select(tables.probe_connections.c.connection_id).where(
                tables.probe_connections.c.probe_id == probe_id)).scalars())
            new = [{"probe_id": probe_id, "connection_id": c}
                   for c in dict.fromkeys(connection_ids) if c not in current]
            if new:
                db.execute(insert(tables.probe_connections), new)
        return token

    def tokens(self, probe_id: str | None = None) -> list[dict[str, Any]]:
        """Every token (never the secret: its id is the start of its hash), oldest first."""
        tokens = tables.probe_tokens
        query = select(tokens).order_by(tokens.c.created_at)
        if probe_id is not None:
            query = query.where(tokens.c.probe_id == probe_id)
        with self.engine.connect() as db:
            return [{"token_id": row.token_sha256[:TOKEN_ID_CHARS], "probe_id": row.probe_id,
                     "created_at": row.created_at, "revoked_at": row.revoked_at}
                    for row in db.execute(query)]

    def scope(self, probe_id: str) -> list[str] | None:
        """The connections a probe may write for; None for an unknown probe."""
        with self.engine.connect() as db:
            if db.execute(select(tables.probes.c.probe_id)
                          .where(tables.probes.c.probe_id == probe_id)).first() is None:
                return None
            return sorted(db.execute(select(tables.probe_connections.c.connection_id).where(
                tables.probe_connections.c.probe_id == probe_id)).scalars())

    def set_scope(self, probe_id: str, connection_ids: Iterable[str]) -> bool:
        """Replace the probe's connections; False for an unknown probe."""
        scope = tables.probe_connections
        with self.engine.begin() as db:
            if db.execute(select(tables.probes.c.probe_id)
                          .where(tables.probes.c.probe_id == probe_id)).first() is None:
                return False
            db.execute(scope.delete().where(scope.c.probe_id == probe_id))
            rows = [{"probe_id": probe_id, "connection_id": c}
                    for c in dict.fromkeys(connection_ids)]
            if rows:
                db.execute(insert(scope), rows)
        return True

    def holders(self, connection_ids: Iterable[str]) -> dict[str, list[str]]:
        """For each of the connections, the probes that may write for it."""
        scope = tables.probe_connections
        found: dict[str, list[str]] = {}
        with self.engine.connect() as db:
            for probe_id, connection_id in db.execute(
                    select(scope.c.probe_id, scope.c.connection_id)
                    .where(scope.c.connection_id.in_(list(connection_ids)))
                    .order_by(scope.c.probe_id)):
                found.setdefault(connection_id, []).append(probe_id)
        return found

    def unregistered(self, connection_ids: Iterable[str]) -> list[str]:
        """Those of the connections that are not in the registry."""
        wanted = set(connection_ids)
        with self.engine.connect() as db:
            return sorted(wanted - self._registered(db, wanted))

    def revoke_token(self, token_id: str) -> int:
        """Revoke the one live token whose id (hash prefix) is `token_id`; how many were."""
        tokens = tables.probe_tokens
        if len(token_id) < TOKEN_ID_CHARS:
            return 0
        with self.engine.begin() as db:
            result = db.execute(update(tokens).where(and_(
                tokens.c.token_sha256.startswith(token_id, autoescape=True),
                tokens.c.revoked_at.is_(None))).values(revoked_at=datetime.now(UTC)))
            return int(result.rowcount)

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
        digest = token_hash(token)
        with self.engine.connect() as db:
            row = db.execute(select(tokens.c.probe_id, tokens.c.supersedes).where(and_(
                tokens.c.token_sha256 == digest, tokens.c.revoked_at.is_(None)))).first()
            if row is None:
                return None
            connections = set(db.execute(select(tables.probe_connections.c.connection_id).where(
                tables.probe_connections.c.probe_id == row.probe_id)).scalars())
        if row.supersedes:
            self._complete_rotation(digest)
        return row.probe_id, connections

    def _complete_rotation(self, digest: str) -> None:
        """The probe uses its new token: those it supersedes are revoked, once."""
        tokens, rotations = tables.probe_tokens, tables.token_rotations
        with self.engine.begin() as db:
            superseded = select(rotations.c.superseded_sha256).where(
                rotations.c.token_sha256 == digest)
            db.execute(update(tokens).where(and_(
                tokens.c.token_sha256.in_(superseded), tokens.c.revoked_at.is_(None)))
                .values(revoked_at=datetime.now(UTC)))
            db.execute(update(tokens).where(tokens.c.token_sha256 == digest)
                       .values(supersedes=False))

    # ---- registry -------------------------------------------------------------------------
    def upsert_connections(self, rows: Sequence[Connection],
                           stored: Callable[[int], None] | None = None) -> dict[str, int]:
        """Insert or update registry rows, keyed by (connection_id, effective_from), in one
        transaction; counts of inserted, updated and unchanged rows. The rollups of every
        connection whose periods changed are rebuilt in the same transaction: a tariff
        corrected after the fact re-judges the tests it covers. `stored` is told how many
        rows each step went through (a progress bar)."""
        counts = {"inserted": 0, "updated": 0, "unchanged": 0}
        changed: set[str] = set()
        table = tables.connections
        with self.engine.begin() as db:
            for start in range(0, len(rows), REGISTRY_CHUNK):
                chunk = rows[start:start + REGISTRY_CHUNK]
                current = {(m["connection_id"], m["effective_from"]): dict(m)
                           for m in db.execute(select(table).where(table.c.connection_id.in_(
                               {row.connection_id for row in chunk}))).mappings()}
                new = []
                for row in chunk:
                    values = row.__dict__
                    before = current.get((row.connection_id, row.effective_from))
                    if before is None:
                        new.append(values)
                        counts["inserted"] += 1
                    elif before != values:
                        db.execute(update(table).where(and_(
                            table.c.connection_id == row.connection_id,
                            table.c.effective_from == row.effective_from)).values(**values))
                        counts["updated"] += 1
                    else:
                        counts["unchanged"] += 1
                        continue
                    changed.add(row.connection_id)
                if new:
                    db.execute(insert(table), new)
                if stored is not None:
                    stored(len(chunk))
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
        "received_at": received_at, "plan": record.get("plan"),
    }
