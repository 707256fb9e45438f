"""A probe never loses a record the collector did not store: what the collector refuses is
quarantined in the spool (listed, sent again, or let go by an operator), what it cannot take
yet is offered again later without holding up the rest, a corrupt spool row costs only
itself, and a full disk drops by policy, counted, and recovers."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from netq.collector.store import Store
from netq.probe.config import Upload
from netq.probe.metrics import ProbeMetrics
from netq.probe.spool import Spool
from netq.probe.upload import Uploader
from tests.lab import free_port
from tests.records import latency_record, registry_row
from tests.test_collector_api import start_collector
from tests.test_upload_reliability import start_probe, stored_ids

pytestmark = pytest.mark.slow  # a probe daemon and a collector


@pytest.fixture
def collector(tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    """(url, token, db): C-9 is in the token's scope but not yet in the registry."""
    db = str(tmp_path / "collector.db")
    store = Store.open(db)
    store.upsert_connections([registry_row("C-1")])
    token = store.create_token("probe-1", ["C-1", "C-9"])
    store.close()
    port = free_port()
    process = start_collector(db, port)
    yield f"http://127.0.0.1:{port}", token, db
    process.terminate()
    process.wait(10)


def recent(**changes: object) -> dict[str, object]:
    now = time.time()
    started = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(now - 60))
    ended = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(now - 47))
    return latency_record(**{"started_at": started, "ended_at": ended, **changes})


def drain(spool: Spool, url: str, token: str, retry_s: float = 0.5) -> int:
    import asyncio

    import structlog

    upload = Upload(url=url, token=token, unregistered_retry=retry_s)
    uploader = Uploader(spool, upload, ProbeMetrics("probe-1", "C-1", "pon"),
                        structlog.get_logger())

    async def once() -> int:
        async with httpx.AsyncClient(timeout=10) as client:
            return await uploader.drain(client)

    return asyncio.run(once())


def netq(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "netq", *args], capture_output=True, text=True)


def test_refused_records_are_quarantined_and_unregistered_ones_wait(
        collector: tuple[str, str, str], tmp_path: Path) -> None:
    url, token, db = collector
    spool = Spool(tmp_path / "spool.db")
    stored = recent()
    drain_first = Spool(tmp_path / "first.db")
    drain_first.append(stored)
    assert drain(drain_first, url, token) == 1
    unregistered = recent(connection_id="C-9")
    rejected = recent(started_at="2020-01-01T00:00:00+00:00")
    conflict = recent(id=stored["id"], metrics__received=1)
    good = recent()
    for record in (unregistered, rejected, conflict, good):
        spool.append(record)
    with sqlite3.connect(tmp_path / "spool.db") as raw:  # a row that no longer reads
        raw.execute("INSERT INTO records (id, body) VALUES ('broken', '{\"id\": ')")

    assert drain(spool, url, token) == 1  # the good one, past every bad one before it
    quarantined = {q.id: q for q in spool.quarantined()}
    assert {q.status for q in quarantined.values()} == {"rejected", "conflict", "corrupt"}
    assert "more than 400 days old" in quarantined[rejected["id"]].reasons[0]
    assert "other content" in quarantined[conflict["id"]].reasons[0]
    assert len(spool) == 1  # the unregistered one waits, not lost, not blocking
    assert spool.pending(10) == []

    store = Store.open(db)
    store.upsert_connections([registry_row("C-9")])  # the registry catches up
    store.close()
    time.sleep(0.6)
    assert drain(spool, url, token) == 1
    assert len(spool) == 0
    assert set(stored_ids(db)) == {stored["id"], good["id"], unregistered["id"]}
    assert spool.quarantined_total == 3
    spool.close()

    config = tmp_path / "probe.yaml"
    config.write_text(json.dumps({
        "probe_id": "probe-1", "connection_id": "C-1", "technology": "pon",
        "tariff_down_kbps": 100_000, "tariff_up_kbps": 50_000,
        "spool": str(tmp_path / "spool.db"),
        "tests": [{"kind": "latency", "every": 900, "target": "127.0.0.1"}]}))
    listed = netq("probe", "spool", "list", "--config", str(config))
    assert listed.returncode == 0, listed.stderr
    assert f"{rejected['id']}  rejected" in listed.stdout
    assert "3 quarantined, 0 waiting to upload" in listed.stdout
    assert netq("probe", "spool", "release", "--config", str(config), "nope").returncode == 1
    released = netq("probe", "spool", "release", "--config", str(config), rejected["id"])
    assert released.stdout.strip() == "1 back in the upload queue"
    discarded = netq("probe", "spool", "discard", "--config", str(config), "--all")
    assert discarded.stdout.strip() == "2 discarded"
    spool = Spool(tmp_path / "spool.db")
    assert (len(spool), spool.quarantined_total) == (1, 0)
    spool.close()


