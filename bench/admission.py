"""Speed tests of a fleet against a few iperf3 ports: today's random moments beside slots
leased from the collector's broker, on a compressed (simulated) clock.

    .venv/bin/python bench/admission.py --probes 1000 --per-day 8
    .venv/bin/python bench/admission.py --probes 10000 --per-day 1

Each probe runs `--per-day` speed tests a day for `--days` days against `--ports` ports of
one server. A test holds its port 12 s plus an exponential tail (mean 1 s, cut at the
probe's 32 s hard timeout), so some run past the 15 s a slot is leased for. The broker is
the collector's own (collector/slots.py), the moments the probe's own (probe/schedule.py),
driven by a simulated clock instead of the wall's.

- random: today's schedule without a broker: a random moment of each period, on the port
  in the probe's file (probes spread over the ports in turn); a busy port is tried again
  with the throughput prober's jittered backoff (5 attempts), then the test is lost
  (`server_busy`).
- admission: the same moments, each test leasing the earliest free slot on any port
  (asking again when every port is taken further ahead than the broker's horizon, up to
  30 minutes), given back when the test ends; a port still held by an overrunning test
  answers busy and is retried as above.
- admission+peak: as admission, the day's runs drawn with `--peak-share` of them in the
  evening peak, 19:00-23:00 Minsk.

Printed per mode: tests lost to a busy server (share), busy retries, port utilisation
(the day and the evening peak), the share of tests run in the peak, and the wait for a slot.
"""

from __future__ import annotations

import argparse
import contextlib
import heapq
import itertools
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from netq.collector.slots import Refusal, Server, SlotBroker
from netq.collector.store import Store
from netq.probe.schedule import MINSK, day_moments, in_peak
from tests.pg import create_database

BASE = 12.0  # seconds a test holds its port at the least: connect, 2 s warm-up, 10 s measured
TAIL_S = 1.0  # mean of the exponential tail beyond it
HARD_TIMEOUT = 32.0  # the prober kills iperf3 after omit + duration + connect timeout + 15
LEASED = 15.0  # throughput.occupies(): omit + duration + 3
ATTEMPTS = 5  # throughput Params.busy_attempts
BACKOFF = 2.0  # throughput Params.busy_backoff
MAX_WAIT = 1800.0  # probe/slots.py SlotClient.max_wait_s
START = datetime(2026, 12, 7, tzinfo=MINSK)  # a Monday, Minsk midnight


@dataclass
class Stats:
    tests: int = 0
    lost: int = 0
    retries: int = 0
    done: int = 0
    done_in_peak: int = 0
    busy_s: float = 0.0
    busy_peak_s: float = 0.0
    calls: int = 0  # leases asked for and given back: the store's work
    waits: list[float] = field(default_factory=list)


def backoff(attempt: int, rng: random.Random) -> float:
    """tenacity's wait_random_exponential(multiplier=2, max=60) before try `attempt` + 1."""
    return rng.uniform(0, min(60.0, BACKOFF * 2 ** attempt))


def moments(probes: int, per_day: float, days: int, peak_share: float | None,
            rng: random.Random) -> list[tuple[float, int]]:
    """(seconds from START, probe) of every test due."""
    due = []
    every = 86_400 / per_day
    for probe in range(probes):
        if peak_share is None:  # a random moment of each period, as the daemon's periods()
            at = 0.0
            while at < days * 86_400:
                due.append((at + rng.uniform(0, every), probe))
                at += every
        else:
            for day in range(days):
                for moment in day_moments((START + timedelta(days=day)).date(), every,
                                          peak_share, rng):
                    due.append(((moment - START).total_seconds(), probe))
    return [(at, probe) for at, probe in due if at < days * 86_400]


