"""A quarter's compliance: the API the CLI and the reporter use.

Every computation returns, with its figures, a manifest from which it can be re-derived and
checked: a hash of the data it read (rollup fingerprints, registry, operator records), the
profile as resolved, the thresholds file, and the judging code. Beside the verdicts it gives
each headline figure under the readings the sources leave open (sensitivity), so an operator
sees how far it stands from the edge under either. Computing never writes:
`collector/runs.py` keeps a computation in `compliance_runs` when a command publishes it.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import metadata, resources
from typing import Any

from netq.collector import queries
from netq.collector.compliance import customer, indicators, obligations
from netq.collector.compliance.document import Document, checked, typed
from netq.collector.compliance.figures import Unit
from netq.collector.compliance.measures import MEASURES, Measure
from netq.collector.compliance.notices import Notice
from netq.collector.compliance.quarter import Period, Quarter
from netq.collector.compliance.thresholds import Profile, ThresholdsError
from netq.collector.store import Store


@dataclass(frozen=True)
class Judged:
    """What a computation judges: the connections whose registry profile is `name`, each day
    under the edition in force that day (or under one forced edition, to see what it would
    change), and the edition whose aggregate norms the quarter is held to."""

    name: str
    spans: list[indicators.Span]
    edition: Profile
    warnings: list[Notice]


def judged(store: Store, period: Quarter | Period, profile: str | None = None,
           edition: str | None = None) -> Judged:
    norms = store.norms
    editions = norms.editions(profile or (norms.profile(edition).profile if edition
                                          else norms.regulation()))
    name = editions[0].profile
    warnings: list[Notice] = []
    days = {"first": str(period.first_day), "last": str(period.last_day)}
    if edition is not None:
        forced = norms.profile(edition)
        if forced.profile != name:
            raise ThresholdsError(f"edition {edition} is of profile {forced.profile}, "
                                  f"not of {name}")
        if not all(forced.in_force_on(d) for d in (period.first_day, period.last_day)):
            warnings.append(Notice(
                "edition %(edition)s is not in force throughout %(first)s–%(last)s: the figures "
                "show what it would give, not what applies", {"edition": forced.key, **days}))
        return Judged(name, [indicators.Span(forced, period.first_day, period.last_day)],
                      forced, warnings + forced.warnings())
    spans: list[indicators.Span] = []
    unjudged = 0
    day = period.first_day
    while day <= period.last_day:
        found = norms.in_force(name, day)
        if found is None:
            unjudged += 1
        elif spans and spans[-1].edition.key == found.key and \
                spans[-1].last_day == day - timedelta(days=1):
            spans[-1] = indicators.Span(found, spans[-1].first_day, day)
        else:
            spans.append(indicators.Span(found, day, day))
        day += timedelta(days=1)
    if unjudged:
        warnings.append(Notice(
            "days of %(first)s–%(last)s on which no edition of profile %(profile)s is in "
            "force, their tests not judged: %(n)s", {"profile": name, "n": unjudged, **days}))
    if len({s.edition.key for s in spans}) > 1:
        warnings.append(Notice(
            "the edition changed within the period (%(spans)s): each test is judged under its "
            "day's edition, the aggregate norms are %(edition)s's",
            {"spans": "; ".join(f"{s.edition.key} {s.first_day}–{s.last_day}" for s in spans),
             "edition": spans[-1].edition.key}))
    chosen = spans[-1].edition if spans else editions[-1]
    for used in {s.edition.key: s.edition for s in spans}.values() or (chosen,):
        warnings.extend(w for w in used.warnings() if w not in warnings)
    return Judged(name, spans, chosen, warnings)


def profiles_present(store: Store, quarter: Quarter) -> list[str]:
    """The registry profiles of the connections in force during the quarter."""
    with store.engine.connect() as db:
        return queries.profiles_present(db, quarter.last_day)


def unknown_profiles(store: Store, quarter: Quarter) -> list[str]:
    known = set(store.norms.names())
    return [name for name in profiles_present(store, quarter) if name not in known]


def read_units(store: Store, quarter: Quarter | Period, profile: str | None = None,
               edition: str | None = None, judging: Judged | None = None,
               columns: Sequence[str] | None = None) -> list[Unit]:
    """The quarter's registry periods with their rollups: what every figure is made from.
    Read once and pass to `compliance` and `details` when a caller needs both. `columns`:
    only those (a reading of speed alone), without outages, suspensions and works."""
    judging = judging or judged(store, quarter, profile, edition)
    store.rollups.ensure_built(store.engine)  # a profile judged by criteria not yet rolled up
    with store.engine.connect() as db:
        works = queries.planned_works(db, quarter.start, quarter.end,
                                      obligations.announced_in_time(judging.edition))
        return queries.read_units(db, quarter, judging.spans, {judging.name}, works, columns)


def compliance(store: Store, quarter: Quarter, profile: str | None = None,
               breakdown: indicators.Breakdown | None = None,
               units: list[Unit] | None = None,
               evidence: bool = True, edition: str | None = None,
               now: datetime | None = None) -> dict[str, Any]:
    """The quarter's indicators for the connections of one registry profile (default: the
    regulation's), as `netq compliance --json` prints them, as of `now` (default: now), which
    is also the manifest's `computed_at`.

    `evidence=False` leaves out the sample, the manifest (a hash over the data the figures
    rest on) and the readings beside: for the collector's periodic gauges, never published."""
    return checked(_built(store, quarter, profile, breakdown, units, evidence, edition, now))


