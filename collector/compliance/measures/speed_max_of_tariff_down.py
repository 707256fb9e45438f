"""Item 9's maximum speed towards the subscriber (com645 annex, item 9: «максимальная — не менее
определенной в соответствии с договором»): per tariff plan, each line's fastest download test as
% of its tariff."""

from netq.collector.compliance.measures import tariff_speed
from netq.messages import N_

MEASURE = tariff_speed(
    "speed_max_of_tariff_down", "down", "max",
    term=(N_("Tariff plan"), N_("The speeds the contract names; item 9 asks every line to "
                                "reach its plan's speed at least once and never to fall below "
                                "70 %% of it.")))