def simulate(mode: str, probes: int, per_day: float, days: int, ports: int,
             peak_share: float, seed: int, brokers: list[SlotBroker]) -> Stats:
    rng = random.Random(seed)
    server = Server("speed", "192.0.2.10", tuple(5201 + i for i in range(ports)))
    turns = itertools.cycle(brokers)  # a proxy deals the requests out to the collectors
    stats = Stats()
    busy_until = dict.fromkeys(server.ports, -1.0)
    events: list[tuple[float, int, str, int, dict[str, object]]] = []
    order = 0

    def push(at: float, what: str, probe: int, **data: object) -> None:
        nonlocal order
        order += 1
        heapq.heappush(events, (at, order, what, probe, data))

    for at, probe in moments(probes, per_day, days, peak_share if mode == "admission+peak"
                             else None, rng):
        stats.tests += 1
        push(at, "due", probe)

    while events:
        now, _, what, probe, data = heapq.heappop(events)
        if what == "due" and mode == "random":
            push(now, "try", probe, port=server.ports[probe % ports], attempt=0, lease=None)
        elif what in ("due", "ask"):
            asked_at = float(data.get("since", now))  # type: ignore[arg-type]
            granted = next(turns).lease(f"p{probe}", server, LEASED, now)
            stats.calls += 1
            if isinstance(granted, Refusal):
                if now + granted.retry_after_s - asked_at > MAX_WAIT:
                    stats.lost += 1
                else:
                    push(now + granted.retry_after_s * rng.uniform(1.0, 1.2), "ask", probe,
                         since=asked_at)
                continue
            stats.waits.append(granted.start - asked_at)
            push(granted.start, "try", probe, port=granted.port, attempt=0, lease=granted.id)
        elif what == "try":
            port, attempt = int(data["port"]), int(data["attempt"])  # type: ignore[call-overload]
            if busy_until[port] > now:  # iperf3: "the server is busy"
                if attempt + 1 >= ATTEMPTS:
                    stats.lost += 1
                    if data["lease"] is not None:
                        next(turns).release(str(data["lease"]), f"p{probe}", now)
                        stats.calls += 1
                else:
                    stats.retries += 1
                    push(now + backoff(attempt, rng), "try", probe, port=port,
                         attempt=attempt + 1, lease=data["lease"])
                continue
            held = min(BASE + rng.expovariate(1 / TAIL_S), HARD_TIMEOUT)
            busy_until[port] = now + held
            stats.done += 1
            moment = START + timedelta(seconds=now)
            stats.busy_s += held
            if in_peak(moment):
                stats.done_in_peak += 1
                stats.busy_peak_s += held
            if data["lease"] is not None:
                push(now + held, "end", probe, lease=data["lease"])
        elif what == "end":
            next(turns).release(str(data["lease"]), f"p{probe}", now)
            stats.calls += 1
    return stats


@contextlib.contextmanager
def stores(collectors: int, server: str | None) -> Iterator[list[SlotBroker]]:
    """`collectors` brokers on a new store of their own (one engine each, as separate
    processes have): an SQLite file, or a database on the PostgreSQL `server`."""
    with tempfile.TemporaryDirectory() as scratch:
        db = create_database(server) if server else str(Path(scratch) / "slots.db")
        opened = [Store.open(db) for _ in range(collectors)]
        try:
            yield [SlotBroker(s.engine, rng=random.Random(n)) for n, s in enumerate(opened)]
        finally:
            for store in opened:
                store.close()


def report(mode: str, stats: Stats, ports: int, days: int) -> str:
    capacity = ports * 86_400 * days
    peak_capacity = ports * 4 * 3600 * days
    waits = sorted(stats.waits) or [0.0]
    p99 = waits[min(len(waits) - 1, int(len(waits) * 0.99))]
    return (f"{mode:15} {stats.tests:8d} {stats.lost / stats.tests:8.3%} "
            f"{stats.retries:8d} {stats.busy_s / capacity:8.1%} "
            f"{stats.busy_peak_s / peak_capacity:8.1%} {stats.done_in_peak / stats.done:8.1%} "
            f"{statistics.mean(waits):8.1f} {p99:8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--probes", type=int, default=1000)
    parser.add_argument("--per-day", type=float, default=8, help="speed tests per probe a day")
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--ports", type=int, default=4)
    parser.add_argument("--peak-share", type=float, default=0.25,
                        help="share of the day's tests in the evening peak (19-23 Minsk)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--collectors", type=int, default=1,
                        help="brokers on one store, the requests dealt out in turn")
    parser.add_argument("--postgresql", action="store_true",
                        help="the store on a throwaway PostgreSQL server, not SQLite")
    args = parser.parse_args()
    print(f"{args.probes} probes x {args.per_day:g} speed tests a day, {args.days} days, "
          f"{args.ports} ports; peak share {args.peak_share:.0%} "
          f"(uniform would be {4 / 24:.1%}); {args.collectors} collector(s) on "
          f"{'PostgreSQL' if args.postgresql else 'SQLite'}")
    print(f"{'mode':15} {'tests':>8} {'lost':>8} {'retries':>8} {'util':>8} {'util pk':>8} "
          f"{'in peak':>8} {'wait s':>8} {'wait p99':>8} {'calls/s':>8}")
    with contextlib.ExitStack() as stack:
        server = None
        if args.postgresql:
            from tests.pg import postgres_server

            # its own folder in /tmp: the server runs as the postgres user
            scratch = Path(tempfile.mkdtemp(prefix="netq-pg-"))
            stack.callback(shutil.rmtree, scratch, ignore_errors=True)
            server = stack.enter_context(postgres_server(scratch))
        for mode in ("random", "admission", "admission+peak"):
            with stores(args.collectors, server) as brokers:
                started = time.perf_counter()
                stats = simulate(mode, args.probes, args.per_day, args.days, args.ports,
                                 args.peak_share, args.seed, brokers)
                took = time.perf_counter() - started
            print(report(mode, stats, args.ports, args.days),
                  f"{stats.calls / took:8.0f}", f" ({took:.1f} s simulated)", flush=True)
    print(f"(clock: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC)")


if __name__ == "__main__":
    main()
