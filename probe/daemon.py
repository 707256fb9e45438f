"""`netq probe run`: schedule the configured tests, spool every record, export metrics.

How a test runs is its prober's scheduling class, never its kind. A background or exclusive
test runs at random moments (probe/schedule.py: one per period, or a day's runs with a
share in the evening peak). Exclusive tests (speed) never overlap on one probe, they would
measure each other, wait while the subscriber uses the line, and, when the plan names a
measurement server, run in the slot the collector's broker leases them (probe/slots.py). A
continuous test checks on the clock and its up/down states become interval records. The
tests are the central plan's when the collector serves one (probe/plan.py), else the file's.
"""

from __future__ import annotations

import asyncio
import random
import signal
from datetime import datetime
from typing import TYPE_CHECKING, Any

import structlog
from prometheus_client import start_http_server
from structlog.typing import FilteringBoundLogger

from netq.address import split_host_port
from netq.logging import configure
from netq.probe import crosstraffic
from netq.probe.config import RETIRED, Config, CrossTraffic, Server, Test
from netq.probe.envelope import Budget
from netq.probe.intervals import IntervalTracker
from netq.probe.metrics import ProbeMetrics
from netq.probe.probers import PROBERS
from netq.probe.runner import run_test
from netq.probe.schedule import peak_moments
from netq.probe.spool import Spool
from netq.record import Identity, Outcome, Record, now
from netq.sdnotify import keep_alive

# a wait for a wall-clock moment looks at the clock this often, and takes a disagreement of
# the wall clock with the monotonic one beyond CLOCK_STEP_S as the clock set
CLOCK_CHECK_S = 30.0
CLOCK_STEP_S = 60.0

if TYPE_CHECKING:
    from netq.probe.plan import Plan, PlanSource
    from netq.probe.slots import SlotClient


