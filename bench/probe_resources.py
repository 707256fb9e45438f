"""The probe daemon's footprint: resident memory idle and during a speed test, CPU between
tests; side by side with a bare Python interpreter as the baseline.

    .venv/bin/python bench/probe_resources.py [--idle-seconds 60]

Targets (issue 2): <= 50 MB RSS idle, <= 1 % of one core between tests.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

TICK = os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def daemon(workdir: Path, tests: list[dict]) -> subprocess.Popen[bytes]:
    config = {"probe_id": "bench", "connection_id": "B-1", "technology": "pon",
              "tariff_down_kbps": 100_000, "tariff_up_kbps": 50_000,
              "spool": str(workdir / f"spool-{time.monotonic_ns()}.db"),
              "metrics_listen": f"127.0.0.1:{free_port()}", "tests": tests}
    path = workdir / f"probe-{time.monotonic_ns()}.yaml"
    path.write_text(yaml.safe_dump(config))
    return subprocess.Popen([sys.executable, "-m", "netq", "probe", "run", "--config", str(path)],
                            stderr=subprocess.DEVNULL)


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    process.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--idle-seconds", type=float, default=60)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="netq-bench-"))
    iperf3_port = free_port()
    server = subprocess.Popen(["iperf3", "-s", "-B", "127.0.0.1", "-p", str(iperf3_port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    baseline = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)"])
    try:
        # A production schedule: between tests, only the availability check each minute runs.
        idle = daemon(workdir, [
            {"kind": "availability", "every": "1m", "target": ["127.0.0.1"],
             "off_net": ["127.0.0.2"]},
            {"kind": "latency", "every": "15m", "target": "127.0.0.1"},
            {"kind": "throughput", "every": "4h", "target": f"127.0.0.1:{iperf3_port}",
             "direction": "down"},
        ])
        time.sleep(5)  # start-up (imports) is not "between tests"
        cpu0, t0 = cpu_s(idle.pid), time.monotonic()
        time.sleep(args.idle_seconds)
        cpu_share = (cpu_s(idle.pid) - cpu0) / (time.monotonic() - t0)
        idle_rss, base_rss = rss_mb(idle.pid), rss_mb(baseline.pid)
        stop(idle)

        busy = daemon(workdir, [{"kind": "throughput", "every": "1s",
                                 "target": f"127.0.0.1:{iperf3_port}", "direction": "down",
                                 "duration": 5, "omit": 1}])
        peak = 0.0
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            peak = max(peak, rss_mb(busy.pid))
            time.sleep(0.1)
        stop(busy)
    finally:
        for process in (server, baseline):
            process.kill()
            process.wait()

    print("| figure | probe daemon | baseline: bare python3 | ratio | target |")
    print("|---|---|---|---|---|")
    print(f"| RSS idle | {idle_rss:.1f} MB | {base_rss:.1f} MB | {idle_rss / base_rss:.2f} "
          f"| <= 50 MB |")
    print(f"| RSS peak during a speed test | {peak:.1f} MB | {base_rss:.1f} MB "
          f"| {peak / base_rss:.2f} | - |")
    print(f"| CPU between tests ({args.idle_seconds:g} s) | {cpu_share:.3%} of one core | 0 | - "
          f"| <= 1 % |")


if __name__ == "__main__":
    main()
