"""schemathesis generates requests from the collector's own OpenAPI spec, valid and not:
whatever it sends, the collector never answers with a 5xx."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.lab import free_port
from tests.records import registered_probe
from tests.test_collector_api import start_collector

pytestmark = pytest.mark.slow  # thousands of generated requests


def test_no_request_the_spec_allows_or_forbids_makes_a_server_error(db_url: str) -> None:
    db = db_url  # on SQLite and on PostgreSQL
    token = registered_probe(db)
    port = free_port()
    collector = start_collector(db, port)
    schemathesis = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    assert schemathesis, "schemathesis is missing: scripts/setup installs the [test] extra"
    try:
        result = subprocess.run(
            [schemathesis, "run", f"http://127.0.0.1:{port}/openapi.json",
             "--checks", "not_a_server_error", "--max-examples", "150",
             "-H", f"Authorization: Bearer {token}", "--generation-deterministic",
             "--no-color"],
            capture_output=True, text=True, timeout=600)
    finally:
        collector.terminate()
        collector.wait(10)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
