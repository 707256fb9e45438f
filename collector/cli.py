"""`netq collector …` and `netq connections …` commands."""

from __future__ import annotations

import contextlib
import io
import json
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import click

from netq import progress, sheets
from netq.errors import NetqError, Unavailable

if TYPE_CHECKING:  # the command line loads before any role's heavy imports
    from netq.collector.settings import Settings

DB_HELP = ("SQLite path or postgresql:// URL (default: $NETQ_DB, else db: of the server's "
           "configuration, $NETQ_CONFIG or /etc/netq/collector.yaml, else ./netq.db)")
THRESHOLDS_HELP = ("norms and method (default: $NETQ_THRESHOLDS, else thresholds: of the "
                   "server's configuration, else the packaged one)")
BATCH = 1000


def json_option(function: Any) -> Any:
    return click.option("--json", "as_json", is_flag=True,
                        help="print JSON: a list of objects, one a row")(function)


def columns(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    """Rows under their header, each column as wide as its widest cell."""
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
            .rstrip() for row in (header, *rows)]


def open_store(db: str | None, thresholds_path: str | None = None,
               create: bool = False, config_path: str | None = None) -> Any:
    """The store `db` names, else the server's configuration (`settings.located`), with the
    norms `thresholds_path` names, else the configuration's. Only a command that `create`s
    (serving, importing) makes a new SQLite file: any other refuses a missing one instead of
    answering "no data" from it."""
    return open_settings(store_settings(db, thresholds_path, create, config_path))


def store_settings(db: str | None, thresholds_path: str | None = None, create: bool = False,
                   config_path: str | None = None,
                   overrides: dict[str, Any] | None = None) -> Settings:
    """The server's settings with the command line's store, norms and `overrides` on top; a
    SQLite store that is not there is refused unless the command `create`s."""
    from netq.collector.db import missing_file
    from netq.collector.settings import server

    configured = server(config_path, db, {"thresholds": thresholds_path, **(overrides or {})})
    missing = None if create else missing_file(configured.settings.db)
    if missing is not None:
        raise Unavailable(f"no store at {missing} (named by {configured.db_from}); the "
                          "collector (netq collector serve) and the imports (netq connections "
                          "import) create one")
    return configured.settings


def open_settings(settings: Settings) -> Any:
    """The store and norms `settings` name, opened (migrated when it is writable)."""
    from sqlalchemy.exc import SQLAlchemyError

    from netq.collector.compliance import thresholds
    from netq.collector.db import masked
    from netq.collector.store import Store

    norms = thresholds.load(settings.thresholds)
    try:
        return Store.open(settings.db, norms)
    except SQLAlchemyError as exc:
        raise Unavailable(f"cannot open the store {masked(settings.db)}: "
                          f"{str(exc.__cause__ or exc).strip().splitlines()[0]}") from None


PRIMARY_HELP = ("when --db is a read replica: the primary (postgresql:// URL), where what is "
                "computed or written is recorded")


def keeping_store(store: Any, primary: str | None, thresholds_path: str | None) -> Any | None:
    """The store that records what a command computes or writes: the store itself, or
    for a read replica the primary (--primary); None when a replica has no primary."""
    if not store.read_only:
        if primary is not None:
            raise click.UsageError("--primary is for a read replica, and --db is not one")
        return store
    if primary is None:
        return None
    keeper = open_store(primary, thresholds_path)
    if keeper.read_only:
        raise NetqError("--primary is a read replica too: give the primary's URL")
    return keeper


@click.group()
def collector() -> None:
    """The collector: takes probe results and keeps them."""


@collector.command()
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False),
              help="collector configuration (YAML): db, listen, limits, TLS (default: "
                   "$NETQ_CONFIG, else /etc/netq/collector.yaml when there)")