def test_a_daemon_with_a_corrupt_spool_row_keeps_measuring_and_uploading(
        collector: tuple[str, str, str], tmp_path: Path) -> None:
    url, token, db = collector
    Spool(tmp_path / "s.db").close()
    with sqlite3.connect(tmp_path / "s.db") as raw:
        raw.execute("INSERT INTO records (id, body) VALUES ('broken', 'not json')")
    probe = start_probe(tmp_path, int(url.rsplit(":", 1)[1]), token)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(stored_ids(db)) < 10:
            assert probe.poll() is None, (tmp_path / "probe.log").read_text()[-2000:]
            time.sleep(0.5)
        assert len(stored_ids(db)) >= 10
    finally:
        probe.terminate()
        probe.wait(10)
    spool = Spool(tmp_path / "s.db")
    assert [(q.id, q.status) for q in spool.quarantined()] == [("broken", "corrupt")]
    spool.close()


@contextlib.contextmanager
def small_disk(path: Path, size: str) -> Iterator[Path]:
    path.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


@pytest.mark.root  # mounts a small disk
@pytest.mark.parametrize("policy", ["drop_oldest", "drop_newest"])
def test_a_full_disk_drops_by_policy_counts_and_recovers(tmp_path: Path, policy: str) -> None:
    with small_disk(tmp_path / "disk", "1m") as disk:
        spool = Spool(disk / "spool.db", when_full=policy)  # type: ignore[arg-type]
        filler = disk / "filler"
        filler.write_bytes(b"\0" * 700_000)
        kept = 0
        while spool.append(latency_record(error="x" * 2000)):
            kept += 1
            assert kept < 10_000, "the disk never filled"
        assert spool.dropped_total >= 1
        first_seq_before = spool.pending(1)[0]["id"]
        for _ in range(20):  # the daemon goes on measuring: nothing raises
            spool.append(latency_record(error="x" * 2000))
        if policy == "drop_newest":
            assert spool.pending(1)[0]["id"] == first_seq_before
        assert spool.dropped_total >= 21 if policy == "drop_newest" else spool.dropped_total >= 1
        filler.unlink()  # space comes back
        record = latency_record()
        assert spool.append(record)
        assert record["id"] in {r["id"] for r in spool.pending(100_000)}
        spool.close()


def test_a_collector_asking_for_time_is_not_asked_again_sooner(tmp_path: Path) -> None:
    """429 with Retry-After: the uploader waits at least that long (not its own backoff of a
    second or two), once, and then delivers; and never longer than its own max_backoff."""
    import asyncio

    import structlog

    from tests.test_collector_api import configured_collector

    settings = "probe_requests_per_second: 0.25\nprobe_requests_burst: 1\n"
    with configured_collector(str(tmp_path / "netq.db"), tmp_path, settings) as collector:
        spool = Spool(tmp_path / "spool.db")
        records = [recent(), recent()]
        for record in records:
            spool.append(record)
        upload = Upload(url=collector.url, token=collector.token, batch=1, max_backoff=60)
        uploader = Uploader(spool, upload, ProbeMetrics("probe-1", "C-1", "pon"),
                            structlog.get_logger())

        async def until_delivered() -> float:
            started = time.monotonic()
            task = asyncio.create_task(uploader.run(interval_s=0.1))
            for _ in range(400):  # 20 s at most
                if not len(spool):
                    break
                await asyncio.sleep(0.05)
            task.cancel()
            return time.monotonic() - started

        took = asyncio.run(until_delivered())
        metrics = httpx.get(f"{collector.url}/metrics").text
    # the first record at once, the second told to come back in about 4 s
    assert took >= 3.5
    assert "netq_collector_rate_limited_requests_total 1.0" in metrics
    assert sorted(stored_ids(collector.db)) == sorted(str(r["id"]) for r in records)
