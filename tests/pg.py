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
