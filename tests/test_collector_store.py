"""The collector's store on SQLite and on PostgreSQL: every accepted record kept exactly
once, every bad one refused with its field named and nothing of it kept."""

from __future__ import annotations

import copy
import subprocess
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select, text

from netq.collector import tables
from netq.collector.store import Store
from tests.pg import create_database
from tests.records import latency_record, registry_row

NOW = datetime(2026, 8, 15, 12, 0, tzinfo=UTC)


def test_a_batch_is_accepted_then_a_resend_is_all_duplicates(store: Store) -> None:
    batch = [latency_record() for _ in range(5)]
    assert [a.status for a in store.ingest(batch, now=NOW)] == ["accepted"] * 5
    assert [a.status for a in store.ingest(batch, now=NOW)] == ["duplicate"] * 5
    assert store.count_results() == 5


def test_the_same_record_twice_in_one_batch_is_kept_once(store: Store) -> None:
    record = latency_record()
    answers = store.ingest([record, copy.deepcopy(record)], now=NOW)
    assert [a.status for a in answers] == ["accepted", "duplicate"]
    assert store.count_results() == 1


BAD = [
    ("not an object", ["record: expected a JSON object"]),
    ({"schema": "netq.result/1"}, ["record: 'id' is a required property"]),
    (latency_record(schema="netq.result/2"), ["schema: 'netq.result/1' was expected"]),
    (latency_record(ok="yes"), ["ok: 'yes' is not of type 'boolean'"]),
    (latency_record(metrics__rtt_ms__min=-1.0), ["metrics.rtt_ms"]),
    (latency_record(metrics__loss_ratio=1.5), ["metrics.loss_ratio"]),
    (latency_record(metrics__received=101), ["metrics.received: 101 exceeds metrics.sent 100"]),
    (latency_record(ended_at="2026-08-15T10:00:00.000+00:00"), ["ended_at: "]),
    (latency_record(started_at="2026-08-17T11:00:00.000+00:00",
                    ended_at="2026-08-17T11:00:01.000+00:00"),
     ["started_at: 2026-08-17T11:00:00.000+00:00 is more than a day ahead of the collector"]),
    (latency_record(started_at="15.08.2026 11:00"), ["started_at: "]),
    ({**latency_record(), "kind": "throughput",
      "metrics": {"direction": "down", "streams": 4, "duration_s": 10, "bytes": 1,
                  "bits_per_second": 2e11, "ended": "complete"}},
     ["metrics.bits_per_second: 200000000000.0 is greater than the maximum of 100000000000"]),
    ({**latency_record(), "surprise": 1}, ["Additional properties are not allowed"]),
]


@pytest.mark.parametrize(("record", "reasons"), BAD)
def test_a_bad_record_is_rejected_naming_the_field_and_nothing_is_kept(
    store: Store, record: Any, reasons: list[str]
) -> None:
    good = latency_record()
    answers = store.ingest([record, good], now=NOW)
    assert answers[0].status == "rejected"
    for reason in reasons:
        assert any(reason in r for r in answers[0].reasons), answers[0].reasons
    assert answers[1].status == "accepted"  # one bad record does not sink its neighbours
    assert store.count_results() == 1


def test_an_unknown_connection_and_another_probes_connection_are_refused(store: Store) -> None:
    unknown = latency_record(connection_id="C-404")
    foreign = latency_record(connection_id="C-2")
    answers = store.ingest([unknown, foreign], allowed_connections={"C-1"}, now=NOW)
    # not registered yet is worth sending again; another probe's connection never is
    assert [a.status for a in answers] == ["unregistered", "rejected"]
    assert answers[0].reasons == (
        "connection_id: C-404 is not in the connections registry (yet)",)
    assert answers[1].reasons == ("connection_id: C-2 is not registered to this probe",)
    assert store.count_results() == 0


def test_tokens_are_stored_as_hashes_and_can_be_revoked(store: Store) -> None:
    token = store.create_token("probe-1", ["C-1"])
    assert store.authenticate(token) == ("probe-1", {"C-1"})
    assert store.authenticate(token + "x") is None
    with store.engine.connect() as db:
        kept = db.execute(text("SELECT token_sha256 FROM probe_tokens")).scalars().all()
    assert token not in kept
    assert len(kept[0]) == 64
    assert store.revoke_tokens("probe-1") == 1
    assert store.authenticate(token) is None


def test_a_tariff_change_keeps_its_history(store: Store) -> None:
    store.upsert_connections([registry_row("C-1", date(2026, 8, 10), down=300_000)])
    assert store.connection_at("C-1", date(2026, 8, 9)).tariff_down_kbps == 100_000
    assert store.connection_at("C-1", date(2026, 8, 10)).tariff_down_kbps == 300_000
    assert store.connection_at("C-404", date(2026, 8, 10)) is None


def test_reimporting_the_registry_changes_nothing(store: Store) -> None:
    counts = store.upsert_connections([registry_row("C-1"), registry_row("C-3")])
    assert counts == {"inserted": 1, "updated": 0, "unchanged": 1}


