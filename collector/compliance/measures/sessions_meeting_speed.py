"""The share of speed tests that reach the speed the norm asks of each (com645 annex, item 15;
STB 1962-2012 table 2, item 4): a complete test meets the per-test norm
`speed_min_share_of_tariff` when its speed, at the layer the profile judges speed at, is at
least that % of the tariff in force for its direction (compared exactly, in Decimal)."""

from decimal import Decimal

from netq.collector.compliance.limits import SpeedLimit
from netq.collector.compliance.measures import JudgedTest, Measure, NormGauge, PerTestNorm, Tally
from netq.messages import N_


def judge(test: JudgedTest, share_min_percent: Decimal) -> Tally:
    assert test.bits_per_second is not None
    assert test.tariff_kbps is not None
    meets = test.bits_per_second * 100 >= share_min_percent * test.tariff_kbps * 1000
    return {f"speed_{test.direction}_pass_n": 1 if meets else 0}


MEASURE = Measure(
    "sessions_meeting_speed", "share", "tests",
    lambda u: u["speed_down_pass_n"] + u["speed_up_pass_n"],
    lambda u: u["speed_down_n"] + u["speed_up_n"],
    ("speed_down_n", "speed_down_pass_n", "speed_up_n", "speed_up_pass_n"),
    sessions_of="throughput",
    norm=PerTestNorm(
        "speed_min_share_of_tariff", "speed", 1, ">=", "throughput",
        tested=("speed_down_n", "speed_up_n"), kept=("speed_down_pass_n", "speed_up_pass_n"),
        judge=judge, label=N_("speed"), outside=N_("outside the speed norm"),
        limit=SpeedLimit,
        gauge=NormGauge("netq_line_norm_speed_tariff_ratio", "A speed test must reach this "
                        "share of the tariff, under the line's profile.", Decimal("0.01"))),
    plain=N_("%(value)s %% of the speed tests reached the speed the norm asks of each test "
             "(the norm: %(norm)s %% of them)"))
