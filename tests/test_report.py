"""The quarterly report: the public table as the sources word it, the figures of
`netq compliance` and nothing else, escaping, a real PDF, and a page that loads in a browser."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
import sys
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pytest

from netq.collector.compliance import deadline, thresholds
from netq.collector.compliance.engine import compliance
from netq.collector.compliance.quarter import MINSK, Quarter
from netq.collector.compliance.report_data import details
from netq.collector.registry import FIRST_PERIOD, Connection
from netq.collector.runs import report_status, save_report
from netq.collector.settings import Operator
from netq.collector.store import Store
from netq.reports import findings, formatting, i18n, quarterly
from tests import browser
from tests.records import interval, latency, speed
from tests.test_compliance_quarter import RECORDS, norms_with_min_sample, registry

pytestmark = pytest.mark.slow  # reports rendered to HTML and PDF, read in a browser

Q3 = Quarter(2026, 3)
HOSTILE_REGION = '<script>alert("x")</script> Мінск "кв"'
HOSTILE_NODE = "<b>узел&1</b>"
OPERATOR = Operator(name="ООО «Тест-Телеком»", registration_number="190000001",
                    address="220000, г. Минск, ул. Примерная, 1",
                    contact="+375 17 000-00-00, quality@isp.example")


def noon(day: date) -> datetime:
    return datetime.combine(day, time(12), MINSK)


def published_store(folder: Path) -> Store:
    store = Store.open(str(folder / "netq.db"), norms_with_min_sample(folder, 2))
    store.upsert_connections([*registry(), Connection(
        "SUBSCRIBER-00042", FIRST_PERIOD, "fixed", "ethernet", 50_000, 50_000,
        HOSTILE_REGION, HOSTILE_NODE, "com645")])
    store.ingest([*RECORDS,
                  speed("SUBSCRIBER-00042", "2026-07-03T10:00:00+03:00", 40_000_000),
                  latency("SUBSCRIBER-00042", "2026-08-03T10:00:00+03:00", 25.0, 100),
                  interval("SUBSCRIBER-00042", "2026-07-03T00:00:00+03:00",
                           "2026-07-03T06:00:00+03:00", up=True)])
    return store


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return published_store(tmp_path)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The report of `published_store`, written once for the tests that only read it."""
    folder = tmp_path_factory.mktemp("published")
    context = quarterly.build(published_store(folder), Q3, now=noon(date(2026, 10, 2)),
                              operator=OPERATOR)
    paths = quarterly.write(context, ["html", "pdf", "csv", "json"], folder / "report",
                            b"operator's secret")
    found = {path.suffix[1:]: path for path in paths if "-connections" not in path.name}
    found["connections"] = next(p for p in paths if p.name.endswith("-connections.csv"))
    return found


def test_every_indicator_appears_worded_as_in_the_source(written: dict[str, Path]) -> None:
    page = written["html"].read_text("utf-8")
    for indicator in thresholds.load().profile("com645").indicators:
        assert indicator.name_ru in page, indicator.id


def test_the_figures_are_those_of_netq_compliance_formatted_in_russian(
    store: Store, written: dict[str, Path]
) -> None:
    page = written["html"].read_text("utf-8")
    document = compliance(store, Q3, breakdown="technology")
    entries = [e for e in document["indicators"] if e["value"] is not None]
    assert entries
    for entry in entries:
        assert formatting.number(entry["value"], "ru") in page, entry["id"]
    fifteen = next(e for e in entries if e["id"] == "com645.15" and e["technology"] is None)
    assert formatting.number(fifteen["value"], "ru").count(",") == 1


def test_the_report_states_its_deadline_and_the_computation_hash(store: Store,
                                                                 written: dict[str, Path]) -> None:
    page = written["html"].read_text("utf-8")
    assert "не позднее 15.10.2026" in page
    document = json.loads(written["json"].read_text("utf-8"))
    assert document["manifest"]["snapshot_sha256"] in page


