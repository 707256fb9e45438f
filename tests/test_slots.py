"""Admission for speed tests: the broker's slots worked out by hand, the day's moments with
their evening share, the slot API over HTTP, and real probes sharing two iperf3 ports
through it without one busy answer."""

from __future__ import annotations

import asyncio
import itertools
import random
import signal
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog
import yaml
from prometheus_client import CollectorRegistry

from netq.collector.slots import Lease, Refusal, Server, SlotBroker
from netq.collector.store import Store
from netq.probe.config import Server as ProbeServer
from netq.probe.config import Upload
from netq.probe.schedule import MINSK, day_moments, in_peak
from netq.probe.slots import Slot, SlotClient
from netq.probe.spool import Spool
from tests.lab import free_port, wait_for
from tests.records import registry_row
from tests.test_collector_api import start_collector

SERVER = Server("speed", "192.0.2.10", (5201, 5202))


def granted(answer: Lease | Refusal) -> Lease:
    assert isinstance(answer, Lease), answer
    return answer


def test_slots_are_the_earliest_free_on_any_port_and_never_overlap(store: Store) -> None:
    broker = SlotBroker(store.engine, horizon_s=100, rng=random.Random(1))
    a = granted(broker.lease("a", SERVER, 15, now=0))
    b = granted(broker.lease("b", SERVER, 15, now=0))
    assert (a.start, b.start) == (0, 0)
    assert {a.port, b.port} == {5201, 5202}
    c = granted(broker.lease("c", SERVER, 15, now=1))  # both taken until 15
    assert (c.start, c.end) == (15, 30)
    # a gives its slot back at 10: the rest of it serves the next request at once
    assert broker.release(a.id, "a", now=10)
    d = granted(broker.lease("d", SERVER, 5, now=10))
    assert (d.port, d.start) == (a.port, 10)
    # only the holder gives a slot back, and only once
    assert not broker.release(c.id, "a", now=11)
    assert not broker.release(a.id, "a", now=11)
    assert broker.holding(now=11) == 3


def test_a_slot_that_fits_before_a_later_lease_is_used(store: Store) -> None:
    broker = SlotBroker(store.engine, horizon_s=1000, rng=random.Random(1))
    one = Server("one", "192.0.2.10", (5201,))
    first = granted(broker.lease("a", one, 10, now=0))
    second = granted(broker.lease("b", one, 10, now=0))
    assert (first.start, second.start) == (0, 10)
    assert broker.release(first.id, "a", now=0)  # not begun: the whole slot is free
    fits = granted(broker.lease("c", one, 10, now=0))
    assert (fits.start, fits.end) == (0, 10)
    later = granted(broker.lease("d", one, 11, now=0))  # 11 s do not fit before b
    assert later.start == 20


def test_a_dead_probe_frees_its_port_when_its_lease_runs_out(store: Store) -> None:
    broker = SlotBroker(store.engine, horizon_s=100)
    one = Server("one", "192.0.2.10", (5201,))
    granted(broker.lease("dead", one, 15, now=0))  # never given back
    assert granted(broker.lease("b", one, 15, now=15)).start == 15
    assert broker.holding(now=31) == 0


def test_beyond_the_horizon_the_probe_is_told_when_to_ask_again(store: Store) -> None:
    broker = SlotBroker(store.engine, horizon_s=20)
    one = Server("one", "192.0.2.10", (5201,))
    granted(broker.lease("a", one, 15, now=0))
    granted(broker.lease("b", one, 15, now=0))  # starts at 15, within the horizon
    refused = broker.lease("c", one, 15, now=0)  # would start at 30
    assert isinstance(refused, Refusal)
    assert refused.retry_after_s == 11
    # a probe asking again gives up the slot it held: one exclusive test at a time
    again = granted(broker.lease("b", one, 15, now=1))
    assert again.start == 15
    assert broker.holding(now=1) == 2


