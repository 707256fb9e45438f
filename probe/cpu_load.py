"""What the probe's CPU did while a test ran, from the kernel's own counters.

Three shares of the test's time: how busy the probe's CPUs were (`/proc/stat`, every CPU
together), how much of it a hypervisor gave to others (`steal`), and how long the test
program was ready to run but waited for a CPU: the run-queue delay of its threads
(`/proc/PID/task/*/schedstat`, the scheduler's own accounting; a CFS quota's throttling counts
too). A busy CPU alone does not spoil a speed test that the probe's TCP counts; a program that
cannot run when its data arrives, or a CPU taken away, does.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

IDLE_FIELDS = (3, 4)  # idle, iowait in the "cpu" line of /proc/stat
STEAL_FIELD = 7
GUEST_FIELDS = (8, 9)  # guest time is already inside user and nice


@dataclass(frozen=True)
class Reading:
    """The counters at one instant (`at`, monotonic seconds)."""

    at: float
    total: int  # clock ticks of every CPU, /proc/stat
    idle: int
    steal: int
    waited_ns: int | None  # the program's run-queue delay; None when it could not be read


@dataclass(frozen=True)
class Load:
    """Shares of one stretch of time, each from 0 to 1."""

    busy: float  # the CPUs were not idle (steal included)
    steal: float  # a hypervisor ran something else on the probe's CPUs
    waited: float | None  # the program was ready to run and was not: of the wall-clock time

    @property
    def lacked(self) -> float:
        """The share of the time the program had no CPU when it needed one: its own wait,
        plus the hypervisor's share of every CPU (a stolen tick is invisible to the wait)."""
        return (self.waited or 0.0) + self.steal

    def as_metrics(self) -> dict[str, float]:
        shares = {"cpu_busy_ratio": self.busy, "cpu_steal_ratio": self.steal}
        if self.waited is not None:
            shares["cpu_wait_ratio"] = self.waited
        return {name: round(value, 4) for name, value in shares.items()}


def cpu_times(stat: str) -> tuple[int, int, int]:
    """(total, idle, steal) ticks from the text of /proc/stat."""
    fields = [int(v) for v in stat.split("\n", 1)[0].split()[1:]]
    total = sum(fields) - sum(fields[i] for i in GUEST_FIELDS if i < len(fields))
    idle = sum(fields[i] for i in IDLE_FIELDS)
    return total, idle, fields[STEAL_FIELD] if len(fields) > STEAL_FIELD else 0


def waited_ns(pid: int) -> int | None:
    """The run-queue delay, in ns, summed over the process's threads; None if it has gone or
    the kernel does not keep it."""
    try:
        threads = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return None
    delay = 0
    for thread in threads:
        try:
            with open(f"/proc/{pid}/task/{thread}/schedstat") as counters:
                delay += int(counters.read().split()[1])
        except (FileNotFoundError, IndexError, ValueError):
            return None
    return delay


def read(pid: int | None, at: float) -> Reading:
    with open("/proc/stat") as stat:
        total, idle, steal = cpu_times(stat.read())
    return Reading(at, total, idle, steal, None if pid is None else waited_ns(pid))


def between(first: Reading, last: Reading) -> Load | None:
    """The load from one reading to a later one; None if no time passed on the CPUs' clock."""
    ticks = last.total - first.total
    seconds = last.at - first.at
    if ticks <= 0 or seconds <= 0:
        return None
    waited = None
    if first.waited_ns is not None and last.waited_ns is not None:
        waited = min(1.0, (last.waited_ns - first.waited_ns) / 1e9 / seconds)
    return Load(busy=1 - (last.idle - first.idle) / ticks,
                steal=(last.steal - first.steal) / ticks, waited=waited)
