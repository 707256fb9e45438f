"""When a quarter's report is due: by the day the sources set in the month after the quarter
(com645, the Rules' п. 35: the 15th), the earliest any edition in force at the quarter's end
sets. Here, not in reports/, because the collector exports the days left for an alert."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from netq.collector.compliance.quarter import Quarter, minsk_midnight
from netq.collector.compliance.thresholds import Publication, Thresholds


def due(quarter: Quarter, publication: Publication) -> date:
    return quarter.next.first_day.replace(day=publication.day)


def days_left(quarter: Quarter, publication: Publication, today: date) -> int:
    """Days until the deadline; negative once it has passed."""
    return (due(quarter, publication) - today).days


def status(first: date | None, reports: Iterable[tuple[str, datetime]], norms: Thresholds,
           today: date) -> list[dict[str, Any]]:
    """Every ended quarter since the first measured day (`first`) that a source sets a
    deadline for: its deadline and whether a report was written (`reports`: each written
    report's quarter and moment, oldest first); `state` is published, due (deadline ahead)
    or late."""
    if first is None:
        return []
    written: dict[str, datetime] = {}
    for name, generated_at in reports:
        # a report written before its quarter ended was preliminary: it publishes nothing
        moment = generated_at.replace(tzinfo=generated_at.tzinfo or UTC)
        if moment >= minsk_midnight(Quarter.parse(name).next.first_day):
            written.setdefault(name, generated_at)
    quarter = Quarter(first.year, (first.month - 1) // 3 + 1)
    current = Quarter(today.year, (today.month - 1) // 3 + 1)
    listed = []
    while quarter < current:
        publication = norms.publication(quarter.last_day)
        if publication is not None:
            left = days_left(quarter, publication, today)
            state = "published" if str(quarter) in written else "due" if left >= 0 else "late"
            listed.append({"quarter": str(quarter), "due": due(quarter, publication).isoformat(),
                           "clause": publication.clause, "days_left": left, "state": state,
                           "published_at": written[str(quarter)].isoformat()
                           if str(quarter) in written else None})
        quarter = quarter.next
    return listed
