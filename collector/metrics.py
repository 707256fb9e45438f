"""The collector's Prometheus metrics.

Cardinality: outcomes and status codes are small fixed sets; `probe_id` adds one series per
probe; the per-connection gauges add at most four series per connection (RTT, loss, speed
down, speed up) and one for availability, labelled with profile, service, technology, region
and node so that dashboards and alerts aggregate without a join and join each line to its own
profile's per-test norms (`netq_line_norm_*`, one series per profile, service and technology).
10 000 connections: about 50 000 series, an ordinary scrape. The quarter-to-date compliance
gauges add one series per indicator and technology (and "all"): at most 31 × 10 per gauge and
profile, whatever the fleet.

Several collectors on one store: the counters and `probe_id` gauges are each process's own
(Prometheus scrapes every collector and sums); the gauges read from the store (the quarter,
the deadline, the lines' readings and norms, the slot leases) are exported by the one
collector that holds the store's leadership (leader.py), so they appear once.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from netq.collector import readings
from netq.collector.compliance.document import Document
from netq.collector.compliance.measures import PER_TEST_NORMS
from netq.collector.compliance.quarter import minsk_midnight
from netq.collector.compliance.thresholds import LINES, Thresholds
from netq.model import TECHNOLOGIES
from netq.record import VERDICTS

disable_created_metrics()
LINE_NORM_LABELS = ["profile", "service", "technology"]
# the decision rule's three states (docs/method.md)
JUDGED = ("meets", "fails", "edge")
# tariff_kbps: the plan of a per-plan indicator (com645 9), empty for every other
INDICATOR_LABELS = ["profile", "indicator", "technology", "tariff_kbps"]


class Snapshot(Collector):
    """Metric families replaced whole, by one assignment: what a scrape reads is one
    computation's, complete."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.families: list[GaugeMetricFamily] = []
        registry.register(self)

    def replace(self, families: list[GaugeMetricFamily]) -> None:
        self.families = families

    def collect(self) -> Iterator[GaugeMetricFamily]:
        return iter(self.families)

    def describe(self) -> Iterator[GaugeMetricFamily]:
        return iter(())  # names vary with nothing; no clash to check at registration


