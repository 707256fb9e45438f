"""The readiness of the connection to the Internet (com645 annex, item 12; STB 1962-2012 table
2, item 1): the time observed against the Internet less the time down in outages of at least the
method's minimum, in minutes as Y.1540 counts availability; lawful suspensions taken out,
planned works kept in (figures.Unit)."""

from netq.collector.compliance.measures import Measure
from netq.messages import N_

MEASURE = Measure(
    "availability", "share", "minutes", lambda u: (u.scheduled_s - u.unavailable_s) / 60,
    lambda u: u.scheduled_s / 60, ("covered_s",), of_time=True,
    plain=N_("the connection to the Internet worked %(value)s %% of the time it was observed "
             "(the norm: %(norm)s %%)"),
    term=(N_("Availability (readiness of the connection)"),
          N_("The share of the time observed in which the line reached the Internet; a break "
             "shorter than the method's minimum is not counted as one.")))
