"""Item 9's minimum speed towards the subscriber (com645 annex, item 9: «минимальная — не менее
70 процентов от максимальной скорости»): per tariff plan, each line's slowest download test as %
of its tariff."""

from netq.collector.compliance.measures import tariff_speed

MEASURE = tariff_speed("speed_min_of_tariff_down", "down", "min")
