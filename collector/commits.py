"""Group commit: the batches of requests that arrive while a transaction commits are stored
together in the next one, so a collector's commits do not grow with its requests.

Each caller hands over its rows and waits; whoever finds no commit under way commits
every batch waiting (oldest first, up to `max_rows`, never two rows with one id in one
transaction), and each caller is answered once its own rows are committed. A group that the
database refuses is committed again batch by batch, so that one batch's bad value is never
another's failure; a batch refused on its own gets the refusal, as without grouping.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

Answer = TypeVar("Answer")
Row = Mapping[str, Any]


@dataclass(eq=False)
class _Batch(Generic[Answer]):
    rows: Sequence[Row]
    ids: frozenset[str]
    answers: dict[str, Answer] | None = None
    error: BaseException | None = None
    done: bool = field(default=False)


class GroupCommit(Generic[Answer]):
    def __init__(self, commit: Callable[[list[Row]], Mapping[str, Answer]],
                 max_rows: int = 5000) -> None:
        """`commit(rows)` stores rows in one transaction and answers each by its id."""
        self._commit = commit
        self.max_rows = max_rows
        self._turn = threading.Condition()
        self._waiting: list[_Batch[Answer]] = []
        self._committing = False

    def submit(self, rows: Sequence[Row]) -> dict[str, Answer]:
        """Each row's answer, once the transaction holding them is committed."""
        mine: _Batch[Answer] = _Batch(rows, frozenset(str(r["id"]) for r in rows))
        with self._turn:
            self._waiting.append(mine)
            while not mine.done:
                if self._committing:
                    self._turn.wait()
                    continue
                self._committing = True
                group = self._take()
                self._turn.release()
                try:
                    self._run(group)
                finally:
                    self._turn.acquire()
                    self._committing = False
                    self._turn.notify_all()
        if mine.error is not None:
            raise mine.error
        assert mine.answers is not None
        return mine.answers

    def _take(self) -> list[_Batch[Answer]]:
        """The waiting batches that go together: oldest first, ids apart, within max_rows."""
        group: list[_Batch[Answer]] = []
        ids: set[str] = set()
        rows = 0
        for batch in self._waiting:
            if group and (rows + len(batch.rows) > self.max_rows or not ids.isdisjoint(batch.ids)):
                continue
            group.append(batch)
            ids |= batch.ids
            rows += len(batch.rows)
        self._waiting = [batch for batch in self._waiting if batch not in group]
        return group

    def _run(self, group: list[_Batch[Answer]]) -> None:
        try:
            answers = self._commit([row for batch in group for row in batch.rows])
        except Exception as exc:
            if len(group) == 1:
                group[0].error = exc
                group[0].done = True
                return
            for batch in group:  # each on its own: one batch's bad value fails only it
                self._run([batch])
            return
        for batch in group:
            batch.answers = {key: answers[key] for key in batch.ids}
            batch.done = True
