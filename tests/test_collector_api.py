"""The ingest API over real HTTP, against a collector process on each back end."""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from netq.collector.store import Store
from netq.record import rfc3339
from tests.lab import free_port, wait_for
from tests.records import latency_record, registered_probe, registry_row

pytestmark = pytest.mark.slow  # a collector started for each test


class Collector:
    def __init__(self, url: str, token: str, db: str) -> None:
        self.url, self.token, self.db = url, token, db

    def post(self, body: object, token: str | None = None, raw: bytes | None = None,
             headers: dict[str, str] | None = None) -> httpx.Response:
        auth = {"Authorization": f"Bearer {token or self.token}"}
        content = raw if raw is not None else json.dumps(body).encode()
        return httpx.post(f"{self.url}/api/v1/results", content=content,
                          headers={**auth, "Content-Type": "application/json",
                                   **(headers or {})}, timeout=30)

    def stored(self) -> int:
        store = Store.open(self.db)
        try:
            return store.count_results()
        finally:
            store.close()


def start_collector(db: str, port: int, *extra: str, **popen: Any) -> subprocess.Popen[bytes]:
    process = subprocess.Popen([sys.executable, "-m", "netq", "collector", "serve", "--db", db,
                                "--listen", f"127.0.0.1:{port}", *extra], **popen)
    wait_for(lambda: _healthy(port), "collector", timeout_s=30)
    return process


@contextlib.contextmanager
def configured_collector(db: str, tmp_path: Path, settings: str,
                         **popen: Any) -> Iterator[Collector]:
    """A collector with `settings` as its configuration file, serving probe-1 (C-1)."""
    token = registered_probe(db)
    config = tmp_path / "collector.yaml"
    config.write_text(settings)
    port = free_port()
    process = start_collector(db, port, "--config", str(config), **popen)
    try:
        yield Collector(f"http://127.0.0.1:{port}", token, db)
    finally:
        process.terminate()
        process.wait(10)


def _healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture
def collector(db_url: str, tmp_path: Path) -> Iterator[Collector]:
    store = Store.open(db_url)
    store.upsert_connections([registry_row("C-1"), registry_row("C-2")])
    token = store.create_token("probe-1", ["C-1"])
    store.create_token("probe-2", ["C-2"])
    store.close()
    config = tmp_path / "collector.yaml"
    config.write_text("max_body_bytes: 200000\nmax_records: 100\n")
    port = free_port()
    process = start_collector(db_url, port, "--config", str(config))
    yield Collector(f"http://127.0.0.1:{port}", token, db_url)
    process.terminate()
    process.wait(10)


def test_a_batch_is_answered_per_record_and_a_resend_is_idempotent(collector) -> None:
    batch = [latency_record() for _ in range(3)]
    first = collector.post(batch)
    assert first.status_code == 200
    assert (first.json()["accepted"], first.json()["duplicate"]) == (3, 0)
    second = collector.post(batch)
    assert (second.status_code, second.json()["duplicate"]) == (200, 3)
    assert collector.stored() == 3


def test_rejected_records_are_named_and_only_they_are_left_out(collector) -> None:
    bad = latency_record(metrics__rtt_ms__min=-5.0)
    response = collector.post([latency_record(), bad])
    assert response.status_code == 422
    body = response.json()
    assert (body["accepted"], body["rejected"]) == (1, 1)
    assert body["results"][1]["status"] == "rejected"
    assert any(r.startswith("metrics.rtt_ms") for r in body["results"][1]["reasons"])
    assert collector.stored() == 1


@pytest.mark.parametrize(("token", "status"), [("", 401), ("wrong-token", 401)])
def test_no_token_or_a_wrong_one_is_401_and_nothing_is_stored(collector, token, status) -> None:
    response = httpx.post(f"{collector.url}/api/v1/results", json=[latency_record()],
                          headers={"Authorization": f"Bearer {token}"} if token else {})
    assert response.status_code == status
    assert response.headers["www-authenticate"] == "Bearer"
    assert collector.stored() == 0


def test_a_revoked_token_is_401(collector) -> None:
    store = Store.open(collector.db)
    store.revoke_tokens("probe-1")
    store.close()
    assert collector.post([latency_record()]).status_code == 401


