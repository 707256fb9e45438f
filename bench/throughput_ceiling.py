"""Throughput ceiling: unshaped veth between lab namespaces, the probe against plain iperf3,
alternating runs so both see the same machine.

    sudo .venv/bin/python bench/throughput_ceiling.py [--runs 5]

Target (issue 2): median probe / iperf3 >= 0.98.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.lab import NODE_IP, built_lab

OMIT, STREAMS = 1, 4


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--duration", type=float, default=5, help="seconds measured")
    args = parser.parse_args()
    with built_lab(Path(tempfile.mkdtemp(prefix="netq-ceiling-"))) as lab:
        print("| direction | probe median Gbit/s | iperf3 median Gbit/s | ratio | runs "
              "| each run, probe/iperf3 Gbit/s |")
        print("|---|---|---|---|---|---|")
        for direction in ("down", "up"):
            probe, plain = [], []
            for _ in range(args.runs):
                record = lab.probe("throughput", "--target", f"{NODE_IP}:5201", "--direction",
                                   direction, "--duration", f"{args.duration:g}", "--omit",
                                   str(OMIT), "--streams", str(STREAMS))
                probe.append(record["metrics"]["bits_per_second"])
                plain.append(lab.iperf3_baseline(5201, direction, args.duration, OMIT, STREAMS))
            p, b = statistics.median(probe), statistics.median(plain)
            spread = ", ".join(f"{x / 1e9:.2f}/{y / 1e9:.2f}" for x, y in zip(probe, plain,
                                                                            strict=True))
            print(f"| {direction} | {p / 1e9:.3f} | {b / 1e9:.3f} | {p / b:.3f} | {args.runs} "
                  f"| {spread} |")


if __name__ == "__main__":
    main()
