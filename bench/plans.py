"""Plan requests of a fleet: N probes, each with its own token and connection, each asking
`GET /api/v1/plan` once per poll period (at its own random offset, with the version it runs,
as the probe does), beside the same requests to `/healthz` (no token, no store: the
server's own floor).

    .venv/bin/python bench/plans.py --probes 10000 --poll 300 --seconds 60 [--postgresql]

At `--poll` 300 s, 10 000 probes ask about 33 times a second. Prints latency percentiles of
both and their ratio. Target: p99 < 200 ms. The load generator runs on the same 2 cores as
the collector.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.fleet import enrol
from tests.lab import free_port
from tests.pg import create_database, postgres_server
from tests.test_collector_api import start_collector

REGIONS = ("Minsk", "Brest", "Grodno", "Gomel", "Mogilev", "Vitebsk")


def apply_plans(db: str, workdir: Path) -> None:
    """One plan per region (the fleet's registry rows are all in Minsk: the first matches
    after five misses), and one for everyone."""
    test = {"kind": "latency", "every": "15m", "target": "192.0.2.1:862", "method": "udp"}
    plans = [{"name": f"pon-{r.lower()}", "match": {"technology": "pon", "region": r},
              "tests": [test]} for r in reversed(REGIONS)]
    path = workdir / "plans.yaml"
    path.write_text(yaml.safe_dump({"poll_every": "5m", "limits": {"targets": ["192.0.2.0/24"]},
                                    "plans": [*plans, {"name": "all", "tests": [test]}]}))
    subprocess.run([sys.executable, "-m", "netq", "fleet", "plan", "apply", str(path), "--db",
                    db], check=True, capture_output=True)


async def poller(client: httpx.AsyncClient, url: str, token: str | None, poll: float,
                 until: float, latencies: list[float], failures: list[str]) -> None:
    first = time.perf_counter() + random.uniform(0, poll)
    if first >= until:
        return  # its first request would come after the measurement
    await asyncio.sleep(first - time.perf_counter())
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    while time.perf_counter() < until:
        began = time.perf_counter()
        try:
            answer = await client.get(url, headers=headers)
            if answer.status_code not in (200, 304):
                failures.append(str(answer.status_code))
            elif answer.status_code == 200 and token is not None:
                headers["If-None-Match"] = answer.headers["etag"]
        except httpx.HTTPError as exc:
            failures.append(type(exc).__name__)
        latencies.append(time.perf_counter() - began)
        if began + poll >= until:
            return
        await asyncio.sleep(max(0.0, began + poll - time.perf_counter()))


async def load(url: str, tokens: list[str | None], poll: float,
               seconds: float) -> tuple[list[float], list[str]]:
    latencies: list[float] = []
    failures: list[str] = []
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        until = time.perf_counter() + seconds
        await asyncio.gather(*(poller(client, url, t, poll, until, latencies, failures)
                               for t in tokens))
    return latencies, failures


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--probes", type=int, default=10_000)
    parser.add_argument("--poll", type=float, default=300, help="seconds between a probe's "
                                                                "requests")
    parser.add_argument("--seconds", type=float, default=60, help="how long to measure")
    parser.add_argument("--postgresql", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        if args.postgresql:
            with postgres_server(workdir / "pg") as url:
                run(create_database(url), workdir, args)
        else:
            run(str(workdir / "netq.db"), workdir, args)


def run(db: str, workdir: Path, args: argparse.Namespace) -> None:
    tokens = [token for _, token in enrol(db, args.probes)]
    apply_plans(db, workdir)
    port = free_port()
    collector = start_collector(db, port, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        rate = args.probes / args.poll
        print(f"{args.probes} probes, one request each per {args.poll:g} s: "
              f"{rate:.1f} requests/s for {args.seconds:g} s")
        plan, plan_failures = asyncio.run(load(f"{base}/api/v1/plan", list(tokens), args.poll,
                                               args.seconds))
        floor, floor_failures = asyncio.run(load(f"{base}/healthz", [None] * args.probes,
                                                 args.poll, args.seconds))
    finally:
        collector.terminate()
        collector.wait(10)
    print(f"{'':12} {'requests':>9} {'failed':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for name, values, failed in (("plan", plan, plan_failures),
                                 ("healthz", floor, floor_failures)):
        print(f"{name:12} {len(values):9d} {len(failed):7d} "
              f"{percentile(values, 0.5) * 1000:8.1f} {percentile(values, 0.95) * 1000:8.1f} "
              f"{percentile(values, 0.99) * 1000:8.1f}")
    print(f"ratio p99 plan/healthz: "
          f"{percentile(plan, 0.99) / percentile(floor, 0.99):.1f}")


if __name__ == "__main__":
    main()
