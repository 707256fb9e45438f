"""The line protocol's pictures, for a subscriber to read at a glance: each speed test against
the tariff and the norm, the delay day by day against its norm, and the minutes down each
day."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.ticker import FuncFormatter, MultipleLocator

from netq.collector.compliance.quarter import MINSK
from netq.reports.charts import BAR, NORM_STYLE, localised, svg

UP = "#e67e22"
TARIFF_STYLE: dict[str, Any] = {"color": "#555", "linestyle": ":", "linewidth": 1}


@dataclass(frozen=True)
class LineLabels:
    """The pictures' words, in the protocol's language."""

    download: str
    upload: str
    tariff: str
    norm: str
    speed_axis: str
    delay_axis: str
    down_axis: str
    number: Callable[[Any, int], str]
    day: Callable[[date], str]  # a tick's date, as the language writes it


def norms(document: dict[str, Any]) -> dict[str, float]:
    """The per-test norms of the line's service and technology in the window's last
    edition: speed (% of the tariff) and delay (ms)."""
    if not document["registry"] or not document["profiles"]:
        return {}
    line = document["registry"][-1]
    edition = document["profiles"][-1]["editions"][-1]
    found = {}
    for name, key in (("speed", "speed_min_share_of_tariff"), ("delay", "delay_max_ms")):
        norm = edition["per_test"].get(line["service"], {}).get(key)
        if norm is not None and line["technology"] in norm.get("technologies",
                                                                [line["technology"]]):
            found[name] = float(norm["value"])
    return found


def _days_axis(axis: Any, first: date, last: date, labels: LineLabels) -> None:
    """x in days from the window's first Minsk midnight, ticked with the day's date."""
    days = (last - first).days + 1
    axis.set_xlim(0, days)
    axis.xaxis.set_major_locator(MultipleLocator(max(1, -(-days // 8))))
    axis.xaxis.set_major_formatter(FuncFormatter(
        lambda x, position: labels.day(first + timedelta(days=int(x)))))


def _x(moment: datetime, first: date) -> float:
    """An instant as days from the first Minsk midnight of the window."""
    start = datetime.combine(first, datetime.min.time(), MINSK)
    return (moment - start).total_seconds() / 86_400


def speed_tests(document: dict[str, Any], labels: LineLabels) -> str | None:
    """Each complete speed test judged, as % of the tariff in force when it ran, download and
    upload apart, with the tariff (100 %) and the per-test norm."""
    tests = [t for t in document["tests"] if t["kind"] == "throughput"
             and t.get("share_of_tariff") is not None]
    if not tests:
        return None
    first = date.fromisoformat(document["period"]["from"])
    last = date.fromisoformat(document["period"]["to"])
    figure, axis = plt.subplots(figsize=(7, 2.6), layout="constrained")
    for direction, colour, label in (("down", BAR, labels.download),
                                     ("up", UP, labels.upload)):
        chosen = [t for t in tests if t["direction"] == direction]
        if chosen:
            axis.plot([_x(datetime.fromisoformat(t["started_at"]), first) for t in chosen],
                      [t["share_of_tariff"] for t in chosen], "o", color=colour,
                      markersize=2.5, label=label)
    axis.axhline(100, **TARIFF_STYLE, label=labels.tariff)
    norm = norms(document).get("speed")
    if norm is not None:
        axis.axhline(norm, **NORM_STYLE, label=labels.norm)
    top = max(110.0, *(t["share_of_tariff"] for t in tests))
    axis.set_ylim(0, top * 1.05)
    axis.set_ylabel(labels.speed_axis)
    _days_axis(axis, first, last, labels)
    localised(axis, labels.number)
    axis.legend(frameon=False, fontsize=7, loc="lower left", ncol=4)
    return svg(figure)


def delay_by_day(document: dict[str, Any], labels: LineLabels) -> str | None:
    """The mean round trip of each day's latency sessions that had replies, with the norm."""
    by_day: dict[date, list[float]] = defaultdict(list)
    for t in document["tests"]:
        if t["kind"] == "latency" and t.get("rtt_mean_ms") is not None and t["judged"]:
            started = datetime.fromisoformat(t["started_at"]).astimezone(MINSK)
            by_day[started.date()].append(float(t["rtt_mean_ms"]))
    if not by_day:
        return None
    first = date.fromisoformat(document["period"]["from"])
    last = date.fromisoformat(document["period"]["to"])
    days = sorted(by_day)
    figure, axis = plt.subplots(figsize=(7, 2.2), layout="constrained")
    axis.plot([(d - first).days + 0.5 for d in days],
              [sum(by_day[d]) / len(by_day[d]) for d in days],
              marker="o", markersize=2.5, linewidth=1, color=BAR)
    norm = norms(document).get("delay")
    if norm is not None:
        axis.axhline(norm, **NORM_STYLE, label=labels.norm)
        axis.legend(frameon=False, fontsize=7, loc="upper left")
    top = max([*(sum(v) / len(v) for v in by_day.values()), norm or 0.0])
    axis.set_ylim(0, top * 1.15 if top else 1)
    axis.set_ylabel(labels.delay_axis)
    _days_axis(axis, first, last, labels)
    localised(axis, labels.number)
    return svg(figure)


def down_by_day(document: dict[str, Any], labels: LineLabels) -> str | None:
    """Minutes down each day (outages of the method's minimum or longer)."""
    days = [d for d in document["days"] if d["down_minutes"]]
    if not days:
        return None
    first = date.fromisoformat(document["period"]["from"])
    last = date.fromisoformat(document["period"]["to"])
    figure, axis = plt.subplots(figsize=(7, 1.8), layout="constrained")
    axis.bar([(date.fromisoformat(d["day"]) - first).days + 0.5 for d in days],
             [d["down_minutes"] for d in days],
             width=0.8, color="#c0392b")
    axis.set_ylabel(labels.down_axis)
    _days_axis(axis, first, last, labels)
    localised(axis, labels.number)
    return svg(figure)
