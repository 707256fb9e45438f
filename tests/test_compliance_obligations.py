"""What the operator owes, by each connection's profile: fee recalculations past 36 hours,
restoration in Belarusian working hours, beCloud's support levels, planned works announced
late, and the outages the probes saw."""

from __future__ import annotations

from datetime import UTC, datetime, time
from pathlib import Path

import pytest

from netq.collector.compliance import workcalendar
from netq.collector.compliance.engine import compliance
from netq.collector.compliance.obligations import obligations
from netq.collector.compliance.quarter import MINSK, Quarter
from netq.collector.records import import_csv
from netq.collector.registry import FIRST_PERIOD, Connection
from netq.collector.store import Store
from tests.records import interval

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


# Each connection under a different profile, so every rule is seen applied where its source
# applies it and nowhere else.
def obligations_registry() -> list[Connection]:
    def line(connection_id: str, service: str, technology: str, node: str,
             profile: str) -> Connection:
        return Connection(connection_id, FIRST_PERIOD, service, technology, 100_000, 50_000,
                          "Minsk", node, profile)
    return [line("F1", "fixed", "pon", "node-a", "com645"),
            line("F2", "fixed", "adsl", "node-b", "nces-vks"),
            line("W1", "wireless", "lte", "node-a", "becloud2021"),
            line("B1", "fixed", "adsl", "node-b", "byfly2024"),
            line("C1", "fixed", "docsis", "node-c", "cosmos2025")]


TICKETS = """ticket_id,connection_id,registered_at,restored_at,fault,acknowledged_at,impact,urgency
t1,F1,2026-07-06 08:00,2026-07-07 20:00,operator,,,
t2,F1,2026-07-06 08:00,2026-07-07 20:01,third_party,,,
t3,F2,2026-09-29 08:00,,operator,,,
t4,F1,2026-07-06 08:00,2026-07-15 08:00,subscriber,,,
t5,F2,2026-07-10 17:00,2026-07-14 10:00,operator,,,
t6,B1,2026-07-06 08:00,2026-07-08 08:00,operator,,fully_down,
t7,B1,2026-07-06 08:00,2026-07-08 08:00,operator,,degradation,
t8,B1,2026-07-06 08:00,2026-07-08 08:00,operator,,,
t9,W1,2026-07-20 10:00,2026-07-20 11:30,operator,2026-07-20 10:20,fully_down,high
t10,W1,2026-07-21 10:00,2026-07-21 13:00,operator,2026-07-21 10:30,fully_down,
t11,W1,2026-07-22 10:00,2026-07-22 11:00,operator,,,
t12,C1,2026-07-06 08:00,2026-07-08 08:00,third_party,,,
"""
# announced (Minsk), starts, ends, nodes
WORKS = """work_id,announced_at,starts_at,ends_at,nodes
w1,2026-07-10 10:00,2026-07-13 10:00,2026-07-13 12:00,node-b
w2,2026-07-11 10:00,2026-07-13 12:00,2026-07-13 14:00,node-b
w3,2026-07-20 10:00,2026-07-21 09:00,2026-07-21 10:00,node-a
"""


@pytest.fixture
def store(db_url: str, tmp_path: Path) -> Store:
    store = Store.open(db_url)
    store.upsert_connections(obligations_registry())
    for kind, text in (("tickets", TICKETS), ("planned-works", WORKS)):
        summary = import_csv(store, kind, text.splitlines(keepends=True), f"{kind}.csv")
        assert summary.rejected == []
    return store


def owed(store: Store, now: datetime) -> dict:
    with store.engine.connect() as db:
        return obligations(db, Quarter(2026, 3), store.norms, now)


def test_every_fault_not_the_subscribers_past_36_hours_is_owed_a_recalculation(
    store: Store,
) -> None:
    """com645 rules, item 28; cosmos2025: «неисправности сети электросвязи не по вине
    абонента более 36 часов с момента регистрации заявки». byfly2024 4.1.22 promises it only
    for «полного отсутствия доступа»; the Rules' item 28 binds byfly all the same, so its
    degraded and unrecorded faults are owed too."""
    found = owed(store, datetime(2026, 10, 1, 12, tzinfo=UTC))
    # t1 exactly 36 h: not more; t2 36 h 1 min, a third party's fault: owed; t3 open since
    # 29.09 08:00 Minsk (55 h by 1.10 15:00); t4 the subscriber's own fault; t5 Fri 17:00 to
    # Tue 10:00 (89 h); t6, t7, t8 byfly, 48 h whatever the impact; t12 Cosmos, a third
    # party's fault, 48 h.
    assert {t["ticket_id"]: t["fee"]["hours_over"] for t in found["fee_recalculation"]} == {
        "t2": pytest.approx(1 / 60, abs=1e-3), "t3": pytest.approx(19), "t5": pytest.approx(53),
        "t6": pytest.approx(12), "t7": pytest.approx(12), "t8": pytest.approx(12),
        "t12": pytest.approx(12)}
    byfly = next(t for t in found["fee_recalculation"] if t["ticket_id"] == "t7")
    assert byfly["fee"]["clause"].startswith("Правила, п. 28")


