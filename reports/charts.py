"""The report's pictures as SVG (matplotlib, no network, text kept as text for the PDF)."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display; before pyplot is imported
import matplotlib.pyplot as plt
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter

from netq.model import EVENING_PEAK

plt.rcParams.update({
    "text.parse_math": False,  # a node named "$x$" is a name, not a formula to typeset
    "svg.fonttype": "none",  # text stays text: searchable, and typeset in the PDF's font
    "svg.hashsalt": "netq",  # the same figures give the same file
    "font.family": "DejaVu Sans",
    "font.size": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
})
NORM_STYLE: dict[str, Any] = {"color": "#c0392b", "linestyle": "--", "linewidth": 1}
BAR = "#2c6fbb"


@dataclass(frozen=True)
class Labels:
    """The pictures' words and numbers, in the report's language."""

    measured: str
    norm: str
    speed_axis: str
    lines_share_axis: str
    availability_axis: str
    evening_peak: str
    hour_axis: str
    delay_axis: str
    unit: Callable[[str], str]
    number: Callable[[Any, int], str]  # a tick as the text writes a number
    technology: Callable[[str], str]


def localised(axis: Any, number: Callable[[Any, int], str], which: str = "y") -> None:
    """An axis's ticks written as the report writes numbers (a decimal comma in ru)."""
    formatter = FuncFormatter(lambda value, position: number(
        value, 0 if float(value).is_integer() else 2))
    (axis.yaxis if which == "y" else axis.xaxis).set_major_formatter(formatter)


def svg(figure: Any) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg"):]  # inline in HTML: no XML prologue or doctype


def monthly_trend(months: list[dict[str, Any]], month_names: list[str],
                  labels: Labels) -> str | None:
    """One small panel per network indicator of the whole population with figures: its
    monthly values with their 95 % intervals, and its norm, each on its own scale (a 1 %
    norm and a 99 % norm cannot share an axis and be read)."""
    firsts = [e for e in months[0]["indicators"]
              if e["technology"] is None and e.get("tariff_kbps") is None]
    series = {e["id"]: [next((x for x in m["indicators"] if x["id"] == e["id"]
                              and x["technology"] is None and x.get("tariff_kbps") is None),
                             None) for m in months] for e in firsts}
    series = {i: s for i, s in series.items()
              if any(x is not None and x["value"] is not None for x in s)}
    if not series:
        return None
    columns = min(4, len(series))
    rows = -(-len(series) // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(2.1 * columns, 1.9 * rows + 0.3),
                                squeeze=False, layout="constrained")
    for axis in axes.flat[len(series):]:
        axis.set_visible(False)
    for axis, (indicator_id, entries) in zip(axes.flat, series.items(), strict=False):
        shown = [(i, e) for i, e in enumerate(entries) if e is not None and e["value"] is not None]
        axis.errorbar([i for i, _ in shown], [e["value"] for _, e in shown],
                      yerr=_spans([e for _, e in shown]), marker="o", color=BAR,
                      linewidth=1.2, markersize=3, capsize=2)
        norm = next(e for e in entries if e is not None)["norm"]
        axis.axhline(norm["value"], **NORM_STYLE)
        axis.set_ylim(*honest_range([e for _, e in shown], norm["value"]))
        unit = next(e for e in entries if e is not None)["unit"]
        axis.set_title(f"№ {indicator_id.split('.', 1)[1]}, {labels.unit(unit)}", fontsize=8)
        axis.set_xticks(range(len(month_names)), month_names)
        axis.set_xlim(-0.5, len(month_names) - 0.5)
        localised(axis, labels.number)
    figure.legend([Line2D([], [], color=BAR, marker="o"), Line2D([], [], **NORM_STYLE)],
                  [labels.measured, labels.norm], loc="outside lower center", ncol=2,
                  frameon=False)
    return svg(figure)


def _spans(entries: list[dict[str, Any]]) -> list[list[float]]:
    """The intervals as distances below and above each value (0 where there is none)."""
    below, above = [], []
    for e in entries:
        low, high = e["ci95"] or (e["value"], e["value"])
        below.append(max(0.0, e["value"] - low))
        above.append(max(0.0, high - e["value"]))
    return [below, above]


