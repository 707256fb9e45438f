"""Several collectors on one PostgreSQL store, behind a round-robin proxy, as
docs/operations.md deploys them: real probes lease slots through whichever collector the
proxy picks and never meet on a port; a sender's batches are each stored once although the
collector taking them is killed mid-ingest; and the store's gauges (the quarter, the lines)
are exported by one collector at a time, the survivor taking over."""

from __future__ import annotations

import itertools
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sqlalchemy import func, select

from netq.collector import tables
from netq.collector.store import Store
from netq.probe.spool import Spool
from netq.record import HELD, rfc3339
from tests import pg
from tests.lab import free_port, wait_for
from tests.proxy import round_robin
from tests.records import latency_record, registered_probe
from tests.test_collector_api import start_collector
from tests.test_slots import apply, enrolled, probe_config, stored_records

SETTINGS = "compliance_every: 0.5\nlines_every: 0.5\n"
BATCHES, PER_BATCH = 60, 25


def metrics(port: int) -> str:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    except httpx.HTTPError:
        return ""


def leads(port: int) -> bool:
    return "netq_collector_leader 1.0" in metrics(port)


def store_series(text: str) -> set[str]:
    """The store's gauges a collector exports (the per-process ones left out)."""
    return {m for m in re.findall(r"^(netq_(?:compliance|connection|line_norm|report)\w*)\{",
                                  text, re.M)}


class Sender:
    """A bulk sender as a probe's uploader behaves: a batch is sent again until an answer
    says every record is held."""

    def __init__(self, url: str, token: str) -> None:
        self.url, self.token = url, token
        now = datetime.now(UTC)
        self.batches = [[latency_record(
            id=str(uuid.uuid4()), probe_id="bulk", connection_id="C-bulk",
            started_at=rfc3339(now - timedelta(minutes=5 + b * PER_BATCH + r)),
            ended_at=rfc3339(now - timedelta(minutes=5 + b * PER_BATCH + r, seconds=-13)))
            for r in range(PER_BATCH)] for b in range(BATCHES)]
        self.final: dict[str, str] = {}
        self.resent = 0
        self.sent = threading.Event()  # a third of the batches are through

    def run(self) -> None:
        # a connection per batch, so the proxy deals the batches out in turn
        with httpx.Client(headers={"Authorization": f"Bearer {self.token}"}, timeout=30,
                          limits=httpx.Limits(max_keepalive_connections=0)) as client:
            for number, batch in enumerate(self.batches):
                while True:
                    try:
                        answer = client.post(self.url, json=batch)
                        if answer.status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    self.resent += 1
                    time.sleep(0.2)
                for result in answer.json()["results"]:
                    self.final[result["id"]] = result["status"]
                if number == BATCHES // 3:
                    self.sent.set()