def test_another_probes_connection_or_identity_is_403_and_nothing_is_stored(collector) -> None:
    mixed = [latency_record(), latency_record(connection_id="C-2")]
    response = collector.post(mixed)
    assert response.status_code == 403
    assert "C-2 is not registered to probe probe-1" in response.json()["detail"]
    impostor = collector.post([latency_record(probe_id="probe-2")])
    assert impostor.status_code == 403
    assert collector.stored() == 0


@pytest.mark.parametrize(("raw", "status", "words"), [
    (b"{not json", 400, "the body is not JSON"),
    (b'{"records": []}', 422, "must be a JSON array"),
    (json.dumps([latency_record()] * 101).encode(), 413, "at most 100"),
    (b"[" + b" " * 300_000 + b"]", 413, "larger than 200000 bytes"),
])
def test_malformed_and_oversized_bodies_are_refused_whole(collector, raw, status, words) -> None:
    response = collector.post(None, raw=raw)
    assert response.status_code == status
    assert words in response.json()["detail"]
    assert collector.stored() == 0


def test_identities_of_the_wrong_type_are_rejected_records_not_server_errors(collector) -> None:
    # found by schemathesis: an object where connection_id belongs crashed the owner check
    response = collector.post([latency_record(connection_id={"a": 1}, probe_id=["x"])])
    assert response.status_code == 422
    assert response.json()["results"][0]["status"] == "rejected"
    assert collector.stored() == 0


def speed_record(started_at: str, bits_per_second: float, direction: str = "down") -> dict:
    began = datetime.fromisoformat(started_at)
    record = latency_record(kind="throughput", started_at=started_at,
                            ended_at=(began + timedelta(seconds=13)).isoformat())
    record["metrics"] = {"direction": direction, "streams": 4, "duration_s": 10,
                         "bytes": int(bits_per_second * 10 / 8),
                         "bits_per_second": bits_per_second, "ended": "complete"}
    return record


def test_connection_gauges_judge_speed_against_the_tariff_in_force_then(
        db_url: str, tmp_path: Path) -> None:
    with configured_collector(db_url, tmp_path, "lines_every: 0.2\n") as collector:
        store = Store.open(collector.db)  # C-1: 100 Mbit/s down until 10 August, then 300
        store.upsert_connections([registry_row("C-1", date(2026, 8, 10), down=300_000)])
        store.close()
        # 23:30 UTC on 9 August is already 10 August in Minsk: the new tariff applies
        collector.post([speed_record("2026-08-09T23:30:00.000+00:00", 150e6),
                        latency_record(metrics__rtt_ms__mean=12.5)])
        # an older session arriving later does not replace the newer reading
        collector.post([latency_record(started_at="2026-08-01T10:00:00.000+00:00",
                                       ended_at="2026-08-01T10:00:20.000+00:00",
                                       metrics__rtt_ms__mean=99.0)])
        labels = ('connection_id="C-1",node="node-1",profile="com645",region="Minsk",'
                  'service="fixed",technology="pon"')
        speed_labels = labels.replace('",node', '",direction="down",node')  # sorted by name
        rtt = f"netq_connection_rtt_mean_seconds{{{labels}}} 0.0125"
        text = ""
        deadline = time.monotonic() + 20
        while rtt not in text and time.monotonic() < deadline:
            time.sleep(0.1)
            text = httpx.get(f"{collector.url}/metrics").text
        assert rtt in text
        assert f"netq_connection_throughput_tariff_ratio{{{speed_labels}}} 0.5" in text
        assert f"netq_connection_loss_ratio{{{labels}}} 0.01" in text
        assert "netq_collector_leader 1.0" in text
        assert "netq_collector_slot_leases 0.0" in text
        promtool = shutil.which("promtool")
        assert promtool, "promtool is missing: scripts/setup installs Debian's prometheus"
        lint = subprocess.run([promtool, "check", "metrics"], input=text.encode(),
                              capture_output=True)
        assert (lint.returncode, lint.stdout) == (0, b""), lint.stdout + lint.stderr


