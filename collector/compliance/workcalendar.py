"""Working hours in Belarus: Mon–Fri within the working day, less public holidays and the
government's transferred days off, plus the Saturdays worked in their place.

The calendar comes from the `holidays` library (vacanza/holidays, country BY), which follows
the Council of Ministers' yearly transfer resolutions; nothing here is a hand-typed list.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import cache

import holidays

from netq.collector.compliance.quarter import MINSK


@cache
def _calendar(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("BY", years=year)


def is_working_day(day: date) -> bool:
    return bool(_calendar(day.year).is_working_day(day))


def working_seconds(start: datetime, end: datetime, opens: time, closes: time) -> float:
    """Working time between two moments, counted on Minsk's clock."""
    if end <= start:
        return 0.0
    local_start, local_end = start.astimezone(MINSK), end.astimezone(MINSK)
    total = 0.0
    day = local_start.date()
    while day <= local_end.date():
        if is_working_day(day):
            window_start = datetime.combine(day, opens, MINSK)
            window_end = datetime.combine(day, closes, MINSK)
            overlap = min(window_end, local_end) - max(window_start, local_start)
            total += max(0.0, overlap.total_seconds())
        day += timedelta(days=1)
    return total


def add_working_days(day: date, count: int) -> date:
    """The day `count` working days after `day` (the day itself not counted)."""
    while count > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            count -= 1
    return day


def working_days_before(day: date, count: int) -> date:
    """The working day `count` working days before `day`."""
    while count > 0:
        day -= timedelta(days=1)
        if is_working_day(day):
            count -= 1
    return day
