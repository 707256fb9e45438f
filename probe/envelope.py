"""The probe's safety envelope: what this box runs whoever asks, as perfSONAR pScheduler's
limits file bounds what a remote party may schedule on a host.

A central plan is input from the network: each of its tests is held against the probe's own
`limits` (probe.yaml) — where it sends, how often, how long, how many streams, how many
packets a second — and one outside them is refused with its reason, the rest of the plan
still running. The programs a test runs come only from the probe's own file. The same check
refuses such a plan at `netq fleet plan check`, before any probe sees it.
"""

from __future__ import annotations

import ipaddress
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from netq.address import split_host_port
from netq.model import Duration, Strict
from netq.probe.probers import PROBERS
from netq.record import Kind

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# why a plan's test is refused, as /metrics labels it
REASONS = ("program", "target", "period", "duration", "streams", "rate", "tests")
# why a run is skipped: the day's budget of the line spent
SPENT = ("per_day", "bytes")
DAY_S = 86_400.0


class Limits(Strict):
    """probe.yaml `limits:` — defaults a subscriber's line bears (docs/operations.md)."""

    targets: list[str] = Field(
        default_factory=list, max_length=1024,
        description="where a central plan's tests may send: host names as the plan writes "
                    "them, addresses, networks (CIDR); beside them, the targets of the probe's "
                    "own tests and the collector's host")
    every_min: dict[Kind, Duration] = Field(
        default_factory=dict, description="per kind, the shortest period a plan may ask, s "
                                          "(default: the prober's own)")
    tests_max: int = Field(32, ge=1, le=1024, description="tests in one plan")
    test_seconds_max: Duration = Field(30, gt=0, le=600,
                                       description="seconds one test may hold the line")
    streams_max: int = Field(8, ge=1, le=128, description="parallel TCP streams of a test")
    packets_per_second_max: float = Field(50, gt=0, le=10_000,
                                          description="packets a second of a test")
    speed_tests_per_day: int = Field(48, ge=0, le=86_400,
                                     description="tests that fill the line (speed tests) in "
                                                 "any 24 h, whoever asked for them")
    bytes_per_day: float = Field(20e9, ge=0, le=1e13,
                                 description="bytes the tests may put on the line in any 24 h")

    @field_validator("targets")
    @classmethod
    def _targets(cls, targets: list[str]) -> list[str]:
        for entry in targets:
            if not entry or len(entry) > 253 or any(c.isspace() for c in entry):
                raise ValueError(f"{entry!r} is not a host name, an address or a network")
            if "/" in entry:
                ipaddress.ip_network(entry, strict=False)  # ValueError names it
        return targets


@dataclass(frozen=True)
class Refusal:
    reason: str  # one of REASONS
    text: str


@dataclass(frozen=True)
class Envelope:
    """The limits, with the hosts a plan may aim at."""

    limits: Limits
    names: frozenset[str]
    networks: tuple[Network, ...]

    @classmethod
    def of(cls, limits: Limits, also: Iterable[str] = ()) -> Envelope:
        """`limits`, and `also` allowed: the probe's own targets, the collector's host."""
        names, networks = set(), []
        for entry in [*limits.targets, *also]:
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                names.add(entry.lower().rstrip("."))
        return cls(limits, frozenset(names), tuple(networks))

    def allows(self, host: str) -> bool:
        try:
            address = ipaddress.ip_address(host)
        except ValueError:  # a name: as written, never by what it resolves to today
            return host.lower().rstrip(".") in self.names
        return any(address in network for network in self.networks)

    def refusal(self, kind: str, params: Any, every: float,
                fields: Mapping[str, Any]) -> Refusal | None:
        """Why a plan's test (its kind, parsed parameters, period and the fields as the plan
        wrote them) is outside the envelope; None when it is within."""
        prober, limits = PROBERS[kind], self.limits  # type: ignore[index]
        chosen = sorted(set(fields) & set(prober.local_only))
        if chosen:
            return Refusal("program", f"{', '.join(chosen)}: only the probe's own file "
                                      "chooses the programs it runs")
        for target in prober.aims(params):
            host = host_of(target)
            if not self.allows(host):
                return Refusal("target", f"{host} is not among the probe's allowed targets "
                                         "(limits.targets)")
        shortest = limits.every_min.get(kind, prober.every_min)  # type: ignore[call-overload]
        if every < shortest:
            return Refusal("period", f"every {every:g} s; the probe runs {kind} tests at "
                                     f"most every {shortest:g} s (limits.every_min)")
        load = prober.load(params)
        if load.seconds > limits.test_seconds_max:
            return Refusal("duration", f"{load.seconds:g} s on the line; at most "
                                       f"{limits.test_seconds_max:g} (limits.test_seconds_max)")
        if load.streams > limits.streams_max:
            return Refusal("streams", f"{load.streams} streams; at most {limits.streams_max} "
                                      "(limits.streams_max)")
        if load.packets_per_second > limits.packets_per_second_max:
            return Refusal("rate", f"{load.packets_per_second:g} packets a second; at most "
                                   f"{limits.packets_per_second_max:g} "
                                   "(limits.packets_per_second_max)")
        return None


def host_of(target: str) -> str:
    """The host a target names: of `host[:port]`, `[v6]:port` or a URL."""
    if "://" in target:
        return urlsplit(target).hostname or ""
    return split_host_port(target, 1)[0]


class Budget:
    """The line's share the tests have spent over the last 24 hours, on the monotonic clock
    (a step of the wall clock neither refills nor empties it): speed tests run and bytes
    moved. Whoever asked for a test, it does not run once either is spent."""

    def __init__(self, limits: Limits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self.clock = clock
        self.runs: deque[float] = deque()
        self.moved: deque[tuple[float, float]] = deque()

    def refusal(self, fills_the_line: bool) -> Refusal | None:
        """Why a test may not run now; None when it may."""
        since = self.clock() - DAY_S
        while self.runs and self.runs[0] <= since:
            self.runs.popleft()
        while self.moved and self.moved[0][0] <= since:
            self.moved.popleft()
        if fills_the_line and len(self.runs) >= self.limits.speed_tests_per_day:
            return Refusal("per_day", f"{len(self.runs)} speed tests in the last 24 h; at "
                                      f"most {self.limits.speed_tests_per_day} "
                                      "(limits.speed_tests_per_day)")
        spent = sum(n for _, n in self.moved)
        # a latency session's few packets still run: the delay is measured on a spent day
        if fills_the_line and spent >= self.limits.bytes_per_day:
            return Refusal("bytes", f"{spent:,.0f} bytes in the last 24 h; at most "
                                    f"{self.limits.bytes_per_day:,.0f} (limits.bytes_per_day)")
        return None

    def spend(self, fills_the_line: bool, moved: float) -> None:
        now = self.clock()
        if fills_the_line:
            self.runs.append(now)
        if moved:
            self.moved.append((now, moved))
