"""The quarter's figures from units in memory: the compliance core takes plain values (summed
rollups, outages, suspensions, planned works) from the store's queries, so its arithmetic is
tested here with no database, on figures worked out by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from netq.collector.compliance import indicators, thresholds
from netq.collector.compliance.availability import Span, Suspension, Work
from netq.collector.compliance.figures import Unit
from netq.collector.compliance.measures import MEASURES
from netq.collector.registry import FIRST_PERIOD, Connection
from tests.test_measures import OWN_RULES

DAY_START = datetime(2026, 7, 1, 21, 0, tzinfo=UTC)  # 02.07 00:00 Minsk
DAY = timedelta(days=1)


def unit(line: str, sums: dict[str, float], technology: str = "pon") -> Unit:
    connection = Connection(line, FIRST_PERIOD, "fixed", technology, 100_000, 50_000, "Minsk",
                            "node-a", "isp-jitter")
    return Unit(connection, DAY_START, DAY_START + DAY, sums)


@pytest.fixture(scope="module")
def own_rules(tmp_path_factory: pytest.TempPathFactory) -> thresholds.Profile:
    path: Path = tmp_path_factory.mktemp("norms") / "thresholds.yaml"
    path.write_text(thresholds.default_path().read_text("utf-8").replace(
        "min_sample: 30", "min_sample: 1") + OWN_RULES, "utf-8")
    return thresholds.load(path).profile("isp-jitter")


def test_a_share_pools_the_sessions_and_takes_its_interval_from_the_lines(
    own_rules: thresholds.Profile,
) -> None:
    """F1: 1 of 3 sessions within the jitter norm, F2: 1 of 1: pooled 2 of 4 = 50 %, n 4
    sessions on 2 lines; per subscriber it would be (33.3 + 100) / 2."""
    units = [unit("F1", {"latency_n": 3, "jitter_pass_n": 1}),
             unit("F2", {"latency_n": 1, "jitter_pass_n": 1})]
    entry = next(e for e in indicators.compute(units, own_rules) if e["item"] == "7.1")
    assert (entry["value"], entry["n"], entry["connections"]) == (50.0, 4, 2)
    assert entry["ci95"] is not None
    assert entry["ci95"][0] < 50.0 < entry["ci95"][1]
    per_subscriber = MEASURES["sessions_meeting_jitter"].figure(units, "per_subscriber")
    assert per_subscriber.value == pytest.approx((100 / 3 + 100) / 2)


def test_availability_takes_out_a_lawful_suspension_and_keeps_planned_works_in(
    own_rules: thresholds.Profile,
) -> None:
    """A day observed (86 400 s); a 1 h outage 10:00–11:00; a suspension for non-payment
    (com645 names its clause) 10:30–12:30; planned works 08:00–09:00 announced in time with
    a 30 min outage inside. Suspended: 2 h observed and 30 min down out of the figure; the
    works' outage stays in, and its other reading is kept beside."""
    at = DAY_START + timedelta(hours=10)
    down: dict[str, list[Span]] = {"F1": [(at, at + timedelta(hours=1)),
                                          (at - timedelta(hours=2), at - timedelta(hours=1.5))]}
    held = {"F1": [Suspension("s1", "F1", at + timedelta(minutes=30),
                              at + timedelta(hours=2, minutes=30), "non_payment")]}
    works = [Work("w1", DAY_START - DAY, at - timedelta(hours=2), at - timedelta(hours=1),
                  frozenset({"node-a"}), in_time=True)]
    line = unit("F1", {"covered_s": 86_400})

    def covered(connection_id: str, windows: list[Span]) -> float:
        return sum((b - a).total_seconds() for a, b in windows)  # observed all day

    indicators.settle_availability([line], down, held, set(own_rules.suspensions), works,
                                   covered)
    assert (line.down_s, line.excluded_down_s, line.excluded_covered_s) == (5_400, 1_800, 7_200)
    assert (line.planned_down_s, line.planned_in_time_down_s) == (1_800, 1_800)
    figure = MEASURES["availability"].figure([line])
    assert figure.value == pytest.approx(100 * (79_200 - 3_600) / 79_200)
    other = MEASURES["availability"].figure([line.planned_works_excluded()])
    assert other.value == pytest.approx(100 * (75_600 - 1_800) / 75_600)


def test_a_suspension_on_a_ground_the_profile_names_no_clause_for_stays_in(
    own_rules: thresholds.Profile,
) -> None:
    """com645 gives no ground for a subscriber's own request: its time stays in item 12."""
    at = DAY_START + timedelta(hours=10)
    held = {"F1": [Suspension("s1", "F1", at, at + timedelta(hours=1), "subscriber_request")]}
    line = unit("F1", {"covered_s": 86_400})
    indicators.settle_availability([line], {}, held, set(own_rules.suspensions), [],
                                   lambda c, w: 0.0)
    assert (line.suspended_without_clause, line.excluded_covered_s) == (1, 0.0)
