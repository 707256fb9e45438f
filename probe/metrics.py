"""The probe daemon's own Prometheus metrics. Labels are bounded by the probe's config.

What every test has (counts, durations, when it last ran) is here; what a kind measures is
on /metrics through its prober's observer."""

from __future__ import annotations

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Info,
    disable_created_metrics,
)

from netq import __version__
from netq.probe.envelope import SPENT
from netq.probe.probers import PROBERS
from netq.record import Record

# `_created` series double the count for no use on a dashboard
disable_created_metrics()


class ProbeMetrics:
    def __init__(self, probe_id: str, connection_id: str, technology: str) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        Info("netq_probe", "Which probe this is.", registry=r).info({
            "probe_id": probe_id, "connection_id": connection_id, "technology": technology,
            "version": __version__})
        self.tests = Counter("netq_probe_tests_total", "Tests finished, by kind and result "
                             "(ok, failed, excluded).", ["kind", "result"], registry=r)
        self.duration = Histogram("netq_probe_test_duration_seconds", "Wall time of a test.",
                                  ["kind"], registry=r,
                                  buckets=(0.1, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300))
        self.skipped = Counter("netq_probe_tests_skipped_total", "Test runs skipped because "
                               "the day's budget of the line was spent (limits.speed_tests_"
                               "per_day, limits.bytes_per_day), by reason.", ["reason"],
                               registry=r)
        for reason in SPENT:
            self.skipped.labels(reason)
        self.deferrals = Counter("netq_probe_deferrals_total", "Speed tests deferred because "
                                 "the subscriber was using the line.", registry=r)
        self.last_test = Gauge("netq_probe_last_test_timestamp_seconds", "When a test of this "
                               "kind last finished.", ["kind"], registry=r)
        self.observers = {kind: prober.observer(r) for kind, prober in PROBERS.items()}
        self.spooled = Gauge("netq_probe_spool_records", "Records waiting in the spool.",
                             registry=r)
        self.uploaded = Counter("netq_probe_uploaded_records_total", "Records the collector "
                                "answered for, by answer (accepted, duplicate, conflict, "
                                "unregistered, rejected).", ["status"], registry=r)
        self.quarantined = Gauge("netq_probe_spool_quarantined_records", "Records the "
                                 "collector would not take, kept in the spool's quarantine "
                                 "(netq probe spool list).", registry=r)
        self.dropped = Gauge("netq_probe_spool_dropped_records", "Records dropped because the "
                             "spool was full (since the spool was created).", registry=r)

    def observe(self, record: Record) -> None:
        outcome, kind = record.outcome, record.kind
        result = "excluded" if outcome.exclusion else "ok" if outcome.ok else "failed"
        self.tests.labels(kind, result).inc()
        self.duration.labels(kind).observe((record.ended_at - record.started_at).total_seconds())
        self.last_test.labels(kind).set(record.ended_at.timestamp())
        self.observers[kind](outcome)
