"""The report's pictures as SVG (matplotlib, no network, text kept as text for the PDF)."""

from __future__ import annotations

import io
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display; before pyplot is imported
import matplotlib.pyplot as plt

plt.rcParams.update({
    "text.parse_math": False,  # a node named "$x$" is a name, not a formula to typeset
    "svg.fonttype": "none",  # text stays text: searchable, and typeset in the PDF's font
    "svg.hashsalt": "netq",  # the same figures give the same file
    "font.family": "DejaVu Sans",
    "font.size": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
})
NORM_STYLE = {"color": "#c0392b", "linestyle": "--", "linewidth": 1}
BAR = "#2c6fbb"


def svg(figure: Any) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg"):]  # inline in HTML: no XML prologue or doctype


def monthly_trend(months: list[dict[str, Any]], month_names: list[str],
                  labels: dict[str, str]) -> str | None:
    """One small panel per share indicator that has figures: its monthly values and norm."""
    ids = [e["id"] for e in months[0]["indicators"]
           if e["unit"] == "%" and e["technology"] is None]
    series = {i: [next(e for e in m["indicators"] if e["id"] == i and e["technology"] is None)
                  for m in months] for i in ids}
    series = {i: s for i, s in series.items() if any(e["value"] is not None for e in s)}
    if not series:
        return None
    columns = min(4, len(series))
    rows = -(-len(series) // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(2.1 * columns, 1.8 * rows + 0.3),
                                squeeze=False, sharex=True, layout="constrained")
    for axis in axes.flat[len(series):]:
        axis.set_visible(False)
    for axis, (indicator_id, entries) in zip(axes.flat, series.items(), strict=False):
        values = [e["value"] for e in entries]
        axis.plot(range(3), [float("nan") if v is None else v for v in values], marker="o",
                  color=BAR, linewidth=1.2, markersize=3)
        axis.axhline(entries[0]["norm"]["value"], **NORM_STYLE)
        axis.set_title(f"№ {indicator_id.split('.', 1)[1]}", fontsize=8)
        axis.set_xticks(range(3), month_names)
        axis.set_ylim(0, 100)
    figure.supylabel("%")
    figure.legend([plt.Line2D([], [], color=BAR, marker="o"), plt.Line2D([], [], **NORM_STYLE)],
                  [labels["measured"], labels["norm"]], loc="outside lower center", ncol=2,
                  frameon=False)
    return svg(figure)


def speed_distribution(by_technology: dict[str, list[float]], norm_percent: float,
                       labels: dict[str, str]) -> str | None:
    """Each connection's mean download speed as % of its tariff, by technology."""
    if not by_technology:
        return None
    technologies = sorted(by_technology)
    figure, axis = plt.subplots(figsize=(7, 0.9 + 0.45 * len(technologies)),
                                layout="constrained")
    axis.boxplot([by_technology[t] for t in technologies], orientation="horizontal",
                 tick_labels=technologies, widths=0.5, showfliers=True,
                 flierprops={"markersize": 2})
    axis.axvline(norm_percent, **NORM_STYLE, label=labels["norm"])
    axis.set_xlabel(labels["speed_axis"])
    axis.legend(frameon=False, loc="lower right", bbox_to_anchor=(1, 1))
    return svg(figure)


def availability_by_node(by_node: dict[str, float], norm_percent: float,
                         labels: dict[str, str], worst: int = 15) -> str | None:
    """The nodes with the lowest availability (at most `worst`), against the norm."""
    if not by_node:
        return None
    nodes = sorted(by_node, key=lambda n: (by_node[n], n))[:worst]
    figure, axis = plt.subplots(figsize=(7, 0.9 + 0.3 * len(nodes)), layout="constrained")
    axis.barh(range(len(nodes)), [by_node[n] for n in nodes], color=BAR, height=0.6)
    axis.set_yticks(range(len(nodes)), nodes)
    axis.invert_yaxis()
    axis.axvline(norm_percent, **NORM_STYLE, label=labels["norm"])
    low = min(min(by_node[n] for n in nodes), norm_percent)
    axis.set_xlim(max(0.0, low - 1), 100)
    axis.set_xlabel(labels["availability_axis"])
    axis.legend(frameon=False, loc="lower left", bbox_to_anchor=(0, 1))
    return svg(figure)
