"""Properties of the judgement, the intervals and the rollups, over generated inputs."""

from __future__ import annotations

import math
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netq.collector.compliance import stats, thresholds
from netq.collector.compliance.judgement import judge
from netq.collector.compliance.quarter import MINSK, Quarter, minsk_day
from netq.collector.registry import FIRST_PERIOD, Connection
from netq.collector.store import Store
from tests.records import latency, speed

PROFILE = thresholds.load().profile("com645")
# the same, judging the TCP payload itself (the layers: test_regulator_review.py)
TCP = PROFILE.model_copy(update={"method": PROFILE.method.model_copy(
    update={"speed_layer": "tcp_payload"})})
FIXED = PROFILE.per_test["fixed"]


def connection(down_kbps: int, up_kbps: int = 1000, service: str = "fixed") -> Connection:
    return Connection("C", FIRST_PERIOD, service, "pon", down_kbps, up_kbps, "R", "N", "com645")


def stored(record: dict) -> dict:
    """A record as the store hands it to the judgement."""
    return {**record, "started_at": datetime.fromisoformat(record["started_at"]),
            "ended_at": datetime.fromisoformat(record["ended_at"])}


def wilson_by_bisection(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """The Wilson bounds as the two p0 with |k/n - p0| = z·sqrt(p0(1 - p0)/n)."""
    p = k / n

    def gap(p0: float) -> float:
        return abs(p - p0) - z * math.sqrt(p0 * (1 - p0) / n)

    def root(low: float, high: float) -> float:
        for _ in range(200):
            middle = (low + high) / 2
            if (gap(low) > 0) == (gap(middle) > 0):
                low = middle
            else:
                high = middle
        return (low + high) / 2

    return (0.0 if k == 0 else root(0.0, p)), (1.0 if k == n else root(p, 1.0))


@given(n=st.integers(1, 10**6), data=st.data())
def test_the_wilson_interval_holds_the_share_and_solves_its_equation(n: int,
                                                                     data: st.DataObject) -> None:
    k = data.draw(st.integers(0, n))
    low, high = stats.wilson(k, n)  # type: ignore[misc]
    assert 0 <= low <= k / n <= high <= 1
    expected = wilson_by_bisection(k, n)
    assert math.isclose(low, expected[0], abs_tol=1e-9)
    assert math.isclose(high, expected[1], abs_tol=1e-9)


@given(tariff_kbps=st.integers(1, 100_000_000))
def test_exactly_70_percent_of_the_tariff_meets_and_a_bit_less_does_not(tariff_kbps: int) -> None:
    exact = tariff_kbps * 1000 * 70 / 100
    line = connection(tariff_kbps)
    at = judge(stored(speed("C", "2026-07-01T12:00:00+03:00", exact)), line, TCP)[0][1]
    below = math.nextafter(exact, 0)
    under = judge(stored(speed("C", "2026-07-01T12:00:00+03:00", below)), line, TCP)[0][1]
    assert (at["speed_down_pass_n"], under["speed_down_pass_n"]) == (1, 0)


@given(sent=st.integers(100, 100_000))
def test_loss_of_at_most_1_percent_meets_and_one_packet_more_does_not(sent: int) -> None:
    line = connection(10_000)
    lost = sent // 100  # the most packets that are still at most 1 %
    at = judge(stored(latency("C", "2026-07-01T12:00:00+03:00", 10.0, sent - lost, sent)),
               line, PROFILE)[0][1]
    more = judge(stored(latency("C", "2026-07-01T12:00:00+03:00", 10.0, sent - lost - 1,
                                sent)), line, PROFILE)[0][1]
    assert (at["loss_pass_n"], more["loss_pass_n"]) == (1, 0)


@given(mean=st.floats(0, 1000, allow_nan=False))
def test_a_session_meets_the_delay_norm_exactly_when_its_mean_is_at_most_400_ms(
    mean: float,
) -> None:
    tally = judge(stored(latency("C", "2026-07-01T12:00:00+03:00", mean, 100)),
                  connection(10_000), PROFILE)[0][1]
    assert tally["delay_pass_n"] == (1 if Decimal(repr(mean)) <= FIXED.delay_max_ms.value else 0)


@given(moment=st.datetimes(min_value=datetime(2011, 9, 1), max_value=datetime(2100, 1, 1),
                           timezones=st.just(UTC)))
def test_a_moment_belongs_to_the_quarter_and_day_of_minsk_not_of_utc(moment: datetime) -> None:
    local = moment + timedelta(hours=3)  # Minsk: UTC+3 all year since autumn 2011 (tzdata)
    assert minsk_day(moment) == local.date()
    quarter = Quarter.of(moment)
    assert quarter.start <= moment < quarter.end
    assert quarter == Quarter(local.year, (local.month - 1) // 3 + 1)


@given(start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 1),
                          timezones=st.just(MINSK)),
       seconds=st.integers(1, 4 * 86400))
