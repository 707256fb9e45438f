"""`netq probe run`: schedule the configured tests, spool every record, export metrics.

How a test runs is its prober's scheduling class, never its kind. A background or exclusive
test runs once per period of `every` seconds at a random moment of the period, so a fleet of
probes does not hit a measurement server in step, and the samples do not lock onto a daily
pattern. Exclusive tests (speed) never overlap on one probe, they would measure each other,
and wait while the subscriber uses the line. A continuous test checks on the clock and its
up/down states become interval records.
"""

from __future__ import annotations

import asyncio
import random
import signal
from typing import Any

import structlog
from prometheus_client import start_http_server
from structlog.typing import FilteringBoundLogger

from netq.address import split_host_port
from netq.logging import configure
from netq.probe import crosstraffic
from netq.probe.config import RETIRED, Config, CrossTraffic, Test
from netq.probe.intervals import IntervalTracker
from netq.probe.metrics import ProbeMetrics
from netq.probe.probers import PROBERS
from netq.probe.runner import run_test
from netq.probe.spool import Spool
from netq.record import Identity, Outcome, Record, now
from netq.sdnotify import keep_alive


class Daemon:
    def __init__(self, config: Config, log: FilteringBoundLogger) -> None:
        self.config = config
        self.log = log
        self.identity = Identity(config.probe_id, config.connection_id)
        self.spool = Spool(config.spool, config.spool_max_records, config.spool_when_full)
        self.metrics = ProbeMetrics(config.probe_id, config.connection_id, config.technology)
        self.speed_test = asyncio.Lock()

    def keep(self, record: Record) -> None:
        """Spool first: a record exists once it is committed here."""
        if not self.spool.append(record.to_json()):
            self.log.error("record_dropped_disk_full", id=record.id, kind=record.kind,
                           spool=str(self.config.spool), policy=self.config.spool_when_full)
        self.metrics.spooled.set(len(self.spool))
        self.metrics.dropped.set(self.spool.dropped_total)
        self.log.info("record", kind=record.kind, id=record.id, ok=record.outcome.ok,
                      exclusion=record.outcome.exclusion, error=record.outcome.error)

    async def periods(self, test: Test) -> None:
        """Run the test at a random moment of each successive period of `every` seconds."""
        loop = asyncio.get_running_loop()
        period_start = loop.time()
        while True:
            moment = period_start + random.uniform(0, test.every)
            await asyncio.sleep(max(0.0, moment - loop.time()))
            await self.run_test(test)
            # the next period follows this one, or starts now if the test overran it
            period_start = max(period_start + test.every, loop.time())

    async def run_test(self, test: Test) -> None:
        if PROBERS[test.kind].scheduling != "exclusive":
            self.finished(await run_test(test.kind, test.params, self.identity, self.log))
            return
        async with self.speed_test:
            cross = self.config.cross_traffic
            if cross is not None and not await self.quiet_line(test, cross):
                return  # deferred as often as allowed: no speed test this period, on record
            self.finished(await run_test(test.kind, test.params, self.identity, self.log))

    async def quiet_line(self, test: Test, cross: CrossTraffic) -> bool:
        """Wait until the subscriber is not using the line, recording each deferral;
        False when it stayed busy through every allowed deferral."""
        for deferrals in range(cross.max_deferrals + 1):
            deferral = await self.deferral(test, cross)
            if deferral is None:
                return True
            self.metrics.deferrals.inc()
            self.finished(deferral)
            if deferrals < cross.max_deferrals:
                await asyncio.sleep(cross.retry_after)
        return False

    def finished(self, record: Record) -> None:
        self.metrics.observe(record)
        self.keep(record)

    async def deferral(self, test: Test, cross: CrossTraffic) -> Record | None:
        """A deferral record when the subscriber is using the line, else None."""
        started = now()
        reading = await crosstraffic.subscriber_traffic(cross.snmp, cross.sample)
        if reading.bytes_per_second is None:
            self.log.warning("cross_traffic_unknown", error=reading.error)
            return None  # cannot tell: measure rather than never measure
        if reading.bytes_per_second <= cross.threshold_bytes_per_second:
            return None
        error = (f"deferred: the subscriber's own traffic, {reading.bytes_per_second:,.0f} B/s, "
                 f"is above the {cross.threshold_bytes_per_second:,.0f} B/s threshold")
        metrics = {**PROBERS[test.kind].unmeasured(test.params),
                   "cross_traffic_bytes_per_second": round(reading.bytes_per_second, 1)}
        outcome = Outcome(test.params.target_text(), False, metrics, error=error,
                          exclusion="cross_traffic")
        return Record(self.identity, test.kind, started, now(), outcome)

    async def continuous(self, test: Test) -> None:
        """Check every `every` seconds, on the clock; fold checks into interval records."""
        tracker = IntervalTracker(self.spool, self.identity, test.kind,
                                  test.params.target_text(),
                                  PROBERS[test.kind].unmeasured(test.params),
                                  test.every, self.config.availability_report_every)
        left_open = tracker.close_open()  # by a previous run that was killed
        if left_open:
            self.keep(left_open)
        loop = asyncio.get_running_loop()
        next_check = loop.time()
        try:
            while True:
                check = await run_test(test.kind, test.params, self.identity, self.log)
                self.metrics.observe(check)  # the check feeds the gauge; intervals are spooled
                metrics = check.outcome.metrics
                for record in tracker.observe(check.started_at, check.ended_at,
                                              bool(metrics.get("up")),
                                              bool(metrics.get("on_net_up"))):
                    self.keep(record)
                next_check += test.every
                while next_check < loop.time():  # a check overran: skip its slots, no burst
                    next_check += test.every
                await asyncio.sleep(next_check - loop.time())
        finally:
            closing = tracker.close_open()
            if closing:
                self.keep(closing)

    async def run(self, stop: asyncio.Event) -> None:
        host, port = split_host_port(self.config.metrics_listen, 9108)
        start_http_server(port, host, registry=self.metrics.registry)
        self.metrics.spooled.set(len(self.spool))
        self.metrics.quarantined.set(self.spool.quarantined_total)
        self.log.info("probe_started", probe_id=self.config.probe_id, spool=str(self.config.spool),
                      metrics=self.config.metrics_listen, tests=len(self.config.tests))
        for key in self.config.retired:
            self.log.warning("config_key_retired", key=key, why=RETIRED[key])
        tasks = [asyncio.create_task(self.continuous(t)
                                     if PROBERS[t.kind].scheduling == "continuous"
                                     else self.periods(t), name=f"{t.kind}-{i}")
                 for i, t in enumerate(self.config.tests)]
        upload = self.config.collector
        if upload is not None:
            from netq.probe.upload import Uploader  # httpx: only for probes that upload

            uploader = Uploader(self.spool, upload, self.metrics, self.log)
            tasks.append(asyncio.create_task(uploader.run(upload.every), name="upload"))
        alive = asyncio.create_task(keep_alive(), name="watchdog")  # not a test loop
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait([stopping, *tasks], return_when=asyncio.FIRST_COMPLETED)
        # a test loop ends only by failing (the spool's disk full, say): stop the whole daemon
        # rather than run on without that test; systemd restarts it
        failed = [t for t in tasks if t.done() and not t.cancelled() and t.exception()]
        await cancelled([alive, stopping, *tasks])
        self.spool.close()
        for task in failed:
            self.log.error("test_loop_failed", task=task.get_name(), exc_info=task.exception())
        self.log.info("probe_stopped")
        if failed:
            raise SystemExit(1)


async def cancelled(tasks: list[asyncio.Task[Any]]) -> None:
    """Cancel until every task has ended. A cancellation can be swallowed (asyncio.wait_for
    of Python 3.11 loses one that arrives as its awaitable completes), and a test loop that
    swallows it would keep measuring after SIGTERM."""
    pending = {task for task in tasks if not task.done()}
    while pending:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=1)
    for task in tasks:  # retrieved, so that asyncio does not report them as lost
        if not task.cancelled():
            task.exception()


async def run_forever(config: Config) -> None:
    configure(config.log_level)
    log = structlog.get_logger("netq.probe")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await Daemon(config, log).run(stop)


