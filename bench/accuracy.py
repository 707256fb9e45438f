"""Accuracy table: what the probe measures against the ground truth the lab sets.

    sudo .venv/bin/python bench/accuracy.py [--part speed|delay|loss|dns ...]

Speed: tc tbf rate on the direct path; the exact TCP goodput ceiling is rate x 1448/1514.
Delay and loss: injected by tests/impair.py on the impaired path; DNS against the lab's
dnsmasq through the same path. Prints Markdown tables.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.lab import L2_GOODPUT, NODE_IMPAIRED_IP, NODE_IP, Lab, built_lab, busy_cpu
from tests.truth import binomial_interval

DURATION, OMIT, STREAMS = 8, 2, 4


def speed(lab: Lab) -> None:
    print("| shaped rate | direction | probe Mbit/s | vs rate | vs 1448/1514 goodput "
          "| plain iperf3 Mbit/s | probe / iperf3 |")
    print("|---|---|---|---|---|---|---|")
    for rate in (10, 50, 200):
        lab.shape(rate)
        for direction in ("down", "up"):
            record = lab.probe("throughput", "--target", f"{NODE_IP}:5201", "--direction",
                               direction, "--duration", str(DURATION), "--omit", str(OMIT),
                               "--streams", str(STREAMS))
            measured = record["metrics"]["bits_per_second"] / 1e6
            baseline = lab.iperf3_baseline(5201, direction, DURATION, OMIT, STREAMS) / 1e6
            print(f"| {rate} Mbit/s | {direction} | {measured:.2f} | {measured / rate - 1:+.2%} "
                  f"| {measured / (rate * L2_GOODPUT) - 1:+.2%} | {baseline:.2f} "
                  f"| {measured / baseline:.4f} |")
    lab.shape(None)


def delay(lab: Lab) -> None:
    print("\n| injected delay | method | mean RTT ms | error ms | allowed (1 ms + 2 %) |")
    print("|---|---|---|---|---|")
    for injected in (0, 20, 100, 450):
        for method in ("icmp", "udp"):
            with lab.impaired(delay_ms=injected):
                record = lab.probe("latency", "--target", NODE_IMPAIRED_IP, "--method", method,
                                   "--count", "100", "--interval", "0.02")
            mean = record["metrics"]["rtt_ms"]["mean"]
            print(f"| {injected} ms | {method} | {mean:.3f} | {mean - injected:+.3f} "
                  f"| ±{1 + 0.02 * injected:.1f} |")


def loss(lab: Lab) -> None:
    print("\n| injected loss | method | packets | measured loss | dropped by the relay "
          "| binomial 99 % interval of the nominal loss |")
    print("|---|---|---|---|---|---|")
    for injected in (0.0, 0.01, 0.05):
        for method, seed in (("icmp", 11), ("udp", 12)):
            with lab.impaired(loss=injected, seed=seed) as relay:
                record = lab.probe("latency", "--target", NODE_IMPAIRED_IP, "--method", method,
                                   "--count", "1000", "--interval", "0.003")
            low, high = binomial_interval(1000, injected)
            print(f"| {injected:.0%} | {method} | {record['metrics']['sent']} "
                  f"| {record['metrics']['loss_ratio']:.1%} "
                  f"| {relay.dropped / relay.packets:.1%} ({relay.dropped} of {relay.packets}) "
                  f"| [{low:.1%}, {high:.1%}] |")


def dns(lab: Lab) -> None:
    names = [option for i in range(20) for option in ("--name", f"n{i}.iperf.lab.test")]
    print("\n| injected delay | probe CPU | queries | mean ms | error ms | max ms "
          "| allowed (1 ms + 2 %) |")
    print("|---|---|---|---|---|---|---|")
    for injected in (0, 20, 100, 450):
        for cpu in ("idle", "busy"):
            load = busy_cpu() if cpu == "busy" else contextlib.nullcontext()
            with lab.impaired(delay_ms=injected), load:
                record = lab.probe("dns", "--target", NODE_IMPAIRED_IP, *names)
            times = record["metrics"]["resolution_ms"]
            print(f"| {injected} ms | {cpu} | {record['metrics']['answered']} "
                  f"| {times['mean']:.3f} | {times['mean'] - injected:+.3f} "
                  f"| {times['max']:.3f} | ±{1 + 0.02 * injected:.1f} |")
    print("\n| injected loss | queries | failed | dropped by the relay |")
    print("|---|---|---|---|")
    many = [option for i in range(100) for option in ("--name", f"n{i}.iperf.lab.test")]
    for injected in (0.0, 0.05, 0.2):
        with lab.impaired(loss=injected, seed=13) as relay:
            record = lab.probe("dns", "--target", NODE_IMPAIRED_IP, *many, "--timeout", "0.5")
        print(f"| {injected:.0%} | {record['metrics']['queries']} | {record['metrics']['failed']} "
              f"| {relay.dropped} of {relay.packets} |")


PARTS = {"speed": speed, "delay": delay, "loss": loss, "dns": dns}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--part", choices=PARTS, action="append",
                        help="only this table (repeat for several); all by default")
    wanted = parser.parse_args().part or list(PARTS)
    with built_lab(Path(tempfile.mkdtemp(prefix="netq-accuracy-"))) as lab:
        for part in wanted:
            PARTS[part](lab)


if __name__ == "__main__":
    main()
