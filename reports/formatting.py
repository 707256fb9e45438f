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
    "ru": {"%": "%", "ms": "мс", "% of tariff": "% от тарифа", "kbit/s": "кбит/с",
           "% of lines": "% линий"},
    "be": {"%": "%", "ms": "мс", "% of tariff": "% ад тарыфу", "kbit/s": "кбіт/с",
           "% of lines": "% ліній"},
    "en": {"%": "%", "ms": "ms", "% of tariff": "% of tariff", "kbit/s": "kbit/s",
           "% of lines": "% of lines"},
}
NORM_WORDS = {
    "ru": {">=": "не менее", "<=": "не более"},
    "be": {">=": "не менш за", "<=": "не больш за"},
    "en": {">=": "at least", "<=": "at most"},
}
# the decision rule's states (collector/compliance/indicators.decide)
VERDICTS = {
    "ru": {"meets": "соответствует", "fails": "не соответствует", "edge": "на границе",
           "insufficient_sample": "недостаточная выборка", "not_measured": "не измерено",
           "no_data": "нет данных"},
    "be": {"meets": "адпавядае", "fails": "не адпавядае", "edge": "на мяжы",
           "insufficient_sample": "недастатковая выбарка", "not_measured": "не вымерана",
           "no_data": "няма даных"},
    "en": {"meets": "meets", "fails": "does not meet", "edge": "on the edge",
           "insufficient_sample": "insufficient sample", "not_measured": "not measured",
           "no_data": "no data"},
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


def verdict(entry: dict[str, Any], lang: str) -> str:
    """The verdict in words; «on the edge» says which side the value itself is on."""
    said = VERDICTS[lang][entry["verdict"]]
    if entry["verdict"] == "edge":
        said += f" ({LABELS[lang]['edge_side'][bool(entry['meets'])]})"
    return said


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
        "headline_ok": "Все показатели с вердиктом соответствуют нормам с учётом 95 % "
                       "интервала.",
        "headline_fails": "Не соответствуют нормам (№ показателя, технологии): {items}.",
        "headline_edge": "На границе нормы — 95 % интервал пересекает норму (№ показателя, "
                         "технологии): {items}.",
        "legend": "✓ соответствует · ✗ не соответствует · ≈ на границе (95 % интервал "
                  "пересекает норму) · ? недостаточная выборка · — нет данных или не "
                  "измерено; в скобках — 95 % интервал; для п. 9 — сколько тарифных планов из "
                  "всех не соответствуют норме.",
        "decision_rule": "Правило решения: показатель соответствует (не соответствует) норме, "
                         "когда весь его 95 % интервал лежит по эту сторону нормы; когда "
                         "интервал пересекает норму — «на границе», с указанием, по какую "
                         "сторону лежит само значение. Записи оператора (договоры, вызовы, "
                         "заявки) — полный учёт, а не выборка: оцениваются по значению. Для "
                         "п. 9 норма установлена для каждого договора: тарифный план не "
                         "соответствует, если хотя бы одна линия не достигла нормы.",
        "edge_side": {True: "значение в пределах нормы", False: "значение вне нормы"},
        "every_line": "каждая линия: {norm}",
        "lines_mean": "среднее по линиям — {kbps} кбит/с; линий ниже нормы: {failing}",
        "planned_within": "в т. ч. простой во время плановых работ — {minutes} мин, из них "
                          "объявленных позже срока — {late} мин",
        "raised": "(правила оператора: {norm}; применяется более строгая норма постановления)",
        "judged_by": "норма по",
        "complete": "полный учёт",
        "sensitivity": "Чувствительность к прочтению источников",
        "sensitivity_text": "Там, где источники допускают иное прочтение, вердикт дан по "
                            "прочтению, которое применил бы проверяющий; рядом — значения при "
                            "другом прочтении, чтобы было видно, как далеко показатель от нормы.",
        "reading": "Вопрос", "adopted": "Принято (вердикт)", "alternative": "Иное прочтение",
        "readings": {"speed_layer": "уровень, на котором указана скорость тарифа",
                     "planned_works": "плановые работы в показателе 12",
                     "customer_delay": "задержка по вине абонента в показателе 1"},
        "reading_values": {
            "speed_layer": ("полезная нагрузка TCP", "кадр Ethernet"),
            "planned_works": ("учитываются", "исключаются, если объявлены в срок"),
            "customer_delay": ("не продлевает срок", "продлевает срок")},
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
        "due": "Срок опубликования", "due_text": "не позднее {date} ({clause})",
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
        "contracts_customer_delayed": "договоры с задержкой по вине абонента (срок не "
                                      "продлевается)",
        "contracts_without_promised_days": "договоры без срока (не оцениваются)",
        "calls_without_profile": "вызовы без профиля (учтены в каждом профиле)",
        "tickets_third_party_fault": "заявки о неисправностях по вине третьих лиц (учтены)",
        "tickets_not_yet_due": "заявки, срок восстановления по которым ещё не наступил",
        "suspended_minutes": "приостановление услуги по основанию правил, минут наблюдения",
        "suspensions_without_clause": "приостановления без основания в правилах профиля "
                                      "(учтены в готовности)",
        "speed_segment_assumed": "измерения скорости без записанного размера сегмента "
                                 "(учтены, размер принят 1448 байт)",
        "availability_on_net_only_minutes": "готовность, измеренная только до узлов оператора, "
                                            "минут (не характеризует соединение с сетью "
                                            "Интернет, не учтена)",
        "contracts_pending_past_deadline": "договоры, не исполненные к сроку (учтены как "
                                           "с нарушением срока)",
        "counts": {"sessions": "сессий", "packets": "пакетов", "minutes": "минут",
                   "tests": "измерений", "attempts": "попыток", "contracts": "договоров",
                   "calls": "вызовов", "tickets": "заявок", "lines": "линий"},
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
        "headline_ok": "Усе паказчыкі з вердыктам адпавядаюць нормам з улікам 95 % "
                       "інтэрвалу.",
        "headline_fails": "Не адпавядаюць нормам (№ паказчыка, тэхналогіі): {items}.",
        "headline_edge": "На мяжы нормы — 95 % інтэрвал перасякае норму (№ паказчыка, "
                         "тэхналогіі): {items}.",
        "legend": "✓ адпавядае · ✗ не адпавядае · ≈ на мяжы (95 % інтэрвал перасякае норму) "
                  "· ? недастатковая выбарка · — няма даных або не вымерана; у дужках — 95 % "
                  "інтэрвал; для п. 9 — колькі тарыфных планаў з усіх не адпавядаюць норме.",
        "decision_rule": "Правіла рашэння: паказчык адпавядае (не адпавядае) норме, калі ўвесь "
                         "яго 95 % інтэрвал ляжыць па гэты бок нормы; калі інтэрвал перасякае "
                         "норму — «на мяжы», з указаннем, па які бок ляжыць само значэнне. "
                         "Запісы аператара (дагаворы, выклікі, заяўкі) — поўны ўлік, а не "
                         "выбарка: ацэньваюцца па значэнні. Для п. 9 норма ўстаноўлена для "
                         "кожнага дагавора: тарыфны план не адпавядае, калі хоць адна лінія не "
                         "дасягнула нормы.",
        "edge_side": {True: "значэнне ў межах нормы", False: "значэнне па-за нормай"},
        "every_line": "кожная лінія: {norm}",
        "lines_mean": "сярэдняе па лініях — {kbps} кбіт/с; ліній ніжэй за норму: {failing}",
        "planned_within": "у т. л. прастой падчас планавых работ — {minutes} хв, з іх "
                          "абвешчаных пазней за тэрмін — {late} хв",
        "raised": "(правілы аператара: {norm}; ужываецца больш строгая норма пастановы)",
        "judged_by": "норма па",
        "complete": "поўны ўлік",
        "sensitivity": "Адчувальнасць да прачытання крыніц",
        "sensitivity_text": "Там, дзе крыніцы дапускаюць іншае прачытанне, вердыкт дадзены па "
                            "прачытанні, якое ўжыў бы правяраючы; побач — значэнні пры іншым "
                            "прачытанні, каб было відаць, як далёка паказчык ад нормы.",
        "reading": "Пытанне", "adopted": "Прынята (вердыкт)", "alternative": "Іншае прачытанне",
        "readings": {"speed_layer": "узровень, на якім пазначана хуткасць тарыфу",
                     "planned_works": "планавыя работы ў паказчыку 12",
                     "customer_delay": "затрымка па віне абанента ў паказчыку 1"},
        "reading_values": {
            "speed_layer": ("карысная нагрузка TCP", "кадр Ethernet"),
            "planned_works": ("улічваюцца", "выключаюцца, калі абвешчаны ў тэрмін"),
            "customer_delay": ("не падаўжае тэрмін", "падаўжае тэрмін")},
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
        "due": "Тэрмін апублікавання", "due_text": "не пазней за {date} ({clause})",
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
        "contracts_customer_delayed": "дагаворы з затрымкай па віне абанента (тэрмін не "
                                      "падаўжаецца)",
        "contracts_without_promised_days": "дагаворы без тэрміну (не ацэньваюцца)",
        "calls_without_profile": "выклікі без профілю (улічаны ў кожным профілі)",
        "tickets_third_party_fault": "заяўкі аб няспраўнасцях па віне трэціх асоб (улічаны)",
        "tickets_not_yet_due": "заяўкі, тэрмін аднаўлення па якіх яшчэ не наступіў",
        "suspended_minutes": "прыпыненне паслугі па падставе правілаў, хвілін назірання",
        "suspensions_without_clause": "прыпыненні без падставы ў правілах профілю (улічаны "
                                      "ў гатоўнасці)",
        "speed_segment_assumed": "вымярэнні хуткасці без запісанага памеру сегмента "
                                 "(улічаны, памер прыняты 1448 байт)",
        "availability_on_net_only_minutes": "гатоўнасць, вымераная толькі да вузлоў аператара, "
                                            "хвілін (не характарызуе злучэнне з сеткай "
                                            "Інтэрнэт, не ўлічана)",
        "contracts_pending_past_deadline": "дагаворы, не выкананыя ў тэрмін (улічаны як з "
                                           "парушэннем тэрміну)",
        "counts": {"sessions": "сесій", "packets": "пакетаў", "minutes": "хвілін",
                   "tests": "вымярэнняў", "attempts": "спроб", "contracts": "дагавораў",
                   "calls": "выклікаў", "tickets": "заявак", "lines": "ліній"},
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
        "headline_ok": "Every indicator with a verdict meets its norm, its 95 % interval "
                       "included.",
        "headline_fails": "Not meeting the norm (indicator, technologies): {items}.",
        "headline_edge": "On the edge: the 95 % interval crosses the norm (indicator, "
                         "technologies): {items}.",
        "legend": "✓ meets · ✗ does not meet · ≈ on the edge (the 95 % interval crosses the "
                  "norm) · ? insufficient sample · — no data or not measured; the 95 % "
                  "interval in brackets; for item 9, how many tariff plans of all fail the "
                  "norm.",
        "decision_rule": "The decision rule: an indicator meets (fails) its norm when its whole "
                         "95 % interval lies on that side of the norm; when the interval "
                         "crosses the norm it is «on the edge», saying which side the value "
                         "itself is on. The operator's records (contracts, calls, tickets) are "
                         "complete, not a sample: judged on their value. Item 9's norm is every "
                         "contract's: a tariff plan fails as soon as one of its lines does.",
        "edge_side": {True: "the value within the norm", False: "the value outside it"},
        "every_line": "every line: {norm}",
        "lines_mean": "mean over the lines {kbps} kbit/s; lines below the norm: {failing}",
        "planned_within": "of which down in planned works: {minutes} min, of them in works "
                          "announced late: {late} min",
        "raised": "(the operator's rules: {norm}; the resolution's stricter norm judges)",
        "judged_by": "norm by",
        "complete": "complete records",
        "sensitivity": "Sensitivity to how the sources are read",
        "sensitivity_text": "Where the sources leave room for another reading, the verdict "
                            "takes the one an inspector would take; beside it, the figures "
                            "under the other, to show how far each is from the norm.",
        "reading": "Question", "adopted": "Adopted (the verdict)", "alternative": "Other reading",
        "readings": {"speed_layer": "the layer a tariff's speed is stated at",
                     "planned_works": "planned works in item 12",
                     "customer_delay": "a customer's delay in item 1"},
        "reading_values": {
            "speed_layer": ("TCP payload", "Ethernet frame"),
            "planned_works": ("in the figure", "taken out when announced in time"),
            "customer_delay": ("the deadline stays", "the deadline moves")},
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
        "due_text": "by {date} ({clause})",
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
        "contracts_customer_delayed": "contracts delayed by the customer (the deadline "
                                      "stays)",
        "contracts_without_promised_days": "contracts with no deadline (not judged)",
        "calls_without_profile": "calls with no profile (counted in every profile)",
        "tickets_third_party_fault": "tickets of third parties' faults (counted)",
        "tickets_not_yet_due": "tickets not yet due",
        "suspended_minutes": "service suspended on a ground the rules give, minutes observed",
        "suspensions_without_clause": "suspensions on no ground of the profile's rules "
                                      "(kept in availability)",
        "speed_segment_assumed": "speed tests without a recorded segment size (counted, "
                                 "1448 bytes assumed)",
        "availability_on_net_only_minutes": "availability checked against on-net targets only, "
                                            "minutes (not the Internet: not counted)",
        "contracts_pending_past_deadline": "contracts not fulfilled by their deadline "
                                           "(counted as late)",
        "counts": {"sessions": "sessions", "packets": "packets", "minutes": "minutes",
                   "tests": "tests", "attempts": "attempts", "contracts": "contracts",
                   "calls": "calls", "tickets": "tickets", "lines": "lines"},
        "lines": "lines", "clause": "source",
        "parameters": "Parameters of the computation, as the collector applied them",
        "tariff": "tariff", "layer": {"tcp_payload": "TCP payload", "ip": "IP layer",
                                        "ethernet": "Ethernet layer"},
        "out_of_scope": "Outside netq's measurements",
        "out_of_scope_text": "Items of the annex to the Rules (resolution No 645) that data "
                             "probes do not measure:",
    },
}
