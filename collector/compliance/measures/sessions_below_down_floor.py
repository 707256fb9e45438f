"""The share of download tests below the floor (com645 annex, item 21: «Доля соединений для
технологии UMTS/LTE/IMT-2020 со скоростью передачи данных менее 1 Мбит/с по направлению к
абоненту»): a complete download test is below the per-test norm `down_floor_kbps` when its
speed, at the profile's layer, is less than that."""

from decimal import Decimal

from netq.collector.compliance.measures import JudgedTest, Measure, PerTestNorm, Tally, column
from netq.messages import N_


def judge(test: JudgedTest, floor_kbps: Decimal) -> Tally:
    if test.direction != "down":
        return {}
    assert test.bits_per_second is not None
    return {"speed_down_below_floor_n": 1 if test.bits_per_second < floor_kbps * 1000 else 0}


MEASURE = Measure(
    "sessions_below_down_floor", "share", "tests", column("speed_down_below_floor_n"),
    column("speed_down_n"), ("speed_down_n", "speed_down_below_floor_n"),
    norm=PerTestNorm(
        "down_floor_kbps", "down_floor", 4, ">=", "throughput", tested=("speed_down_n",),
        kept=("speed_down_below_floor_n",), kept_counts_failures=True, judge=judge,
        label=N_("minimum speed"), outside=N_("a download under the floor")))
