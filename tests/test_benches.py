"""Every benchmark under bench/ runs here at a tiny size, so that none can rot: each must
finish, exit 0 and print its figures. The figures themselves are read from full runs (the
README quotes them), never judged here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.lab import missing_requirements

pytestmark = pytest.mark.slow  # every bench at a tiny size: seconds each

BENCH = Path(__file__).resolve().parent.parent / "bench"
# bench, tiny arguments, a line of its output that says it measured
TINY: list[tuple[str, list[str], str]] = [
    ("admission.py", ["--probes", "20", "--per-day", "2", "--days", "1"], "admission+peak"),
    ("admission.py", ["--probes", "20", "--per-day", "2", "--days", "1", "--collectors", "2",
                      "--postgresql"], "admission+peak"),
    ("compliance.py", ["--raw-connections", "3", "--fleet", "20"], "ratio baseline/netq"),
    ("compliance.py", ["--raw-connections", "0", "--fleet", "20", "--postgresql"],
     "20 connections judged"),
    ("fleet.py", ["--probes", "5", "--period", "1", "--periods", "1"], "| sqlite | 1 | 5 |"),
    ("fleet.py", ["--probes", "5", "--period", "1", "--periods", "1", "--collectors", "2",
                  "--postgresql"], "| postgresql | 2 | 5 |"),
    ("ingest.py", ["--records", "200"], "| sqlite | 1 | 4 | 200 | 100 |"),
    ("ingest.py", ["--records", "200", "--postgresql"], "| postgresql | 2 | 4 | 200 | 100 |"),
    ("line.py", ["--others", "2"], "ratio to the baseline"),
    ("plans.py", ["--probes", "20", "--poll", "5", "--seconds", "3"], "ratio p99 plan/healthz"),
    ("probe_resources.py", ["--idle-seconds", "3"], "RSS idle"),
    ("replica.py", ["--connections", "20", "--seconds", "2"], "| on the replica |"),
    ("report.py", ["--connections", "20"], "netq report quarterly html+pdf"),
    ("storage.py", ["--lines", "2", "--days", "1", "--postgresql"], "| postgresql | 2 | 1 |"),
    ("validation.py", ["--records", "200"], "| refused (NaN) |"),
]
# those that build the network lab: root, namespaces
IN_THE_LAB: list[tuple[str, list[str], str]] = [
    ("accuracy.py", ["--part", "delay"], "| 450 ms | udp |"),
    ("speed_on_busy_probe.py", ["--runs", "1", "--rates", "10", "--directions", "down",
                                "--duration", "3"], "| 10 | down | busy |"),
    ("throughput_ceiling.py", ["--runs", "1", "--duration", "2"], "| up |"),
]


def run(bench: str, args: list[str], said: str, tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, str(BENCH / bench), *args], capture_output=True,
                            text=True, timeout=600, cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    assert said in result.stdout, result.stdout[-2000:]


def test_every_bench_is_run_here() -> None:
    named = {bench for bench, _, _ in (*TINY, *IN_THE_LAB)}
    assert named == {path.name for path in BENCH.glob("*.py") if path.name != "__init__.py"}


@pytest.mark.parametrize(("bench", "args", "said"), TINY,
                         ids=[f"{b} postgresql" if "--postgresql" in a else b
                              for b, a, _ in TINY])
def test_a_bench_runs_at_a_tiny_size(bench: str, args: list[str], said: str,
                                     tmp_path: Path) -> None:
    run(bench, args, said, tmp_path)


@pytest.mark.parametrize(("bench", "args", "said"), IN_THE_LAB,
                         ids=[b for b, _, _ in IN_THE_LAB])
def test_a_lab_bench_runs_at_a_tiny_size(bench: str, args: list[str], said: str,
                                         tmp_path: Path) -> None:
    reason = missing_requirements()
    if reason:
        pytest.skip(reason)
    run(bench, args, said, tmp_path)
