"""Every YAML file netq reads is read by one loader that refuses what would exhaust the
reader: aliases that expand beyond any netq file (a few hundred bytes of them stand for
billions of values), nesting deeper than any netq file needs, files larger than any netq file
is. Each is a clean error naming the file, from the command a user runs, in well under the
memory and time a bomb would take. Aliases within bounds (yaml.safe_dump writes them for a
value used twice) still load."""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import pytest

from netq import yamlfile
from netq.errors import ConfigError

# 9 levels of 9 aliases: 9^9 (387 million) strings once expanded, in about 500 bytes
LAUGHS = "a: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8))
DEEP = "plans: " + "[" * 20_000 + "]" * 20_000 + "\n"


@pytest.mark.parametrize(("text", "said"), [
    (LAUGHS, "more than 100,000 values (an alias counts the values it stands for)"),
    ("a: &a [1, *a]\n", "an alias refers to a value that contains it"),
    (DEEP, f":1: not valid YAML: nested deeper than {yamlfile.MAX_DEPTH} levels"),
    ("plans: []\n# " + "x" * yamlfile.MAX_BYTES + "\n",
     f"larger than {yamlfile.MAX_BYTES:,} bytes"),
    ("plans: [\xff]\n".encode("latin-1"), "not UTF-8 text"),
], ids=["aliases", "recursive", "deep", "large", "not-utf8"])
def test_fleet_plan_check_refuses_a_bomb_in_one_line_within_bounds(
        tmp_path: Path, text: str | bytes, said: str) -> None:
    path = tmp_path / "plans.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, "utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "netq", "fleet", "plan", "check", str(path)],
        capture_output=True, text=True, timeout=60,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30)))
    assert result.returncode == 1, result.stderr[-2000:]
    [line] = result.stderr.strip().splitlines()
    assert str(path) in line
    assert said in line


def test_a_value_used_twice_and_an_ordinary_file_still_load() -> None:
    document = yamlfile.parse("a: &first {x: 1}\nb: [1, {c: 2}, *first]\n", "ok.yaml")
    assert document.data == {"a": {"x": 1}, "b": [1, {"c": 2}, {"x": 1}]}
    assert document.where(("b", 1, "c")) == "ok.yaml:2: b[1].c"


def test_every_reader_refuses_a_bomb(tmp_path: Path) -> None:
    """The probe's file, the collector's and thresholds.yaml are read by the same loader."""
    from netq.collector.compliance import thresholds
    from netq.collector.settings import load as collector_settings
    from netq.probe.config import load as probe_config

    path = tmp_path / "file.yaml"
    path.write_text(LAUGHS, "utf-8")
    for read in (probe_config, collector_settings, thresholds.load):
        with pytest.raises(ConfigError, match=r"file.yaml: more than 100,000 values"):
            read(path)
