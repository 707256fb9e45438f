"""The share of latency sessions whose mean round trip is within the delay norm (com645 annex,
item 16; STB 1962-2012 table 2, item 5): a session meets the per-test norm `delay_max_ms` when
its mean round trip is at most that; a session with no reply at all does not."""

from decimal import Decimal

from netq.collector.compliance.measures import (
    JudgedTest,
    Measure,
    NormGauge,
    PerTestNorm,
    Tally,
    column,
)
from netq.messages import N_


def judge(test: JudgedTest, delay_max_ms: Decimal) -> Tally:
    rtt = test.metrics.get("rtt_ms") or {}
    mean = rtt.get("mean") if test.metrics.get("received") else None
    return {"delay_pass_n": 1 if mean is not None and Decimal(repr(mean)) <= delay_max_ms
            else 0}


MEASURE = Measure(
    "sessions_meeting_delay", "share", "sessions", column("delay_pass_n"), column("latency_n"),
    ("latency_n", "delay_pass_n"), sessions_of="latency",
    norm=PerTestNorm(
        "delay_max_ms", "delay", 2, "<=", "latency", tested=("latency_n",),
        kept=("delay_pass_n",), judge=judge, label=N_("delay"),
        outside=N_("outside the delay norm"),
        gauge=NormGauge("netq_line_norm_delay_seconds", "A session's mean round trip must be "
                        "at most this, under the line's profile.", Decimal("0.001"))))
