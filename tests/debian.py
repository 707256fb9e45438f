"""A clean Debian root for the package tests: debootstrap's minimal base of this machine's own
release, entered with chroot. Nothing is installed on the machine itself; everything the tests
install lives in the root and goes with it."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

MIRROR = os.environ.get("NETQ_DEBIAN_MIRROR", "http://deb.debian.org/debian")
PATH = "PATH=/usr/sbin:/usr/bin:/sbin:/bin"


def missing_requirements() -> str | None:
    if os.geteuid() != 0:
        return "a Debian root needs root (debootstrap, chroot): run the tests as root"
    for program in ("debootstrap", "chroot", "dpkg-buildpackage"):
        if shutil.which(program) is None:
            return f"the package tests need {program}: run scripts/setup --test"
    return None


def codename() -> str:
    for line in Path("/etc/os-release").read_text().splitlines():
        if line.startswith("VERSION_CODENAME="):
            return line.split("=", 1)[1].strip('"')
    raise RuntimeError("/etc/os-release names no release")


class DebianRoot:
    """debootstrap runs in the background from the moment this is made, so that it overlaps
    other work (building the packages); the first command waits for it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.log = path.with_suffix(".log")
        self._proc_mounted = False
        with self.log.open("w") as log:
            self._debootstrap: subprocess.Popen[bytes] | None = subprocess.Popen(
                ["debootstrap", "--variant=minbase", codename(), str(path), MIRROR],
                stdout=log, stderr=subprocess.STDOUT)

    def _ready(self) -> None:
        if self._debootstrap is None:
            return
        code = self._debootstrap.wait()
        self._debootstrap = None
        if code != 0:
            raise RuntimeError(f"debootstrap failed ({code}):\n{self.log.read_text()[-2000:]}")
        shutil.copy("/etc/resolv.conf", self.path / "etc" / "resolv.conf")
        subprocess.run(["mount", "-t", "proc", "proc", str(self.path / "proc")], check=True)
        self._proc_mounted = True

    def command(self, *argv: str, user: str | None = None) -> list[str]:
        """argv as run inside the root, with a clean environment, as root or as `user`."""
        self._ready()
        as_user = [f"--userspec={user}:{user}"] if user else []
        home = f"HOME=/var/lib/{user}" if user else "HOME=/root"
        return ["chroot", *as_user, str(self.path), "env", "-i", PATH, home, "LANG=C.UTF-8",
                *argv]

    def run(self, *argv: str, user: str | None = None, check: bool = True,
            timeout: float = 300) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(self.command(*argv, user=user), capture_output=True,
                                text=True, timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"{' '.join(argv)} exited {result.returncode}:\n"
                                 f"{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
        return result

    def popen(self, *argv: str, user: str | None = None, **kwargs: Any) -> subprocess.Popen[str]:
        return subprocess.Popen(self.command(*argv, user=user), text=True, **kwargs)

    def file(self, path: str) -> Path:
        return self.path / path.lstrip("/")

    def remove(self) -> None:
        if self._debootstrap is not None:
            self._debootstrap.kill()
            self._debootstrap.wait()
        # never delete through a mounted /proc: leave the root behind if it will not go
        if self._proc_mounted and subprocess.run(["umount", str(self.path / "proc")]
                                                 ).returncode != 0:
            return
        shutil.rmtree(self.path, ignore_errors=True)
