"""`pip install netq`, as a user gets it: the sdist and wheel built from this checkout, installed
into fresh virtual environments, every command run from there and never from the checkout."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import tarfile
import time
import zipfile
from pathlib import Path

import httpx
import pytest

from tests import packaging
from tests.lab import free_port, wait_for
from tests.packaging import HEAVY, PACKAGE_ROOTS, VERSION


def netq(bin_dir: Path, *argv: str, cwd: Path | str = "/",
         timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(bin_dir / "netq"), *argv], capture_output=True, text=True,
                          cwd=cwd, env=packaging.isolated_env(), timeout=timeout)


def udp_bound(port: int) -> bool:
    """Whether something holds UDP `port` on loopback (binding it ourselves fails)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def test_the_wheel_holds_every_module_and_data_file_of_the_checkout(
        distributions: tuple[Path, Path]) -> None:
    sdist, wheel = distributions
    in_wheel = set(zipfile.ZipFile(wheel).namelist())
    with tarfile.open(sdist) as archive:
        in_sdist = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    missing = []
    for path in packaging.checkout_files():
        root, *rest = path.parts
        if root not in PACKAGE_ROOTS or not rest or (packaging.ROOT / path).is_symlink():
            continue
        installed = "/".join([PACKAGE_ROOTS[root], *rest])
        if installed not in in_wheel:
            missing.append(f"{path} (as {installed})")
        if installed not in in_sdist:
            missing.append(f"{path} (sdist, as {installed})")
    assert not missing, "not packaged:\n" + "\n".join(missing)
    assert {"pyproject.toml", "README.md", "LICENSE"} <= in_sdist


def test_the_probe_install_is_lean(probe_env: Path) -> None:
    assert not packaging.installed_distributions(probe_env) & HEAVY


def test_netq_version_is_the_package_version(probe_env: Path) -> None:
    result = netq(probe_env, "--version")
    assert result.stdout.strip() == f"netq, version {VERSION}"


def test_every_probe_and_reflector_command_answers_help_on_the_probe_install(
        probe_env: Path) -> None:
    commands = [c for c in packaging.command_tree(probe_env) if c[:1] in (["probe"],
                                                                          ["reflector"])]
    assert ["probe", "measure", "latency"] in commands
    assert ["reflector", "serve"] in commands
    for command in commands:
        result = netq(probe_env, *command, "--help")
        assert result.returncode == 0, (command, result.stderr)


@pytest.mark.parametrize("command", [["collector", "serve"], ["compliance", "--quarter", "2026Q3"],
                                     ["report", "status"], ["demo", "--duration", "1"]])
def test_the_other_roles_name_the_extra_they_need_on_the_probe_install(
        probe_env: Path, tmp_path: Path, command: list[str]) -> None:
    result = netq(probe_env, *command, cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "pip install 'netq[" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.root  # ICMP needs CAP_NET_RAW
def test_a_latency_measurement_works_on_the_probe_install(probe_env: Path) -> None:
    result = netq(probe_env, "probe", "measure", "latency", "--target", "127.0.0.1",
                  "--count", "3", "--interval", "0.05", "--json")
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert (record["ok"], record["metrics"]["sent"], record["metrics"]["received"]) == (
        True, 3, 3)


def test_the_reflector_and_the_daemon_start_on_the_probe_install(probe_env: Path,
                                                                 tmp_path: Path) -> None:
    port = free_port(socket.SOCK_DGRAM)
    reflector = subprocess.Popen([str(probe_env / "netq"), "reflector", "serve", "--listen",
                                  f"127.0.0.1:{port}"], env=packaging.isolated_env(),
                                 stderr=subprocess.PIPE, text=True)
    metrics_port = free_port()
    config = tmp_path / "probe.yaml"
    config.write_text(
        "probe_id: p-1\nconnection_id: C-1\ntechnology: pon\ntariff_down_kbps: 100000\n"
        f"tariff_up_kbps: 50000\nspool: {tmp_path}/spool.db\n"
        f"metrics_listen: 127.0.0.1:{metrics_port}\n"
        f"tests: [{{kind: latency, every: 1h, target: '127.0.0.1:{port}', method: udp}}]\n")
    daemon = subprocess.Popen([str(probe_env / "netq"), "probe", "run", "--config",
                               str(config)], env=packaging.isolated_env(),
                              stderr=subprocess.PIPE, text=True)
    try:
        # no packet goes out before the reflector listens
        wait_for(lambda: udp_bound(port) or reflector.poll() is not None, f"UDP {port}", 30)
        assert reflector.poll() is None, reflector.communicate()[1]
        measured = netq(probe_env, "probe", "measure", "latency", "--method", "udp",
                        "--target", f"127.0.0.1:{port}", "--count", "3", "--interval", "0.05",
                        "--json")
        assert measured.returncode == 0, measured.stderr
        assert json.loads(measured.stdout)["metrics"]["received"] == 3
        deadline = time.monotonic() + 30
        while True:
            try:
                exported = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics").text
                break
            except httpx.TransportError:
                assert daemon.poll() is None, daemon.communicate()[1]
                assert time.monotonic() < deadline, "the daemon never served its metrics"
                time.sleep(0.2)
        assert "netq_probe_spool_records" in exported
    finally:
        for process in (daemon, reflector):
            process.send_signal(signal.SIGTERM)
            _, stderr = process.communicate(timeout=30)
            assert "Traceback" not in stderr, stderr


def test_every_command_answers_help_on_the_full_install(full_env: Path) -> None:
    commands = packaging.command_tree(full_env)
    assert len(commands) > 20
    failed = []
    for command in commands:
        result = netq(full_env, *command, "--help")
        if result.returncode != 0 or "Usage:" not in result.stdout:
            failed.append(f"netq {' '.join(command)} --help: {result.stderr[-300:]}")
    assert not failed, "\n".join(failed)


def test_the_full_install_runs_from_its_own_files(full_env: Path) -> None:
    where = subprocess.run([str(full_env / "python"), "-c", "import netq; print(netq.__file__)"],
                           capture_output=True, text=True, check=True, cwd="/",
                           env=packaging.isolated_env()).stdout
    assert where.startswith(str(full_env.parent)), where
