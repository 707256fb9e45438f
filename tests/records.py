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
