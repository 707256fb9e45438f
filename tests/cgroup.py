"""A process under a memory limit as its systemd unit sets it: a memory cgroup of its own
(v2 or v1), a child of the test's, with the unit's `MemoryMax`. What the kernel counted is
read back: the peak and whether it killed anything."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import pytest

UNITS = Path(__file__).resolve().parent.parent / "systemd"
_SIZE = {"": 1, "K": 1024, "M": 1024 ** 2, "G": 1024 ** 3, "T": 1024 ** 4}


def memory_max(unit: str) -> int:
    """The bytes of `MemoryMax=` in the shipped unit `unit`."""
    found = re.search(r"^MemoryMax=(\d+)([KMGT]?)$", (UNITS / unit).read_text("utf-8"), re.M)
    assert found, f"{unit} sets no MemoryMax"
    return int(found[1]) * _SIZE[found[2]]


@dataclass
class Limited:
    path: Path
    v2: bool

    def _read(self, name: str) -> str:
        return (self.path / name).read_text()

    @property
    def peak_bytes(self) -> int:
        name = "memory.peak" if self.v2 else "memory.max_usage_in_bytes"
        return int(self._read(name)) if (self.path / name).exists() else 0

    @property
    def oom_kills(self) -> int:
        counts = self._read("memory.events" if self.v2 else "memory.oom_control")
        return sum(int(line.split()[1]) for line in counts.splitlines()
                   if line.startswith("oom_kill "))


def _own_memory_cgroup() -> tuple[Path, bool]:
    lines = Path("/proc/self/cgroup").read_text().splitlines()
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(","):
            return Path("/sys/fs/cgroup/memory") / path.lstrip("/"), False
    for line in lines:
        if line.startswith("0::"):
            return Path("/sys/fs/cgroup") / line[3:].lstrip("/"), True
    raise OSError("no memory cgroup")


@contextmanager
def memory_limited(pid: int, limit_bytes: int) -> Iterator[Limited]:
    """Process `pid` in a cgroup of its own limited to `limit_bytes`, charged there with what
    it takes from now on (and on v1 kernels that move charges, what it holds); back where it
    was afterwards."""
    try:
        parent, v2 = _own_memory_cgroup()
        path = parent / f"netq-test-{pid}"
        path.mkdir()
    except OSError as exc:
        pytest.skip(f"no memory cgroup can be made here ({exc}): run the tests as root")
    try:
        if v2:
            (path / "memory.max").write_text(str(limit_bytes))
        else:
            (path / "memory.limit_in_bytes").write_text(str(limit_bytes))
            # kernels that no longer move charges: the limit bounds what it grows
            with suppress(OSError):
                (path / "memory.move_charge_at_immigrate").write_text("3")
        (path / "cgroup.procs").write_text(str(pid))
        yield Limited(path, v2)
    finally:
        for left in (path / "cgroup.procs").read_text().split():
            with suppress(OSError):  # ended meanwhile
                (parent / "cgroup.procs").write_text(left)
        path.rmdir()
