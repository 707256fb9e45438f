"""Figures and reports from a PostgreSQL streaming replica (Debian's postgresql,
pg_basebackup -R), so that a report never slows ingest: the replica gives the primary's
figures, records what it computed on the primary (--primary), and is never written."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from netq.collector import tables
from netq.collector.store import Store
from tests import pg
from tests.lab import wait_for
from tests.test_compliance_quarter import RECORDS, norms_with_min_sample, registry

pytestmark = pytest.mark.slow  # two PostgreSQL servers and the netq command


def netq(*argv: str, thresholds: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "netq", *argv, "--thresholds",
                           str(thresholds)], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[str, str]]:
    """A primary's database with a quarter of records, and the same database on a
    streaming replica of it, caught up."""
    reason = pg.missing_requirements()
    if reason:
        pytest.skip(reason)
    folders = [Path(tempfile.mkdtemp(prefix="netq-pg-")) for _ in range(2)]
    try:
        with pg.postgres_server(folders[0]) as server:
            primary = pg.create_database(server)
            with pg.replica_server(server, folders[1]) as replica_server:
                replica = replica_server.rsplit("/", 1)[0] + "/" + primary.rsplit("/", 1)[1]
                yield primary, replica
    finally:
        for folder in folders:
            shutil.rmtree(folder, ignore_errors=True)


def count(db: str, table: Any) -> int:
    store = Store.open(db)
    with store.engine.connect() as connection:
        n = connection.execute(select(func.count()).select_from(table)).scalar_one()
    store.close()
    return int(n)


def test_a_replica_gives_the_primarys_figures_and_records_them_on_the_primary(
        servers: tuple[str, str], tmp_path: Path) -> None:
    primary, replica = servers
    norms = norms_with_min_sample(tmp_path, 2)
    thresholds = tmp_path / "thresholds.yaml"
    store = Store.open(primary, norms)
    store.upsert_connections(registry())
    store.ingest(RECORDS)
    store.close()
    wait_for(lambda: pg.caught_up(primary, replica), "the replica catching up")
    assert Store.open(replica, norms).read_only

    on_primary = netq("compliance", "--db", primary, "--quarter", "2026Q3", "--profile",
                      "com645", "--json", thresholds=thresholds)
    on_replica = netq("compliance", "--db", replica, "--quarter", "2026Q3", "--profile",
                      "com645", "--json", thresholds=thresholds)
    assert on_primary.returncode == 0, on_primary.stderr
    assert on_replica.returncode == 0, on_replica.stderr
    assert "read replica" in on_replica.stderr  # shown, not kept
    figures = [{k: v for k, v in json.loads(run.stdout)["documents"][0].items()
                if k != "manifest"} for run in (on_primary, on_replica)]
    assert figures[0] == figures[1]
    kept = count(primary, tables.compliance_runs)
    assert kept == 1  # the primary's own run

    kept_on_primary = netq("compliance", "--db", replica, "--primary", primary, "--quarter",
                           "2026Q3", "--profile", "com645", thresholds=thresholds)
    assert kept_on_primary.returncode == 0, kept_on_primary.stderr
    assert count(primary, tables.compliance_runs) == 2

    # a report is recorded where it is published from: the primary, or it is not written
    out = tmp_path / "report"
    refused = netq("report", "quarterly", "--db", replica, "--quarter", "2026Q3", "--out",
                   str(out), thresholds=thresholds)
    assert refused.returncode == 2
    assert "--primary" in refused.stderr
    assert not out.exists()
    written = netq("report", "quarterly", "--db", replica, "--primary", primary, "--quarter",
                   "2026Q3", "--format", "json", "--out", str(out), thresholds=thresholds)
    assert written.returncode == 0, written.stderr
    assert count(primary, tables.report_runs) == 1
    report = json.loads(next(out.glob("*.json")).read_text())
    headline = {(e["id"], e["value"]) for e in figures[0]["indicators"]}
    assert headline <= {(e["id"], e["value"]) for e in report["indicators"]}

    # --primary names a primary only; a collector never serves a replica
    wrong = netq("compliance", "--db", primary, "--primary", primary, "--quarter", "2026Q3",
                 thresholds=thresholds)
    assert wrong.returncode == 2
    serve = subprocess.run([sys.executable, "-m", "netq", "collector", "serve", "--db",
                            replica, "--listen", "127.0.0.1:1"], capture_output=True,
                           text=True, timeout=60)
    assert serve.returncode == 1
    assert "read replica" in serve.stderr


def test_a_replica_behind_the_primarys_schema_says_which_revision_it_needs(
        servers: tuple[str, str], tmp_path: Path) -> None:
    import psycopg

    primary, replica = servers
    Store.open(primary).close()
    with psycopg.connect(primary, autocommit=True) as connection:
        head = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        assert head is not None
        connection.execute("UPDATE alembic_version SET version_num = '0014'")  # as if older
    try:
        wait_for(lambda: pg.caught_up(primary, replica), "the replica catching up")
        behind = subprocess.run([sys.executable, "-m", "netq", "compliance", "--db", replica,
                                 "--quarter", "2026Q3"], capture_output=True, text=True,
                                timeout=120)
        assert behind.returncode == 1
        assert f"at revision 0014, this netq needs {head[0]}" in behind.stderr
        assert "Traceback" not in behind.stderr
    finally:
        with psycopg.connect(primary, autocommit=True) as connection:
            connection.execute("UPDATE alembic_version SET version_num = %s", head)