def test_health_readiness_metrics_and_openapi(collector) -> None:
    collector.post([latency_record()])
    assert httpx.get(f"{collector.url}/readyz").json() == {"status": "ready"}
    metrics = httpx.get(f"{collector.url}/metrics").text
    assert 'netq_collector_records_total{outcome="accepted"} 1.0' in metrics
    assert 'netq_collector_probe_last_seen_timestamp_seconds{probe_id="probe-1"}' in metrics
    spec = httpx.get(f"{collector.url}/openapi.json").json()
    body = spec["paths"]["/api/v1/results"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"]["items"]["$ref"] == \
        "#/components/schemas/ResultRecord"
    assert "latency" in spec["components"]["schemas"]


def test_every_outcome_and_status_is_exported_from_the_start_at_zero(collector) -> None:
    metrics = httpx.get(f"{collector.url}/metrics").text
    for outcome in ("accepted", "duplicate", "rejected"):
        assert f'netq_collector_records_total{{outcome="{outcome}"}} 0.0' in metrics
    assert 'netq_collector_ingest_requests_total{code="500"} 0.0' in metrics


def test_a_store_failure_is_a_500_and_is_counted(collector) -> None:
    assert collector.post([latency_record()]).status_code == 200
    store = Store.open(collector.db)
    with store.engine.begin() as db:  # the store loses its table under the running collector
        db.execute(text("ALTER TABLE results RENAME TO results_away"))
    store.close()
    assert collector.post([latency_record()]).status_code == 500
    metrics = httpx.get(f"{collector.url}/metrics").text
    assert 'netq_collector_ingest_requests_total{code="500"} 1.0' in metrics


def test_quarter_to_date_compliance_is_published_per_technology(db_url: str,
                                                                tmp_path: Path) -> None:
    with configured_collector(db_url, tmp_path, "compliance_every: 0.5\n") as collector:
        now = datetime.now(UTC)
        batch = [latency_record(started_at=rfc3339(now - timedelta(minutes=m)),
                                ended_at=rfc3339(now - timedelta(minutes=m, seconds=-20)),
                                metrics__rtt_ms__mean=12.5 if m % 2 else 450.0,
                                metrics__rtt_ms__p95=450.0, metrics__rtt_ms__max=450.0)
                 for m in range(1, 5)]
        response = httpx.post(f"{collector.url}/api/v1/results", json=batch,
                              headers={"Authorization": f"Bearer {collector.token}"})
        assert response.status_code == 200, response.text
        delay = ('netq_compliance_share_ratio{indicator="com645.16",profile="com645",'
                 'tariff_kbps="",technology="pon"} 0.5')
        text = ""
        deadline = time.monotonic() + 20
        while delay not in text and time.monotonic() < deadline:
            time.sleep(0.2)
            text = httpx.get(f"{collector.url}/metrics").text
        assert delay in text  # 2 of 4 sessions within 400 ms, for the one PON connection
        assert ('netq_compliance_norm{bound="lower",indicator="com645.16",profile="com645",'
                'tariff_kbps="",technology="all"} 0.9') in text
        assert 'netq_compliance_delay_seconds{indicator="com645.10"' in text
        # the quarter before has data and no report: its deadline is counted down
        assert httpx.post(f"{collector.url}/api/v1/results", json=[latency_record(
            started_at=rfc3339(now - timedelta(days=100)),
            ended_at=rfc3339(now - timedelta(days=100, seconds=-20)))],
            headers={"Authorization": f"Bearer {collector.token}"}).status_code == 200
        today = (now + timedelta(hours=3)).date()  # Minsk
        last = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1) - timedelta(days=1)
        due = date(last.year + last.month // 12, last.month % 12 + 1, 15)
        quarter = f"{last.year}Q{(last.month - 1) // 3 + 1}"
        end_of_due_day = datetime(due.year, due.month, due.day, tzinfo=UTC) + timedelta(hours=21)
        series = f'netq_report_deadline_timestamp_seconds{{quarter="{quarter}"}} '
        deadline = time.monotonic() + 20
        while series not in text and time.monotonic() < deadline:
            time.sleep(0.2)
            text = httpx.get(f"{collector.url}/metrics").text
        value = next(line for line in text.splitlines() if line.startswith(series))
        assert float(value.split()[-1]) == end_of_due_day.timestamp()
        assert f'netq_report_published{{quarter="{quarter}"}} 0.0' in text
        lint = subprocess.run([shutil.which("promtool") or "promtool", "check", "metrics"],
                              input=text.encode(), capture_output=True)
        assert (lint.returncode, lint.stdout) == (0, b""), lint.stdout + lint.stderr

