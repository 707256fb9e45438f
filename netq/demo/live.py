"""The demo's live probes: one probe daemon per live line, all in this process, measuring the
loopback node for real, spooling and uploading like any probe."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import httpx
import structlog

from netq.demo.fleet import Line
from netq.probe.config import Config, parse
from netq.probe.daemon import Daemon
from netq.probe.upload import Uploader


@dataclass(frozen=True)
class LiveProbe:
    line: Line
    token: str
    iperf3_port: int
    metrics_port: int


# the demo's own envelope (probe.yaml and the plans file alike): loopback only, and periods
# far below what a subscriber's line would bear, so that a few minutes show every kind
DEMO_LIMITS: dict[str, Any] = {
    "targets": ["127.0.0.0/8"],
    "every_min": {"availability": 5, "latency": 10, "throughput": 20, "attempt": 10},
    "speed_tests_per_day": 8_640, "bytes_per_day": 1e12}


def plans(iperf3_ports: list[int], reflector_port: int) -> dict[str, Any]:
    """The demo's plans file: every live probe runs the node's plan, its speed tests in slots
    on the node's iperf3 ports."""
    first = f"127.0.0.1:{iperf3_ports[0]}"
    return {
        "poll_every": "10s",
        "servers": {"node": {"host": "127.0.0.1", "ports": iperf3_ports}},
        "limits": DEMO_LIMITS,
        "plans": [{"name": "demo-node", "tests": [
            {"kind": "availability", "every": "5s",
             "target": ["127.0.0.1"], "off_net": [f"127.0.0.2:{iperf3_ports[0]}"]},
            {"kind": "latency", "every": "10s", "target": f"127.0.0.1:{reflector_port}",
             "method": "udp", "count": 100, "interval": 0.02},
            {"kind": "latency", "every": "10s", "target": "127.0.0.1", "count": 100,
             "interval": 0.02},
            # loopback has no rate of its own: unbounded, the probes' CPU would be what
            # they measure (and they would say so: probe_overloaded); 100 Mbit/s offered
            # stands in for a shaped line
            {"kind": "throughput", "every": "20s", "server": "node", "direction": "down",
             "duration": 3, "omit": 1, "bitrate": 100e6},
            {"kind": "throughput", "every": "20s", "server": "node", "direction": "up",
             "duration": 3, "omit": 1, "bitrate": 100e6},
            {"kind": "attempt", "every": "10s", "target": first},
        ]}],
    }


def probe_config(probe: LiveProbe, workdir: Path, collector_url: str) -> Config:
    """A probe that gets its tests from the collector's plans."""
    connection = probe.line.connection
    return parse({
        "probe_id": probe.line.probe_id, "connection_id": connection.connection_id,
        "technology": connection.technology,
        "spool": str(workdir / f"spool-{probe.line.probe_id}.db"),
        "plan_cache": str(workdir / f"plan-{probe.line.probe_id}.json"),
        "metrics_listen": f"127.0.0.1:{probe.metrics_port}",
        "log_level": "warning", "availability_report_every": "30s", "limits": DEMO_LIMITS,
        "collector": {"url": collector_url, "token": probe.token, "every": "5s", "batch": 100,
                      "plan_every": "1s"},
    }, f"demo probe {probe.line.probe_id}")


def summary_line(record: dict[str, Any]) -> str:
    m = record["metrics"]
    if record["kind"] == "latency" and m.get("rtt_ms"):
        return (f"{m['method']} mean {m['rtt_ms']['mean']:.3f} ms, "
                f"loss {m['loss_ratio']:.1%} of {m['sent']}")
    if record["kind"] == "throughput":
        return f"{m['direction']} {m['bits_per_second'] / 1e6:,.1f} Mbit/s ({m['ended']})"
    if record["kind"] == "availability":
        return f"{'up' if m['up'] else 'DOWN'} over {m['checks']} checks"
    if record["kind"] == "attempt":
        return f"{m['phase']} in {m['duration_ms']:.1f} ms"
    return ""


class Shown(Daemon):
    """A probe daemon that also prints each record as it is spooled, while `showing`."""

    showing = True

    def keep(self, record: Any) -> None:
        super().keep(record)
        if not self.showing:
            return
        doc = record.to_json()
        state = "ok " if doc["ok"] else "ERR"
        click.echo(f"  {doc['ended_at'][11:19]} {doc['probe_id']:<13} {state} "
                   f"{doc['kind']:<12} {summary_line(doc)}"
                   f"{'  ' + doc['error'] if doc['error'] else ''}")


async def final_upload(config: Config) -> None:
    """What a probe made after its last upload goes to the collector before it stops."""
    from netq.probe.metrics import ProbeMetrics
    from netq.probe.spool import Spool

    upload = config.collector
    assert upload is not None
    spool = Spool(config.spool)
    uploader = Uploader(spool, upload,
                        ProbeMetrics(config.probe_id, config.connection_id, config.technology),
                        structlog.get_logger("netq.demo"))
    async with httpx.AsyncClient(timeout=upload.timeout) as client:
        await uploader.drain(client)
    spool.close()


async def measure(configs: list[Config], duration_s: float, serve: bool,
                  afterwards: Callable[[], None], serving: Callable[[], None]) -> None:
    """The probes measure for `duration_s` (Ctrl-C ends that early), then `afterwards` runs.
    Without `serve` the probes stop and deliver everything first; with it they go on
    measuring, and everything runs until Ctrl-C."""
    loop = asyncio.get_running_loop()
    interrupted = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, interrupted.set)
    stop = asyncio.Event()
    log = structlog.get_logger("netq.demo")
    daemons = [Shown(config, log) for config in configs]
    probes = [asyncio.create_task(daemon.run(stop)) for daemon in daemons]
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(duration_s):
            await interrupted.wait()
    for daemon in daemons:
        daemon.showing = False
    done = False
    if serve and not interrupted.is_set():
        await asyncio.to_thread(afterwards)  # the probes go on measuring meanwhile
        done = True
        serving()
        await interrupted.wait()
    stop.set()
    await asyncio.gather(*probes)
    for config in configs:
        await final_upload(config)
    if not done:
        afterwards()
