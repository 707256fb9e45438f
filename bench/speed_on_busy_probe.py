"""Speed through a shaped link with the probe's CPU idle, then busy: how far the reading moves.

    .venv/bin/python bench/speed_on_busy_probe.py --runs 10 [--direction up]
        [--server-priority normal]                                  (as root: the lab)

The link is shaped with tc tbf at 10 Mbit/s, so the true TCP goodput is 10 × 1448/1514 =
9.564 Mbit/s whatever the probe does. "Busy" runs one spinning process per core, at the
probe's own priority, for the whole test: the probe's receiver competes for the CPU as on a
small, loaded probe box. In an upload the receiver is the lab's server, at real-time
priority unless --server-priority normal, which lets the spinners stall it too. Prints each
condition's readings against the goodput ceiling, the idle runs being the baseline, then
every run with the sender's retransmissions: a segment lost at the warm-up's end over-reads
like a stall.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.lab import L2_GOODPUT, NODE_IP, built_lab, wait_for

RATE_MBIT, DURATION, OMIT, STREAMS = 10, 10, 2, 4


@contextlib.contextmanager
def busy_cpu() -> Iterator[None]:
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
                for _ in range(os.cpu_count() or 1)]
    try:
        yield
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--direction", choices=("down", "up"), default="down")
    parser.add_argument("--server-priority", choices=("realtime", "normal"), default="realtime")
    args = parser.parse_args()
    runs, direction = args.runs, args.direction
    ceiling = RATE_MBIT * L2_GOODPUT
    print(f"tbf {RATE_MBIT} Mbit/s {direction}, goodput ceiling {ceiling:.3f} Mbit/s, "
          f"{DURATION} s measured after {OMIT} s, {STREAMS} streams, {runs} runs each, "
          f"{args.server_priority} server\n")
    print("| probe CPU | runs | median Mbit/s | max Mbit/s | median vs ceiling "
          "| max vs ceiling | runs over ceiling +2 % |")
    print("|---|---|---|---|---|---|---|")
    medians = {}
    every_run = []
    with built_lab(Path(tempfile.mkdtemp(prefix="netq-busy-"))) as lab:
        lab.shape(RATE_MBIT)
        port = 5201
        if args.server_priority == "normal":
            port = 5203
            lab.start_iperf3(port, realtime=False)
            wait_for(lambda: lab.listening(lab.node, "tcp", port), f"iperf3 {port}")
        for condition in ("idle", "busy"):
            for _ in range(runs):
                with busy_cpu() if condition == "busy" else contextlib.nullcontext():
                    record = lab.probe("throughput", "--target", f"{NODE_IP}:{port}",
                                       "--direction", direction, "--duration", str(DURATION),
                                       "--omit", str(OMIT), "--streams", str(STREAMS))
                every_run.append((condition, record["metrics"]["bits_per_second"] / 1e6,
                                  record["metrics"]["retransmits"]))
            readings = [reading for ran, reading, _ in every_run if ran == condition]
            medians[condition] = statistics.median(readings)
            over = sum(r > ceiling * 1.02 for r in readings)
            print(f"| {condition} | {runs} | {medians[condition]:.3f} | {max(readings):.3f} "
                  f"| {medians[condition] / ceiling - 1:+.2%} | {max(readings) / ceiling - 1:+.2%} "
                  f"| {over} |")
    print(f"\nbusy / idle median: {medians['busy'] / medians['idle']:.4f}\n")
    print("| probe CPU | Mbit/s | vs ceiling | sender retransmits |\n|---|---|---|---|")
    for condition, reading, retransmits in every_run:
        print(f"| {condition} | {reading:.3f} | {reading / ceiling - 1:+.2%} | {retransmits} |")


if __name__ == "__main__":
    main()
