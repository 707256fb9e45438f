"""The Grafana provisioning: dashboards that point at the provisioned datasource, PromQL that
Prometheus accepts, and no metric the code does not export."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from netq.collector.metrics import CollectorMetrics
from netq.probe.metrics import ProbeMetrics

GRAFANA = Path(__file__).resolve().parent.parent / "grafana"
DASHBOARDS = sorted((GRAFANA / "dashboards").glob("*.json"))
# what Grafana puts in place of a template variable, near enough for Prometheus to parse
VARIABLES = {"$technology": ".*", "$region": ".*", "$node": ".*", "$connection_id": "C-1"}


def exported_metrics() -> set[str]:
    names: set[str] = set()
    for registry in (CollectorMetrics().registry, ProbeMetrics("p", "c", "pon").registry):
        for family in registry.collect():
            names.add(family.name)
            names.update(sample.name for sample in family.samples)
            if family.type == "counter":
                names.add(f"{family.name}_total")
            if family.type == "histogram":
                names.update(f"{family.name}_{s}" for s in ("bucket", "sum", "count"))
    return names


def expressions(board: dict[str, Any]) -> list[tuple[str, str]]:
    return [(panel["title"], target["expr"]) for panel in board["panels"]
            for target in panel["targets"]]


def substituted(expr: str) -> str:
    for name, value in VARIABLES.items():
        expr = expr.replace(name, value)
    return expr


def test_the_dashboards_use_the_provisioned_datasource() -> None:
    provisioned = yaml.safe_load((GRAFANA / "provisioning/datasources/netq.yml").read_text())
    uid = provisioned["datasources"][0]["uid"]
    assert DASHBOARDS
    for path in DASHBOARDS:
        board = json.loads(path.read_text("utf-8"))
        for panel in board["panels"]:
            assert panel["datasource"]["uid"] == uid, (path.name, panel["title"])
            assert panel["targets"], (path.name, panel["title"])
        assert len({p["id"] for p in board["panels"]}) == len(board["panels"]), path.name
        variables = {v["name"] for v in board["templating"]["list"]}
        used = set(re.findall(r"\$(\w+)", json.dumps(expressions(board))))
        assert used <= variables, (path.name, used - variables)


@pytest.mark.parametrize("path", DASHBOARDS, ids=[p.stem for p in DASHBOARDS])
def test_every_panel_queries_metrics_that_exist(path: Path) -> None:
    known = exported_metrics() | {"ALERTS"}
    for title, expr in expressions(json.loads(path.read_text("utf-8"))):
        for name in re.findall(r"\b(netq_[a-z_]+|ALERTS)\b", expr):
            assert name in known, f"{path.name}: {title}: {name} is not exported"


@pytest.mark.parametrize("path", DASHBOARDS, ids=[p.stem for p in DASHBOARDS])
def test_every_panel_query_is_promql_that_prometheus_accepts(path: Path,
                                                             tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    assert promtool, "promtool is missing: scripts/setup installs Debian's prometheus"
    rules = {"groups": [{"name": "panels", "rules": [
        {"record": f"panel:{index}", "expr": substituted(expr)}
        for index, (_, expr) in enumerate(expressions(json.loads(path.read_text("utf-8"))))]}]}
    file = tmp_path / "panels.yml"
    file.write_text(yaml.safe_dump(rules), "utf-8")
    result = subprocess.run([promtool, "check", "rules", str(file)], capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_panels_hold_each_line_to_its_own_profiles_norm() -> None:
    """A line is held to its own profile's norms (collector/metrics.publish_line_norms): a
    panel of a line measure draws that norm from netq_line_norm_*, or divides by it and marks
    100 %, never a number written into the dashboard."""
    own_norm = {
        ("netq-connection", "Mean RTT of the latest session"): "netq_line_norm_delay_seconds",
        ("netq-connection", "Packet loss of the latest session"): "netq_line_norm_loss_ratio",
        ("netq-connection", "Speed as a share of the tariff in force"):
            "netq_line_norm_speed_tariff_ratio",
        ("netq-node", "Mean RTT of the node's connections, as a share of their norms"):
            "netq_line_norm_delay_seconds",
        ("netq-node", "Mean loss of the node's connections, as a share of their norms"):
            "netq_line_norm_loss_ratio",
        ("netq-node", "Connections below their speed norm (latest test)"):
            "netq_line_norm_speed_tariff_ratio",
        ("netq-node", "Worst connections by RTT, as a share of their norms"):
            "netq_line_norm_delay_seconds",
        ("netq-fleet", "Quarter to date: mean delay (indicator 10)"): "netq_compliance_norm",
    }
    panels = {(path.stem, panel["title"]): panel for path in DASHBOARDS
              for panel in json.loads(path.read_text("utf-8"))["panels"]}
    for key, gauge in own_norm.items():
        panel = panels[key]
        assert any(gauge in target["expr"] for target in panel["targets"]), key
        thresholds = panel["fieldConfig"]["defaults"].get("thresholds")
        steps = [] if thresholds is None else [s["value"] for s in thresholds["steps"][1:]]
        assert steps in ([], [1]), f"{key}: a norm typed into the dashboard: {steps}"
    # no other panel compares a line with a number of its own either
    for key, panel in panels.items():
        for target in panel["targets"]:
            assert not re.search(r"netq_connection_\w+(\{[^}]*\})?\)? *[<>] *0\.",
                                 target["expr"]), key
