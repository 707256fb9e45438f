"""What was published from the store, kept in it: each compliance computation someone asked
to keep (with its manifest: the records and the rules it rests on), each report written, and
each report's publication, when and where (what `netq report status`, the deadline gauge and
its alert count). Computing never writes; these are the calls that do."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import insert

from netq.collector import queries, tables
from netq.collector.compliance import deadline
from netq.collector.compliance.quarter import Quarter, minsk_midnight
from netq.collector.store import Store


def save_compliance(store: Store, document: dict[str, Any]) -> bool:
    """Keep a computation with its manifest; False when it has none (nothing judged)."""
    manifest = document.get("manifest")
    if manifest is None:
        return False
    with store.engine.begin() as db:
        db.execute(insert(tables.compliance_runs).values(
            quarter=document["quarter"], profile=document["profile"],
            computed_at=datetime.fromisoformat(manifest["computed_at"]),
            snapshot_sha256=manifest["snapshot_sha256"],
            profile_sha256=manifest["profile_sha256"],
            code_version=manifest["code_version"], document=document))
    return True


def save_report(store: Store, document: dict[str, Any], formats: tuple[str, ...]) -> bool:
    """Note a report as written (not as published: `save_publication`). A preliminary
    report (its quarter not ended) is not noted; False then."""
    if document["preliminary"]:
        return False
    with store.engine.begin() as db:
        db.execute(insert(tables.report_runs).values(
            quarter=document["quarter"], profile=document["profile"],
            generated_at=datetime.now(UTC), formats=",".join(sorted(set(formats))),
            snapshot_sha256=document["manifest"]["snapshot_sha256"]))
    return True


def save_publication(store: Store, quarter: Quarter, profile: str | None, url: str,
                     published_at: datetime) -> list[str]:
    """Record that the quarter's written report (of `profile`, or of every profile that has
    one) is published at `url`: the profiles recorded, none when no report of the ended
    quarter was written."""
    ended = minsk_midnight(quarter.next.first_day)
    with store.engine.begin() as db:
        reports = queries.reports_to_publish(db, str(quarter), profile, ended)
        if reports:
            db.execute(insert(tables.publications), [
                {"quarter": str(quarter), "profile": name, "url": url,
                 "published_at": published_at, "recorded_at": datetime.now(UTC),
                 "report_run": run} for run, name in reports])
    return [name for _, name in reports]


def report_status(store: Store, today: date) -> list[dict[str, Any]]:
    """Every ended quarter: its deadline and whether its report was published
    (deadline.status)."""
    with store.engine.connect() as db:
        first, published, written = queries.report_history(db)
    return deadline.status(first, published, written, store.norms, today)