def test_an_availability_interval_is_shared_out_over_its_minsk_days_without_loss(
    start: datetime, seconds: int,
) -> None:
    record = {"id": str(uuid.uuid4()), "kind": "availability", "exclusion": None, "ok": True,
              "metrics": {"up": True, "checks": 1, "off_net_targets": ["ix.example"]},
              "started_at": start,
              "ended_at": start + timedelta(seconds=seconds)}
    pieces = judge(record, connection(10_000), PROFILE)
    assert math.isclose(sum(t["covered_s"] for _, t in pieces), seconds)
    days = [d for d, _ in pieces]
    assert days == [days[0] + timedelta(days=i) for i in range(len(days))]
    assert sum(t.get("results_n", 0) for _, t in pieces) == 1


RECORD = st.one_of(
    st.builds(lambda day, hour, bps, direction, ended: speed(
        "C-1", f"2026-07-{day:02d}T{hour:02d}:00:00+03:00", bps, direction, ended),
        st.integers(1, 28), st.sampled_from([12, 19, 22, 23]), st.floats(0, 2e8),
        st.sampled_from(["down", "up"]),
        st.sampled_from(["complete", "premature", "not_started"])),
    st.builds(lambda day, mean, received: latency(
        "C-1", f"2026-07-{day:02d}T13:00:00+03:00", mean, received),
        st.integers(1, 28), st.floats(0, 1000), st.integers(1, 100)),
)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=st.lists(RECORD, min_size=1, max_size=30), cut=st.integers(0, 30),
       change_on=st.integers(2, 27))
def test_rollups_kept_up_batch_by_batch_equal_rollups_rebuilt_from_the_raw_results(
    tmp_path: Path, records: list[dict], cut: int, change_on: int,
) -> None:
    store = Store.open(str(tmp_path / f"{uuid.uuid4()}.db"))
    store.upsert_connections([
        Connection("C-1", FIRST_PERIOD, "fixed", "pon", 100_000, 50_000, "R", "N", "com645"),
        Connection("C-1", date(2026, 7, change_on), "fixed", "pon", 20_000, 5_000, "R", "N",
                   "com645")])
    answers = store.ingest(records[:cut]) + store.ingest(records[cut:])
    assert {a.status for a in answers} == {"accepted"}
    assert {a.status for a in store.ingest(records)} == {"duplicate"}
    with store.engine.begin() as db:
        kept_up = rollup_rows(db)
        store.rollups.rebuild(db, None)
        rebuilt = rollup_rows(db)
    store.close()
    assert len(rebuilt) == len(kept_up)
    for ours, theirs in zip(rebuilt, kept_up, strict=True):
        for a, b in zip(ours, theirs, strict=True):
            # sums of floats added in another grouping may differ in the last bits
            assert (math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9) if isinstance(a, float)
                    else a == b), (ours, theirs)


def rollup_rows(db: object) -> list[tuple]:
    """Every row the rollups keep: daily, hourly and the evening peak's tests."""
    from sqlalchemy import select

    from netq.collector import tables

    rows = []
    for table in (tables.rollups, tables.hourly, tables.peak_speeds):
        key = [column for column in table.primary_key.columns]
        rows += [(table.name, *row) for row in db.execute(  # type: ignore[attr-defined]
            select(table).order_by(*key))]
    return rows
