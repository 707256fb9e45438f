"""The share of faults put right within the method's time (com645 annex, item 3; STB 1962-2012
table 2, item 9): the operator's own records, complete (customer.py)."""

from netq.collector.compliance.measures import Measure
from netq.messages import N_

MEASURE = Measure(
    "tickets_restored_in_time", "records", "tickets", records="tickets",
    plain=N_("%(value)s %% of the faults reported were put right in time (the norm: "
             "%(norm)s %%)"))
