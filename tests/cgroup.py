"""Processes under the limits a systemd unit or a busy box sets: a cgroup of the test's own
(v2, or v1's controller), a CPU quota or the unit's `MemoryMax`, and what the kernel counted
read back."""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.lab import wait_for

UNITS = Path(__file__).resolve().parent.parent / "systemd"
_SIZE = {"": 1, "K": 1024, "M": 1024 ** 2, "G": 1024 ** 3, "T": 1024 ** 4}
_PERIOD_US = 100_000


@dataclass
class Group:
    path: Path
    v2: bool

    def read(self, name: str) -> str:
        return (self.path / name).read_text()

    def write(self, name: str, value: object) -> None:
        (self.path / name).write_text(str(value))


@contextlib.contextmanager
def _group(controller: str) -> Iterator[Group]:
    """A new, empty cgroup; removed once the processes put in it have ended or left."""
    v2 = Path("/sys/fs/cgroup/cgroup.controllers").exists()
    root = Path("/sys/fs/cgroup") if v2 else Path("/sys/fs/cgroup") / controller
    path = root / f"netq-test-{os.getpid()}-{time.monotonic_ns()}"
    try:
        path.mkdir()
    except OSError as exc:
        pytest.skip(f"no cgroup can be made here ({exc}): run the tests as root")
    try:
        yield Group(path, v2)
    finally:
        wait_for(lambda: not (path / "cgroup.procs").read_text().strip(), f"{path} empty")
        path.rmdir()


@contextlib.contextmanager
def cpu_quota(share: float) -> Iterator[Path]:
    """A CPU cgroup that lets its processes run `share` of one core (a CFS quota), as on a
    probe box whose other work leaves the probe little. Yields the group; a process joins it
    by writing its pid to the group's cgroup.procs (from outside a network namespace: `ip
    netns exec` hides /sys/fs/cgroup), and its children are born inside."""
    with _group("cpu") as group:
        if group.v2:
            group.write("cpu.max", f"{int(share * _PERIOD_US)} {_PERIOD_US}")
        else:
            group.write("cpu.cfs_period_us", _PERIOD_US)
            group.write("cpu.cfs_quota_us", int(share * _PERIOD_US))
        yield group.path


def memory_max(unit: str) -> int:
    """The bytes of `MemoryMax=` in the shipped unit `unit`."""
    found = re.search(r"^MemoryMax=(\d+)([KMGT]?)$", (UNITS / unit).read_text("utf-8"), re.M)
    assert found, f"{unit} sets no MemoryMax"
    return int(found[1]) * _SIZE[found[2]]


@dataclass
class Charged:
    """What the kernel counted of a memory cgroup."""

    group: Group

    @property
    def peak_bytes(self) -> int:
        name = "memory.peak" if self.group.v2 else "memory.max_usage_in_bytes"
        return int(self.group.read(name)) if (self.group.path / name).exists() else 0

    @property
    def oom_kills(self) -> int:
        counts = self.group.read("memory.events" if self.group.v2 else "memory.oom_control")
        return sum(int(line.split()[1]) for line in counts.splitlines()
                   if line.startswith("oom_kill "))


@contextlib.contextmanager
def memory_limited(pid: int, limit_bytes: int) -> Iterator[Charged]:
    """Process `pid` in a memory cgroup limited to `limit_bytes`, charged there with what it
    takes from now on (and on v1 kernels that move charges, what it holds); in the root
    group afterwards, if it still lives."""
    with _group("memory") as group:
        if group.v2:
            group.write("memory.max", limit_bytes)
        else:
            group.write("memory.limit_in_bytes", limit_bytes)
            # kernels that no longer move charges: the limit bounds what it grows
            with contextlib.suppress(OSError):
                group.write("memory.move_charge_at_immigrate", 3)
        group.write("cgroup.procs", pid)
        try:
            yield Charged(group)
        finally:
            with contextlib.suppress(OSError):  # ended meanwhile
                (group.path.parent / "cgroup.procs").write_text(str(pid))