@click.option("--db", envvar="NETQ_DB", help=DB_HELP)
@click.option("--listen", help="HOST:PORT, or PORT on 127.0.0.1 (default 127.0.0.1:8080)")
def serve(config_path: str | None, db: str | None, listen: str | None) -> None:
    """Serve the ingest API (POST /api/v1/results), /healthz, /readyz and /metrics.

    \b
    Example:
      netq collector serve --config /etc/netq/collector.yaml
      netq collector serve --db ./netq.db --listen 8081
    """
    from netq import __version__
    from netq.address import split_host_port
    from netq.collector.admission import RatePerProbe
    from netq.collector.api import create_app
    from netq.collector.db import masked
    from netq.collector.server import serve, socket_on
    settings = store_settings(db, create=True, config_path=config_path,
                              overrides={"listen": listen})
    address = settings.listen
    if address.isdigit():  # a port alone: on loopback, as the default
        address = f"127.0.0.1:{address}"
    try:
        host, port = split_host_port(address, 8080)
    except ValueError as exc:
        raise click.ClickException(f"collector configuration: listen: {exc}") from None
    store = open_settings(settings)
    if store.read_only:
        raise NetqError("the store is a read replica: a collector writes, so it serves the "
                        "primary (a replica is for `netq compliance` and `netq report`)")
    app = create_app(store, settings.max_body_bytes,
                     settings.max_records, settings.compliance_every,
                     settings.max_inflight_bytes,
                     RatePerProbe(settings.probe_requests_per_second,
                                  settings.probe_requests_burst), settings.lines_every)
    listening = socket_on(host, port)
    scheme = "https" if settings.tls_certfile else "http"
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"netq {__version__} collector on {scheme}://{shown}:{port}, store "
               f"{masked(settings.db)}", err=True)
    serve(app, listening, settings.idle_timeout, settings.read_timeout,
          settings.max_connections, settings.tls_certfile, settings.tls_keyfile)


@collector.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, allow_dash=True,
                                        path_type=Path))
@click.option("--db", envvar="NETQ_DB", help=DB_HELP)
def import_results(path: Path, db: str | None) -> None:
    """Backfill result records, validated and idempotent, from PATH: JSON Lines (one record a
    line, as `netq probe measure` prints them), or one JSON array of records; `-` reads
    standard input.

    \b
    Example:
      netq probe measure latency --target 192.0.2.1 >> results.jsonl
      netq collector import results.jsonl --db /var/lib/netq/collector/netq.db
    """
    from netq.record import HELD, VERDICTS

    store = open_store(db, create=True)
    totals: Counter[str] = Counter()
    rejected: list[str] = []
    name = "stdin" if str(path) == "-" else str(path)

    def flush(batch: list[tuple[str, Any]]) -> None:
        answers = store.ingest([record for _, record in batch])
        for (where, _), answer in zip(batch, answers, strict=True):
            totals[answer.status] += 1
            if answer.status not in HELD:
                rejected.extend(f"{name}: {where}: {answer.status}: {r}"
                                for r in answer.reasons)
        batch.clear()

    batch: list[tuple[str, Any]] = []
    try:
        with _records_of(path, name) as records:
            for where, record in records:
                if isinstance(record, ValueError):
                    totals["rejected"] += 1
                    rejected.append(f"{name}: {where}: not JSON: {record}")
                    continue
                batch.append((where, record))
                if len(batch) >= BATCH:
                    flush(batch)
            flush(batch)
    except KeyboardInterrupt:
        progress.problems(rejected)
        click.echo(", ".join(f"{totals[verdict]} {verdict}" for verdict in VERDICTS))
        click.echo("interrupted: the records counted above are stored; importing the file "
                   "again is safe (what is stored answers duplicate)", err=True)
        raise click.exceptions.Exit(130) from None
    progress.problems(rejected)
    click.echo(", ".join(f"{totals[verdict]} {verdict}" for verdict in VERDICTS))
    if sum(totals[verdict] for verdict in VERDICTS if verdict not in HELD):
        sys.exit(1)


