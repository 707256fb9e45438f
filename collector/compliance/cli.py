"""`netq compliance …`: a quarter's indicators, and the evidence behind any of them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from click.core import ParameterSource

from netq import progress, sheets
from netq.collector.cli import (
    DB_HELP,
    PRIMARY_HELP,
    THRESHOLDS_HELP,
    keeping_store,
    open_store,
)

if TYPE_CHECKING:  # the command line loads before any role's heavy imports
    from netq.collector.compliance.indicators import Breakdown


def json_document(function: Any) -> Any:
    """--json on a command whose output is JSON anyway: taken, so that a script may give it
    to every command it reads."""
    return click.option("--json", is_flag=True, expose_value=False,
                        help="print JSON (what this command prints in any case)")(function)


def quarter_option(function: Any) -> Any:
    return click.option("--quarter", required=True, callback=_quarter,
                        help="the quarter, e.g. 2026Q3 (counted in Europe/Minsk)")(function)


def _quarter(_: click.Context, __: click.Parameter, value: str | None) -> Any:
    from netq.collector.compliance.quarter import Quarter

    if value is None:
        return None
    try:
        return Quarter.parse(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.group(invoke_without_command=True)
@click.option("--quarter", callback=_quarter,
              help="the quarter, e.g. 2026Q3 (counted in Europe/Minsk)")
@click.option("--profile", help="only the connections of this registry profile (default: "
                                "every profile the registry has, one document each)")
@click.option("--edition", help="judge under this edition of the profile whatever its dates "
                                "(to see what a new edition would change)")
@click.option("--by", "breakdown", type=click.Choice(["technology", "region", "node"]),
              help="also break every indicator down by this")
@click.option("--db", envvar="NETQ_DB", help=DB_HELP)
@click.option("--thresholds", "thresholds_path", envvar="NETQ_THRESHOLDS",
              type=click.Path(exists=True, dir_okay=False), help=THRESHOLDS_HELP)
@click.option("--primary", envvar="NETQ_PRIMARY_DB", help=PRIMARY_HELP)
@click.option("--json", "as_json", is_flag=True,
              help="print JSON: {quarter, documents}, a document per profile")
@click.pass_context
def compliance(ctx: click.Context, quarter: Any, profile: str | None, edition: str | None,
               breakdown: Breakdown | None, db: str | None, thresholds_path: str | None,
               primary: str | None, as_json: bool) -> None:
    """Judge a quarter against thresholds.yaml: every indicator with n, 95 % interval, norm,
    for the connections of each registry profile under the edition in force.

    \b
    Example:
      netq compliance --quarter 2026Q4 --by technology
      netq compliance --quarter 2026Q4 --json |
        jq -r '.documents[].indicators[] | select(.verdict == "fails") | .id'
    """
    if ctx.invoked_subcommand is not None:
        given = [param.opts[0] for param in ctx.command.params if param.name and
                 ctx.get_parameter_source(param.name) == ParameterSource.COMMANDLINE]
        if given:  # never dropped in silence: they would be the group's, not the command's
            raise click.UsageError(
                f"{', '.join(given)} before `{ctx.invoked_subcommand}` would apply to nothing: "
                f"give it after the subcommand (netq compliance {ctx.invoked_subcommand} "
                f"{given[0]} …)")
        return
    if quarter is None:
        raise click.UsageError("--quarter is required, e.g. --quarter 2026Q3")
    from netq.collector.compliance.engine import compliance as compute
    from netq.collector.compliance.engine import profiles_present
    from netq.collector.runs import save_compliance

    store = open_store(db, thresholds_path)
    keeper = keeping_store(store, primary, thresholds_path)
    if keeper is None:
        click.echo("the store is a read replica: the computation is shown, not kept (give "
                   "--primary to keep it)", err=True)
    names = [profile] if profile or edition else [
        name for name in profiles_present(store, quarter) if name in store.norms.names()]
    documents = []
    for name in names or [None]:
        with progress.step(f"judging {quarter}" + (f" · {name}" if name else "")):
            documents.append(compute(store, quarter, name, breakdown, edition=edition))
            if keeper is not None:
                save_compliance(keeper, documents[-1])  # kept, with its manifest
    if as_json:  # one shape however many profiles the registry has
        click.echo(json.dumps({"quarter": str(quarter), "documents": documents},
                              ensure_ascii=False, indent=1))
        return
    for document in documents:
        for line in table(document):
            click.echo(line)


VERDICT_WORDS = {"meets": "meets", "fails": "FAILS", "edge": "ON THE EDGE",
                 "insufficient_sample": "insufficient sample", "not_measured": "not measured",
                 "no_data": "no data"}


def table(document: dict[str, Any]) -> list[str]:
    """The indicators for people: one line each, with the verdict (the three-state rule:
    «on the edge» when the 95 % interval crosses the norm), then each headline figure under
    the readings the sources leave open."""
    lines = [f"{document['quarter']} · {document['profile']} ({document['edition']}): "
             f"{document['profile_title']}"]
    lines += [f"warning: {warning}" for warning in document["warnings"]]
    for entry in document["indicators"]:
        group = entry.get("technology") or entry.get("region") or entry.get("node") or "all"
        verdict = VERDICT_WORDS[entry["verdict"]]
        if entry["verdict"] == "edge":
            verdict += " (value meets)" if entry["meets"] else " (value fails)"
        value = "—" if entry["value"] is None else f"{entry['value']:.2f}"
        plan = "" if entry.get("tariff_kbps") is None else f" @{entry['tariff_kbps']}"
        lines.append(f"{entry['id'] + plan:<34} {group:<6} {value:>9} {entry['unit']:<11} "
                     f"{entry['norm']['op']} {entry['norm']['value']:<5g} "
                     f"n={entry['n']:<10,.0f} {entry['n_counts']:<9} "
                     f"lines={'' if entry['connections'] is None else entry['connections']:<6} "
                     f"{verdict}")
    for reading in document.get("sensitivity") or ():
        if not reading["indicators"]:
            continue
        lines.append(f"reading: {reading['question']}: {reading['adopted']} (the verdict) / "
                     f"{reading['alternative']}")
        for item in reading["indicators"]:
            plan = "" if item["tariff_kbps"] is None else f" @{item['tariff_kbps']}"
            shown = [f"{'—' if x['value'] is None else format(x['value'], '.2f')} "
                     f"{VERDICT_WORDS[x['verdict']]}"
                     for x in (item["adopted"], item["alternative"])]
            lines.append(f"  {item['id'] + plan:<32} {shown[0]:>28} / {shown[1]}")
    return lines


@compliance.command()
@quarter_option
@click.option("--indicator", "indicator_id", required=True,
              help="the indicator, as its id in the output, e.g. com645.16")
@click.option("--connection", "connection_id", help="only this connection's evidence")
@click.option("--db", envvar="NETQ_DB", help=DB_HELP)
@click.option("--thresholds", "thresholds_path", envvar="NETQ_THRESHOLDS",
              type=click.Path(exists=True, dir_okay=False), help=THRESHOLDS_HELP)
@json_document
def explain(quarter: Any, indicator_id: str, connection_id: str | None, db: str | None,
            thresholds_path: str | None) -> None:
    """The results behind one indicator of a quarter, each with what it counted (JSON).

    \b
    Example:
      netq compliance explain --quarter 2026Q4 --indicator com645.16 --connection C-100045
    """
    from netq.collector.compliance.explain import explain as evidence

    store = open_store(db, thresholds_path)
    document = evidence(store, quarter, indicator_id, connection_id)
    click.echo(json.dumps(document, ensure_ascii=False, indent=1, default=str))


@click.group()
def records() -> None:
    """The operator's records: support calls, trouble tickets, contracts, planned works,
    suspensions."""


@records.command("import")
@click.argument("kind", type=click.Choice(["calls", "tickets", "contracts", "planned-works",
                                           "suspensions"]))
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--db", envvar="NETQ_DB", help=DB_HELP)
@click.option("--thresholds", "thresholds_path", envvar="NETQ_THRESHOLDS",
              type=click.Path(exists=True, dir_okay=False), help=THRESHOLDS_HELP)
def import_records(kind: str, path: str, db: str | None, thresholds_path: str | None) -> None:
    """Import a CSV of records of one KIND: good rows stored (idempotent on the id), bad rows
    named by line; exit 1 when any row was rejected.

    \b
    Example:
      netq records import tickets /srv/records/tickets-2026-11.csv
    """
    from netq.collector.records import KINDS, import_csv

    store = open_store(db, thresholds_path, create=True)
    with sheets.opened(Path(path), f"importing {kind}") as sheet:
        summary = import_csv(store, kind, sheet.lines, path, sheet.delimiter)
    progress.problems(summary.rejected)
    click.echo(f"{kind}: {summary.inserted} inserted, {summary.updated} updated, "
               f"{summary.unchanged} unchanged, {len(summary.rejected)} rejected "
               f"(columns: {', '.join(KINDS[kind].model.model_fields)})")
    if summary.rejected:
        raise SystemExit(1)


@compliance.command("obligations")
@quarter_option
@click.option("--db", envvar="NETQ_DB", help=DB_HELP)
@click.option("--thresholds", "thresholds_path", envvar="NETQ_THRESHOLDS",
              type=click.Path(exists=True, dir_okay=False), help=THRESHOLDS_HELP)
@json_document
def obligations_command(quarter: Any, db: str | None, thresholds_path: str | None) -> None:
    """Tickets owed a fee recalculation, support levels and working-hour restoration where
    the connection's profile carries them, planned works announced late, and the outages the
    probes saw (JSON).

    \b
    Example:
      netq compliance obligations --quarter 2026Q4
    """
    from netq.collector.compliance.obligations import obligations

    store = open_store(db, thresholds_path)
    with store.engine.connect() as connection:
        document = obligations(connection, quarter, store.norms)
    click.echo(json.dumps(document, ensure_ascii=False, indent=1))


@compliance.command("connections")
@quarter_option
@click.option("--profile", help="only the connections of this registry profile (default "
                                "com645)")
@click.option("--connection", "connection_id", help="only this connection")
@click.option("--db", envvar="NETQ_DB", help=DB_HELP)
@click.option("--thresholds", "thresholds_path", envvar="NETQ_THRESHOLDS",
              type=click.Path(exists=True, dir_okay=False), help=THRESHOLDS_HELP)
@json_document
def connections_command(quarter: Any, profile: str | None, connection_id: str | None,
                        db: str | None, thresholds_path: str | None) -> None:
    """The lines that failed a per-test norm in the quarter, worst first, each with its failed
    tests (JSON): what to fix before an inspector measures the line.

    \b
    Example:
      netq compliance connections --quarter 2026Q4 --profile com645
    """
    from netq.collector.compliance.lines import failing

    store = open_store(db, thresholds_path)
    with progress.step(f"judging the lines of {quarter}"):
        document = failing(store, quarter, profile, connection_id)
    click.echo(json.dumps(document, ensure_ascii=False, indent=1))
