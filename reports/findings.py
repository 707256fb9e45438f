"""What the report says first, and where it says the failures are: the indicators counted by
verdict, every indicator that fails or stands on the edge with its value and norm, and the
lines behind the figures — below each per-test norm, below their contract, below 80 % and 95 %
of their tariff — by region, node and tariff plan, and the measured lines against the
registry's."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from netq.collector.compliance.document import Document, IndicatorEntry
from netq.collector.compliance.measures import MEASURES, PER_TEST_NORMS
from netq.messages import N_
from netq.reports import formatting
from netq.reports.i18n import Words
from netq.reports.rows import row

# the states in the order the first page counts them
STATES = ("meets", "fails", "edge", "insufficient_sample", "not_measured", "no_data")
MARKS = {"meets": "✓", "fails": "✗", "edge": "≈", "insufficient_sample": "?",
         "not_measured": "—", "no_data": "—"}
# a group of entries (item 9's plans) reads as its worst: a plan failing, then on the edge
WORST = ("fails", "edge", "insufficient_sample", "meets", "not_measured", "no_data")
# the first page's count of indicators per state
COUNTED = {"meets": N_("meet the norm"), "fails": N_("do not meet it"),
           "edge": N_("on the edge"), "insufficient_sample": N_("too little data for a verdict"),
           "not_measured": N_("not measured"), "no_data": N_("no data")}
# the per-test norms a line is counted against, as the tables head their columns of lines
NORMS = {norm.name: norm.outside for norm in PER_TEST_NORMS}


@dataclass(frozen=True)
class Counted:
    mark: str
    words: str
    n: int
    state: str


@dataclass(frozen=True)
class Failing:
    """An indicator that fails or stands on the edge, where, with its value and norm."""

    number: str
    name: str
    where: str
    value: str
    norm: str
    verdict: str
    state: str


def indicators_by_state(document: Document, lang: str) -> tuple[int, list[Counted]]:
    """Each indicator once, over all its lines (item 9: its worst tariff plan), counted by
    verdict; states no indicator is in are left out."""
    worst: dict[str, str] = {}
    for entry in document.indicators:
        if entry.technology is not None:
            continue
        state = entry.verdict
        known = worst.get(entry.id)
        worst[entry.id] = state if known is None else min(known, state, key=WORST.index)
    words = Words(lang)
    counted = [Counted(MARKS[s], words(COUNTED[s]), list(worst.values()).count(s), s)
               for s in STATES]
    return len(worst), [c for c in counted if c.n]


def failing(document: Document, lang: str) -> list[Failing]:
    """Every indicator that fails, then every one on the edge, over all lines, and under a
    technology only where it does worse there than over all; item 9 as how many of its tariff
    plans fail; the operator's own records (items 1–3) included."""
    words = Words(lang)
    groups: dict[tuple[str, str | None], list[IndicatorEntry]] = {}
    for entry in document.indicators:
        groups.setdefault((entry.id, entry.technology), []).append(entry)

    def state(entries: list[IndicatorEntry]) -> str:
        return str(min((e.verdict for e in entries), key=WORST.index))
    found = []
    for wanted in ("fails", "edge"):
        for (key, technology), entries in groups.items():
            whole = state(groups.get((key, None), entries))
            if state(entries) != wanted or (technology is not None
                                            and WORST.index(whole) <= WORST.index(wanted)):
                continue
            shown = row(entries[0], lang)
            where = formatting.technology(technology) if technology else words("all lines")
            line_norm = entries[0].line_norm
            if line_norm is None:
                value, norm = f"{shown.value} {shown.unit}", shown.norm
            else:  # item 9: a norm of every contract, judged per tariff plan
                judged = [e for e in entries if e.value is not None]
                value = words.plural("%(failing)s of %(n)s tariff plan",
                                     "%(failing)s of %(n)s tariff plans", len(judged),
                                     failing=sum(e.verdict == wanted for e in judged),
                                     n=len(judged))
                norm = words("every line: %(norm)s %% of its tariff", norm=formatting.norm(
                    line_norm.op, line_norm.share_of_tariff, lang))
            said = shown.verdict if len(entries) == 1 else \
                formatting.verdict(wanted, wanted == "edge", lang)
            found.append(Failing(shown.number, shown.name.split(" — ")[0], where, value, norm,
                                 said, wanted))
    return found


