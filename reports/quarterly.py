"""The quarterly report: the compliance engine's document, laid out as operators publish it.

Every figure comes from one `compliance()` computation; the templates only format it (one
source of truth: the report and `netq compliance --json` cannot disagree).
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape

from netq.collector.compliance import deadline
from netq.collector.compliance.document import Document, IndicatorEntry
from netq.collector.compliance.engine import compliance_read, read_units
from netq.collector.compliance.measures import MEASURES, PER_TEST_NORMS, SPEED_NORM
from netq.collector.compliance.quarter import MINSK, Quarter, minsk_day
from netq.collector.compliance.report_data import SESSIONS, details
from netq.collector.compliance.thresholds import Profile
from netq.collector.settings import Operator
from netq.collector.store import Store
from netq.files import replace, text_of
from netq.messages import N_
from netq.model import EVENING_PEAK
from netq.reports import findings, formatting, i18n
from netq.reports.findings import MARKS, WORST
from netq.reports.i18n import Words
from netq.reports.rows import Row, row

SERVICES = ("fixed", "wireless", "data", "customer")
TITLES = {"fixed": N_("Data over the fixed network"), "wireless": N_("Wireless data"),
          "data": N_("Data services (Internet access)"), "customer": N_("Customer service")}
# the readings the sources leave open (engine.READINGS): the question, netq's / the other
READINGS = {
    "speed_layer": N_("the layer a tariff's speed is stated at: the TCP payload / the "
                      "Ethernet frame"),
    "planned_works": N_("planned works in item 12: in the figure / taken out when announced "
                        "in time"),
    "customer_delay": N_("a customer's delay in item 1: the deadline stays / the deadline "
                         "moves"),
}
# what the document counts apart (its `exclusions`), in words
EXCLUDED = {
    "excluded": N_("excluded in all"),
    "infrastructure": N_("measurement server failed"),
    "deferred": N_("deferred for the subscriber's traffic"),
    "probe_error": N_("probe error or overload"),
    "unjudged": N_("session shorter than the minimum"),
    "speed_segment_assumed": N_("speed tests without a recorded segment size (counted, 1448 "
                                "bytes assumed)"),
    "suspended_minutes": N_("service suspended on a ground the rules give, minutes observed"),
    "suspensions_without_clause": N_("suspensions on no ground of the profile's rules (kept "
                                     "in availability)"),
    "availability_on_net_only_minutes": N_("availability checked against on-net targets "
                                           "only, minutes (not the Internet: not counted)"),
    "contracts_customer_delayed": N_("contracts delayed by the customer (the deadline stays)"),
    "contracts_pending_past_deadline": N_("contracts not fulfilled by their deadline (counted "
                                          "as late)"),
    "contracts_without_promised_days": N_("contracts with no deadline (not judged)"),
    "calls_without_profile": N_("calls with no profile (counted in every profile)"),
    "tickets_third_party_fault": N_("tickets of third parties' faults (counted)"),
    "tickets_not_yet_due": N_("tickets not yet due"),
}


@dataclass(frozen=True)
class Section:
    service: str
    title: str
    technology: str | None
    rows: list[Row]


def sections(document: Document, lang: str) -> list[Section]:
    """Per service the profile has indicators of: the whole population first, then each
    technology that has figures."""
    found = []
    words = Words(lang)
    for service in SERVICES:
        entries = [e for e in document.indicators if e.service == service]
        technologies = sorted({e.technology for e in entries if e.technology})
        for technology in (None, *technologies):
            chosen = [e for e in entries if e.technology == technology]
            if not chosen or (technology is not None and all(e.value is None
                                                           for e in chosen)):
                continue  # a service the profile has no indicator of: no empty table
            found.append(Section(service, words(TITLES[service]), technology,
                                 [row(e, lang) for e in chosen]))
    return found


@dataclass(frozen=True)
class Cell:
    mark: str  # ✓ meets, ✗ does not, ≈ on the edge, ? insufficient sample, — no data
    text: str
    state: str | None  # the decision rule's verdict (None: does not apply)


@dataclass(frozen=True)
class SummaryRow:
    number: str
    name: str
    norm: str
    cells: list[Cell]


@dataclass(frozen=True)
class Summary:
    """One service's indicators × its technologies, the whole population first."""

    service: str
    title: str
    technologies: list[str | None]
    rows: list[SummaryRow]




