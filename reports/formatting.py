"""Numbers and words as the report's language writes them (Babel's CLDR data)."""

from __future__ import annotations

import functools
from datetime import date
from decimal import Decimal
from typing import Any

from babel import Locale
from babel.dates import format_date
from babel.numbers import NumberPattern, parse_pattern

LOCALES = {"ru": "ru_RU", "be": "be_BY", "en": "en_GB"}
UNITS = {
    "ru": {"%": "%", "ms": "мс", "% of tariff": "% от тарифа", "kbit/s": "кбит/с"},
    "be": {"%": "%", "ms": "мс", "% of tariff": "% ад тарыфу", "kbit/s": "кбіт/с"},
    "en": {"%": "%", "ms": "ms", "% of tariff": "% of tariff", "kbit/s": "kbit/s"},
}
NORM_WORDS = {
    "ru": {">=": "не менее", "<=": "не более"},
    "be": {">=": "не менш за", "<=": "не больш за"},
    "en": {">=": "at least", "<=": "at most"},
}
VERDICTS = {
    "ru": {True: "соответствует", False: "не соответствует", None: "недостаточная выборка",
           "none": "нет данных"},
    "be": {True: "адпавядае", False: "не адпавядае", None: "недастатковая выбарка",
           "none": "няма даных"},
    "en": {True: "meets", False: "does not meet", None: "insufficient sample",
           "none": "no data"},
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


def month(day: date, lang: str) -> str:
    """The month's short standalone name: "июл.", "Jul"."""
    return format_date(day, "LLL", locale=LOCALES[lang])


def norm(op: str, value: float, lang: str) -> str:
    places = 0 if float(value).is_integer() else 1
    return f"{NORM_WORDS[lang][op]} {number(value, lang, places)}"


def verdict(meets: bool | None, has_value: bool, lang: str) -> str:
    return VERDICTS[lang][meets] if has_value else VERDICTS[lang]["none"]


def unit(name: str, lang: str) -> str:
    return UNITS[lang].get(name, name)

LABELS: dict[str, dict[str, Any]] = {
    "ru": {
        "hours_picture": "По часам суток (время минское): средняя скорость к абоненту, % от "
                         "тарифа (технологии с нормой скорости), и среднее время задержки; "
                         "вечерний час пик 19:00–23:00 выделен",
        "evening_peak": "19–23 ч", "hour_axis": "час суток", "delay_axis": "задержка, мс",
        "hours_alt": {"speed": "скорость {technology}: в 19–23 ч {peak} % тарифа, в остальное "
                               "время {rest} %",
                      "delay": "задержка {technology}: в 19–23 ч {peak} мс, в остальное время "
                               "{rest} мс"},
        "not_applicable": "не применяется",
        "summary": "Итоги: соответствие нормам", "per_plan": "по тарифным планам",
        "plans_failing": "{failed}/{plans}",
        "headline_ok": "Все показатели с достаточной выборкой соответствуют нормам.",
        "headline_fails": "Не соответствуют нормам (№ показателя, технологии): {items}.",
        "legend": "✓ соответствует · ✗ не соответствует · ? недостаточная выборка · — нет "
                  "данных; в скобках — 95 % интервал; для п. 9 — сколько тарифных планов из "
                  "всех не соответствуют норме.",
        "operator": "Оператор", "unp": "УНП", "address": "адрес", "contact": "контакты",
        "period": "Период", "minsk_time": "время минское",
        "no_operator": "Оператор не указан: задайте operator в конфигурации коллектора "
                       "(collector.yaml).",
        "pictures": "Наглядно", "trend": "Показатели сети по месяцам квартала: значения с 95 % "
                                          "интервалами и нормы, у каждого своя шкала",
        "lines_share_axis": "доля линий, %",
        "speed_alt": "{technology}: линий {lines}, из них не ниже {norm} % тарифа — {share} %",
        "speed_picture": "Распределение линий по средней скорости к абоненту, % от тарифа: "
                         "доля линий с такой скоростью или ниже, по технологиям (в скобках — "
                         "число линий); только технологии, для которых норма скорости "
                         "установлена",
        "availability_picture": "Коэффициент готовности соединения с сетью Интернет по "
                                "узлам: не более 15 узлов с наименьшим значением; только "
                                "линии, к которым относится норма показателя 12",
        "measured": "измерено", "norm_line": "норма",
        "speed_axis": "% от тарифа", "availability_axis": "коэффициент готовности, %",
        "title": "Параметры (показатели) качества услуг передачи данных",
        "quarter": "{n} квартал {year} г.",
        "number": "№", "indicator": "Параметр (показатель) качества", "unit": "Ед. изм.",
        "norm": "Норма", "value": "Измеренное значение", "interval": "95 % интервал",
        "n": "Объём выборки", "verdict": "Соответствие норме",
        "all": "все технологии", "technology": "технология",
        "source": "Нормы", "profile": "профиль",
        "due": "Срок опубликования", "due_text": "не позднее {date} (п. 35 Правил, "
                                                 "постановление № 645)",
        "method": "Методика измерений", "sample": "Выборка", "region": "Регион",
        "connections": "Соединений", "results": "Результатов измерений",
        "probes": "Зондов", "exclusions": "Исключено из оценки",
        "coverage": "Охват наблюдением (доступность)",
        "manifest": "Контрольная сумма расчёта", "generated": "Сформирован",
        "preliminary": "Предварительный отчёт: квартал ещё не завершён, показатели могут "
                       "измениться. Это не публикация за квартал.",
        "code": "версия netq",
        "excluded": "всего исключено", "infrastructure": "отказ измерительного сервера",
        "deferred": "отложено из-за трафика абонента", "probe_error": "ошибка или перегрузка зонда",
        "unjudged": "сессия короче минимальной",
        "contracts_customer_delayed": "договоры с задержкой по вине абонента",
        "tickets_not_operator_fault": "заявки не по вине оператора",
        "planned_works_minutes": "плановые работы, минут наблюдения",
        "speed_segment_assumed": "измерения скорости без записанного размера сегмента "
                                 "(учтены, размер принят 1448 байт)",
        "availability_on_net_only_minutes": "готовность, измеренная только до узлов оператора, "
                                            "минут (учтена)",
        "contracts_pending_past_deadline": "договоры, не исполненные к сроку (учтены как "
                                           "с нарушением срока)",
        "counts": {"sessions": "сессий", "packets": "пакетов", "minutes": "минут",
                   "tests": "измерений", "attempts": "попыток", "contracts": "договоров",
                   "calls": "вызовов", "tickets": "заявок"},
        "lines": "соед.", "clause": "источник",
        "parameters": "Параметры расчёта, применённые коллектором",
        "tariff": "тариф", "layer": {"tcp_payload": "полезная нагрузка TCP",
                                       "ip": "уровень IP", "ethernet": "уровень Ethernet"},
        "out_of_scope": "Вне области измерений netq",
        "out_of_scope_text": "Показатели приложения к Правилам (постановление № 645), которые "
                             "не измеряются зондами передачи данных:",
    },
    "be": {
        "hours_picture": "Па гадзінах сутак (час мінскі): сярэдняя хуткасць да абанента, % ад "
                         "тарыфу (тэхналогіі з нормай хуткасці), і сярэдні час затрымкі; "
                         "вячэрні час пік 19:00–23:00 вылучаны",
        "evening_peak": "19–23 г", "hour_axis": "гадзіна сутак", "delay_axis": "затрымка, мс",
        "hours_alt": {"speed": "хуткасць {technology}: у 19–23 г {peak} % тарыфу, у астатні час "
                               "{rest} %",
                      "delay": "затрымка {technology}: у 19–23 г {peak} мс, у астатні час "
                               "{rest} мс"},
        "not_applicable": "не ўжываецца",
        "summary": "Вынікі: адпаведнасць нормам", "per_plan": "па тарыфных планах",
        "plans_failing": "{failed}/{plans}",
        "headline_ok": "Усе паказчыкі з дастатковай выбаркай адпавядаюць нормам.",
        "headline_fails": "Не адпавядаюць нормам (№ паказчыка, тэхналогіі): {items}.",
        "legend": "✓ адпавядае · ✗ не адпавядае · ? недастатковая выбарка · — няма даных; у "
                  "дужках — 95 % інтэрвал; для п. 9 — колькі тарыфных планаў з усіх не "
                  "адпавядаюць норме.",
        "operator": "Аператар", "unp": "УНП", "address": "адрас", "contact": "кантакты",
        "period": "Перыяд", "minsk_time": "час мінскі",
        "no_operator": "Аператар не пазначаны: задайце operator у канфігурацыі калектара "
                       "(collector.yaml).",
        "pictures": "Наглядна", "trend": "Паказчыкі сеткі па месяцах квартала: значэнні з 95 % "
                                          "інтэрваламі і нормы, у кожнага свая шкала",
        "lines_share_axis": "доля ліній, %",
        "speed_alt": "{technology}: ліній {lines}, з іх не ніжэй за {norm} % тарыфу — {share} %",
        "speed_picture": "Размеркаванне ліній па сярэдняй хуткасці да абанента, % ад тарыфу: "
                         "доля ліній з такой хуткасцю або ніжэй, па тэхналогіях (у дужках — "
                         "колькасць ліній); толькі тэхналогіі, для якіх норма хуткасці "
                         "ўстаноўлена",
        "availability_picture": "Каэфіцыент гатоўнасці злучэння з сеткай Інтэрнэт па "
                                "вузлах: не больш за 15 вузлоў з найменшым значэннем; толькі "
                                "лініі, да якіх адносіцца норма паказчыка 12",
        "measured": "вымерана", "norm_line": "норма",
        "speed_axis": "% ад тарыфу", "availability_axis": "каэфіцыент гатоўнасці, %",
        "title": "Параметры (паказчыкі) якасці паслуг перадачы даных",
        "quarter": "{n} квартал {year} г.",
        "number": "№", "indicator": "Параметр (паказчык) якасці", "unit": "Адз. вым.",
        "norm": "Норма", "value": "Вымеранае значэнне", "interval": "95 % інтэрвал",
        "n": "Аб'ём выбаркі", "verdict": "Адпаведнасць норме",
        "all": "усе тэхналогіі", "technology": "тэхналогія",
        "source": "Нормы", "profile": "профіль",
        "due": "Тэрмін апублікавання", "due_text": "не пазней за {date} (п. 35 Правілаў, "
                                                  "пастанова № 645)",
        "method": "Методыка вымярэнняў", "sample": "Выбарка", "region": "Рэгіён",
        "connections": "Злучэнняў", "results": "Вынікаў вымярэнняў",
        "probes": "Зондаў", "exclusions": "Выключана з ацэнкі",
        "coverage": "Ахоп назіраннем (даступнасць)",
        "manifest": "Кантрольная сума разліку", "generated": "Сфарміраваны",
        "preliminary": "Папярэдняя справаздача: квартал яшчэ не скончыўся, паказчыкі могуць "
                       "змяніцца. Гэта не публікацыя за квартал.",
        "code": "версія netq",
        "excluded": "усяго выключана", "infrastructure": "адмова вымяральнага сервера",
        "deferred": "адкладзена з-за трафіку абанента",
        "probe_error": "памылка або перагрузка зонда",
        "unjudged": "сесія карацейшая за мінімальную",
        "contracts_customer_delayed": "дагаворы з затрымкай па віне абанента",
        "tickets_not_operator_fault": "заяўкі не па віне аператара",
        "planned_works_minutes": "планавыя работы, хвілін назірання",
        "speed_segment_assumed": "вымярэнні хуткасці без запісанага памеру сегмента "
                                 "(улічаны, памер прыняты 1448 байт)",
        "availability_on_net_only_minutes": "гатоўнасць, вымераная толькі да вузлоў аператара, "
                                            "хвілін (улічана)",
        "contracts_pending_past_deadline": "дагаворы, не выкананыя ў тэрмін (улічаны як з "
                                           "парушэннем тэрміну)",
        "counts": {"sessions": "сесій", "packets": "пакетаў", "minutes": "хвілін",
                   "tests": "вымярэнняў", "attempts": "спроб", "contracts": "дагавораў",
                   "calls": "выклікаў", "tickets": "заявак"},
        "lines": "злуч.", "clause": "крыніца",
        "parameters": "Параметры разліку, ужытыя калектарам",
        "tariff": "тарыф", "layer": {"tcp_payload": "карысная нагрузка TCP",
                                       "ip": "узровень IP", "ethernet": "узровень Ethernet"},
        "out_of_scope": "Па-за абсягам вымярэнняў netq",
        "out_of_scope_text": "Паказчыкі дадатку да Правілаў (пастанова № 645), якія не "
                             "вымяраюцца зондамі перадачы даных:",
    },
    "en": {
        "hours_picture": "By hour of the day (Minsk time): mean download speed as % of the "
                         "tariff (technologies with a speed norm) and mean round trip; the "
                         "evening peak 19:00–23:00 shaded",
        "evening_peak": "19–23 h", "hour_axis": "hour of the day", "delay_axis": "delay, ms",
        "hours_alt": {"speed": "speed {technology}: {peak} % of the tariff at 19–23 h, {rest} % "
                               "the rest of the day",
                      "delay": "delay {technology}: {peak} ms at 19–23 h, {rest} ms the rest "
                               "of the day"},
        "not_applicable": "does not apply",
        "summary": "Summary: the norms met", "per_plan": "per tariff plan",
        "plans_failing": "{failed}/{plans}",
        "headline_ok": "Every indicator with a sufficient sample meets its norm.",
        "headline_fails": "Not meeting the norm (indicator, technologies): {items}.",
        "legend": "✓ meets · ✗ does not meet · ? insufficient sample · — no data; the 95 % "
                  "interval in brackets; for item 9, how many tariff plans of all fail the "
                  "norm.",
        "operator": "Operator", "unp": "registration number (UNP)", "address": "address",
        "contact": "contact", "period": "Period", "minsk_time": "Minsk time",
        "no_operator": "No operator named: set operator in the collector's configuration "
                       "(collector.yaml).",
        "pictures": "At a glance", "trend": "Network indicators month by month: values with their "
                                             "95 % intervals and norms, each on its own scale",
        "lines_share_axis": "share of lines, %",
        "speed_alt": "{technology}: {lines} lines, {share} % of them at {norm} % of the "
                     "tariff or more",
        "speed_picture": "Lines by their mean download speed as % of the tariff: the share "
                         "of lines at that speed or below, per technology (lines in "
                         "brackets); only technologies with a speed norm",
        "availability_picture": "Readiness of the connection to the Internet by node: at "
                                "most 15 nodes with the lowest; only the lines item 12 counts",
        "measured": "measured", "norm_line": "norm",
        "speed_axis": "% of tariff", "availability_axis": "availability, %",
        "title": "Quality of data services", "quarter": "Q{n} {year}",
        "number": "No", "indicator": "Indicator (as worded in the source)", "unit": "Unit",
        "norm": "Norm", "value": "Measured", "interval": "95 % interval", "n": "Sample",
        "verdict": "Meets the norm", "all": "all technologies", "technology": "technology",
        "source": "Norms", "profile": "profile", "due": "Publication deadline",
        "due_text": "by {date} (clause 35 of the Rules, resolution No 645)",
        "method": "Method", "sample": "Sample", "region": "Region",
        "connections": "Connections", "results": "Results", "probes": "Probes",
        "exclusions": "Not judged", "coverage": "Time observed (availability)",
        "manifest": "Computation hash", "generated": "Generated", "code": "netq version",
        "preliminary": "Preliminary report: the quarter has not ended and the figures may "
                       "change. This is not the quarter's publication.",
        "excluded": "excluded in all", "infrastructure": "measurement server failed",
        "deferred": "deferred for the subscriber's traffic",
        "probe_error": "probe error or overload",
        "unjudged": "session shorter than the minimum",
        "contracts_customer_delayed": "contracts delayed by the customer",
        "tickets_not_operator_fault": "tickets not the operator's fault",
        "planned_works_minutes": "planned works, minutes observed",
        "speed_segment_assumed": "speed tests without a recorded segment size (counted, "
                                 "1448 bytes assumed)",
        "availability_on_net_only_minutes": "availability checked against on-net targets only, "
                                            "minutes (counted)",
        "contracts_pending_past_deadline": "contracts not fulfilled by their deadline "
                                           "(counted as late)",
        "counts": {"sessions": "sessions", "packets": "packets", "minutes": "minutes",
                   "tests": "tests", "attempts": "attempts", "contracts": "contracts",
                   "calls": "calls", "tickets": "tickets"},
        "lines": "lines", "clause": "source",
        "parameters": "Parameters of the computation, as the collector applied them",
        "tariff": "tariff", "layer": {"tcp_payload": "TCP payload", "ip": "IP layer",
                                        "ethernet": "Ethernet layer"},
        "out_of_scope": "Outside netq's measurements",
        "out_of_scope_text": "Items of the annex to the Rules (resolution No 645) that data "
                             "probes do not measure:",
    },
}
