"""Probes and collectors one minor version apart. `data/records-0.1.0.jsonl` holds what the
probe of release 0.1.0 printed (`netq probe measure KIND … --json`, installed from that
release's source into a fresh virtual environment: latency by ICMP and STAMP, availability,
attempts by HTTP and TCP and a refused one, iperf3 throughput and a refused one, a dead SNMP
agent): this collector takes all of them. A probe one minor version ahead may report
metrics this collector does not know yet: they are kept with the record, within bounds, and
never judged."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from netq import __version__
from tests.records import latency_record, registry_row

RELEASE_RECORDS = Path(__file__).parent / "data" / "records-0.1.0.jsonl"
ROOT = Path(__file__).parent.parent


def netq(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "netq", *argv], capture_output=True,
                          text=True, timeout=300)


def imported(db: str, tmp_path: Path, records: list[dict[str, Any]]) -> dict[str, Any]:
    batch = tmp_path / f"{uuid.uuid4().hex}.jsonl"
    batch.write_text("".join(json.dumps(record) + "\n" for record in records))
    done = netq("collector", "import", str(batch), "--db", db)
    return {"code": done.returncode, "out": done.stdout, "err": done.stderr}


def registered(db: str) -> None:
    from netq.collector.store import Store

    store = Store.open(db)
    store.upsert_connections([registry_row("C-1")])
    store.close()


def test_every_record_of_the_previous_release_probe_is_accepted(tmp_path: Path) -> None:
    db = str(tmp_path / "netq.db")
    registered(db)
    records = [json.loads(line) for line in RELEASE_RECORDS.read_text().splitlines()]
    assert {record["kind"] for record in records} == {"latency", "availability", "attempt",
                                                       "throughput", "snmp"}
    # as they would arrive now: the same records an hour ago (a collector refuses the stale)
    shift = datetime.now(UTC) - timedelta(hours=1) - datetime.fromisoformat(
        records[0]["started_at"])
    for record in records:
        for field in ("started_at", "ended_at"):
            record[field] = (datetime.fromisoformat(record[field]) + shift).isoformat()
    done = imported(db, tmp_path, records)
    assert done["code"] == 0, done["err"]
    assert f"{len(records)} accepted" in done["out"], done["out"]


def test_metrics_of_a_newer_probe_are_kept_and_not_judged(tmp_path: Path) -> None:
    days = [(f"2026-08-{day:02d}T11:00:00+00:00", f"2026-08-{day:02d}T11:00:13+00:00")
            for day in range(1, 6)]
    plain = [latency_record(started_at=start, ended_at=end) for start, end in days]
    newer = [{**record, "id": str(uuid.uuid4()),
              "metrics": {**record["metrics"], "ecn_marked": 3, "path_mtu_bytes": 1500,
                          "congestion_control": "bbr", "rtt_ms_stddev": None}}
             for record in plain]
    figures = []
    for name, records in (("plain", plain), ("newer", newer)):
        db = str(tmp_path / f"{name}.db")
        registered(db)
        done = imported(db, tmp_path, records)
        assert done["code"] == 0, done["err"]
        assert "5 accepted" in done["out"]
        judged = netq("compliance", "--quarter", "2026Q3", "--json", "--db", db)
        assert judged.returncode == 0, judged.stderr
        (document,) = json.loads(judged.stdout)["documents"]
        figures.append({k: v for k, v in document.items() if k != "manifest"})
    assert figures[0] == figures[1]
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'newer.db'}")
    with engine.connect() as connection:
        kept = connection.execute(sa.text("SELECT metrics FROM results")).scalars().all()
    assert all(json.loads(metrics)["path_mtu_bytes"] == 1500 for metrics in kept)


def test_what_a_newer_probe_may_add_is_bounded_and_named(tmp_path: Path) -> None:
    db = str(tmp_path / "netq.db")
    registered(db)
    fine = latency_record()
    refused = {
        "nested": latency_record(metrics__histogram={"b1": 3}),
        "long": latency_record(metrics__note="x" * 65),
        "name": latency_record(metrics__NewMetric=1),
        "many": latency_record(**{f"metrics__new_{n}": n for n in range(9)}),
        "deeper": latency_record(metrics__rtt_ms__stddev=1.0),
    }
    now = datetime.now(UTC) - timedelta(hours=1)
    for record in (fine, *refused.values()):
        record["started_at"] = now.isoformat()
        record["ended_at"] = (now + timedelta(seconds=13)).isoformat()
    done = imported(db, tmp_path, [fine, *refused.values()])
    assert done["code"] == 1
    assert "1 accepted" in done["out"]
    assert "5 rejected" in done["out"]
    for reason in ("metrics.histogram: {'b1': 3} is not of type",
                   "metrics.note: '" + "x" * 65 + "' is too long",
                   "metrics: 'NewMetric' does not match",
                   "metrics: 9 metrics this collector does not know",
                   "metrics.rtt_ms: Additional properties are not allowed"):
        assert reason in done["err"], (reason, done["err"])


def test_this_release_has_its_changelog_section_and_the_package_version() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text()
    # what is shipped is told under its version, not under "Unreleased"
    headings = [line for line in changelog.splitlines() if line.startswith("## ")]
    assert headings[0].startswith(f"## {__version__} — "), headings[0]
    debian = (ROOT / "debian" / "changelog").read_text().splitlines()[0]
    assert debian.startswith(f"netq ({__version__}) ")