def summary(document: Document, lang: str) -> list[Summary]:
    """Page one's matrix: each service's indicators × its technologies, a verdict mark in each
    cell."""
    tables: list[Summary] = []
    words = Words(lang)
    for service in SERVICES:
        entries = [e for e in document.indicators if e.service == service]
        if not entries:
            continue
        technologies: list[str | None] = [None, *sorted(
            {e.technology for e in entries if e.technology and e.value is not None})]
        rows = []
        for key in dict.fromkeys(e.id for e in entries):
            chosen = [e for e in entries if e.id == key]
            rows.append(SummaryRow(row(chosen[0], lang).number, chosen[0].name_ru,
                                   formatting.norm(chosen[0].norm.op, chosen[0].norm.value,
                                                   lang)
                                   if chosen[0].tariff_kbps is None
                                   else words("per tariff plan"),
                                   [_cell([e for e in chosen if e.technology == t], lang)
                                    for t in technologies]))
        tables.append(Summary(service, words(TITLES[service]), technologies, rows))
    return tables


def _cell(entries: list[IndicatorEntry], lang: str) -> Cell:
    """A verdict mark with the value and interval; item 9's plans as how many fail."""
    words = Words(lang)
    if not entries:  # the indicator counts none of this technology's lines
        return Cell("", words("does not apply"), None)
    if all(e.value is None for e in entries):
        state = entries[0].verdict
        return Cell(MARKS[state], words(formatting.VERDICTS[state]), state)
    if len(entries) > 1 or entries[0].tariff_kbps is not None:
        judged = [e.verdict for e in entries if e.value is not None]
        state = min(judged, key=WORST.index)
        return Cell(MARKS[state], f"{judged.count('fails')}/{len(judged)}", state)
    entry = entries[0]
    shown = row(entry, lang)
    text = shown.value if not shown.interval else f"{shown.value} ({shown.interval})"
    return Cell(MARKS[entry.verdict], text, entry.verdict)


def observed_to(document: dict[str, Any], quarter: Quarter) -> date:
    """The last day (Minsk) a compliance document observed: the quarter's last, or the day it
    was computed on while the quarter ran (a document from before it said is of the whole)."""
    until = document.get("observed_until")
    if until is None:
        return quarter.last_day
    return min(quarter.last_day,
               minsk_day(datetime.fromisoformat(until) - timedelta(microseconds=1)))


def schedule(document: dict[str, Any], quarter: Quarter) -> dict[str, float | None]:
    """How often lines were tested, as the quarter's own data shows: sessions per connection
    per day elapsed, from the whole population's delay and speed figures."""
    days = (observed_to(document, quarter) - quarter.first_day).days + 1

    def rate(kind: str) -> float | None:
        entry = next((e for e in document["indicators"]
                      if MEASURES[e["measure"]].sessions_of == kind
                      and e["technology"] is None and e["connections"]), None)
        return None if entry is None or days < 1 else entry["n"] / entry["connections"] / days
    return {"latency": rate("latency"), "speed": rate("throughput")}