def test_the_report_names_its_operator_its_period_and_one_generation_time(
        written: dict[str, Path]) -> None:
    """Who publishes and when: the operator from the collector's configuration, the period in
    Minsk dates, and the computation's own time (not a date beside it)."""
    text = subprocess.run(["pdftotext", "-layout", str(written["pdf"]), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert "Оператор: ООО «Тест-Телеком»" in text
    assert "УНП 190000001" in text
    assert "Период: 01.07.2026 – 30.09.2026 (время минское)" in text
    document = json.loads(written["json"].read_text("utf-8"))
    assert document["manifest"]["computed_at"] == "2026-10-02T12:00:00+03:00"
    assert document["operator"]["registration_number"] == "190000001"
    assert text.count("02.10.2026 12:00") >= 2  # the title, and every page's footer
    customer = text.rsplit("Показатели качества обслуживания абонентов", 1)[1]
    assert "технология:" not in customer.split("Наглядно")[0]


def test_page_one_says_whether_the_operator_meets_the_norms(written: dict[str, Path]) -> None:
    """Page one counts the indicators by verdict, names every one that fails or is on the edge
    with its value and norm (item 9 as its tariff plans failing), and says how many lines had a
    test outside a per-test norm, region by region (the decision rule: docs/method.md)."""
    first = subprocess.run(["pdftotext", "-f", "1", "-l", "1", "-layout", str(written["pdf"]),
                            "-"], capture_output=True, text=True, check=True).stdout
    assert "Итоги: соответствие нормам" in first
    document = json.loads(written["json"].read_text("utf-8"))
    worst: dict[str, str] = {}  # each indicator over all lines; item 9's plans as their worst
    for e in document["indicators"]:
        if e["technology"] is None:
            worst[e["id"]] = min(worst.get(e["id"], e["verdict"]), e["verdict"],
                                 key=findings.WORST.index)
    text = " ".join(first.split())
    counted = {state: list(worst.values()).count(state) for state in set(worst.values())}
    assert f"Из {len(worst)} показателей:" in text
    words = i18n.Words("ru")
    for state, n in counted.items():
        assert f"{words(findings.COUNTED[state])}: {n}" in text, state
    assert counted["fails"] == 5  # item 9 ×4, and 11: 20.6 % of packets lost
    assert counted["edge"] == 8
    page = written["html"].read_text("utf-8")
    failing = page.split('<table class="failing">')[1].split("</table>")[0]
    rows = re.findall(r'<tr class="(fails|edge)"><td>([\d.]+)</td>', failing)
    assert sorted({number for _, number in rows}) == sorted(
        {key.split(".")[1] for key, state in worst.items() if state in ("fails", "edge")})
    assert "175,00 мс" in failing  # item 10: value and norm
    assert "не более 400" in failing
    assert "4 из 4 тарифных планов" in failing  # 9.max.down: every plan has a line below
    # F1, W1 (Minsk) and F2 (Brest) had a test outside a norm; W2 none; SUBSCRIBER-00042 none
    assert "У 3 из 5 измеренных линий хотя бы одно измерение было вне нормы" in text
    regions = page.split('<table class="regions">')[1].split("</table>")[0]
    assert re.search(r"<td>Minsk</td><td class=\"num\">2</td><td class=\"num\">2 \(100 %\)",
                     regions)
    legend = i18n.Words("ru")(
        "✓ meets · ✗ does not meet · ≈ on the edge (the 95 %% interval crosses the norm) · ? "
        "insufficient sample · — no data or not measured; the 95 %% interval in brackets; for "
        "item 9, how many tariff plans of all fail the norm.")
    marks = page.split('<table class="summary">', 1)[1].split(legend[:15])[0]
    # item 21 counts UMTS/LTE/NR lines: under Wi-Fi it does not apply, which is not "no data"
    row_21 = marks.split("<td>21</td>")[1].split("</tr>")[0]
    assert "не применяется" in row_21
    # one ✗ per indicator and technology that fails, one ≈ per one on the edge (item 9: its
    # tariff plans' worst)
    cells: dict[tuple[str, str | None], str] = {}
    for e in document["indicators"]:
        if e["value"] is not None:
            key = (e["id"], e["technology"])
            cells[key] = min(cells.get(key, e["verdict"]), e["verdict"],
                             key=findings.WORST.index)
    assert marks.count("✗") == sum(v == "fails" for v in cells.values())
    assert marks.count("≈") == sum(v == "edge" for v in cells.values())


def test_plain_words_a_glossary_and_the_wireless_caveat(written: dict[str, Path]) -> None:
    """The first page says the main figures in everyday words, value against norm with the
    verdict; a glossary explains the terms citing the clause; items 18–21 carry the caveat
    that fixed-point probes do not cover a wireless service area."""
    page = written["html"].read_text("utf-8")
    document = json.loads(written["json"].read_text("utf-8"))
    plain = page.split('<ul class="plain">')[1].split("</ul>")[0]
    available = next(e for e in document["indicators"] if e["id"] == "com645.12"
                     and e["technology"] is None)
    said = i18n.Words("ru")(
        "the connection to the Internet worked %(value)s %% of the time it was observed (the "
        "norm: %(norm)s %%)", value=formatting.number(available["value"], "ru", 1),
        norm="не менее 99")
    assert f"{said} — {formatting.verdict(available['verdict'], available['meets'], 'ru')}" in plain
    glossary = page.split('<table class="glossary">')[1].split("</table>")[0]
    row = glossary.split("Коэффициент готовности соединения")[1].split("</tr>")[0]
    assert "Приложение, п. 12" in row
    assert page.count("Показатели 18–21 измерены зондами в фиксированных точках") == 2


def test_the_operator_comes_from_the_collector_configuration_and_mistakes_name_the_line(
        store: Store, tmp_path: Path) -> None:
    config = tmp_path / "collector.yaml"
    config.write_text(f"db: {store.engine.url.database}\noperator:\n  name: ООО «Тест»\n"
                      "  registration_number: 19000000\n  address: Минск\n"
                      "  contact: +375 17 000-00-00\n", "utf-8")
    argv = [sys.executable, "-m", "netq", "report", "quarterly", "--quarter", "2026Q3",
            "--format", "html", "--out", str(tmp_path / "out"), "--config", str(config)]
    refused = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    assert refused.returncode == 1
    assert f"{config}:4: operator.registration_number: String should match pattern" in \
        refused.stderr
    config.write_text(config.read_text("utf-8").replace("19000000", "190000002"), "utf-8")
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    page = next((tmp_path / "out").glob("*.html")).read_text("utf-8")
    assert "ООО «Тест»" in page
    assert "УНП 190000002" in page


@pytest.mark.parametrize(("lang", "words"), [
    ("ru", ["время передачи IP-пакета туда и обратно", "серия из не менее 100 IP-пакетов",
            "Перерывы связи короче 5 мин", "Единица выборки — соединение",
            "при выборке менее 2 соединений"]),  # the store's own min_sample
    ("be", ["час перадачы IP-пакета туды і назад", "не менш за 100 IP-пакетаў"]),
    ("en", ["the round trip of an IP packet", "at least 100 IP packets",
            "Outages shorter than 5 min"]),
])
def test_the_method_is_told_in_words_with_the_parameters_the_collector_applied(
        store: Store, lang: str, words: list[str]) -> None:
    page = quarterly.html(quarterly.build(store, Q3, lang=lang, now=noon(date(2026, 10, 2))))
    section = page.split(f"<h2>{i18n.Words(lang)('Method')}</h2>")[1].split("<h2>")[0]
    method = " ".join(section.split())  # as one line
    for said in words:
        assert said.lower() in method.lower(), said
    assert "25 000" not in method  # the probe's own deferral threshold: not the collector's


@pytest.mark.parametrize(("unit", "values", "norm", "expected"), [
    ("%", [99.91, 99.95, 99.93], 99.0, (98.5, 100.0)),  # a 99 % norm readable beside 99.9
    ("%", [0.08, 0.09, 0.08], 1.0, (0.0, 1.15)),  # a 1 % norm is not lost at the bottom
    ("ms", [24.0, 25.0, 24.5], 400.0, (0.0, 460.0)),  # delay from zero, norm in sight
    ("%", [63.8, 64.1, 64.7], 90.0, (57.25, 96.55)),
])
def test_each_trend_panel_holds_its_values_and_its_norm_on_its_own_scale(
        unit: str, values: list[float], norm: float, expected: tuple[float, float]) -> None:
    from netq.reports.charts import honest_range

    entries = [{"unit": unit, "value": v, "ci95": None} for v in values]
    low, high = honest_range(entries, norm)
    assert (low, high) == pytest.approx(expected)
    assert low <= min(*values, norm) <= max(*values, norm) <= high


def test_pictures_never_judge_a_line_by_another_services_norm_and_say_their_data(
        store: Store) -> None:
    """Wireless lines have no tariff-speed norm and item 12 counts fixed lines: neither is
    drawn against those norms. Every picture carries its data in words."""
    store.upsert_connections([Connection("W9", FIRST_PERIOD, "wireless", "lte", 20_000, 5_000,
                                         "Minsk", "беспроводной-узел", "com645")])
    store.ingest([interval("W9", "2026-07-03T00:00:00+03:00", "2026-07-03T06:00:00+03:00",
                           up=False),
                  speed("W9", "2026-07-04T10:00:00+03:00", 15_000_000)])
    context = quarterly.build(store, Q3, now=noon(date(2026, 10, 2)))
    shown = details(store, Q3)
    assert "беспроводной-узел" not in shown["availability_by_node"]
    assert {"pon", "adsl", "ethernet"} >= set(shown["speed_down_share_by_technology"])
    page = quarterly.html(context)
    pictures = re.findall(r"<svg[^>]*>", page)
    assert len(pictures) == 4  # trend, speed, hours, availability
    for picture in pictures:
        label = re.search(r'role="img" aria-label="([^"]+)"', picture)
        assert label, picture[:200]
    assert "№ 12: июль" in page  # the trend in words, month by month


def test_the_hour_of_day_profile_is_the_tests_of_each_minsk_hour(store: Store) -> None:
    """By hand from RECORDS (TCP payload here): F1's (PON) download tests all start at 10:00
    Minsk: 75, 70, 69.999999 % of the tariff then in force, 75 and 50 % of the new one; its
    sessions at 10, 11 and 12 h have mean round trips 400, 400.001 and 20 ms (13 h: too few
    packets; 14 h: no reply). W1 (LTE) has no speed norm: its speeds are not drawn."""
    hours = details(store, Q3)["hours"]
    assert hours["speed"]["pon"][10] == pytest.approx((75 + 70 + 69.999999 + 75 + 50) / 5)
    assert [h for h, v in enumerate(hours["speed"]["pon"]) if v is not None] == [10]
    assert hours["delay"]["pon"][10:15] == pytest.approx([400.0, 400.001, 20.0, None, None])
    assert hours["delay"]["adsl"][10] == pytest.approx(30.0)
    assert hours["delay"]["lte"][10:12] == pytest.approx([450.0, 100.0])
    assert "lte" not in hours["speed"]
    # a tariff corrected after the fact rebuilds the hours with the rollups
    store.upsert_connections([Connection("F1", FIRST_PERIOD, "fixed", "pon", 50_000, 50_000,
                                         "Minsk", "node-a", "com645")])
    again = details(store, Q3)["hours"]
    assert again["speed"]["pon"][10] == pytest.approx((150 + 140 + 139.999998 + 75 + 50) / 5)


def test_names_from_the_registry_render_as_text_not_markup(written: dict[str, Path]) -> None:
    page = written["html"].read_text("utf-8")
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; Мінск &#34;кв&#34;" in page
    assert "<b>узел" not in page  # the node's name in the availability picture too
    assert "&lt;b&gt;узел&amp;1&lt;/b&gt;" in page


def test_no_table_is_a_header_alone(written: dict[str, Path]) -> None:
    """A service the profile has no indicator of (com645 has no «доступ в сеть Интернет»
    table) gets no section, not a table with a header and no rows."""
    page = written["html"].read_text("utf-8")
    assert re.findall(r"<tbody>\s*</tbody>", page) == []
    assert i18n.Words("ru")("Data services (Internet access)") not in page


def test_nothing_public_names_a_subscriber(written: dict[str, Path]) -> None:
    for kind in ("html", "csv", "json", "connections"):
        assert "SUBSCRIBER-00042" not in written[kind].read_text("utf-8"), kind


def test_per_connection_open_data_is_keyed_pseudonyms_the_operator_can_link(
    store: Store, written: dict[str, Path], tmp_path: Path
) -> None:
    rows = list(csv.DictReader(io.StringIO(written["connections"].read_text("utf-8"))))
    assert len(rows) == 6  # F1's two tariff periods, F2, W1, W2, SUBSCRIBER-00042
    assert all(len(r["pseudonym"]) == 20 for r in rows)
    ours = next(r for r in rows if r["technology"] == "ethernet")
    assert (ours["speed_sessions"], ours["speed_meeting_norm_percent"]) == ("1", "100.0")
    # com645 sets no per-session loss norm for wireless lines: empty (does not apply), not 0 %
    wireless = [r for r in rows if r["service"] == "wireless" and r["latency_sessions"] != "0"]
    assert wireless
    assert all(r["loss_meeting_norm_percent"] == "" for r in wireless)
    assert all(r["delay_meeting_norm_percent"] != "" for r in wireless)
    context = quarterly.build(store, Q3)
    def pseudonyms(out: Path, key: bytes) -> set[str]:
        path = next(p for p in quarterly.write(context, ["csv"], out, key)
                    if p.name.endswith("-connections.csv"))
        return {r["pseudonym"] for r in csv.DictReader(io.StringIO(path.read_text("utf-8")))}
    first = {r["pseudonym"] for r in rows}
    assert pseudonyms(tmp_path / "again", b"operator's secret") == first  # same key: linkable
    assert not pseudonyms(tmp_path / "other", b"another key") & first


def test_the_open_data_csv_is_the_indicator_table(store: Store,
                                                  written: dict[str, Path]) -> None:
    rows = list(csv.DictReader(io.StringIO(written["csv"].read_text("utf-8"))))
    document = compliance(store, Q3, breakdown="technology")
    assert len(rows) == len(document["indicators"])
    fifteen = next(r for r in rows if r["id"] == "com645.15" and r["technology"] == "")
    assert float(fifteen["value"]) == pytest.approx(100 * 6 / 9)  # 8 sessions + SUBSCRIBER's


def test_the_open_data_is_a_valid_data_package_of_applicable_rows(
        written: dict[str, Path]) -> None:
    """Frictionless validates the package against its schema: every column typed and
    described; one row per service × technology × indicator that applies, Minsk dates."""
    from frictionless import Package, validate

    package = written["csv"].parent / written["csv"].name.replace(".csv", "-datapackage.json")
    report = validate(str(package))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    described = Package(str(package))
    assert {r.name for r in described.resources} == {"indicators", "connections"}
    for resource in described.resources:
        assert all(field.description for field in resource.schema.fields)
    rows = list(csv.DictReader(io.StringIO(written["csv"].read_text("utf-8"))))
    services = {"pon": "fixed", "adsl": "fixed", "ethernet": "fixed", "lte": "wireless",
                "wifi": "wireless"}  # the registry's lines
    assert {(r["technology"], r["service"]) for r in rows if r["technology"]} <= set(
        services.items())  # no wireless indicator over fixed lines, nor the other way
    assert {(r["period_from"], r["period_to"]) for r in rows} == {("2026-07-01", "2026-09-30")}
    wireless = {r["id"] for r in rows if r["technology"] == "lte"}
    assert wireless
    assert all(r["service"] == "wireless" for r in rows if r["technology"] == "lte")


def test_the_pdf_is_a4_with_extractable_cyrillic_and_renders_to_png(
    written: dict[str, Path], tmp_path: Path
) -> None:
    for tool in ("pdftotext", "pdftoppm", "pdfinfo"):
        assert shutil.which(tool), f"{tool} is missing: scripts/setup installs poppler-utils"
    info = subprocess.run(["pdfinfo", str(written["pdf"])], capture_output=True, text=True,
                          check=True).stdout
    assert "595.276 x 841.89 pts (A4)" in info
    text = subprocess.run(["pdftotext", "-layout", str(written["pdf"]), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert "Коэффициент потери IP-пакетов" in text
    assert "Срок опубликования" in text
    # archival: PDF/A-3u declared, every font embedded; the headings are bookmarks
    meta = subprocess.run(["pdfinfo", "-meta", str(written["pdf"])], capture_output=True,
                          text=True, check=True).stdout
    assert 'pdfaid:part="3" pdfaid:conformance="U"' in meta
    fonts = subprocess.run(["pdffonts", str(written["pdf"])], capture_output=True, text=True,
                           check=True).stdout.splitlines()[2:]
    assert fonts
    assert all(line.split()[-5] == "yes" for line in fonts), fonts
    outline = subprocess.run(["pdftohtml", "-xml", "-i", "-stdout", "-q", "-f", "1", "-l", "1",
                              str(written["pdf"])], capture_output=True, text=True,
                             check=True).stdout.split("<outline>", 1)[1]
    assert '<item page="1">Итоги: соответствие нормам</item>' in outline
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(written["pdf"]),
                    str(tmp_path / "page")], check=True)
    png = next(tmp_path.glob("page-*1.png"))
    assert png.stat().st_size > 10_000  # a page with a table on it, not a blank


def test_the_html_loads_in_chromium_without_console_errors(written: dict[str, Path],
                                                            tmp_path: Path) -> None:
    browser = shutil.which("chromium")
    assert browser, "chromium is missing: scripts/setup installs Debian's chromium"
    shot = tmp_path / "page.png"
    result = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--enable-logging=stderr", "--v=0", "--window-size=1200,1600",
         f"--screenshot={shot}", written["html"].as_uri()],
        capture_output=True, text=True, timeout=120)
    console = [line for line in result.stderr.splitlines() if ":CONSOLE" in line]
    assert console == []
    assert shot.stat().st_size > 10_000


