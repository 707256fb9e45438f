"""An indicator's entry as the report's tables word it: its number, name as in the source,
unit, norm, value, interval, sample and verdict."""

from __future__ import annotations

from dataclasses import dataclass

from netq.collector.compliance.document import IndicatorEntry
from netq.reports import formatting
from netq.reports.i18n import Words


@dataclass(frozen=True)
class Row:
    number: str
    name: str
    note: str  # what the figure holds beside its value (planned works, item 9's mean)
    unit: str
    norm: str
    value: str
    interval: str
    n: str
    verdict: str
    meets: bool | None  # the value's side of the norm
    state: str  # the decision rule's verdict
    clause: str


def row(entry: IndicatorEntry, lang: str) -> Row:
    ci = entry.ci95
    words = Words(lang)
    name, notes = entry.name_ru, []
    norm = formatting.norm(entry.norm.op, entry.norm.value, lang)
    if entry.line_norm is not None:  # item 9, per tariff plan: every line's contract
        name += " — " + words("tariff %(kbps)s kbit/s (%(layer)s)",
                              kbps=formatting.number(entry.tariff_kbps, lang, 0),
                              layer=formatting.word(formatting.LAYERS, entry.layer or "", lang))
        norm = words("every line: %(norm)s", norm=formatting.norm(
            entry.line_norm.op, entry.line_norm.kbps, lang))
        notes.append(words("the lines' mean %(kbps)s kbit/s; lines below the norm: %(failing)s",
                           kbps=formatting.number(entry.mean_kbps, lang, 0),
                           failing=formatting.number(entry.lines_failing, lang, 0)))
    if entry.planned_works_down_minutes:
        notes.append(words("of which down in planned works: %(minutes)s min, of them in works "
                           "announced late: %(late)s min",
                           minutes=formatting.number(entry.planned_works_down_minutes, lang, 0),
                           late=formatting.number(
                               entry.planned_works_late_notice_down_minutes, lang, 0)))
    if entry.source_norm is not None:
        norm += " " + words("(the operator's rules: %(norm)s; the resolution's stricter norm "
                            "judges)", norm=formatting.norm(entry.source_norm.op,
                                                            entry.source_norm.value, lang))
    clause = entry.clause if not entry.raised_by else \
        words("%(clause)s; norm by: %(raised)s", clause=entry.clause, raised=entry.raised_by)
    return Row(
        number=".".join(part for part in entry.item.split(".")
                        if part not in ("max", "min", "down", "up")),
        name=name,
        note="; ".join(notes),
        unit=formatting.unit(entry.unit, lang),
        norm=norm,
        value=formatting.number(entry.value, lang),
        interval="" if ci is None else
        f"{formatting.number(ci[0], lang)} – {formatting.number(ci[1], lang)}",
        n=sample_size(entry, lang),
        verdict=formatting.verdict(entry.verdict, entry.meets, lang),
        meets=entry.meets,
        state=entry.verdict,
        clause=clause,
    )


def sample_size(entry: IndicatorEntry, lang: str) -> str:
    """What n counts, and over how many connections (the unit of sampling)."""
    text = formatting.count(entry.n, entry.n_counts, lang)
    if entry.connections is not None and entry.n_counts != "lines":
        text += "; " + formatting.count(entry.connections, "lines", lang)
    if entry.certain and entry.ci95 is None and entry.connections is None:
        words = Words(lang)
        text += " (" + words("complete records") + ")"
    return text