def drawings(data: dict[str, Any], profile: Profile, lang: str) -> dict[str, Markup | None]:
    """The SVG pictures, ready to inline (matplotlib escapes the text inside them), each with
    its data in words as its text alternative."""
    from netq.reports import charts

    words = Words(lang)
    labels = charts.Labels(
        measured=words("measured"), norm=words("norm"), speed_axis=words("%% of tariff"),
        lines_share_axis=words("share of lines, %%"),
        availability_axis=words("availability, %%"), evening_peak=words("19–23 h"),
        hour_axis=words("hour of the day"), delay_axis=words("delay, ms"),
        unit=lambda name: formatting.unit(name, lang), number=formatting.numbers(lang),
        technology=formatting.technology)
    of_time = next((float(i.norm.value) for i in profile.indicators
                    if i.service in ("fixed", "data") and MEASURES[i.measure].of_time), None)
    months = [formatting.month(date.fromisoformat(m["month"]), lang) if m["until"] is None
              else words("%(month)s (to %(day)s)", month=formatting.month(
                  date.fromisoformat(m["month"]), lang),
                  day=date.fromisoformat(m["until"]).day)
              for m in data["months"]]
    fixed = profile.per_test.get("fixed")
    limit = None if fixed is None else getattr(fixed, SPEED_NORM)
    speed_norm = None if limit is None else float(limit.value)
    speeds = data["speed_down_share_by_technology"]
    nodes = data["availability_by_node"]
    made = {
        "trend": (charts.monthly_trend(data["months"], months, labels),
                  _trend_in_words(data["months"], months, lang)),
        "speed": (None, "") if speed_norm is None else (
            charts.speed_distribution(speeds, speed_norm, labels),
            "; ".join(words("%(technology)s: %(lines)s, %(share)s %% of them at %(norm)s %% "
                            "of the tariff or more", technology=formatting.technology(t),
                            lines=formatting.count(len(v), "lines", lang),
                            share=formatting.number(100 * sum(x >= speed_norm for x in v)
                                                    / len(v), lang, 0),
                            norm=formatting.number(speed_norm, lang, 0))
                      for t, v in sorted(speeds.items()))),
        "hours": (charts.hour_profile(data["hours"], speed_norm, labels),
                  _hours_in_words(data["hours"], lang)),
        "availability": (None, "") if of_time is None else (
            charts.availability_by_node(nodes, of_time, labels),
            "; ".join(f"{n}: {formatting.number(v, lang)} %"
                      for n, v in sorted(nodes.items(), key=lambda i: (i[1], i[0]))[:15])),
    }
    return {name: None if picture is None else Markup(_labelled(picture, said))
            for name, (picture, said) in made.items()}


def _labelled(picture: str, words: str) -> str:
    """The SVG as an image whose accessible name is its data in words."""
    return picture.replace("<svg", f'<svg role="img" aria-label="{escape(words)}"', 1)


HOURS_IN_WORDS = {
    "speed": N_("speed %(technology)s: %(peak)s %% of the tariff at 19–23 h, %(rest)s %% the "
                "rest of the day"),
    "delay": N_("delay %(technology)s: %(peak)s ms at 19–23 h, %(rest)s ms the rest of the day"),
}


def _hours_in_words(hours: dict[str, dict[str, list[float | None]]], lang: str) -> str:
    """Per measure and technology: the value in the evening peak beside the rest of the day."""
    words = Words(lang)
    said = []
    for what, found in hours.items():
        for technology, values in found.items():
            peak = [v for h, v in enumerate(values)
                    if v is not None and EVENING_PEAK[0] <= h < EVENING_PEAK[1]]
            rest = [v for h, v in enumerate(values)
                    if v is not None and not EVENING_PEAK[0] <= h < EVENING_PEAK[1]]
            said.append(words(
                HOURS_IN_WORDS[what], technology=formatting.technology(technology),
                peak=formatting.number(sum(peak) / len(peak) if peak else None, lang, 1),
                rest=formatting.number(sum(rest) / len(rest) if rest else None, lang, 1)))
    return "; ".join(said)


def _trend_in_words(months: list[dict[str, Any]], names: list[str], lang: str) -> str:
    said = []
    for entry in months[0]["indicators"]:
        if entry["technology"] is not None or entry.get("tariff_kbps") is not None:
            continue
        values = [next((x["value"] for x in m["indicators"] if x["id"] == entry["id"]
                        and x["technology"] is None and x.get("tariff_kbps") is None), None)
                  for m in months]
        if all(v is None for v in values):
            continue
        said.append(f"№ {entry['item']}: " + ", ".join(
            f"{name} {formatting.number(v, lang)}" for name, v in zip(names, values, strict=True))
            + f" ({formatting.norm(entry['norm']['op'], entry['norm']['value'], lang)})")
    return "; ".join(said)


