"""The `netq demo` command; what it runs is in netq.demo.run, imported only when it runs so
that the probe's start-up stays lean."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.option("--duration", default=60.0, show_default=True,
              help="seconds the probes measure before the quarter is judged")
@click.option("--workdir", default="./netq-demo", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="where the demo writes")
@click.option("--serve", is_flag=True,
              help="after the report, keep everything running (probes, collector, "
                   "Prometheus) until Ctrl-C, for the dashboards and alerts")
def demo(duration: float, workdir: Path, serve: bool) -> None:
    """Run netq on this machine, no set-up: probes measuring a loopback node, the collector
    storing their results and a generated quarter so far, Prometheus with the alert rules,
    the quarter judged against thresholds.yaml, and its public report.

    \b
    Example:
      netq demo
      netq demo --duration 120 --serve
    """
    from netq.demo.run import run_demo

    run_demo(duration, workdir, serve)
