"""Central test plans: one file checked whole (file, line and key in every error), applied
to the store as a set, each probe served the first plan its connection matches, over HTTP
with its version as the ETag; the version a record carries is stored with it."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sqlalchemy import text

from netq import plan as wire
from netq.collector import plans
from netq.collector.store import Store
from netq.errors import ConfigError
from netq.fleet.plans import load
from netq.probe.envelope import Envelope, Limits
from netq.probe.plan import parse
from tests.lab import free_port
from tests.records import latency_record, registry_row
from tests.test_collector_api import start_collector

LATENCY = {"kind": "latency", "every": "5m", "target": "192.0.2.1", "count": 20}
ATTEMPT = {"kind": "attempt", "every": 60, "target": "192.0.2.2:443"}
# where these files' tests send (TEST-NET-1 and the names of the error cases)
TARGETS = ["192.0.2.0/24", "x", "h"]
PLANS: dict[str, Any] = {
    "poll_every": "2m",
    "limits": {"targets": TARGETS},
    "plans": [
        {"name": "pon-minsk", "match": {"technology": "pon", "region": ["Minsk"]},
         "tests": [LATENCY, ATTEMPT]},
        {"name": "node-2", "match": {"node": "node-2"}, "tests": [ATTEMPT]},
        {"name": "everyone", "tests": [LATENCY]},
    ],
}


def written(tmp_path: Path, content: Any, name: str = "plans.yaml") -> Path:
    """The file; a text without limits gets TARGETS's at its end (its lines unmoved)."""
    path = tmp_path / name
    if isinstance(content, str) and "limits:" not in content:
        content += f"limits: {{targets: [{', '.join(TARGETS)}]}}\n"
    path.write_text(content if isinstance(content, str) else yaml.safe_dump(content,
                                                                             sort_keys=False))
    return path


def test_the_example_plans_file_is_good() -> None:
    checked = load(Path(__file__).resolve().parent.parent / "examples" / "plans.yaml")
    assert list(checked.versions) == ["pon-minsk", "everyone"]


def test_a_good_file_gives_each_plan_a_version_of_its_content(tmp_path: Path) -> None:
    checked = load(written(tmp_path, PLANS))
    assert list(checked.versions) == ["pon-minsk", "node-2", "everyone"]
    assert checked.plan_set["poll_every_s"] == 120
    # the same plan in another file, or reordered keys: the same version
    again = {**PLANS, "plans": [{**PLANS["plans"][0], "match": {"region": "Minsk",
                                                                "technology": ["pon"]}}]}
    assert load(written(tmp_path, again, "b.yaml")).versions["pon-minsk"] == \
        checked.versions["pon-minsk"]
    changed = {**PLANS, "plans": [{**PLANS["plans"][0], "tests": [LATENCY]}]}
    assert load(written(tmp_path, changed, "c.yaml")).versions["pon-minsk"] != \
        checked.versions["pon-minsk"]


