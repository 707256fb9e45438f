"""The share of latency sessions whose jitter is within a norm: a session meets the per-test
norm `jitter_max_ms` when its jitter (the mean difference of consecutive round trips, RFC 5481
IPDV, as the probe reports it) is at most that; a session with fewer than two replies has none
and does not. Neither source sets such a norm: it is there for an operator's own rules, and no
shipped profile uses it."""

from decimal import Decimal

from netq.collector.compliance.measures import JudgedTest, Measure, PerTestNorm, Tally, column
from netq.messages import N_


def judge(test: JudgedTest, jitter_max_ms: Decimal) -> Tally:
    jitter = test.metrics.get("jitter_ms")
    return {"jitter_pass_n": 1 if jitter is not None and Decimal(repr(jitter)) <= jitter_max_ms
            else 0}


MEASURE = Measure(
    "sessions_meeting_jitter", "share", "sessions", column("jitter_pass_n"), column("latency_n"),
    ("latency_n", "jitter_pass_n"),
    norm=PerTestNorm(
        "jitter_max_ms", "jitter", 5, "<=", "latency", tested=("latency_n",),
        kept=("jitter_pass_n",), judge=judge, label=N_("jitter"),
        outside=N_("outside the jitter norm")))
