"""One stored result judged against the per-test norms of a profile, as rollup increments.

The same function feeds the daily rollups at ingest and lists the evidence behind a figure
(`netq compliance explain`), so the two can never disagree.

What counts (docs/method.md):
- a record with an `exclusion` is counted by its reason and never judged;
- latency: a session of at least `latency_packets_min` packets, with its packets sent and
  lost and its mean round trip; the quarter's loss is over all packets;
- throughput: not started is a failed attempt; started is a successful attempt, and a
  premature end a premature disconnection; a complete test is a speed session, its speed
  taken as the TCP payload the probe measured unless the profile's source states its tariff
  at another layer (`speed_layer`, at_layer), as a share of the tariff in force for its
  direction;
- then each per-test norm of the test's kind that the profile sets for the line's service
  and technology judges it, as the measure that brings the norm says (measures/: speed,
  delay, loss, the download floor, jitter); a norm the source does not set is not judged:
  the tests count, its columns stay empty and no indicator reads them;
- attempt: one attempt, failed unless ok;
- availability: seconds covered, split over the Minsk days the interval spans (down time is
  judged from merged outages, see rollups.py). Item 12 is the readiness of the connection to
  the Internet: time covered by a probe with no off-net target measured the access network,
  so it is counted apart and is not part of the covered time (nor are its down intervals).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from netq.collector.compliance.measures import PER_TEST_NORMS, JudgedTest, Tally
from netq.collector.compliance.quarter import minsk_day, minsk_midnight
from netq.collector.compliance.thresholds import PerTest, Profile
from netq.collector.registry import Connection

# Part of every rollup's criteria key: the code that judges a test (this module, the measures
# and the norms' own model), so that any change to it rebuilds the rollups and a published
# figure always equals its evidence.
_HERE = Path(__file__).parent
CODE_SHA256 = hashlib.sha256(b"".join(
    path.read_bytes() for path in (Path(__file__), _HERE / "thresholds.py", _HERE / "limits.py",
                                   *sorted((_HERE / "measures").glob("*.py"))))).hexdigest()[:16]

INFRASTRUCTURE = ("server_busy", "server_down")
# columns merged by min()/max() instead of summed
EXTREMES = {"speed_down_share_min": min, "speed_up_share_min": min,
            "speed_down_share_max": max, "speed_up_share_max": max}


def digest(result_id: str) -> int:
    """40 bits of the id's hash: summed per rollup row, a cheap fingerprint of which results
    made it (2^40 × a million results per row still fits a signed 64-bit integer)."""
    return int.from_bytes(hashlib.sha256(result_id.encode()).digest()[:5], "big")


def judge(row: Mapping[str, Any], connection: Connection,
          profile: Profile) -> list[tuple[date, Tally]]:
    """The increments one result adds to its connection's rollups, by Minsk day."""
    started: datetime = row["started_at"]
    day = minsk_day(started)
    tally: Tally = {"results_n": 1, "digest": digest(row["id"])}
    exclusion = row["exclusion"]
    if exclusion is not None:
        tally["excluded_n"] = 1
        tally[_exclusion_column(exclusion)] = 1
        return [(day, tally)]
    metrics = row["metrics"]
    norms = profile.norms_for(connection.service)
    kind = row["kind"]
    if kind in ("latency", "throughput"):
        if norms is None:
            return [(day, {**tally, "unjudged_n": 1})]  # the source sets no per-test norm here
        tally.update(_latency(metrics, connection, norms, profile.method.latency_packets_min)
                     if kind == "latency" else
                     _throughput(metrics, connection, norms, profile.method.speed_layer))
    elif kind == "attempt":
        tally.update(attempts_n=1, attempts_failed_n=0 if row["ok"] else 1)
    elif kind == "availability":
        return _spread_over_days(row, tally)
    return [(day, tally)]


def verdicts(tally: Tally, norms: PerTest | None, technology: str) -> dict[str, bool]:
    """What a judged test says of each per-test norm that applies to it (True: met), by the
    norm's name; empty for a test no norm judges."""
    if norms is None:
        return {}
    return {norm.name: not norm.failed(tally) for norm in PER_TEST_NORMS
            if norm.tests(tally) and norms.value(norm.key, technology) is not None
            and any(c in tally for c in norm.kept)}


def _judged(test: JudgedTest, norms: PerTest) -> Tally:
    """The columns the per-test norms of the test's kind keep, for those that hold for the
    line's technology."""
    kept: Tally = {}
    for norm in PER_TEST_NORMS:
        limit = norms.value(norm.key, test.technology)
        if norm.reads == test.kind and limit is not None:
            kept.update(norm.judge(test, limit))
    return kept


