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


def status(first: date | None, published: Iterable[tuple[str, datetime, str]],
           written: Iterable[tuple[str, datetime]], norms: Thresholds,
           today: date) -> list[dict[str, Any]]:
    """Every ended quarter since the first measured day (`first`) that a source sets a
    deadline for: its deadline, when and where its report was published (`published`: each
    recorded publication's quarter, moment and address, oldest first) and when one was last
    written (`written`); `state` is published, due (deadline ahead) or late. Only a
    publication counts: a report written and never published leaves its quarter due or late."""
    went_up: dict[str, tuple[datetime, str]] = {}
    for name, moment, url in published:
        if _after_its_quarter(name, moment):  # a preliminary report publishes nothing
            went_up.setdefault(name, (moment, url))
    last_written = {name: moment for name, moment in written if _after_its_quarter(name, moment)}
    # from the first measured quarter, or an earlier one whose report was written: a
    # quarter reported on is listed even when its measurements are no longer stored
    starts = [Quarter(first.year, (first.month - 1) // 3 + 1)] if first is not None else []
    starts += [Quarter.parse(name) for name in [*went_up, *last_written]]
    if not starts:
        return []
    quarter = min(starts)
    current = Quarter(today.year, (today.month - 1) // 3 + 1)
    listed = []
    while quarter < current:
        publication = norms.publication(quarter.last_day)
        if publication is not None:
            left = days_left(quarter, publication, today)
            up = went_up.get(str(quarter))
            state = "published" if up else "due" if left >= 0 else "late"
            report = last_written.get(str(quarter))
            listed.append({"quarter": str(quarter), "due": due(quarter, publication).isoformat(),
                           "clause": publication.clause, "days_left": left, "state": state,
                           "published_at": up[0].isoformat() if up else None,
                           "url": (up[1] or None) if up else None,
                           "written_at": report.isoformat() if report else None})
        quarter = quarter.next
    return listed


def _after_its_quarter(name: str, moment: datetime) -> bool:
    return moment.replace(tzinfo=moment.tzinfo or UTC) >= minsk_midnight(
        Quarter.parse(name).next.first_day)