@pytest.mark.parametrize(("text", "expected"), [
    ("plans:\n  - name: a\n    tests:\n      - kind: latency\n        every: 5m\n"
     "        target: x\n        count: 0\n",
     r"plans.yaml:7: plans\[0\].tests\[0\].count: .*greater than or equal"),
    ("plans:\n  - name: a\n    tests:\n      - kind: speed\n        target: x\n",
     r"plans.yaml:4: plans\[0\].tests\[0\].kind: 'speed' is not a test kind"),
    ("plans:\n  - name: a\n    match: {colour: red}\n    tests: [{kind: attempt, every: 60, "
     "target: 'x:1'}]\n", r"plans.yaml:3: plans\[0\].match.colour: cannot match on 'colour'"),
    ("plans:\n  - name: a\n    match: {node: m}\n    tests: [{kind: attempt, every: 60, "
     "target: 'x:1'}]\n  - name: a\n    tests: [{kind: attempt, every: 60, "
     "target: 'x:1'}]\n", r"plans.yaml:5: plans\[1\].name: 'a' is already"),
    ("plans:\n  - name: a\n    tests: [{kind: attempt, every: 60, target: 'x:1'}]\n"
     "  - name: b\n    match: {node: n}\n    tests: [{kind: attempt, every: 60, "
     "target: 'x:1'}]\n", r"plans.yaml:2: plans\[0\]: matches every probe"),
    ("plans:\n  - name: a\n    tests: []\n", r"plans.yaml:3: plans\[0\].tests: a list"),
    ("poll_every: 500ms\nplans:\n  - name: a\n    tests: [{kind: attempt, every: 60, "
     "target: 'x:1'}]\n", r"plans.yaml:1: poll_every: .*greater than or equal to 1"),
    ("plans:\n  - name: a\n   tests: [\n", r"plans.yaml:3: not valid YAML"),
    ("plans:\n  - name: a b\n    tests: [{kind: attempt, every: 60, target: 'x:1'}]\n",
     r"plans.yaml:2: plans\[0\].name: a name of letters"),
    ("servers: {s: {host: h, ports: [1]}}\nplans:\n  - name: a\n    tests:\n"
     "      - {kind: throughput, every: 4h, server: t, direction: up}\n",
     r"plans.yaml:5: plans\[0\].tests\[0\].server: 't' is not a server of the plan's "
     r"servers \(s\)"),
    ("servers: {s: {host: h, ports: [1]}}\nplans:\n  - name: a\n    tests:\n"
     "      - {kind: latency, every: 4h, server: s}\n",
     r"plans\[0\].tests\[0\].server: latency tests hold no server"),
    ("servers: {s: {host: h, ports: [1]}}\nplans:\n  - name: a\n    tests:\n"
     "      - {kind: throughput, every: 4h, server: s, target: h, direction: up}\n",
     r"plans\[0\].tests\[0\].target: give a target or a server, not both"),
    ("servers:\n  s:\n    host: h\n    ports: [5201, 5201]\nplans:\n  - name: a\n"
     "    tests: [{kind: attempt, every: 60, target: 'x:1'}]\n",
     r"plans.yaml:4: servers.s.ports: a port is listed twice"),
    ("plans:\n  - name: a\n    tests:\n      - {kind: availability, every: 60, target: [h], "
     "off_net: [o], peak_share: 0.3}\n",
     r"plans\[0\].tests\[0\].peak_share: availability tests run on the clock"),
    ("plans:\n  - name: a\n    tests:\n      - {kind: attempt, every: 2d, target: 'h:1', "
     "peak_share: 0.3}\n", r"plans\[0\].tests\[0\].every: at most a day"),
])
def test_a_bad_file_is_refused_with_file_line_and_key(tmp_path: Path, text: str,
                                                      expected: str) -> None:
    with pytest.raises(ConfigError, match=expected):
        load(written(tmp_path, text))


@pytest.mark.slow  # a collector, a probe or the netq command started
def test_the_command_refuses_a_bad_file_in_one_line_and_applies_nothing(
        tmp_path: Path) -> None:
    db = str(tmp_path / "netq.db")
    bad = written(tmp_path, "plans:\n  - name: a\n    tests: [{kind: attempt, target: 'x:1'}]\n")
    result = subprocess.run([sys.executable, "-m", "netq", "fleet", "plan", "apply", str(bad),
                             "--db", db], capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "Error: " + f"{bad}:3: plans[0].tests[0].every: missing; how often to run, e.g. 15m"]
    store = Store.open(db)
    assert plans.latest(store) is None
    store.close()


def test_the_first_matching_plan_is_served_and_sets_are_kept(store: Store,
                                                             tmp_path: Path) -> None:
    minsk = registry_row("C-1")
    node2 = dataclasses.replace(registry_row("C-2"), region="Brest", node="node-2")
    other = dataclasses.replace(registry_row("C-3"), region="Brest")
    store.upsert_connections([minsk, node2, other])
    book = plans.PlanBook(store)
    assert book.for_probe("p1", {"C-1"}) is None  # nothing applied yet
    checked = load(written(tmp_path, PLANS))
    first = plans.apply(store, checked.plan_set, checked.source_sha256)
    served = {probe: book.for_probe(probe, {connection}) for probe, connection in
              [("p1", "C-1"), ("p2", "C-2"), ("p3", "C-3"), ("p4", "C-unregistered")]}
    assert {p: b["name"] for p, b in served.items() if b} == {
        "p1": "pon-minsk", "p2": "node-2", "p3": "everyone", "p4": "everyone"}
    assert served["p1"] == wire.body("pon-minsk", [LATENCY, ATTEMPT], {}, 120)
    assert served["p1"]["version"] == checked.versions["pon-minsk"]
    assert not wire.problems(served["p1"])
    # a new set is served from the next request; the old one stays, to read records by
    narrowed = {**PLANS, "plans": PLANS["plans"][:2]}
    second = load(written(tmp_path, narrowed, "narrow.yaml"))
    plans.apply(store, second.plan_set, second.source_sha256)
    assert book.for_probe("p3", {"C-3"}) is None
    assert book.for_probe("p1", {"C-1"})["version"] == checked.versions["pon-minsk"]
    assert [entry["id"] for entry in plans.history(store)] == [first, first + 1]
    assert plans.history(store)[0]["plans"] == checked.versions


