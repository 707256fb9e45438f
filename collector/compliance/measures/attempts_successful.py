"""The share of successful attempts to connect (com645 annex, item 13; STB 1962-2012 table 2,
item 2): every speed test and connection attempt, started or not."""

from netq.collector.compliance.measures import Measure, column
from netq.messages import N_

MEASURE = Measure(
    "attempts_successful", "share", "attempts", lambda u: u["attempts_n"] - u["attempts_failed_n"],
    column("attempts_n"), ("attempts_n", "attempts_failed_n"),
    plain=N_("%(value)s %% of the attempts to connect succeeded (the norm: %(norm)s %%)"))
