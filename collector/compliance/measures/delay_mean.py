"""The mean delay of IP packets (com645 annex, item 10; STB 1962-2012 table 1, item 2): the mean
of the sessions' mean round trips, in milliseconds."""

from netq.collector.compliance.measures import Measure, column
from netq.messages import N_

MEASURE = Measure(
    "delay_mean", "mean", "sessions", column("rtt_mean_sum_ms"), column("rtt_n"),
    ("rtt_n", "rtt_mean_sum_ms"), series="delay",
    plain=N_("a packet took %(value)s ms on average to reach the measurement server and come "
             "back (the norm: %(norm)s ms)"),
    term=(N_("Delay"), N_("The time an IP packet takes to reach the measurement server and "
                          "come back, in milliseconds.")))