def test_leases_are_the_stores_so_a_restarted_or_second_collector_knows_them(
        db_url: str) -> None:
    """Two brokers, each with its own engine (two collector processes, or one restarted),
    hand out one port's time once."""
    first, second = Store.open(db_url), Store.open(db_url)
    try:
        one = Server("one", "192.0.2.10", (5201,))
        a = granted(SlotBroker(first.engine).lease("a", one, 15, now=100))
        b = granted(SlotBroker(second.engine).lease("b", one, 15, now=101))
        assert (a.start, b.start) == (100, 115)
        assert SlotBroker(second.engine).release(a.id, "a", now=110)
        assert SlotBroker(first.engine).holding(now=110) == 1
    finally:
        first.close()
        second.close()


def test_collectors_leasing_at_once_never_double_book_a_port(postgres_url: str) -> None:
    """Four collectors' brokers, each on its own engine, lease one server's two ports from
    eight threads at once on the database's clock: no two leases of a port overlap, and the
    exclusion constraint refuses one written beside the broker."""
    import threading

    from sqlalchemy import select, text

    from netq.collector import tables
    from tests import pg

    db = pg.create_database(postgres_url)
    stores = [Store.open(db) for _ in range(4)]
    try:
        brokers = [SlotBroker(s.engine, horizon_s=3600) for s in stores]
        two = Server("two", "192.0.2.10", (5201, 5202))
        errors: list[BaseException] = []

        def lease_many(index: int) -> None:
            try:
                for n in range(15):
                    granted(brokers[index % 4].lease(f"p{index}-{n}", two, 5))
            except BaseException as exc:  # reported by the main thread
                errors.append(exc)

        threads = [threading.Thread(target=lease_many, args=(i,)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        leases = tables.slot_leases
        with stores[0].engine.connect() as connection:
            rows = connection.execute(select(leases.c.port, leases.c.starts_at, leases.c.ends_at)
                                      .order_by(leases.c.port, leases.c.starts_at)).all()
            assert len(rows) == 120
            for (port, _, end), (next_port, start, _) in itertools.pairwise(rows):
                assert port != next_port or end <= start
            first = rows[0]
            with pytest.raises(Exception, match="slot_leases_no_overlap"):
                connection.execute(text(
                    "INSERT INTO slot_leases VALUES ('x', 'x', 'two', :port, :start, :end)"),
                    {"port": first.port, "start": first.starts_at, "end": first.ends_at})
    finally:
        for s in stores:
            s.close()


@pytest.mark.parametrize(("every", "share", "runs", "in_the_peak"), [
    (3 * 3600, 0.25, 8, 2),      # 8 a day, a quarter of them from 19:00 to 23:00
    (4 * 3600, 0.5, 6, 3),
    (86_400, 1.0, 1, 1),
    (3600, 0.0, 24, 0),
])
def test_a_day_has_its_runs_and_the_stated_share_in_the_evening(
        every: float, share: float, runs: int, in_the_peak: int) -> None:
    rng = random.Random(7)
    for offset in range(30):
        day = date(2026, 12, 1) + timedelta(days=offset)
        moments = day_moments(day, every, share, rng)
        assert len(moments) == runs
        assert sum(in_peak(m) for m in moments) == in_the_peak
        assert all(m.astimezone(MINSK).date() == day for m in moments)
        assert moments == sorted(moments)
        # spread: one run in each equal stratum of the peak hours and of the rest
        peak_hours = sorted(m.astimezone(MINSK).hour for m in moments if in_peak(m))
        if in_the_peak == 2:
            assert peak_hours[0] < 21 <= peak_hours[1]


def test_a_fraction_of_runs_a_day_is_kept_on_average() -> None:
    rng = random.Random(3)
    days = [day_moments(date(2026, 12, 1) + timedelta(days=d), 5 * 3600, 0.3, rng)
            for d in range(2000)]
    per_day = sum(len(m) for m in days) / len(days)
    share = sum(in_peak(x) for m in days for x in m) / sum(len(m) for m in days)
    assert per_day == pytest.approx(86_400 / (5 * 3600), abs=0.05)
    assert share == pytest.approx(0.3, abs=0.01)


def enrolled(db: str, names: list[str]) -> dict[str, str]:
    """A store with a connection C-NAME for each probe NAME, and the probe's token."""
    store = Store.open(db)
    store.upsert_connections([registry_row(f"C-{n}") for n in names])
    tokens = {n: store.create_token(n, [f"C-{n}"]) for n in names}
    store.close()
    return tokens


SPEED_PLAN = [{"kind": "throughput", "every": "4h", "server": "speed", "direction": "down"}]
# a test holding its server 400 s: 2 s warm-up, 395 measured, 3 to set up and report
LONG_PLAN = [{**SPEED_PLAN[0], "duration": 395}]
# these probes' envelope: a speed test every 6 s on loopback, a lab's pace, not a line's
FAST = {"every_min": {"throughput": 6}}


def apply(tmp_path: Path, db: str, ports: list[int], tests: list[dict[str, Any]]) -> None:
    plans = {"poll_every": 1, "servers": {"speed": {"host": "127.0.0.1", "ports": ports}},
             "limits": {**FAST, "test_seconds_max": 600},
             "plans": [{"name": "all", "tests": tests}]}
    (tmp_path / "plans.yaml").write_text(yaml.safe_dump(plans))
    subprocess.run([sys.executable, "-m", "netq", "fleet", "plan", "apply",
                    str(tmp_path / "plans.yaml"), "--db", db], check=True, capture_output=True)


@pytest.mark.slow  # a collector, a probe or the netq command started
def test_the_slot_api_leases_gives_back_and_refuses_by_name(tmp_path: Path) -> None:
    db = str(tmp_path / "netq.db")
    tokens = list(enrolled(db, ["p1", "p2"]).values())
    apply(tmp_path, db, [5201], LONG_PLAN)
    port = free_port()
    collector = start_collector(db, port)
    url = f"http://127.0.0.1:{port}/api/v1/slots"
    auth = [{"Authorization": f"Bearer {t}"} for t in tokens]
    try:
        assert httpx.post(url, json={"server": "speed", "seconds": 15}).status_code == 401
        for body in ({"server": "speed"}, {"server": "speed", "seconds": 0},
                     {"server": "speed", "seconds": True}, [1], {"server": 1, "seconds": 5},
                     {"server": "speed", "seconds": 5, "extra": 1}):
            assert httpx.post(url, json=body, headers=auth[0]).status_code == 422, body
        assert httpx.post(url, content=b"{", headers=auth[0]).status_code == 422
        unknown = httpx.post(url, json={"server": "nope", "seconds": 15}, headers=auth[0])
        assert (unknown.status_code, "nope" in unknown.json()["detail"]) == (404, True)
        # asked for longer than its plan's test holds the server: leased for that test
        first = httpx.post(url, json={"server": "speed", "seconds": 900}, headers=auth[0])
        assert first.status_code == 200
        assert first.json()["target"] == "127.0.0.1:5201"
        assert (first.json()["wait_s"], first.json()["seconds"]) == (0, 400)
        second = httpx.post(url, json={"server": "speed", "seconds": 400}, headers=auth[1])
        assert second.status_code == 200
        assert 399 < second.json()["wait_s"] <= 400
        # p1 asks again: its first lease ends, and 15 s fit before p2's slot
        third = httpx.post(url, json={"server": "speed", "seconds": 15}, headers=auth[0])
        assert third.status_code == 200
        assert third.json()["wait_s"] < 1
        lease = second.json()["lease"]
        assert httpx.delete(f"{url}/{lease}", headers=auth[0]).status_code == 404  # not p1's
        assert httpx.delete(f"{url}/{lease}", headers=auth[1]).status_code == 204
        assert httpx.delete(f"{url}/{lease}", headers=auth[1]).status_code == 404
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics").text
        assert 'netq_collector_slot_requests_total{result="granted"} 3.0' in metrics
        assert 'netq_collector_slot_requests_total{result="released"} 1.0' in metrics
    finally:
        collector.terminate()
        collector.wait(10)


@pytest.mark.slow  # a collector, a probe or the netq command started
def test_a_probe_leases_and_learns_only_the_servers_its_own_plan_names(
        tmp_path: Path) -> None:
    """A probe's token cannot hold another group's server, nor learn its address."""
    db = str(tmp_path / "netq.db")
    tokens = enrolled(db, ["p1", "p2"])
    plans = {"poll_every": 1, "limits": FAST,
             "servers": {"speed": {"host": "127.0.0.1", "ports": [5201]},
                         "private": {"host": "127.0.0.9", "ports": [5301]}},
             "plans": [{"name": "p1-only", "match": {"probe_id": "p1"},
                        "tests": [{**SPEED_PLAN[0], "server": "private"}]},
                       {"name": "all", "tests": SPEED_PLAN}]}
    (tmp_path / "plans.yaml").write_text(yaml.safe_dump(plans))
    subprocess.run([sys.executable, "-m", "netq", "fleet", "plan", "apply",
                    str(tmp_path / "plans.yaml"), "--db", db], check=True, capture_output=True)
    port = free_port()
    collector = start_collector(db, port)
    url = f"http://127.0.0.1:{port}/api/v1/slots"
    try:
        asked = {name: {server: httpx.post(url, json={"server": server, "seconds": 15},
                                           headers={"Authorization": f"Bearer {token}"})
                        for server in ("speed", "private")}
                 for name, token in tokens.items()}
        assert asked["p1"]["private"].json()["target"] == "127.0.0.9:5301"
        assert asked["p1"]["speed"].status_code == 404
        assert asked["p2"]["private"].status_code == 404
        assert "127.0.0.9" not in asked["p2"]["private"].text
        assert asked["p2"]["speed"].status_code == 200
    finally:
        collector.terminate()
        collector.wait(10)


@pytest.mark.slow  # a collector, a probe or the netq command started
def test_a_full_server_is_answered_with_when_to_ask_again(tmp_path: Path) -> None:
    db = str(tmp_path / "netq.db")
    tokens = list(enrolled(db, ["p0", "p1", "p2"]).values())
    apply(tmp_path, db, [5201], LONG_PLAN)
    port = free_port()
    collector = start_collector(db, port)
    url = f"http://127.0.0.1:{port}/api/v1/slots"
    try:
        answers = [httpx.post(url, json={"server": "speed", "seconds": 400},
                              headers={"Authorization": f"Bearer {t}"}) for t in tokens]
        assert [a.status_code for a in answers] == [200, 200, 503]
        assert 199 < answers[2].json()["retry_after_s"] <= 201
        assert answers[2].headers["retry-after"] in ("200", "201")
    finally:
        collector.terminate()
        collector.wait(10)


@pytest.mark.slow  # a collector, a probe or the netq command started
def test_a_probe_told_to_slow_down_asks_again_rather_than_run_unbrokered(
        tmp_path: Path) -> None:
    """429 carries when to ask again, as a full server's 503 does: the probe waits and asks,
    it does not take a port at random beside another probe's test."""
    db = str(tmp_path / "netq.db")
    token = enrolled(db, ["p1"])["p1"]
    apply(tmp_path, db, [5201], SPEED_PLAN)
    (tmp_path / "collector.yaml").write_text("probe_requests_per_second: 1\n"
                                             "probe_requests_burst: 1\n")
    port = free_port()
    collector = start_collector(db, port, "--config", str(tmp_path / "collector.yaml"))
    registry = CollectorRegistry()
    client = SlotClient(Upload(url=f"http://127.0.0.1:{port}", token=token), registry,
                        structlog.get_logger())
    speed = ProbeServer(host="127.0.0.1", ports=[5201])

    async def twice() -> list[Slot]:
        return [await client.take("speed", speed, 15) for _ in range(2)]

    try:
        slots = asyncio.run(twice())
    finally:
        collector.terminate()
        collector.wait(10)
    assert all(slot.lease for slot in slots)  # both from the broker, none chosen at random
    count = registry.get_sample_value
    assert count("netq_probe_slot_requests_total", {"result": "limited"}) == 1
    assert count("netq_probe_slot_requests_total", {"result": "fallback"}) == 0


def probe_config(tmp_path: Path, name: str, collector_port: int, token: str) -> Path:
    config = {
        "probe_id": name, "connection_id": f"C-{name}", "technology": "ethernet",
        "spool": str(tmp_path / f"{name}.db"), "metrics_listen": f"127.0.0.1:{free_port()}",
        "limits": FAST, "collector": {"url": f"http://127.0.0.1:{collector_port}", "token": token,
                      "every": 1, "plan_every": 0.5},
    }
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.mark.slow  # a collector, a probe or the netq command started
def test_probes_sharing_two_ports_through_the_broker_never_meet(tmp_path: Path) -> None:
    """Three probes, a speed test each every 6 s holding a port 4 s: without slots they would
    meet on a port about every other test; with them, never."""

    ports = [free_port(), free_port()]
    servers = [subprocess.Popen(["iperf3", "-s", "-B", "127.0.0.1", "-p", str(p)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
               for p in ports]
    db = str(tmp_path / "netq.db")
    names = ["pa", "pb", "pc"]
    tokens = enrolled(db, names)
    # loopback has no rate of its own: offered at 50 Mbit/s, the tests are not bound by the
    # probes' CPU (which they would rightly flag, probe_overloaded)
    apply(tmp_path, db, ports, [{"kind": "throughput", "every": 6, "server": "speed",
                                 "direction": "down", "duration": 1, "omit": 0,
                                 "busy_attempts": 1, "bitrate": 50e6}])
    port = free_port()
    collector = start_collector(db, port)
    probes = [subprocess.Popen([sys.executable, "-m", "netq", "probe", "run", "--config",
                                str(probe_config(tmp_path, n, port, tokens[n]))],
                               stderr=(tmp_path / f"{n}.log").open("wb")) for n in names]
    try:
        wait_for(lambda: all(len(Spool(tmp_path / f"{n}.db")) + stored(db, n) >= 4
                             for n in names), "four speed tests of each probe", timeout_s=90)
    finally:
        for process in probes:
            process.send_signal(signal.SIGTERM)
        for process in probes:
            process.wait(15)
        collector.terminate()
        collector.wait(10)
        for server in servers:
            server.kill()
            server.wait()
    records = [r for n in names for r in Spool(tmp_path / f"{n}.db").pending(1000)]
    records += stored_records(db)
    assert len(records) >= 12
    assert all(r["ok"] for r in records), [r["error"] for r in records if not r["ok"]]
    assert {r["target"] for r in records} <= {f"127.0.0.1:{p}" for p in ports}
    assert all(r["plan"] for r in records)
    # on each port, one test at a time
    for target in {r["target"] for r in records}:
        spans = sorted((r["started_at"], r["ended_at"]) for r in records
                       if r["target"] == target)
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert start >= end, (target, spans)


def stored(db: str, probe: str) -> int:
    return sum(1 for r in stored_records(db) if r["probe_id"] == probe)


def stored_records(db: str) -> list[dict[str, Any]]:
    """The stored results, their instants as a record writes them."""
    from sqlalchemy import select

    from netq.collector import tables
    from netq.record import rfc3339

    store = Store.open(db)
    with store.engine.connect() as connection:
        rows = [dict(row) for row in connection.execute(select(tables.results)).mappings()]
    store.close()
    return [{**row, "started_at": rfc3339(row["started_at"]),
             "ended_at": rfc3339(row["ended_at"])} for row in rows]


def test_a_broker_that_fails_to_answer_is_asked_again_before_a_port_is_chosen(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Behind a proxy, a request that reached a collector dying under it (a 502, a reset)
    goes to another when asked again: the probe does not take a port at random beside
    another probe's test after one failure."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from netq.probe import slots

    monkeypatch.setattr(slots, "BROKER_RETRY_S", (0.01, 0.02))
    answers = iter([502, 200, 504, 502, 500])

    class Broker(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            status = next(answers)
            body = json.dumps({"target": "127.0.0.1:5202", "wait_s": 0, "lease": "L-1"}
                              if status == 200 else {"error": "bad gateway"}).encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Broker)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    registry = CollectorRegistry()
    client = SlotClient(Upload(url=f"http://127.0.0.1:{server.server_port}", token="t" * 43),
                        registry, structlog.get_logger())
    speed = ProbeServer(host="127.0.0.1", ports=[5201, 5202])
    try:
        granted = asyncio.run(client.take("speed", speed, 15))
        given_up = asyncio.run(client.take("speed", speed, 15))  # three failures in a row
    finally:
        server.shutdown()
    assert granted == Slot("127.0.0.1:5202", 0.0, "L-1")
    assert given_up.lease is None  # then, and only then, a port of its own choosing
    count = registry.get_sample_value
    assert count("netq_probe_slot_requests_total", {"result": "granted"}) == 1
    assert count("netq_probe_slot_requests_total", {"result": "fallback"}) == 1
