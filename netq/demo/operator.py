"""The operator's side of the demo once the probes have measured: what reached the store,
sample operator records imported as CSV, the quarter judged, its public report, and the
protocol of the live line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from netq.collector.compliance.quarter import MINSK, minsk_day
from netq.collector.settings import Operator
from netq.demo.fleet import MINSK_1
from netq.reports.cli import status_lines

DEMO_LINE = "DEMO-0001"  # the line of the demo's own probe, measured live
# who publishes, as an operator's collector.yaml names it (`operator:`)
DEMO_OPERATOR = Operator(name="ООО «Демо-Телеком» (демонстрация netq)",
                         registration_number="190000000",
                         address="220000, г. Минск, ул. Примерная, 1",
                         contact="+375 17 000-00-00, quality@isp.example")


def summary(db: Path) -> None:
    from netq.collector.store import Store

    store = Store.open(str(db))
    rows = store.count_results_by_kind()
    store.close()
    click.echo(f"\n{sum(n for _, _, n in rows)} records in the collector's store {db}:")
    for kind, ok, n in rows:
        click.echo(f"  {kind:<12} {'ok' if ok else 'failed':<6} {n}")


def sample_records(now: datetime) -> dict[str, str]:
    """A few operator records of each kind, dated in the quarter of `now` (Minsk time)."""
    day = now.astimezone(MINSK).replace(hour=10, minute=0, second=0, microsecond=0)
    first = day - timedelta(days=1) if day.day > 1 else day  # still this quarter

    def at(offset: timedelta = timedelta()) -> str:
        return f"{first + offset:%Y-%m-%d %H:%M:%S}"

    calls = [f"demo-call-{i},{at()},{at(timedelta(seconds=40 * i))}" for i in range(1, 9)]
    return {
        "calls": "\n".join(["call_id,offered_at,answered_at", *calls,
                            f"demo-call-9,{at()},"]) + "\n",  # 320 s and abandoned: late
        "tickets": "ticket_id,connection_id,registered_at,restored_at,fault\n"
                   f"demo-ticket-1,{DEMO_LINE},{at()},{at(timedelta(hours=5))},operator\n",
        # due on `first` (counted in the quarter of its deadline), fulfilled five days early
        "contracts": "contract_id,connection_id,registered_on,promised_days,activated_on\n"
                     f"demo-contract-1,{DEMO_LINE},{first - timedelta(days=10):%Y-%m-%d},10,"
                     f"{first - timedelta(days=5):%Y-%m-%d}\n",
        "planned-works": "work_id,announced_at,starts_at,ends_at,nodes\n"
                         f"demo-work-1,{at(timedelta(days=-2))},{at()},"
                         f"{at(timedelta(hours=1))},{MINSK_1}\n",
    }


def judge_quarter(workdir: Path) -> None:
    """Import the sample operator records as CSV, then judge the current quarter."""
    from netq.collector.compliance.cli import table
    from netq.collector.compliance.engine import compliance
    from netq.collector.compliance.quarter import Quarter
    from netq.collector.records import import_csv
    from netq.collector.runs import save_compliance
    from netq.collector.store import Store

    now = datetime.now(UTC)
    store = Store.open(str(workdir / "netq.db"))
    click.echo("\nThe operator's records (sample CSV files, imported as an operator would):")
    for kind, text in sample_records(now).items():
        path = workdir / f"{kind}.csv"
        path.write_text(text, "utf-8")
        with path.open(encoding="utf-8", newline="") as lines:
            result = import_csv(store, kind, lines, str(path))
        click.echo(f"  {kind:<14} {result.inserted + result.updated + result.unchanged} "
                   f"stored, {len(result.rejected)} rejected")
    quarter = Quarter.of(now)
    click.echo(f"\nCompliance, {quarter} so far (netq compliance --quarter {quarter} "
               f"--db {workdir / 'netq.db'}):")
    document = compliance(store, quarter)
    save_compliance(store, document)
    for line in table(document):
        click.echo(f"  {line}")
    write_report(store, quarter, workdir / "report")
    write_line_protocol(store, quarter, workdir / "line")
    store.close()


def write_line_protocol(store: Any, quarter: Any, out: Path) -> None:
    """The protocol of the demo probe's own line for the quarter so far: what a subscriber
    disputing it would be given."""
    from netq.collector.compliance.line import protocol, window
    from netq.reports import line

    today = minsk_day(datetime.now(UTC))
    made = protocol(store, DEMO_LINE, window(quarter.first_day, today))
    paths = line.write(made, ["html", "pdf", "json"], out, "ru", DEMO_OPERATOR)
    click.echo(f"\nThe line protocol of {DEMO_LINE} (netq report line --connection {DEMO_LINE} "
               f"--from {quarter.first_day} --to {today} ...):")
    for path in paths:
        click.echo(f"  {path}")


def write_report(store: Any, quarter: Any, out: Path) -> None:
    """The quarterly public report of the demo quarter, as an operator would publish it."""
    from netq.collector.runs import report_status, save_compliance, save_report
    from netq.reports import quarterly

    context = quarterly.build(store, quarter, operator=DEMO_OPERATOR)
    formats = ["html", "pdf", "csv", "json"]
    paths = quarterly.write(context, formats, out)
    save_compliance(store, context["document"])
    save_report(store, context["document"], tuple(formats))
    click.echo(f"\nThe quarterly report (netq report quarterly --quarter {quarter} ...):")
    for path in paths:
        click.echo(f"  {path}")
    click.echo("\nReports of ended quarters (netq report status):")
    for line in status_lines(report_status(store, minsk_day(datetime.now(UTC)))):
        click.echo(f"  {line}")