@pytest.mark.slow  # collectors, probes and iperf3 started
def test_two_collectors_behind_a_proxy_share_slots_records_and_one_set_of_gauges(
        tmp_path: Path, postgres_url: str) -> None:
    db = pg.create_database(postgres_url)
    names = ["pa", "pb", "pc"]
    tokens = enrolled(db, names)
    bulk = registered_probe(db, "bulk", "C-bulk")
    ports = [free_port(), free_port()]
    apply(tmp_path, db, ports, [{"kind": "throughput", "every": 6, "server": "speed",
                                 "direction": "down", "duration": 1, "omit": 0,
                                 "busy_attempts": 1, "bitrate": 50e6}])
    (tmp_path / "collector.yaml").write_text(SETTINGS)
    collector_ports = [free_port(), free_port()]
    proxy = free_port()
    servers = [subprocess.Popen(["iperf3", "-s", "-B", "127.0.0.1", "-p", str(p)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
               for p in ports]
    collectors = {port: start_collector(db, port, "--config", str(tmp_path / "collector.yaml"))
                  for port in collector_ports}
    probes: list[subprocess.Popen[bytes]] = []
    try:
        with round_robin(proxy, collector_ports):
            wait_for(lambda: sum(leads(p) for p in collector_ports) == 1, "one leader")
            leader = next(p for p in collector_ports if leads(p))
            follower = next(p for p in collector_ports if p != leader)
            probes = [subprocess.Popen(
                [sys.executable, "-m", "netq", "probe", "run", "--config",
                 str(probe_config(tmp_path, n, proxy, tokens[n]))],
                stderr=(tmp_path / f"{n}.log").open("wb")) for n in names]
            sender = Sender(f"http://127.0.0.1:{proxy}/api/v1/results", bulk)
            sending = threading.Thread(target=sender.run)
            sending.start()
            assert sender.sent.wait(60), "the sender's first batches"
            # the store's gauges come from the leader alone
            wait_for(lambda: "netq_connection_rtt_mean_seconds" in store_series(
                metrics(leader)), "the lines' readings on the leader")
            assert "netq_compliance_share_ratio" in store_series(metrics(leader))
            assert store_series(metrics(follower)) == set()
            # the leader dies mid-ingest (frozen first, so that a batch is surely in its
            # hands): the sender sends that batch again, the proxy passes the dead one over,
            # and the follower takes the lead
            collectors[leader].send_signal(signal.SIGSTOP)
            time.sleep(1)
            collectors[leader].kill()
            collectors[leader].wait(10)
            sending.join(120)
            assert not sending.is_alive(), "the sender's batches"
            wait_for(lambda: leads(follower), "the follower leading", timeout_s=20)
            wait_for(lambda: "netq_connection_rtt_mean_seconds" in store_series(
                metrics(follower)), "the lines' readings on the new leader")
            # back after a restart, it follows: one set of gauges still
            collectors[leader] = start_collector(db, leader, "--config",
                                                 str(tmp_path / "collector.yaml"))
            time.sleep(1.5)  # three turns of its refresher
            assert not leads(leader)
            assert store_series(metrics(leader)) == set()
            wait_for(lambda: all(len(Spool(tmp_path / f"{n}.db")) + stored(db, n) >= 4
                                 for n in names), "four speed tests of each probe",
                     timeout_s=90)
            # every slot came from a broker: a probe that met the dying collector asked
            # again through the proxy rather than take a port beside another's test
            for n in names:
                listen = yaml.safe_load((tmp_path / f"{n}.yaml").read_text())["metrics_listen"]
                fallbacks = re.search(r'netq_probe_slot_requests_total\{result="fallback"\} '
                                      r'(\S+)', httpx.get(f"http://{listen}/metrics").text)
                assert fallbacks is not None
                assert float(fallbacks.group(1)) == 0, (n, (tmp_path / f"{n}.log").read_text())
    finally:
        for process in probes:
            process.send_signal(signal.SIGTERM)
        for process in probes:
            process.wait(15)
        for process in collectors.values():
            process.terminate()
            process.wait(10)
        for server in servers:
            server.kill()
            server.wait()

    assert sender.resent >= 1  # the batch the killed collector held
    sent = {r["id"] for batch in sender.batches for r in batch}
    assert set(sender.final) == sent
    assert set(sender.final.values()) <= set(HELD)
    store = Store.open(db)
    results = tables.results
    with store.engine.connect() as connection:
        kept = connection.execute(select(results.c.id).where(
            results.c.connection_id == "C-bulk")).scalars().all()
        rollup_sessions = connection.execute(select(func.sum(tables.rollups.c.results_n)).where(
            tables.rollups.c.connection_id == "C-bulk")).scalar_one()
    store.close()
    assert sorted(kept) == sorted(sent)  # each record once: none lost, none twice
    # each once in the rollups of every profile's criteria too
    assert rollup_sessions == len(sent) * len(rollup_criteria(db))
    records = [r for n in names for r in Spool(tmp_path / f"{n}.db").pending(1000)]
    records += [r for r in stored_records(db) if r["connection_id"] != "C-bulk"]
    assert all(r["ok"] for r in records), [r["error"] for r in records if not r["ok"]]
    for target in {r["target"] for r in records}:  # one test at a time on each port
        spans = sorted((r["started_at"], r["ended_at"]) for r in records
                       if r["target"] == target)
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert start >= end, (target, spans)


def stored(db: str, probe: str) -> int:
    store = Store.open(db)
    with store.engine.connect() as connection:
        n = connection.execute(select(func.count()).select_from(tables.results).where(
            tables.results.c.probe_id == probe)).scalar_one()
    store.close()
    return int(n)


def rollup_criteria(db: str) -> list[Any]:
    store = Store.open(db)
    with store.engine.connect() as connection:
        rows = connection.execute(select(tables.rollup_criteria.c.criteria)).scalars().all()
    store.close()
    return list(rows)


def test_one_collector_leads_until_it_stops_or_loses_its_session(postgres_url: str) -> None:
    from sqlalchemy import text

    from netq.collector.leader import Leadership

    db = pg.create_database(postgres_url)
    stores = [Store.open(db) for _ in range(3)]
    try:
        first, second, third = (Leadership(s.engine) for s in stores)
        assert [first.held(), second.held(), first.held()] == [True, False, True]
        first.close()  # stopped: the next to ask leads
        assert [second.held(), first.held()] == [True, False]
        # the leader's session ends under it (a database restart, a network cut)
        with stores[2].engine.connect() as connection:
            connection.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' "
                "AND objsubid = 1 AND granted"))
        assert [second.held(), third.held(), second.held()] == [False, True, False]
        third.close()
    finally:
        for store in stores:
            store.close()
