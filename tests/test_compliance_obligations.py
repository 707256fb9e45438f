"""What the operator owes: fee recalculations past 36 hours, restoration in Belarusian working
hours, and outages as incidents with the beCloud priority and its resolution time."""

from __future__ import annotations

from datetime import UTC, datetime, time
from pathlib import Path

import pytest

from netq.collector.compliance import workcalendar
from netq.collector.compliance.obligations import obligations
from netq.collector.compliance.quarter import MINSK, Quarter
from netq.collector.compliance.records import import_csv
from netq.collector.store import Store
from tests.records import interval
from tests.test_compliance_quarter import registry

NINE, SIX = time(9), time(18)


def minsk(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=MINSK)


@pytest.mark.parametrize(("start", "end", "hours"), [
    ("2026-07-31 17:00", "2026-08-03 10:00", 2),  # Friday evening to Monday morning
    ("2026-07-02 08:00", "2026-07-03 20:00", 9),  # 3 July, Independence Day, is a day off
    ("2025-01-11 10:00", "2025-01-11 12:00", 2),  # a Saturday worked in place of 6 January
    ("2025-01-06 10:00", "2025-01-06 12:00", 0),  # the Monday given off for it
    ("2026-01-01 00:00", "2026-01-02 23:59", 0),  # New Year
    ("2026-08-04 12:00", "2026-08-04 11:00", 0),  # backwards is nothing
])
def test_working_hours_follow_the_belarusian_calendar(start: str, end: str,
                                                      hours: float) -> None:
    assert workcalendar.working_seconds(minsk(start), minsk(end), NINE, SIX) == hours * 3600


TICKETS = """ticket_id,connection_id,registered_at,restored_at,fault
t1,F1,2026-07-06 08:00,2026-07-07 20:00,operator
t2,F1,2026-07-06 08:00,2026-07-07 20:01,operator
t3,F2,2026-09-29 08:00,,operator
t4,F2,2026-07-06 08:00,2026-07-15 08:00,subscriber
t5,F2,2026-07-10 17:00,2026-07-14 10:00,operator
"""


@pytest.fixture
def store(db_url: str, tmp_path: Path) -> Store:
    store = Store.open(db_url)
    store.upsert_connections(registry())
    summary = import_csv(store.engine, "tickets", TICKETS.splitlines(keepends=True), "t.csv")
    assert summary.rejected == []
    return store


def owed(store: Store, now: datetime) -> dict:
    with store.engine.connect() as db:
        return obligations(db, Quarter(2026, 3), store.norms.profile("com645"), store.norms,
                           now)


def test_tickets_restored_more_than_36_hours_after_registration_are_owed_a_recalculation(
    store: Store,
) -> None:
    found = owed(store, datetime(2026, 10, 1, 12, tzinfo=UTC))
    # t1 exactly 36 h: not more than 36; t2 36 h 1 min; t3 open since 29.09 08:00 Minsk;
    # t4 the subscriber's fault; t5 Fri 17:00 to Tue 10:00 (89 h)
    assert {t["ticket_id"]: t["hours"] for t in found["fee_recalculation"]} == {
        "t2": pytest.approx(36 + 1 / 60, abs=1e-3), "t3": pytest.approx(2 * 24 + 7),
        "t5": pytest.approx(89)}


def test_restoration_is_measured_in_working_hours_for_the_24_hour_rule(store: Store) -> None:
    found = owed(store, datetime(2026, 10, 1, 12, tzinfo=UTC))
    hours = {t["ticket_id"]: t["working_hours"] for t in found["restoration_over_working_hours"]}
    # t1/t2: 6 July 9–18 and 7 July 9–18 = 18 working hours: within 24.
    # t5: Fri 17–18, Mon 9–18, Tue 9–10 = 11. t3: 29.09 9–18, 30.09 9–18, 1.10 9–15 = 24: not over
    assert hours == {}
    later = owed(store, datetime(2026, 10, 1, 13, tzinfo=UTC))  # 16:00 Minsk: 25 working hours
    assert {t["ticket_id"] for t in later["restoration_over_working_hours"]} == {"t3"}


def test_outages_become_incidents_with_the_becloud_priority(store: Store) -> None:
    store.ingest([
        # F1 and W1 sit behind node-a and go down together: a node fault, high urgency
        interval("F1", "2026-07-20T10:00:00+03:00", "2026-07-20T11:30:00+03:00", up=False),
        interval("W1", "2026-07-20T10:05:00+03:00", "2026-07-20T10:35:00+03:00", up=False),
        # F2 alone behind node-b: normal urgency
        interval("F2", "2026-07-21T10:00:00+03:00", "2026-07-21T13:00:00+03:00", up=False),
        # three minutes is not an outage
        interval("F2", "2026-07-22T10:00:00+03:00", "2026-07-22T10:03:00+03:00", up=False),
    ])
    found = {i["connection_id"]: i for i in owed(store, datetime.now(UTC))["incidents"]}
    assert set(found) == {"F1", "W1", "F2"}
    assert (found["F1"]["priority"], found["F1"]["resolution_hours"]) == (1, 1.0)
    assert found["F1"]["resolved_late"] is True  # 1.5 h against 1 h
    assert (found["W1"]["priority"], found["W1"]["resolved_late"]) == (1, False)
    assert (found["F2"]["urgency"], found["F2"]["priority"]) == ("normal", 2)
    assert found["F2"]["resolved_late"] is False  # 3 h against 4 h
