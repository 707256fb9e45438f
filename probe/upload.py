"""Draining the spool to the collector.

A record leaves the spool only when the collector holds it: accepted, or duplicate (it
already had it: a resend after a lost answer). One it will not take as it is (rejected,
conflict, too large) moves to the spool's quarantine with the collector's reasons; one whose
connection it has not registered yet is offered again after `unregistered_retry`. Anything
else (collector down, network gone, 5xx, a bad token) keeps the records and retries with
jittered exponential backoff; a collector that says when to come back (429 or 503 with
Retry-After) is not asked sooner, up to the probe's own `max_backoff`. Killed mid-upload,
the probe sends the batch again on restart and the collector answers `duplicate`: nothing
lost, nothing twice.
"""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from structlog.typing import FilteringBoundLogger
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    wait_random_exponential,
)

from netq.errors import ConfigError
from netq.probe.config import Upload
from netq.probe.metrics import ProbeMetrics
from netq.probe.spool import Spool
from netq.record import HELD, REFUSED


class UploadError(Exception):
    """The batch was not answered; it stays in the spool. `retry_after_s`: when the
    collector said to come back."""

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


def retry_after(response: httpx.Response) -> float | None:
    """Retry-After in seconds: a number of seconds or an HTTP date (RFC 9110 10.2.3)."""
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class Uploader:
    def __init__(self, spool: Spool, upload: Upload, metrics: ProbeMetrics,
                 log: FilteringBoundLogger) -> None:
        self.spool = spool
        self.endpoint = upload.url.rstrip("/") + "/api/v1/results"
        self.upload = upload
        self.batch = upload.batch
        self.timeout_s = upload.timeout
        self.max_backoff_s = upload.max_backoff
        self.unregistered_retry_s = upload.unregistered_retry
        self.metrics = metrics
        self.log = log
        self._backoff = wait_random_exponential(multiplier=1, max=self.max_backoff_s)

    async def drain(self, client: httpx.AsyncClient) -> int:
        """Upload until nothing is due; returns how many records the collector now holds."""
        sent = 0
        size = self.batch
        while records := self.spool.pending(size):
            try:
                response = await client.post(self.endpoint, json=records,
                                             headers=self.upload.bearer())
            except httpx.HTTPError as exc:
                raise UploadError(f"{type(exc).__name__}: {exc}") from exc
            except ConfigError as exc:  # the token file is away for a moment: try again
                raise UploadError(str(exc)) from exc
            if response.status_code == 413 and size > 1:
                size = max(1, size // 2)  # the collector's limit is lower than our batch
                continue
            sent += self._settle(response, records)
            self.metrics.spooled.set(len(self.spool))
            self.metrics.quarantined.set(self.spool.quarantined_total)
        return sent

    def _settle(self, response: httpx.Response, records: list[dict[str, Any]]) -> int:
        """Act on the collector's answer for each record; how many it holds."""
        if response.status_code == 413:  # a single record over the limit: it never will fit
            reason = f"larger than the collector takes: {response.text[:200]}"
            self._quarantine([(records[0]["id"], "too_large", [reason])])
            return 0
        if response.status_code not in (200, 422):
            raise UploadError(f"collector answered {response.status_code}: {response.text[:300]}",
                              retry_after(response))
        try:
            results = response.json()["results"]
            answered = {r["id"]: r for r in results if isinstance(r.get("id"), str)}
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise UploadError(f"collector answer is not a batch result: {exc}") from exc
        held: list[str] = []
        later: list[str] = []
        refused: list[tuple[str, str, list[str]]] = []
        for record in records:
            result = answered.get(record["id"])
            if result is None:
                continue  # not answered for: it stays, and goes again
            status = str(result.get("status"))
            self.metrics.uploaded.labels(status).inc()
            if status in HELD:
                held.append(record["id"])
            elif status in REFUSED:
                refused.append((record["id"], status, list(result.get("reasons") or [])))
            else:  # unregistered, or an answer this probe does not know: offered again later
                later.append(record["id"])
                self.log.warning("record_not_taken_yet", id=record["id"], status=status,
                                 reasons=result.get("reasons"))
        self.spool.acknowledge(held)
        self._quarantine(refused)
        self.spool.defer(later, self.unregistered_retry_s)
        return len(held)

    def _quarantine(self, entries: list[tuple[str, str, list[str]]]) -> None:
        for record_id, status, reasons in entries:
            self.log.error("record_quarantined", id=record_id, status=status, reasons=reasons)
        self.spool.quarantine(entries)

    async def run(self, interval_s: float) -> None:
        """Drain, then wait `interval_s`, forever; failures back off up to max_backoff_s."""
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(UploadError),
            wait=self._wait,
            before_sleep=lambda state: self.log.warning(
                "upload_failed", attempt=state.attempt_number,
                error=str(state.outcome.exception()) if state.outcome else None),
            reraise=True,
        )
        async with httpx.AsyncClient(timeout=self.timeout_s) as client:
            while True:
                sent: int = await retrying(self.drain, client)
                if sent:
                    self.log.info("uploaded", records=sent)
                await asyncio.sleep(interval_s)

    def _wait(self, state: RetryCallState) -> float:
        """Backoff before the next try: jittered exponential, but never sooner than the
        collector asked (itself jittered, so that a fleet told alike does not come back at
        once), and never longer than the probe's own bound."""
        chosen = self._backoff(state)
        error = state.outcome.exception() if state.outcome else None
        asked = getattr(error, "retry_after_s", None)
        if asked is not None:
            chosen = max(chosen, asked * random.uniform(1.0, 1.2))
        return min(chosen, self.max_backoff_s)