def build(store: Store, quarter: Quarter, profile: str | None = None, lang: str = "ru",
          now: datetime | None = None, operator: Operator | None = None) -> dict[str, Any]:
    """The report's content: the computation as of `now` (default: now), and how each part
    of it is shown; `operator`: who publishes it."""
    now = now or datetime.now(UTC)
    units = read_units(store, quarter, profile)  # once, for the table and the details
    # what it publishes, and what it reads
    document, typed = compliance_read(store, quarter, profile, breakdown="technology",
                                      units=units, now=now)
    today = minsk_day(now)
    document["preliminary"] = today <= quarter.last_day
    document["operator"] = None if operator is None else operator.model_dump()
    chosen = store.norms.profile(document["edition"])
    shown = details(store, quarter, document["profile"], units, today=today)
    publication = chosen.obligations.publication or store.norms.publication(quarter.last_day)
    return {
        "pictures": drawings(shown, chosen, lang),
        "connections": shown["connections"],
        "document": document,
        "lang": lang,
        "quarter": quarter,
        "profile": chosen,
        "sections": sections(typed, lang),
        "summary": summary(typed, lang),
        "indicators_by_state": findings.indicators_by_state(typed, lang),
        "failing": findings.failing(typed, lang),
        "plain": findings.in_plain_words(typed, lang),
        "glossary": findings.glossary(typed, lang),
        "lines": {key: shown[key] for key in ("lines_total", "lines_by_region", "worst_nodes",
                                              "plans", "day_and_peak", "panel")},
        "norm_names": findings.norm_names(shown["norms"], lang),
        "schedule": schedule(document, quarter),
        "publication": publication,
        "due": None if publication is None else deadline.due(quarter, publication),
        "days_left": None if publication is None
        else deadline.days_left(quarter, publication, today),
        "generated_at": now.astimezone(MINSK),  # the computation's own time
        "observed_to": observed_to(document, quarter),
        "operator": operator,
        "preliminary": document["preliminary"],
        "number": lambda v, places=2: formatting.number(v, lang, places),
        "count": lambda n, counts: formatting.count(n, counts, lang),
        "unit": lambda name: formatting.unit(name, lang),
        "verdict_word": lambda shown: formatting.verdict(shown["verdict"], shown["meets"], lang),
        "technology": formatting.technology,
        "layer": lambda name: formatting.word(formatting.LAYERS, name, lang),
        "excluded": lambda name: formatting.word(EXCLUDED, name, lang),
        "readings": {key: formatting.word(READINGS, key, lang) for key in READINGS},
        "notice": lambda entry: formatting.notice(entry, lang),
    }


def html(context: dict[str, Any]) -> str:
    return i18n.environment(context["lang"]).get_template("quarterly.html.j2").render(**context)


# archival PDF (ISO 19005-3, level U: every character maps to Unicode, so Cyrillic text can
# be searched and copied): a public document kept for years
PDF_VARIANT = "pdf/a-3u"


def pdf(context: dict[str, Any], path: Path) -> None:
    """The same HTML, typeset by WeasyPrint: A4, page numbers, fonts embedded, PDF/A, the
    headings as bookmarks."""
    from weasyprint import HTML

    HTML(string=html(context)).write_pdf(path, pdf_variant=PDF_VARIANT)


