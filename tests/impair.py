"""A netem stand-in: forwards Ethernet frames between two interfaces, delaying and dropping
IPv4 frames in one direction. Runs in the lab's middle namespace.

netem is not in this kernel, so the test sets its ground truth with this: every IPv4 frame
from `--near` to `--far` is held `--delay-ms` and dropped with probability `--loss`
(a seeded generator, so a run is repeatable). ARP and the way back pass untouched.
On SIGTERM it prints what it did, `dropped D of N`: the exact loss the test injected.
"""

from __future__ import annotations

import argparse
import heapq
import random
import select
import signal
import socket
import time

ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800
PACKET_OUTGOING = 4


def open_interface(name: str) -> socket.socket:
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    sock.bind((name, 0))
    sock.setblocking(False)
    return sock


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--near", required=True)
    parser.add_argument("--far", required=True)
    parser.add_argument("--delay-ms", type=float, default=0.0)
    parser.add_argument("--loss", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    near, far = open_interface(args.near), open_interface(args.far)
    peer = {near: far, far: near}
    chance = random.Random(args.seed)
    delay_s = args.delay_ms / 1000
    held: list[tuple[float, int, bytes]] = []  # (due, order, frame) bound for `far`
    order = dropped = 0

    def report(*_: object) -> None:
        print(f"dropped {dropped} of {order + dropped}", flush=True)
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, report)
    print("ready", flush=True)
    while True:
        wait = max(0.0, held[0][0] - time.monotonic()) if held else None
        readable, _, _ = select.select([near, far], [], [], wait)
        for sock in readable:
            while True:
                try:
                    frame, address = sock.recvfrom(65535)
                except BlockingIOError:
                    break
                if address[2] == PACKET_OUTGOING:  # our own transmissions, seen again
                    continue
                is_ipv4 = int.from_bytes(frame[12:14], "big") == ETH_P_IP
                if sock is near and is_ipv4:
                    if chance.random() < args.loss:
                        dropped += 1
                        continue
                    order += 1
                    heapq.heappush(held, (time.monotonic() + delay_s, order, frame))
                else:
                    peer[sock].send(frame)
        now = time.monotonic()
        while held and held[0][0] <= now:
            far.send(heapq.heappop(held)[2])


if __name__ == "__main__":
    main()