def _exclusion_column(exclusion: str) -> str:
    if exclusion in INFRASTRUCTURE:
        return "infrastructure_n"
    return "deferred_n" if exclusion == "cross_traffic" else "probe_error_n"


def _latency(metrics: Mapping[str, Any], connection: Connection, norms: PerTest,
             packets_min: int) -> Tally:
    sent, received = int(metrics.get("sent") or 0), int(metrics.get("received") or 0)
    if sent < packets_min:
        return {"unjudged_n": 1}
    tally: Tally = {"latency_n": 1, "packets_sent": sent, "packets_lost": sent - received}
    rtt = metrics.get("rtt_ms") or {}
    mean = rtt.get("mean") if received else None
    if mean is not None:
        tally.update(rtt_n=1, rtt_mean_sum_ms=mean, rtt_mean_sq_sum=mean * mean)
    tally.update(_judged(JudgedTest("latency", connection.technology, metrics, tally), norms))
    return tally


# bytes a layer adds to a data segment beyond its TCP and IP headers (None: the TCP payload)
LAYER_BYTES: dict[str, int | None] = {"tcp_payload": None, "ip": 0, "ethernet": 14 + 4}
# a record that does not say its segment (an older probe, iperf3's own count): IPv4 with TCP
# timestamps in a 1500-byte MTU, the common case; counted as assumed
ASSUMED_SEGMENT = (1448, 52)


def at_layer(metrics: Mapping[str, Any], layer: str) -> tuple[Decimal, bool]:
    """The test's speed (bit/s) at `layer`: the TCP payload scaled by the bytes a full segment
    takes there; and whether the segment was assumed."""
    bps = Decimal(repr(metrics["bits_per_second"]))
    extra = LAYER_BYTES[layer]
    if extra is None:
        return bps, False
    payload, headers = metrics.get("segment_payload_bytes"), metrics.get("segment_header_bytes")
    if payload is None or headers is None:
        return bps * (sum(ASSUMED_SEGMENT) + extra) / ASSUMED_SEGMENT[0], True
    return bps * (payload + headers + extra) / payload, False


def _throughput(metrics: Mapping[str, Any], connection: Connection, norms: PerTest,
                layer: str) -> Tally:
    ended = metrics.get("ended")
    if ended == "not_started":
        return {"attempts_n": 1, "attempts_failed_n": 1}
    tally: Tally = {"attempts_n": 1, "attempts_failed_n": 0, "started_n": 1,
                    "premature_n": 1 if ended == "premature" else 0}
    if ended != "complete":
        return tally
    direction = metrics["direction"]
    tariff_kbps = (connection.tariff_down_kbps if direction == "down"
                   else connection.tariff_up_kbps)
    bps, assumed = at_layer(metrics, layer)
    share = bps / 10 / tariff_kbps  # percent of the tariff: bps / (kbps × 1000) × 100
    tally.update({
        f"speed_{direction}_n": 1,
        f"speed_{direction}_share_sum": float(share),
        f"speed_{direction}_share_min": float(share),
        f"speed_{direction}_share_max": float(share),
        "speed_segment_assumed_n": 1 if assumed else 0,
    })
    tally.update(_judged(JudgedTest("throughput", connection.technology, metrics, tally, bps,
                              direction, tariff_kbps), norms))
    return tally


def _spread_over_days(row: Mapping[str, Any], tally: Tally) -> list[tuple[date, Tally]]:
    """Covered seconds of an availability interval, cut at Minsk midnights."""
    start, end = row["started_at"], row["ended_at"]
    pieces: list[tuple[date, Tally]] = []
    day = minsk_day(start)
    covered = "covered_on_net_only_s" if on_net_only(row) else "covered_s"
    while True:
        cut = min(end, minsk_midnight(day + timedelta(days=1)))
        piece: Tally = {covered: max(0.0, (cut - start).total_seconds())}
        if not pieces:
            piece.update(tally)  # the record itself counts once, on its first day
        pieces.append((day, piece))
        if cut >= end:
            return pieces
        start, day = cut, day + timedelta(days=1)


def on_net_only(row: Mapping[str, Any]) -> bool:
    """An availability interval of a probe that checked no off-net target: it saw the
    access network, not the Internet that item 12 names."""
    return "off_net_targets" not in row["metrics"]
