"""Hostile requests against a running collector, on each back end: refused whole with a 4xx
that says why, or answered per record; never a 500, and the server keeps serving."""

from __future__ import annotations

import contextlib
import gzip
import json
import resource
import socket
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from netq.collector.store import Store
from tests.lab import free_port, wait_for
from tests.records import latency_record
from tests.test_collector_api import Collector, collector, configured_collector, start_collector

pytestmark = pytest.mark.slow  # a collector started for each test

__all__ = ["collector"]  # the fixture, shared with the API's own tests


def test_a_body_that_is_not_json_by_its_type_is_415(collector: Collector) -> None:
    response = collector.post([latency_record()], headers={"Content-Type": "text/plain"})
    assert response.status_code == 415
    assert "application/json" in response.json()["detail"]
    assert collector.stored() == 0


def test_a_gzip_body_is_read_and_a_gzip_bomb_is_413(collector: Collector) -> None:
    body = gzip.compress(json.dumps([latency_record()]).encode())
    response = collector.post(None, raw=body, headers={"Content-Encoding": "gzip"})
    assert (response.status_code, response.json()["accepted"]) == (200, 1)
    bomb = gzip.compress(b"[" + b" " * 50_000_000 + b"]")  # 50 kB on the wire
    response = collector.post(None, raw=bomb, headers={"Content-Encoding": "gzip"})
    assert response.status_code == 413
    response = collector.post(None, raw=b"not gzip", headers={"Content-Encoding": "gzip"})
    assert response.status_code == 400
    response = collector.post(None, raw=body, headers={"Content-Encoding": "br"})
    assert response.status_code == 415


def test_json_nested_thousands_deep_is_400(collector: Collector) -> None:
    response = collector.post(None, raw=b"[" * 100_000 + b"]" * 100_000)
    assert response.status_code in (400, 413)
    # deeper than Python's recursion limit, in fewer objects than a batch may hold
    response = collector.post(None, raw=b"[" + b'{"a":' * 1200 + b"1" + b"}" * 1200 + b"]")
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]
    # far more objects than the batch's records could hold: refused before it is parsed
    response = collector.post(None, raw=b"[" + b"{}," * 2000 + b"{}]")
    assert response.status_code == 413
    assert "JSON objects and arrays in one body" in response.json()["detail"]


def test_nan_on_the_wire_is_that_records_rejection(collector: Collector) -> None:
    good = json.dumps(latency_record()).encode()
    bad = good.replace(b'"jitter_ms": 1.2', b'"jitter_ms": NaN')
    assert bad != good
    response = collector.post(None, raw=b"[" + bad + b"," + good + b"]")
    assert response.status_code == 422
    statuses = [r["status"] for r in response.json()["results"]]
    assert statuses == ["rejected", "accepted"]
    assert collector.stored() == 1


def test_readyz_says_not_ready_when_the_store_cannot_write(collector: Collector) -> None:
    assert httpx.get(f"{collector.url}/readyz").status_code == 200
    store = Store.open(collector.db)
    with store.engine.begin() as db:  # reads still work; its write check's cannot
        db.execute(text("ALTER TABLE readiness RENAME TO readiness_away"))
    store.close()
    response = httpx.get(f"{collector.url}/readyz")
    assert response.status_code == 503
    assert "cannot be written" in response.json()["detail"]


def test_idle_connections_are_closed_and_cannot_lock_a_probe_out(db_url: str,
                                                                 tmp_path: Path) -> None:
    """1 100 idle sockets against a collector started with a 1024 soft limit."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard < 4096:
        pytest.skip(f"the hard open-files limit here is {hard}")
    idle: list[socket.socket] = []
    with configured_collector(db_url, tmp_path, "idle_timeout: 3\n", preexec_fn=lambda: (
            resource.setrlimit(resource.RLIMIT_NOFILE, (1024, hard)))) as probe:
        resource.setrlimit(resource.RLIMIT_NOFILE, (4096, hard))  # this test's own sockets
        port = int(probe.url.rsplit(":", 1)[1])
        for _ in range(1100):
            idle.append(socket.create_connection(("127.0.0.1", port)))
        response = probe.post([latency_record()])
        assert (response.status_code, response.json()["accepted"]) == (200, 1)
        time.sleep(4)  # past idle_timeout: the server has hung up on every idle socket
        for sock in idle[:50]:
            sock.settimeout(2)
            assert sock.recv(1) == b""
    for sock in idle:
        sock.close()


def test_the_open_files_limit_is_raised_at_start(db_url: str) -> None:
    port = free_port()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    process = start_collector(db_url, port, preexec_fn=lambda: resource.setrlimit(
        resource.RLIMIT_NOFILE, (1024, hard)))
    try:
        limits = Path(f"/proc/{process.pid}/limits").read_text()
        line = next(x for x in limits.splitlines() if x.startswith("Max open files"))
        assert line.split()[3] == str(hard), line
    finally:
        process.terminate()
        process.wait(10)


def test_serve_survives_a_client_that_hangs_up_mid_body(collector: Collector) -> None:
    host, port = collector.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall(b"POST /api/v1/results HTTP/1.1\r\nHost: x\r\nContent-Length: 9999\r\n"
                     b"Content-Type: application/json\r\n\r\n[{")
    wait_for(lambda: httpx.get(f"{collector.url}/healthz").status_code == 200, "collector")
    assert collector.post([latency_record()]).status_code == 200


def test_a_client_sending_a_byte_at_a_time_is_cut_off(db_url: str, tmp_path: Path) -> None:
    with configured_collector(db_url, tmp_path, "idle_timeout: 30\nread_timeout: 2\n") as probe:
        port = int(probe.url.rsplit(":", 1)[1])
        request = (b"POST /api/v1/results HTTP/1.1\r\nHost: x\r\nContent-Type: "
                   b"application/json\r\nContent-Length: 9999\r\n\r\n[{")
        for stop in (40, len(request)):  # in the headers, then in the body
            with socket.create_connection(("127.0.0.1", port)) as sock:
                began = time.monotonic()
                with contextlib.suppress(OSError):  # the server hangs up mid-send
                    for byte in request[:stop]:
                        sock.sendall(bytes([byte]))
                        time.sleep(0.05)
                    sock.settimeout(10)
                    assert sock.recv(1) == b""
                assert time.monotonic() - began < 8
        assert probe.post([latency_record()]).status_code == 200
