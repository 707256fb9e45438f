"""The share of unsuccessful attempts to transfer data (com645 annex, item 18, wireless)."""

from netq.collector.compliance.measures import Measure, column
from netq.messages import N_

MEASURE = Measure(
    "attempts_failed", "share", "attempts", column("attempts_failed_n"), column("attempts_n"),
    ("attempts_n", "attempts_failed_n"),
    plain=N_("%(value)s %% of the attempts to transfer data failed (the norm: %(norm)s %%)"))
