"""The share of sessions with a delay of IP packets over the norm (com645 annex, item 19,
wireless: «с задержкой передачи IP-пакетов более 400 мс»): the latency sessions that do not
meet the per-test norm `delay_max_ms` (sessions_meeting_delay judges each)."""

from netq.collector.compliance.measures import Measure, column

MEASURE = Measure(
    "sessions_over_delay", "share", "sessions", lambda u: u["latency_n"] - u["delay_pass_n"],
    column("latency_n"), ("latency_n", "delay_pass_n"))
