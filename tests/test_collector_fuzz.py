"""schemathesis generates requests from the collector's own OpenAPI spec, valid and not:
whatever it sends, the collector never answers with a 5xx, on SQLite and on PostgreSQL.
The two stores are fuzzed at once (the same deterministic requests to a collector on each):
the generator, not the collectors, takes most of the time."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests import pg
from tests.lab import free_port
from tests.records import registered_probe
from tests.test_collector_api import start_collector

pytestmark = pytest.mark.slow  # thousands of generated requests


def test_no_request_the_spec_allows_or_forbids_makes_a_server_error(
        tmp_path: Path, postgres_url: str) -> None:
    schemathesis = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    assert schemathesis, "schemathesis is missing: scripts/setup installs the [test] extra"
    stores = {"sqlite": str(tmp_path / "netq.db"), "postgresql": pg.create_database(postgres_url)}
    collectors, runs = [], {}
    try:
        for name, db in stores.items():
            token = registered_probe(db)
            port = free_port()
            collectors.append(start_collector(db, port))
            with (tmp_path / f"{name}.log").open("w") as log:
                runs[name] = subprocess.Popen(
                    [schemathesis, "run", f"http://127.0.0.1:{port}/openapi.json",
                     "--checks", "not_a_server_error", "--max-examples", "150",
                     "-H", f"Authorization: Bearer {token}", "--generation-deterministic",
                     "--no-color"], stdout=log, stderr=subprocess.STDOUT)
        for name, run in runs.items():
            code = run.wait(600)
            assert code == 0, f"{name}:\n{(tmp_path / f'{name}.log').read_text()[-4000:]}"
    finally:
        for run in runs.values():
            if run.poll() is None:
                run.kill()
        for collector in collectors:
            collector.terminate()
            collector.wait(10)
