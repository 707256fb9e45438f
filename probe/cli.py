"""`netq probe …` and `netq reflector …` commands.

`measure KIND` gets its options from the prober's Params model, so a new test kind needs
no CLI code.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from typing import Any, Literal, get_args, get_origin

import click
import structlog
from pydantic import BaseModel, ValidationError

from netq.errors import NotFound
from netq.probe.probers import PROBERS
from netq.record import Identity, Kind


def validation_message(exc: ValidationError, prefix: str = "--") -> str:
    """One line per problem, naming the option or key a person has to fix."""
    lines = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"])
        name = f"{prefix}{where.replace('_', '-')}" if prefix else where
        lines.append(f"{name}: {error['msg']}")
    return "; ".join(lines)


def _click_type(annotation: Any) -> tuple[Any, bool]:
    """(click type, multiple) for a Params field annotation."""
    multiple = get_origin(annotation) is list
    base = get_args(annotation)[0] if multiple else annotation
    if get_origin(base) is Literal:
        return click.Choice([str(v) for v in get_args(base)]), multiple
    return base, multiple


def options_from(model: type[BaseModel]) -> list[click.Option]:
    options = []
    for name, field in model.model_fields.items():
        click_type, multiple = _click_type(field.annotation)
        options.append(click.Option(
            [f"--{name.replace('_', '-')}", name], type=click_type, multiple=multiple,
            required=field.is_required(), default=None if field.is_required() else field.default,
            show_default=not field.is_required(), help=field.description))
    return options


def measure_command(kind: Kind) -> click.Command:
    prober = PROBERS[kind]

    def callback(probe_id: str, connection_id: str, as_json: bool, pretty: bool,
                 **values: Any) -> None:
        from netq.probe.runner import run_test

        try:
            params = prober.params(**{k: v for k, v in values.items() if v not in (None, ())})
        except ValidationError as exc:
            raise click.UsageError(validation_message(exc)) from None
        identity = Identity(probe_id, connection_id)
        record = asyncio.run(run_test(kind, params, identity, structlog.get_logger("netq.probe")))
        document = record.to_json()
        # one line: what `>> results.jsonl` and `netq collector import` expect
        click.echo(json.dumps(document, ensure_ascii=False, indent=2 if pretty else None))
        if not record.outcome.ok:
            click.echo(f"error: {record.outcome.error}", err=True)
            sys.exit(1)

    identity_options = [
        click.Option(["--probe-id"], default=socket.gethostname(), show_default=True,
                     envvar="NETQ_PROBE_ID", help="probe identity stamped on the record"),
        click.Option(["--connection", "--connection-id", "connection_id"], default="adhoc",
                     show_default=True, envvar="NETQ_CONNECTION_ID",
                     help="subscriber connection measured, as in the registry (--connection-id: "
                          "its older name)"),
        click.Option(["--json", "as_json"], is_flag=True,
                     help="one JSON line (the default; kept for scripts that pass it)"),
        click.Option(["--pretty"], is_flag=True, help="indented, for people"),
    ]
    params: list[click.Parameter] = [*options_from(prober.params), *identity_options]
    example = (f"\n\n\b\nExample:\n  netq probe measure {kind} {prober.example} "
               "--connection C-100045 >> results.jsonl" if prober.example else "")
    return click.Command(kind, callback=callback, params=params,
                         help=(prober.summary or kind) + example)


@click.group()
def probe() -> None:
    """The probe: measure a line, or run as a daemon."""


@probe.group()
def measure() -> None:
    """Run one test now and print its result record."""


for _kind in PROBERS:
    measure.add_command(measure_command(_kind))


@probe.command()
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False),
              help="probe configuration (YAML)")
def run(config_path: str) -> None:
    """Run the probe daemon: schedule tests, spool every record, export metrics.

    \b
    Example:
      netq probe run --config /etc/netq/probe.yaml
    """
    from netq.probe.config import load
    from netq.probe.daemon import run_forever

    asyncio.run(run_forever(load(config_path)))


@probe.group()
def spool() -> None:
    """The records the collector would not take, kept in the spool's quarantine."""


def _spool_of(config_path: str) -> Any:
    from netq.probe.config import load
    from netq.probe.spool import Spool

    config = load(config_path)
    if not config.spool.exists():
        raise NotFound(f"no spool at {config.spool}")
    return Spool(config.spool, config.spool_max_records)


CONFIG_OPTION = click.option("--config", "config_path", required=True,
                             type=click.Path(dir_okay=False), help="probe configuration (YAML)")


@spool.command("list")
@CONFIG_OPTION
@click.option("--json", "as_json", is_flag=True, help="one JSON object per line, with the record")
def spool_list(config_path: str, as_json: bool) -> None:
    """Quarantined records: id, why, when; then the queue's length.

    \b
    Example:
      netq probe spool list --config /etc/netq/probe.yaml
    """
    from datetime import UTC, datetime

    store = _spool_of(config_path)
    for entry in store.quarantined():
        moment = datetime.fromtimestamp(entry.at, UTC).isoformat(timespec="seconds")
        if as_json:
            click.echo(json.dumps({"id": entry.id, "status": entry.status,
                                   "reasons": entry.reasons, "at": moment,
                                   "record": entry.body}, ensure_ascii=False))
        else:
            click.echo(f"{entry.id}  {entry.status}  {moment}  {'; '.join(entry.reasons)}")
    click.echo(f"{store.quarantined_total} quarantined, {len(store)} waiting to upload",
               err=as_json)


def _quarantine_command(name: str, help_text: str, done: str) -> click.Command:
    @CONFIG_OPTION
    @click.argument("ids", nargs=-1)
    @click.option("--all", "everything", is_flag=True, help="every quarantined record")
    def command(config_path: str, ids: tuple[str, ...], everything: bool) -> None:
        if bool(ids) == everything:
            raise click.UsageError("name record ids, or give --all")
        store = _spool_of(config_path)
        known = {entry.id for entry in store.quarantined()}
        missing = [i for i in ids if i not in known]
        if missing:
            raise click.ClickException(f"not in the quarantine: {', '.join(missing)}")
        moved = getattr(store, name)(None if everything else list(ids))
        click.echo(f"{moved} {done}")

    return click.command(name, help=help_text)(command)


spool.add_command(_quarantine_command(
    "release", "Send quarantined records again (after fixing why they were refused).\n\n\b\n"
    "Example:\n  netq probe spool release --config /etc/netq/probe.yaml --all",
    "back in the upload queue"))
spool.add_command(_quarantine_command(
    "discard", "Let quarantined records go for good.\n\n\b\nExample:\n"
    "  netq probe spool discard --config /etc/netq/probe.yaml 5f0c8e9a-0d7e-4b8e-9f43-2b1d6c1e0a77",
    "discarded"))


@click.group()
def reflector() -> None:
    """The STAMP session-reflector that runs at a node."""


@reflector.command()
@click.option("--listen", default="0.0.0.0:862", show_default=True, help="HOST:PORT to serve on")
def serve(listen: str) -> None:
    """Answer STAMP (RFC 8762) test packets, stateless mode.

    \b
    Example:
      netq reflector serve --listen 0.0.0.0:862
    """
    from netq.address import split_host_port
    from netq.probe.reflector import serve as serve_reflector

    try:
        host, port = split_host_port(listen, 862)
        asyncio.run(serve_reflector(host, port))
    except (ValueError, OSError) as exc:
        raise click.ClickException(f"cannot serve on {listen}: {exc}") from None


