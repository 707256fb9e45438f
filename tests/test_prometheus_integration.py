"""The dashboards and the alert rules against a real Prometheus scraping a running collector
that holds demo data: `netq demo --serve` runs the whole loop, and every PromQL expression of
every panel, template variable and alert is asked of its Prometheus over the HTTP API."""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.packaging import isolated_env
from tests.test_grafana import DASHBOARDS, expressions

ROOT = Path(__file__).resolve().parent.parent
RULES = yaml.safe_load((ROOT / "prometheus" / "netq.rules.yml").read_text("utf-8"))
ALERT_RULES = [rule for group in RULES["groups"] for rule in group["rules"] if "alert" in rule]
# the demo fleet's built-in faults (netq/demo/fleet.py), and the alert each must raise
FAULTS = [("NetqConnectionDown", "connection_id", "DEMO-0303"),
          ("NetqLatencyAboveNorm", "connection_id", "DEMO-0201"),
          ("NetqLossAboveNorm", "connection_id", "DEMO-0301"),
          ("NetqNodeLatencyAboveNorm", "node", "Гомель-узел-01"),
          ("NetqSpeedBelowTariff", "connection_id", "DEMO-0302")]
KEYWORDS = {"and", "or", "unless", "bool"}

pytestmark = pytest.mark.skipif(shutil.which("prometheus") is None,
                                reason="Prometheus is missing: scripts/setup installs it")


class Demo:
    def __init__(self, process: subprocess.Popen[str], urls: dict[str, str]) -> None:
        self.process, self.prometheus = process, urls["prometheus"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        answer = httpx.get(f"{self.prometheus}/api/v1/query", params={"query": expr},
                           timeout=10).json()
        assert answer["status"] == "success", (expr, answer)
        return answer["data"]["result"]  # type: ignore[no-any-return]

    def label_values(self, metric: str, label: str) -> list[str]:
        answer = httpx.get(f"{self.prometheus}/api/v1/label/{label}/values",
                           params={"match[]": metric}, timeout=10).json()
        assert answer["status"] == "success", (metric, answer)
        return answer["data"]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, full_env: Path) -> Iterator[Demo]:
    """The demo from the installed wheel, its alert rules the wheel's own; run from the
    checkout's top directory, whose netq/ folder must not shadow the installed package."""
    workdir = tmp_path_factory.mktemp("demo")
    process = subprocess.Popen(
        [str(full_env / "netq"), "demo", "--duration", "15", "--serve", "--workdir",
         str(workdir)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env=isolated_env(), cwd=ROOT)
    output = []
    assert process.stdout is not None
    for line in process.stdout:  # until the demo says it is serving
        output.append(line)
        if line.startswith("Serving:"):
            break
    assert "".join(output[-1:]).startswith("Serving:"), "".join(output)
    demo = Demo(process, json.loads((workdir / "demo.json").read_text()))
    # rates need two scrapes after the history arrived; compliance is judged every 10 s
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (
            demo.query("netq_compliance_computed_timestamp_seconds")
            and demo.query('ALERTS{alertname="NetqConnectionDown"}')
            and demo.query("rate(netq_collector_records_total[1m]) > 0")):
        time.sleep(1)
    yield demo
    process.send_signal(signal.SIGINT)  # what Ctrl-C does
    rest, _ = process.communicate(timeout=60)
    assert process.returncode == 0, "".join(output) + rest
    assert "netq demo: stopped" in rest


def resolved(board: dict[str, Any], demo: Demo) -> dict[str, str]:
    """Each template variable as Grafana would fill it: 'All' where allowed, else the first
    value its own query finds in Prometheus."""
    values: dict[str, str] = {}
    for variable in board["templating"]["list"]:
        query = variable["query"]["query"]
        for name, value in values.items():
            query = query.replace(f"${name}", value)
        metric, label = re.fullmatch(r"label_values\((.+), *(\w+)\)", query).groups()  # type: ignore[union-attr]
        found = demo.label_values(metric, label)
        assert found, f"variable {variable['name']}: {query} finds nothing"
        values[variable["name"]] = variable["allValue"] if variable.get("includeAll") \
            else found[0]
    return values


@pytest.mark.parametrize("path", DASHBOARDS, ids=[p.stem for p in DASHBOARDS])
def test_every_panel_of_every_dashboard_shows_data(demo: Demo, path: Path) -> None:
    board = json.loads(path.read_text("utf-8"))
    variables = resolved(board, demo)
    empty = []
    for title, expr in expressions(board):
        for name, value in variables.items():
            expr = expr.replace(f"${name}", value)
        if not demo.query(expr):
            empty.append(f"{title}: {expr}")
    assert not empty, "panels without data:\n" + "\n".join(empty)


def selectors(expr: str) -> list[str]:
    """The vector selectors of a PromQL expression (metric name and matchers)."""
    expr = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", " ", expr)
    expr = re.sub(r"\b(group_left|group_right)\b(\s*\([^)]*\))?", " ", expr)
    expr = re.sub(r"\[[^\]]*\]|\boffset\s+\S+|(?<![\w\"])\d[\w.]*", " ", expr)
    found = []
    for match in re.finditer(r"([A-Za-z_:][A-Za-z0-9_:]*)\s*(\{[^}]*\})?(\s*\()?", expr):
        name, matchers, call = match.groups()
        if call or name in KEYWORDS:
            continue
        found.append(name + (matchers or ""))
    return found


def test_selectors_are_read_out_of_promql() -> None:
    assert selectors('sum by (code) (rate(a_total{code=~"5.."}[5m])) > 0.5 and on (x) b '
                     'offset 1d or c{d="e"} < on (f) group_left g') == ['a_total{code=~"5.."}', "b",
                                                             'c{d="e"}', "g"]


@pytest.mark.parametrize("rule", ALERT_RULES, ids=[r["alert"] for r in ALERT_RULES])
def test_every_alert_evaluates_and_every_series_it_watches_exists(demo: Demo,
                                                                  rule: dict[str, Any]) -> None:
    demo.query(rule["expr"])  # evaluates, whether or not it is true now
    watched = selectors(rule["expr"])
    assert watched
    for selector in watched:
        assert demo.query(selector), f"{rule['alert']}: {selector} has no series"


@pytest.mark.parametrize(("alert", "label", "value"), FAULTS)
def test_the_demo_fleets_faults_raise_their_alerts(demo: Demo, alert: str, label: str,
                                                  value: str) -> None:
    raised = demo.query(f'ALERTS{{alertname="{alert}"}}')
    assert value in {series["metric"].get(label) for series in raised}, raised


def test_a_healthy_connection_raises_nothing(demo: Demo) -> None:
    raised = demo.query('ALERTS{connection_id="DEMO-0001"}')
    assert raised == []