class CollectorMetrics:
    def __init__(self) -> None:
        self.registry = r = CollectorRegistry()
        self.records = Counter("netq_collector_records_total", "Result records received, by "
                               "outcome (accepted, duplicate, conflict, unregistered, "
                               "rejected).", ["outcome"], registry=r)
        self.requests = Counter("netq_collector_ingest_requests_total", "Ingest requests, by "
                                "HTTP status.", ["code"], registry=r)
        # every known outcome and status exists from the start, at 0: a rate or an alert on
        # one that has not happened yet reads 0, not "no data"
        for outcome in VERDICTS:
            self.records.labels(outcome)
        for code in ("200", "400", "401", "403", "413", "415", "422", "429", "500", "503"):
            self.requests.labels(code)
        self.plan_requests = Counter("netq_collector_plan_requests_total", "Plan requests "
                                     "of probes, by HTTP status (304: the probe's plan is "
                                     "current).", ["code"], registry=r)
        for code in ("200", "304", "401", "404", "429", "500"):
            self.plan_requests.labels(code)
        self.unknown_plan = Counter("netq_collector_unknown_plan_records_total", "Records "
                                    "stored whose plan version no applied set had (flagged in "
                                    "unknown_plan_results).", registry=r)
        self.rate_limited = Counter("netq_collector_rate_limited_requests_total", "Requests "
                                    "answered 429: a probe asked more often than its rate.",
                                    registry=r)
        self.busy = Counter("netq_collector_busy_requests_total", "Batches answered 503: "
                            "other batches' bodies already filled max_inflight_bytes.",
                            registry=r)
        self.slot_requests = Counter("netq_collector_slot_requests_total", "Slot requests of "
                                     "exclusive tests, by result (granted; full: no port free "
                                     "within the horizon; refused: a bad request; released).",
                                     ["result"], registry=r)
        for result in ("granted", "full", "refused", "released"):
            self.slot_requests.labels(result)
        self.slot_wait = Histogram("netq_collector_slot_wait_seconds", "From a granted slot "
                                   "request to the slot's start.", registry=r,
                                   buckets=(0, 1, 5, 15, 30, 60, 120, 300, 600))
        self.last_seen = Gauge("netq_collector_probe_last_seen_timestamp_seconds", "When a "
                               "probe last delivered a batch to this collector (several "
                               "collectors: the latest of them is the probe's).", ["probe_id"],
                               registry=r)
        self.leader = Gauge("netq_collector_leader", "1 when this collector publishes the "
                            "store's gauges (the quarter to date, the report deadline, the "
                            "lines' readings and norms, the slot leases), 0 while another "
                            "collector on the store does.", registry=r)

        # the store's gauges: computed by the leader, replaced whole, so a scrape sees the
        # last computation complete and never a gauge half re-set (a cleared
        # `netq_compliance_meets` would reset an alert's `for: 1d`)
        self.compliance = Snapshot(r)
        self.deadline = Snapshot(r)
        self.line_norms = Snapshot(r)
        self.lines = Snapshot(r)
        self.follow()  # named on /metrics before the first computation

    def follow(self) -> None:
        """Another collector publishes the store's gauges: none of them here."""
        self.leader.set(0)
        self.publish_compliance([], computed=False)
        self.publish_deadline(None)
        self.publish_line_norms(None, None)
        self.publish_lines([], None)

    def publish_lines(self, latest: Iterable[Mapping[str, Any]], leases: int | None) -> None:
        """Every line's latest readings (readings.py) and the slot leases held, from the
        store."""
        held = GaugeMetricFamily("netq_collector_slot_leases", "Slots leased on the store "
                                 "and not yet over.")
        if leases is not None:
            held.add_metric([], leases)
        self.lines.replace([*readings.families(latest), held])

    def publish_line_norms(self, norms: Thresholds | None, today: date | None) -> None:
        """Each profile's per-test norms in force today, per service and technology: the
        line alerts join a line's gauges to its own profile's norm."""
        gauges = [(norm, gauge, GaugeMetricFamily(gauge.name, gauge.help,
                                                  labels=LINE_NORM_LABELS))
                  for norm in PER_TEST_NORMS if (gauge := norm.gauge) is not None]
        editions = [] if norms is None or today is None else [
            (name, edition) for name in norms.names()
            if (edition := norms.in_force(name, today)) is not None]
        for name, edition in editions:
            for service, per_test in edition.per_test.items():
                for norm, gauge, family in gauges:
                    instead = next((i.norm.value for i in edition.indicators
                                    if i.measure == gauge.else_indicator_of and i.regulation
                                    and service in LINES[i.service]), None)
                    for technology in TECHNOLOGIES:
                        limit = per_test.value(norm.key, technology) or instead
                        if limit is not None:
                            family.add_metric([name, service, technology],
                                              float(limit * gauge.scale))
        self.line_norms.replace([family for _, _, family in gauges])

    def publish_deadline(self, entry: dict[str, Any] | None) -> None:
        """The last ended quarter's deadline, from compliance.deadline.status."""
        deadline = GaugeMetricFamily(
            "netq_report_deadline_timestamp_seconds", "When the last ended quarter's report "
            "must be published by: the end, in Minsk, of the day of the month after that the "
            "sources set (com645: the 15th).",
            labels=["quarter"])
        published = GaugeMetricFamily(
            "netq_report_published", "1 when the report of the last ended quarter is "
            "recorded as published (netq report publish), else 0.", labels=["quarter"])
        if entry is not None:
            due = minsk_midnight(date.fromisoformat(entry["due"]) + timedelta(days=1))
            deadline.add_metric([entry["quarter"]], due.timestamp())
            published.add_metric([entry["quarter"]], 1 if entry["state"] == "published" else 0)
        self.deadline.replace([deadline, published])

    def publish_compliance(self, documents: Sequence[Document], computed: bool = True) -> None:
        """The quarter-to-date gauges of every profile's computation, replacing the last."""
        def family(name: str, documentation: str, *extra: str) -> GaugeMetricFamily:
            return GaugeMetricFamily(name, documentation, labels=[*INDICATOR_LABELS, *extra])

        share = family("netq_compliance_share_ratio", "Quarter to date: an indicator that is a "
                       "share (com645 1-3, 11-21; 9 per tariff plan: the share of its lines "
                       "whose own tests reach it), as a ratio.")
        delay = family("netq_compliance_delay_seconds", "Quarter to date: mean delay "
                       "(com645 10).")
        speed = family("netq_compliance_speed_tariff_ratio", "Quarter to date, per tariff plan "
                       "(com645 9): the mean over its lines of each line's fastest or slowest "
                       "test, as a share of the tariff (shown beside the verdict).")
        norm = family("netq_compliance_norm", "The norm of each indicator, in the unit of its "
                      "value gauge; bound=lower: the value must be at least this, upper: at "
                      "most.", "bound")
        meets = family("netq_compliance_meets", "1 when the indicator's value meets its norm "
                       "quarter to date, 0 when not; absent when the sample is too small.")
        verdict = family("netq_compliance_verdict", "The decision rule quarter to date: 1 for "
                         "the state it is in (meets and fails: the whole 95 % interval on that "
                         "side of the norm; edge: the interval crosses it), 0 for the others; "
                         "absent without a verdict.", "verdict")
        sample = family("netq_compliance_sample_size", "n behind each indicator (sessions, "
                        "packets, minutes, calls, lines...).")
        quarter_end = GaugeMetricFamily("netq_compliance_quarter_end_timestamp_seconds",
                                        "When the quarter being judged ends (Minsk).")
        last_computed = GaugeMetricFamily("netq_compliance_computed_timestamp_seconds",
                                          "When the quarter-to-date indicators were last "
                                          "computed.")
        for document in documents:
            for entry in document.indicators:
                plan = entry.tariff_kbps
                labels = [document.profile, entry.id, entry.technology or "all",
                          "" if plan is None else str(plan)]
                # percent to a ratio, milliseconds to seconds
                gauge, scale = {"share": (share, 1e-2), "delay": (delay, 1e-3)}[entry.series]
                bound = "lower" if entry.norm.op == ">=" else "upper"
                norm.add_metric([*labels, bound], entry.norm.value * scale)
                sample.add_metric(labels, entry.n)
                if entry.value is not None:
                    gauge.add_metric(labels, entry.value * scale)
                if plan is not None and entry.mean_kbps is not None:
                    speed.add_metric(labels, entry.mean_kbps / plan)
                if entry.meets is not None:
                    meets.add_metric(labels, 1 if entry.meets else 0)
                if entry.verdict in JUDGED:
                    for state in JUDGED:
                        verdict.add_metric([*labels, state], 1 if entry.verdict == state else 0)
        if documents:
            quarter_end.add_metric([], datetime.fromisoformat(
                documents[0].period.to).timestamp())
        if computed:
            last_computed.add_metric([], time.time())
        self.compliance.replace([share, delay, speed, norm, quarter_end, meets, verdict, sample,
                                 last_computed])

    def probe_seen(self, probe_id: str) -> None:
        self.last_seen.labels(probe_id).set(time.time())