def honest_range(entries: list[dict[str, Any]], norm: float) -> tuple[float, float]:
    """An axis that holds the values, their intervals and the norm with a margin: from zero
    when they lie in the lower half of their scale, else a window of at least 2 points
    (percent) under a ceiling of 100 for shares; never cutting a value or the norm."""
    points = [norm, *(e["value"] for e in entries),
              *(x for e in entries if e["ci95"] for x in e["ci95"])]
    low, high = min(points), max(points)
    share = all(e["unit"] == "%" for e in entries)
    if not share or low < 50:
        return 0.0, high * 1.15 if high > 0 else 1.0
    span = max(high - low, 2.0)
    return max(0.0, low - 0.25 * span), min(100.0, high + 0.25 * span) if high < 100 \
        else 100.0 + 0.05 * span


def speed_distribution(by_technology: dict[str, list[float]], norm_percent: float,
                       labels: Labels) -> str | None:
    """Per technology, the empirical distribution of each line's mean download speed as % of
    its tariff: the share of lines at or below each speed, with the norm's line."""
    if not by_technology:
        return None
    figure, axis = plt.subplots(figsize=(7, 3.2), layout="constrained")
    for technology in sorted(by_technology):
        values = sorted(by_technology[technology])
        heights = [100 * (i + 1) / len(values) for i in range(len(values))]
        axis.step([values[0], *values], [0.0, *heights], where="post",
                  label=f"{labels.technology(technology)} ({labels.number(len(values), 0)})",
                  linewidth=1.2)
    axis.axvline(norm_percent, **NORM_STYLE, label=labels.norm)
    axis.set_xlabel(labels.speed_axis)
    axis.set_ylabel(labels.lines_share_axis)
    axis.set_ylim(0, 100)
    localised(axis, labels.number)
    localised(axis, labels.number, "x")
    axis.legend(frameon=False, loc="upper left", fontsize=7)
    return svg(figure)


def availability_by_node(by_node: dict[str, float], norm_percent: float,
                         labels: Labels, worst: int = 15) -> str | None:
    """The nodes with the lowest availability (at most `worst`), as dots against the norm:
    a dot has no bar to start at zero, so the axis may hold just the values and the norm."""
    if not by_node:
        return None
    nodes = sorted(by_node, key=lambda n: (by_node[n], n))[:worst]
    figure, axis = plt.subplots(figsize=(7, 0.9 + 0.3 * len(nodes)), layout="constrained")
    axis.plot([by_node[n] for n in nodes], range(len(nodes)), "o", color=BAR, markersize=4)
    axis.set_yticks(range(len(nodes)), nodes)
    axis.invert_yaxis()
    axis.grid(axis="x", color="#ddd", linewidth=0.5)
    axis.axvline(norm_percent, **NORM_STYLE, label=labels.norm)
    low = min(min(by_node[n] for n in nodes), norm_percent)
    axis.set_xlim(max(0.0, low - max(0.5, 0.25 * (100 - low))), 100.1)
    axis.set_xlabel(labels.availability_axis)
    localised(axis, labels.number, "x")
    axis.legend(frameon=False, loc="lower left", bbox_to_anchor=(0, 1))
    return svg(figure)


def hour_profile(hours: dict[str, dict[str, list[float | None]]], speed_norm: float | None,
                 labels: Labels) -> str | None:
    """Speed (% of tariff) and round trip by hour of the day, per technology, with the evening
    peak shaded and the speed norm's line."""
    panels = [(what, hours.get(what) or {}) for what in ("speed", "delay")]
    panels = [(what, found) for what, found in panels if found]
    if not panels:
        return None
    figure, axes = plt.subplots(1, len(panels), figsize=(3.6 * len(panels), 2.6),
                                squeeze=False, layout="constrained")
    for axis, (what, found) in zip(axes.flat, panels, strict=True):
        axis.axvspan(*EVENING_PEAK, color="#f2d7a6", alpha=0.5, linewidth=0,
                     label=labels.evening_peak)
        for technology, values in found.items():
            axis.plot(range(24), [float("nan") if v is None else v for v in values],
                      linewidth=1.1, marker=".", markersize=3,
                      label=labels.technology(technology))
        if what == "speed" and speed_norm is not None:
            axis.axhline(speed_norm, **NORM_STYLE, label=labels.norm)
        shown = [v for values in found.values() for v in values if v is not None]
        top = max([*shown, speed_norm or 0]) if what == "speed" else max(shown)
        axis.set_ylim(0, top * 1.15)
        axis.set_xlim(0, 23.5)
        axis.set_xticks(range(0, 24, 3))
        axis.set_xlabel(labels.hour_axis)
        axis.set_ylabel(labels.speed_axis if what == "speed" else labels.delay_axis)
        localised(axis, labels.number)
        axis.legend(frameon=False, fontsize=6, loc="lower left")
    return svg(figure)
