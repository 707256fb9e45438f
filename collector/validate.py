"""Is a result record acceptable? The JSON Schema of the wire format, then the checks a schema
cannot express (times in order, counts that add up). Each problem names its field."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import fastjsonschema
import jsonschema

from netq.record import KINDS, schema_text
from netq.text import text_problem


@cache
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads(schema_text()))


@cache
def _fast() -> Callable[[Any], Any]:
    """The same schema compiled to Python (fastjsonschema, ~30 µs a record against ~500 for
    jsonschema). It stops at the first problem, so a record it refuses goes through
    jsonschema for every reason with its field. The schema uses nothing beyond draft 7.

    Its `allOf` picks the metrics' schema by kind (and by whether the probe failed) with
    if/then, which fastjsonschema evaluates by raising on every branch that does not apply;
    here the envelope is compiled without it and each branch's metrics schema on its own,
    chosen by a dictionary look-up: the same checks at a third of the cost."""
    schema = json.loads(schema_text())
    draft = {"$schema": "http://json-schema.org/draft-07/schema#"}
    branches = schema.pop("allOf")
    envelope = fastjsonschema.compile({**schema, **draft})
    metrics_by_case = {}
    for branch in branches:
        condition = branch["if"]["properties"]
        case = (condition["kind"]["const"], "const" in condition["exclusion"])
        metrics_by_case[case] = fastjsonschema.compile({
            **branch["then"]["properties"]["metrics"], "$id": schema["$id"],
            "$defs": schema["$defs"], **draft})

    def validate(record: Any) -> None:
        envelope(record)
        metrics_by_case[record["kind"], record["exclusion"] == "probe_error"](record["metrics"])

    return validate


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


def problems(record: Any, now: datetime | None = None, representable: bool = False) -> list[str]:
    """Everything wrong with `record`, as 'field: reason' sentences; empty when it is fine.
    `representable`: its whole batch was found free of NaN and control characters
    (`suspicious`, or SUSPICIOUS_JSON on the batch's text), so the record needs no walk."""
    if not isinstance(record, dict):
        return [f"record: expected a JSON object, got {type(record).__name__}"]
    if not representable and suspicious(record):
        found = unrepresentable(record)
        if found:
            return found
    found = schema_problems(record) or newer_metrics_problems(record)
    if found:
        return found
    started, problem = instant(record, "started_at")
    ended, problem_end = instant(record, "ended_at")
    found += [p for p in (problem, problem_end) if p]
    if started is None or ended is None:
        return found
    found += window_problems(record, started, ended, now or datetime.now(UTC))
    check = KIND_CHECKS.get(record["kind"])
    if check is not None:
        found += check(record["metrics"], (ended - started).total_seconds())
    return found


def newer_metrics_problems(record: dict[str, Any]) -> list[str]:
    """A probe one minor version ahead may report metrics this collector does not know yet:
    the schema keeps them if they are scalars with plain names; here, if they are few."""
    newer = sorted(set(record["metrics"]) - _known_metrics().get(record["kind"], set()))
    if len(newer) <= NEWER_METRICS_MAX:
        return []
    return [f"metrics: {len(newer)} metrics this collector does not know "
            f"({', '.join(newer[:3])}, …); at most {NEWER_METRICS_MAX} are kept"]


@cache
def _known_metrics() -> dict[str, set[str]]:
    defs = json.loads(schema_text())["$defs"]
    return {kind: set(defs[kind]["properties"]) for kind in KINDS}


def suspicious(value: Any) -> bool:
    """Could `unrepresentable` find anything in a record (or a batch)? Serialising is a fast
    pass over all of it (NaN and infinities raise; a control character, a surrogate or an
    escaped backslash shows as an escape); only a record that fails it is walked, to name
    the field."""
    try:
        text = json.dumps(value, allow_nan=False)
    except (ValueError, TypeError, RecursionError):
        return True
    return ESCAPES.search(text) is not None


ESCAPES = re.compile(r"\\(?:u00[01]|u007f|ud[89a-f]|[bfnrt\\])")
# the same, in a JSON text as a sender wrote it (hex digits in either case), and NaN and
# the infinities, which Python's JSON reader takes
SUSPICIOUS_JSON = re.compile(rb"NaN|Infinity|\\(?:u00[01]|u007[fF]|u[dD][89a-fA-F]|[bfnrt\\])")


def unrepresentable(value: Any, path: str = "record", depth: int = 0) -> list[str]:
    """Values JSON Schema cannot refuse: NaN and infinities (Python's JSON reader takes them),
    control characters (a NUL cannot be stored in PostgreSQL text). Depth is the schema's to
    refuse (no field nests past three levels); the walk stops at MAX_DEPTH all the same."""
    if depth > MAX_DEPTH:
        return [f"{path}: nested deeper than {MAX_DEPTH} levels"]
    if isinstance(value, float) and not math.isfinite(value):
        return [f"{path}: {value} is not a number"]
    if isinstance(value, str):
        problem = text_problem(value, TEXT_CONTROLS if path == "error" else "")
        return [] if problem is None else [f"{path}: {problem}"]
    if isinstance(value, dict):
        return [p for key, item in value.items()
                for p in unrepresentable(key, f"{path}: key", depth + 1)
                + unrepresentable(item, key if path == "record" else f"{path}.{key}", depth + 1)]
    if isinstance(value, list):
        return [p for i, item in enumerate(value)
                for p in unrepresentable(item, f"{path}[{i}]", depth + 1)]
    return []


def instant(record: dict[str, Any], field: str) -> tuple[datetime | None, str | None]:
    """The field's instant, or why it is not one (the schema's pattern lets 30 February,
    hour 29 and offset +29:00 through)."""
    text = record[field]
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        return None, f"{field}: {text} is not a real instant ({exc})"
    offset = moment.utcoffset()
    if offset is None or abs(offset) > MAX_UTC_OFFSET:
        return None, f"{field}: {text} has an offset beyond ±14:00"
    return moment, None


def window_problems(record: dict[str, Any], started: datetime, ended: datetime,
                    now: datetime) -> list[str]:
    found = []
    if ended < started:
        found.append(f"ended_at: {record['ended_at']} is before started_at {record['started_at']}")
    if started < now - MAX_AGE:
        found.append(f"started_at: {record['started_at']} is more than {MAX_AGE.days} days old")
    for field, moment in (("started_at", started), ("ended_at", ended)):
        if moment > now + CLOCK_SKEW:
            found.append(f"{field}: {record[field]} is more than a day ahead of the collector")
    longest = MAX_DURATION[record["kind"]]
    if ended - started > longest:
        found.append(f"ended_at: a {record['kind']} test lasts at most {longest}; this one "
                     f"{ended - started}")
    return found


def latency_problems(metrics: dict[str, Any], seconds: float) -> list[str]:
    if "sent" not in metrics:
        return []  # a probe error's partial metrics
    found = []
    if metrics["received"] > metrics["sent"]:
        found.append(f"metrics.received: {metrics['received']} exceeds metrics.sent "
                     f"{metrics['sent']}")
    interval = metrics.get("interval_s")
    if interval and (metrics["sent"] - 1) * interval > seconds + SCHEDULE_SLACK_S:
        found.append(f"metrics.sent: {metrics['sent']} packets {interval} s apart do not fit "
                     f"in a session of {seconds:g} s")
    rtt = metrics.get("rtt_ms")
    if rtt and not (rtt["min"] <= rtt["median"] <= rtt["max"]
                    and rtt["min"] <= rtt["mean"] <= rtt["max"]
                    and rtt["p95"] <= rtt["max"]):
        found.append("metrics.rtt_ms: min, mean, median, p95 and max are out of order")
    return found


def throughput_problems(metrics: dict[str, Any], seconds: float) -> list[str]:
    if "bits_per_second" not in metrics or "duration_s" not in metrics:
        return []  # a probe error's partial metrics
    found = []
    n_bytes, measured_s, rate = metrics["bytes"], metrics["duration_s"], metrics["bits_per_second"]
    expected = n_bytes * 8 / measured_s if measured_s > 0 else 0.0
    if abs(rate - expected) > max(1.0, expected * 1e-3):
        found.append(f"metrics.bits_per_second: {rate} is not metrics.bytes × 8 / "
                     f"metrics.duration_s ({expected:.1f})")
    if measured_s > seconds + SCHEDULE_SLACK_S:
        found.append(f"metrics.duration_s: {measured_s} s measured in a test of {seconds:g} s")
    return found


MAX_DEPTH = 16  # a record nests four levels; anything deeper is not one
NEWER_METRICS_MAX = 8  # metrics of a newer probe kept with a record (the schema's newer_metric)
TEXT_CONTROLS = "\t\n\r"  # an error message may quote a program's lines
MAX_UTC_OFFSET = timedelta(hours=14)  # the widest offset in use (Line Islands, UTC+14)
CLOCK_SKEW = timedelta(days=1)  # probe clocks drift; a day ahead is not drift
# A probe cut off from the collector keeps its results until it is back; a year and a
# month covers the longest outage anyone plans for, and the quarter it falls in.
MAX_AGE = timedelta(days=400)
SCHEDULE_SLACK_S = 5.0  # clocks read at a test's edges, not at its first and last packet
# The longest a test of each kind can take with its prober's widest settings, as the schema
# states it for the kind (x-longest-test-s): a record longer than this is not a test. A probe
# closes an availability interval at least every 15 min; an import from another monitor may
# carry longer ones, up to a day.
MAX_DURATION = {kind: timedelta(seconds=facts["x-longest-test-s"])
                for kind, facts in json.loads(schema_text())["$defs"].items()
                if kind in KINDS}
KIND_CHECKS: dict[str, Callable[[dict[str, Any], float], list[str]]] = {
    "latency": latency_problems,
    "throughput": throughput_problems,
}