def compliance_read(store: Store, quarter: Quarter, profile: str | None = None,
                    breakdown: indicators.Breakdown | None = None,
                    units: list[Unit] | None = None, evidence: bool = True,
                    now: datetime | None = None) -> tuple[dict[str, Any], Document]:
    """`compliance()`'s document as published and as its models read it, checked once: for
    the report, which publishes the one and reads the other, and the gauges."""
    document = _built(store, quarter, profile, breakdown, units, evidence, None, now)
    return document, typed(document)


def _built(store: Store, quarter: Quarter, profile: str | None,
           breakdown: indicators.Breakdown | None, units: list[Unit] | None,
           evidence: bool, edition: str | None, now: datetime | None) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    judging = judged(store, quarter, profile, edition)
    chosen = judging.edition
    if units is None:
        units = read_units(store, quarter, judging=judging)
    with store.engine.connect() as db:
        imported = queries.imported(db, quarter, judging.name,
                                    chosen.method.call_answer_max_s)
        records = customer.figures(imported, quarter, chosen, judging.name, now)
        drawn = queries.sample(db, units) if evidence else None
        manifest = make_manifest(db, quarter, judging, units, store.norms.sha256, now) \
            if evidence else None
    notices = [*judging.warnings, *records.warnings]
    if not judging.spans:
        notices.append(Notice("profile %(profile)s has no edition in force in %(quarter)s",
                              {"profile": judging.name, "quarter": str(quarter)}))
    excluded = indicators.exclusions(units)
    if excluded["availability_on_net_only_minutes"]:
        notices.append(Notice(
            "minutes of availability checked against on-net targets only (probes configured "
            "before off-net targets), which measured the access network, not the Internet "
            "item 12 names, and are not in its figure: %(n)s",
            {"n": excluded["availability_on_net_only_minutes"]}))
    if excluded["suspensions_without_clause"]:
        notices.append(Notice(
            "suspensions giving a reason profile %(profile)s names no clause for, their time "
            "kept in item 12: %(n)s",
            {"profile": judging.name, "n": excluded["suspensions_without_clause"]}))
    if excluded["speed_segment_assumed"]:
        notices.append(Notice(
            "speed tests that do not record their segment size (probes before it was recorded, "
            "or iperf3's own count), stated at the %(layer)s layer as IPv4 with TCP timestamps "
            "in a 1500-byte MTU: %(n)s",
            {"layer": chosen.method.speed_layer, "n": excluded["speed_segment_assumed"]}))
    unknown = unknown_profiles(store, quarter)
    if unknown:
        notices.append(Notice("connections of profiles thresholds.yaml does not define are "
                              "judged under none: %(profiles)s",
                              {"profiles": ", ".join(unknown)}))
    entries = indicators.compute(units, chosen, breakdown, records.figures)
    owed = chosen.obligations
    return {
        "quarter": str(quarter),
        "profile": judging.name,
        "edition": chosen.key,
        "editions": [{"key": s.edition.key, "from": s.first_day.isoformat(),
                      "to": s.last_day.isoformat()} for s in judging.spans],
        "rests_on": chosen.rests_on,
        "profile_title": chosen.title,
        "profile_source": chosen.source,
        "timezone": "Europe/Minsk",
        "period": {"from": quarter.start.isoformat(), "to": quarter.end.isoformat()},
        # a quarter not yet over is what it is: observed up to the computation, no further
        "observed_until": min(now, quarter.end).isoformat(),
        "breakdown": breakdown,
        "decision_rule": DECISION_RULE,
        "method": chosen.method.model_dump(mode="json"),
        "per_test": {s: p.model_dump(mode="json", exclude_none=True)
                     for s, p in chosen.per_test.items()},
        "indicators": entries,
        "sensitivity": sensitivity(store, quarter, judging, units, imported, entries,
                                   breakdown, now)
        if evidence else None,
        "connections": len({u.connection.connection_id for u in units}),
        "exclusions": {**excluded, **records.apart},
        "suspension_clauses": dict(chosen.suspensions),
        "publication": None if owed.publication is None else owed.publication.model_dump(),
        "coverage": indicators.coverage(units, now),
        "sample": drawn,
        "out_of_scope": [item.model_dump() for item in chosen.out_of_scope],
        "warnings": [str(notice) for notice in notices],
        "notices": [notice.to_json() for notice in notices],
        "manifest": manifest,
    }


DECISION_RULE = ("meets (fails) when the whole 95 % interval lies on the meeting (failing) "
                 "side of the norm, the operator's complete records and a contract breached by "
                 "the value itself; edge when the interval crosses the norm, whichever side the "
                 "value is on; no verdict below the minimum sample or without a value")


