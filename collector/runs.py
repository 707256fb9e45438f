"""What was published from the store, kept in it: each compliance computation someone asked
to keep (with its manifest: the records and the rules it rests on), and each report written
(so that `netq report status` knows a quarter as published). Computing never writes; these
are the calls that do."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import insert

from netq.collector import queries, tables
from netq.collector.compliance import deadline
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
    """Note a report as written: its quarter counts as published. A preliminary report (its
    quarter not ended) is not noted; False then."""
    if document["preliminary"]:
        return False
    with store.engine.begin() as db:
        db.execute(insert(tables.report_runs).values(
            quarter=document["quarter"], profile=document["profile"],
            generated_at=datetime.now(UTC), formats=",".join(sorted(set(formats))),
            snapshot_sha256=document["manifest"]["snapshot_sha256"]))
    return True


def report_status(store: Store, today: date) -> list[dict[str, Any]]:
    """Every ended quarter: its deadline and whether its report was written (deadline.status)."""
    with store.engine.connect() as db:
        first, reports = queries.reports_written(db)
    return deadline.status(first, reports, store.norms, today)