# Open data, one row per profile × service × technology × indicator that applies to it (and
# per tariff plan for item 9): each column described as the data package says it
INDICATOR_COLUMNS: list[tuple[str, str, str]] = [
    ("quarter", "string", "the quarter, e.g. 2026Q3"),
    ("profile", "string", "the registry profile whose connections are judged"),
    ("id", "string", "the indicator: edition key and the source's number"),
    ("service", "string", "fixed, wireless, data (both, as byfly's tables count) or customer"),
    ("technology", "string", "the access technology; empty: all the service's lines"),
    ("name_ru", "string", "the indicator worded as in the source"),
    ("unit", "string", "the unit of value, norm_value and the interval: %, ms, or % of lines "
                       "(item 9: the share of a tariff plan's lines meeting their contract)"),
    ("norm_op", "string", ">= (at least) or <= (at most)"),
    ("norm_value", "number", "the norm, in unit"),
    ("value", "number", "the measured value, in unit; empty: no data"),
    ("ci95_low", "number", "95 % interval, low end, in unit (the connection as the unit of "
                           "sampling)"),
    ("ci95_high", "number", "95 % interval, high end, in unit"),
    ("n", "number", "the sample, counted as n_counts says"),
    ("meets", "boolean", "whether value itself meets the norm; empty: no verdict"),
    ("verdict", "string", "the decision rule: meets or fails (the whole 95 % interval on that "
                          "side of the norm, or a census), edge (the interval crosses it), "
                          "insufficient_sample, not_measured or no_data"),
    ("preliminary", "boolean", "true while the quarter has not ended"),
    ("period_from", "date", "the quarter's first day (Europe/Minsk)"),
    ("period_to", "date", "the last day observed (Europe/Minsk): the quarter's last, or the "
                          "day of computation in a preliminary report"),
    ("n_counts", "string", "what n counts: sessions (of latency), packets, minutes, tests "
                           "(complete speed tests), attempts, started (speed tests that "
                           "started), lines, contracts, calls or tickets"),
    ("connections", "integer", "the connections behind the figure (the units of sampling); "
                               "empty for the operator's own records"),
    ("tariff_kbps", "integer", "item 9: the tariff plan's speed, kbit/s; empty otherwise"),
    ("layer", "string", "item 9: the layer speed is judged at (tcp_payload unless the "
                        "profile's source states its tariff at another)"),
    ("mean_kbps", "number", "item 9: the mean over the plan's lines of each line's fastest "
                            "(slowest) test, kbit/s, shown beside the verdict"),
    ("clause", "string", "where the norm stands in its source"),
]
CONNECTION_COLUMNS: list[tuple[str, str, str]] = [
    ("pseudonym", "string", "HMAC-SHA-256 of the connection id under the operator's key: the "
                            "same line across the operator's quarters, nobody else's"),
    ("service", "string", "fixed or wireless"),
    ("technology", "string", "the access technology"),
    ("region", "string", "the region"),
    ("period_from", "date", "the first day of the registry period within the quarter "
                            "(Europe/Minsk)"),
    *(column for kind, sessions in SESSIONS.items() for column in (
        (sessions.column, "integer", sessions.meaning),
        *((f"{norm.name}_meeting_norm_percent", "number",
           f"% of them meeting the per-test norm {norm.key}; empty where the line's profile "
           "sets none for its service and technology")
          for norm in PER_TEST_NORMS if norm.reads == kind))),
    ("packet_loss_percent", "number", "lost packets of all sent, %"),
    ("availability_percent", "number", "time available of time observed against the "
                                       "Internet (planned works in, lawful suspensions "
                                       "out), %"),
]


