"""Enrolling probes from a CSV: every line checked before anyone is enrolled; a token and a
first configuration per probe, which the probe's own loader takes; and a token rotated under
a probe that is uploading, with no record lost or refused."""

from __future__ import annotations

import json
import shutil
import signal
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from netq.collector.store import Store
from netq.probe import config as probe_config
from tests.lab import free_port, wait_for
from tests.records import registry_row
from tests.test_collector_api import start_collector
from tests.test_upload_reliability import assert_exactly_once, made_ids, stored_ids

pytestmark = pytest.mark.slow  # the netq command and a collector


def netq(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "netq", *args], capture_output=True,
                          text=True, check=False)


def one_probe(tmp_path: Path, probe_id: str) -> tuple[str, Path]:
    """A store with C-1 registered, and an enrolment file of `probe_id` on it."""
    db = str(tmp_path / "netq.db")
    store = Store.open(db)
    store.upsert_connections([registry_row("C-1")])
    store.close()
    csv = tmp_path / "probes.csv"
    csv.write_text(f"probe_id,connections,technology\n{probe_id},C-1,pon\n")
    return db, csv


def test_every_bad_line_is_named_and_nobody_is_enrolled(tmp_path: Path) -> None:
    db = str(tmp_path / "netq.db")
    csv = tmp_path / "probes.csv"
    csv.write_text("probe_id,connections,technology\nok-1,C-1,pon\n../x,C-2,pon\n"
                   "ok-2,,pon\nok-3,C-3,fibre\nok-1,C-4,pon\n")
    result = netq("fleet", "enroll", str(csv), "--url", "http://c:8080", "--out",
                  str(tmp_path / "out"), "--db", db)
    assert result.returncode == 1
    assert [line.split(".csv:")[1].split(": ")[1] for line in result.stderr.splitlines()[:4]] == [
        "probe_id '../x'", "connections", "technology 'fibre'", "probe_id ok-1 is listed twice"]
    assert result.stderr.splitlines()[0].startswith(f"Error: {csv}:3:")
    assert not (tmp_path / "out").exists()
    store = Store.open(db)
    assert store.tokens() == []
    store.close()


def test_each_probe_gets_a_token_and_a_configuration_its_loader_takes(tmp_path: Path) -> None:
    db = str(tmp_path / "netq.db")
    store = Store.open(db)
    store.upsert_connections([registry_row("C-1"), registry_row("C-2"), registry_row("C-3")])
    store.close()
    csv = tmp_path / "probes.csv"
    csv.write_text("probe_id,connections,technology\nont-1,C-1,\nnode-1,C-2;C-3,ethernet\n")
    out = tmp_path / "out"
    first = netq("fleet", "enroll", str(csv), "--url", "http://c:8080", "--out", str(out),
                 "--db", db)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("2 enrolled, 0 rotated, 0 kept")
    store = Store.open(db)
    for probe, connections, technology in (("ont-1", {"C-1"}, "pon"),
                                           ("node-1", {"C-2", "C-3"}, "ethernet")):
        token_file = out / probe / "probe.token"
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        assert store.authenticate(token_file.read_text().strip()) == (probe, connections)
        raw = yaml.safe_load((out / probe / "probe.yaml").read_text())
        raw["collector"]["token_file"] = str(token_file)
        config = probe_config.parse(raw)
        assert (config.probe_id, config.technology, config.plans) == (probe, technology, True)
        assert config.connection_id == sorted(connections)[0]
    store.close()
    again = netq("fleet", "enroll", str(csv), "--url", "http://c:8080", "--out", str(out),
                 "--db", db)
    assert again.stdout.startswith("0 enrolled, 0 rotated, 2 kept")


def test_a_token_rotated_under_an_uploading_probe_loses_nothing(tmp_path: Path) -> None:
    db, csv = one_probe(tmp_path, "probe-1")
    out = tmp_path / "out"
    assert netq("fleet", "enroll", str(csv), "--url", "http://c:8080", "--out", str(out), "--db",
                db).returncode == 0
    token_file = tmp_path / "probe.token"
    shutil.copy(out / "probe-1" / "probe.token", token_file)
    port = free_port()
    collector = start_collector(db, port)
    config = {
        "probe_id": "probe-1", "connection_id": "C-1", "technology": "pon",
        "spool": str(tmp_path / "s.db"), "metrics_listen": f"127.0.0.1:{free_port()}",
        "log_level": "info",
        "tests": [{"kind": "attempt", "every": 0.05, "target": "127.0.0.1:1"}],
        "collector": {"url": f"http://127.0.0.1:{port}", "token_file": str(token_file),
                      "batch": 20, "every": 0.2, "max_backoff": 1, "plan_every": 0},
    }
    (tmp_path / "probe.yaml").write_text(yaml.safe_dump(config))
    probe = subprocess.Popen([sys.executable, "-m", "netq", "probe", "run", "--config",
                              str(tmp_path / "probe.yaml")],
                             stderr=(tmp_path / "probe.log").open("wb"))
    try:
        wait_for(lambda: len(stored_ids(db)) > 50, "uploads with the first token")
        rotated = netq("fleet", "enroll", str(csv), "--url", "http://c:8080", "--out", str(out),
                       "--rotate", "--db", db)
        assert rotated.stdout.startswith("0 enrolled, 1 rotated")
        store = Store.open(db)
        live = [t for t in store.tokens("probe-1") if t["revoked_at"] is None]
        store.close()
        assert len(live) == 2  # the old one works until the probe uses the new one
        partial = tmp_path / "probe.token.new"
        shutil.copy(out / "probe-1" / "probe.token", partial)
        partial.replace(token_file)  # as an operator's copy that renames into place

        def old_revoked() -> bool:
            store = Store.open(db)
            try:
                return [t["revoked_at"] is None for t in store.tokens("probe-1")] == \
                    [False, True]
            finally:
                store.close()

        wait_for(old_revoked, "the old token revoked by the new one's first use")
        count = len(stored_ids(db))
        wait_for(lambda: len(stored_ids(db)) > count + 50, "uploads with the new token")
    finally:
        probe.send_signal(signal.SIGTERM)
        assert probe.wait(15) == 0
        collector.terminate()
        collector.wait(10)
    assert_exactly_once(tmp_path, db)
    events = [json.loads(line) for line in (tmp_path / "probe.log").read_text().splitlines()]
    refused = [e for e in events if "answered 401" in str(e.get("error", ""))]
    assert not refused  # no request was refused on the way
    assert len(made_ids(tmp_path)) > 100


