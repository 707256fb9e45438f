"""The command line contract of docs/design.md: one JSON document on stdout, errors that say what
to fix on stderr, non-zero exits."""

from __future__ import annotations

import contextlib
import json
import os
import pty
import subprocess
import sys
from typing import Any

import jsonschema
import pytest

from netq.record import KINDS, schema_text

pytestmark = pytest.mark.slow  # the netq command for each case


def netq(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "netq", *argv], text=True, capture_output=True,
                          timeout=60)


def test_measure_prints_exactly_one_valid_record() -> None:
    result = netq("probe", "measure", "attempt", "--target", "127.0.0.1:1", "--json")
    assert result.returncode == 1  # the attempt failed, and the exit code says so
    (line,) = result.stdout.splitlines()
    record = json.loads(line)
    jsonschema.Draft202012Validator(json.loads(schema_text())).validate(record)
    assert (record["kind"], record["ok"], record["metrics"]["phase"]) == ("attempt", False, "tcp")
    assert "TCP: cannot connect" in result.stderr


def test_an_out_of_range_option_names_itself() -> None:
    result = netq("probe", "measure", "latency", "--target", "h", "--count", "0", "--json")
    assert result.returncode == 2
    assert "--count: Input should be greater than or equal to 1" in result.stderr
    assert result.stdout == ""


def test_a_bad_port_is_a_usage_error_not_a_traceback() -> None:
    result = netq("probe", "measure", "throughput", "--target", "h:99999", "--direction", "up")
    assert result.returncode != 0
    assert "port" in result.stderr
    assert "Traceback" not in result.stderr


def test_every_test_kind_is_a_measure_subcommand() -> None:
    result = netq("probe", "measure", "--help")
    for kind in KINDS:
        assert kind in result.stdout


def test_a_spool_that_cannot_be_written_is_a_clear_error(tmp_path) -> None:
    (tmp_path / "file").write_text("")
    config = tmp_path / "probe.yaml"
    config.write_text(
        "probe_id: p\nconnection_id: c\ntechnology: pon\ntariff_down_kbps: 1\n"
        f"tariff_up_kbps: 1\nspool: {tmp_path}/file/spool.db\n"
        "tests: [{kind: attempt, every: 1m, target: '127.0.0.1:1'}]\n")
    result = netq("probe", "run", "--config", str(config))
    assert result.returncode == 1
    assert f"cannot open the spool {tmp_path}/file/spool.db" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_config_file_is_a_clear_error() -> None:
    result = netq("probe", "run", "--config", "/nonexistent/probe.yaml")
    assert result.returncode == 1
    assert "cannot read /nonexistent/probe.yaml" in result.stderr


def test_the_exit_status_is_documented_in_help() -> None:
    said = " ".join(netq("--help").stdout.split())
    assert "Exit status: 0 when" in said
    for status in ("2 when the command line is wrong", "3 when the environment is not usable",
                   "130 when interrupted"):
        assert status in said


REGISTRY = ("connection_id,service,technology,tariff_down_kbps,tariff_up_kbps,region,node,"
            "profile,effective_from\n") + "".join(
    f"C-{i},fixed,pon,100000,50000,г. Минск,Минск-узел-01,com645,\n" for i in range(2000))


def test_an_import_shows_progress_on_a_terminal(tmp_path) -> None:
    (tmp_path / "connections.csv").write_text(REGISTRY)
    primary, secondary = pty.openpty()
    with os.fdopen(primary, "rb", buffering=0) as terminal:
        result = subprocess.run(
            [sys.executable, "-m", "netq", "connections", "import",
             str(tmp_path / "connections.csv"), "--db", str(tmp_path / "netq.db")],
            stdout=subprocess.PIPE, stderr=secondary, text=True, timeout=60)
        os.close(secondary)
        shown = b""
        with contextlib.suppress(OSError):  # EIO once the writer is gone
            while chunk := terminal.read(4096):
                shown += chunk
    assert result.returncode == 0
    assert b"reading the registry" in shown
    # to the end: storing 200 000 rows took longer than reading them, and showed nothing
    assert b"storing the registry" in shown
    assert shown.count(b"100%") == 2
    assert result.stdout == "2000 inserted, 0 updated, 0 unchanged\n"


def test_an_import_is_silent_when_nobody_watches(tmp_path) -> None:
    (tmp_path / "connections.csv").write_text(REGISTRY)
    result = netq("connections", "import", str(tmp_path / "connections.csv"), "--db",
                  str(tmp_path / "netq.db"))
    assert result.returncode == 0
    assert result.stderr == ""
    assert result.stdout == "2000 inserted, 0 updated, 0 unchanged\n"


def _commands(group: Any, path: tuple[str, ...] = ("netq",)) -> Any:
    import click

    for name, command in group.commands.items():
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))


def test_every_command_shows_an_example_that_its_parser_takes() -> None:
    """An example in every --help, and each example a command line netq reads: its
    subcommands and options exist (parsed up to --help, which stops before running)."""
    import re
    import shlex

    from click.testing import CliRunner

    from netq.cli import main

    for path, command in _commands(main):
        if hasattr(command, "commands") and not getattr(command, "invoke_without_command",
                                                           False):
            continue  # a group that only holds commands: its commands show theirs
        text = command.help or ""
        assert "Example:" in text, " ".join(path)
        shown = text.split("Example:", 1)[1].replace("\\\n", " ")
        lines = [line.strip() for line in shown.splitlines() if line.strip().startswith("netq ")]
        assert lines, " ".join(path)
        for line in lines:
            argv = shlex.split(re.split(r"\s(?:\||>>|>|#)(?:\s|$)", line)[0])[1:]
            parsed = CliRunner().invoke(main, [*argv, "--help"])
            assert parsed.exit_code == 0, (line, parsed.output)