def indicator_table_csv(document: dict[str, Any]) -> str:
    """Open data: the indicator table, machine-readable, decimal point, no formatting."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([name for name, _, _ in INDICATOR_COLUMNS])
    preliminary = str(bool(document.get("preliminary"))).lower()
    quarter = Quarter.parse(document["quarter"])

    def blank(value: Any) -> Any:
        return "" if value is None else value
    for e in document["indicators"]:
        ci = e["ci95"] or [None, None]
        writer.writerow(cells([
            document["quarter"], document["profile"], e["id"], e["service"],
            e["technology"] or "", e["name_ru"], e["unit"], e["norm"]["op"], e["norm"]["value"],
            blank(e["value"]), blank(ci[0]), blank(ci[1]), e["n"],
            "" if e["meets"] is None else str(e["meets"]).lower(), e["verdict"], preliminary,
            quarter.first_day.isoformat(), observed_to(document, quarter).isoformat(),
            e["n_counts"],
            blank(e["connections"]), blank(e.get("tariff_kbps")), blank(e.get("layer")),
            blank(e.get("mean_kbps")), e["clause"]]))
    return out.getvalue()


def data_package(document: dict[str, Any], stem: str) -> dict[str, Any]:
    """A Frictionless data package describing the two CSV files, column by column."""
    def resource(name: str, path: str, title: str,
                 columns: list[tuple[str, str, str]]) -> dict[str, Any]:
        return {"name": name, "path": path, "title": title, "profile": "tabular-data-resource",
                "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
                "schema": {"fields": [{"name": n, "type": t, "description": d}
                                      for n, t, d in columns],
                           "missingValues": [""]}}
    return {
        "profile": "tabular-data-package",
        "name": stem.lower(),
        "title": f"{document['profile_title']} — {document['quarter']}",
        "description": "Quality of data services measured by netq: the indicator table of "
                       "the quarterly report, and each connection's own figures under a "
                       "pseudonym. Dates are Europe/Minsk days.",
        "created": document["manifest"]["computed_at"] if document.get("manifest") else None,
        "resources": [
            resource("indicators", f"{stem}.csv", "The indicator table", INDICATOR_COLUMNS),
            resource("connections", f"{stem}-connections.csv",
                     "Each connection's own figures, pseudonymised", CONNECTION_COLUMNS)],
    }


def cells(row: list[Any]) -> list[Any]:
    """OWASP's rule against CSV injection: a text cell that a spreadsheet would read as a
    formula (starting with = + - @, a tab or a carriage return) is prefixed with a quote."""
    return ["'" + v if isinstance(v, str) and v[:1] in FORMULA_STARTS else v for v in row]


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def pseudonymised_csv(connections: list[dict[str, Any]], key: bytes) -> str:
    """Open data per connection: the id replaced by a keyed hash (HMAC-SHA-256), so the
    operator can link its own rows across quarters with its key and nobody else can link
    them to a subscriber. Rows in pseudonym order, so the order says nothing either."""
    out = io.StringIO()
    columns = [c for c in connections[0] if c != "connection_id"] if connections else []
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["pseudonym", *columns])
    rows = sorted([hmac.new(key, c["connection_id"].encode(), hashlib.sha256).hexdigest()[:20],
                    *("" if c[k] is None else c[k] for k in columns)] for c in connections)
    writer.writerows(cells(row) for row in rows)
    return out.getvalue()


def write(context: dict[str, Any], formats: list[str], out: Path,
          pseudonym_key: bytes | None = None) -> list[Path]:
    """Write the report in each format into `out`; the paths written. Each file is written
    beside its place and renamed into it: a reader never sees half a report, and a symlink
    planted at the name is replaced, never followed."""
    out.mkdir(parents=True, exist_ok=True)
    stem = f"netq-quality-{context['quarter']}-{context['document']['profile']}"
    written = []
    for kind in formats:
        path = out / f"{stem}.{kind}"
        if kind == "html":
            replace(path, lambda p: p.write_text(html(context), "utf-8"))
        elif kind == "csv":
            replace(path, text_of(indicator_table_csv(context["document"])))
            package = out / f"{stem}-datapackage.json"
            described = json.dumps(data_package(context["document"], stem),
                                   ensure_ascii=False, indent=1)
            replace(package, text_of(described))
            written.append(package)
            connections = out / f"{stem}-connections.csv"
            # without the operator's key, a fresh one: rows then link across nothing
            text = pseudonymised_csv(context["connections"],
                                     pseudonym_key or secrets.token_bytes(32))
            replace(connections, text_of(text))
            written.append(connections)
        elif kind == "pdf":
            replace(path, lambda p: pdf(context, p))
        elif kind == "json":
            replace(path, lambda p: p.write_text(
                json.dumps(context["document"], ensure_ascii=False, indent=1), "utf-8"))
        written.append(path)
    return written


