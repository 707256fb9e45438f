"""Quarters and days as the sources count them: in Europe/Minsk (UTC+3, no DST)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MINSK = ZoneInfo("Europe/Minsk")


def minsk_day(moment: datetime) -> date:
    return moment.astimezone(MINSK).date()


def minsk_midnight(day: date) -> datetime:
    """The start of a Minsk day, in UTC."""
    return datetime.combine(day, time(), MINSK).astimezone(UTC)


@dataclass(frozen=True)
class Period:
    """Whole Minsk days from `first_day` to `last_day`: a month of a quarter, for trends."""

    first_day: date
    last_day: date

    @property
    def start(self) -> datetime:
        return minsk_midnight(self.first_day)

    @property
    def end(self) -> datetime:
        return minsk_midnight(self.last_day + timedelta(days=1))

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        match = re.fullmatch(r"(\d{4})-?Q([1-4])", text.strip().upper())
        if not match:
            raise ValueError(f"{text!r} is not a quarter; write it as 2026Q3")
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def of(cls, moment: datetime) -> Quarter:
        day = minsk_day(moment)
        return cls(day.year, (day.month - 1) // 3 + 1)

    def __str__(self) -> str:
        return f"{self.year}Q{self.number}"

    @property
    def first_day(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def next(self) -> Quarter:
        return Quarter(self.year + self.number // 4, self.number % 4 + 1)

    @property
    def last_day(self) -> date:
        return self.next.first_day - timedelta(days=1)

    @property
    def start(self) -> datetime:
        return minsk_midnight(self.first_day)

    @property
    def end(self) -> datetime:
        return minsk_midnight(self.next.first_day)

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()

    def months(self) -> list[Period]:
        firsts = [date(self.year, 3 * self.number - 2 + i, 1) for i in range(3)]
        ends = [*firsts[1:], self.next.first_day]
        return [Period(a, b - timedelta(days=1)) for a, b in zip(firsts, ends, strict=True)]
