"""Is a result record acceptable? The JSON Schema of the wire format, then the checks a schema
cannot express (times in order, counts that add up). Each problem names its field."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import fastjsonschema
import jsonschema

from netq.record import schema_text

FUTURE_SLACK = timedelta(days=1)  # probe clocks drift; a day ahead is not drift


@cache
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads(schema_text()))


@cache
def _fast() -> Callable[[Any], Any]:
    """The same schema compiled to Python (fastjsonschema, ~30 µs a record against ~500 for
    jsonschema). It stops at the first problem, so a record it refuses goes through
    jsonschema for every reason with its field. The schema uses nothing beyond draft 7."""
    schema = json.loads(schema_text())
    schema["$schema"] = "http://json-schema.org/draft-07/schema#"
    return fastjsonschema.compile(schema)


def schema_problems(record: Any) -> list[str]:
    try:
        _fast()(record)
    except fastjsonschema.JsonSchemaException:
        return [f"{_path(e.absolute_path)}: {e.message}"
                for e in sorted(_validator().iter_errors(record), key=lambda e: list(e.path))]
    return []


def _path(parts: Any) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text or "record"


def problems(record: Any, now: datetime | None = None) -> list[str]:
    """Everything wrong with `record`, as 'field: reason' sentences; empty when it is fine."""
    if not isinstance(record, dict):
        return [f"record: expected a JSON object, got {type(record).__name__}"]
    found = schema_problems(record)
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