def test_restoration_in_working_hours_only_where_the_nces_order_applies(store: Store) -> None:
    """nces-vks 5.3: within 24 working hours of the customer's report, for NCES contracts."""
    found = owed(store, datetime(2026, 10, 1, 12, tzinfo=UTC))
    # t5: Fri 17–18, Mon 9–18, Tue 9–10 = 11; t3: 29.09 9–18, 30.09 9–18, 1.10 9–15 = 24: not
    # over. F1's tickets are com645's: that rule is not theirs.
    assert found["restoration_over_working_hours"] == []
    later = owed(store, datetime(2026, 10, 1, 13, tzinfo=UTC))  # 16:00 Minsk: 25 working hours
    assert [t["ticket_id"] for t in later["restoration_over_working_hours"]] == ["t3"]


def test_becloud_levels_judge_the_registered_request_on_becloud_contracts_only(
    store: Store,
) -> None:
    """becloud2021 4.1–4.2: priority by impact and urgency; reaction and resolution from the
    registered request."""
    levels = {t["ticket_id"]: t["support_level"] for t in owed(
        store, datetime(2026, 10, 1, tzinfo=UTC))["support_levels"]}
    assert set(levels) == {"t9", "t10", "t11"}  # W1's: the only becloud2021 connection
    assert (levels["t9"]["priority"], levels["t9"]["reaction_late"],
            levels["t9"]["resolution_late"]) == (1, True, True)  # 20 min > 10; 1.5 h > 1
    assert (levels["t10"]["priority"], levels["t10"]["urgency_source"]) == (
        2, "not recorded: normal assumed")
    assert (levels["t10"]["reaction_late"], levels["t10"]["resolution_late"]) == (False, False)
    assert (levels["t11"]["judged"], levels["t11"]["priority"]) == (False, None)


def test_planned_works_announced_late_are_listed_per_profile_rule(store: Store) -> None:
    """com645 rules, item 28: «не позднее чем за сутки»; nces-vks 5.2: «не позднее 1 (одного)
    рабочего дня до начала»."""
    found = owed(store, datetime(2026, 10, 1, tzinfo=UTC))["planned_works_short_notice"]
    # w1: Fri for Mon, both rules met. w2: announced on a Saturday for Monday, 50 h ahead:
    # enough for a day, not one working day ahead (NCES's F2 behind node-b; byfly's B1 there
    # too is fine). w3: 23 h ahead on node-a: short for com645's F1 and becloud's W1.
    assert sorted((w["work_id"], w["profile"]) for w in found) == [
        ("w2", "nces-vks"), ("w3", "becloud2021"), ("w3", "com645")]


def test_a_planned_work_stays_in_the_availability_figure_and_a_late_one_is_flagged(
    store: Store,
) -> None:
    """com645 annex, item 12 gives planned works no exclusion; rules, item 28: «не позднее
    чем за сутки»: w3, announced 23 h ahead, is flagged."""
    store.ingest([
        interval("F1", "2026-07-21T08:00:00+03:00", "2026-07-21T09:00:00+03:00", up=True),
        interval("F1", "2026-07-21T09:00:00+03:00", "2026-07-21T10:00:00+03:00", up=False),
        interval("F1", "2026-07-21T10:00:00+03:00", "2026-07-21T12:00:00+03:00", up=True),
    ])
    document = compliance(store, Quarter(2026, 3), "com645")
    entry = next(e for e in document["indicators"] if e["id"] == "com645.12")
    assert entry["value"] == pytest.approx(75.0)  # 3 of 4 hours: w3's hour is down time
    assert (entry["planned_works_down_minutes"],
            entry["planned_works_late_notice_down_minutes"]) == (60, 60)


def test_outages_the_probes_saw_are_listed_with_the_tickets_that_cover_them(
    store: Store,
) -> None:
    store.ingest([
        interval("W1", "2026-07-20T09:50:00+03:00", "2026-07-20T11:30:00+03:00", up=False),
        interval("F2", "2026-07-22T10:00:00+03:00", "2026-07-22T10:03:00+03:00", up=False),
    ])
    found = owed(store, datetime(2026, 10, 1, tzinfo=UTC))["outages"]
    assert [(o["connection_id"], o["ticket_ids"]) for o in found] == [("W1", ["t9"])]
    assert "priority" not in found[0]  # timed from the registered request, never from this
