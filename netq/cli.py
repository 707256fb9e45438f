"""The one console script, `netq`, with a subcommand per role."""

from __future__ import annotations

import click

from netq import __version__
from netq.logging import configure


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="netq")
@click.option("--log-level", default="warning", show_default=True,
              type=click.Choice(["debug", "info", "warning", "error"]), envvar="NETQ_LOG_LEVEL")
def main(log_level: str) -> None:
    """netq: network quality measurement and compliance (STB 1962-2012, CoM resolution No 645)."""
    configure(log_level)


def _register() -> None:
    from netq.collector.cli import collector, connections
    from netq.collector.compliance.cli import compliance, records
    from netq.demo.command import demo
    from netq.probe.cli import probe, reflector
    from netq.reports.cli import report

    main.add_command(collector)
    main.add_command(connections)
    main.add_command(compliance)
    main.add_command(records)
    main.add_command(probe)
    main.add_command(reflector)
    main.add_command(demo)
    main.add_command(report)


_register()
