"""The documents' words: every message the code and templates use is in each catalogue, with
the same placeholders; and a report and a line protocol rendered in each language show only
the document — no Python, no English in Russian or Belarusian, no number written the English
way, no untranslated message."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po

from netq.collector.compliance.quarter import Quarter
from netq.collector.records import import_csv
from netq.collector.registry import FIRST_PERIOD, Connection
from netq.collector.store import Store
from netq.reports import i18n, line, quarterly
from tests.records import interval
from tests.test_compliance_quarter import RECORDS, norms_with_min_sample, registry

pytestmark = pytest.mark.slow  # every document rendered in three languages

ROOT = Path(__file__).resolve().parent.parent
Q3 = Quarter(2026, 3)
# words of the trade, standards and names that stand as they are in every language
AS_IS = {"TCP", "IP", "RFC", "ITU", "STAMP", "ONT", "CPE", "ADSL", "PON", "LTE", "UMTS",
         "DOCSIS", "WLL", "IMT", "NR", "Wi", "Fi", "Ethernet", "MTU", "netq", "Tmax", "DVB",
         "BER", "CSV", "SHA", "profile",
         "FCC", "Measuring", "Broadband", "America"}  # a programme's proper name


def catalogue(lang: str) -> Any:
    path = ROOT / "reports" / "locale" / lang / "LC_MESSAGES" / "netq.po"
    with path.open("rb") as handle:
        return read_po(handle, locale=lang)


@pytest.mark.parametrize("lang", ["ru", "be"])
def test_every_message_is_translated_with_its_placeholders(lang: str) -> None:
    """scripts/catalogues merges new messages in; a translator fills them."""
    used = i18n.extracted(ROOT)
    translated = catalogue(lang)
    missing = [m.id for m in used if m.id and m.id not in translated]
    assert missing == [], f"messages not in the {lang} catalogue (run scripts/catalogues)"
    empty = [m.id for m in translated if m.id and not (
        all(m.string) if isinstance(m.string, tuple) else m.string)]
    assert empty == [], f"untranslated in {lang}"
    unused = [m.id for m in translated if m.id and m.id not in used]
    assert unused == [], f"no longer used, in {lang}"
    for message in translated:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(re.findall(r"%\(\w+\)s|%%", ids[-1]))
        for string in strings:
            assert set(re.findall(r"%\(\w+\)s|%%", string)) == wanted, (message.id, string)


def test_plural_forms_agree_with_the_number() -> None:
    """«1 договор», «2 договора», «5 договоров», «21 договор», «1 024 измерения»."""
    from netq.reports.formatting import count

    assert [count(n, "contracts", "ru") for n in (1, 2, 5, 21, 11)] == [
        "1 договор", "2 договора", "5 договоров", "21 договор", "11 договоров"]
    assert count(1024, "tests", "ru") == "1\xa0024 измерения"
    assert count(523, "attempts", "be") == "523 спробы"
    assert count(1, "lines", "en") == "1 line"


# not read as text: styles, ids and keys in <code>, a picture's own metadata
HIDDEN = ("style", "code", "title", "metadata")


class Text(HTMLParser):
    """The text a reader sees: no markup, no styles, nothing in <code> (ids, keys, hashes)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in HIDDEN:
            self.hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in HIDDEN:
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def seen(html: str, data: list[str]) -> str:
    parser = Text()
    parser.feed(html)
    text = " ".join(parser.parts)
    for item in sorted(data, key=len, reverse=True):  # what the sources and the data say
        text = text.replace(item, " ")
    return " ".join(text.split())


