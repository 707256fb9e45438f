"""A probe's schedule and a wall clock that is set while it runs (a box that boots before
its clock is set, a correction): the moments stepped over run once at most, never as a
burst, and the next ones are drawn from the new time. Measured against the event loop's
monotonic clock; the wall clock is the test's own."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from netq.probe import config, daemon
from netq.probe.probers import PROBERS

START = datetime(2026, 7, 1, 9, tzinfo=UTC)  # 12:00 Minsk
EVERY_4H = config.Test(kind="throughput", every=4 * 3600, peak_share=0.25,
                params=PROBERS["throughput"].params(target="127.0.0.1", direction="down"))


async def scheduled(monkeypatch: pytest.MonkeyPatch, steps: list[tuple[float, float]],
                    step_during_a_test: float = 0.0) -> int:
    """How many tests ran while the wall clock was stepped by each (after s, by days)."""
    loop = asyncio.get_running_loop()
    started, offset = loop.time(), [0.0]
    monkeypatch.setattr(daemon, "now", lambda: START + timedelta(
        seconds=loop.time() - started + offset[0]))
    monkeypatch.setattr(daemon, "CLOCK_CHECK_S", 0.02)
    runs = []

    async def run_test(test: config.Test) -> None:
        runs.append(daemon.now())
        if step_during_a_test and len(runs) == 1:
            offset[0] += step_during_a_test * 86_400

    task = asyncio.create_task(daemon.Daemon.periods(SimpleNamespace(run_test=run_test),
                                                     EVERY_4H))  # type: ignore[arg-type]
    for after_s, days in steps:
        await asyncio.sleep(after_s)
        offset[0] += days * 86_400
    await asyncio.sleep(0.5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    return len(runs)


def test_a_clock_set_30_days_forward_runs_one_missed_test_not_180(
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert asyncio.run(scheduled(monkeypatch, [(0.1, 30)])) == 1


def test_a_clock_set_back_runs_nothing_and_waits_for_the_new_time_s_moments(
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert asyncio.run(scheduled(monkeypatch, [(0.1, -30)])) == 0
    # and from the new time, a step forward again: one, not a month's
    assert asyncio.run(scheduled(monkeypatch, [(0.1, -30), (0.1, 30)])) == 1


def test_a_clock_set_while_a_test_runs_does_not_make_the_next_ones_a_burst(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A test at its moment sets the clock 30 days ahead while it runs (the wait is not
    where the step is seen): of the hourly moments it stepped over, one runs."""
    drawn = []

    def hourly(after: datetime, every: float, share: float, rng: object) -> object:
        first = START + timedelta(seconds=0.05) if not drawn else after + timedelta(hours=1)
        drawn.append(after)
        return (first + timedelta(hours=h) for h in range(10_000))

    monkeypatch.setattr(daemon, "peak_moments", hourly)
    assert asyncio.run(scheduled(monkeypatch, [], step_during_a_test=30)) == 2
    assert len(drawn) == 2  # then drawn again from the new time