def test_as_a_reader_sees_it_no_text_overflows_and_no_serious_accessibility_violation(
        written: dict[str, Path], tmp_path: Path) -> None:
    """The HTML at the width of an A4 page in Chromium, checked by axe-core; every page of
    the PDF rendered, none blank."""
    found = browser.check(written["html"])
    assert found["overflowing"] == []
    assert [v for v in found["violations"] if v["impact"] in ("serious", "critical")] == []
    subprocess.run(["pdftoppm", "-png", "-r", "30", str(written["pdf"]), str(tmp_path / "p")],
                   check=True)
    pages = sorted(tmp_path.glob("p-*.png"))
    pages_said = subprocess.run(["pdfinfo", str(written["pdf"])], capture_output=True,
                                text=True, check=True).stdout.split("Pages:")[1].split()[0]
    assert len(pages) == int(pages_said)
    assert all(page.stat().st_size > 2_000 for page in pages)


@pytest.mark.parametrize(("today", "states"), [
    (date(2026, 10, 2), {"2026Q3": "due"}),
    (date(2026, 10, 16), {"2026Q3": "late"}),
])
def test_status_lists_quarters_due_and_late(store: Store, today: date,
                                            states: dict[str, str]) -> None:
    found = {e["quarter"]: e["state"] for e in report_status(store, today)}
    assert found == {"2026Q2": "late", **states}  # Q2: F2's outage began in June


