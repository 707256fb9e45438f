"""The result record, wire format v1 (docs/design.md): one JSON object per test.

The probe builds records here; the collector validates them against
``schema/result-v1.schema.json``. Both read the same constants.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from typing import Any, Literal, get_args

SCHEMA = "netq.result/1"
# The test kinds: each has its prober, probe/probers/KIND.py, and its metrics in the schema.
Kind = Literal["latency", "throughput", "availability", "attempt", "snmp", "dns"]
KINDS: tuple[Kind, ...] = get_args(Kind)
Exclusion = Literal["server_busy", "server_down", "cross_traffic", "probe_error",
                    "probe_overloaded"]
# What the collector answers for each record. accepted: stored now; duplicate: stored
# before, same content; conflict: the id is stored with other content or from another probe
# (the stored one is kept); unregistered: the connection is not in the registry yet (send it
# again later); rejected: never storable as it is.
Verdict = Literal["accepted", "duplicate", "conflict", "unregistered", "rejected"]
VERDICTS: tuple[Verdict, ...] = ("accepted", "duplicate", "conflict", "unregistered", "rejected")
HELD: tuple[Verdict, ...] = ("accepted", "duplicate")  # the sender may let the record go
REFUSED: tuple[Verdict, ...] = ("rejected", "conflict")  # not as it is, ever


def schema_text() -> str:
    """The JSON Schema of the record, as shipped in the package."""
    return resources.files("netq").joinpath("schema/result-v1.schema.json").read_text("utf-8")


def rfc3339(moment: datetime) -> str:
    """UTC, millisecond precision, explicit offset: what docs/design.md asks for on the wire."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Outcome:
    """What a prober found; the runner turns it into a record with ids and times."""

    target: str
    ok: bool
    metrics: dict[str, Any]
    error: str | None = None
    exclusion: Exclusion | None = None


@dataclass
class Identity:
    """Who measured what, and under which central plan (its version): stamped on every
    record."""

    probe_id: str
    connection_id: str
    plan: str | None = None


@dataclass
class Record:
    identity: Identity
    kind: Kind
    started_at: datetime
    ended_at: datetime
    outcome: Outcome
    id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def to_json(self) -> dict[str, Any]:
        plan = {} if self.identity.plan is None else {"plan": self.identity.plan}
        return {
            "schema": SCHEMA,
            "id": self.id,
            "probe_id": self.identity.probe_id,
            "connection_id": self.identity.connection_id,
            "kind": self.kind,
            "started_at": rfc3339(self.started_at),
            "ended_at": rfc3339(self.ended_at),
            "target": self.outcome.target,
            "ok": self.outcome.ok,
            "error": self.outcome.error,
            "metrics": self.outcome.metrics,
            "exclusion": self.outcome.exclusion,
            **plan,
        }