@dataclass(frozen=True)
class Reading:
    """A question the sources leave open: netq's answer (the verdict's) and the other one,
    whose figures are shown beside."""

    key: str
    question: str
    adopted: str
    alternative: str
    concerns: Callable[[Measure], bool]  # the measures whose figures it moves


READINGS = (
    Reading("speed_layer", "the layer a tariff's speed is stated at (no source names one)",
            "the TCP payload the probe measured", "the Ethernet frame (+18 bytes a segment)",
            lambda measure: measure.of_speed),
    Reading("planned_works", "planned works in item 12 (the annex gives them no exclusion)",
            "in the figure", "taken out when announced in time",
            lambda measure: measure.of_time),
    Reading("customer_delay", "a customer's recorded delay in item 1 (no clause moves the "
            "deadline)", "not added to the deadline", "added to the deadline",
            lambda measure: measure.records == "contracts"),
)


def sensitivity(store: Store, quarter: Quarter, judging: Judged, units: Sequence[Unit],
                imported: customer.Imported, entries: list[dict[str, Any]],
                breakdown: indicators.Breakdown | None, now: datetime) -> list[dict[str, Any]]:
    """Each headline figure a reading changes, under netq's reading and the other; the
    other's value and verdict are also set on the entry (`readings`)."""
    chosen = judging.edition
    found = []
    for reading in READINGS:
        only = chosen.model_copy(update={"indicators": tuple(
            i for i in chosen.indicators if reading.concerns(MEASURES[i.measure]))})
        if not only.indicators:
            continue
        if reading.key == "speed_layer":
            if chosen.method.speed_layer == "ethernet":
                continue
            other = Judged(judging.name, [indicators.Span(s.edition.at_layer("ethernet"),
                                                          s.first_day, s.last_day)
                                          for s in judging.spans],
                           chosen.at_layer("ethernet"), [])
            alternative = indicators.compute(
                read_units(store, quarter, judging=other, columns=queries.SPEED_COLUMNS),
                only.at_layer("ethernet"))
        elif reading.key == "planned_works":
            alternative = indicators.compute([u.planned_works_excluded() for u in units], only)
        else:
            delayed = customer.figures(imported, quarter, chosen, judging.name, now,
                                       customer_delay=True)
            alternative = indicators.compute([], only, None, delayed.figures)
        found.append({"reading": reading.key, "question": reading.question,
                      "adopted": reading.adopted, "alternative": reading.alternative,
                      "indicators": _beside(entries, alternative, breakdown, reading.key)})
    return found


def _beside(entries: list[dict[str, Any]], alternative: list[dict[str, Any]],
            breakdown: str | None, key: str) -> list[dict[str, Any]]:
    other = {(e["id"], e.get("tariff_kbps")): e for e in alternative
             if e["technology"] is None}
    compared = []
    for entry in entries:
        twin = other.get((entry["id"], entry.get("tariff_kbps")))
        if twin is None or entry["technology"] is not None or (
                breakdown is not None and entry.get(breakdown) is not None):
            continue
        shown = {name: twin.get(name) for name in ("value", "verdict", "meets", "mean_kbps")
                 if name in twin}
        entry.setdefault("readings", {})[key] = shown
        compared.append({"id": entry["id"], "tariff_kbps": entry.get("tariff_kbps"),
                         "unit": entry["unit"],
                         "adopted": {name: entry.get(name) for name in shown},
                         "alternative": shown})
    return compared


def make_manifest(db: Any, quarter: Quarter, judging: Judged, units: Sequence[Unit],
                  thresholds_sha256: str, now: datetime) -> dict[str, Any]:
    results, snapshot = queries.snapshot(db, quarter, units)
    resolved = json.dumps([s.edition.model_dump(mode="json") for s in judging.spans]
                          or [judging.edition.model_dump(mode="json")],
                          sort_keys=True, ensure_ascii=False)
    return {
        "computed_at": now.isoformat(timespec="seconds"),
        "results": results,
        "snapshot_sha256": snapshot,
        "profile_sha256": hashlib.sha256(resolved.encode()).hexdigest(),
        "criteria": sorted({s.edition.criteria for s in judging.spans}),
        **code_identity(thresholds_sha256),
    }


def code_identity(thresholds_sha256: str) -> dict[str, str]:
    """What a figure was judged by: the package's version, a hash of the judging code (every
    module of the compliance package as installed) and one of the thresholds file read."""
    return {"code_version": metadata.version("netq"), "code_sha256": judging_code_sha256(),
            "thresholds_sha256": thresholds_sha256}


@functools.cache
def judging_code_sha256() -> str:
    digest = hashlib.sha256()
    package = resources.files("netq.collector.compliance")
    for module in sorted((m for m in package.iterdir() if m.name.endswith(".py")),
                         key=lambda m: m.name):
        digest.update(module.name.encode() + b"\0" + module.read_bytes())
    return digest.hexdigest()
