"""A result's identity: its id, and a digest of what it says.

The same id with the same content is the same record sent again (a duplicate); the same id
with other content, or from another probe, is a conflict. The digest is taken over the
content as stored, instants in UTC, so a record re-sent with its instants written in another
offset is still the same record, and a stored row digests as the record it came from. Only
an id met again is digested: a new record pays nothing for it.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

FIELDS = ("id", "probe_id", "connection_id", "kind", "started_at", "ended_at", "target", "ok",
          "error", "exclusion", "metrics", "plan")


def content_digest(row: dict[str, Any]) -> str:
    """sha256 of a stored row's FIELDS (a row as `results` holds it, or as a record maps to)."""
    content = {field: row.get(field) for field in FIELDS}
    content["started_at"] = _utc(row["started_at"])
    content["ended_at"] = _utc(row["ended_at"])
    return hashlib.sha256(_CANONICAL.encode(content).encode()).hexdigest()


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _utc(moment: datetime) -> str:
    if moment.tzinfo is None:  # SQLite gives back UTC without its zone
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")
