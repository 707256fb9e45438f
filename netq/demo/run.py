"""`netq demo`: the whole loop on this one machine, no set-up.

The node on loopback (an iperf3 server per probe and a STAMP reflector), the collector on the
embedded SQLite store, and Prometheus with netq's alert rules when it is installed. The demo
fleet is registered; the quarter so far is generated for it and delivered through the ingest
API; then three probe daemons measure the node for real, spooling and uploading. Last, sample
operator records go through the CSV import, the quarter is judged against thresholds.yaml, and
its public report is written (HTML, PDF, open data).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
import httpx
import yaml

from netq import progress
from netq.collector.compliance.quarter import Quarter, minsk_midnight
from netq.demo import history, live, operator
from netq.demo.fleet import FLEET, LIVE
from netq.demo.services import (
    collector_server,
    free_port,
    node_servers,
    prometheus_server,
)


def register_fleet(db: Path) -> dict[str, str]:
    """The fleet's connections in the registry and a token per probe; the tokens."""
    from netq.collector.store import Store

    store = Store.open(str(db))
    store.upsert_connections([line.connection for line in FLEET])
    tokens = {line.probe_id: store.create_token(line.probe_id, [line.connection.connection_id])
              for line in FLEET}
    store.close()
    return tokens


def load_history(url: str, tokens: dict[str, str], now: datetime) -> None:
    """The quarter so far of every line, generated and delivered through the ingest API."""
    # from a fortnight before the quarter, as if the fleet had been measured since: the
    # quarter before has data too, and so a report that is due
    first_day = Quarter.of(now).first_day - timedelta(days=14)
    start = minsk_midnight(first_day)
    batches = [(line.probe_id, history.quarter_so_far(line, start, now)) for line in FLEET]
    total = sum(len(records) for _, records in batches)
    click.echo(f"\nThe quarter so far, generated: {total:,} records of {len(FLEET)} "
               f"connections since {first_day} (a fortnight before the quarter), delivered "
               "through the ingest API")
    with progress.bar(total, "  delivering") as bar, httpx.Client(timeout=120) as client:
        for probe_id, records in batches:
            history.deliver(client, url, tokens[probe_id], records, bar.update)


def apply_plans(workdir: Path, db: Path, plans: dict[str, Any]) -> None:
    """The live probes' tests, as an operator gives them: a plans file, applied."""
    from netq.collector import plans as stored
    from netq.collector.store import Store
    from netq.fleet.plans import load

    path = workdir / "plans.yaml"
    path.write_text(yaml.safe_dump(plans, sort_keys=False))
    checked = load(path)
    store = Store.open(str(db))
    stored.apply(store, checked.plan_set, checked.source_sha256)
    store.close()
    ports = plans["servers"]["node"]["ports"]
    click.echo(f"\nTest plans: {path} applied (netq fleet plan apply); the probes take plan "
               + ", ".join(f"{name} {version}" for name, version in checked.versions.items())
               + f" from the collector, their speed tests in slots on {len(ports)} iperf3 ports")


@contextlib.contextmanager
def announced(workdir: Path, urls: dict[str, str]) -> Iterator[None]:
    """Where everything is: printed, and written to demo.json for scripts."""
    (workdir / "demo.json").write_text(json.dumps(urls, indent=2))
    width = max(len(name) for name in urls) + 2
    for name, where in urls.items():
        click.echo(f"  {name:<{width}} {where}")
    yield
    (workdir / "demo.json").unlink(missing_ok=True)


def run_demo(duration_s: float, workdir: Path, serve: bool) -> None:
    workdir.mkdir(parents=True, exist_ok=True)
    for old in [workdir / "netq.db", *workdir.glob("spool-*.db"), *workdir.glob("plan-*.json")]:
        old.unlink(missing_ok=True)
    db = workdir / "netq.db"
    tokens = register_fleet(db)
    iperf3_ports = [free_port() for _ in LIVE]
    metrics_ports = [free_port() for _ in LIVE]
    reflector_port, collector_port, prometheus_port = free_port(), free_port(), free_port()
    click.echo(f"netq demo: {len(FLEET)} connections, {len(LIVE)} of them measured for real on "
               f"loopback for {duration_s:g} s; then the quarter is judged and reported")
    with node_servers(iperf3_ports, reflector_port, workdir / "node.log"), \
            collector_server(db, collector_port, workdir) as collector, \
            prometheus_server(workdir, prometheus_port, collector_port,
                              metrics_ports) as prometheus:
        urls = {"collector API": f"{collector}/docs",
                "collector metrics": f"{collector}/metrics",
                **{f"probe {line.probe_id}": f"http://127.0.0.1:{port}/metrics"
                   for line, port in zip(LIVE, metrics_ports, strict=True)},
                "prometheus": prometheus or "not installed (apt-get install prometheus)",
                "store": str(db), "report": str(workdir / "report"),
                "logs": str(workdir / "*.log")}
        with announced(workdir, urls):
            load_history(collector, tokens, datetime.now(UTC))
            probes = [live.LiveProbe(line, tokens[line.probe_id], iperf3, metrics)
                      for line, iperf3, metrics in zip(LIVE, iperf3_ports, metrics_ports,
                                                       strict=True)]
            apply_plans(workdir, db, live.plans(iperf3_ports, reflector_port))
            configs = [live.probe_config(probe, workdir, collector) for probe in probes]
            click.echo(f"\nThe probes measure for {duration_s:g} s (Ctrl-C ends it early):")

            def afterwards() -> None:
                operator.summary(db)
                operator.judge_quarter(workdir)

            def serving() -> None:
                # Debian's Prometheus serves its classic UI, where the alerts are
                click.echo("\nServing: the probes go on measuring, the collector and "
                           "Prometheus stay up (URLs above; alerts at "
                           f"{prometheus or '-'}/classic/alerts). Stop with Ctrl-C.")

            asyncio.run(live.measure(configs, duration_s, serve, afterwards, serving))
    click.echo("\nnetq demo: stopped; everything it wrote is under " + str(workdir))