class Daemon:
    def __init__(self, config: Config, log: FilteringBoundLogger) -> None:
        self.config = config
        self.log = log
        self.identity = Identity(config.probe_id, config.connection_id)
        self.spool = Spool(config.spool, config.spool_max_records, config.spool_when_full)
        self.metrics = ProbeMetrics(config.probe_id, config.connection_id, config.technology)
        self.speed_test = asyncio.Lock()
        self.budget = Budget(config.limits)
        self.servers: dict[str, Server] = {}  # of the plan in force
        self.slots: SlotClient | None = None

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
        """Run the test at a random moment of each successive period of `every` seconds, or
        at the day's moments with its share in the evening peak (probe/schedule.py)."""
        if test.peak_share is not None:
            rng = random.Random()
            while True:  # each pass: the moments drawn from the wall clock's time
                for chosen in peak_moments(now(), test.every, test.peak_share, rng):
                    if not await until(chosen):
                        # the wall clock stepped: of the moments stepped over, one runs
                        # (never a burst); the rest are drawn again from the new time
                        if chosen <= now():
                            await self.run_test(test)
                        break
                    await self.run_test(test)
        loop = asyncio.get_running_loop()
        period_start = loop.time()
        while True:
            moment = period_start + random.uniform(0, test.every)
            await asyncio.sleep(max(0.0, moment - loop.time()))
            await self.run_test(test)
            # the next period follows this one, or starts now if the test overran it
            period_start = max(period_start + test.every, loop.time())

    async def run_test(self, test: Test) -> None:
        prober = PROBERS[test.kind]
        if prober.scheduling != "exclusive":
            if not self.within_budget(test, False):
                return
            record = await run_test(test.kind, test.params, self.identity, self.log)
            self.budget.spend(False, prober.moved(test.params, record.outcome))
            self.finished(record)
            return
        async with self.speed_test:
            if not self.within_budget(test, True):
                return
            cross = self.config.cross_traffic
            if cross is not None and not await self.quiet_line(test, cross):
                return  # deferred as often as allowed: no speed test this period, on record
            record = await self.on_server(test)
            self.budget.spend(True, prober.moved(test.params, record.outcome))
            self.finished(record)

    def within_budget(self, test: Test, fills_the_line: bool) -> bool:
        """Whether the day's budget of the line lets the test run; a skip is logged and
        counted, not recorded (no measurement was made)."""
        refusal = self.budget.refusal(fills_the_line)
        if refusal is None:
            return True
        self.metrics.skipped.labels(refusal.reason).inc()
        self.log.warning("test_skipped", kind=test.kind, reason=refusal.reason,
                         why=refusal.text)
        return False

    async def on_server(self, test: Test) -> Record:
        """Run an exclusive test; one with a plan's server in the slot the broker leases."""
        name = test.server
        server = None if name is None else self.servers.get(name)
        occupies = PROBERS[test.kind].occupies
        if name is None or server is None or occupies is None or self.slots is None:
            return await run_test(test.kind, test.params, self.identity, self.log)
        started = now()
        slot = await self.slots.take(name, server, occupies(test.params))
        if slot.target is None:
            error = (f"no slot on server {name} within "
                     f"{self.slots.max_wait_s:g} s: every port was taken")
            outcome = Outcome(server.host, False, PROBERS[test.kind].unmeasured(test.params),
                              error=error, exclusion="server_busy")
            return Record(self.identity, test.kind, started, now(), outcome)
        try:
            if not on_the_server(slot.target, server):
                # a broker's answer is input from the network: only the plan's own server
                outcome = Outcome(server.host, False,
                                  PROBERS[test.kind].unmeasured(test.params),
                                  error=f"the broker offered {slot.target}, not a port of "
                                        f"server {name} ({server.host})")
                return Record(self.identity, test.kind, started, now(), outcome)
            await asyncio.sleep(slot.wait_s)
            params = test.params.model_copy(update={"target": slot.target})
            return await run_test(test.kind, params, self.identity, self.log)
        finally:  # also when the test is cancelled: the port is free for the next probe
            await self.slots.give_back(slot)

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

    def start_tests(self, plan: Plan | None) -> list[asyncio.Task[None]]:
        """The test loops of the central plan, or of the probe's own file without one; every
        record they make carries the plan's version."""
        self.identity = Identity(self.config.probe_id, self.config.connection_id,
                                 None if plan is None else plan.version)
        self.servers = {} if plan is None else plan.servers
        tests = self.config.tests if plan is None else plan.tests
        if plan is None and not tests:
            self.log.warning("waiting_for_plan", collector=str(self.config.collector
                                                               and self.config.collector.url))
        else:
            self.log.info("tests_started", plan=None if plan is None else plan.name,
                          version=self.identity.plan, tests=len(tests))
        return [asyncio.create_task(self.continuous(t)
                                    if PROBERS[t.kind].scheduling == "continuous"
                                    else self.periods(t), name=f"{t.kind}-{i}")
                for i, t in enumerate(tests)]

    async def run(self, stop: asyncio.Event) -> None:
        host, port = split_host_port(self.config.metrics_listen, 9108)
        start_http_server(port, host, registry=self.metrics.registry)
        self.metrics.spooled.set(len(self.spool))
        self.metrics.quarantined.set(self.spool.quarantined_total)
        self.log.info("probe_started", probe_id=self.config.probe_id, spool=str(self.config.spool),
                      metrics=self.config.metrics_listen, tests=len(self.config.tests))
        for key in self.config.retired:
            self.log.warning("config_key_retired", key=key, why=RETIRED[key])
        services: list[asyncio.Task[Any]] = []
        upload = self.config.collector
        plans: PlanSource | None = None
        if upload is not None:
            from netq.probe.plan import PlanMetrics, PlanSource  # httpx: only for uploaders
            from netq.probe.slots import SlotClient
            from netq.probe.upload import Uploader

            uploader = Uploader(self.spool, upload, self.metrics, self.log)
            services.append(asyncio.create_task(uploader.run(upload.every), name="upload"))
            if self.config.plans:
                self.slots = SlotClient(upload, self.metrics.registry, self.log)
                plans = PlanSource(upload, self.config.plan_cache_path(),
                                   self.config.envelope(), PlanMetrics(self.metrics.registry),
                                   self.log)
                plans.metrics.running(plans.cached())
                services.append(asyncio.create_task(plans.run(), name="plan"))
        tests = self.start_tests(None if plans is None else plans.current)
        alive = asyncio.create_task(keep_alive(), name="watchdog")  # not a test loop
        stopping = asyncio.create_task(stop.wait())
        change = None if plans is None else asyncio.create_task(plans.changes.get())
        while True:
            waited = [stopping, *services, *tests, *([change] if change else [])]
            done, _ = await asyncio.wait(waited, return_when=asyncio.FIRST_COMPLETED)
            if change is None or change not in done or stopping in done or len(done) > 1:
                break
            # a new plan: the old tests end (a continuous test closes its interval), then
            # the new ones start under the new version
            await cancelled(tests)
            assert plans is not None
            plans.metrics.running(change.result())
            tests = self.start_tests(change.result())
            change = asyncio.create_task(plans.changes.get())
        # a test loop ends only by failing (the spool's disk full, say): stop the whole daemon
        # rather than run on without that test; systemd restarts it
        tasks = [*services, *tests]
        failed = [t for t in tasks if t.done() and not t.cancelled() and t.exception()]
        await cancelled([alive, stopping, *tasks, *([change] if change else [])])
        self.spool.close()
        for task in failed:
            self.log.error("test_loop_failed", task=task.get_name(), exc_info=task.exception())
        self.log.info("probe_stopped")
        if failed:
            raise SystemExit(1)


def on_the_server(target: str, server: Server) -> bool:
    """Whether `target` (host:port) is one of the server's ports."""
    try:
        host, port = split_host_port(target, 0)
    except ValueError:
        return False
    return host == server.host and port in server.ports


async def until(moment: datetime) -> bool:
    """Sleep until the wall clock reads `moment`; False when the wall clock stepped (set
    forward or back: a probe that booted before its clock was set, a correction): the moment
    already more than CLOCK_STEP_S past, or the wall clock moving that much more or less than
    the monotonic one during the wait."""
    loop = asyncio.get_running_loop()
    while True:
        wall, monotonic = now(), loop.time()
        wait = (moment - wall).total_seconds()
        if wait <= 0:
            return wait > -CLOCK_STEP_S
        await asyncio.sleep(min(wait, CLOCK_CHECK_S))
        stepped = (now() - wall).total_seconds() - (loop.time() - monotonic)
        if abs(stepped) > CLOCK_STEP_S:
            return False


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


