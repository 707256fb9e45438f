"""The share of latency sessions whose loss is within the loss norm (com645 annex, item 17;
STB 1962-2012 table 2, item 6): a session meets the per-test norm `loss_max_percent` when
lost × 100 ≤ norm × sent (exact)."""

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


def judge(test: JudgedTest, loss_max_percent: Decimal) -> Tally:
    sent, lost = int(test.counted["packets_sent"]), int(test.counted["packets_lost"])
    return {"loss_pass_n": 1 if lost * 100 <= loss_max_percent * sent else 0}


MEASURE = Measure(
    "sessions_meeting_loss", "share", "sessions", column("loss_pass_n"), column("latency_n"),
    ("latency_n", "loss_pass_n"),
    norm=PerTestNorm(
        "loss_max_percent", "loss", 3, "<=", "latency", tested=("latency_n",),
        kept=("loss_pass_n",), judge=judge, label=N_("loss"), outside=N_("outside the loss norm"),
        gauge=NormGauge("netq_line_norm_loss_ratio", "A session's loss must be at most this: "
                        "the profile's per-test norm, else the service's loss indicator "
                        "(com645 20 for wireless).", Decimal("0.01"),
                        else_indicator_of="packet_loss")))
