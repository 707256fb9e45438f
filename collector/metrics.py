"""The collector's Prometheus metrics.

Cardinality: outcomes and status codes are small fixed sets; `probe_id` adds one series per
probe; the per-connection gauges add at most four series per connection (RTT, loss, speed
down, speed up), labelled with technology, region and node so dashboards can aggregate
without a join. 10 000 connections: about 40 000 series, an ordinary scrape.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from prometheus_client import CollectorRegistry, Counter, Gauge, disable_created_metrics

from netq.collector.registry import Connection

disable_created_metrics()
MINSK = ZoneInfo("Europe/Minsk")
CONNECTION_LABELS = ["connection_id", "technology", "region", "node"]


class CollectorMetrics:
    def __init__(self) -> None:
        self.registry = r = CollectorRegistry()
        self.records = Counter("netq_collector_records_total", "Result records received, by "
                               "outcome (accepted, duplicate, rejected).", ["outcome"],
                               registry=r)
        self.requests = Counter("netq_collector_ingest_requests_total", "Ingest requests, by "
                                "HTTP status.", ["code"], registry=r)
        self.last_seen = Gauge("netq_collector_probe_last_seen_timestamp_seconds", "When a "
                               "probe last delivered a batch.", ["probe_id"], registry=r)
        self.rtt = Gauge("netq_connection_rtt_mean_seconds", "Mean round trip of the "
                         "connection's latest latency session.", CONNECTION_LABELS, registry=r)
        self.loss = Gauge("netq_connection_loss_ratio", "Packet loss of the connection's "
                          "latest latency session.", CONNECTION_LABELS, registry=r)
        self.speed = Gauge("netq_connection_throughput_tariff_ratio", "Goodput of the "
                           "connection's latest completed speed test, as a share of the tariff "
                           "in force when it ran.", [*CONNECTION_LABELS, "direction"],
                           registry=r)

    def probe_seen(self, probe_id: str) -> None:
        self.last_seen.labels(probe_id).set(time.time())

    def observe(self, record: dict[str, Any],
                tariff_at: Callable[[str, date], Connection | None]) -> None:
        """Update the per-connection gauges from one accepted record."""
        if not record["ok"] or record["exclusion"] or record["kind"] not in ("latency",
                                                                             "throughput"):
            return
        day = datetime.fromisoformat(record["started_at"]).astimezone(MINSK).date()
        connection = tariff_at(record["connection_id"], day)
        if connection is None:
            return
        labels = (connection.connection_id, connection.technology, connection.region,
                  connection.node)
        metrics = record["metrics"]
        if record["kind"] == "latency":
            if metrics["rtt_ms"]:
                self.rtt.labels(*labels).set(metrics["rtt_ms"]["mean"] / 1000)
            if metrics.get("loss_ratio") is not None:
                self.loss.labels(*labels).set(metrics["loss_ratio"])
        elif metrics["ended"] == "complete":
            direction = metrics["direction"]
            tariff_kbps = (connection.tariff_down_kbps if direction == "down"
                           else connection.tariff_up_kbps)
            self.speed.labels(*labels, direction).set(
                metrics["bits_per_second"] / (tariff_kbps * 1000))
