"""Item 9's maximum speed from the subscriber (com645 annex, item 9): per tariff plan, each
line's fastest upload test as % of its tariff."""

from netq.collector.compliance.measures import tariff_speed

MEASURE = tariff_speed("speed_max_of_tariff_up", "up", "max")
