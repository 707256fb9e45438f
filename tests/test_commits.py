"""Group commit: batches arriving while one commits go together into the next transaction,
each caller answered with its own rows once they are committed; ids never meet in one
transaction; a refused group is retried batch by batch; and on both stores, requests sent at
once with overlapping ids are each stored once."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from netq.collector import tables
from netq.collector.commits import GroupCommit
from netq.collector.store import Store
from tests.lab import wait_for
from tests.records import latency_record, registry_row


class Recorder:
    """A commit that holds its first transaction until `release` is set, so that the
    batches sent meanwhile wait together; refuses any transaction holding `bad`."""

    def __init__(self, bad: str | None = None) -> None:
        self.transactions: list[list[str]] = []
        self.entered, self.release = threading.Event(), threading.Event()
        self.bad = bad

    def __call__(self, rows: list[Mapping[str, Any]]) -> dict[str, str]:
        if not self.entered.is_set():
            self.entered.set()
            self.release.wait(10)
        ids = [str(r["id"]) for r in rows]
        assert len(ids) == len(set(ids)), "one id twice in a transaction"
        if self.bad in ids:
            raise ValueError(f"refused {self.bad}")
        self.transactions.append(ids)
        return {i: f"stored {i}" for i in ids}


def rows(*ids: str) -> list[dict[str, str]]:
    return [{"id": i} for i in ids]


def send_together(together: GroupCommit[str], recorder: Recorder,
                  batches: list[list[dict[str, str]]]) -> list[Any]:
    """The first batch starts a commit that waits; the others queue behind it."""
    with ThreadPoolExecutor(len(batches)) as pool:
        first = pool.submit(together.submit, batches[0])
        assert recorder.entered.wait(10)
        rest = [pool.submit(together.submit, batch) for batch in batches[1:]]
        wait_for(lambda: len(together._waiting) == len(rest), "the batches queued")
        recorder.release.set()
        outcomes: list[Any] = []
        for future in [first, *rest]:
            try:
                outcomes.append(future.result(10))
            except ValueError as exc:
                outcomes.append(exc)
    return outcomes


def test_batches_waiting_are_committed_together_each_answered_its_own() -> None:
    recorder = Recorder()
    together = GroupCommit(recorder)
    answers = send_together(together, recorder, [rows("a"), rows("b", "c"), rows("d")])
    assert answers == [{"a": "stored a"}, {"b": "stored b", "c": "stored c"},
                       {"d": "stored d"}]
    assert recorder.transactions[0] == ["a"]
    assert sorted(recorder.transactions[1]) == ["b", "c", "d"]  # one transaction for three


def test_one_id_never_twice_in_a_transaction_and_groups_keep_their_bound() -> None:
    recorder = Recorder()
    together = GroupCommit(recorder, max_rows=3)
    send_together(together, recorder, [rows("a"), rows("x", "y"), rows("x"), rows("z"),
                                       rows("w")])
    assert [sorted(t) for t in recorder.transactions] == [["a"], ["x", "y", "z"], ["w", "x"]]


def test_a_refused_group_is_committed_batch_by_batch() -> None:
    recorder = Recorder(bad="bad")
    together = GroupCommit(recorder)
    outcomes = send_together(together, recorder, [rows("a"), rows("b"), rows("bad", "c"),
                                                  rows("d")])
    assert outcomes[:2] == [{"a": "stored a"}, {"b": "stored b"}]
    assert isinstance(outcomes[2], ValueError)
    assert outcomes[3] == {"d": "stored d"}
    assert ["c"] not in recorder.transactions
    assert all(
        "c" not in t for t in recorder.transactions)


def test_requests_at_once_with_shared_ids_are_each_stored_once(store: Store) -> None:
    store.upsert_connections([registry_row("C-1")])
    records = [latency_record(id=str(uuid.uuid4())) for _ in range(400)]
    # 40 requests of 20, sent at once from 8 threads, the last 10 a resend of others
    batches = [records[i:i + 20] for i in range(0, 400, 20)]
    batches += batches[::2]
    with ThreadPoolExecutor(8) as pool:
        answers = [a for batch in pool.map(store.ingest, batches) for a in batch]
    statuses = [a.status for a in answers]
    assert statuses.count("accepted") == 400
    assert statuses.count("duplicate") == 200
    with store.engine.connect() as db:
        assert db.execute(select(func.count()).select_from(tables.results)).scalar_one() == 400
        assert db.execute(select(func.sum(tables.rollups.c.results_n))).scalar_one() == \
            400 * len(store.rollups.criteria)


@pytest.mark.parametrize("threads", [1, 8])
def test_a_record_the_store_refuses_costs_only_itself_when_grouped(
        store: Store, threads: int, monkeypatch: pytest.MonkeyPatch) -> None:
    store.upsert_connections([registry_row("C-1")])
    good = [[latency_record(id=str(uuid.uuid4())) for _ in range(5)] for _ in range(8)]
    refused = latency_record(id=str(uuid.uuid4()))
    stored = store._store

    def refusing(db: Any, rows: list[dict[str, Any]]) -> Any:
        if any(row["id"] == refused["id"] for row in rows):  # a value the database refuses
            raise IntegrityError("INSERT …", {}, ValueError("refused"))
        return stored(db, rows)

    monkeypatch.setattr(store, "_store", refusing)
    batches = [*good[:4], [*good[4], refused], *good[5:]]
    with ThreadPoolExecutor(threads) as pool:
        answers = [a for batch in pool.map(store.ingest, batches) for a in batch]
    by_id = {a.id: a.status for a in answers}
    assert by_id.pop(refused["id"]) == "rejected"
    assert set(by_id.values()) == {"accepted"}
    assert len(by_id) == 40
    assert store.count_results() == 40
