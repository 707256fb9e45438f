"""The collector's Prometheus metrics. Labels are bounded: outcomes and status codes are
small fixed sets; probe_id grows with the fleet (one series per probe, documented)."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Gauge, disable_created_metrics

disable_created_metrics()


class CollectorMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.records = Counter("netq_collector_records_total", "Result records received, by "
                               "outcome (accepted, duplicate, rejected).", ["outcome"],
                               registry=self.registry)
        self.requests = Counter("netq_collector_ingest_requests_total", "Ingest requests, by "
                                "HTTP status.", ["code"], registry=self.registry)
        self.last_seen = Gauge("netq_collector_probe_last_seen_timestamp_seconds", "When a "
                               "probe last delivered a batch.", ["probe_id"],
                               registry=self.registry)

    def probe_seen(self, probe_id: str) -> None:
        self.last_seen.labels(probe_id).set(time.time())
