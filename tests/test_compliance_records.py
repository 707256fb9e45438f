"""The operator's records: imported from CSV with per-line errors, idempotent, and counted
into indicators 1–3 and beside availability (planned works)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from netq.collector.compliance.engine import compliance
from netq.collector.compliance.quarter import Quarter
from netq.collector.store import Store
from tests.records import interval
from tests.test_compliance_quarter import norms_with_min_sample, registry

pytestmark = pytest.mark.slow  # the netq command for each file

Q3 = Quarter(2026, 3)

CALLS = """call_id,offered_at,answered_at
c1,2026-07-01 09:00:00,2026-07-01 09:03:00
c2,2026-07-01 09:00:00,2026-07-01 09:03:01
c3,2026-07-01 10:00:00,
c4,2026-09-30 23:59:00,2026-09-30 23:59:30
c5,2026-10-01 00:00:00,2026-10-01 00:00:10
"""
# c1 exactly 180 s: in time; c2 181 s: late; c3 abandoned; c4 in time (still Q3 in Minsk);
# c5 is Q4. Indicator 2: 2 of 4.

TICKETS = """ticket_id,connection_id,registered_at,restored_at,fault
t1,F1,2026-07-02 08:00,2026-07-03 20:00,operator
t2,F1,2026-07-02 08:00,2026-07-03 20:01,operator
t3,F2,2026-07-05 08:00,,operator
t4,F2,2026-07-05 08:00,2026-07-15 08:00,subscriber
"""
# t1 exactly 36 h: in time; t2 36 h 1 min: late; t3 not restored; t4 not the operator's.
# Indicator 3: 1 of 3; one ticket counted apart.

CONTRACTS = """\
contract_id,connection_id,registered_on,promised_days,activated_on,customer_delay_days
k1,F1,2026-06-25,10,2026-07-05,0
k2,F2,2026-07-01,10,2026-07-12,0
k3,,2026-07-01,10,2026-07-20,9
k4,,2026-07-01,10,,0
"""
# Each contract counts in the quarter of its deadline (registration + promised days; no clause
# adds the customer's delay). k1: due 05.07, activated that day: on time; k2: due 11.07,
# activated 12.07: late; k3: due 11.07, activated 20.07: late, and counted as
# customer-delayed (with the 9 days added, the other reading, it would be on time); k4: due
# 11.07, still pending: late. Indicator 1: 1 of 4 (2 of 4 under the other reading).


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


def netq(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "netq", *args], capture_output=True, text=True,
                          timeout=120)


@pytest.fixture
def records_store(db_url: str, tmp_path: Path) -> Store:
    store = Store.open(db_url, norms_with_min_sample(tmp_path, 2))
    store.upsert_connections(registry())
    for kind, text in (("calls", CALLS), ("tickets", TICKETS), ("contracts", CONTRACTS)):
        result = netq("records", "import", kind, str(write(tmp_path, f"{kind}.csv", text)),
                      "--db", db_url)
        assert result.returncode == 0, result.stderr
    return store


def customer(store: Store) -> dict[str, Any]:
    document = compliance(store, Q3)
    return {e["id"]: (e["value"], e["n"]) for e in document["indicators"]
            if e["service"] == "customer"} | {"apart": document["exclusions"]}


def test_indicators_1_to_3_are_the_hand_counted_shares(records_store: Store) -> None:
    found = customer(records_store)
    assert found["com645.1"] == (pytest.approx(25.0), 4)
    assert found["com645.2"] == (pytest.approx(50.0), 4)
    assert found["com645.3"] == (pytest.approx(100 / 3), 3)
    assert found["apart"]["contracts_customer_delayed"] == 1
    assert found["apart"]["contracts_pending_past_deadline"] == 1
    assert found["apart"]["tickets_third_party_fault"] == 0
    document = compliance(records_store, Q3)
    reading = next(r for r in document["sensitivity"] if r["reading"] == "customer_delay")
    assert [(i["id"], i["adopted"]["value"], i["alternative"]["value"])
            for i in reading["indicators"]] == [("com645.1", 25.0, 50.0)]
    # k3 and k4 have neither a line nor a profile: the operator's whole, said
    assert any("neither a line nor a profile" in w for w in document["warnings"])


def test_a_file_imported_twice_is_stored_once(records_store: Store, db_url: str,
                                              tmp_path: Path) -> None:
    result = netq("records", "import", "calls", str(tmp_path / "calls.csv"), "--db", db_url)
    assert "0 inserted, 0 updated, 5 unchanged, 0 rejected" in result.stdout
    assert customer(records_store)["com645.2"] == (pytest.approx(50.0), 4)


@pytest.mark.parametrize(("kind", "text", "reason"), [
    ("calls", "call_id,offered_at\nx,yesterday\n", "line 2: offered_at"),
    ("calls", "call_id,offered_at,answered_at\nx,2026-07-01 09:00,2026-07-01 08:59\n",
     "line 2: answered_at is before offered_at"),
    ("tickets", "ticket_id,connection_id,registered_at,restored_at,fault\n"
                "x,F1,2026-07-01 09:00,2026-07-01 08:00,operator\n",
     "line 2: restored_at is before registered_at"),
    ("tickets", "ticket_id,connection_id,registered_at,restored_at,fault\n"
                "x,NOPE,2026-07-01 09:00,,operator\n",
     "line 2: connection_id: NOPE is not in the connections registry"),
    ("tickets", "ticket_id,connection_id,registered_at,restored_at,fault\n"
                "x,F1,2026-07-01 09:00,,weather\n", "line 2: fault"),
    ("contracts", "contract_id,registered_on,promised_days,activated_on\n"
                  "x,2026-07-10,10,2026-07-01\n", "line 2: activated_on is before registered_on"),
    ("contracts", "contract_id,registered_on,promised_days\nx,2026-07-10,-1\n",
     "line 2: promised_days"),
    ("planned-works", "work_id,announced_at,starts_at,ends_at,nodes\n"
                      "x,2026-07-01 09:00,2026-07-02 09:00,2026-07-02 08:00,node-a\n",
     "line 2: ends_at is not after starts_at"),
    ("calls", "call,offered\nx,2026-07-01 09:00\n", "line 1: the columns must be"),
    ("calls", "call_id,offered_at,profile\nx,2026-07-01 09:00,byfly\n",
     "line 2: profile: byfly is not a profile of"),
    ("suspensions", "suspension_id,connection_id,starts_at,reason\n"
                    "x,F1,2026-07-01 09:00,holiday\n", "line 2: reason: Input should be"),
    ("suspensions", "suspension_id,connection_id,starts_at,ends_at,reason\n"
                    "x,F1,2026-07-01 09:00,2026-07-01 09:00,non_payment\n",
     "line 2: ends_at is not after starts_at"),
])
def test_a_bad_row_is_named_by_line_and_reason_and_nothing_of_it_is_stored(
    db_url: str, tmp_path: Path, kind: str, text: str, reason: str
) -> None:
    store = Store.open(db_url)
    store.upsert_connections(registry())
    path = write(tmp_path, "bad.csv", text)
    result = netq("records", "import", kind, str(path), "--db", db_url)
    assert result.returncode == 1
    assert reason in result.stderr
    assert "x" not in stored_ids(store, kind)


def test_good_rows_beside_a_bad_one_are_stored(db_url: str, tmp_path: Path) -> None:
    store = Store.open(db_url)
    path = write(tmp_path, "calls.csv", "call_id,offered_at,answered_at\n"
                 "a,2026-07-01 09:00,2026-07-01 09:01\nx,not a time,\nb,2026-07-01 09:00,\n")
    result = netq("records", "import", "calls", str(path), "--db", db_url)
    assert (result.returncode, "2 inserted" in result.stdout) == (1, True)
    assert "line 3: offered_at" in result.stderr
    assert stored_ids(store, "calls") == {"a", "b"}


def stored_ids(store: Store, kind: str) -> set[str]:
    from sqlalchemy import select

    from netq.collector.records import KINDS

    spec = KINDS[kind]
    with store.engine.connect() as db:
        return set(db.execute(select(spec.table.c[spec.key])).scalars())


def test_planned_works_stay_in_availability_with_the_other_reading_beside(
    db_url: str, tmp_path: Path,
) -> None:
    """com645 annex, item 12 gives planned works no exclusion: their downtime stays in the
    figure, shown beside it; the reading that takes out works announced in time (rules,
    item 28: «не позднее чем за сутки») is computed beside, never as the verdict."""
    store = Store.open(db_url, norms_with_min_sample(tmp_path, 2))
    store.upsert_connections(registry())
    store.ingest([
        interval("F1", "2026-07-01T00:00:00+03:00", "2026-07-01T02:00:00+03:00", up=True),
        interval("F1", "2026-07-01T02:00:00+03:00", "2026-07-01T03:00:00+03:00", up=False),
        interval("F1", "2026-07-01T03:00:00+03:00", "2026-07-01T10:00:00+03:00", up=True),
        interval("F1", "2026-07-01T10:00:00+03:00", "2026-07-01T10:30:00+03:00", up=False),
        interval("F1", "2026-07-01T10:30:00+03:00", "2026-07-01T12:00:00+03:00", up=True),
    ])
    works = write(tmp_path, "works.csv", "work_id,announced_at,starts_at,ends_at,nodes\n"
                  # announced two days ahead
                  "w1,2026-06-29 02:00,2026-07-01 02:00,2026-07-01 03:00,node-a;node-x\n"
                  # announced an hour ahead: late
                  "w2,2026-07-01 09:00,2026-07-01 10:00,2026-07-01 10:30,node-a\n")
    assert netq("records", "import", "planned-works", str(works), "--db", db_url).returncode == 0
    document = compliance(store, Q3)
    entry = next(e for e in document["indicators"] if e["id"] == "com645.12"
                 and e["technology"] is None)
    assert entry["value"] == pytest.approx(100 * (12 - 1.5) / 12)
    assert (entry["planned_works_down_minutes"],
            entry["planned_works_late_notice_down_minutes"]) == (90, 30)
    reading = next(r for r in document["sensitivity"] if r["reading"] == "planned_works")
    assert reading["indicators"][0]["alternative"]["value"] == pytest.approx(
        100 * (11 - 0.5) / 11)  # w1's hour out of both the time and the downtime
