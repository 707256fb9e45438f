"""Counted in lines, not in tests: how many lines the registry holds and how many were measured,
how many fell short of each per-test norm or of their contract, by region, node, technology and
tariff plan. The published indicators pool every test; these say where the subscribers behind a
figure are, so a national share cannot hide a region whose every line fails."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from netq.collector.compliance.figures import Unit
from netq.collector.compliance.lines import contract_breached, norms_failed
from netq.collector.compliance.measures import PER_TEST_NORMS, SPEED_NORM
from netq.collector.compliance.thresholds import Profile

# FCC Measuring Broadband America's thresholds: a line's mean download speed against its tariff
TARIFF_SHARES = (80.0, 95.0)
# the consistent speed (FCC MBA's 80/80): the share of the tariff 80 % of a line's evening-peak
# tests reach, and the level 80 % of the plan's lines reach in turn
CONSISTENT_QUANTILE = 0.2
# a line with fewer evening-peak download tests has no consistent speed of its own
CONSISTENT_TESTS_MIN = 5
WORST_NODES = 15


@dataclass
class Line:
    """One line over the quarter, its registry periods taken together."""

    connection_id: str
    region: str
    node: str
    technology: str
    measured: bool = False
    judged: set[str] = field(default_factory=set)  # the per-test norms that judged a test
    failed: set[str] = field(default_factory=set)  # those a test fell short of
    below_contract: bool = False  # item 9: a speed of the contract not reached
    down_share_sum: float = 0.0
    down_n: float = 0.0
    scheduled_s: float = 0.0
    unavailable_s: float = 0.0

    @property
    def down_share(self) -> float | None:
        """The line's mean download speed, % of its tariff."""
        return self.down_share_sum / self.down_n if self.down_n else None


def lines(units: Iterable[Unit], rules: Profile) -> dict[str, Line]:
    """Each line of the units, counted against the per-test norms its profile sets for it
    (a norm that does not apply to a line neither judges nor fails it); the region, node and
    technology its last registry period of the quarter gives."""
    found: dict[str, Line] = {}
    for unit in sorted(units, key=lambda u: u.begins):
        connection = unit.connection
        line = found.get(connection.connection_id)
        if line is None:
            line = found[connection.connection_id] = Line(connection.connection_id,
                                                          connection.region, connection.node,
                                                          connection.technology)
        line.region, line.node, line.technology = \
            connection.region, connection.node, connection.technology
        tests = unit["speed_down_n"] + unit["speed_up_n"] + unit["latency_n"] + \
            unit["attempts_n"]
        line.measured = line.measured or bool(tests) or unit["covered_s"] > 0
        norms = rules.norms_for(connection.service)
        if norms is not None:
            technology = connection.technology
            line.judged.update(norm.name for norm in PER_TEST_NORMS if norm.tests(unit)
                               and norms.value(norm.key, technology) is not None)
            if norms.value(SPEED_NORM, technology) is not None:
                line.down_share_sum += unit["speed_down_share_sum"]
                line.down_n += unit["speed_down_n"]
        line.failed.update(norms_failed(unit, rules))
        line.below_contract = line.below_contract or bool(contract_breached(unit, rules))
        line.scheduled_s += unit.scheduled_s
        line.unavailable_s += unit.unavailable_s
    return found


def norms_set(rules: Profile) -> tuple[str, ...]:
    """The per-test norms the profile sets for some service, in the order the tables show
    them: those a line is counted against."""
    return tuple(norm.name for norm in PER_TEST_NORMS if any(
        getattr(per_test, norm.key) is not None for per_test in rules.per_test.values()))


def by(found: Iterable[Line], key: Callable[[Line], str],
       norms: Sequence[str]) -> list[dict[str, Any]]:
    """The lines grouped: how many measured; per norm, how many it judged and how many fell
    short of it; how many fell short of any, or of their contract; how many had a mean
    download speed below 80 % and 95 % of the tariff; availability over the group's time."""
    groups: dict[str, list[Line]] = defaultdict(list)
    for line in found:
        if line.measured:
            groups[key(line)].append(line)
    rows = []
    for name, members in groups.items():
        speeds = [s for s in (line.down_share for line in members) if s is not None]
        scheduled = sum(line.scheduled_s for line in members)
        rows.append({
            "group": name, "lines": len(members),
            "failing": sum(1 for line in members if line.failed),
            "judged": {n: sum(1 for line in members if n in line.judged) for n in norms},
            "failed": {n: sum(1 for line in members if n in line.failed) for n in norms},
            "below_contract": sum(1 for line in members if line.below_contract),
            "with_speed": len(speeds),
            "below_tariff_share": {f"{share:g}": sum(1 for s in speeds if s < share)
                                   for share in TARIFF_SHARES},
            "availability_percent": None if not scheduled else
            100 * (scheduled - sum(line.unavailable_s for line in members)) / scheduled})
    return rows


