"""The one console script, `netq`, with a subcommand per role."""

from __future__ import annotations

import re
from importlib.metadata import PackageNotFoundError, requires
from typing import Any

import click

from netq import __version__
from netq.errors import NetqError
from netq.logging import configure


def extra_providing(module: str) -> str | None:
    """The extra of netq's package metadata that installs `module`, if any does."""
    try:
        requirements = requires("netq") or []
    except PackageNotFoundError:
        return None
    wanted = module.split(".")[0].lower()
    for requirement in requirements:
        name = re.match(r"[A-Za-z0-9._-]+", requirement)
        extra = re.search(r'extra == "(\w+)"', requirement)
        if name and extra and extra[1] not in ("test", "all") and \
                re.sub(r"[-.]", "_", name[0].lower()) == wanted:
            return extra[1]
    return None


class Netq(click.Group):
    """The roles share one command; a role whose extra is not installed says which it is, and
    a user's mistake is one message and exit status 1, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except NetqError as exc:
            raise click.ClickException(str(exc)) from None
        except ModuleNotFoundError as exc:
            extra = extra_providing(exc.name or "")
            if extra is None:
                raise
            raise click.ClickException(
                f"this command needs {exc.name}, from netq's {extra} extra: "
                f"pip install 'netq[{extra}]' (the Debian package netq-server has every "
                "extra)") from None


EPILOG = """Exit status: 0 when the command did what it was asked; 1 when it ran and something
failed, said on stderr (a test that did not succeed, rows or records rejected, a report that
is late, a file or store that cannot be used); 2 when the command line is wrong. Long work
shows its progress on stderr when that is a terminal. Documentation: docs/ in the repository,
/usr/share/doc/netq-probe/ and /usr/share/doc/netq-server/ with the Debian packages."""


@click.group(cls=Netq, epilog=EPILOG,
             context_settings={"help_option_names": ["-h", "--help"]})
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
    from netq.fleet.cli import fleet
    from netq.probe.cli import probe, reflector
    from netq.reports.cli import report

    main.add_command(collector)
    main.add_command(connections)
    main.add_command(compliance)
    main.add_command(records)
    main.add_command(probe)
    main.add_command(reflector)
    main.add_command(demo)
    main.add_command(fleet)
    main.add_command(report)


_register()
