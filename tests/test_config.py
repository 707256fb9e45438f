"""The probe configuration: valid files load; every mistake names the key to fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from netq.errors import ConfigError, NetqError
from netq.model import seconds
from netq.probe.config import load, parse

GOOD = {
    "probe_id": "ont-1", "connection_id": "C-1", "technology": "pon",
    "tests": [
        {"kind": "latency", "every": "15m", "target": "node1:862", "method": "udp"},
        {"kind": "throughput", "every": "4h", "target": "node1", "direction": "down"},
        {"kind": "availability", "target": ["node1"], "off_net": ["ix.example"]},
    ],
}


def with_changes(**changes):
    return {**GOOD, **changes}


def test_a_good_config_loads_with_durations_in_seconds() -> None:
    config = parse(GOOD)
    assert [t.every for t in config.tests] == [900, 14400, 60]
    assert config.tests[0].params.count == 100  # the prober's default session size


@pytest.mark.parametrize(("raw", "message"), [
    (with_changes(technology="dialup"), "technology: Input should be"),
    (with_changes(spool_max_records=5), "spool_max_records: Input should be greater than"),
    (with_changes(probe_idd="x"), "probe_idd: Extra inputs are not permitted"),
    (with_changes(tests=[{"kind": "ping", "every": 60}]),
     "tests[0].kind: 'ping' is not a test kind"),
    (with_changes(tests=[{"kind": "latency", "target": "x"}]), "tests[0].every: missing"),
    (with_changes(tests=[{"kind": "latency", "every": "soon", "target": "x"}]),
     "'soon' is not a duration"),
    (with_changes(tests=[{"kind": "latency", "every": 60, "target": "x", "count": 0}]),
     "tests[0].count: Input should be greater than or equal to 1"),
    (with_changes(tests=[{"kind": "latency", "every": 60, "target": "x", "cuont": 5}]),
     "tests[0].cuont: Extra inputs are not permitted"),
    (with_changes(tests=[{"kind": "availability", "target": ["node1", "node2"]}]),
     "tests[0].off_net: Field required"),
    (with_changes(tests=[{"kind": "availability", "target": ["ix"], "off_net": ["ix"]}]),
     "tests[0]: give at least 2 distinct targets"),
    (with_changes(cross_traffic={"snmp": {"target": "cpe"}}),
     "cross_traffic.snmp.if_index: Field required"),
    (with_changes(tests=[]), "tests: a list of at least one test is required"),
])
def test_mistakes_are_named(raw, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse(raw)
    assert message in str(caught.value)


def test_unreadable_and_malformed_files_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"cannot read .*absent\.yaml"):
        load(tmp_path / "absent.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("probe_id: x\ntests: [unclosed\n")
    with pytest.raises(ConfigError, match=r"broken.yaml:3: not valid YAML"):
        load(broken)


def test_an_error_in_a_file_names_the_file_the_line_and_the_key(tmp_path: Path) -> None:
    path = tmp_path / "probe.yaml"
    path.write_text("probe_id: ont-1\nconnection_id: C-1\ntechnology: pon\ntests:\n"
                    "  - kind: latency\n    every: 15m\n    target: node1\n"
                    "  - kind: latency\n    every: 15m\n    target: node1\n    count: 0\n")
    with pytest.raises(NetqError) as caught:
        load(path)
    assert str(caught.value) == (f"{path}:11: tests[1].count: Input should be greater than or "
                                 "equal to 1")


def test_keys_the_probe_no_longer_uses_are_accepted_and_named() -> None:
    config = parse(with_changes(tariff_down_kbps=100_000, tariff_up_kbps=50_000))
    assert config.retired == ("tariff_down_kbps", "tariff_up_kbps")


@pytest.mark.parametrize(("text", "value"), [("90", 90), ("90s", 90), ("15m", 900),
                                              ("4h", 14400), ("500ms", 0.5), (30, 30)])
def test_durations(text, value) -> None:
    assert seconds(text) == value
