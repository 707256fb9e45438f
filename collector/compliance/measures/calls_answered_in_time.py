"""The share of calls to the help desk answered within the method's time (com645 annex, item 2;
STB 1962-2012 table 2, item 8): the operator's own records, complete (customer.py)."""

from netq.collector.compliance.measures import Measure
from netq.messages import N_

MEASURE = Measure(
    "calls_answered_in_time", "records", "calls", records="calls",
    plain=N_("%(value)s %% of the calls to the help desk were answered in time (the norm: "
             "%(norm)s %%)"))
