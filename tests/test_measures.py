"""A measure is described once, in collector/compliance/measures/NAME.py: what its figure reads,
what its n counts, its series, its words, and the per-test norm it brings with the rollup
columns that norm keeps. These checks hold the registry together, keep anything else from
naming a measure, and prove it with the one measure no shipped profile uses: jitter."""

from __future__ import annotations

import ast
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from netq.collector import tables
from netq.collector.compliance import thresholds
from netq.collector.compliance.engine import compliance
from netq.collector.compliance.explain import explain
from netq.collector.compliance.lines import failing
from netq.collector.compliance.measures import MEASURES, PER_TEST_NORMS, JudgedTest, Measure
from netq.collector.compliance.quarter import Quarter
from netq.collector.compliance.report_data import details
from netq.collector.registry import FIRST_PERIOD, Connection
from netq.collector.store import Store
from netq.errors import ConfigError
from netq.record import KINDS
from tests.records import result_record

ROOT = Path(__file__).parent.parent
MEASURES_DIR = ROOT / "collector" / "compliance" / "measures"
ROLLUP_COLUMNS = {*tables.ROLLUP_COUNTS, *tables.ROLLUP_SUMS, *tables.ROLLUP_EXTREMES}
Q3 = Quarter(2026, 3)


def test_every_module_of_the_package_is_a_measure_of_its_own_name() -> None:
    modules = {p.stem for p in MEASURES_DIR.glob("*.py") if p.stem != "__init__"}
    assert set(MEASURES) == modules
    for name, measure in MEASURES.items():
        assert isinstance(measure, Measure)
        assert measure.name == name
        assert ast.get_docstring(ast.parse((MEASURES_DIR / f"{name}.py").read_text("utf-8"))), \
            f"measures/{name}.py needs a docstring naming the clauses it counts for"


@pytest.mark.parametrize("name", sorted(MEASURES))
def test_a_measure_reads_only_columns_the_rollups_keep(name: str) -> None:
    measure = MEASURES[name]
    assert (measure.kind == "records") == (measure.records is not None)
    if measure.records is not None:
        assert measure.columns == ()
        assert measure.norm is None
        return
    assert measure.columns
    assert set(measure.columns) <= ROLLUP_COLUMNS
    assert measure.sessions_of is None or measure.sessions_of in KINDS


@pytest.mark.parametrize("norm", PER_TEST_NORMS, ids=[n.name for n in PER_TEST_NORMS])
def test_a_per_test_norm_keeps_its_own_columns_for_tests_of_its_kind(norm: Any) -> None:
    assert norm.reads in KINDS
    assert norm.key in thresholds.PerTest.model_fields
    assert set(norm.tested) <= set(tables.ROLLUP_COUNTS)
    assert set(norm.kept) <= set(tables.ROLLUP_COUNTS)
    others = {c for n in PER_TEST_NORMS if n is not norm for c in n.kept}
    assert not set(norm.kept) & others, "two norms keep the same column"
    assert not set(norm.kept) & set(norm.tested)
    assert norm.label
    assert norm.outside
    metrics = {"sent": 100, "received": 100, "rtt_ms": {"mean": 10.0}, "jitter_ms": 1.0}
    tests = [JudgedTest("latency", "pon", metrics, {"latency_n": 1, "packets_sent": 100,
                                              "packets_lost": 0})] \
        if norm.reads == "latency" else [
            JudgedTest("throughput", "lte", {}, {f"speed_{d}_n": 1}, Decimal(5_000_000), d, 10_000)
            for d in ("down", "up")]
    kept = {c for test in tests for c in norm.judge(test, Decimal(1))}
    assert kept == set(norm.kept)


def test_the_measures_keep_every_rollup_column_beyond_the_method_s_own() -> None:
    """tables.py's rollups are the method's counts and the norms' columns, nothing else."""
    kept = {c for norm in PER_TEST_NORMS for c in norm.kept}
    assert kept <= set(tables.ROLLUP_COUNTS)
    assert not any(c.endswith("_pass_n") for c in set(tables.ROLLUP_COUNTS) - kept)


def _product_files() -> list[Path]:
    """The product's code and templates (netq/collector, netq/probe, netq/reports are links to
    the top-level folders), the measures' own package and the migrations left out."""
    roles = [p for folder in ("collector", "reports", "probe")
             for p in (ROOT / folder).rglob("*.py")]
    kernel = [p for p in (ROOT / "netq").rglob("*.py")
              if p.relative_to(ROOT / "netq").parts[0] not in ("collector", "probe", "reports")]
    return [p for p in roles + kernel
            if not p.is_relative_to(MEASURES_DIR) and "migrations" not in p.parts] + sorted(
        (ROOT / "reports" / "templates").glob("*.j2"))


def test_no_code_outside_the_measures_names_a_measure() -> None:
    """The engine, the reports, the metrics and the line tables learn what they need from
    the measure (its records, plan, time, series, words); a measure whose name is also a
    test kind is looked for where it is compared as a measure."""
    plain = [n for n in MEASURES if n not in KINDS]
    as_name = re.compile(r"""["'](""" + "|".join(plain) + r""")["']""")
    compared = re.compile(r"""measure["'\]]*\s*[!=]=\s*["'](""" + "|".join(MEASURES)
                          + r""")["']""")
    files = _product_files()
    assert any(p.name == "engine.py" for p in files)
    for path in files:
        text = path.read_text("utf-8")
        found = as_name.findall(text) + compared.findall(text)
        assert not found, f"{path.relative_to(ROOT)} names {found}"