def test_a_quarter_reported_on_is_listed_even_before_the_first_measurement_kept() -> None:
    """Raw results archived, or a report written from a store restored later: the quarter
    published stays in the list, and a store with nothing at all says so."""
    norms = thresholds.load()
    published = [("2026Q2", datetime(2026, 7, 10, 12, tzinfo=MINSK), "https://isp.example/q2")]
    listed = deadline.status(date(2026, 8, 1), published, [], norms, date(2026, 10, 20))
    assert [(e["quarter"], e["state"]) for e in listed] == [("2026Q2", "published"),
                                                            ("2026Q3", "late")]
    assert deadline.status(None, [], [], norms, date(2026, 10, 20)) == []


def test_a_written_report_is_not_a_publication_until_it_is_recorded(
        store: Store, tmp_path: Path) -> None:
    """A trial run of `report quarterly` changes no books: the quarter stays late until
    `report publish` records when and where it went up."""
    db = str(tmp_path / "netq.db")

    def netq(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "netq", *argv, "--db", db],
                              capture_output=True, text=True, timeout=120)

    def status() -> dict[str, dict[str, Any]]:
        run = netq("report", "status", "--today", "2026-10-20", "--json")
        return {e["quarter"]: e for e in json.loads(run.stdout)}

    early = netq("report", "publish", "--quarter", "2026Q3", "--url", "https://isp.example/q3")
    assert early.returncode == 1
    assert "no report of 2026Q3 was written" in early.stderr
    run = netq("report", "quarterly", "--quarter", "2026Q3", "--out", str(tmp_path / "out"),
               "--format", "csv")
    assert run.returncode == 0, run.stderr
    assert "netq report publish --quarter 2026Q3 --url URL" in run.stderr
    written = status()["2026Q3"]
    assert (written["state"], written["url"]) == ("late", None)  # written, not published
    assert written["written_at"] is not None
    listed = netq("report", "status", "--today", "2026-10-20")
    assert "(written, not published)" in listed.stdout
    wrong = netq("report", "publish", "--quarter", "2026Q3", "--url", "isp.example/q3")
    assert wrong.returncode == 2
    assert "not an http:// or https:// address" in wrong.stderr
    recorded = netq("report", "publish", "--quarter", "2026Q3", "--url",
                    "https://isp.example/quality/2026Q3", "--at", "2026-10-14T18:00")
    assert recorded.returncode == 0, recorded.stderr
    assert recorded.stdout.strip() == \
        "2026Q3 · com645: published at https://isp.example/quality/2026Q3"
    published = status()
    assert {q: e["state"] for q, e in published.items()} == {"2026Q2": "late",
                                                             "2026Q3": "published"}
    assert published["2026Q3"]["url"] == "https://isp.example/quality/2026Q3"
    assert published["2026Q3"]["published_at"] == "2026-10-14T15:00:00+00:00"  # 18:00 Minsk
    after = netq("report", "status", "--today", "2026-10-20")
    assert after.returncode == 1  # Q2 is late


