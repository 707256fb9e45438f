"""What users install, made from this checkout: the sdist and wheel (`python -m build`), fresh
virtual environments holding the wheel, and the Debian packages (scripts/build-debs). Each is
built once per test session from the files git sees, committed or not, in a scratch copy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["version"]
# where the repository keeps each part of the `netq` package: netq/probe, netq/collector and
# netq/reports are links to the folders at the top
PACKAGE_ROOTS = {"netq": "netq", "probe": "netq/probe", "collector": "netq/collector",
                 "reports": "netq/reports"}
# what a probe box must not carry: the collector's, the report's and the tests' libraries
HEAVY = {"pandas", "numpy", "matplotlib", "fastapi", "starlette", "uvicorn", "sqlalchemy",
         "alembic", "psycopg", "psycopg-binary", "weasyprint", "jinja2", "scapy", "pytest"}


def checkout_files() -> list[Path]:
    """The files of this checkout that git sees (committed or not; never ignored ones)."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], cwd=ROOT, capture_output=True, check=True)
    paths = [Path(p) for p in listed.stdout.decode().split("\0") if p]
    return [p for p in paths if (ROOT / p).exists() or (ROOT / p).is_symlink()]


def scratch_copy(into: Path) -> Path:
    """This checkout as a fresh clone would have it, so a build cannot use what is not in it."""
    with tarfile.open(into / "checkout.tar", "w") as archive:
        for path in checkout_files():
            archive.add(ROOT / path, arcname=str(path), recursive=False)
    copy = into / "checkout"
    with tarfile.open(into / "checkout.tar") as archive:
        archive.extractall(copy, filter="tar")
    (into / "checkout.tar").unlink()
    return copy


def build_distributions(into: Path) -> tuple[Path, Path]:
    """The sdist and the wheel, the wheel built from the sdist as `python -m build` does."""
    source = scratch_copy(into)
    subprocess.run([sys.executable, "-m", "build", "--outdir", str(into / "dist"), str(source)],
                   check=True, capture_output=True)
    (sdist,) = (into / "dist").glob("netq-*.tar.gz")
    (wheel,) = (into / "dist").glob("netq-*.whl")
    return sdist, wheel


def virtualenv(path: Path, requirement: str) -> Path:
    """A fresh virtual environment with `requirement` installed; its bin directory."""
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
    subprocess.run([str(path / "bin" / "python"), "-m", "pip", "install", "--quiet",
                    requirement], check=True, capture_output=True)
    return path / "bin"


def installed_distributions(bin_dir: Path) -> set[str]:
    listed = subprocess.run([str(bin_dir / "python"), "-m", "pip", "list", "--format", "json"],
                            check=True, capture_output=True, text=True)
    return {d["name"].lower() for d in json.loads(listed.stdout)}


# printed by the environment's own Python: every command of the `netq` tree, as argv lists
COMMAND_TREE = """
import json, click
from netq.cli import main

def walk(command, path):
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            yield from walk(sub, [*path, name])
    yield path

print(json.dumps(list(walk(main, []))))
"""


def command_tree(bin_dir: Path) -> list[list[str]]:
    found = subprocess.run([str(bin_dir / "python"), "-c", COMMAND_TREE], check=True,
                           capture_output=True, text=True, cwd="/")
    return json.loads(found.stdout)  # type: ignore[no-any-return]


def isolated_env() -> dict[str, str]:
    """The environment for an installed netq: nothing that points back at this checkout."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
