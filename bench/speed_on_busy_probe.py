"""Speed through a shaped link with the probe's CPU idle, then busy: netq's reading (the
probe's TCP counters) beside iperf3's own (bytes counted when the program reads them), both
from the same tests, against the TCP goodput the link lets through.

    .venv/bin/python bench/speed_on_busy_probe.py --runs 5 [--rates 10 50 200]
        [--directions down up] [--server-priority normal] [--quotas 0.1 0.05 0.03]
                                                                       (as root: the lab)

The link is shaped with tc tbf, so the true goodput is the rate × 1448/1514 whatever the
probe does. "Busy" pins one spinning process to each core, at the probe's own priority, for
the whole test, as on a small, loaded probe box. In an upload the receiver is the lab's
server, at real-time priority unless --server-priority normal, which lets the spinners stall
it too. Prints, per rate, direction and CPU condition, the median and the extremes of both
readings against the goodput, then every run with the sender's retransmissions (a segment
lost at the warm-up's end moves iperf3's count as a stall does).

With --quotas, the probe is also run starved: held by a CPU cgroup to that share of one core,
so that from some rate on it cannot take the traffic in. Those rows show what the probe read,
the share of the window iperf3 had no CPU (`cpu_wait_ratio` + `cpu_steal_ratio`) and whether
the probe flagged the test `probe_overloaded`: a reading more than 3 % short should be.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.cgroup import cpu_quota
from tests.lab import L2_GOODPUT, NODE_IP, Lab, built_lab, busy_cpu, wait_for

OMIT, STREAMS = 2, 4


def spread(errors: list[float]) -> str:
    return f"{statistics.median(errors):+.2%} | {min(errors):+.2%} | {max(errors):+.2%}"


def starved(lab: Lab, port: int, args: argparse.Namespace) -> None:
    print("\n| Mbit/s | direction | CPU quota | run | netq | iperf3 | no CPU (wait + steal) "
          "| exclusion |")
    print("|---|---|---|---|---|---|---|---|")
    for rate in args.rates:
        lab.shape(rate)
        goodput = rate * 1e6 * L2_GOODPUT
        for direction in args.directions:
            for quota in args.quotas:
                for run in range(1, args.runs + 1):
                    with cpu_quota(quota) as group:
                        record = lab.probe("throughput", "--target", f"{NODE_IP}:{port}",
                                           "--direction", direction, "--duration",
                                           f"{args.duration:g}", "--omit", str(OMIT),
                                           "--streams",
                                           str(STREAMS), cgroup=group)
                    metrics = record["metrics"]
                    lacked = metrics.get("cpu_wait_ratio", 0) + metrics["cpu_steal_ratio"]
                    print(f"| {rate} | {direction} | {quota:.0%} | {run} "
                          f"| {metrics['bits_per_second'] / goodput - 1:+.2%} "
                          f"| {metrics['iperf3_bits_per_second'] / goodput - 1:+.2%} "
                          f"| {lacked:.3f} | {record['exclusion'] or ''} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--duration", type=float, default=10,
                        help="seconds measured (the probe's default)")
    parser.add_argument("--rates", type=int, nargs="+", default=[10, 50, 200])
    parser.add_argument("--directions", nargs="+", choices=("down", "up"), default=["down", "up"])
    parser.add_argument("--server-priority", choices=("realtime", "normal"), default="realtime")
    parser.add_argument("--quotas", type=float, nargs="*", default=[],
                        help="shares of one core to starve the probe to, after the table")
    args = parser.parse_args()
    print(f"{args.duration:g} s measured after {OMIT} s, {STREAMS} streams, {args.runs} runs each, "
          f"{args.server_priority} server; errors against the TCP goodput of the tbf rate\n")
    print("| Mbit/s | direction | probe CPU | netq median | netq min | netq max "
          "| iperf3 median | iperf3 min | iperf3 max |")
    print("|---|---|---|---|---|---|---|---|---|")
    every_run = []
    with built_lab(Path(tempfile.mkdtemp(prefix="netq-busy-"))) as lab:
        port = 5201
        if args.server_priority == "normal":
            port = 5203
            lab.start_iperf3(port, realtime=False)
            wait_for(lambda: lab.listening(lab.node, "tcp", port), f"iperf3 {port}")
        for rate in args.rates:
            lab.shape(rate)
            goodput = rate * 1e6 * L2_GOODPUT
            for direction in args.directions:
                for condition in ("idle", "busy"):
                    netq, iperf3 = [], []
                    for _ in range(args.runs):
                        with busy_cpu() if condition == "busy" else contextlib.nullcontext():
                            record = lab.probe("throughput", "--target", f"{NODE_IP}:{port}",
                                               "--direction", direction, "--duration",
                                               f"{args.duration:g}", "--omit", str(OMIT),
                                               "--streams", str(STREAMS))
                        metrics = record["metrics"]
                        netq.append(metrics["bits_per_second"] / goodput - 1)
                        iperf3.append(metrics["iperf3_bits_per_second"] / goodput - 1)
                        every_run.append((rate, direction, condition, netq[-1], iperf3[-1],
                                          metrics["retransmits"]))
                    print(f"| {rate} | {direction} | {condition} | {spread(netq)} "
                          f"| {spread(iperf3)} |", flush=True)
        if args.quotas:
            starved(lab, port, args)
    print("\n| Mbit/s | direction | probe CPU | netq | iperf3 | sender retransmits |")
    print("|---|---|---|---|---|---|")
    for rate, direction, condition, netq_error, iperf3_error, retransmits in every_run:
        print(f"| {rate} | {direction} | {condition} | {netq_error:+.2%} | {iperf3_error:+.2%} "
              f"| {retransmits} |")


if __name__ == "__main__":
    main()