def test_the_deadline_is_the_15th_of_the_month_after_the_quarter() -> None:
    """The Rules, п. 35, part two: «не позднее 15-го числа месяца, следующего за отчетным
    кварталом»: com645's, which every profile inherits."""
    norms = thresholds.load()
    publication = norms.publication(Quarter(2026, 4).last_day)
    assert publication is not None
    assert "п. 35" in publication.clause
    assert deadline.due(Quarter(2026, 4), publication) == date(2027, 1, 15)
    assert deadline.days_left(Quarter(2026, 3), publication, date(2026, 10, 15)) == 0
    assert {p.obligations.publication for p in norms.profiles.values()} == {publication}


def test_a_report_of_an_unfinished_quarter_is_preliminary_everywhere_and_not_published(
        store: Store, tmp_path: Path) -> None:
    context = quarterly.build(store, Q3, now=noon(date(2026, 9, 30)))
    paths = quarterly.write(context, ["html", "csv", "json"], tmp_path / "early", b"k")
    page = next(p for p in paths if p.suffix == ".html").read_text("utf-8")
    assert i18n.Words("ru")("Preliminary report: the quarter has not ended and the figures "
                            "may change. This is not the quarter's publication.") in page
    profile = context["document"]["profile"]
    computation = next(p for p in paths if p.name.endswith(f"{profile}.json"))
    assert json.loads(computation.read_text())["preliminary"]
    table = next(p for p in paths if p.name.endswith(f"{profile}.csv"))
    assert {row["preliminary"] for row in csv.DictReader(io.StringIO(table.read_text()))} == \
        {"true"}
    assert save_report(store, context["document"], ("html",)) is False
    found = {e["quarter"]: e["state"] for e in report_status(store, date(2026, 10, 20))}
    assert found["2026Q3"] == "late"  # past the 15th with only a preliminary report
    final = quarterly.build(store, Q3, now=noon(date(2026, 10, 1)))
    assert not final["document"]["preliminary"]


