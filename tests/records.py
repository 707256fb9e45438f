"""Result records and registry rows for tests: valid by default, changed where a test says."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from netq.collector.registry import FIRST_PERIOD, Connection


def latency_record(**changes: Any) -> dict[str, Any]:
    record = {
        "schema": "netq.result/1", "id": str(uuid.uuid4()), "probe_id": "probe-1",
        "connection_id": "C-1", "kind": "latency", "started_at": "2026-08-15T11:00:00.000+00:00",
        "ended_at": "2026-08-15T11:00:13.000+00:00", "target": "node1:862", "ok": True,
        "error": None, "exclusion": None,
        "metrics": {"method": "udp", "sent": 100, "received": 99, "loss_ratio": 0.01,
                    "rtt_ms": {"min": 10.0, "mean": 12.0, "median": 11.5, "p95": 15.0,
                               "max": 20.0}, "jitter_ms": 1.2},
    }
    for dotted, value in changes.items():
        target = record
        *path, last = dotted.split("__")
        for part in path:
            target = target[part]
        target[last] = value
    return record


def registry_row(connection_id: str = "C-1", effective_from: date = FIRST_PERIOD,
                 down: int = 100_000) -> Connection:
    return Connection(connection_id, effective_from, "fixed", "pon", down, down // 2, "Minsk",
                      "node-1", "com645")


def registered_probe(db: str, probe_id: str = "probe-1", connection_id: str = "C-1") -> str:
    """A store with one connection and one probe allowed to write for it; the probe's token."""
    from netq.collector.store import Store

    store = Store.open(db)
    store.upsert_connections([registry_row(connection_id)])
    token = store.create_token(probe_id, [connection_id])
    store.close()
    return token


def result_record(kind: str, connection_id: str, started_at: str, seconds: float,
                  metrics: dict[str, Any], ok: bool = True,
                  exclusion: str | None = None) -> dict[str, Any]:
    """A record of any kind; `started_at` in RFC 3339, usually Minsk time (+03:00)."""
    from datetime import datetime, timedelta

    start = datetime.fromisoformat(started_at)
    return {
        "schema": "netq.result/1", "id": str(uuid.uuid4()), "probe_id": "probe-1",
        "connection_id": connection_id, "kind": kind, "started_at": start.isoformat(),
        "ended_at": (start + timedelta(seconds=seconds)).isoformat(), "target": "node1",
        "ok": ok, "error": None if ok else "failed", "exclusion": exclusion,
        "metrics": metrics,
    }


def speed(connection_id: str, started_at: str, bits_per_second: float, direction: str = "down",
          ended: str = "complete", exclusion: str | None = None) -> dict[str, Any]:
    return result_record("throughput", connection_id, started_at, 12, {
        "direction": direction, "streams": 4, "duration_s": 10,
        "bytes": int(bits_per_second * 10 / 8), "bits_per_second": bits_per_second,
        "ended": ended}, ok=ended == "complete" and exclusion is None, exclusion=exclusion)


def latency(connection_id: str, started_at: str, mean_ms: float | None, received: int,
            sent: int = 100, exclusion: str | None = None) -> dict[str, Any]:
    rtt = None if mean_ms is None else dict.fromkeys(("min", "mean", "median", "p95", "max"),
                                                     mean_ms)
    return result_record("latency", connection_id, started_at, 20, {
        "method": "udp", "sent": sent, "received": received, "rtt_ms": rtt,
        "jitter_ms": None}, ok=exclusion is None, exclusion=exclusion)


def attempt(connection_id: str, started_at: str, ok: bool) -> dict[str, Any]:
    return result_record("attempt", connection_id, started_at, 1,
                         {"phase": "http", "duration_ms": 120.0}, ok=ok)


def interval(connection_id: str, started_at: str, ended_at: str, up: bool) -> dict[str, Any]:
    from datetime import datetime

    seconds = int((datetime.fromisoformat(ended_at)
                   - datetime.fromisoformat(started_at)).total_seconds())
    return result_record("availability", connection_id, started_at, seconds,
                         {"up": up, "on_net_up": up, "checks": max(1, seconds // 60),
                          "targets": ["node1.isp.example"], "off_net_targets": ["ix.example"]})
