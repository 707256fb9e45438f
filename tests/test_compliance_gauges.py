"""The quarter-to-date gauges: each indicator is published on the series its measure
declares, scaled to base units, whatever unit its thresholds entry writes."""

from __future__ import annotations

from typing import Any

from netq.collector.compliance.document import Document, IndicatorEntry, Period
from netq.collector.compliance.measures import MEASURES
from netq.collector.metrics import CollectorMetrics


def entry(id_: str, series: str, unit: str, value: float, norm: float) -> dict[str, Any]:
    edition, _, item = id_.partition(".")
    return {"id": id_, "edition": edition, "item": item, "name_ru": "…", "clause": "п. 1",
            "service": "fixed", "technology": None, "measure": "delay_mean", "value": value,
            "unit": unit, "norm": {"op": "<=", "value": norm}, "source_norm": None,
            "raised_by": None, "meets": True, "verdict": "meets", "certain": True, "n": 10,
            "n_counts": "sessions", "series": series, "connections": 40, "ci95": None,
            "insufficient_sample": False, "averaging": "pooled"}


def test_a_measure_s_series_not_its_unit_chooses_the_gauge() -> None:
    metrics = CollectorMetrics()
    # a share whose entry happens to write "ms" stays a share; a delay is in seconds
    indicators = [IndicatorEntry.model_validate(e) for e in (
        entry("p.jitter", "share", "ms", 95.0, 90.0), entry("p.10", "delay", "ms", 42.0, 100.0))]
    metrics.publish_compliance([Document.model_construct(
        profile="p", indicators=indicators, period=Period.model_validate(
            {"from": "2026-07-01T00:00:00+03:00", "to": "2026-10-01T00:00:00+03:00"}))])
    labels = {"profile": "p", "technology": "all", "tariff_kbps": ""}

    def value(name: str, indicator: str, **more: str) -> float | None:
        found = metrics.registry.get_sample_value(name, {**labels, "indicator": indicator,
                                                         **more})
        return None if found is None else round(found, 9)

    assert value("netq_compliance_share_ratio", "p.jitter") == 0.95
    assert value("netq_compliance_delay_seconds", "p.jitter") is None
    assert value("netq_compliance_delay_seconds", "p.10") == 0.042
    assert value("netq_compliance_norm", "p.10", bound="upper") == 0.1


def test_only_the_mean_delay_is_published_as_a_delay() -> None:
    assert {name for name, m in MEASURES.items() if m.series == "delay"} == {"delay_mean"}
