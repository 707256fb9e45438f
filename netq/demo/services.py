"""The demo's servers, each started as its own process on loopback and stopped on exit:
the node (iperf3 servers and the STAMP reflector), the collector, and Prometheus."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import click
import httpx
import yaml

# this netq, whatever the working directory holds: -P keeps a `netq` folder there (a source
# checkout, say) from shadowing the installed package
NETQ = ("-P", "-m", "netq")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_listening(port: int, kind: int = socket.SOCK_STREAM, timeout_s: float = 10) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket(socket.AF_INET, kind) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                return  # taken: the server is up
        time.sleep(0.05)
    raise click.ClickException(f"demo: nothing came up on 127.0.0.1:{port}")


def wait_ready(url: str, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise click.ClickException(f"demo: {url} did not answer within {timeout_s:g} s")


@contextlib.contextmanager
def processes(*commands: list[str], log: Path | None = None) -> Iterator[None]:
    """Start the commands; terminate them, and wait for them, however the block ends."""
    output = log.open("ab") if log is not None else subprocess.DEVNULL
    started = []
    try:
        for command in commands:
            started.append(subprocess.Popen(command, stdout=output, stderr=output))
        yield
    finally:
        for process in started:
            process.terminate()
        for process in started:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if not isinstance(output, int):
            output.close()


@contextlib.contextmanager
def node_servers(iperf3_ports: list[int], reflector_port: int, log: Path) -> Iterator[None]:
    """The node side on loopback: one iperf3 server per port (one serves one test at a time,
    as at a real node) and the STAMP reflector."""
    if shutil.which("iperf3") is None:
        raise click.ClickException("the demo needs the iperf3 program: apt-get install iperf3 "
                                   "(scripts/setup does it)")
    iperf3 = [["iperf3", "--server", "--bind", "127.0.0.1", "--port", str(port)]
              for port in iperf3_ports]
    reflector = [sys.executable, *NETQ, "reflector", "serve", "--listen",
                 f"127.0.0.1:{reflector_port}"]
    with processes(*iperf3, reflector, log=log):
        for port in iperf3_ports:
            wait_listening(port)
        wait_listening(reflector_port, socket.SOCK_DGRAM)
        yield


@contextlib.contextmanager
def collector_server(db: Path, port: int, workdir: Path) -> Iterator[str]:
    """The collector on the embedded store, judging the quarter for /metrics every 10 s
    (300 s in production) and reading the lines' gauges every 5 s (30) so the dashboards
    follow the demo; yields its URL."""
    config = workdir / "collector.yaml"
    config.write_text(yaml.safe_dump({"db": str(db), "listen": f"127.0.0.1:{port}",
                                      "compliance_every": 10, "lines_every": 5}))
    with processes([sys.executable, *NETQ, "collector", "serve", "--config",
                    str(config)], log=workdir / "collector.log"):
        url = f"http://127.0.0.1:{port}"
        wait_ready(f"{url}/healthz")
        yield url


def rules_file() -> Path:
    """The alert rules shipped with netq (prometheus/netq.rules.yml)."""
    return Path(str(resources.files("netq").joinpath("netq.rules.yml")))


@contextlib.contextmanager
def prometheus_server(workdir: Path, port: int, collector_port: int,
                      probe_ports: list[int]) -> Iterator[str | None]:
    """Prometheus (Debian's package) scraping the collector and the probes every 5 s, with
    netq's alert rules; yields its URL, or None when it is not installed."""
    binary = shutil.which("prometheus")
    if binary is None:
        yield None
        return
    home = workdir / "prometheus"
    shutil.rmtree(home, ignore_errors=True)  # series of an earlier demo would mislead
    home.mkdir(parents=True)
    config = {
        "global": {"scrape_interval": "5s", "evaluation_interval": "5s"},
        "rule_files": [str(rules_file())],
        "scrape_configs": [
            {"job_name": "netq-collector",
             "static_configs": [{"targets": [f"127.0.0.1:{collector_port}"]}]},
            {"job_name": "netq-probe",
             "static_configs": [{"targets": [f"127.0.0.1:{p}" for p in probe_ports]}]},
        ],
    }
    (home / "prometheus.yml").write_text(yaml.safe_dump(config))
    with processes([binary, f"--config.file={home / 'prometheus.yml'}",
                    f"--storage.tsdb.path={home / 'data'}",
                    f"--web.listen-address=127.0.0.1:{port}"], log=home / "prometheus.log"):
        url = f"http://127.0.0.1:{port}"
        wait_ready(f"{url}/-/ready")
        yield url