def test_postgresql_keeps_results_in_monthly_partitions(postgres_url: str) -> None:
    store = Store.open(create_database(postgres_url))
    store.upsert_connections([registry_row("C-1")])
    july = latency_record(started_at="2026-07-31T23:59:59.000+00:00",
                          ended_at="2026-08-01T00:00:09.000+00:00")
    august = latency_record()
    assert [a.status for a in store.ingest([july, august], now=NOW)] == ["accepted"] * 2
    with store.engine.connect() as db:
        rows = db.execute(text("SELECT tableoid::regclass::text, id FROM results")).all()
    assert sorted(rows) == sorted([("results_y2026m07", july["id"]),
                                   ("results_y2026m08", august["id"])])
    store.close()


def test_stored_times_are_utc(store: Store) -> None:
    record = latency_record(started_at="2026-08-15T14:00:00.000+03:00",
                            ended_at="2026-08-15T14:00:10.000+03:00")
    store.ingest([record], now=NOW)
    with store.engine.connect() as db:
        started = db.execute(text("SELECT started_at FROM results")).scalar_one()
    moment = started if isinstance(started, datetime) else datetime.fromisoformat(started)
    # SQLite hands back naive UTC; PostgreSQL an aware time in its session's zone
    utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    assert utc == datetime(2026, 8, 15, 11, 0, tzinfo=UTC)


def test_instants_are_utc_by_type_on_either_back_end(store: Store) -> None:
    runs = tables.report_runs
    minsk_two_am = datetime(2026, 10, 1, 2, 0, tzinfo=timezone(timedelta(hours=3)))
    with store.engine.begin() as db:
        db.execute(insert(runs).values(quarter="2026Q3", profile="com645", formats="html",
                                       generated_at=minsk_two_am, snapshot_sha256="0" * 64))
        back = db.execute(select(runs.c.generated_at)).scalar_one()
        # compared as instants, not as wall clocks: 02:00+03:00 is before 00:00 UTC's end
        before = db.execute(select(runs.c.id).where(
            runs.c.generated_at < datetime(2026, 9, 30, 23, 30, tzinfo=UTC))).all()
        with pytest.raises(Exception, match="naive time"):
            db.execute(select(runs.c.id).where(runs.c.generated_at < datetime(2026, 10, 1)))
    assert back == datetime(2026, 9, 30, 23, 0, tzinfo=UTC)
    assert back.tzinfo == UTC
    assert len(before) == 1


def test_the_migrations_build_the_tables_the_code_names(db_url: str) -> None:
    """Alembic's comparison of the migrated database with `tables.py`: every table, column,
    key and index the code reads is the one the migrations made, on either back end."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from netq.collector import tables

    store = Store.open(db_url)
    with store.engine.connect() as db:
        differences = compare_metadata(MigrationContext.configure(db), tables.metadata)
    store.close()
    assert differences == []


@pytest.mark.root  # mounts a small tmpfs
def test_a_store_on_a_full_disk_is_not_ready(tmp_path: Path) -> None:
    """/readyz asks `check_writable`: on a disk with less room than a batch needs it fails,
    naming the bytes free, though a small write could still commit in SQLite's reused log."""
    from netq.collector import store as stored

    disk = tmp_path / "disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=96m", "tmpfs", str(disk)], check=True)
    try:
        store = Store.open(str(disk / "netq.db"))
        store.check_writable()
        with (disk / "filler").open("wb") as filler:
            filler.write(b"\0" * (96 * 1024 * 1024 - stored.MIN_FREE_BYTES))
        with pytest.raises(OSError, match=r"bytes free beside .*netq.db; a batch needs"):
            store.check_writable()
        (disk / "filler").unlink()
        store.check_writable()
        store.close()
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=True)  # even while a failed test holds it


def test_reports_written_before_publishing_was_recorded_stay_published(db_url: str) -> None:
    """Migration 0016: a report written under the rule that writing published keeps that
    standing (its moment, no address), so an upgrade makes no quarter late."""
    from importlib import resources

    from alembic import command
    from alembic.config import Config

    from netq.collector.db import engine_for

    engine = engine_for(db_url)
    config = Config()
    config.set_main_option("script_location",
                           str(resources.files("netq.collector").joinpath("migrations")))
    written = datetime(2026, 7, 2, 9, 0, tzinfo=UTC)
    with engine.begin() as db:
        config.attributes["connection"] = db
        command.upgrade(config, "0015")
        db.execute(insert(tables.report_runs).values(
            quarter="2026Q2", profile="com645", generated_at=written, formats="html",
            snapshot_sha256="0" * 64))
    engine.dispose()
    store = Store.open(db_url)
    with store.engine.connect() as db:
        rows = db.execute(select(tables.publications.c.quarter, tables.publications.c.url,
                                 tables.publications.c.published_at)).all()
    store.close()
    assert rows == [("2026Q2", "", written)]