def norm_names(norms: Sequence[str], lang: str) -> dict[str, str]:
    """The per-test norms the tables of lines show, each as its column is headed."""
    words = Words(lang)
    return {name: words(NORMS[name]) for name in norms}


# the first page's plain words: per measure that has them, a sentence with the value and norm
PLAIN = {name: measure.plain for name, measure in MEASURES.items() if measure.plain}
PLAIN_SERVICES = {"fixed": N_("Fixed network:"), "data": N_("Internet access:"),
                  "wireless": N_("Wireless network:"), "customer": N_("Customer service:")}


@dataclass(frozen=True)
class Plain:
    """A sentence of the summary in plain words, with its verdict."""

    text: str
    verdict: str
    state: str


def in_plain_words(document: Document, lang: str) -> list[tuple[str, list[Plain]]]:
    """What the main figures mean, a sentence each, over all lines, service by service: the
    value against its norm in everyday words, and the verdict."""
    words = Words(lang)
    found = []
    for service, title in PLAIN_SERVICES.items():
        said = []
        for entry in document.indicators:
            if entry.service != service or entry.technology is not None or \
                    entry.measure not in PLAIN or entry.value is None:
                continue
            norm = formatting.norm(entry.norm.op, entry.norm.value, lang)
            said.append(Plain(words(PLAIN[entry.measure],
                                    value=formatting.number(entry.value, lang, 1), norm=norm),
                              formatting.verdict(entry.verdict, entry.meets, lang),
                              entry.verdict))
        if said:
            found.append((words(title), said))
    return found


# the glossary: the terms before the measures' own (measures/), and after them
GLOSSARY_BEFORE: list[tuple[str, str]] = [
    (N_("Line (connection)"), N_("A subscriber's contract for data service, as the operator's "
                                 "registry lists it, with its technology, tariff, region and "
                                 "node.")),
    (N_("Probe"), N_("A measuring device at a subscriber's terminal (ONT) or at a network node: "
                     "it tests the line at random moments, day and night, against the "
                     "operator's measurement servers and servers outside its network.")),
    (N_("Test (session)"), N_("One speed test in one direction, or one series of packets for "
                              "delay and loss (the method says how long). The «connections» "
                              "of items 13–19 and 21 are these tests.")),
]
GLOSSARY_AFTER: list[tuple[str, str]] = [
    (N_("95 %% interval"), N_("Where the figure for all the operator's lines lies, with 95 %% "
                             "confidence, given the lines measured.")),
    (N_("On the edge"), N_("The 95 %% interval crosses the norm: the lines measured do not "
                           "settle it, and an inspector's own sample of lines could fall on "
                           "either side. Read it as a warning, not as meeting the norm.")),
    (N_("Insufficient sample"), N_("Fewer lines measured than the method's minimum: the value "
                                   "is shown, with no verdict.")),
    (N_("Evening peak"), N_("19:00–23:00 Minsk time, when lines are busiest and subscribers "
                            "use them most.")),
    (N_("Consistent speed (80/80)"), N_("The speed 80 %% of a line's evening tests reach, and "
                                        "that 80 %% of the plan's lines reach in turn: the "
                                        "speed a subscriber can count on.")),
]


@dataclass(frozen=True)
class Term:
    term: str
    meaning: str
    clause: str | None


def glossary(document: Document, lang: str) -> list[Term]:
    """The terms in the report's language, each citing its indicator's clause in this
    profile where it has one."""
    words = Words(lang)
    clauses: dict[str, str] = {}
    for entry in document.indicators:  # the first entry of a measure cites its clause
        clauses.setdefault(entry.measure, entry.clause.split(":")[0])
    # the measures' own terms in the order the document shows the measures
    named = sorted(((name, m.term) for name, m in MEASURES.items() if m.term is not None),
                   key=lambda item: list(clauses).index(item[0]) if item[0] in clauses
                   else len(clauses))
    return [*(Term(words(term), words(meaning), None) for term, meaning in GLOSSARY_BEFORE),
            *(Term(words(term), words(meaning), clauses.get(name))
              for name, (term, meaning) in named),
            *(Term(words(term), words(meaning), None) for term, meaning in GLOSSARY_AFTER)]