@contextlib.contextmanager
def _records_of(path: Path, name: str) -> Iterator[Iterator[tuple[str, Any]]]:
    """(where, record or the ValueError that kept a line from being JSON) of a JSON Lines
    file or of one JSON array, told apart by its first character; read under a progress
    bar when it is a file."""
    stdin = sys.stdin.buffer
    source = (path.open("rb") if str(path) != "-" else stdin
              if isinstance(stdin, io.BufferedReader) else io.BufferedReader(cast(Any, stdin)))
    size = None if str(path) == "-" else path.stat().st_size
    with source, progress.bar(size or 0, "importing") as bar:
        if source.peek(4096).lstrip()[:1] == b"[":
            try:
                whole = json.load(source)
            except ValueError as exc:
                raise NetqError(f"{name}: begins as a JSON array but is not one: {exc}") from None
            bar.update(size or 0)
            if not isinstance(whole, list):
                raise NetqError(f"{name}: not a JSON array of records")
            yield ((f"record {n}", record) for n, record in enumerate(whole, start=1))
            return

        def lines() -> Iterator[tuple[str, Any]]:
            for number, raw in enumerate(source, start=1):
                bar.update(len(raw))
                if raw.strip():
                    try:
                        yield f"line {number}", json.loads(raw)
                    except ValueError as exc:
                        yield f"line {number}", exc

        yield lines()


@collector.command()
@click.option("--to", "folder", required=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="folder to write the backup into (it must exist)")
@click.option("--keep", type=click.IntRange(min=1),
              help="then keep only the newest KEEP backups made here (default: keep all)")
@click.option("--db", envvar="NETQ_DB", help=DB_HELP)
def backup(folder: Path, keep: int | None, db: str | None) -> None:
    """Copy the store while the collector runs: SQLite with its online backup, PostgreSQL
    with pg_dump -Fc. The copy is checked before it takes its name
    (netq-YYYY-MM-DDTHHMMSSZ.db or .dump); `--keep` lets older ones go only after that.

    \b
    Example:
      netq collector backup --to /var/backups/netq --keep 14   # from cron, as netq
    """
    from netq.collector.backup import back_up
    from netq.collector.db import masked

    settings = store_settings(db)
    made = back_up(settings.db, folder, keep)
    click.echo(f"{made.path}  {made.size_bytes} bytes  of {masked(settings.db)}")
    for path in made.let_go:
        click.echo(f"let go {path}", err=True)


@collector.group()
def token() -> None:
    """Probe tokens: one per probe, stored only as a hash."""


@token.command("create")
@click.option("--probe-id", required=True, help="the probe the token is for")
@click.option("--connection", "connections", multiple=True,
              help="a connection the probe may write for; repeat for several (added to the "
                   "probe's scope; `token scope` replaces it)")
@click.option("--db", envvar="NETQ_DB", help=DB_HELP)
def token_create(probe_id: str, connections: tuple[str, ...], db: str | None) -> None:
    """Create a token for a probe and print it, once.

    \b
    Example:
      netq collector token create --probe-id ont-minsk-0001 --connection C-100045
    """
    store = open_store(db)
    _warn_unregistered(store, connections)
    click.echo(store.create_token(probe_id, connections))


@token.command("list")
@click.option("--probe-id", help="only this probe's tokens")
@click.option("--db", envvar="NETQ_DB", help=DB_HELP)
@json_option
def token_list(probe_id: str | None, db: str | None, as_json: bool) -> None:
    """Every token: its id (the start of its hash; the secret is never kept), probe, created,
    revoked, and the probe's connections.

    \b
    Example:
      netq collector token list --probe-id ont-minsk-0001
      netq collector token list --json | jq -r '.[] | select(.revoked_at == null) | .token_id'
    """
    store = open_store(db)
    rows = store.tokens(probe_id)
    if probe_id is not None and not rows:
        raise click.ClickException(f"no tokens for probe {probe_id}")
    scopes: dict[str, list[str]] = {}
    listed = [{"token_id": row["token_id"], "probe_id": row["probe_id"],
               "created_at": row["created_at"].isoformat(timespec="seconds"),
               "revoked_at": (row["revoked_at"].isoformat(timespec="seconds")
                              if row["revoked_at"] else None),
               "connections": scopes.setdefault(row["probe_id"],
                                                store.scope(row["probe_id"]) or [])}
              for row in rows]
    if as_json:
        click.echo(json.dumps(listed, ensure_ascii=False, indent=1))
        return
    for line in columns(("TOKEN ID", "PROBE", "CREATED", "REVOKED", "CONNECTIONS"), [
            (entry["token_id"], entry["probe_id"], entry["created_at"],
             entry["revoked_at"] or "live", ",".join(entry["connections"]) or "-")
            for entry in listed]):
        click.echo(line)


