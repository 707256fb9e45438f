"""The measured window from the probe's TCP counters, on sample series built by hand."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from netq.probe.tcp_delivered import EDGE_SPREAD_S, Sample, Window, window

STREAMS, OMIT, DURATION = 2, 2.0, 10.0
RATE = 1_000_000  # bytes per second per stream
CONTROL = 1  # the control connection's inode; the streams are 2 and 3
OPENED = 0.5  # the streams open between the samples at 0.4 and 0.5


def series(counts: Callable[[int, float], tuple[int, int] | None], spread: float = 0.001,
           step: float = 0.1, end: float = 13.0) -> list[Sample]:
    """A sample every `step` s from 0; counts(inode, t) is a stream's (in order, estimate)."""
    samples = []
    for i in range(int(end / step) + 1):
        t = round(i * step, 6)
        delivered: dict[int, tuple[int, int]] = {}
        if t >= OPENED:
            delivered[CONTROL] = (300, 0)
            for inode in (2, 3):
                count = counts(inode, t)
                if count is not None:
                    delivered[inode] = count
        samples.append(Sample(t - spread / 2, t + spread / 2, delivered))
    return samples


def steady(inode: int, t: float) -> tuple[int, int]:
    return round(RATE * (t - OPENED)), 0


def test_the_window_runs_from_the_warm_ups_end_to_the_tests_and_counts_every_stream() -> None:
    measured = window(series(steady), STREAMS, OMIT, DURATION)
    # from the first sample read wholly after 0.5 + 2 (the streams' first sighting + omit) to
    # the last read wholly before 0.4 + 2 + 10 (the sighting before, + omit + duration)
    assert measured == Window(bytes=2 * round(RATE * (12.3 - 2.6)), seconds=pytest.approx(9.7))


def test_bytes_held_behind_a_loss_at_the_warm_ups_end_are_not_moved_into_the_window() -> None:
    def held(inode: int, t: float) -> tuple[int, int]:
        arrived, _ = steady(inode, t)
        if inode == 2 and 2.3 <= t < 2.9:  # a hole: in-order delivery stops, segments queue
            return round(RATE * (2.3 - OPENED)), arrived - round(RATE * (2.3 - OPENED))
        return arrived, 0

    samples = series(held)
    in_order_only = samples[26].delivered[2][0]
    assert in_order_only < steady(2, 2.6)[0]  # what counting in order alone would have started at
    assert window(samples, STREAMS, OMIT, DURATION) == window(series(steady), STREAMS, OMIT,
                                                              DURATION)


def test_a_segment_that_arrived_twice_is_not_counted() -> None:
    def duplicated(inode: int, t: float) -> tuple[int, int]:
        arrived, _ = steady(inode, t)
        return arrived, 1448 if t >= 5.0 else 0  # the segment counter rises for good

    assert window(series(duplicated), STREAMS, OMIT, DURATION) == window(
        series(steady), STREAMS, OMIT, DURATION)


def test_a_test_that_broke_off_counts_up_to_the_last_sample_with_every_stream() -> None:
    def broken(inode: int, t: float) -> tuple[int, int] | None:
        return None if inode == 3 and t >= 6.0 else steady(inode, t)

    measured = window(series(broken), STREAMS, OMIT, DURATION)
    assert measured == Window(bytes=2 * round(RATE * (5.9 - 2.6)), seconds=pytest.approx(3.3))


def test_no_window_when_the_test_broke_off_in_the_warm_up() -> None:
    def early(inode: int, t: float) -> tuple[int, int] | None:
        return None if t >= 1.5 else steady(inode, t)

    assert window(series(early), STREAMS, OMIT, DURATION) is None


def test_no_window_when_the_streams_were_open_before_the_first_sample() -> None:
    samples = series(steady)[5:]  # nothing bounds when they opened
    assert window(samples, STREAMS, OMIT, DURATION) is None


def test_a_read_that_took_too_long_is_no_edge() -> None:
    samples = series(steady)
    late = samples[26]  # the first candidate for the start
    samples[26] = Sample(late.before - EDGE_SPREAD_S, late.after + EDGE_SPREAD_S, late.delivered)
    measured = window(samples, STREAMS, OMIT, DURATION)
    assert measured == Window(bytes=2 * round(RATE * (12.3 - 2.7)), seconds=pytest.approx(9.6))
