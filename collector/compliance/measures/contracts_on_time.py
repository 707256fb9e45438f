"""The share of contracts fulfilled by their deadline (com645 annex, item 1; STB 1962-2012 table
2, item 7): the operator's own records, complete (customer.py counts them)."""

from netq.collector.compliance.measures import Measure
from netq.messages import N_

MEASURE = Measure(
    "contracts_on_time", "records", "contracts", records="contracts",
    plain=N_("%(value)s %% of the contracts were fulfilled in time (the norm: %(norm)s %%)"))
