"""The one console script, `netq`, with a subcommand per role."""

from __future__ import annotations

import errno
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


class Unusable(click.ClickException):
    """The environment is not usable: one line on stderr, exit status 3."""

    exit_code = 3


# what an operator does about a file system's refusal
REMEDIES = {errno.EACCES: "check its owner and mode, or choose another place",
            errno.EPERM: "check its owner and mode, or choose another place",
            errno.EROFS: "the file system is read-only: choose another place",
            errno.ENOSPC: "the disk is full: free some space",
            errno.ENOTDIR: "a part of the path is a file, not a folder",
            errno.ENOENT: "check the path"}


class Netq(click.Group):
    """The roles share one command; a role whose extra is not installed says which it is, and
    a user's mistake, a store or a file system that refuses, and Ctrl-C are each one line and
    an exit status (docs/design.md), never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except NetqError as exc:
            raise (Unusable if exc.exit_code == Unusable.exit_code else click.ClickException)(
                str(exc)) from None
        except ModuleNotFoundError as exc:
            extra = extra_providing(exc.name or "")
            if extra is None:
                raise
            raise click.ClickException(
                f"this command needs {exc.name}, from netq's {extra} extra: "
                f"pip install 'netq[{extra}]' (the Debian package netq-server has every "
                "extra)") from None
        except OSError as exc:
            if exc.filename is None:  # a socket or a peer, not a file: the system's words
                raise Unusable(f"refused by the system: {exc}") from None
            remedy = REMEDIES.get(exc.errno or 0)
            raise Unusable(f"cannot use {exc.filename}: {exc.strerror or exc}"
                           + (f" ({remedy})" if remedy else "")) from None
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            raise click.exceptions.Exit(130) from None
        except Exception as exc:
            if type(exc).__module__.startswith("sqlalchemy") and \
                    type(exc).__name__ == "OperationalError":
                raise Unusable(store_trouble(exc)) from None
            raise


def store_trouble(exc: Exception) -> str:
    """The database's refusal in one line: a locked SQLite file, or the driver's first
    line (which names no password)."""
    first = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    if "database is locked" in first:
        return ("the store is locked by another writer (a collector or an import): try "
                "again when it has finished")
    return f"the store refused: {first}"


EPILOG = """Exit status: 0 when the command did what it was asked; 1 when it ran and something
failed, said on stderr (a test that did not succeed, rows or records rejected, a report that
is late, a file with a mistake); 2 when the command line is wrong; 3 when the environment is
not usable (a store that is not there, locked or unreachable, a folder that cannot be
written); 130 when interrupted (Ctrl-C). Long work shows its progress on stderr when that is a
terminal. Documentation: docs/ in the repository,
/usr/share/doc/netq-probe/ and /usr/share/doc/netq-server/ with the Debian packages."""


@click.group(cls=Netq, epilog=EPILOG,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="netq")
@click.option("--log-level", default="warning", show_default=True,
              type=click.Choice(["debug", "info", "warning", "error"]), envvar="NETQ_LOG_LEVEL")
def main(log_level: str) -> None:
    """netq: network quality measurement and compliance (STB 1962-2012, CoM resolution No 645)."""
    configure(log_level)


@main.command()
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell: str) -> None:
    """Print the completion script of SHELL: commands, options and choices complete on Tab.
    The Debian packages install it for all three; by hand, for one user:

    \b
    Example:
      netq completion bash > ~/.local/share/bash-completion/completions/netq
      netq completion zsh > ~/.zfunc/_netq      # with fpath+=~/.zfunc before compinit
      netq completion fish > ~/.config/fish/completions/netq.fish
    """
    from click.shell_completion import get_completion_class

    script = get_completion_class(shell)
    assert script is not None  # the three of the choice are click's own
    click.echo(script(main, {}, "netq", "_NETQ_COMPLETE").source())


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
