"""The probe's reading of its own CPU, against loads the test sets: a quota that lets a
spinning program run a known share of the time, a sleeping program that never waits."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from netq.probe import cpu_load
from tests.cgroup import cpu_quota

STAT = ("cpu  100 20 30 800 50 0 10 40 7 3\n"
        "cpu0 50 10 15 400 25 0 5 20 0 0\n")


def test_cpu_times_count_guest_time_once_and_iowait_as_idle() -> None:
    # user+nice+system+idle+iowait+irq+softirq+steal; guest (7) and guest_nice (3) are
    # already inside user and nice
    assert cpu_load.cpu_times(STAT) == (1050, 850, 40)


def test_shares_between_two_readings() -> None:
    first = cpu_load.Reading(at=10.0, total=1000, idle=800, steal=0, waited_ns=0)
    last = cpu_load.Reading(at=12.0, total=1400, idle=900, steal=40, waited_ns=500_000_000)
    load = cpu_load.between(first, last)
    assert load == cpu_load.Load(busy=0.75, steal=0.1, waited=0.25)
    assert load.as_metrics() == {"cpu_busy_ratio": 0.75, "cpu_steal_ratio": 0.1,
                                 "cpu_wait_ratio": 0.25}


def test_no_time_or_no_program_gives_no_share() -> None:
    reading = cpu_load.Reading(at=1.0, total=10, idle=5, steal=0, waited_ns=None)
    assert cpu_load.between(reading, reading) is None
    later = cpu_load.Reading(at=2.0, total=20, idle=10, steal=0, waited_ns=None)
    load = cpu_load.between(reading, later)
    assert load is not None
    assert load.waited is None
    assert "cpu_wait_ratio" not in load.as_metrics()


def test_a_program_that_has_gone_has_no_wait() -> None:
    process = subprocess.Popen(["true"])
    process.wait()
    assert cpu_load.waited_ns(process.pid) is None


def wait_share(argv: list[str], cgroup: Path | None = None, seconds: float = 2.0) -> float:
    process = subprocess.Popen(argv)
    if cgroup is not None:
        (cgroup / "cgroup.procs").write_text(str(process.pid))
    try:
        time.sleep(0.3)  # started, inside its group
        first = cpu_load.read(process.pid, time.monotonic())
        time.sleep(seconds)
        last = cpu_load.read(process.pid, time.monotonic())
    finally:
        process.kill()
        process.wait()
    load = cpu_load.between(first, last)
    assert load is not None
    assert load.waited is not None
    return load.waited


def test_a_sleeping_program_does_not_wait() -> None:
    assert wait_share(["sleep", "30"]) < 0.01


@pytest.mark.root  # a CPU quota: a cgroup of the test's
@pytest.mark.parametrize("share", [0.2, 0.5])
def test_a_spinning_program_held_to_a_quota_waits_the_rest_of_the_time(share: float) -> None:
    spin = ["taskset", "--cpu-list", "0", sys.executable, "-c", "while True: pass"]
    with cpu_quota(share) as group:
        waited = wait_share(spin, cgroup=group)
    # ready all the time, it ran `share` of it; CFS periods of 100 ms make the edges ±5 %
    assert waited == pytest.approx(1 - share, abs=0.05)
