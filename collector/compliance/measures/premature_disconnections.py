"""The share of sessions ended before their time (com645 annex, item 14; STB 1962-2012 table 2,
item 3): of the speed tests that started."""

from netq.collector.compliance.measures import Measure, column
from netq.messages import N_

MEASURE = Measure(
    "premature_disconnections", "share", "started", column("premature_n"), column("started_n"),
    ("started_n", "premature_n"),
    term=(N_("Attempts and tests started"),
          N_("Item 13 counts attempts: every speed test and connection attempt, started or "
             "not. Item 14 counts the speed tests that started: the attempts less those that "
             "did not start and the connection attempts.")))
