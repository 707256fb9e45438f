"""A result's identity: its id, and a digest of what it says.

The same id with the same content is the same record sent again (a duplicate); the same id
with other content, or from another probe, is a conflict. The digest is taken over the
content as stored, instants in UTC, so a record re-sent with its instants written in another
offset is still the same record, and a stored row gives the digest its record would.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

FIELDS = ("id", "probe_id", "connection_id", "kind", "started_at", "ended_at", "target", "ok",
          "error", "exclusion", "metrics")


def content_digest(row: dict[str, Any]) -> str:
    """sha256 of a stored row's FIELDS (a row as `results` holds it, or as a record maps to)."""
    content = {field: _plain(row[field]) for field in FIELDS}
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)  # SQLite drops the zone
        return moment.astimezone(UTC).isoformat(timespec="microseconds")
    return value
