"""The probe runs on small boxes: its install and its imports stay lean."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import requires

HEAVY = ("pandas", "numpy", "fastapi", "starlette", "sqlalchemy", "weasyprint", "jinja2",
         "pysnmp", "scapy", "httpx")


def test_the_base_install_pulls_in_no_collector_or_report_dependencies() -> None:
    base = [r for r in requires("netq") or [] if "extra ==" not in r]
    names = {r.split(">")[0].split("=")[0].split("[")[0].strip().lower() for r in base}
    assert names.isdisjoint({"pandas", "fastapi", "weasyprint", "jinja2", "sqlalchemy",
                             "psycopg", "pysnmp"})


def test_starting_the_probe_imports_nothing_heavy() -> None:
    code = ("import sys, netq.cli, netq.probe.daemon, netq.probe.probers; "
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"
