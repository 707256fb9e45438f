"""`netq collector backup`, and a restore done as docs/operations.md says: the restored
store gives the figures the store gave when it was copied, to the last digit."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from tests import pg
from tests.records import latency_record, registry_row


def netq(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "netq", *argv], capture_output=True,
                          text=True, timeout=300)


def stored(db: str, tmp_path: Path, records: list[dict[str, object]]) -> None:
    batch = tmp_path / f"batch-{records[0]['id']}.jsonl"
    batch.write_text("".join(json.dumps(record) + "\n" for record in records))
    imported = netq("collector", "import", str(batch), "--db", db)
    assert imported.returncode == 0, imported.stderr


def figures(db: str) -> dict[str, object]:
    judged = netq("compliance", "--quarter", "2026Q3", "--json", "--db", db)
    assert judged.returncode == 0, judged.stderr
    document = json.loads(judged.stdout)
    return {key: value for key, value in document["documents"][0].items()
            if key != "manifest"}


def test_a_backup_restores_to_the_figures_of_its_moment(tmp_path: Path, db_url: str) -> None:
    from netq.collector.store import Store

    store = Store.open(db_url)
    store.upsert_connections([registry_row("C-1")])
    store.close()
    stored(db_url, tmp_path, [latency_record(started_at=f"2026-08-{day:02d}T11:00:00+00:00",
                                             ended_at=f"2026-08-{day:02d}T11:00:13+00:00")
                              for day in range(1, 11)])
    before = figures(db_url)
    folder = tmp_path / "backups"
    folder.mkdir()

    made = netq("collector", "backup", "--to", str(folder), "--db", db_url)
    assert made.returncode == 0, made.stderr
    backup = Path(made.stdout.split()[0])
    assert backup.parent == folder
    assert backup.suffix == (".db" if db_url.endswith(".db") else ".dump")
    assert [p.name for p in folder.iterdir()] == [backup.name]  # no partial file left

    # the store goes on after the copy: a lossy day the backup does not hold
    stored(db_url, tmp_path, [latency_record(started_at="2026-08-20T11:00:00+00:00",
                                             ended_at="2026-08-20T11:00:13+00:00",
                                             metrics__received=50, metrics__loss_ratio=0.5)])
    assert figures(db_url) != before

    if backup.suffix == ".db":  # as the guide: the copy in place of netq.db, no -wal, -shm
        restored = tmp_path / "restored" / "netq.db"
        restored.parent.mkdir()
        shutil.copy(backup, restored)
        restored_url = str(restored)
    else:  # as the guide: pg_restore into an empty database
        restored_url = pg.create_database(db_url.rsplit("/", 1)[0] + "/postgres")
        loaded = subprocess.run(["pg_restore", "--no-owner", f"--dbname={restored_url}",
                                 str(backup)], capture_output=True, text=True, timeout=300)
        assert loaded.returncode == 0, loaded.stderr
    assert figures(restored_url) == before


def test_keep_lets_only_older_backups_of_its_own_go(tmp_path: Path) -> None:
    from netq.collector.backup import back_up

    db = tmp_path / "netq.db"
    store_csv = tmp_path / "connections.csv"
    store_csv.write_text("connection_id,service,technology,tariff_down_kbps,tariff_up_kbps,"
                         "region,node,profile,effective_from\n"
                         "C-1,fixed,pon,100000,50000,Minsk,n1,com645,\n")
    assert netq("connections", "import", str(store_csv), "--db", str(db)).returncode == 0
    folder = tmp_path / "backups"
    folder.mkdir()
    theirs = [folder / "notes.txt", folder / "netq-before-upgrade.db"]
    for path in theirs:
        path.write_text("the operator's own")
    made = [back_up(str(db), folder, keep=2, now=datetime(2026, 12, day, 3, tzinfo=UTC))
            for day in (1, 2, 3)]
    assert made[2].let_go == [made[0].path]
    assert sorted(folder.iterdir()) == sorted([made[1].path, made[2].path, *theirs])


def test_a_backup_that_cannot_be_made_says_why_and_leaves_no_file(tmp_path: Path) -> None:
    nowhere = netq("collector", "backup", "--to", str(tmp_path / "missing"),
                   "--db", str(tmp_path / "netq.db"))
    assert nowhere.returncode == 3
    assert "no store at" in nowhere.stderr  # the store first: nothing to copy
    db = tmp_path / "netq.db"
    db.write_bytes(b"")
    folder_missing = netq("collector", "backup", "--to", str(tmp_path / "missing"),
                          "--db", str(db))
    assert folder_missing.returncode == 3
    assert f"no folder {tmp_path / 'missing'} to back up into" in folder_missing.stderr
    folder = tmp_path / "backups"
    folder.mkdir()
    unreachable = netq("collector", "backup", "--to", str(folder),
                       "--db", "postgresql://netq:secret@127.0.0.1:1/netq")
    assert unreachable.returncode == 3
    assert "pg_dump of postgresql+psycopg://netq:***@127.0.0.1:1/netq failed" in \
        unreachable.stderr
    assert "secret" not in unreachable.stderr
    assert list(folder.iterdir()) == []
