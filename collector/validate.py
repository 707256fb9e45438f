"""Is a result record acceptable? The JSON Schema of the wire format, then the checks a schema
cannot express (times in order, counts that add up). Each problem names its field."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import jsonschema

from netq.record import schema_text

FUTURE_SLACK = timedelta(days=1)  # probe clocks drift; a day ahead is not drift


@cache
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads(schema_text()))


def _path(parts: Any) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text or "record"


def problems(record: Any, now: datetime | None = None) -> list[str]:
    """Everything wrong with `record`, as 'field: reason' sentences; empty when it is fine."""
    if not isinstance(record, dict):
        return [f"record: expected a JSON object, got {type(record).__name__}"]
    found = [f"{_path(e.absolute_path)}: {e.message}"
             for e in sorted(_validator().iter_errors(record), key=lambda e: list(e.path))]
    if found:
        return found
    started = datetime.fromisoformat(record["started_at"])
    ended = datetime.fromisoformat(record["ended_at"])
    if ended < started:
        found.append(f"ended_at: {record['ended_at']} is before started_at {record['started_at']}")
    if started > (now or datetime.now(UTC)) + FUTURE_SLACK:
        found.append(f"started_at: {record['started_at']} is more than a day in the future")
    metrics = record["metrics"]
    if record["kind"] == "latency" and "sent" in metrics:
        if metrics["received"] > metrics["sent"]:
            found.append(f"metrics.received: {metrics['received']} exceeds metrics.sent "
                         f"{metrics['sent']}")
        rtt = metrics.get("rtt_ms")
        if rtt and not (rtt["min"] <= rtt["median"] <= rtt["max"]
                        and rtt["min"] <= rtt["mean"] <= rtt["max"]):
            found.append("metrics.rtt_ms: min, mean, median and max are out of order")
    return found