def test_a_rotation_revokes_the_tokens_it_superseded_by_id_whatever_their_clock(
        tmp_path: Path) -> None:
    """A token made on a clock set a year ahead is revoked by the rotation's first use all
    the same; a token made after the rotation (another operator's) is not its to revoke."""
    from sqlalchemy import update

    from netq.collector import tables
    from netq.collector.store import token_hash

    store = Store.open(str(tmp_path / "netq.db"))
    store.upsert_connections([registry_row("C-1")])
    ahead = store.create_token("ont-1", ["C-1"])
    with store.engine.begin() as db:
        db.execute(update(tables.probe_tokens).where(
            tables.probe_tokens.c.token_sha256 == token_hash(ahead))
            .values(created_at=datetime.now(UTC) + timedelta(days=365)))
    rotated = store.create_token("ont-1", ["C-1"], supersedes=True)
    later = store.create_token("ont-1", ["C-1"])
    assert store.authenticate(ahead) is not None  # until the new one is used
    assert store.authenticate(rotated) == ("ont-1", {"C-1"})
    assert store.authenticate(ahead) is None
    assert store.authenticate(later) == ("ont-1", {"C-1"})
    store.close()


def test_enrolment_writes_the_files_first_and_never_through_a_planted_link(
        tmp_path: Path) -> None:
    db, csv = one_probe(tmp_path, "ont-1")
    out = tmp_path / "out"
    (out / "ont-1").mkdir(parents=True)
    victim = tmp_path / "victim"
    victim.write_text("not the token's\n")
    (out / "ont-1" / "probe.token").symlink_to(victim)
    (out / "ont-1" / "probe.yaml").mkdir()  # cannot be replaced: the run stops there
    cut_short = netq("fleet", "enroll", str(csv), "--url", "http://c:8080", "--out", str(out),
                     "--db", db)
    assert cut_short.returncode == 1
    assert "probe.yaml: Is a directory; the probe's token is not made" in cut_short.stderr
    store = Store.open(db)
    assert store.tokens("ont-1") == []  # no live token without its files
    store.close()
    (out / "ont-1" / "probe.yaml").rmdir()
    done = netq("fleet", "enroll", str(csv), "--url", "http://c:8080", "--out", str(out),
                "--db", db)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("1 enrolled, 0 rotated, 0 kept")  # the rerun completes it
    assert victim.read_text() == "not the token's\n"
    token_file = out / "ont-1" / "probe.token"
    assert not token_file.is_symlink()
    store = Store.open(db)
    assert store.authenticate(token_file.read_text().strip()) == ("ont-1", {"C-1"})
    store.close()
    linked = tmp_path / "linked-out"
    linked.mkdir()
    (linked / "ont-2").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    csv.write_text("probe_id,connections,technology\nont-2,C-1,pon\n")
    refused = netq("fleet", "enroll", str(csv), "--url", "http://c:8080", "--out", str(linked),
                   "--db", db)
    assert refused.returncode == 1
    assert "is a symbolic link: not written through" in refused.stderr


def test_a_line_enrolled_on_another_probe_moves_to_it(tmp_path: Path) -> None:
    db = str(tmp_path / "netq.db")
    store = Store.open(db)
    store.upsert_connections([registry_row("C-1"), registry_row("C-2")])
    old = store.create_token("node-1", ["C-1", "C-2"])
    store.close()
    csv = tmp_path / "probes.csv"
    csv.write_text("probe_id,connections,technology\nont-1,C-1,pon\n")
    moved = netq("fleet", "enroll", str(csv), "--url", "http://c:8080", "--out",
                 str(tmp_path / "out"), "--db", db)
    assert moved.returncode == 0, moved.stderr
    assert "moved: C-1 from node-1" in moved.stderr
    store = Store.open(db)
    assert store.authenticate(old) == ("node-1", {"C-2"})
    store.close()
