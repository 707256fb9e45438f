"""`netq demo`: everything on this one machine, no set-up.

A STAMP reflector and an iperf3 server on loopback (the node), the collector on the
embedded SQLite store, and the probe daemon measuring against the node, spooling every
record and uploading it to the collector. Then sample operator records (support calls,
tickets, contracts, planned works) dated in the current quarter go through the same CSV
import an operator uses, and the quarter is judged against thresholds.yaml.
Last, the quarterly public report of that quarter: HTML, PDF and open data.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
import structlog

from netq.collector.compliance.quarter import MINSK
from netq.probe.config import parse
from netq.probe.daemon import Daemon


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_listening(port: int, kind: int = socket.SOCK_STREAM, timeout_s: float = 10) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket(socket.AF_INET, kind) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                return  # taken: the server is up
        time.sleep(0.05)
    raise click.ClickException(f"demo: nothing came up on 127.0.0.1:{port}")


@contextlib.contextmanager
def node_servers(iperf3_port: int, reflector_port: int) -> Iterator[None]:
    """The node side on loopback: iperf3 and the STAMP reflector."""
    if shutil.which("iperf3") is None:
        raise click.ClickException("the demo needs the iperf3 program: apt-get install iperf3 "
                                   "(scripts/setup does it)")
    servers = [
        subprocess.Popen(["iperf3", "--server", "--bind", "127.0.0.1", "--port",
                          str(iperf3_port)], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL),  # it complains of every TCP attempt
        subprocess.Popen([sys.executable, "-m", "netq", "reflector", "serve", "--listen",
                          f"127.0.0.1:{reflector_port}"]),
    ]
    try:
        wait_listening(iperf3_port)
        wait_listening(reflector_port, socket.SOCK_DGRAM)
        yield
    finally:
        for server in servers:
            server.terminate()
            server.wait()


@contextlib.contextmanager
def collector_server(db: Path, port: int) -> Iterator[str]:
    """The collector on the embedded store, with the demo's connection and probe registered;
    yields the probe's token."""
    from netq.collector.registry import FIRST_PERIOD, Connection
    from netq.collector.store import Store

    store = Store.open(str(db))
    store.upsert_connections([Connection("DEMO-0001", FIRST_PERIOD, "fixed", "pon", 100_000,
                                         50_000, "Минск", "demo-node", "com645")])
    token = store.create_token("demo-probe", ["DEMO-0001"])
    store.close()
    server = subprocess.Popen([sys.executable, "-m", "netq", "collector", "serve", "--db",
                               str(db), "--listen", f"127.0.0.1:{port}"])
    try:
        wait_listening(port)
        yield token
    finally:
        server.terminate()
        server.wait()


def demo_config(workdir: Path, iperf3_port: int, reflector_port: int,
                metrics_port: int, collector_port: int, token: str) -> dict[str, Any]:
    iperf3, reflector = f"127.0.0.1:{iperf3_port}", f"127.0.0.1:{reflector_port}"
    return {
        "probe_id": "demo-probe", "connection_id": "DEMO-0001", "technology": "pon",
        "tariff_down_kbps": 100_000, "tariff_up_kbps": 50_000,
        "spool": str(workdir / "spool.db"), "metrics_listen": f"127.0.0.1:{metrics_port}",
        "log_level": "warning", "availability_report_every": "30s",
        "collector": {"url": f"http://127.0.0.1:{collector_port}", "token": token,
                      "every": "5s", "batch": 100},
        "tests": [
            {"kind": "availability", "every": "5s",
             "target": ["127.0.0.1", f"127.0.0.2:{iperf3_port}"]},
            {"kind": "latency", "every": "10s", "target": reflector, "method": "udp",
             "count": 100, "interval": 0.02},
            {"kind": "latency", "every": "10s", "target": "127.0.0.1", "count": 100,
             "interval": 0.02},
            {"kind": "throughput", "every": "20s", "target": iperf3, "direction": "down",
             "duration": 3, "omit": 1},
            {"kind": "throughput", "every": "20s", "target": iperf3, "direction": "up",
             "duration": 3, "omit": 1},
            {"kind": "attempt", "every": "10s", "target": iperf3},
        ],
    }


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


def run_demo(duration_s: float, workdir: Path) -> None:
    workdir.mkdir(parents=True, exist_ok=True)
    for name in ("spool.db", "netq.db"):
        (workdir / name).unlink(missing_ok=True)
    ports = {"iperf3_port": free_port(), "reflector_port": free_port(),
             "metrics_port": free_port(), "collector_port": free_port()}
    click.echo(f"netq demo: the probe measures a lab on loopback for {duration_s:g} s and "
               "uploads to the collector")
    click.echo(f"  probe metrics      http://127.0.0.1:{ports['metrics_port']}/metrics")
    click.echo(f"  collector API      http://127.0.0.1:{ports['collector_port']}/openapi.json")
    click.echo(f"  collector metrics  http://127.0.0.1:{ports['collector_port']}/metrics")
    click.echo(f"  store              {workdir / 'netq.db'}")
    click.echo("  stop               Ctrl-C")
    with node_servers(ports["iperf3_port"], ports["reflector_port"]), \
            collector_server(workdir / "netq.db", ports["collector_port"]) as token:
        config = parse(demo_config(workdir, token=token, **ports), "demo")
        daemon = Daemon(config, structlog.get_logger("netq.demo"))
        kept = daemon.keep

        def keep_and_show(record: Any) -> None:
            kept(record)
            doc = record.to_json()
            state = "ok " if doc["ok"] else "ERR"
            click.echo(f"  {doc['ended_at'][11:19]} {state} {doc['kind']:<12} "
                       f"{summary_line(doc)}{'  ' + doc['error'] if doc['error'] else ''}")

        daemon.keep = keep_and_show  # type: ignore[method-assign]
        asyncio.run(run_for(daemon, duration_s))
        asyncio.run(final_upload(config))
    summary(workdir / "netq.db")
    judge_quarter(workdir)


