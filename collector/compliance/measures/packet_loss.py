"""The share of IP packets lost (com645 annex, items 11 and 20; STB 1962-2012 table 1, item 3):
over all packets of the judged sessions."""

from netq.collector.compliance.measures import Measure, column
from netq.messages import N_

MEASURE = Measure(
    "packet_loss", "share", "packets", column("packets_lost"), column("packets_sent"),
    ("packets_sent", "packets_lost"),
    plain=N_("%(value)s %% of the packets sent were lost on the way (the norm: %(norm)s %%)"),
    term=(N_("Packet loss"), N_("The share of packets sent that did not come back.")))