def test_an_unfinished_quarter_is_reported_as_far_as_it_was_observed(
        store: Store, tmp_path: Path) -> None:
    """On 10 August the report says it covers 1 July – 10 August: September is not charted,
    August is marked as observed to the 10th, coverage counts only the time that has passed,
    tests per line per day divide by the 41 days elapsed, and the open data says so."""
    now = noon(date(2026, 8, 10))
    context = quarterly.build(store, Q3, now=now)
    document = context["document"]
    assert context["observed_to"] == date(2026, 8, 10)
    shown = details(store, Q3, document["profile"], today=date(2026, 8, 10))
    assert [(m["month"], m["until"]) for m in shown["months"]] == [
        ("2026-07-01", None), ("2026-08-01", "2026-08-10")]
    whole = compliance(store, Q3, now=datetime(2026, 10, 2, tzinfo=MINSK))
    assert document["coverage"]["expected_s"] < whole["coverage"]["expected_s"]
    assert document["coverage"]["covered_s"] <= document["coverage"]["expected_s"]
    rate = quarterly.schedule(document, Q3)["latency"]
    entry = next(e for e in document["indicators"] if e["measure"] == "sessions_meeting_delay"
                 and e["technology"] is None and e["connections"])
    assert rate == pytest.approx(entry["n"] / entry["connections"] / 41)
    paths = quarterly.write(context, ["html", "csv"], tmp_path / "early", b"k")
    table = next(p for p in paths if p.name.endswith(f"{document['profile']}.csv"))
    assert {row["period_to"] for row in csv.DictReader(io.StringIO(table.read_text()))} == \
        {"2026-08-10"}
    page = next(p for p in paths if p.suffix == ".html").read_text("utf-8")
    assert "01.07.2026 – 10.08.2026" in page
    assert i18n.Words("ru")("the quarter runs to %(last)s: the figures are of the days "
                            "observed", last="30.09.2026") in page


