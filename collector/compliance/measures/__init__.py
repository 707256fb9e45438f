"""The measures, one module per measure, each describing itself; thresholds.yaml's `measure:`
names one.

The shape follows the probe's probers: each module `collector/compliance/measures/NAME.py`
ends with

    MEASURE = Measure("NAME", kind, counts, ...)

saying how its figure is made from a quarter's units (the rollup columns it reads, the
evidence `netq compliance explain` lists), what its n counts, the Prometheus series its figure
is published as, its words for the report (message catalogue ids), and, when it brings a
per-test norm of its own (a key under a service's `per_test` in thresholds.yaml), how one
test is judged against it and the rollup columns that judgement keeps. Nothing outside this
package names a measure: adding one is its module, its thresholds.yaml entry and, when it
keeps columns, a migration (`scripts/migration`); tests/test_measures.py holds that.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from netq.collector.compliance import stats
from netq.collector.compliance.figures import Figure, Unit
from netq.collector.compliance.limits import Limit, SpeedLimit

Tally = dict[str, float]
Averaging = Literal["pooled", "per_subscriber"]
# the Prometheus series a figure is published as (collector/metrics.py): a share in percent,
# or a delay in milliseconds; never guessed from an indicator's unit
Series = Literal["share", "delay"]


@dataclass(frozen=True)
class JudgedTest:
    """One judged test, as the method has counted it (judgement.py): what its norm needs."""

    kind: str
    technology: str
    metrics: Mapping[str, Any]
    counted: Mapping[str, float]  # the method's own columns: sessions, packets, speed shares
    # throughput: its speed at the profile's layer, and the tariff of its direction
    bits_per_second: Decimal | None = None
    direction: str | None = None
    tariff_kbps: int | None = None


@dataclass(frozen=True)
class NormGauge:
    """A per-test norm in force, as a gauge per profile, service and technology, which the
    line alerts and dashboards join a line's own series to."""

    name: str
    help: str
    scale: Decimal  # from the norm's unit to the gauge's (ms → s, % → ratio)
    # where a profile sets no such per-test norm, the norm of the regulation's indicator of
    # this measure for the service stands in (com645 item 20 for wireless loss)
    else_indicator_of: str | None = None


@dataclass(frozen=True)
class PerTestNorm:
    """A norm each test is judged against: `key` under a service's `per_test` in
    thresholds.yaml. `judge` gives the columns one test keeps (`kept`) when the norm holds for
    the line's technology; `tested` are the columns that count the tests it judges."""

    key: str
    name: str  # the test's verdict on it (explain, the line report, counts in lines)
    order: int  # where the line tables show it
    stricter: Literal[">=", "<="]  # which way an operator's own norm may move it
    reads: str  # the test kind it judges
    tested: tuple[str, ...]
    kept: tuple[str, ...]
    judge: Callable[[JudgedTest, Decimal], Tally]
    label: str  # catalogue id: the norm in a word ("delay")
    outside: str  # catalogue id: a test that failed it ("outside the delay norm")
    kept_counts_failures: bool = False  # `kept` counts the tests that fail it, not that meet it
    limit: type[Limit] = Limit
    gauge: NormGauge | None = None

    def tests(self, counted: Mapping[str, float] | Unit) -> float:
        return _summed(counted, self.tested)

    def failed(self, counted: Mapping[str, float] | Unit) -> float:
        kept = _summed(counted, self.kept)
        return kept if self.kept_counts_failures else self.tests(counted) - kept


def _summed(counted: Mapping[str, float] | Unit, columns: tuple[str, ...]) -> float:
    """A test's tally, or a unit's sums: a column absent counts 0."""
    return sum(counted[c] if isinstance(counted, Unit) else counted.get(c, 0.0)
               for c in columns)


def _nothing(unit: Unit) -> float | None:
    return None


def _no_denominator(unit: Unit) -> float:
    return 0.0


