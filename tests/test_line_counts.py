"""Lines counted, not tests: the hand-built quarter of test_compliance_quarter.py, whose
records are listed there, with two more lines — P1, tested in the evening peak, and N1, in the
registry but never measured — worked out by hand below."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from netq.collector.compliance.report_data import details
from netq.collector.registry import FIRST_PERIOD, Connection
from netq.collector.store import Store
from tests.records import speed
from tests.test_compliance_quarter import Q3, quarter_store  # noqa: F401  (a fixture)

# P1 (PON, 100 000 kbit/s): ten download tests from 19:00 to 22:00 Minsk, 10 %, 20 %, … 100 %
# of the tariff, and two outside the peak at 100 % (at noon, and at 23:00: the peak ends before
# it). Its evening peak: mean 55 %; the 20th percentile by the nearest rank, ceil(0.2 × 10) =
# the 2nd smallest: 20 %. Whole day: (550 + 200) / 12 = 62.5 %.
PEAK = [speed("P1", f"2026-07-{day:02d}T{19 + day % 4}:00:00+03:00", day * 10_000_000)
        for day in range(1, 11)]  # 19:00 to 22:00
NOON = [speed("P1", "2026-07-11T12:00:00+03:00", 100_000_000),
        speed("P1", "2026-07-12T23:00:00+03:00", 100_000_000)]


@pytest.fixture
def shown(quarter_store: Store) -> dict[str, Any]:  # noqa: F811
    quarter_store.upsert_connections([
        Connection("P1", FIRST_PERIOD, "fixed", "pon", 100_000, 50_000, "Gomel", "node-c",
                   "com645"),
        Connection("N1", FIRST_PERIOD, "fixed", "ethernet", 100_000, 100_000, "Gomel",
                   "node-c", "com645")])
    answers = quarter_store.ingest([*PEAK, *NOON])
    assert {a.status for a in answers} == {"accepted"}
    return details(quarter_store, Q3, today=date(2026, 10, 2))


def test_lines_outside_each_norm_by_region(shown: dict[str, Any]) -> None:
    """Minsk: F1 (speed 69.999999 %, delay 400.001 ms, 2 % lost) and W1 (450 ms; LTE: 0.9
    Mbit/s under the floor; wireless lines have no per-session loss norm, so loss judged only
    F1). Brest: F2 (50 % up) fails speed; W2 (Wi-Fi, one speed test, no norm) nothing.
    Gomel: P1's tests under 70 % fail speed; N1 was never measured."""
    regions = {r["group"]: r for r in shown["lines_by_region"]}
    assert {name: (r["lines"], r["failing"]) for name, r in regions.items()} == {
        "Brest": (2, 1), "Minsk": (2, 2), "Gomel": (1, 1)}
    minsk = regions["Minsk"]
    assert minsk["judged"] == {"speed": 1, "delay": 2, "loss": 1, "down_floor": 1}
    assert minsk["failed"] == {"speed": 1, "delay": 2, "loss": 1, "down_floor": 1}
    brest = regions["Brest"]
    assert brest["failed"] == {"speed": 1, "delay": 0, "loss": 0, "down_floor": 0}
    # F1's fastest test 75 000 < 100 000 and F2's 8 000 < 10 000: both below the contract
    assert (minsk["below_contract"], brest["below_contract"]) == (1, 1)
    # mean download, % of the tariff: F1 (75 + 70 + 69.999999 + 75 + 50) / 5 < 80; F2 80
    assert (minsk["below_tariff_share"], minsk["with_speed"]) == ({"80": 1, "95": 1}, 1)
    assert (brest["below_tariff_share"], brest["with_speed"]) == ({"80": 0, "95": 1}, 1)
    [whole] = shown["lines_total"]
    assert (whole["lines"], whole["failing"]) == (5, 4)
    assert [n["group"] for n in shown["worst_nodes"]] == ["node-a", "node-c", "node-b"]


def test_each_plan_below_80_and_95_percent_and_its_consistent_speed(
        shown: dict[str, Any]) -> None:
    plans = {(p["technology"], p["tariff_kbps"]): p for p in shown["plans"]}
    p1 = plans[("pon", 100_000)]  # F1 until 15 August, and P1
    assert p1["lines"] == 2
    # F1's first period: (75 + 70 + 69.999999) / 3 = 71.67 %; P1 62.5 %: both below 80 %
    assert p1["below_tariff_share"] == {"80": 2, "95": 2}
    assert p1["peak_tests"] == 10  # F1's tests were at 10:00
    assert p1["peak_mean_share"] == pytest.approx(55.0)
    # only P1 has 5 peak tests: the plan's consistent speed is its own 20th percentile
    assert (p1["consistent_lines"], p1["consistent_share"]) == (1, pytest.approx(20.0))
    assert plans[("adsl", 10_000)]["consistent_share"] is None  # F2: no test in the peak
    pon = next(t for t in shown["day_and_peak"] if t["technology"] == "pon")
    assert pon["speed"]["peak"] == pytest.approx(55.0)
    assert pon["speed"]["peak_tests"] == 10


def test_the_panel_against_the_registry(shown: dict[str, Any]) -> None:
    """Six lines in the registry, five measured: N1 (Ethernet, Gomel) never was. Ethernet is
    1/6 of the registry and 0 of the measured: under-represented; Gomel 2/6 and 1/5 (20 %
    against 33 %, more than half of it): not."""
    technologies = {g["group"]: g for g in shown["panel"]["technology"]}
    assert (technologies["ethernet"]["registered"], technologies["ethernet"]["measured"]) == (
        1, 0)
    assert technologies["ethernet"]["under_represented"] is True
    assert technologies["pon"]["measured"] == 2
    assert technologies["pon"]["under_represented"] is False
    gomel = next(g for g in shown["panel"]["region"] if g["group"] == "Gomel")
    assert (gomel["registered"], gomel["measured"], gomel["under_represented"]) == (2, 1, False)
    # P1: 12 speed tests over the quarter's 92 days
    assert next(g for g in shown["panel"]["region"] if g["group"] == "Gomel")[
        "speed_per_day"] == pytest.approx(12 / 92)
