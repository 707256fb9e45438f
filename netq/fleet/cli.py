"""`netq fleet …`: the probes' test plans, in one file, applied to the collector."""

from __future__ import annotations

import json
from pathlib import Path

import click

from netq import sheets
from netq.collector.cli import DB_HELP, columns, json_option, open_store
from netq.errors import NotFound


@click.group()
def fleet() -> None:
    """The fleet of probes: enrolment and test plans."""


@fleet.command("enroll")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--url", required=True, help="the collector's base URL, as probes reach it")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="where each probe's probe.yaml and probe.token are written")
@click.option("--rotate", is_flag=True, help="new tokens also for probes that have one; the "
                                             "old ones are revoked when the new is first used")
@click.option("--allow", multiple=True, metavar="TARGET",
              help="where the plans' tests may send (each probe's limits.targets): a host "
                   "name as the plans write it, an address or a network; repeat for several. "
                   "The collector's host is always allowed")
@click.option("--db", envvar="NETQ_DB", help=DB_HELP)
def enroll(path: Path, url: str, out: Path, rotate: bool, allow: tuple[str, ...],
           db: str | None) -> None:
    """Tokens and first configurations for the probes of a CSV (probe_id, connections,
    technology); all lines checked before anyone is enrolled.

    \b
    Example:
      netq fleet enroll probes.csv --url https://collector.isp.example --out ./enrol \\
        --allow 192.0.2.0/24
    """
    from netq.fleet.enrol import enrol, parse

    with sheets.opened(path, "reading the probes") as sheet:
        entries = parse(sheet.lines, str(path), sheet.delimiter)
    store = open_store(db)
    unregistered = store.unregistered(c for e in entries for c in e.connections)
    if unregistered:
        click.echo(f"warning: not in the registry yet: {', '.join(unregistered[:10])}"
                   f"{' …' if len(unregistered) > 10 else ''}; their records wait on the "
                   "probes until it is imported", err=True)
    done = enrol(store, entries, url, out, rotate, str(path), allow)
    for moved in done["moved"]:
        click.echo(f"moved: {moved} (that probe may no longer write for it)", err=True)
    click.echo(f"{len(done['enrolled'])} enrolled, {len(done['rotated'])} rotated, "
               f"{len(done['kept'])} kept (already enrolled; --rotate for new tokens); "
               f"files in {out}")


@fleet.group()
def plan() -> None:
    """Test plans: one file for every group of probes, served by the collector."""


PLANS_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@plan.command("check")
@click.argument("path", type=PLANS_FILE)
def plan_check(path: Path) -> None:
    """Check a plans file as `apply` would, without a store: every test parsed by its
    prober's parameters; errors name file, line and key.

    \b
    Example:
      netq fleet plan check /etc/netq/plans.yaml
    """
    from netq.fleet.plans import load

    checked = load(path)
    for name, version in checked.versions.items():
        click.echo(f"{name}  {version}")


@plan.command("apply")
@click.argument("path", type=PLANS_FILE)
@click.option("--db", envvar="NETQ_DB", help=DB_HELP)
def plan_apply(path: Path, db: str | None) -> None:
    """Check a plans file and make it the set the collector serves, whole or not at all.
    Probes take it at their next request (within their plan's poll_every).

    \b
    Example:
      netq fleet plan apply /etc/netq/plans.yaml
    """
    from netq.collector import plans
    from netq.fleet.plans import load

    checked = load(path)
    store = open_store(db, create=True)
    before = plans.latest(store)
    previous = {} if before is None else {p["name"]: p["version"] for p in before[1]["plans"]}
    if before is not None and before[1] == checked.plan_set:
        click.echo(f"unchanged: the set in force (#{before[0]}) is this file's")
        return
    set_id = plans.apply(store, checked.plan_set, checked.source_sha256)
    for name, version in checked.versions.items():
        state = ("new" if name not in previous else
                 "unchanged" if previous[name] == version else "changed")
        click.echo(f"{name}  {version}  {state}")
    for name in sorted(set(previous) - set(checked.versions)):
        click.echo(f"{name}  {previous[name]}  withdrawn")
    click.echo(f"applied as set #{set_id}")


@plan.command("show")
@click.option("--probe-id", required=True, help="the probe whose plan to show")
@click.option("--db", envvar="NETQ_DB", help=DB_HELP)
def plan_show(probe_id: str, db: str | None) -> None:
    """The plan this probe gets now (JSON, as the collector serves it).

    \b
    Example:
      netq fleet plan show --probe-id ont-minsk-0001
    """
    from netq.collector.plans import PlanBook

    store = open_store(db)
    scope = store.scope(probe_id)
    if scope is None:
        raise NotFound(f"no probe {probe_id}")
    body = PlanBook(store).for_probe(probe_id, scope)
    if body is None:
        raise NotFound(f"no plan of the set in force meets probe {probe_id}: it runs the "
                       "tests of its own file")
    click.echo(json.dumps(body, indent=2, ensure_ascii=False))


@plan.command("history")
@click.option("--db", envvar="NETQ_DB", help=DB_HELP)
@json_option
def plan_history(db: str | None, as_json: bool) -> None:
    """Every set applied, oldest first: when, the file's sha256, each plan's version (the
    version a result record carries).

    \b
    Example:
      netq fleet plan history
      netq fleet plan history --json | jq '.[-1].plans'
    """
    from netq.collector.plans import history

    applied = history(open_store(db))
    if as_json:
        click.echo(json.dumps(applied, ensure_ascii=False, indent=1))
        return
    for line in columns(("SET", "APPLIED", "FILE SHA256", "PLANS (NAME VERSION)"), [
            (f"#{entry['id']}", entry["applied_at"], entry["source_sha256"][:12],
             ", ".join(f"{name} {version}" for name, version in entry["plans"].items()))
            for entry in applied]):
        click.echo(line)