@dataclass(frozen=True)
class Measure:
    """One measure: how its figure is made from the units, the rollup columns it reads and
    what its n counts.

    - share: Σ numerator / Σ denominator in percent (pooled), or the mean over connections of
      each one's own share (per subscriber);
    - mean: the same without the percent (the mean round trip of the sessions);
    - per_line: a value per registry period (its slowest or fastest test), averaged over them;
    - records: a share of the operator's own records (`records`), complete, not a sample.
    """

    name: str
    kind: Literal["share", "mean", "per_line", "records"]
    counts: str  # what its n counts: sessions, packets, minutes, tests, records
    numerator: Callable[[Unit], float | None] = _nothing
    denominator: Callable[[Unit], float] = _no_denominator
    columns: tuple[str, ...] = ()
    series: Series = "share"
    norm: PerTestNorm | None = None
    records: str | None = None  # contracts, calls or tickets
    # item 9: judged per tariff plan, each line's extreme test of a direction
    per_plan: tuple[Literal["down", "up"], Literal["max", "min"]] | None = None
    # the readiness of the connection over the time observed: outages, lawful suspensions
    # and planned works settle it, and time observed only on-net does not measure it
    of_time: bool = False
    sessions_of: str | None = None  # a test kind every judged session of which its n counts
    plain: str | None = None  # catalogue id: the figure in everyday words, for the first page
    term: tuple[str, str] | None = None  # catalogue ids: a glossary term citing its clause

    @property
    def of_speed(self) -> bool:
        """Whether it reads speed, so the layer a tariff is stated at moves it."""
        return any(c.startswith("speed_") for c in self.columns)

    def figure(self, units: Sequence[Unit], averaging: Averaging = "pooled") -> Figure:
        scale = 100.0 if self.kind == "share" else 1.0
        # a share stays within 0–100 %, a mean round trip or a speed above 0
        bounds = (0.0, scale) if self.kind == "share" else (0.0, None)
        if self.kind == "per_line":
            measured = [(u, v) for u in units if (v := self.numerator(u)) is not None]
            return _mean_figure([v for _, v in measured],
                                sum(self.denominator(u) for u, _ in measured),
                                len({u.connection.connection_id for u, _ in measured}), bounds)
        by_line: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
        for unit in units:
            pair = by_line[unit.connection.connection_id]
            pair[0] += self.numerator(unit) or 0.0
            pair[1] += self.denominator(unit)
        pairs = [(k, n) for k, n in by_line.values() if n > 0]
        n = sum(n for _, n in pairs)
        if not pairs:
            return Figure(None, 0, None, 0)
        if averaging == "per_subscriber":
            return _mean_figure([scale * k / n for k, n in pairs], n, len(pairs), bounds)
        interval = stats.clustered_share_interval(pairs) if self.kind == "share" \
            else stats.ratio_interval(pairs)
        return Figure(scale * sum(k for k, _ in pairs) / n, n,
                      None if interval is None else (scale * interval[0], scale * interval[1]),
                      len(pairs))


def _mean_figure(values: Sequence[float], n: float, connections: int,
                 bounds: tuple[float, float | None]) -> Figure:
    if not values:
        return Figure(None, n, None, 0)
    return Figure(sum(values) / len(values), n, stats.mean_interval(values, bounds),
                  connections)


def column(name: str) -> Callable[[Unit], float]:
    """A measure's numerator or denominator that is one rollup column."""
    return lambda unit: unit[name]


def speed_extreme(direction: str, extreme: str) -> Callable[[Unit], float | None]:
    """A registry period's fastest or slowest test of a direction, % of its tariff."""
    def value(unit: Unit) -> float | None:
        return unit.sums.get(f"speed_{direction}_share_{extreme}") \
            if unit[f"speed_{direction}_n"] else None
    return value


def tariff_speed(name: str, direction: Literal["down", "up"], extreme: Literal["max", "min"],
                 term: tuple[str, str] | None = None) -> Measure:
    """An item 9 measure: per tariff plan, its lines' fastest or slowest tests of a direction."""
    return Measure(name, "per_line", "tests", speed_extreme(direction, extreme),
                   column(f"speed_{direction}_n"),
                   (f"speed_{direction}_n", f"speed_{direction}_share_{extreme}"),
                   per_plan=(direction, extreme), term=term)


def _discover() -> dict[str, Measure]:
    found: dict[str, Measure] = {}
    for module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
        measure = importlib.import_module(f"{__name__}.{module}").MEASURE
        if not isinstance(measure, Measure) or measure.name != module:
            raise TypeError(f"measures/{module}.py must end with MEASURE = Measure({module!r}, "
                            "...)")
        found[module] = measure
    return found


MEASURES: dict[str, Measure] = _discover()
# the per-test norms the measures bring, in the order the line tables show them
PER_TEST_NORMS: tuple[PerTestNorm, ...] = tuple(sorted(
    (m.norm for m in MEASURES.values() if m.norm is not None), key=lambda n: n.order))
# the per-test norm a test's speed is held to as a share of its tariff: the norm the speed
# pictures and the tables of speed by plan draw
SPEED_NORM: str = next(n.key for n in PER_TEST_NORMS if issubclass(n.limit, SpeedLimit))
# the rollup columns the per-test norms keep, beside the method's own (tables.py)
KEPT: tuple[str, ...] = tuple(c for norm in PER_TEST_NORMS for c in norm.kept)