def test_a_probe_refuses_a_plan_that_is_not_what_it_claims() -> None:
    envelope = Envelope.of(Limits(targets=TARGETS))
    good = wire.body("a", [ATTEMPT], {}, 60)
    assert parse(good, "test", envelope).tests[0].kind == "attempt"
    tampered = {**good, "tests": [{**ATTEMPT, "every": 1}]}
    with pytest.raises(ConfigError, match=r"version .* is not the digest of its content"):
        parse(tampered, "test", envelope)
    unknown = wire.body("a", [{**ATTEMPT, "kind": "quantum"}], {}, 60)
    with pytest.raises(ConfigError, match=r"tests\[0\].kind: 'quantum' is not a test kind"):
        parse(unknown, "test", envelope)
    with pytest.raises(ConfigError, match="schema is None"):
        parse({k: v for k, v in good.items() if k != "schema"}, "test", envelope)
    with pytest.raises(ConfigError, match="poll_every_s"):
        parse({**good, "poll_every_s": float("nan")}, "test", envelope)


@pytest.mark.slow  # a collector, a probe or the netq command started
def test_the_api_serves_the_plan_with_its_version_as_etag(db_url: str, tmp_path: Path) -> None:
    store = Store.open(db_url)
    store.upsert_connections([registry_row("C-1")])
    token = store.create_token("probe-1", ["C-1"])
    store.close()
    port = free_port()
    process = start_collector(db_url, port)
    url = f"http://127.0.0.1:{port}/api/v1/plan"
    auth = {"Authorization": f"Bearer {token}"}
    try:
        assert httpx.get(url).status_code == 401
        assert httpx.get(url, headers={"Authorization": "Bearer nope"}).status_code == 401
        none = httpx.get(url, headers=auth)
        assert none.status_code == 404
        assert "no plan" in none.json()["detail"]
        applied = subprocess.run([sys.executable, "-m", "netq", "fleet", "plan", "apply",
                                  str(written(tmp_path, PLANS)), "--db", db_url],
                                 capture_output=True, text=True, check=True)
        assert "applied as set #1" in applied.stdout
        served = httpx.get(url, headers=auth)
        assert served.status_code == 200
        body = served.json()
        assert (body["name"], served.headers["etag"]) == ("pon-minsk", f'"{body["version"]}"')
        again = httpx.get(url, headers={**auth, "If-None-Match": served.headers["etag"]})
        assert (again.status_code, again.content) == (304, b"")
        stale = httpx.get(url, headers={**auth, "If-None-Match": '"0000000000000000"'})
        assert stale.status_code == 200
        same = subprocess.run([sys.executable, "-m", "netq", "fleet", "plan", "apply",
                               str(written(tmp_path, PLANS)), "--db", db_url],
                              capture_output=True, text=True, check=True)
        assert same.stdout.startswith("unchanged")
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics").text
        assert 'netq_collector_plan_requests_total{code="304"} 1.0' in metrics
        assert 'netq_collector_plan_requests_total{code="401"} 2.0' in metrics
    finally:
        process.terminate()
        process.wait(10)


def test_a_record_s_plan_version_is_stored_and_part_of_its_identity(store: Store) -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 8, 15, 12, 0, tzinfo=UTC)
    record = latency_record(plan="0123456789abcdef")
    assert [a.status for a in store.ingest([record], now=now)] == ["accepted"]
    assert [a.status for a in store.ingest([record], now=now)] == ["duplicate"]
    with store.engine.connect() as db:
        assert db.execute(text("SELECT plan FROM results")).scalar_one() == "0123456789abcdef"
    other = {**record, "plan": "fedcba9876543210"}
    assert [a.status for a in store.ingest([other], now=now)] == ["conflict"]
    bad = latency_record(plan="v1")
    answer = store.ingest([bad], now=now)[0]
    assert answer.status == "rejected"
    assert any(reason.startswith("plan") for reason in answer.reasons)


def test_a_record_of_a_plan_never_applied_is_stored_flagged_and_counted(
        store: Store, tmp_path: Path) -> None:
    from datetime import UTC, datetime

    checked = load(written(tmp_path, PLANS))
    plans.apply(store, checked.plan_set, checked.source_sha256)
    now = datetime(2026, 8, 15, 12, 0, tzinfo=UTC)
    ours = latency_record(plan=checked.versions["everyone"])
    stray = latency_record(plan="0123456789abcdef")
    answers = store.ingest([ours, stray], now=now)
    assert (answers[0].status, answers[0].reasons) == ("accepted", ())
    assert answers[1].status == "accepted"
    assert "version 0123456789abcdef was never applied" in answers[1].reasons[0]
    with store.engine.connect() as db:
        flagged = db.execute(text("SELECT result_id, plan FROM unknown_plan_results")).all()
    assert [tuple(row) for row in flagged] == [(stray["id"], "0123456789abcdef")]
