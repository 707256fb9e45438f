"""When a periodic test runs: a random moment of each period, or a day's moments with a stated
share in the evening peak.

Without a peak share, a test runs once per period of `every` seconds at a random moment of
the period, so a fleet does not hit a server in step and the samples do not lock onto a
daily pattern. With `peak_share`, a Minsk day's runs (86 400 / `every`, the fraction drawn)
are split between the evening peak, 19:00–23:00 Minsk, and the rest of the day in that
share, and each part is spread by stratified sampling: its hours cut into as many equal
strata as it has runs, one uniformly random moment in each. Every line draws its own
moments, and the day's count in each part is exact up to one run.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from netq.model import EVENING_PEAK

MINSK = ZoneInfo("Europe/Minsk")
PEAK = (time(EVENING_PEAK[0]), time(EVENING_PEAK[1]))
DAY_S = 86_400.0


def in_peak(moment: datetime) -> bool:
    local = moment.astimezone(MINSK).time()
    return PEAK[0] <= local < PEAK[1]


def _drawn(expected: float, rng: random.Random) -> int:
    """`expected` as a whole number: its fraction decides, at random, one more."""
    whole = math.floor(expected)
    return whole + (1 if rng.random() < expected - whole else 0)


def day_moments(day: date, every: float, peak_share: float,
                rng: random.Random) -> list[datetime]:
    """The moments (aware, UTC offset of Minsk) of a Minsk day's runs, in order."""
    start = datetime.combine(day, time(), MINSK)
    peak_from = datetime.combine(day, PEAK[0], MINSK)
    peak_s = (datetime.combine(day, PEAK[1], MINSK) - peak_from).total_seconds()
    runs = _drawn(DAY_S / every, rng)
    peak_runs = _drawn(runs * peak_share, rng) if runs else 0
    peak_runs = min(peak_runs, runs)
    moments = [peak_from + timedelta(seconds=s)
               for s in _strata(peak_s, peak_runs, rng)]
    off_s = DAY_S - peak_s
    before_peak = (peak_from - start).total_seconds()
    for s in _strata(off_s, runs - peak_runs, rng):  # the off-peak hours as one line
        moments.append(start + timedelta(seconds=s if s < before_peak else s + peak_s))
    return sorted(moments)


def _strata(length_s: float, n: int, rng: random.Random) -> list[float]:
    if n <= 0:
        return []
    width = length_s / n
    return [i * width + rng.uniform(0, width) for i in range(n)]


def peak_moments(after: datetime, every: float, peak_share: float,
                 rng: random.Random) -> Iterator[datetime]:
    """Every run from `after` on, day after day."""
    day = after.astimezone(MINSK).date()
    while True:
        for moment in day_moments(day, every, peak_share, rng):
            if moment > after:
                yield moment
        day += timedelta(days=1)
