"""The probe stops when told: a cancellation reaches every test loop, whenever it arrives.

asyncio.wait_for of Python 3.11 loses a cancellation that arrives as its awaitable completes;
a test loop built on it went on measuring after SIGTERM (seen in the suite: a daemon still
spooling records half an hour after it was told to stop)."""

from __future__ import annotations

import asyncio
import contextlib
import random

import structlog

from netq.probe.daemon import cancelled
from netq.probe.probers import PROBERS
from netq.probe.runner import run_test
from netq.record import Identity

IDENTITY = Identity("p", "C-1")


async def attempts_forever() -> None:
    # a closed port on loopback: each attempt completes in about a millisecond, so a
    # cancellation often arrives just as one of its awaits completes
    params = PROBERS["attempt"].params(target="127.0.0.1:1")
    log = structlog.get_logger("test")
    while True:
        await run_test("attempt", params, IDENTITY, log)


def test_a_test_loop_ends_at_its_first_cancellation_every_time() -> None:
    async def main() -> int:
        missed = 0
        for _ in range(100):
            loop = asyncio.create_task(attempts_forever())
            await asyncio.sleep(random.uniform(0, 0.004))
            loop.cancel()
            done, _ = await asyncio.wait([loop], timeout=0.5)
            if not done:
                missed += 1
                await cancelled([loop])
        return missed

    assert asyncio.run(main()) == 0


def test_stopping_ends_a_loop_that_swallows_a_cancellation() -> None:
    async def stubborn() -> None:
        with contextlib.suppress(asyncio.CancelledError):  # as a library might
            await asyncio.sleep(3600)
        await asyncio.sleep(3600)

    async def main() -> bool:
        task = asyncio.create_task(stubborn())
        await asyncio.sleep(0)
        await asyncio.wait_for(cancelled([task]), 5)
        return task.cancelled()

    assert asyncio.run(main())
