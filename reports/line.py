"""The line protocol as a document: HTML, PDF (WeasyPrint) or JSON, from one computation
(collector/compliance/line.py); the template only formats it."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from netq.collector.compliance.quarter import MINSK
from netq.collector.settings import Operator
from netq.reports import formatting
from netq.reports.quarterly import PDF_VARIANT, environment, replace, text_of

FORMATS = ("html", "pdf", "json")
PRIVATE = 0o600

LABELS: dict[str, dict[str, Any]] = {
    "ru": {
        "faults": {"operator": "оператора", "third_party": "третьей стороны",
                   "subscriber": "абонента"},
        "title": "Протокол измерений линии", "period": "Период (время минское)",
        "incomplete": "Период ещё не завершён: протокол неполный.",
        "generated": "Сформирован", "contract": "Договор (данные реестра)",
        "from": "с", "to": "по", "service": "услуга", "technology": "технология",
        "tariff_down": "тариф к абоненту", "tariff_up": "тариф от абонента",
        "node": "узел", "profile": "профиль", "norms": "Нормы для каждого измерения",
        "speed_norm": "скорость не менее {value} % тарифа", "delay_norm":
            "задержка не более {value} мс", "loss_norm": "потери не более {value} %",
        "floor_norm": "скорость к абоненту не ниже {value} кбит/с",
        "layer": "скорость указана на уровне: {layer}",
        "figures": "Показатели линии",
        "figures_note": "Значения показателей этой линии рассчитаны так же, как в квартальном "
                        "отчёте, но только по её измерениям; соответствие нормам в отчёте "
                        "оценивается по всей совокупности соединений оператора.",
        "indicator": "Показатель", "norm": "Норма", "value": "Значение линии",
        "n": "Учтено", "line_meets": "Значение линии и норма",
        "meets": "в пределах нормы", "fails": "вне нормы", "no_value": "нет данных",
        "availability": "Готовность", "covered": "Время наблюдения",
        "of": "из", "hours": "ч", "minutes": "мин", "at_ethernet": "на уровне Ethernet",
        "outages": "Перерывы связи (не короче {min} мин)", "none": "нет",
        "outage_from": "начало", "outage_to": "конец", "duration": "длительность",
        "tickets": "Заявки", "ticket": "заявка", "fault": "по вине",
        "registered": "зарегистрирована", "restored": "восстановлено",
        "fee": "перерасчёт платы", "fee_owed": "положен: {hours} ч сверх {after} ч ({clause})",
        "planned": "Плановые работы на узле", "announced": "объявлены",
        "in_time": "объявлены в срок", "late": "объявлены с опозданием (учтены в готовности)",
        "days": "По дням", "day": "дата", "latency": "задержка и потери",
        "throughput": "скорость", "attempt": "попытки соединения",
        "tests_failed": "испытаний / вне нормы", "down": "простой",
        "tests": "Испытания", "tests_shown_all": "Все испытания периода, {n}.",
        "tests_shown_some": "Все испытания скорости и все испытания вне нормы или исключённые: "
                            "{shown} из {n}. Полный перечень — в HTML и JSON-версиях протокола "
                            "(та же контрольная сумма).",
        "time": "время", "kind": "вид", "result": "результат", "verdict": "оценка",
        "excluded": "исключено: {reason}", "not_judged": "не оценивается",
        "met": "норма выполнена", "failed": "вне нормы: {names}",
        "verdict_names": {"speed": "скорость", "delay": "задержка", "loss": "потери",
                          "down_floor": "мин. скорость"},
        "direction": {"down": "к абоненту", "up": "от абонента"},
        "ended": {"complete": "завершено", "premature": "прервано",
                  "not_started": "не начато"},
        "ok": "успешно", "not_ok": "неуспешно",
        "contracts": "Договоры на подключение", "manifest": "Контрольные суммы",
        "manifest_text": "записи, на которых основан протокол", "code": "версия netq",
        "warnings": "Предупреждения", "clause": "источник",
        "layers": {"tcp_payload": "полезная нагрузка TCP", "ip": "уровень IP",
                   "ethernet": "уровень Ethernet"},
    },
    "be": {
        "faults": {"operator": "аператара", "third_party": "трэцяга боку",
                   "subscriber": "абанента"},
        "title": "Пратакол вымярэнняў лініі", "period": "Перыяд (час мінскі)",
        "incomplete": "Перыяд яшчэ не скончыўся: пратакол няпоўны.",
        "generated": "Сфарміраваны", "contract": "Дагавор (даныя рэестра)",
        "from": "з", "to": "па", "service": "паслуга", "technology": "тэхналогія",
        "tariff_down": "тарыф да абанента", "tariff_up": "тарыф ад абанента",
        "node": "вузел", "profile": "профіль", "norms": "Нормы для кожнага вымярэння",
        "speed_norm": "хуткасць не менш за {value} % тарыфу", "delay_norm":
            "затрымка не больш за {value} мс", "loss_norm": "страты не больш за {value} %",
        "floor_norm": "хуткасць да абанента не ніжэй за {value} кбіт/с",
        "layer": "хуткасць паказана на ўзроўні: {layer}",
        "figures": "Паказчыкі лініі",
        "figures_note": "Значэнні паказчыкаў гэтай лініі разлічаны гэтак жа, як у штоквартальнай "
                        "справаздачы, але толькі па яе вымярэннях; адпаведнасць нормам у "
                        "справаздачы ацэньваецца па ўсёй сукупнасці злучэнняў аператара.",
        "indicator": "Паказчык", "norm": "Норма", "value": "Значэнне лініі",
        "n": "Улічана", "line_meets": "Значэнне лініі і норма",
        "meets": "у межах нормы", "fails": "па-за нормай", "no_value": "няма даных",
        "availability": "Гатоўнасць", "covered": "Час назірання",
        "of": "з", "hours": "г", "minutes": "хв", "at_ethernet": "на ўзроўні Ethernet",
        "outages": "Перапынкі сувязі (не карацей за {min} хв)", "none": "няма",
        "outage_from": "пачатак", "outage_to": "канец", "duration": "працягласць",
        "tickets": "Заяўкі", "ticket": "заяўка", "fault": "па віне",
        "registered": "зарэгістравана", "restored": "адноўлена",
        "fee": "пералік платы", "fee_owed": "належыць: {hours} г звыш {after} г ({clause})",
        "planned": "Планавыя работы на вузле", "announced": "абвешчаны",
        "in_time": "абвешчаны ў тэрмін", "late": "абвешчаны са спазненнем (улічаны ў гатоўнасці)",
        "days": "Па днях", "day": "дата", "latency": "затрымка і страты",
        "throughput": "хуткасць", "attempt": "спробы злучэння",
        "tests_failed": "выпрабаванняў / па-за нормай", "down": "прастой",
        "tests": "Выпрабаванні", "tests_shown_all": "Усе выпрабаванні перыяду, {n}.",
        "tests_shown_some": "Усе выпрабаванні хуткасці і ўсе выпрабаванні па-за нормай або "
                            "выключаныя: {shown} з {n}. Поўны пералік — у HTML- і JSON-версіях "
                            "пратакола (тая ж кантрольная сума).",
        "time": "час", "kind": "від", "result": "вынік", "verdict": "ацэнка",
        "excluded": "выключана: {reason}", "not_judged": "не ацэньваецца",
        "met": "норма выканана", "failed": "па-за нормай: {names}",
        "verdict_names": {"speed": "хуткасць", "delay": "затрымка", "loss": "страты",
                          "down_floor": "мін. хуткасць"},
        "direction": {"down": "да абанента", "up": "ад абанента"},
        "ended": {"complete": "завершана", "premature": "перапынена",
                  "not_started": "не пачата"},
        "ok": "паспяхова", "not_ok": "няўдала",
        "contracts": "Дагаворы на падключэнне", "manifest": "Кантрольныя сумы",
        "manifest_text": "запісы, на якіх заснаваны пратакол", "code": "версія netq",
        "warnings": "Папярэджанні", "clause": "крыніца",
        "layers": {"tcp_payload": "карысная нагрузка TCP", "ip": "узровень IP",
                   "ethernet": "узровень Ethernet"},
    },
    "en": {
        "faults": {"operator": "the operator's", "third_party": "a third party's",
                   "subscriber": "the subscriber's"},
        "title": "Line measurement protocol", "period": "Period (Minsk time)",
        "incomplete": "The period has not ended: the protocol is incomplete.",
        "generated": "Generated", "contract": "Contract (registry)",
        "from": "from", "to": "to", "service": "service", "technology": "technology",
        "tariff_down": "tariff down", "tariff_up": "tariff up",
        "node": "node", "profile": "profile", "norms": "Norms for each test",
        "speed_norm": "speed at least {value} % of the tariff",
        "delay_norm": "delay at most {value} ms", "loss_norm": "loss at most {value} %",
        "floor_norm": "download speed at least {value} kbit/s",
        "layer": "speed stated at the {layer}",
        "figures": "The line's figures",
        "figures_note": "This line's figures are made as the quarterly report makes them, from "
                        "its own tests only; the report judges the norms over the operator's "
                        "whole population of connections.",
        "indicator": "Indicator", "norm": "Norm", "value": "The line's value",
        "n": "Counted", "line_meets": "The line's value and the norm",
        "meets": "within the norm", "fails": "outside the norm", "no_value": "no data",
        "availability": "Availability", "covered": "Time observed",
        "of": "of", "hours": "h", "minutes": "min", "at_ethernet": "at the Ethernet layer",
        "outages": "Outages (at least {min} min)", "none": "none",
        "outage_from": "from", "outage_to": "to", "duration": "duration",
        "tickets": "Tickets", "ticket": "ticket", "fault": "fault",
        "registered": "registered", "restored": "restored",
        "fee": "fee recalculation", "fee_owed": "owed: {hours} h beyond {after} h ({clause})",
        "planned": "Planned works on the node", "announced": "announced",
        "in_time": "announced in time", "late": "announced late (counted in availability)",
        "days": "Day by day", "day": "day", "latency": "delay and loss",
        "throughput": "speed", "attempt": "connection attempts",
        "tests_failed": "tests / outside the norm", "down": "down",
        "tests": "Tests", "tests_shown_all": "Every test of the period, {n}.",
        "tests_shown_some": "Every speed test, and every test outside a norm or excluded: "
                            "{shown} of {n}. The HTML and JSON versions of the protocol list "
                            "every test (same hash).",
        "time": "time", "kind": "kind", "result": "result", "verdict": "verdict",
        "excluded": "excluded: {reason}", "not_judged": "not judged",
        "met": "norms met", "failed": "outside: {names}",
        "verdict_names": {"speed": "speed", "delay": "delay", "loss": "loss",
                          "down_floor": "speed floor"},
        "direction": {"down": "download", "up": "upload"},
        "ended": {"complete": "complete", "premature": "broke off",
                  "not_started": "not started"},
        "ok": "succeeded", "not_ok": "failed",
        "contracts": "Connection contracts", "manifest": "Hashes",
        "manifest_text": "the records the protocol rests on", "code": "netq version",
        "warnings": "Warnings", "clause": "source",
        "layers": {"tcp_payload": "TCP payload", "ip": "IP layer",
                   "ethernet": "Ethernet layer"},
    },
}


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
    shown = tests if every_test else [
        t for t in tests if t["kind"] == "throughput" or t["exclusion"]
        or not all(t["verdicts"].values()) or t.get("ok") is False]
    names = LABELS[lang]["verdict_names"]
    shown = [{**t, "failed": [names[n] for n, met in t["verdicts"].items() if not met]}
             for t in shown]
    return {"document": document, "lang": lang, "tests": shown, "operator": operator,
            "t": {**formatting.LABELS[lang], **LABELS[lang]},
            "every_test": len(shown) == len(tests), "minsk": minsk, "day": day,
            "counts": formatting.LABELS[lang]["counts"],
            "number": lambda v, places=2: formatting.number(v, lang, places),
            "unit": lambda name: formatting.unit(name, lang),
            "norm": lambda op, value: formatting.norm(op, value, lang)}


def html(document: dict[str, Any], lang: str, every_test: bool = True,
         operator: Operator | None = None) -> str:
    return environment().get_template("line.html.j2").render(
        **context(document, lang, every_test, operator))


def pdf(document: dict[str, Any], lang: str, path: Path, operator: Operator | None = None,
        ) -> None:
    from weasyprint import HTML

    HTML(string=html(document, lang, False, operator)).write_pdf(path, pdf_variant=PDF_VARIANT)


def stem(document: dict[str, Any]) -> str:
    """A file name from the connection id that no id can turn into a path."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", document["connection_id"]).lstrip(".") or "_"
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
