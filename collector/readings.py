"""Each connection's latest per-line gauge readings, kept in the store.

A reading is written with the record it comes from, in the same transaction, whichever
collector took the record; the newest measurement wins whatever the order of arrival. The
collector that publishes the store's gauges (leader.py) exports them, so several collectors
never show one line twice, nor an old value beside a new one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import Connection, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from netq.collector import tables
from netq.collector.compliance.quarter import minsk_day
from netq.collector.registry import Connection as Line
from netq.collector.registry import RegistryPeriods

LABELS = ["connection_id", "profile", "service", "technology", "region", "node"]


@dataclass(frozen=True)
class Gauge:
    name: str
    help: str
    direction: bool = False  # labelled by the test's direction


RTT = Gauge("netq_connection_rtt_mean_seconds",
            "Mean round trip of the connection's latest latency session.")
LOSS = Gauge("netq_connection_loss_ratio",
             "Packet loss of the connection's latest latency session.")
UP = Gauge("netq_connection_up", "1 when the connection's latest availability interval was "
                                 "up, 0 when it was down.")
SPEED = Gauge("netq_connection_throughput_tariff_ratio",
              "Goodput of the connection's latest completed speed test, as a share of the "
              "tariff in force when it ran.", direction=True)
GAUGES = (RTT, LOSS, UP, SPEED)
BY_NAME = {gauge.name: gauge for gauge in GAUGES}


def of_row(row: Mapping[str, Any], line: Line) -> Iterator[tuple[Gauge, str, float]]:
    """(gauge, direction, value) of one stored result: only a measurement that succeeded
    and was not excluded says something of the line."""
    metrics = row["metrics"]
    if not row["ok"] or row["exclusion"]:
        return
    if row["kind"] == "availability":
        yield UP, "", 1.0 if metrics["up"] else 0.0
    elif row["kind"] == "latency":
        if metrics.get("rtt_ms"):
            yield RTT, "", metrics["rtt_ms"]["mean"] / 1000
        if metrics.get("loss_ratio") is not None:
            yield LOSS, "", float(metrics["loss_ratio"])
    elif row["kind"] == "throughput" and metrics.get("ended") == "complete":
        direction = metrics["direction"]
        tariff_kbps = line.tariff_down_kbps if direction == "down" else line.tariff_up_kbps
        yield SPEED, direction, metrics["bits_per_second"] / (tariff_kbps * 1000)


def add(db: Connection, rows: Sequence[Mapping[str, Any]], registry: RegistryPeriods) -> None:
    """Keep the newest reading of each line's gauges among `rows` and those stored, inside
    the caller's transaction."""
    newest: dict[tuple[str, str, str], dict[str, Any]] = {}
    for row in rows:
        line = registry.in_force(row["connection_id"], minsk_day(row["started_at"]))
        if line is None:
            continue
        for gauge, direction, value in of_row(row, line):
            key = (line.connection_id, gauge.name, direction)
            if key in newest and newest[key]["measured_at"] >= row["started_at"]:
                continue
            newest[key] = {
                "connection_id": line.connection_id, "gauge": gauge.name,
                "direction": direction, "value": value, "measured_at": row["started_at"],
                "profile": line.profile, "service": line.service,
                "technology": line.technology, "region": line.region, "node": line.node}
    if not newest:
        return
    table = tables.line_readings
    builder = pg_insert if db.dialect.name == "postgresql" else sqlite_insert
    statement = builder(table)
    kept = {column: statement.excluded[column] for column in (
        "value", "measured_at", "profile", "service", "technology", "region", "node")}
    db.execute(statement.on_conflict_do_update(
        index_elements=["connection_id", "gauge", "direction"], set_=kept,
        where=table.c.measured_at < statement.excluded.measured_at), list(newest.values()))


def latest(db: Connection) -> list[Mapping[str, Any]]:
    """Every line's latest readings as stored."""
    table = tables.line_readings
    return [dict(row) for row in db.execute(select(table).order_by(table.c.connection_id))
            .mappings()]


def families(rows: Iterable[Mapping[str, Any]]) -> list[GaugeMetricFamily]:
    """The readings as gauges, one family per gauge (named even with none)."""
    out = {gauge.name: GaugeMetricFamily(
        gauge.name, gauge.help, labels=[*LABELS, "direction"] if gauge.direction else LABELS)
        for gauge in GAUGES}
    for row in rows:
        gauge = BY_NAME.get(row["gauge"])
        if gauge is None:  # a gauge this version no longer exports
            continue
        labels = [row[label] for label in LABELS]
        out[gauge.name].add_metric([*labels, row["direction"]] if gauge.direction else labels,
                                   row["value"])
    return list(out.values())