def source_text(value: Any) -> list[str]:
    """Every string of the norms as resolved: the sources' own words, quoted as they are."""
    if isinstance(value, dict):
        return [s for v in value.values() for s in source_text(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in source_text(v)]
    return [value] if isinstance(value, str) and len(value) > 2 else []


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """The quarterly report of each profile and one line's protocol, in each language, from a
    quarter with every kind of record, note and exclusion."""
    tmp = tmp_path_factory.mktemp("words")
    norms = norms_with_min_sample(tmp, 2)
    store = Store.open(str(tmp / "netq.db"), norms)
    lines = [*registry(),
             Connection("B1", FIRST_PERIOD, "fixed", "adsl", 10_000, 1_000, "Minsk", "node-b",
                        "byfly2024"),
             Connection("B2", FIRST_PERIOD, "wireless", "lte", 20_000, 5_000, "Minsk", "node-b",
                        "byfly2024")]
    store.upsert_connections(lines)
    on_net = interval("F2", "2026-07-03T00:00:00+03:00", "2026-07-03T01:00:00+03:00", up=True)
    del on_net["metrics"]["off_net_targets"]
    store.ingest([*RECORDS, on_net,
                  interval("B1", "2026-07-01T00:00:00+03:00", "2026-07-02T00:00:00+03:00", True)])
    for kind, text in (
            ("calls", "call_id,offered_at,answered_at\nc1,2026-07-01 09:00,2026-07-01 09:01\n"),
            ("tickets", "ticket_id,connection_id,registered_at,restored_at,fault\n"
                        "t1,F1,2026-07-01 10:00,2026-07-03 10:00,third_party\n"),
            ("contracts", "contract_id,connection_id,registered_on,promised_days,activated_on\n"
                          "k1,F1,2026-07-01,5,2026-07-09\n"),
            ("planned-works", "work_id,announced_at,starts_at,ends_at,nodes\n"
                              "w1,2026-07-01 11:00,2026-07-01 12:00,2026-07-01 12:30,node-a\n"),
            ("suspensions", "suspension_id,connection_id,starts_at,ends_at,reason\n"
                            "s1,F1,2026-07-10 00:00,2026-07-11 00:00,subscriber_request\n")):
        assert import_csv(store, kind, text.splitlines(keepends=True), kind).rejected == []
    data = [*source_text([p.model_dump(mode="json") for p in norms.profiles.values()]),
            *(v for c in lines for v in (c.connection_id, c.region, c.node, c.profile)),
            "thresholds.yaml"]
    pages: dict[str, list[str]] = {lang: [] for lang in i18n.LANGUAGES}
    from datetime import UTC, datetime

    from netq.collector.compliance.line import protocol, window

    now = datetime(2026, 10, 5, 9, tzinfo=UTC)
    for lang in i18n.LANGUAGES:
        for profile in ("com645", "byfly2024"):
            pages[lang].append(seen(quarterly.html(quarterly.build(
                store, Q3, profile, lang, now=now)), data))
        document = protocol(store, "F1", window(Q3.first_day, Q3.last_day), now=now)
        pages[lang].append(seen(line.html(document, lang), data))
    return pages


PYTHON = [r"<[a-z_]+ object", r"object at 0x", r"\bNone\b", r"\bTrue\b", r"\bFalse\b",
          r"dict_\w+", r"%\(\w+\)s", r"\{\{|\}\}", r"\bnan\b", r"\[\]", r"\{\}"]


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_a_rendered_document_shows_only_the_document(rendered: dict[str, list[str]],
                                                     lang: str) -> None:
    for text in rendered[lang]:
        for pattern in PYTHON:
            assert not re.search(pattern, text), (pattern, re.search(pattern, text))
        if lang == "en":
            cyrillic = re.findall(r"[А-Яа-яЁёІіЎў]+", text)
            assert cyrillic == [], cyrillic[:20]
            continue
        words = {w for w in re.findall(r"[A-Za-z][A-Za-z0-9_./-]*", text)
                 if w.isalpha() and len(w) > 1}
        assert words <= AS_IS, [text[max(0, m.start() - 80):m.end() + 40] for m in
                                re.finditer("|".join(sorted(words - AS_IS)), text)][:5]
        decimals = re.findall(r"(?<![\d.])\d+\.\d+(?![\d.])", text)
        assert decimals == [], decimals[:20]  # 99.75 where the text writes 99,75
