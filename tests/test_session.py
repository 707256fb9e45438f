"""The echo session's statistics and its loss rule (Y.1540 Tmax)."""

from __future__ import annotations

import asyncio

from netq.probe.session import EchoSession, jitter, rtt_summary


def test_summary_of_known_round_trips() -> None:
    rtts = [float(v) for v in range(1, 101)]  # 1..100 ms
    summary = rtt_summary(rtts)
    assert summary == {"min": 1.0, "mean": 50.5, "median": 50.5, "p95": 95.05, "max": 100.0}


def test_jitter_is_the_mean_difference_of_consecutive_round_trips() -> None:
    assert jitter([10.0, 12.0, 11.0, 15.0]) == round((2 + 1 + 4) / 3, 3)
    assert jitter([10.0]) is None


def test_late_duplicate_and_stray_replies_do_not_count() -> None:
    async def scenario() -> EchoSession:
        session = EchoSession(count=3, interval_s=0.0, timeout_s=0.05)

        def send(seq: int) -> None:
            if seq == 0:
                session.reply(0, 0.010)
                session.reply(0, 0.011)  # duplicate
                session.reply(5, 0.010)  # never sent
            if seq == 1:
                session.reply(1, 0.060)  # later than the timeout: lost

        await session.run(send)
        return session

    session = asyncio.run(scenario())
    metrics = session.metrics("udp")
    assert (metrics["sent"], metrics["received"]) == (3, 1)
    assert metrics["loss_ratio"] == 2 / 3
    assert metrics["rtt_ms"]["mean"] == 10.0


def test_a_send_that_fails_is_a_lost_packet_and_is_reported() -> None:
    async def scenario() -> EchoSession:
        session = EchoSession(count=2, interval_s=0.0, timeout_s=0.01)

        def send(seq: int) -> None:
            raise OSError(101, "Network is unreachable")

        await session.run(send)
        return session

    session = asyncio.run(scenario())
    assert session.metrics("icmp")["loss_ratio"] == 1.0
    assert session.send_errors == ["Network is unreachable", "Network is unreachable"]
