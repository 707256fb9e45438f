"""Draining the spool to the collector.

A record leaves the spool only when the collector has answered for it: accepted, duplicate
(it already had it: a resend after a lost answer) or rejected (it never will take it; logged
and counted). Anything else (collector down, network gone, 5xx, a bad token) keeps the
records and retries with jittered exponential backoff. Killed mid-upload, the probe sends the
batch again on restart and the collector answers `duplicate`: nothing lost, nothing twice.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from structlog.typing import FilteringBoundLogger
from tenacity import AsyncRetrying, retry_if_exception_type, wait_random_exponential

from netq.probe.config import Upload
from netq.probe.metrics import ProbeMetrics
from netq.probe.spool import Spool


class UploadError(Exception):
    """The batch was not answered; it stays in the spool."""


class Uploader:
    def __init__(self, spool: Spool, upload: Upload, metrics: ProbeMetrics,
                 log: FilteringBoundLogger) -> None:
        self.spool = spool
        self.endpoint = upload.url.rstrip("/") + "/api/v1/results"
        self.headers = {"Authorization": f"Bearer {upload.secret()}"}
        self.batch = upload.batch
        self.timeout_s = upload.timeout
        self.max_backoff_s = upload.max_backoff
        self.metrics = metrics
        self.log = log

    async def drain(self, client: httpx.AsyncClient) -> int:
        """Upload until the spool is empty; returns how many records left it."""
        sent = 0
        size = self.batch
        while records := self.spool.pending(size):
            try:
                response = await client.post(self.endpoint, json=records, headers=self.headers)
            except httpx.HTTPError as exc:
                raise UploadError(f"{type(exc).__name__}: {exc}") from exc
            if response.status_code == 413 and size > 1:
                size = max(1, size // 2)  # the collector's limit is lower than our batch
                continue
            answered = self._answered(response, records)
            self.spool.acknowledge(answered)
            self.metrics.spooled.set(len(self.spool))
            sent += len(answered)
        return sent

    def _answered(self, response: httpx.Response, records: list[dict[str, Any]]) -> list[str]:
        if response.status_code == 413:  # a single record over the limit: it never will fit
            self._rejected(records[0]["id"], [f"larger than the collector takes: "
                                              f"{response.text[:200]}"])
            return [records[0]["id"]]
        if response.status_code not in (200, 422):
            raise UploadError(f"collector answered {response.status_code}: {response.text[:300]}")
        try:
            results = response.json()["results"]
        except (ValueError, KeyError, TypeError) as exc:
            raise UploadError(f"collector answer is not a batch result: {exc}") from exc
        ids = []
        for result in results:
            if result.get("id") is None:
                continue
            self.metrics.uploaded.labels(result["status"]).inc()
            if result["status"] == "rejected":
                self._rejected(result["id"], result.get("reasons", []))
            ids.append(result["id"])
        return ids

    def _rejected(self, record_id: str, reasons: list[str]) -> None:
        self.log.error("record_rejected_by_collector", id=record_id, reasons=reasons)

    async def run(self, interval_s: float) -> None:
        """Drain, then wait `interval_s`, forever; failures back off up to max_backoff_s."""
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(UploadError),
            wait=wait_random_exponential(multiplier=1, max=self.max_backoff_s),
            before_sleep=lambda state: self.log.warning(
                "upload_failed", attempt=state.attempt_number,
                error=str(state.outcome.exception()) if state.outcome else None),
            reraise=True,
        )
        async with httpx.AsyncClient(timeout=self.timeout_s) as client:
            while True:
                sent = await retrying(self.drain, client)
                if sent:
                    self.log.info("uploaded", records=sent)
                await asyncio.sleep(interval_s)
