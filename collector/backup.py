"""A copy of the store that can be restored, made while the collector runs: SQLite through
its online backup API (a consistent snapshot, WAL included), PostgreSQL through `pg_dump
-Fc`. A copy is written beside its final name and renamed only once whole and checked, so a
backup that failed halfway never looks like one; `keep` lets the oldest go only after a new
one exists."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from netq.collector.db import masked, resolve
from netq.errors import Unavailable

# netq-2026-12-04T031500Z.db, netq-2026-12-04T031500Z.dump: names sort as the times they
# were made; nothing else in the folder is ever touched
MADE_HERE = re.compile(r"^netq-\d{4}-\d{2}-\d{2}T\d{6}Z\.(db|dump)$")


@dataclass(frozen=True)
class Backup:
    path: Path
    size_bytes: int
    let_go: list[Path]


def back_up(db: str | None, folder: Path, keep: int | None = None,
            now: datetime | None = None) -> Backup:
    url = resolve(db)
    stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H%M%SZ")
    if not folder.is_dir():
        raise Unavailable(f"no folder {folder} to back up into: create it writable by the "
                          "user that runs the backup (install -d -o netq -g netq -m 0750 "
                          f"{folder})")
    if url.startswith("sqlite:///"):
        final = folder / f"netq-{stamp}.db"
        _sqlite(Path(url.removeprefix("sqlite:///")), final)
    else:
        final = folder / f"netq-{stamp}.dump"
        _postgresql(db or url, final)
    let_go = _older_than(folder, keep, final) if keep is not None else []
    for path in let_go:
        path.unlink()
    return Backup(final, final.stat().st_size, let_go)


def _sqlite(source: Path, final: Path) -> None:
    if not source.is_file():
        raise Unavailable(f"no store at {source} to back up")
    partial = final.with_name(f".{final.name}.partial")
    try:
        # closed, not only committed, before the rename; and one file, not a WAL beside it:
        # the copy is what a restore puts in the store's place
        with (closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True,
                                      timeout=30)) as origin,
              closing(sqlite3.connect(partial)) as copy):
            origin.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")
            checked = copy.execute("PRAGMA quick_check").fetchone()[0]
        if checked != "ok":
            raise Unavailable(f"the copy of {source} does not check: {checked}")
        _settle(partial, final)
    finally:
        for leftover in (partial, partial.with_name(partial.name + "-journal")):
            leftover.unlink(missing_ok=True)


def _postgresql(db: str, final: Path) -> None:
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise Unavailable("pg_dump is not installed: apt install postgresql-client")
    # libpq reads the URL itself; SQLAlchemy's driver suffix is not one of its schemes
    libpq_url = re.sub(r"^postgresql\+\w+://", "postgresql://", db)
    partial = final.with_name(f".{final.name}.partial")
    try:
        done = subprocess.run([pg_dump, "--format=custom", f"--dbname={libpq_url}",
                               f"--file={partial}"], capture_output=True, text=True)
        if done.returncode != 0:
            raise Unavailable(f"pg_dump of {masked(db)} failed: "
                              f"{(done.stderr.strip().splitlines() or ['?'])[-1]}")
        listed = subprocess.run([shutil.which("pg_restore") or "pg_restore", "--list",
                                 str(partial)], capture_output=True, text=True)
        if listed.returncode != 0 or "TABLE DATA" not in listed.stdout:
            raise Unavailable(f"the dump of {masked(db)} does not read back: "
                              f"{listed.stderr.strip()[:200]}")
        _settle(partial, final)
    finally:
        partial.unlink(missing_ok=True)


def _settle(partial: Path, final: Path) -> None:
    """On disk before it takes its name: a crash leaves a partial file, never a short
    backup under a backup's name."""
    with partial.open("rb") as written:
        os.fsync(written.fileno())
    partial.chmod(0o640)
    partial.rename(final)
    folder = os.open(final.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def _older_than(folder: Path, keep: int, newest: Path) -> list[Path]:
    kind = newest.suffix
    made = sorted(p for p in folder.iterdir() if MADE_HERE.match(p.name) and p.suffix == kind)
    return [p for p in made[:-keep] if p != newest]
