"""One probe's token must not be able to exhaust the collector: bodies made of millions of
empty objects are refused before they are parsed, the bodies in the collector's hands at once
are bounded (503 with Retry-After beyond), and each probe has a request rate over every
endpoint (429 with Retry-After beyond). A real collector on loopback, its memory read from
/proc, and under the packaged unit's MemoryMax read from the kernel."""

from __future__ import annotations

import asyncio
import gzip
import time
from pathlib import Path

import httpx
import pytest

from tests.cgroup import memory_limited, memory_max
from tests.records import latency_record
from tests.test_collector_api import configured_collector

pytestmark = pytest.mark.slow  # a collector started for each test

# one record padded to just under 8 MiB of JSON once inflated: about 2.8 million empty
# objects, 137 kB gzipped
_HEAD, _TAIL = b'[{"padding":[', b"{}]}]"
BOMB = gzip.compress(_HEAD + b"{}," * ((8 * 2**20 - 1 - len(_HEAD) - len(_TAIL)) // 3) + _TAIL, 9)


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def collector_pid(port: int) -> int:
    for status in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = status.read_bytes().split(b"\0")
        except OSError:
            continue
        if b"collector" in argv and b"serve" in argv and f"127.0.0.1:{port}".encode() in argv:
            return int(status.parent.name)
    raise AssertionError("the collector's process is not found")


@pytest.mark.root  # a memory cgroup of the test's
def test_sixteen_gzip_bombs_at_once_are_refused_within_bounded_memory(
        tmp_path: Path) -> None:
    """Before: 16 of these took the collector from 280 MB to 2.8 GB and stalled /healthz
    14 s; the packaged unit's MemoryMax (2G) had the kernel kill it."""
    with configured_collector(str(tmp_path / "netq.db"), tmp_path, "") as collector:
        port = int(collector.url.rsplit(":", 1)[1])
        pid = collector_pid(port)
        before = peak_rss_mb(pid)
        headers = {"Authorization": f"Bearer {collector.token}",
                   "Content-Type": "application/json", "Content-Encoding": "gzip"}

        async def attack() -> tuple[list[int], float]:
            async with httpx.AsyncClient(timeout=60) as client:
                started = time.monotonic()
                sent = [client.post(f"{collector.url}/api/v1/results", content=BOMB,
                                    headers=headers) for _ in range(16)]
                health = client.get(f"{collector.url}/healthz")
                answers = await asyncio.gather(*sent, health)
                return [a.status_code for a in answers], time.monotonic() - started

        limit = memory_max("netq-collector.service")
        with memory_limited(pid, limit) as kernel:
            codes, seconds = asyncio.run(attack())
            assert kernel.oom_kills == 0, "the kernel killed the collector at its MemoryMax"
            assert kernel.peak_bytes < limit / 4, f"{kernel.peak_bytes / 2**20:.0f} MiB"
        assert codes[-1] == 200
        assert set(codes[:-1]) <= {413, 503}, codes
        assert 413 in codes
        assert seconds < 10
        grown = peak_rss_mb(pid) - before
        assert grown < 300, f"the collector grew {grown:.0f} MB"
        ok = collector.post([latency_record()])
        assert ok.status_code == 200, ok.text  # and it still takes a real batch


def test_a_probe_asking_faster_than_its_rate_is_told_when_to_ask_again(
        tmp_path: Path) -> None:
    settings = "probe_requests_per_second: 1\nprobe_requests_burst: 3\n"
    with configured_collector(str(tmp_path / "netq.db"), tmp_path, settings) as collector:
        auth = {"Authorization": f"Bearer {collector.token}"}
        codes = [httpx.get(f"{collector.url}/api/v1/plan", headers=auth).status_code
                 for _ in range(4)]
        assert codes == [404, 404, 404, 429]
        limited = httpx.get(f"{collector.url}/api/v1/plan", headers=auth)
        assert limited.status_code == 429
        assert limited.headers["retry-after"] == "1"
        time.sleep(1.1)
        assert httpx.get(f"{collector.url}/api/v1/plan", headers=auth).status_code == 404
        metrics = httpx.get(f"{collector.url}/metrics").text
        assert "netq_collector_rate_limited_requests_total 2.0" in metrics


def test_bodies_beyond_the_bytes_in_flight_wait_for_their_turn(tmp_path: Path) -> None:
    """One batch's body arriving slowly holds its share; another beside it, over the bound,
    is answered 503 with Retry-After, and taken when sent again."""
    settings = "max_inflight_bytes: 4096\n"
    with configured_collector(str(tmp_path / "netq.db"), tmp_path, settings) as collector:
        body = ("[" + ",".join(f'{{"pad": "{"x" * 90}"}}' for _ in range(40)) + "]").encode()
        headers = {"Authorization": f"Bearer {collector.token}",
                   "Content-Type": "application/json"}

        async def slowly() -> object:
            for start in range(0, len(body), 512):
                yield body[start:start + 512]
                await asyncio.sleep(0.2)

        async def both() -> tuple[int, httpx.Response]:
            async with httpx.AsyncClient(timeout=30) as client:
                first = asyncio.create_task(client.post(
                    f"{collector.url}/api/v1/results", content=slowly(),
                    headers={**headers, "Content-Length": str(len(body))}))
                await asyncio.sleep(0.3)
                second = await client.post(f"{collector.url}/api/v1/results", content=body,
                                           headers=headers)
                return (await first).status_code, second

        first, second = asyncio.run(both())
        assert first == 422  # taken and judged: these are not records
        assert second.status_code == 503
        assert second.headers["retry-after"] == "5"
        again = collector.post(None, raw=body)
        assert again.status_code == 422