def test_no_shipped_profile_uses_the_jitter_measure() -> None:
    norms = thresholds.load(thresholds.default_path())
    for edition in norms.profiles.values():
        assert all(i.measure != "sessions_meeting_jitter" for i in edition.indicators)
        assert all(p.jitter_max_ms is None for p in edition.per_test.values())  # type: ignore[attr-defined]


def test_a_measure_no_module_describes_is_refused_naming_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "thresholds.yaml"
    path.write_text(thresholds.default_path().read_text("utf-8").replace(
        "measure: delay_mean", "measure: delay_median", 1), "utf-8")
    with pytest.raises(ConfigError, match=r"thresholds.yaml:\d+: .*measure: .*no measure "
                                          r"'delay_median'; there are: .*delay_mean"):
        thresholds.load(path)


# An operator's own rules with a jitter norm: com645 and, for fixed lines, «jitter of a session
# at most 30 ms», judged as «at least 90 % of sessions within it».
OWN_RULES = """
  - key: isp-jitter
    extends: com645
    title: an operator's rules with a jitter norm
    source: test
    effective_from: 2021-05-19
    per_test:
      fixed:
        jitter_max_ms: {value: 30, clause: "п. 7.1: «вариация задержки не более 30 мс»"}
    indicators:
      - {id: "7.1", measure: sessions_meeting_jitter, service: fixed, unit: "%",
         norm: {op: ">=", value: 90}, clause: "п. 7.1",
         name_ru: "Доля сессий с вариацией задержки не более 30 мс"}
"""


def jitter_session(connection_id: str, started_at: str, jitter_ms: float | None) -> dict[
        str, Any]:
    return result_record("latency", connection_id, started_at, 20, {
        "method": "udp", "sent": 100, "received": 100,
        "rtt_ms": dict.fromkeys(("min", "mean", "median", "p95", "max"), 20.0),
        "jitter_ms": jitter_ms})


@pytest.fixture
def jitter_store(db_url: str, tmp_path: Path) -> Store:
    path = tmp_path / "thresholds.yaml"
    path.write_text(thresholds.default_path().read_text("utf-8").replace(
        "min_sample: 30", "min_sample: 1") + OWN_RULES, "utf-8")
    store = Store.open(db_url, thresholds.load(path))
    store.upsert_connections([
        Connection(line, FIRST_PERIOD, "fixed", "pon", 100_000, 50_000, "Minsk", "node-a",
                   "isp-jitter") for line in ("F1", "F2")])
    answers = store.ingest([
        jitter_session("F1", "2026-07-05T10:00:00+03:00", 30.0),  # exactly the norm: meets
        jitter_session("F1", "2026-07-05T11:00:00+03:00", 30.001),  # just over: fails
        jitter_session("F1", "2026-07-05T12:00:00+03:00", None),  # under two replies: fails
        jitter_session("F2", "2026-07-05T10:00:00+03:00", 5.0),  # meets
    ])
    assert [a.status for a in answers] == ["accepted"] * 4
    return store


def test_a_jitter_norm_of_an_operator_s_rules_is_judged_session_by_session(
    jitter_store: Store,
) -> None:
    """2 of the 4 sessions are within 30 ms: 50 %, on the same evidence explain lists, and F1
    is the line with sessions outside the norm (2 of its 3)."""
    document = compliance(jitter_store, Q3, "isp-jitter")
    found = next(e for e in document["indicators"]
                 if e["id"] == "isp-jitter.7.1" and e["technology"] is None)
    assert (found["value"], found["n"], found["n_counts"], found["series"]) == (
        50.0, 4, "sessions", "share")
    assert found["verdict"] in ("fails", "edge")
    evidence = explain(jitter_store, Q3, "isp-jitter.7.1")
    assert evidence["totals"] == {"latency_n": 4, "jitter_pass_n": 2}
    lines = failing(jitter_store, Q3, "isp-jitter")["lines"]
    assert [(line["connection_id"], line["norms_failed"]) for line in lines] == [
        ("F1", {"jitter": {"tests": 3, "failed": 2}})]
    assert {t["failed"] == ["jitter"] for t in lines[0]["tests"]} == {True}
    shown = details(jitter_store, Q3, "isp-jitter")
    assert "jitter" in shown["norms"]
    assert shown["lines_total"][0]["failed"]["jitter"] == 1
    assert shown["lines_total"][0]["judged"]["jitter"] == 2


def test_a_profile_without_the_jitter_norm_shows_no_jitter_column(jitter_store: Store) -> None:
    jitter_store.upsert_connections([Connection("F3", FIRST_PERIOD, "fixed", "pon", 100_000,
                                                50_000, "Minsk", "node-a", "com645")])
    jitter_store.ingest([jitter_session("F3", "2026-07-05T10:00:00+03:00", 99.0)])
    document = compliance(jitter_store, Q3, "com645")
    assert all(e["measure"] != "sessions_meeting_jitter" for e in document["indicators"])
    shown = details(jitter_store, Q3, "com645")
    assert "jitter" not in shown["norms"]
    assert "jitter" not in shown["lines_total"][0]["judged"]
