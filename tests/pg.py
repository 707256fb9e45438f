"""A throwaway PostgreSQL server for the tests: initdb in a temporary folder, started on a
free loopback port as the `postgres` user (the server refuses to run as root)."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

from tests.lab import free_port, wait_for


def bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def missing_requirements() -> str | None:
    if bindir() is None:
        return "PostgreSQL server is not installed: scripts/setup installs Debian's postgresql"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "runuser is needed to start PostgreSQL as the postgres user"
    return None


def create_database(server_url: str) -> str:
    """A new, empty database on the server; its URL."""
    import uuid

    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    return server_url.rsplit("/", 1)[0] + f"/{name}"


@contextlib.contextmanager
def postgres_server(workdir: Path) -> Iterator[str]:
    """Yields a postgresql:// URL of a fresh, empty database."""
    bin_ = bindir()
    assert bin_ is not None
    data = workdir / "pgdata"
    data.mkdir(parents=True)
    as_postgres: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(workdir, "postgres")
        shutil.chown(data, "postgres")
        as_postgres = ["runuser", "-u", "postgres", "--"]
    port = free_port()
    subprocess.run([*as_postgres, str(bin_ / "initdb"), "-D", str(data), "-U", "netq",
                    "--auth=trust", "--encoding=UTF8", "--no-sync"],
                   check=True, capture_output=True)
    subprocess.run([*as_postgres, str(bin_ / "pg_ctl"), "-D", str(data), "-l",
                    str(workdir / "postgres.log"), "-w", "start", "-o",
                    f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 -c fsync=off"],
                   check=True, capture_output=True)
    try:
        wait_for(lambda: subprocess.run([str(bin_ / "pg_isready"), "-h", "127.0.0.1", "-p",
                                         str(port)], capture_output=True).returncode == 0,
                 "PostgreSQL")
        yield f"postgresql://netq@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_postgres, str(bin_ / "pg_ctl"), "-D", str(data), "-m", "immediate",
                        "stop"], capture_output=True)


@contextlib.contextmanager
def replica_server(primary_url: str, workdir: Path) -> Iterator[str]:
    """A streaming read replica of the server at `primary_url` (pg_basebackup -R: a hot
    standby following its WAL); yields its URL, naming the same database."""
    bin_ = bindir()
    assert bin_ is not None
    primary_port = primary_url.rsplit(":", 1)[1].split("/", 1)[0]
    data = workdir / "replica"
    as_postgres: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(workdir, "postgres")
        as_postgres = ["runuser", "-u", "postgres", "--"]
    subprocess.run([*as_postgres, str(bin_ / "pg_basebackup"), "-h", "127.0.0.1", "-p",
                    primary_port, "-U", "netq", "-D", str(data), "-R", "-X", "stream",
                    "--checkpoint=fast", "--no-sync"], check=True, capture_output=True)
    port = free_port()
    subprocess.run([*as_postgres, str(bin_ / "pg_ctl"), "-D", str(data), "-l",
                    str(workdir / "replica.log"), "-w", "start", "-o",
                    f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 -c fsync=off"],
                   check=True, capture_output=True)
    try:
        yield primary_url.replace(f":{primary_port}/", f":{port}/")
    finally:
        subprocess.run([*as_postgres, str(bin_ / "pg_ctl"), "-D", str(data), "-m", "immediate",
                        "stop"], capture_output=True)


def caught_up(primary_url: str, replica_url: str) -> bool:
    """The replica has replayed everything the primary has written so far."""
    import psycopg

    with psycopg.connect(primary_url, autocommit=True) as primary:
        written = primary.execute("SELECT pg_current_wal_lsn()").fetchone()
    with psycopg.connect(replica_url, autocommit=True) as replica:
        row = replica.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn",
                              written).fetchone()
    return bool(row and row[0])
