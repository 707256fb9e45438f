"""Hostile and broken records against the store, on SQLite and PostgreSQL: each is refused on
its own with its field named, its neighbours are stored, no published figure moves, and an
id is stored once, whoever sends it and however often."""

from __future__ import annotations

import copy
import math
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from netq.collector.compliance.engine import compliance
from netq.collector.compliance.quarter import Quarter
from netq.collector.store import Store
from tests.records import latency_record

NOW = datetime(2026, 8, 15, 12, 0, tzinfo=UTC)


def availability_record(**changes: Any) -> dict[str, Any]:
    record = latency_record(kind="availability", target="node1,node2",
                            metrics={"up": False, "checks": 15, "targets": ["node1", "node2"]})
    record.update(changes)
    return record


def throughput_record(n_bytes: int, bits_per_second: float) -> dict[str, Any]:
    return latency_record(kind="throughput", metrics={
        "direction": "down", "streams": 4, "duration_s": 10.0, "omit_s": 2,
        "bytes": n_bytes, "bits_per_second": bits_per_second, "ended": "complete"})


def deep(levels: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(levels):
        value = {"x": value}
    return value


HOSTILE = [
    ("30 February", latency_record(started_at="2026-02-30T10:00:00+00:00"),
     "started_at: 2026-02-30T10:00:00+00:00 is not a real instant"),
    ("hour 29", latency_record(ended_at="2026-08-15T29:00:00+00:00"),
     "ended_at: 2026-08-15T29:00:00+00:00 is not a real instant"),
    ("offset +29:00", latency_record(started_at="2026-08-15T10:00:00+29:00"),
     "is not a real instant"),
    ("offset +15:00", latency_record(started_at="2026-08-15T10:00:00+15:00"),
     "offset beyond ±14:00"),
    ("year 0", latency_record(started_at="0000-08-15T10:00:00+00:00"),
     "is not a real instant"),
    ("NaN", latency_record(metrics__jitter_ms=math.nan), "metrics.jitter_ms: nan is not a number"),
    ("Infinity", latency_record(metrics__rtt_ms__max=math.inf),
     "metrics.rtt_ms.max: inf is not a number"),
    ("NUL", latency_record(target="node1\x00"), "target: control character U+0000"),
    ("escape", latency_record(connection_id="C-1\x1b[2J"), "connection_id: control character"),
    ("nested deep", latency_record(metrics=deep(40)),
     "is not of type 'number', 'string', 'boolean', 'null'"),
    ("nested deep with a NaN", latency_record(metrics=deep(40) | {"y": math.nan}),
     "nested deeper than 16 levels"),
    ("a newer metric too long", latency_record(metrics__padding="x" * 1000),
     "metrics.padding: '" + "x" * 1000 + "' is too long"),
    ("a nested metric field unknown", latency_record(metrics__rtt_ms__padding=1.0),
     "Additional properties are not allowed ('padding' was unexpected)"),
    ("ten million packets", latency_record(metrics__sent=10_000_000, metrics__received=0,
                                           metrics__loss_ratio=1.0),
     "metrics.sent: 10000000 is greater than the maximum of 65535"),
    ("packets faster than their interval", latency_record(
        metrics__sent=60_000, metrics__received=0, metrics__loss_ratio=1.0,
        metrics__interval_s=0.1), "do not fit in a session of 13 s"),
    ("600 years ahead", availability_record(ended_at="2626-08-15T11:00:00.000+00:00"),
     "is more than a day ahead of the collector"),
    ("an availability interval of two days", availability_record(
        started_at="2026-08-13T11:00:00.000+00:00"), "lasts at most 1 day"),
    ("500 days old", latency_record(started_at="2025-04-01T11:00:00.000+00:00",
                                    ended_at="2025-04-01T11:00:13.000+00:00"),
     "is more than 400 days old"),
    ("no bytes at 100 Gbit/s", throughput_record(0, 1e11),
     "is not metrics.bytes × 8 / metrics.duration_s"),
]


@pytest.mark.parametrize(("case", "record", "reason"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_a_hostile_record_is_refused_alone_naming_why(store: Store, case: str,
                                                      record: dict[str, Any],
                                                      reason: str) -> None:
    good = latency_record()
    answers = store.ingest([latency_record(), record, good], now=NOW)
    assert [a.status for a in answers] == ["accepted", "rejected", "accepted"], answers
    assert any(reason in r for r in answers[1].reasons), answers[1].reasons
    assert store.count_results() == 2


def test_one_absurd_session_does_not_move_the_published_loss(store: Store) -> None:
    sessions = [latency_record(started_at=f"2026-08-{d:02d}T11:00:00.000+00:00",
                               ended_at=f"2026-08-{d:02d}T11:00:13.000+00:00")
                for d in range(1, 15)]
    store.ingest(sessions, now=NOW)

    def loss() -> Any:
        document = compliance(store, Quarter.of(NOW), evidence=False)
        return [i for i in document["indicators"] if i["id"].endswith(".11")]

    before = loss()
    store.ingest([latency_record(metrics__sent=10_000_000, metrics__received=0,
                                 metrics__loss_ratio=1.0)], now=NOW)
    assert loss() == before


def test_same_id_same_content_is_a_duplicate_other_content_or_probe_a_conflict(
        store: Store) -> None:
    record = latency_record()
    assert store.ingest([record], now=NOW)[0].status == "accepted"
    # the same record, its instants written in another offset: the same content
    same = dict(record, started_at="2026-08-15T14:00:00.000+03:00",
                ended_at="2026-08-15T14:00:13.000+03:00")
    changed = latency_record(id=record["id"], metrics__received=10)
    other_probe = dict(record, probe_id="probe-2")
    answers = [store.ingest([r], now=NOW)[0] for r in (same, changed, other_probe)]
    assert [a.status for a in answers] == ["duplicate", "conflict", "conflict"]
    assert answers[1].reasons == ("id: already stored with other content; "
                                  "the stored record is kept",)
    assert answers[2].reasons == ("id: already stored from another probe; "
                                  "the stored record is kept",)
    with store.engine.connect() as db:
        kept = db.execute(text("SELECT metrics FROM results")).scalar_one()
    assert (kept if isinstance(kept, dict) else __import__("json").loads(kept))["received"] == 99


def test_an_id_twice_in_one_batch_with_other_content_keeps_the_first(store: Store) -> None:
    first = latency_record()
    second = latency_record(id=first["id"], started_at="2026-08-14T11:00:00.000+00:00",
                            ended_at="2026-08-14T11:00:13.000+00:00")
    answers = store.ingest([first, second], now=NOW)
    assert [a.status for a in answers] == ["accepted", "conflict"]
    assert store.count_results() == 1


def send_in_batches(db_url: str, ids: list[str], month: int) -> list[str]:
    """One probe's worth of batches, from a process of its own: the statuses."""
    store = Store.open(db_url)
    try:
        statuses = []
        for start in range(0, len(ids), 50):
            batch = [latency_record(id=i, started_at=f"2026-0{month}-15T11:00:00.000+00:00",
                                    ended_at=f"2026-0{month}-15T11:00:13.000+00:00")
                     for i in ids[start:start + 50]]
            statuses += [a.status for a in store.ingest(batch, now=NOW)]
        return statuses
    finally:
        store.close()


@pytest.mark.slow  # a collector, a probe or the netq command started
def test_concurrent_batches_of_the_same_ids_store_each_id_once(store: Store,
                                                               db_url: str) -> None:
    ids = [latency_record()["id"] for _ in range(1000)]
    # the same ids in different months (different partitions on PostgreSQL), from four
    # processes at once, as four probes sending batches concurrently
    with ProcessPoolExecutor(4, mp_context=multiprocessing.get_context("spawn")) as pool:
        answers = list(pool.map(send_in_batches, [db_url] * 4, [ids] * 4, (6, 7, 8, 6)))
    assert store.count_results() == 1000
    assert sum(status == "accepted" for statuses in answers for status in statuses) == 1000
    with store.engine.connect() as db:
        counted = db.execute(text("SELECT sum(latency_n) FROM rollups")).scalar_one()
    assert counted == 1000 * len(store.rollups.criteria)


def test_a_failed_batch_does_not_poison_its_month(store: Store,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    september = {"started_at": "2026-09-01T11:00:00.000+00:00",
                 "ended_at": "2026-09-01T11:00:13.000+00:00"}
    add = store.rollups.add

    def fail(*args: Any) -> None:
        raise RuntimeError("the store went away mid-batch")

    monkeypatch.setattr(store.rollups, "add", fail)
    with pytest.raises(RuntimeError):
        store.ingest([latency_record(**september)], now=NOW + timedelta(days=20))
    monkeypatch.setattr(store.rollups, "add", add)
    answers = store.ingest([latency_record(**september)], now=NOW + timedelta(days=20))
    assert [a.status for a in answers] == ["accepted"]


good_records = st.builds(lambda day, minute: latency_record(
    started_at=f"2026-08-{day:02d}T10:{minute:02d}:00.000+00:00",
    ended_at=f"2026-08-{day:02d}T10:{minute:02d}:13.000+00:00"),
    st.integers(1, 15), st.integers(0, 59))
bad_records = st.one_of([st.just(record) for _, record, _ in HOSTILE]) | st.builds(
    lambda value: latency_record(metrics__jitter_ms=value),
    st.one_of(st.text(max_size=5), st.floats(allow_nan=True, allow_infinity=True).filter(
        lambda f: not math.isfinite(f) or f < 0 or f > 60000)))


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=st.lists(st.tuples(st.booleans(), good_records, bad_records), max_size=12))
def test_a_mixed_batch_stores_exactly_its_good_records(store: Store, batch: list[Any]) -> None:
    records = [copy.deepcopy(good if is_good else bad) for is_good, good, bad in batch]
    for record in records:
        record["id"] = latency_record()["id"]  # fresh ids: each example on its own
    before = store.count_results()
    answers = store.ingest(records, now=NOW)
    expected = ["accepted" if is_good else "rejected" for is_good, _, _ in batch]
    assert [a.status for a in answers] == expected
    assert store.count_results() - before == expected.count("accepted")
