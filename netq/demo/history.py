"""A generated quarter so far for each line of the demo fleet, delivered to the collector
through its ingest API as probes would deliver it, so the store, its daily rollups and the
collector's gauges are built by the same code as in production.

Coarser than a real probe (a latency session every 3 hours, speed tests twice a day,
availability in 6-hour intervals) to keep the demo quick; the judgement does not depend on
how often a line is measured, only on what was measured.

The noise around each line's typical figures is bounded so that what a line shows is the same
in every run: a faulty line fails its norm in every session, a healthy one never does, and
the alerts the demo raises do not depend on the draw.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import click
import httpx

from netq.demo.fleet import Line
from netq.record import Identity, Outcome, Record

LATENCY_EVERY = timedelta(hours=3)
SPEED_EVERY = timedelta(hours=12)
ATTEMPT_EVERY = timedelta(hours=6)
INTERVAL = timedelta(hours=6)
OUTAGES_PER_DAY = 0.02
BATCH = 2000


def _latency(line: Line, rng: random.Random) -> dict[str, Any]:
    sent = 100
    # the line's loss within ±20 %, rounded at random to whole packets: 3 % loses 2 to 4 of
    # 100 (above the 1 % norm every time), 0.1 % loses 0 or 1 (never above it)
    received = sent - int(sent * line.loss_ratio * rng.uniform(0.8, 1.2) + rng.random())
    mean = line.rtt_ms * rng.uniform(0.9, 1.15)  # 450 ms stays above the 400 ms norm
    return {"method": "udp", "sent": sent, "received": received,
            "loss_ratio": (sent - received) / sent, "timeout_s": 3.0, "interval_s": 0.1,
            "rtt_ms": {"min": round(mean * 0.7, 3), "mean": round(mean, 3),
                       "median": round(mean * 0.95, 3), "p95": round(mean * 1.6, 3),
                       "max": round(mean * 2.2, 3)},
            "jitter_ms": round(mean * 0.08, 3)}


def _speed(line: Line, direction: str, rng: random.Random) -> dict[str, Any]:
    connection = line.connection
    tariff_kbps = connection.tariff_down_kbps if direction == "down" else connection.tariff_up_kbps
    # 80 % of the tariff stays above the 70 % norm, 50 % below it
    bits_per_second = tariff_kbps * 1000 * line.speed_share * rng.uniform(0.9, 1.1)
    return {"direction": direction, "streams": 4, "duration_s": 10, "omit_s": 2,
            "bytes": int(bits_per_second * 10 / 8), "bits_per_second": round(bits_per_second),
            "ended": "complete"}


def _availability(start: datetime, end: datetime, line: Line,
                  rng: random.Random) -> Iterator[tuple[datetime, datetime, bool]]:
    """Up intervals of at most INTERVAL, broken by the odd outage that is over before the
    end; down at the end only if the line is meant to be."""
    moment = start
    last = end - timedelta(minutes=40) if line.down_at_end else end
    while moment < last:
        stop = min(moment + INTERVAL, last)
        if rng.random() < OUTAGES_PER_DAY * INTERVAL / timedelta(days=1):
            outage = moment + (stop - moment) * rng.random()
            back = outage + timedelta(minutes=rng.randint(6, 90))
            if back >= last:
                yield moment, last, True
                break
            yield moment, outage, True
            yield outage, back, False
            moment = back
            continue
        yield moment, stop, True
        moment = stop
    if line.down_at_end:
        yield last, end, False


def _every(start: datetime, end: datetime, step: timedelta,
           rng: random.Random) -> Iterator[datetime]:
    """A random moment in each successive period of `step`, as the probe schedules tests."""
    period = start
    while period + step <= end:
        yield period + step * rng.random()
        period += step


def quarter_so_far(line: Line, start: datetime, end: datetime,
                   seed: int = 645) -> list[dict[str, Any]]:
    """The line's result records from `start` to `end`, in time order."""
    rng = random.Random(f"{seed}-{line.connection.connection_id}")
    identity = Identity(line.probe_id, line.connection.connection_id)
    records: list[Record] = []

    def add(kind: Any, at: datetime, seconds: float, outcome: Outcome) -> None:
        records.append(Record(identity, kind, at, at + timedelta(seconds=seconds), outcome))

    for at in _every(start, end, LATENCY_EVERY, rng):
        add("latency", at, 10, Outcome("node:862", True, _latency(line, rng)))
    for at in _every(start, end, SPEED_EVERY, rng):
        for direction in ("down", "up"):
            add("throughput", at, 12, Outcome("node:5201", True, _speed(line, direction, rng)))
            at += timedelta(seconds=15)
    for at in _every(start, end, ATTEMPT_EVERY, rng):
        add("attempt", at, 0.2, Outcome("http://node/", True, {
            "phase": "http", "duration_ms": round(rng.uniform(40, 200), 1)}))
    for began, ended, up in _availability(start, end, line, rng):
        add("availability", began, (ended - began).total_seconds(), Outcome(
            "node", True, {"up": up, "on_net_up": up,
                           "checks": max(1, int((ended - began).total_seconds() // 60)),
                           "targets": ["node"], "off_net_targets": ["ix.by"]}))
    records.sort(key=lambda r: r.started_at)
    return [r.to_json() for r in records]


def deliver(client: httpx.Client, url: str, token: str, records: list[dict[str, Any]],
            progress: Callable[[int], None]) -> None:
    """Post the records in batches; every one must be accepted."""
    for first in range(0, len(records), BATCH):
        batch = records[first:first + BATCH]
        response = client.post(f"{url}/api/v1/results", json=batch,
                               headers={"Authorization": f"Bearer {token}"})
        if response.status_code != 200:
            raise click.ClickException(f"the collector refused the generated history: "
                               f"{response.status_code} {response.text[:500]}")
        progress(len(batch))
