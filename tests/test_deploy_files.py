"""What an operator deploys: the example probe config loads, the systemd units verify."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from netq.probe.config import load

ROOT = Path(__file__).parent.parent


def test_the_example_probe_config_is_valid(tmp_path: Path) -> None:
    # as installed, once the operator has put the probe's token in place
    (tmp_path / "probe.token").write_text("t" * 43 + "\n")
    text = (ROOT / "examples" / "probe.yaml").read_text()
    assert "token_file: /etc/netq/probe.token" in text
    (tmp_path / "probe.yaml").write_text(text.replace("/etc/netq/probe.token",
                                                      str(tmp_path / "probe.token")))
    config = load(tmp_path / "probe.yaml")
    assert {t.kind for t in config.tests} == {"availability", "latency", "throughput", "attempt",
                                               "dns"}
    assert config.cross_traffic is not None
    assert config.collector is not None
    assert config.collector.secret() == "t" * 43


def test_the_example_collector_config_is_valid() -> None:
    import yaml

    from netq.collector.settings import Settings

    settings = Settings(**yaml.safe_load((ROOT / "examples" / "collector.yaml").read_text()))
    assert settings.db == "/var/lib/netq/collector/netq.db"  # the unit's state directory


UNITS = ["netq-probe.service", "netq-reflector.service", "netq-collector.service",
         "netq-iperf3@5201.service", "netq-collector@8081.service", "netq-backup.service",
         "netq-backup.timer"]


def test_a_collector_instance_is_the_collector_on_its_own_port() -> None:
    """The unit of one of several collectors differs from the single collector's only in
    its description and listen port: hardening and limits cannot drift apart."""
    def lines(name: str) -> list[str]:
        return [line for line in (ROOT / "systemd" / name).read_text().splitlines()
                if not line.startswith(("#", "Description="))]

    single, instance = lines("netq-collector.service"), lines("netq-collector@.service")
    assert [line for line in instance if line not in single] == [
        "ExecStart=/usr/bin/netq collector serve --config /etc/netq/collector.yaml "
        "--listen 127.0.0.1:%i"]
    assert [line for line in single if line not in instance] == [
        "ExecStart=/usr/bin/netq collector serve --config /etc/netq/collector.yaml"]


def installed(unit: str, tmp_path: Path) -> Path:
    """The unit as installed, but naming this checkout's netq, for systemd-analyze."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not on this machine")
    netq = str(Path(sys.executable).parent / "netq")
    source = ROOT / "systemd" / re.sub(r"@\d+", "@", unit)
    (tmp_path / unit).write_text(source.read_text().replace("/usr/bin/netq", netq))
    return tmp_path / unit


@pytest.mark.parametrize("unit", UNITS)
def test_systemd_units_verify_clean(tmp_path: Path, unit: str) -> None:
    path = installed(unit, tmp_path)
    assert shutil.which("iperf3")
    result = subprocess.run(["systemd-analyze", "verify", str(path)], capture_output=True,
                            text=True)
    # what the machine's other units make systemd say is not this project's to judge
    ours = [line for line in result.stderr.splitlines() if unit in line or str(path) in line]
    assert result.returncode == 0, result.stderr
    assert ours == [], result.stderr


@pytest.mark.parametrize("unit", [unit for unit in UNITS if unit.endswith(".service")])
def test_systemd_units_expose_little(tmp_path: Path, unit: str) -> None:
    # systemd's own exposure score, 0 (locked down) to 10: "OK" is under 2; a unit running
    # as root with default settings scores 9.6
    path = installed(unit, tmp_path)
    result = subprocess.run(["systemd-analyze", "security", "--offline=true",
                             "--threshold=20", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-400:]
