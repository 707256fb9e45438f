"""Item 9's minimum speed from the subscriber (com645 annex, item 9): per tariff plan, each
line's slowest upload test as % of its tariff."""

from netq.collector.compliance.measures import Measure, tariff_speed

MEASURE = Measure("speed_min_of_tariff_up", **tariff_speed("up", "min"))