def by_region(found: Mapping[str, Line], norms: Sequence[str]) -> list[dict[str, Any]]:
    return sorted(by(found.values(), lambda line: line.region, norms),
                  key=lambda r: r["group"])


def worst_nodes(found: Mapping[str, Line], norms: Sequence[str]) -> list[dict[str, Any]]:
    """The nodes with the largest share of their lines failing a per-test norm, then the
    lowest availability: at most 15."""
    rows = by(found.values(), lambda line: line.node, norms)
    failing = [r for r in rows if r["failing"] or (r["availability_percent"] or 100) < 100]
    return sorted(failing, key=lambda r: (-r["failing"] / r["lines"],
                                          r["availability_percent"] or 100,
                                          r["group"]))[:WORST_NODES]


def quantile(values: Sequence[float], q: float) -> float:
    """The q-quantile by the nearest rank: a value some test or line did reach."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def plans(units: Iterable[Unit], rules: Profile,
          peak: Mapping[tuple[str, date], Sequence[float]]) -> list[dict[str, Any]]:
    """Per technology and download tariff, the lines whose norms judge speed: their mean
    download speed over the whole day and in the evening peak (% of the tariff), how many
    were below 80 % and 95 % of it, and the consistent speed in the peak (80/80)."""
    plans: dict[tuple[str, int], list[Unit]] = defaultdict(list)
    for unit in units:
        norms = rules.norms_for(unit.connection.service)
        if unit["speed_down_n"] and norms is not None and \
                norms.value(SPEED_NORM, unit.connection.technology) is not None:
            plans[(unit.connection.technology, unit.connection.tariff_down_kbps)].append(unit)
    rows = []
    for (technology, tariff), members in sorted(plans.items(), key=lambda p: (p[0][0],
                                                                               -p[0][1])):
        # a line on the plan in two registry periods is one line
        sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
        peaks: dict[str, list[float]] = defaultdict(list)
        for unit in members:
            line = unit.connection.connection_id
            sums[line][0] += unit["speed_down_share_sum"]
            sums[line][1] += unit["speed_down_n"]
            peaks[line].extend(peak.get((line, unit.connection.effective_from), ()))
        shares = {line: k / n for line, (k, n) in sums.items()}
        tests = sum(n for _, n in sums.values())
        peak_tests = [s for line in peaks for s in peaks[line]]
        consistent = [quantile(p, CONSISTENT_QUANTILE) for p in peaks.values()
                      if len(p) >= CONSISTENT_TESTS_MIN]
        rows.append({
            "technology": technology, "tariff_kbps": tariff, "lines": len(shares),
            "mean_share": sum(k for k, _ in sums.values()) / tests,
            "peak_mean_share": sum(peak_tests) / len(peak_tests) if peak_tests else None,
            "peak_tests": len(peak_tests),
            "below_tariff_share": {f"{share:g}": sum(1 for s in shares.values() if s < share)
                                   for share in TARIFF_SHARES},
            "consistent_lines": len(consistent),
            "consistent_share": quantile(consistent, CONSISTENT_QUANTILE)
            if consistent else None})
    return rows


def panel(units: Iterable[Unit], found: Mapping[str, Line],
          days: int) -> dict[str, list[dict[str, Any]]]:
    """The measured lines against the registry's, by technology and by region, with how
    often they were tested (sessions per measured line per day elapsed), and whether a
    group's share of the measured lines falls below half its share of the registered ones
    (under-represented)."""
    units = list(units)
    sessions: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for unit in units:
        tally = sessions[unit.connection.connection_id]
        tally[0] += unit["latency_n"]
        tally[1] += unit["speed_down_n"] + unit["speed_up_n"]
    registered = list(found.values())
    measured = [line for line in registered if line.measured]
    found_by: dict[str, list[dict[str, Any]]] = {}
    keys: dict[str, Callable[[Line], str]] = {"technology": lambda line: line.technology,
                                              "region": lambda line: line.region}
    for name, key in keys.items():
        groups: dict[str, list[Line]] = defaultdict(list)
        for line in registered:
            groups[key(line)].append(line)
        rows = []
        for group, members in sorted(groups.items()):
            tested = [line for line in members if line.measured]
            share = len(tested) / len(measured) if measured else 0.0
            of_registry = len(members) / len(registered)
            rows.append({
                "group": group, "registered": len(members), "measured": len(tested),
                "latency_per_day": _per_day(sessions, tested, 0, days),
                "speed_per_day": _per_day(sessions, tested, 1, days),
                "measured_share": share, "registered_share": of_registry,
                "under_represented": share < of_registry / 2})
        found_by[name] = rows
    return found_by


def _per_day(sessions: Mapping[str, list[float]], tested: Sequence[Line], which: int,
             days: int) -> float | None:
    if not tested or days < 1:
        return None
    return sum(sessions[line.connection_id][which] for line in tested) / len(tested) / days