async def final_upload(config: Any) -> None:
    """What the probe made after its last upload goes to the collector before it stops."""
    import httpx

    from netq.probe.metrics import ProbeMetrics
    from netq.probe.spool import Spool
    from netq.probe.upload import Uploader

    upload = config.collector
    spool = Spool(config.spool)
    uploader = Uploader(spool, upload.url, upload.secret(), upload.batch, upload.timeout,
                        upload.max_backoff, ProbeMetrics("demo", "demo", "pon"),
                        structlog.get_logger("netq.demo"))
    async with httpx.AsyncClient(timeout=upload.timeout) as client:
        await uploader.drain(client)
    spool.close()


def summary(db: Path) -> None:
    from sqlalchemy import text

    from netq.collector.store import Store

    store = Store.open(str(db))
    with store.engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT kind, ok, count(*) FROM results GROUP BY kind, ok ORDER BY kind, ok")).all()
    store.close()
    click.echo(f"\n{sum(n for _, _, n in rows)} records in the collector's store {db}:")
    for kind, ok, n in rows:
        click.echo(f"  {kind:<12} {'ok' if ok else 'failed':<6} {n}")


def sample_records(now: datetime) -> dict[str, str]:
    """A few operator records of each kind, dated in the quarter of `now` (Minsk time)."""
    day = now.astimezone(MINSK).replace(hour=10, minute=0, second=0, microsecond=0)
    first = day - timedelta(days=1) if day.day > 1 else day  # still this quarter

    def at(offset: timedelta = timedelta()) -> str:
        return f"{first + offset:%Y-%m-%d %H:%M:%S}"

    calls = [f"demo-call-{i},{at()},{at(timedelta(seconds=40 * i))}" for i in range(1, 9)]
    return {
        "calls": "\n".join(["call_id,offered_at,answered_at", *calls,
                            f"demo-call-9,{at()},"]) + "\n",  # 320 s and abandoned: late
        "tickets": "ticket_id,connection_id,registered_at,restored_at,fault\n"
                   f"demo-ticket-1,DEMO-0001,{at()},{at(timedelta(hours=5))},operator\n",
        "contracts": "contract_id,connection_id,registered_on,promised_days,activated_on\n"
                     f"demo-contract-1,DEMO-0001,{first:%Y-%m-%d},10,{first:%Y-%m-%d}\n",
        "planned-works": "work_id,announced_at,starts_at,ends_at,nodes\n"
                         f"demo-work-1,{at(timedelta(days=-2))},{at()},"
                         f"{at(timedelta(hours=1))},demo-node\n",
    }


def judge_quarter(workdir: Path) -> None:
    """Import the sample operator records as CSV, then judge the current quarter."""
    from netq.collector.compliance.cli import table
    from netq.collector.compliance.engine import compliance
    from netq.collector.compliance.quarter import Quarter
    from netq.collector.compliance.records import import_csv
    from netq.collector.store import Store

    now = datetime.now(UTC)
    store = Store.open(str(workdir / "netq.db"))
    click.echo("\nThe operator's records (sample CSV files, imported as an operator would):")
    for kind, text in sample_records(now).items():
        path = workdir / f"{kind}.csv"
        path.write_text(text, "utf-8")
        with path.open(encoding="utf-8", newline="") as lines:
            result = import_csv(store.engine, kind, lines, str(path))
        click.echo(f"  {kind:<14} {result.inserted + result.updated + result.unchanged} "
                   f"stored, {len(result.rejected)} rejected")
    quarter = Quarter.of(now)
    click.echo(f"\nCompliance, {quarter} so far (netq compliance --quarter {quarter} "
               f"--db {workdir / 'netq.db'}):")
    for line in table(compliance(store, quarter)):
        click.echo(f"  {line}")
    write_report(store, quarter, workdir / "report")
    store.close()


def write_report(store: Any, quarter: Any, out: Path) -> None:
    """The quarterly public report of the demo quarter, as an operator would publish it."""
    from netq.reports import quarterly

    context = quarterly.build(store, quarter)
    formats = ["html", "pdf", "csv", "json"]
    paths = quarterly.write(context, formats, out)
    quarterly.record(store, context, tuple(formats))
    click.echo(f"\nThe quarterly report (netq report quarterly --quarter {quarter} ...):")
    for path in paths:
        click.echo(f"  {path}")


async def run_for(daemon: Daemon, duration_s: float) -> None:
    stop = asyncio.Event()
    asyncio.get_running_loop().call_later(duration_s, stop.set)
    with contextlib.suppress(KeyboardInterrupt):
        await daemon.run(stop)


@click.command()
@click.option("--duration", default=60.0, show_default=True, help="seconds to measure")
@click.option("--workdir", default="./netq-demo", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="where the demo writes")
def demo(duration: float, workdir: Path) -> None:
    """Run netq on this machine, no set-up: the probe measuring a loopback lab, the collector
    storing its results, the current quarter judged against thresholds.yaml, and its report."""
    run_demo(duration, workdir)
