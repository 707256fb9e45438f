"""`netq report …`: the quarterly public report, which quarters are due, and one line's
measurement protocol."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import click

from netq import progress
from netq.collector.cli import (
    DB_HELP,
    PRIMARY_HELP,
    THRESHOLDS_HELP,
    keeping_store,
    open_settings,
    open_store,
    store_settings,
)
from netq.collector.compliance.cli import quarter_option
from netq.errors import NetqError

FORMATS = ("html", "pdf", "csv", "json")
LINE_FORMATS = ("html", "pdf", "json")
CONFIG_HELP = ("the collector's configuration: the operator named on the document, and the "
               "db and thresholds unless given here [default: $NETQ_CONFIG, else "
               "/etc/netq/collector.yaml when it exists]")


@click.group()
def report() -> None:
    """The quarterly public quality report (HTML, PDF, open data) and its deadlines."""


@report.command()
@quarter_option
@click.option("--format", "formats", type=click.Choice(FORMATS), multiple=True,
              default=("html",), show_default=True, help="repeat for several")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="directory to write into")
@click.option("--lang", type=click.Choice(["ru", "be", "en"]), default="ru", show_default=True)
@click.option("--profile", help="only the connections of this registry profile (default: one "
                                "report per profile the registry has)")
@click.option("--pseudonym-key-file", envvar="NETQ_PSEUDONYM_KEY_FILE",
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="secret that keys the per-connection pseudonyms of the open data, so that "
                   "the operator (only) can link them across quarters; default: a fresh one")
@click.option("--config", "config_path", envvar="NETQ_CONFIG",
              type=click.Path(exists=True, dir_okay=False), help=CONFIG_HELP)
@click.option("--db", envvar="NETQ_DB", help=DB_HELP)
@click.option("--thresholds", "thresholds_path", envvar="NETQ_THRESHOLDS",
              type=click.Path(exists=True, dir_okay=False), help=THRESHOLDS_HELP)
@click.option("--primary", envvar="NETQ_PRIMARY_DB", help=PRIMARY_HELP)
def quarterly(quarter: Any, formats: tuple[str, ...], out: Path, lang: str,
              profile: str | None, pseudonym_key_file: Path | None, config_path: str | None,
              db: str | None, thresholds_path: str | None, primary: str | None) -> None:
    """Write the quarter's report: the operator, the public table, method and sample,
    pictures, deadline.

    \b
    Example:
      netq report quarterly --quarter 2026Q3 --format html --format pdf --out /srv/reports \\
        --pseudonym-key-file /etc/netq/pseudonym.key
    """
    from netq.collector.compliance.engine import profiles_present
    from netq.collector.runs import save_compliance, save_report
    from netq.reports import quarterly as builder

    key = pseudonym_key(pseudonym_key_file)
    settings = publisher(config_path, db, thresholds_path)
    store = open_settings(settings)
    keeper = keeping_store(store, primary, settings.thresholds)
    if keeper is None:
        raise click.UsageError("the store is a read replica: give --primary, the primary "
                               "where the report is recorded as written")
    names: list[str | None] = [profile] if profile else [
        name for name in profiles_present(store, quarter) if name in store.norms.names()]
    for name in names or [None]:
        with progress.step(f"judging {quarter}{' · ' + name if name else ''} and drawing "
                           "its charts"):
            context = builder.build(store, quarter, name, lang, operator=settings.operator)
        save_compliance(keeper, context["document"])
        with progress.step(f"writing {', '.join(dict.fromkeys(formats))}"):
            written = builder.write(context, list(dict.fromkeys(formats)), out, key)
        for path in written:
            click.echo(path)
        if not save_report(keeper, context["document"], formats):
            click.echo(f"{quarter} has not ended: the report is marked preliminary and not "
                       "counted as published", err=True)
        else:
            click.echo(f"written, not yet published: once it is up, record where with `netq "
                       f"report publish --quarter {quarter} --url URL`", err=True)


@report.command()
@click.option("--connection", "connection_id", required=True,
              help="the line, as its connection id in the registry")
@click.option("--from", "first_day", required=True, type=click.DateTime(["%Y-%m-%d"]),
              help="the window's first day (Europe/Minsk)")
@click.option("--to", "last_day", required=True, type=click.DateTime(["%Y-%m-%d"]),
              help="the window's last day, included")
@click.option("--format", "formats", type=click.Choice(LINE_FORMATS), multiple=True,
              default=("html",), show_default=True, help="repeat for several")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="directory to write into (files readable by their owner only)")
@click.option("--lang", type=click.Choice(["ru", "be", "en"]), default="ru", show_default=True)
@click.option("--config", "config_path", envvar="NETQ_CONFIG",
              type=click.Path(exists=True, dir_okay=False), help=CONFIG_HELP)
@click.option("--db", envvar="NETQ_DB", help=DB_HELP)
@click.option("--thresholds", "thresholds_path", envvar="NETQ_THRESHOLDS",
              type=click.Path(exists=True, dir_okay=False), help=THRESHOLDS_HELP)
def line(connection_id: str, first_day: datetime, last_day: datetime, formats: tuple[str, ...],
         out: Path, lang: str, config_path: str | None, db: str | None,
         thresholds_path: str | None) -> None:
    """One line's measurement protocol, for a subscriber's claim or an inspection: its
    contract, every test with its verdict, availability with outages, planned works and
    tickets, its own figures, and a hash of the records it rests on; no other line's data.

    \b
    Example:
      netq report line --connection C-100045 --from 2026-10-01 --to 2026-10-31 \\
        --format pdf --out /tmp/claim-C-100045
    """
    from netq.collector.compliance.line import protocol, window
    from netq.reports import line as builder

    settings = publisher(config_path, db, thresholds_path)
    store = open_settings(settings)
    period = window(first_day.date(), last_day.date())
    with progress.step(f"judging every test of {connection_id}"):
        document = protocol(store, connection_id, period)
    with progress.step(f"writing {', '.join(dict.fromkeys(formats))}"):
        written = builder.write(document, list(dict.fromkeys(formats)), out, lang,
                                settings.operator)
    for path in written:
        click.echo(path)


@report.command()
@click.option("--db", envvar="NETQ_DB", help=DB_HELP)
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), help="as if it were this day")
@click.option("--json", "as_json", is_flag=True, help="print one JSON document")
def status(db: str | None, today: datetime | None, as_json: bool) -> None:
    """Quarters whose report is published (`report publish`), due, or late (com645: by the
    15th of the month after the quarter). Exit 1 when any is late.

    \b
    Example:
      netq report status
      netq report status --json | jq -r '.[] | select(.state == "late") | .quarter'
    """
    from netq.collector.runs import report_status

    store = open_store(db)
    listed = report_status(store, today.date() if today else today_in_minsk())
    if as_json:
        click.echo(json.dumps(listed, ensure_ascii=False))
    elif not listed:
        click.echo("no quarter to report on yet: none has ended since the first measurement")
    else:
        for line in status_lines(listed):
            click.echo(line)
    if any(entry["state"] == "late" for entry in listed):
        raise SystemExit(1)


@report.command()
@quarter_option
@click.option("--url", required=True, help="where the report went up (http:// or https://)")
@click.option("--profile", help="the profile whose report it is (default: every profile "
                                "whose report of the quarter was written)")
@click.option("--at", "published_at", type=click.DateTime(["%Y-%m-%dT%H:%M", "%Y-%m-%d"]),
              help="when it went up, Europe/Minsk (default: now)")
@click.option("--db", envvar="NETQ_DB", help=DB_HELP)
def publish(quarter: Any, url: str, profile: str | None, published_at: datetime | None,
            db: str | None) -> None:
    """Record that the quarter's report is published, and where: from then on the quarter
    counts as published (`report status`, the deadline gauge and its alert). Writing a
    report, a trial one included, never does.

    \b
    Example:
      netq report quarterly --quarter 2026Q3 --format html --format pdf --out /srv/www/quality
      netq report publish --quarter 2026Q3 --url https://isp.example/quality/2026Q3
    """
    from urllib.parse import urlsplit

    from netq.collector.compliance.quarter import MINSK
    from netq.collector.runs import save_publication

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise click.BadParameter(f"{url!r} is not an http:// or https:// address",
                                 param_hint="--url")
    moment = (published_at.replace(tzinfo=MINSK) if published_at else datetime.now(UTC))
    store = open_store(db)
    recorded = save_publication(store, quarter, profile, url, moment)
    if not recorded:
        of = f" of profile {profile}" if profile else ""
        raise NetqError(f"no report{of} of {quarter} was written after the quarter ended: "
                        f"write it first (netq report quarterly --quarter {quarter})")
    for name in recorded:
        click.echo(f"{quarter} · {name}: published at {url}")


PSEUDONYM_KEY_BYTES = 16  # 128 bits: no one guesses it to link the pseudonyms


def pseudonym_key(path: Path | None) -> bytes | None:
    if path is None:
        return None
    key = path.read_bytes()
    if len(key) < PSEUDONYM_KEY_BYTES:
        raise NetqError(f"{path}: a pseudonym key of {len(key)} bytes; make one of 32 random "
                        f"bytes: head -c 32 /dev/urandom > {path}")
    return key


def publisher(config_path: str | None, db: str | None, thresholds_path: str | None) -> Any:
    """The collector's settings a document is made with: who publishes, from which store."""
    settings = store_settings(db, thresholds_path, config_path=config_path)
    if settings.operator is None:
        click.echo("warning: no operator in the collector's configuration (operator: name, "
                   "registration_number, address, contact): the document names nobody",
                   err=True)
    return settings


def status_lines(listed: list[dict[str, Any]]) -> list[str]:
    return [f"{entry['quarter']}  due {entry['due']}  {entry['state']:<9} "
            f"{_beside(entry)}".rstrip() for entry in listed]


def _beside(entry: dict[str, Any]) -> str:
    if entry["state"] == "published":
        return entry["url"] or ""
    left = entry["days_left"]
    days = f"{left} days left" if left >= 0 else f"{-left} days late"
    return f"{days} (written, not published)" if entry["written_at"] else days


def today_in_minsk() -> date:
    from netq.collector.compliance.quarter import minsk_day

    return minsk_day(datetime.now(UTC))
