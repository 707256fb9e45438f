"""The demo's fleet: a few connections measured for real on loopback, and more whose quarter
so far is generated, some of them with the faults an operator meets (a congested node, a
lossy line, a slow line, a line down), so that the dashboards and alerts have something to
show.
"""

from __future__ import annotations

from dataclasses import dataclass

from netq.collector.registry import FIRST_PERIOD, Connection


@dataclass(frozen=True)
class Line:
    """One connection of the demo and how its generated quarter behaves."""

    connection: Connection
    probe_id: str
    rtt_ms: float = 12.0  # typical mean round trip of a session
    loss_ratio: float = 0.001
    speed_share: float = 0.95  # typical goodput as a share of the tariff
    down_at_end: bool = False  # its latest availability interval is down
    live: bool = False  # a probe measures it for real while the demo runs


def _connection(connection_id: str, technology: str, down_kbps: int, up_kbps: int,
                region: str, node: str) -> Connection:
    service = "wireless" if technology in ("lte", "wifi") else "fixed"
    return Connection(connection_id, FIRST_PERIOD, service, technology, down_kbps, up_kbps,
                      region, node, "com645")


MINSK_1, MINSK_2 = "Минск-узел-01", "Минск-узел-02"
GOMEL, BREST, BORISOV = "Гомель-узел-01", "Брест-узел-01", "Борисов-узел-01"

LIVE = [
    Line(_connection("DEMO-0001", "pon", 100_000, 50_000, "г. Минск", MINSK_1),
         "demo-probe-1", live=True),
    Line(_connection("DEMO-0002", "ethernet", 300_000, 300_000, "г. Минск", MINSK_1),
         "demo-probe-2", live=True),
    Line(_connection("DEMO-0003", "lte", 20_000, 5_000, "Минская", BORISOV),
         "demo-probe-3", live=True),
]

PLANS = [("pon", 100_000, 50_000), ("adsl", 10_000, 1_000), ("ethernet", 300_000, 300_000),
         ("docsis", 50_000, 5_000), ("lte", 20_000, 5_000), ("wifi", 50_000, 10_000)]
NODES = [(MINSK_1, "г. Минск"), (MINSK_2, "г. Минск"), (BREST, "Брестская"),
         (BORISOV, "Минская")]


GENERATED_HEALTHY = 35  # with the live and faulty lines: at least 30 fixed connections, the
# minimum sample of a verdict (thresholds.yaml `min_sample`)


def _generated() -> list[Line]:
    lines = []
    for i in range(GENERATED_HEALTHY):
        technology, down, up = PLANS[i % len(PLANS)]
        node, region = NODES[i % len(NODES)]
        lines.append(Line(_connection(f"DEMO-{101 + i:04d}", technology, down, up, region,
                                      node), f"demo-gen-{101 + i}"))
    faults = [
        # a congested uplink: every line behind the node is slow and loses a little
        *(Line(_connection(f"DEMO-{201 + i:04d}", technology, down, up, "Гомельская", GOMEL),
               f"demo-gen-{201 + i}", rtt_ms=450.0, loss_ratio=0.004, speed_share=0.8)
          for i, (technology, down, up) in enumerate(PLANS[:3])),
        Line(_connection("DEMO-0301", "pon", 100_000, 50_000, "Брестская", BREST),
             "demo-gen-301", loss_ratio=0.03),  # a line that loses 3 %
        Line(_connection("DEMO-0302", "adsl", 10_000, 1_000, "Брестская", BREST),
             "demo-gen-302", speed_share=0.5),  # synchronised below its tariff
        Line(_connection("DEMO-0303", "docsis", 50_000, 5_000, "г. Минск", MINSK_2),
             "demo-gen-303", down_at_end=True),  # down now
    ]
    return lines + faults


FLEET = LIVE + _generated()
