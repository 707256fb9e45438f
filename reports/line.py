"""The line protocol as a document: HTML, PDF (WeasyPrint) or JSON, from one computation
(collector/compliance/line.py); the template only formats it."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from markupsafe import Markup

from netq.collector.compliance.measures import PER_TEST_NORMS
from netq.collector.compliance.quarter import MINSK
from netq.collector.settings import Operator
from netq.files import replace, text_of
from netq.messages import N_
from netq.reports import formatting, i18n, line_charts
from netq.reports.quarterly import PDF_VARIANT

FORMATS = ("html", "pdf", "json")
PRIVATE = 0o600

# coded values of the protocol, in words
FAULTS = {"operator": N_("the operator's"), "third_party": N_("a third party's"),
          "subscriber": N_("the subscriber's")}
KINDS = {"latency": N_("delay and loss"), "throughput": N_("speed"),
         "attempt": N_("connection attempts")}
NORMS = {norm.name: norm.label for norm in PER_TEST_NORMS}
DIRECTIONS = {"down": N_("to the subscriber"), "up": N_("from the subscriber")}
ENDED = {"complete": N_("complete"), "premature": N_("broke off"),
         "not_started": N_("not started")}
SUSPENSIONS = {"non_payment": N_("non-payment"),
               "subscriber_request": N_("the subscriber's request"),
               "subscriber_breach": N_("the subscriber's breach of the contract")}


def minsk(moment: str | None) -> str:
    """An ISO instant as a Minsk wall-clock time, as the sources count days."""
    if moment is None:
        return "—"
    return datetime.fromisoformat(moment).astimezone(MINSK).strftime("%d.%m.%Y %H:%M:%S")


def day(text: str) -> str:
    return datetime.fromisoformat(text).strftime("%d.%m.%Y")


def context(document: dict[str, Any], lang: str, every_test: bool,
            operator: Operator | None = None) -> dict[str, Any]:
    tests = document["tests"]
    # on paper, the tests within the norms are the day table's counts; the rest in full: those
    # outside a norm, failed, broken off, excluded or too short to judge
    shown = tests if every_test else [
        t for t in tests if t["exclusion"] or not all(t["verdicts"].values())
        or t.get("ok") is False or t.get("ended", "complete") != "complete"
        or (t["kind"] != "attempt" and not t["judged"])]
    shown = [{**t, "failed": [formatting.word(NORMS, n, lang)
                              for n, met in t["verdicts"].items() if not met]}
             for t in shown]

    def said(table: dict[str, str]) -> Callable[[str | None], str]:
        return lambda key: "—" if key is None else formatting.word(table, key, lang)
    words = i18n.Words(lang)
    labels = line_charts.LineLabels(
        download=words("to the subscriber"), upload=words("from the subscriber"),
        tariff=words("the tariff"), norm=words("norm"), speed_axis=words("%% of tariff"),
        delay_axis=words("delay, ms"), down_axis=words("down, min"),
        number=formatting.numbers(lang),
        day=lambda shown: formatting.day_of_month(shown, lang))
    pictures = {name: None if drawn is None else Markup(drawn) for name, drawn in (
        ("speed", line_charts.speed_tests(document, labels)),
        ("delay", line_charts.delay_by_day(document, labels)),
        ("down", line_charts.down_by_day(document, labels)))}
    return {"document": document, "lang": lang, "tests": shown, "operator": operator,
            "pictures": pictures,
            "every_test": len(shown) == len(tests), "minsk": minsk, "day": day,
            "number": lambda v, places=2: formatting.number(v, lang, places),
            "count": lambda n, counts: formatting.count(n, counts, lang),
            "unit": lambda name: formatting.unit(name, lang),
            "norm": lambda op, value: formatting.norm(op, value, lang),
            "notice": lambda entry: formatting.notice(entry, lang),
            "technology": formatting.technology, "service": said(formatting.SERVICES),
            "layer": said(formatting.LAYERS), "exclusion": said(formatting.EXCLUSIONS),
            "fault": said(FAULTS), "kind": said(KINDS), "direction": said(DIRECTIONS),
            "ended": said(ENDED), "suspension": said(SUSPENSIONS)}


def html(document: dict[str, Any], lang: str, every_test: bool = True,
         operator: Operator | None = None) -> str:
    return i18n.environment(lang).get_template("line.html.j2").render(
        **context(document, lang, every_test, operator))


def pdf(document: dict[str, Any], lang: str, path: Path, operator: Operator | None = None,
        ) -> None:
    from weasyprint import HTML

    HTML(string=html(document, lang, False, operator)).write_pdf(path, pdf_variant=PDF_VARIANT)


def stem(document: dict[str, Any]) -> str:
    """A file name from the connection id that no id can turn into a path, and no two ids
    share: an id cleaned of other characters keeps a short hash of itself beside."""
    line = document["connection_id"]
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", line).lstrip(".") or "_"
    if safe != line:
        safe += "-" + hashlib.sha256(line.encode()).hexdigest()[:8]
    period = document["period"]
    return f"netq-line-{safe}-{period['from']}-{period['to']}"


def write(document: dict[str, Any], formats: list[str], out: Path, lang: str,
          operator: Operator | None = None) -> list[Path]:
    """Each format into `out`, readable by the owner alone: one subscriber's data."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in formats:
        path = out / f"{stem(document)}.{kind}"
        if kind == "html":
            replace(path, lambda p: p.write_text(html(document, lang, True, operator),
                                                 "utf-8"), PRIVATE)
        elif kind == "pdf":
            replace(path, lambda p: pdf(document, lang, p, operator), PRIVATE)
        elif kind == "json":
            shown = {**document, "operator": None if operator is None else operator.model_dump()}
            replace(path, text_of(json.dumps(shown, ensure_ascii=False, indent=1)), PRIVATE)
        written.append(path)
    return written