@token.command("scope")
@click.option("--probe-id", required=True)
@click.option("--connection", "connections", multiple=True,
              help="a connection the probe may write for; repeat for several; none: nothing")
@click.option("--db", envvar="NETQ_DB", help=DB_HELP)
def token_scope(probe_id: str, connections: tuple[str, ...], db: str | None) -> None:
    """Replace the connections a probe may write for (every token of the probe).

    \b
    Example:
      netq collector token scope --probe-id ont-minsk-0001 --connection C-100046
    """
    store = open_store(db)
    before = store.scope(probe_id)
    if before is None or not store.set_scope(probe_id, connections):
        raise click.ClickException(f"no probe {probe_id}")
    _warn_unregistered(store, connections)
    after = ",".join(dict.fromkeys(connections)) or "-"
    click.echo(f"{probe_id}: {','.join(before) or '-'} → {after}")


@token.command("revoke")
@click.option("--probe-id", help="revoke every token of this probe")
@click.option("--token-id", help="revoke this one token (an id from `token list`)")
@click.option("--db", envvar="NETQ_DB", help=DB_HELP)
def token_revoke(probe_id: str | None, token_id: str | None, db: str | None) -> None:
    """Revoke every token of a probe, or one token.

    \b
    Example:
      netq collector token revoke --token-id 3f9c0d6e2a71
      netq collector token revoke --probe-id ont-minsk-0001
    """
    if (probe_id is None) == (token_id is None):
        raise click.UsageError("give --probe-id or --token-id")
    store = open_store(db)
    if token_id is not None:
        if store.revoke_token(token_id) != 1:
            raise click.ClickException(f"no live token {token_id}")
        click.echo(f"token {token_id} revoked")
    elif probe_id is not None:
        if store.scope(probe_id) is None:
            raise click.ClickException(f"no probe {probe_id}")
        revoked = store.revoke_tokens(probe_id)
        click.echo(f"{revoked} token(s) of {probe_id} revoked")


def _warn_unregistered(store: Any, connections: tuple[str, ...]) -> None:
    missing = store.unregistered(connections)
    if missing:
        click.echo(f"warning: not in the connections registry (yet): {', '.join(missing)}; "
                   "their records wait on the probe until it is imported", err=True)


@click.group()
def connections() -> None:
    """The connections registry: subscriber lines, their tariffs and their history."""


@connections.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--db", envvar="NETQ_DB", help=DB_HELP)
def import_connections(path: Path, db: str | None) -> None:
    """Import the registry CSV; all of it, or nothing when any line is wrong.

    \b
    Example:
      netq connections import /srv/registry/connections.csv
    """
    from netq.collector.registry import parse

    with sheets.opened(path, "reading the registry") as sheet:
        parsed = parse(sheet.lines, str(path), sheet.delimiter)
    if parsed.errors:
        progress.problems(parsed.errors)
        raise click.ClickException(f"{len(parsed.errors)} problem(s) in {path}; nothing imported")
    store = open_store(db, create=True)
    with progress.bar(len(parsed.rows), "storing the registry") as shown:
        counts = store.upsert_connections(parsed.rows, shown.update)
    click.echo(f"{counts['inserted']} inserted, {counts['updated']} updated, "
               f"{counts['unchanged']} unchanged")