def test_open_data_cells_cannot_run_as_formulas_and_chart_text_is_not_mathtext(
        tmp_path: Path) -> None:
    store = Store.open(str(tmp_path / "netq.db"), norms_with_min_sample(tmp_path, 1))
    store.upsert_connections([*registry(), Connection(
        "=HYPERLINK(\"http://x\")", FIRST_PERIOD, "fixed", "ethernet", 50_000, 50_000,
        "@SUM(A1:A9)", "$\\notacommand{$", "com645")])
    store.ingest([*RECORDS,
                  speed("=HYPERLINK(\"http://x\")", "2026-07-03T10:00:00+03:00", 40_000_000),
                  interval("=HYPERLINK(\"http://x\")", "2026-07-03T00:00:00+03:00",
                           "2026-07-03T06:00:00+03:00", up=False)])
    context = quarterly.build(store, Q3, now=noon(date(2026, 10, 2)))  # the chart draws the node
    paths = quarterly.write(context, ["csv", "html"], tmp_path / "out", b"k")
    opened = next(p for p in paths if p.name.endswith("-connections.csv"))
    cells = [cell for row in csv.reader(io.StringIO(opened.read_text())) for cell in row]
    assert "'@SUM(A1:A9)" in cells
    assert not [c for c in cells if c[:1] in "=+@\t\r" and c]
    assert "$\\notacommand{$" in next(p for p in paths if p.suffix == ".html").read_text()
    store.close()


def test_the_report_replaces_a_planted_symlink_and_never_writes_through_it(
        store: Store, tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious")
    out = tmp_path / "out"
    out.mkdir()
    context = quarterly.build(store, Q3, now=noon(date(2026, 10, 2)))
    name = f"netq-quality-2026Q3-{context['document']['profile']}.json"
    (out / name).symlink_to(victim)
    quarterly.write(context, ["json"], out, b"k")
    assert victim.read_text() == "precious"
    assert not (out / name).is_symlink()
    assert json.loads((out / name).read_text())["quarter"] == "2026Q3"
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []
