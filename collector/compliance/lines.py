"""Per-subscriber verdicts: the lines that failed a per-test norm in a quarter, with the tests
that failed it, and the lines whose contract item 9 finds breached (their fastest test below
the tariff, or their slowest below its share), so that an operator can act on a line before
an inspector measures it.

The counts come from the same rollups as the published figures; the tests are the raw
results re-judged by the same `judge()`, as `explain` does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from netq.collector.compliance.engine import Judged, judged, read_units
from netq.collector.compliance.explain import judged_results
from netq.collector.compliance.figures import Unit
from netq.collector.compliance.indicators import line_extremes
from netq.collector.compliance.judgement import verdicts
from netq.collector.compliance.measures import MEASURES, PER_TEST_NORMS
from netq.collector.compliance.quarter import Quarter
from netq.collector.compliance.thresholds import Profile
from netq.collector.store import Store


def failing(store: Store, quarter: Quarter, profile: str | None = None,
            connection_id: str | None = None) -> dict[str, Any]:
    judging = judged(store, quarter, profile)
    units = read_units(store, quarter, judging=judging)
    lines: dict[str, dict[str, Any]] = {}
    for unit in units:
        connection = unit.connection
        if connection_id is not None and connection.connection_id != connection_id:
            continue
        failed = norms_failed(unit, judging.edition)
        contract = contract_breached(unit, judging.edition)
        if failed or contract:
            line = lines.setdefault(connection.connection_id, {
                "connection_id": connection.connection_id, "service": connection.service,
                "technology": connection.technology, "region": connection.region,
                "node": connection.node, "norms_failed": {}, "contract": [], "tests": []})
            for name, counts in failed.items():
                into = line["norms_failed"].setdefault(name, {"tests": 0, "failed": 0})
                into["tests"] += counts["tests"]
                into["failed"] += counts["failed"]
            line["contract"].extend(contract)
    _failed_tests(store, quarter, judging, lines)
    return {"quarter": str(quarter), "profile": judging.name,
            "editions": [s.edition.key for s in judging.spans],
            "lines": sorted(lines.values(), key=lambda line: (
                -len(line["contract"]),
                -sum(n["failed"] for n in line["norms_failed"].values()),
                line["connection_id"]))}


def norms_failed(unit: Unit, edition: Profile) -> dict[str, dict[str, int]]:
    """The per-test norms a registry period's tests fell short of, with how many of its tests
    each judged and how many failed it (from its rollups)."""
    connection = unit.connection
    norms = edition.norms_for(connection.service)
    if norms is None:
        return {}
    failed = {}
    for norm in PER_TEST_NORMS:
        tests, fails = norm.tests(unit), norm.failed(unit)
        if norms.value(norm.key, connection.technology) is not None and fails:
            failed[norm.name] = {"tests": int(tests), "failed": int(fails)}
    return failed


def contract_breached(unit: Unit, edition: Profile) -> list[dict[str, Any]]:
    """Item 9 for one registry period: each speed of the contract its tests did not reach
    (the fastest test against the tariff, the slowest against its share), under the
    indicators of the profile that count the line."""
    connection = unit.connection
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for indicator in edition.indicators:
        per_plan = MEASURES[indicator.measure].per_plan
        if per_plan is None or not indicator.covers(connection.service, connection.technology):
            continue
        share = line_extremes([unit], indicator.measure).get(connection.connection_id)
        if share is None or indicator.norm.met_by(share):
            continue
        direction, extreme = per_plan
        tariff = getattr(connection, f"tariff_{direction}_kbps")
        entry = found.setdefault((direction, extreme), {
            "indicators": [], "direction": direction, "extreme": extreme,
            "tariff_kbps": tariff, "share_of_tariff": round(share, 4),
            "kbps": round(share * tariff / 100, 3),
            "norm_share_of_tariff": float(indicator.norm.value),
            "layer": edition.method.speed_layer})
        entry["indicators"].append(f"{edition.key}.{indicator.id}")
    return list(found.values())


def _failed_tests(store: Store, quarter: Quarter, judging: Judged,
                  lines: dict[str, dict[str, Any]]) -> None:
    """Each failing line's failed tests, re-judged from the raw results."""
    ids = sorted(lines)
    with store.engine.connect() as db:
        for start in range(0, len(ids), 500):
            for row, connection, pieces in judged_results(
                    db, [judging], quarter.start, quarter.end, ids[start:start + 500],
                    ("latency", "throughput")):
                _, edition, tally = pieces[0]
                norms = edition.norms_for(connection.service)
                failed = [name for name, met in verdicts(tally, norms, connection.technology)
                          .items() if not met]
                if failed:
                    lines[row["connection_id"]]["tests"].append({
                        "id": row["id"], "kind": row["kind"],
                        "started_at": row["started_at"].isoformat(), "edition": edition.key,
                        "failed": failed, "metrics": shown(row)})


def shown(row: Mapping[str, Any]) -> dict[str, Any]:
    metrics = row["metrics"]
    if row["kind"] == "throughput":
        return {k: metrics.get(k) for k in ("direction", "bits_per_second", "ended")}
    rtt = metrics.get("rtt_ms") or {}
    return {"sent": metrics.get("sent"), "received": metrics.get("received"),
            "rtt_mean_ms": rtt.get("mean")}



