"""Numbers, dates and the documents' recurring words as the report's language writes them:
numbers and dates from Babel's CLDR data, words from the language's catalogue (i18n.py)."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from babel import Locale
from babel.dates import format_date
from babel.numbers import NumberPattern, parse_pattern

from netq.messages import N_, NP_
from netq.reports.i18n import Words

LOCALES = {"ru": "ru_RU", "be": "be_BY", "en": "en_GB"}


# the decision rule's states (collector/compliance/indicators.decide)
VERDICTS = {"meets": N_("meets"), "fails": N_("does not meet"), "edge": N_("on the edge"),
            "insufficient_sample": N_("insufficient sample"),
            "not_measured": N_("not measured"), "no_data": N_("no data")}
UNITS = {"%": N_("%%"), "ms": N_("ms"), "% of tariff": N_("%% of tariff"),
         "kbit/s": N_("kbit/s"), "% of lines": N_("%% of lines")}
NORM_WORDS = {">=": N_("at least"), "<=": N_("at most")}
# access technologies by their names in the trade (proper names: the same in every language)
TECHNOLOGIES = {"adsl": "ADSL", "pon": "PON", "ethernet": "Ethernet", "docsis": "DOCSIS",
                "wifi": "Wi-Fi", "wll": "WLL", "umts": "UMTS", "lte": "LTE",
                "nr": "IMT-2020 (5G NR)"}
SERVICES = {"fixed": N_("fixed"), "wireless": N_("wireless")}
LAYERS = {"tcp_payload": N_("TCP payload"), "ip": N_("IP layer"),
          "ethernet": N_("Ethernet layer")}
# why a record was not judged (netq.result/1 `exclusion`)
EXCLUSIONS = {"server_busy": N_("the measurement server was busy"),
              "server_down": N_("the measurement server was down"),
              "cross_traffic": N_("deferred for the subscriber's own traffic"),
              "probe_error": N_("an error of the probe"),
              "probe_overloaded": N_("the probe too busy to measure")}
# what `n` counts (each measure's `counts`, measures/), with the count in words
COUNTS: dict[str, tuple[str, str]] = {
    "sessions": NP_("%(n)s session", "%(n)s sessions"),
    "packets": NP_("%(n)s packet", "%(n)s packets"),
    "minutes": NP_("%(n)s minute", "%(n)s minutes"),
    "tests": NP_("%(n)s test", "%(n)s tests"),
    "attempts": NP_("%(n)s attempt", "%(n)s attempts"),
    "started": NP_("%(n)s speed test started", "%(n)s speed tests started"),
    "lines": NP_("%(n)s line", "%(n)s lines"),
    "contracts": NP_("%(n)s contract", "%(n)s contracts"),
    "calls": NP_("%(n)s call", "%(n)s calls"),
    "tickets": NP_("%(n)s ticket", "%(n)s tickets"),
}


def number(value: float | Decimal | None, lang: str, places: int = 2) -> str:
    if value is None:
        return "—"
    return str(_pattern(places).apply(value, _locale(lang)))


# parsed once: a protocol formats tens of thousands of numbers
@functools.cache
def _pattern(places: int) -> NumberPattern:
    return parse_pattern("#,##0." + "0" * places if places else "#,##0")


@functools.cache
def _locale(lang: str) -> Locale:
    return Locale.parse(LOCALES[lang])


def numbers(lang: str) -> Callable[[Any, int], str]:
    """Numbers as the text writes them (a decimal comma in ru), for the charts' ticks."""
    def written(value: Any, places: int) -> str:
        return number(value, lang, places)
    return written


def month(day: date, lang: str) -> str:
    """The month's short standalone name: "июл.", "Jul"."""
    return format_date(day, "LLL", locale=LOCALES[lang])


def day_of_month(day: date, lang: str) -> str:
    """A day as a chart's tick: "1 июл.", "1 Jul"."""
    return format_date(day, "d MMM", locale=LOCALES[lang])


def norm(op: str, value: float, lang: str) -> str:
    places = 0 if float(value).is_integer() else 1
    return f"{Words(lang)(NORM_WORDS[op])} {number(value, lang, places)}"


def verdict(state: str, meets: bool | None, lang: str) -> str:
    """The verdict in words; «on the edge» says which side the value itself is on."""
    words = Words(lang)
    said = words(VERDICTS[state])
    if state == "edge":
        said += " (" + (words("the value within the norm") if meets
                        else words("the value outside it")) + ")"
    return said


def count(n: float, counts: str, lang: str) -> str:
    """`n` of what a figure counts, the noun agreeing with the number: «1 договор»,
    «1 024 измерения», «523 попытки»."""
    singular, plural = COUNTS[counts]
    return Words(lang).plural(singular, plural, n, n=number(n, lang, 0))


def unit(name: str, lang: str) -> str:
    return Words(lang)(UNITS[name]) if name in UNITS else name


def word(table: dict[str, str], key: str, lang: str) -> str:
    """A coded value in words (a service, layer, exclusion): its catalogue entry, else
    itself."""
    return Words(lang)(table[key]) if key in table else key


def technology(name: str | None) -> str:
    return "" if name is None else TECHNOLOGIES.get(name, name)


ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def notice(entry: dict[str, Any], lang: str) -> str:
    """What a computation said beside its figures (collector/compliance/notices.py), in the
    language's words, its numbers and days written as the language writes them."""
    def said(value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            return value
        if isinstance(value, str):
            return day(date.fromisoformat(value), lang) if ISO_DAY.match(value) else value
        return number(value, lang, 0 if float(value).is_integer() else 2)
    words = Words(lang)
    return words(entry["message"], **{k: said(v) for k, v in entry["params"].items()})


def day(value: date, lang: str) -> str:
    """A day as the language writes it in a document: 01.07.2026, 01/07/2026."""
    return format_date(value, "short" if lang == "en" else "dd.MM.yyyy", locale=LOCALES[lang])
