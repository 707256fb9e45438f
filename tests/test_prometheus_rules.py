"""The on-call alerts, evaluated by Prometheus itself: `promtool check rules` and `promtool test
rules`, with series that make each alert fire and series that must leave it silent.

The promtool test file is written from the cases below; each expected alert carries the
rule's own runbook text (read from the rules file) and its summary rendered for the case.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.slow  # promtool started for every rule

RULES = Path(__file__).resolve().parent.parent / "prometheus" / "netq.rules.yml"
C = ('connection_id="{c}",node="{n}",profile="{p}",region="Minsk",service="{s}",'
     'technology="{t}"')
SERVICE = {"pon": "fixed", "adsl": "fixed", "lte": "wireless"}


def connection(metric: str, c: str, n: str = "n1", t: str = "pon", p: str = "com645",
               **extra: str) -> str:
    labels = C.format(c=c, n=n, p=p, s=SERVICE[t], t=t) + "".join(
        f',{k}="{v}"' for k, v in extra.items())
    return f"{metric}{{{labels}}}"


def alert(c: str, n: str = "n1", t: str = "pon", p: str = "com645",
          **extra: str) -> dict[str, str]:
    return {"connection_id": c, "node": n, "profile": p, "region": "Minsk",
            "service": SERVICE[t], "technology": t, **extra}


def line_norms(samples: int) -> list[tuple[str, str]]:
    """The per-test norms the collector exports (collector/metrics.publish_line_norms) for
    the lines of these cases, from the packaged thresholds.yaml."""
    from netq.collector.compliance.quarter import minsk_day
    from netq.collector.compliance.thresholds import load
    from netq.collector.metrics import CollectorMetrics

    metrics = CollectorMetrics()
    metrics.publish_line_norms(load(), minsk_day(datetime.now(UTC)))
    wanted = {(p, SERVICE[t], t) for p in ("com645", "byfly2024") for t in SERVICE}
    return [(f'{family.name}{{profile="{sample.labels["profile"]}",'
             f'service="{sample.labels["service"]}",technology="{sample.labels["technology"]}"}}',
             f"{sample.value}x{samples}")
            for family in metrics.line_norms.collect() for sample in family.samples
            if (sample.labels["profile"], sample.labels["service"],
                sample.labels["technology"]) in wanted]


# (alert, input series, eval time, [(labels without severity, summary)])
CASES: list[tuple[str, list[tuple[str, str]], str, list[tuple[dict[str, str], str]]]] = [
    ("NetqProbeSilent", [
        ('netq_collector_probe_last_seen_timestamp_seconds{probe_id="quiet"}', "0x40"),
        ('netq_collector_probe_last_seen_timestamp_seconds{probe_id="busy"}', "0+60x40"),
    ], "25m", [({"probe_id": "quiet"}, "Probe quiet has delivered nothing for 15 minutes")]),
    ("NetqProbeSilent", [
        ('netq_collector_probe_last_seen_timestamp_seconds{probe_id="quiet"}', "0x40"),
    ], "16m", []),  # 15 minutes of silence, but not yet for 5 more
    ("NetqProbeSilent", [  # two collectors: the probe delivers to the second only
        ('netq_collector_probe_last_seen_timestamp_seconds{instance="a",probe_id="p"}', "0x40"),
        ('netq_collector_probe_last_seen_timestamp_seconds{instance="b",probe_id="p"}',
         "0+60x40"),
    ], "25m", []),
    ("NetqConnectionDown", [
        (connection("netq_connection_up", "C1"), "1 1 0x10"),
        (connection("netq_connection_up", "C2"), "1x12"),
        (connection("netq_connection_up", "C3"), "1 0 0 0 1x8"),  # 3 minutes: no outage
    ], "10m", [(alert("C1"), "Connection C1 (n1) is down")]),
    ("NetqNodeDown", [
        (connection("netq_connection_up", "A1", n="n1"), "1 0x10"),
        (connection("netq_connection_up", "A2", n="n1"), "1 0x10"),
        (connection("netq_connection_up", "A3", n="n1"), "1x11"),
        (connection("netq_connection_up", "B1", n="n2"), "1 0x10"),  # one line of four: a ticket
        (connection("netq_connection_up", "B2", n="n2"), "1x11"),
        (connection("netq_connection_up", "B3", n="n2"), "1x11"),
        (connection("netq_connection_up", "B4", n="n2"), "1x11"),
    ], "10m", [({"node": "n1"}, "Node n1: 2 of its connections are down")]),
    ("NetqLatencyAboveNorm", [
        (connection("netq_connection_rtt_mean_seconds", "C1"), "0.45x40"),
        (connection("netq_connection_rtt_mean_seconds", "C2"), "0.4x40"),  # at the norm: fine
        *line_norms(40),
    ], "40m", [(alert("C1"), "C1: mean RTT 450ms above its profile's norm")]),
    ("NetqLossAboveNorm", [
        (connection("netq_connection_loss_ratio", "F1", t="pon"), "0.02x40"),
        (connection("netq_connection_loss_ratio", "W1", t="lte"), "0.02x40"),  # wireless: 3 %
        (connection("netq_connection_loss_ratio", "W2", t="lte"), "0.04x40"),
        # byfly holds its wireless lines to 1 % (table 1, item 3)
        (connection("netq_connection_loss_ratio", "B1", t="lte", p="byfly2024"), "0.02x40"),
        *line_norms(40),
    ], "40m", [(alert("B1", t="lte", p="byfly2024"), "B1: packet loss 2% above the norm"),
               (alert("F1", t="pon"), "F1: packet loss 2% above the norm"),
               (alert("W2", t="lte"), "W2: packet loss 4% above the norm")]),
    ("NetqNodeLatencyAboveNorm", [
        (connection("netq_connection_rtt_mean_seconds", "A1", n="n1"), "0.5x30"),
        (connection("netq_connection_rtt_mean_seconds", "A2", n="n1"), "0.5x30"),
        (connection("netq_connection_rtt_mean_seconds", "B1", n="n2"), "0.5x30"),
        (connection("netq_connection_rtt_mean_seconds", "B2", n="n2"), "0.1x30"),
        *line_norms(30),
    ], "20m", [({"node": "n1"}, "Node n1: mean RTT of its connections above their norms")]),
    ("NetqNodeLossAboveNorm", [
        (connection("netq_connection_loss_ratio", "A1", n="n1"), "0.03x30"),
        (connection("netq_connection_loss_ratio", "B1", n="n2"), "0.005x30"),
        (connection("netq_connection_loss_ratio", "W1", n="n3", t="lte"), "0.02x30"),  # 3 %
        (connection("netq_connection_loss_ratio", "W2", n="n4", t="lte"), "0.05x30"),
        *line_norms(30),
    ], "20m", [({"node": "n1"}, "Node n1: mean packet loss of its connections above their norms"),
               ({"node": "n4"}, "Node n4: mean packet loss of its connections above their norms")]),
    ("NetqSpeedBelowTariff", [
        (connection("netq_connection_throughput_tariff_ratio", "S1", direction="down"),
         "0.6x900"),
        (connection("netq_connection_throughput_tariff_ratio", "S2", direction="down"),
         "0.6x600 0.8 0.6x299"),  # one test at 80 % within the last 12 h
        # wireless: no 70 % norm (com645 item 9 is the fixed service's)
        (connection("netq_connection_throughput_tariff_ratio", "W1", t="lte", direction="down"),
         "0.6x900"),
        *line_norms(900),
    ], "14h", [(alert("S1", direction="down"),
                "S1: every down speed test for 12 h under its norm")]),
    ("NetqComplianceProjectedBreach", [
        # the share of sessions meeting the delay norm slides 0.05 % an hour; 25 days remain
        # (series are a sample a minute: Prometheus forgets a series 5 minutes after a sample)
        ('netq_compliance_share_ratio{indicator="com645.16",profile="com645",technology="all"}',
         "0.95-0.0000083x6000"),
        ('netq_compliance_norm{bound="lower",indicator="com645.16",profile="com645",'
         'technology="all"}', "0.9x6000"),
        # a steady share: no alert
        ('netq_compliance_share_ratio{indicator="com645.17",profile="com645",technology="all"}',
         "0.95x6000"),
        ('netq_compliance_norm{bound="lower",indicator="com645.17",profile="com645",'
         'technology="all"}', "0.9x6000"),
        # premature disconnections creeping up towards their 5 % ceiling
        ('netq_compliance_share_ratio{indicator="com645.14",profile="com645",technology="all"}',
         "0.01+0.0000033x6000"),
        ('netq_compliance_norm{bound="upper",indicator="com645.14",profile="com645",'
         'technology="all"}', "0.05x6000"),
        ("netq_compliance_quarter_end_timestamp_seconds", "2520000x6000"),
    ], "100h", [
        ({"indicator": "com645.14", "profile": "com645", "technology": "all"},
         "com645.14 is heading past its norm by the end of the quarter"),
        ({"indicator": "com645.16", "profile": "com645", "technology": "all"},
         "com645.16 is heading past its norm by the end of the quarter"),
    ]),
    ("NetqComplianceProjectedBreach", [
        # a share far below its norm, but seen for 10 hours only: a trend needs a day first
        ('netq_compliance_share_ratio{indicator="com645.16",profile="com645",technology="all"}',
         "_x5400 0.5x600"),
        ('netq_compliance_norm{bound="lower",indicator="com645.16",profile="com645",'
         'technology="all"}', "0.9x6000"),
        ("netq_compliance_quarter_end_timestamp_seconds", "2520000x6000"),
    ], "100h", []),
    ("NetqComplianceBreached", [
        ('netq_compliance_meets{indicator="com645.15",profile="com645",technology="all"}',
         "0x1600"),
        ('netq_compliance_meets{indicator="com645.16",profile="com645",technology="all"}',
         "1x1600"),
    ], "26h", [({"indicator": "com645.15", "profile": "com645", "technology": "all"},
                "com645.15 fails its norm quarter to date")]),
    ("NetqComplianceOnTheEdge", [
        # 15 meets by its value, its interval crossing the norm; 16 crosses it failing by its
        # value (NetqComplianceBreached's); 17 meets outright
        *((f'netq_compliance_verdict{{indicator="com645.{i}",profile="com645",'
           f'technology="all",verdict="{state}"}}', f"{int(state == now)}x1600")
          for i, now in ((15, "edge"), (16, "edge"), (17, "meets"))
          for state in ("meets", "fails", "edge")),
        *((f'netq_compliance_meets{{indicator="com645.{i}",profile="com645",technology="all"}}',
           f"{meets}x1600") for i, meets in ((15, 1), (16, 0), (17, 1))),
    ], "26h", [({"indicator": "com645.15", "profile": "com645", "technology": "all",
                 "verdict": "edge"},
                "com645.15 meets its norm quarter to date, but its 95 % interval crosses it")]),
    ("NetqIngestErrors", [
        ('netq_collector_ingest_requests_total{code="500"}', "0+3x20"),
        ('netq_collector_ingest_requests_total{code="200"}', "0+100x20"),
    ], "15m", [({}, "The collector answers probes with server errors")]),
    ("NetqIngestErrors", [
        ('netq_collector_ingest_requests_total{code="200"}', "0+100x20"),
        ('netq_collector_ingest_requests_total{code="401"}', "0+5x20"),  # the probe's fault
    ], "15m", []),
    ("NetqIngestRejecting", [
        ('netq_collector_records_total{outcome="accepted"}', "0+100x40"),
        ('netq_collector_records_total{outcome="rejected"}', "0+4x40"),
        ('netq_collector_records_total{outcome="conflict"}', "0+4x40"),  # 7.4 % together
    ], "35m", [({}, "More than 5 % of records are rejected or in conflict")]),
    ("NetqIngestRejecting", [
        ('netq_collector_records_total{outcome="accepted"}', "0+100x40"),
        ('netq_collector_records_total{outcome="unregistered"}', "0+10x40"),  # sent again later
    ], "35m", []),
    ("NetqSpoolGrowing", [
        ('netq_probe_spool_records{probe_id="p1"}', "1000+50x70"),
        ('netq_probe_spool_records{probe_id="p2"}', "5000x70"),  # large but draining: no
    ], "65m", [({"probe_id": "p1"}, "Probe p1: 4250 records waiting to upload")]),
    ("NetqSpoolDropping", [
        ('netq_probe_spool_dropped_records{probe_id="p1"}', "0 0 5x10"),
        ('netq_probe_spool_dropped_records{probe_id="p2"}', "7x12"),  # old drops, none new
    ], "10m", [({"probe_id": "p1"}, "Probe p1 dropped records: its spool is full")]),
    ("NetqSpoolQuarantine", [
        ('netq_probe_spool_quarantined_records{probe_id="p1"}', "0 0 3x20"),
        ('netq_probe_spool_quarantined_records{probe_id="p2"}', "0x22"),
    ], "20m", [({"probe_id": "p1"}, "Probe p1: 3 records the collector would not take")]),
    ("NetqReportDeadlineApproaching", [
        ('netq_report_deadline_timestamp_seconds{quarter="2026Q3"}', "259200x10"),
        ('netq_report_published{quarter="2026Q3"}', "0x10"),
        ('netq_report_deadline_timestamp_seconds{quarter="2026Q2"}', "259200x10"),
        ('netq_report_published{quarter="2026Q2"}', "1x10"),  # published: no alert
    ], "5m", [({"quarter": "2026Q3"}, "The 2026Q3 quality report is due in under 5 days")]),
    ("NetqReportDeadlineApproaching", [
        ('netq_report_deadline_timestamp_seconds{quarter="2026Q3"}', "2592000x10"),
        ('netq_report_published{quarter="2026Q3"}', "0x10"),  # 30 days left: not yet
    ], "5m", []),
]


def rules() -> dict[str, dict[str, Any]]:
    document = yaml.safe_load(RULES.read_text("utf-8"))
    return {rule["alert"]: rule for group in document["groups"] for rule in group["rules"]}


def rendered(text: str, labels: dict[str, str]) -> str:
    """A runbook with its `{{ $labels.x }}` filled in, as Prometheus sends it."""
    for name, value in labels.items():
        text = text.replace(f"{{{{ $labels.{name} }}}}", value)
    return text


def promtool() -> str:
    found = shutil.which("promtool")
    assert found, "promtool is missing: scripts/setup installs Debian's prometheus"
    return found


def test_the_rules_pass_promtool_check() -> None:
    result = subprocess.run([promtool(), "check", "rules", str(RULES)], capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_a_firing_and_a_silent_case_and_a_runbook() -> None:
    by_name = rules()
    for name, rule in by_name.items():
        assert rule["annotations"].get("runbook"), name
        assert rule["labels"]["severity"] in ("warning", "critical"), name
        cases = [case for case in CASES if case[0] == name]
        assert any(expected for *_, expected in cases), f"{name}: no case where it fires"
        silent = [series for case_name, series, _, expected in cases
                  if case_name == name and len(series) > len(expected)]
        assert silent, f"{name}: no series that must stay silent"


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_promtool_evaluates_the_alert_as_specified(case: tuple[Any, ...],
                                                   tmp_path: Path) -> None:
    name, series, at, expected = case
    rule = rules()[name]
    test = {
        "rule_files": [str(RULES)],
        "evaluation_interval": "1m",
        "tests": [{
            "interval": "1m",
            "input_series": [{"series": s, "values": v} for s, v in series],
            "alert_rule_test": [{
                "eval_time": at, "alertname": name,
                "exp_alerts": [{"exp_labels": {**labels, "severity": rule["labels"]["severity"]},
                                "exp_annotations": {"summary": summary, "runbook": rendered(
                                    rule["annotations"]["runbook"], labels)}}
                               for labels, summary in expected],
            }],
        }],
    }
    path = tmp_path / "test.yml"
    path.write_text(yaml.safe_dump(test, allow_unicode=True), "utf-8")
    result = subprocess.run([promtool(), "test", "rules", str(path)], capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_line_alert_joins_the_lines_own_profiles_norm() -> None:
    """A line is held to its own profile's norms (collector/metrics.publish_line_norms), not
    to com645's numbers written into the rules."""
    by_name = rules()
    joined = {"NetqLatencyAboveNorm": "netq_line_norm_delay_seconds",
              "NetqNodeLatencyAboveNorm": "netq_line_norm_delay_seconds",
              "NetqLossAboveNorm": "netq_line_norm_loss_ratio",
              "NetqNodeLossAboveNorm": "netq_line_norm_loss_ratio",
              "NetqSpeedBelowTariff": "netq_line_norm_speed_tariff_ratio"}
    for name, gauge in joined.items():
        expression = " ".join(by_name[name]["expr"].split())
        assert f"on (profile, service, technology) group_left {gauge}" in expression, name
        assert not re.search(r"[<>] \d", expression.replace("> 1", "")), \
            f"{name}: a number of its own in {expression}"


def test_an_outage_in_the_alerts_is_the_methods() -> None:
    """ITU-T Y.1540, thresholds.yaml method.outage_min_minutes: down for at least 5 minutes."""
    from netq.collector.compliance.thresholds import load

    minutes = load().profile("com645").method.outage_min_minutes
    by_name = rules()
    assert by_name["NetqConnectionDown"]["for"] == f"{minutes.normalize():f}m"
    assert by_name["NetqNodeDown"]["for"] == f"{minutes.normalize():f}m"
