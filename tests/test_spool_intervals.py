"""The spool keeps records until acknowledged and bounds itself; availability checks fold
into interval records that survive restarts without inventing coverage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from netq.probe.intervals import IntervalTracker
from netq.probe.spool import Spool
from netq.record import Identity

T0 = datetime(2026, 7, 1, 0, 0, tzinfo=UTC)
ME = Identity("probe-1", "C-1")


def record(n: int) -> dict:
    return {"id": f"00000000-0000-4000-8000-{n:012d}", "n": n}


def test_records_leave_the_spool_only_when_acknowledged_oldest_first(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.db")
    for n in range(5):
        spool.append(record(n))
    assert [r["n"] for r in spool.pending(3)] == [0, 1, 2]
    spool.acknowledge([record(0)["id"], record(1)["id"]])
    assert [r["n"] for r in spool.pending(10)] == [2, 3, 4]
    spool.close()
    assert len(Spool(tmp_path / "s.db")) == 3  # and they are on disk, not in memory


def test_the_same_record_twice_is_kept_once(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.db")
    spool.append(record(1))
    spool.append(record(1))
    assert len(spool) == 1


def test_a_full_spool_drops_the_oldest_and_counts_them(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.db", max_records=100)
    for n in range(130):
        spool.append(record(n))
    assert len(spool) == 100
    assert spool.dropped_total == 30
    assert spool.pending(1)[0]["n"] == 30


def checks(tracker: IntervalTracker, states: list[bool], start: datetime, every: float) -> list:
    out = []
    for i, up in enumerate(states):
        began = start + timedelta(seconds=i * every)
        out += tracker.observe(began, began + timedelta(seconds=0.3), up, up)
    return out


def tracker(tmp_path: Path, report_every: float = 900) -> IntervalTracker:
    return IntervalTracker(Spool(tmp_path / "s.db"), ME, "availability", "a",
                           {"targets": ["a"], "off_net_targets": ["b"]}, 60, report_every)


def test_a_state_change_closes_the_interval_where_the_changing_check_began(tmp_path: Path) -> None:
    closed = checks(tracker(tmp_path), [True, True, False, False, False, True], T0, 60)
    assert [(r.outcome.metrics["up"], r.started_at, r.ended_at, r.outcome.metrics["checks"])
            for r in closed] == [
        (True, T0, T0 + timedelta(minutes=2), 2),
        (False, T0 + timedelta(minutes=2), T0 + timedelta(minutes=5), 3),
    ]


def test_an_unchanged_state_is_still_reported_every_15_minutes(tmp_path: Path) -> None:
    closed = checks(tracker(tmp_path), [True] * 31, T0, 60)
    assert [(r.started_at, r.ended_at) for r in closed] == [
        (T0, T0 + timedelta(minutes=15)), (T0 + timedelta(minutes=15), T0 + timedelta(minutes=30))]


def test_after_a_crash_the_open_interval_ends_at_the_last_check_made(tmp_path: Path) -> None:
    checks(tracker(tmp_path), [False, False, False], T0, 60)
    restarted = tracker(tmp_path)  # a new process: only the spool's state remains
    recovered = restarted.close_open()
    assert recovered is not None
    assert (recovered.outcome.metrics["up"], recovered.started_at) == (False, T0)
    assert recovered.ended_at == T0 + timedelta(minutes=2, seconds=0.3)
    assert restarted.close_open() is None


def test_closing_the_same_interval_twice_gives_the_same_record_id(tmp_path: Path) -> None:
    checks(tracker(tmp_path), [True, True], T0, 60)
    first = tracker(tmp_path).close_open()
    checks(tracker(tmp_path), [True, True], T0, 60)  # the same interval, seen again
    again = tracker(tmp_path).close_open()
    assert first is not None
    assert again is not None
    assert first.id == again.id


def test_a_pause_longer_than_two_checks_is_a_gap_not_coverage(tmp_path: Path) -> None:
    t = tracker(tmp_path)
    checks(t, [True, True], T0, 60)
    closed = t.observe(T0 + timedelta(minutes=10), T0 + timedelta(minutes=10, seconds=1), True,
                       True)
    assert [(r.started_at, r.ended_at) for r in closed] == [
        (T0, T0 + timedelta(minutes=1, seconds=0.3))]
