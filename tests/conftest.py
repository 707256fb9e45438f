"""Fixtures, and the lanes of the suite. A test's marks follow from what it needs: `lab`
(network namespaces, as root), `root`, `pg` (a PostgreSQL server), `slow` (packages, a lab,
seconds of real traffic); `scripts/test --fast` runs the rest. A test that needs what the
machine lacks is skipped with the reason, except under NETQ_TESTS_STRICT=1 (CI), where a
skipped test fails the run: there the suite must prove everything."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import packaging, pg
from tests.lab import Lab, missing_requirements

# a fixture, and the marks of every test that uses it
NEEDS = {"lab": ("lab", "root", "slow"), "debs": ("root", "slow"), "postgres_url": ("pg",),
         "distributions": ("slow",), "probe_env": ("slow",), "full_env": ("slow",)}
STRICT = os.environ.get("NETQ_TESTS_STRICT") == "1"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        needs = set(getattr(item, "fixturenames", ()))
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("db_url") == "postgresql":
            needs.add("postgres_url")
        for fixture, marks in NEEDS.items():
            if fixture in needs:
                for mark in marks:
                    item.add_marker(mark)
        if item.get_closest_marker("root") and os.geteuid() != 0:
            item.add_marker(pytest.mark.skip(reason="needs root"))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter is not None else 0
    if STRICT and skipped and exitstatus == 0:
        if reporter is not None:
            reporter.write_line(f"NETQ_TESTS_STRICT: skipped {skipped}; in CI every test must "
                                "run", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session", autouse=True)
def no_server_configuration(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Commands under test read the configuration a test gives them, never a server's
    /etc/netq/collector.yaml that this machine may have: an empty one by default."""
    empty = tmp_path_factory.mktemp("config") / "collector.yaml"
    empty.write_text("# the defaults: every test names its own store\n")
    os.environ["NETQ_CONFIG"] = str(empty)


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    reason = missing_requirements()
    if reason:
        pytest.skip(reason)
    built = Lab(Path(tmp_path_factory.mktemp("lab")))
    try:
        built.build()
        yield built
    finally:
        built.teardown()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    reason = pg.missing_requirements()
    if reason:
        pytest.skip(reason)
    # not under pytest's own temporary folder: that is private to root, and the server
    # runs as the postgres user
    workdir = Path(tempfile.mkdtemp(prefix="netq-pg-"))
    try:
        with pg.postgres_server(workdir) as url:
            yield url
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database on each back end."""
    if request.param == "sqlite":
        return str(tmp_path / "netq.db")
    return pg.create_database(request.getfixturevalue("postgres_url"))


@pytest.fixture
def store(db_url: str) -> Iterator[Any]:
    """A store on each back end with connections C-1 and C-2 registered."""
    from netq.collector.store import Store
    from tests.records import registry_row

    opened = Store.open(db_url)
    opened.upsert_connections([registry_row("C-1"), registry_row("C-2")])
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def distributions(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The sdist and the wheel of this checkout."""
    return packaging.build_distributions(tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="session")
def probe_env(tmp_path_factory: pytest.TempPathFactory,
              distributions: tuple[Path, Path]) -> Path:
    """`pip install netq` from the wheel: the probe box. Its bin directory."""
    return packaging.virtualenv(tmp_path_factory.mktemp("venv") / "probe", str(distributions[1]))


@pytest.fixture(scope="session")
def full_env(tmp_path_factory: pytest.TempPathFactory,
             distributions: tuple[Path, Path]) -> Path:
    """`pip install 'netq[all]'` from the wheel: every role. Its bin directory."""
    return packaging.virtualenv(tmp_path_factory.mktemp("venv") / "all",
                                f"{distributions[1]}[all]")
