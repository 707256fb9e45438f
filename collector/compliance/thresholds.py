"""thresholds.yaml: dated profiles of norms and the method, validated at load.

The resolution's annex is the floor (its rules, п. 35: quality «не ниже установленных»): an
edition marked `regulation` is the resolution itself, and every other profile rests on one of
its editions through `extends`. An operator's own rules then only add: they inherit every
indicator, per-test norm, obligation and lawful suspension of the regulation, may make any of
them stricter, may add their own, and may never drop or weaken one; an own indicator on the
same measure and lines as one of the regulation's is judged by whichever norm is stricter.
Each violation of that is a load error naming file, line and key.

Norm values stay Decimal so that a boundary ("exactly 1 %") compares exactly.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from datetime import date, time
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, cast, get_args

from pydantic import AfterValidator, Field, ValidationError, create_model, model_validator

from netq import yamlfile
from netq.collector.compliance.limits import Clause, Limit
from netq.collector.compliance.measures import MEASURES, PER_TEST_NORMS
from netq.collector.compliance.notices import Notice
from netq.errors import ConfigError
from netq.model import TECHNOLOGIES, Strict, Technology

Service = Literal["fixed", "wireless", "data", "customer"]
LineService = Literal["fixed", "wireless"]
SpeedLayer = Literal["tcp_payload", "ip", "ethernet"]
Averaging = Literal["pooled", "per_subscriber"]
# why a line's service may lawfully be suspended; each profile names the clause of each
SuspensionReason = Literal["non_payment", "subscriber_request", "subscriber_breach"]
SUSPENSION_REASONS: tuple[str, ...] = get_args(SuspensionReason)
# the services whose lines an indicator of a service takes in ("data": byfly's tables,
# which do not tell wired from wireless)
LINES: dict[str, tuple[str, ...]] = {"fixed": ("fixed",), "wireless": ("wireless",),
                                     "data": ("fixed", "wireless"), "customer": ()}
Unknown = Literal["unknown"]  # a date its source does not give


class ThresholdsError(ConfigError):
    """thresholds.yaml cannot be used, or has no such profile; the message says where."""



# method parameters an operator's rules may only make stricter, and which way that is
STRICTER_METHOD: dict[str, str] = {
    "latency_packets_min": "<=", "outage_min_minutes": "<=", "min_sample": "<=",
    "call_answer_max_s": "<=", "ticket_restore_max_hours": "<=",
}


class Method(Strict):
    latency_packets_min: int = Field(100, ge=1)
    outage_min_minutes: Decimal = Field(Decimal(5), gt=0)
    min_sample: int = Field(30, ge=1)
    call_answer_max_s: Decimal = Field(Decimal(180), gt=0)
    ticket_restore_max_hours: Decimal = Field(Decimal(36), gt=0)
    # pooled: every session counts alike; per_subscriber: each connection's own figure, then
    # their mean ("среднее для всей совокупности Абонентов"); for the edition's own indicators
    averaging: Averaging = "pooled"
    # the layer speed is judged at: the TCP payload the probe measured, unless the profile's
    # source defines its tariff at another layer (speed_layer_clause says where)
    speed_layer: SpeedLayer = "tcp_payload"
    speed_layer_clause: Clause | None = None

    @model_validator(mode="after")
    def _layer_has_its_clause(self) -> Method:
        if self.speed_layer != "tcp_payload" and self.speed_layer_clause is None:
            raise ValueError(
                f"speed_layer: {self.speed_layer} needs speed_layer_clause, the clause where "
                "the source states its tariff at that layer; without one, speed is judged "
                "as the TCP payload the probe measured")
        return self


# which way each per-test norm is stricter (a higher floor, a lower ceiling), from the
# measures that bring them
PER_TEST_STRICTER: dict[str, str] = {norm.key: norm.stricter for norm in PER_TEST_NORMS}


class PerTestNorms(Strict):
    """What one test must show to meet the norms, for one service class: a key per measure
    that brings a per-test norm (measures/). A norm left out is one the source does not set:
    the tests are counted, never judged against it."""

    def value(self, key: str, technology: str) -> Decimal | None:
        """The norm's value for a line of `technology`, or None where it does not hold."""
        limit: Limit | None = getattr(self, key)
        return limit.value if limit is not None and limit.holds_for(technology) else None


if TYPE_CHECKING:
    PerTest = PerTestNorms
else:  # a field per norm the measures bring, so that a key no measure brings is an error
    PerTest = create_model("PerTest", __base__=PerTestNorms,
                           **{n.key: (n.limit | None, None) for n in PER_TEST_NORMS})


def _known_measure(name: str) -> str:
    if name not in MEASURES:
        raise ValueError(f"no measure {name!r}; there are: {', '.join(sorted(MEASURES))}")
    return name


MeasureName = Annotated[str, AfterValidator(_known_measure)]


class Norm(Strict):
    op: Literal[">=", "<="]
    value: Decimal

    def met_by(self, value: float) -> bool:
        figure = Decimal(repr(value))
        return figure >= self.value if self.op == ">=" else figure <= self.value

    def at_least_as_strict_as(self, other: Norm) -> bool:
        return self.op == other.op and (self.value >= other.value if self.op == ">="
                                        else self.value <= other.value)

    def __str__(self) -> str:
        return f"{self.op} {self.value}"


class Indicator(Strict):
    id: str
    measure: MeasureName
    service: Service
    unit: str
    norm: Norm  # the norm that judges: the source's own, or the regulation's where stricter
    clause: Clause
    name_ru: str = Field(min_length=1)
    technologies: tuple[Technology, ...] | None = None
    averaging: Averaging = "pooled"
    regulation: bool = False  # one of the resolution's own indicators
    # where an operator's rule sets a laxer norm than the regulation on the same measure and
    # lines: what the operator's source says, kept to be shown beside the norm that judges
    source_norm: Norm | None = None
    raised_by: str | None = None  # the regulation's clause whose norm judges instead

    def covers(self, service: str, technology: str) -> bool:
        """Whether a line of this service and technology is in the indicator's population."""
        return service in LINES[self.service] and (
            self.technologies is None or technology in self.technologies)

    def overlaps(self, other: Indicator) -> bool:
        """Whether the two indicators count some of the same lines (or both the records)."""
        if self.service == "customer" or other.service == "customer":
            return self.service == other.service
        techs = [set(i.technologies or TECHNOLOGIES) for i in (self, other)]
        return bool(set(LINES[self.service]) & set(LINES[other.service])) and bool(
            techs[0] & techs[1])


class IndicatorOverride(Strict):
    id: str
    measure: MeasureName | None = None
    service: Service | None = None
    unit: str | None = None
    norm: Norm | None = None
    clause: Clause | None = None
    name_ru: str | None = None
    technologies: tuple[Technology, ...] | None = None


class FeeRecalculation(Strict):
    clause: Clause
    after_hours: Decimal = Field(gt=0)


class PlannedNotice(Strict):
    clause: Clause
    hours: Decimal = Field(ge=0)


class PlannedNoticeWorkingDays(Strict):
    clause: Clause
    days: int = Field(ge=1)


class WorkingDay(Strict):
    from_: time = Field(alias="from")
    to: time
    # where the source states it; none: the source leaves it to elsewhere (a website) and
    # netq assumes these hours, with a warning on every document that uses them
    clause: Clause | None = None

    @model_validator(mode="after")
    def _order(self) -> WorkingDay:
        if self.to <= self.from_:
            raise ValueError("the working day must end after it begins")
        return self


class RestorationWorkingHours(Strict):
    clause: Clause
    hours: Decimal = Field(gt=0)
    working_day: WorkingDay


Urgency = Literal["high", "normal", "low"]
Impact = Literal["fully_down", "major_degradation", "degradation", "planning"]
IMPACTS: tuple[str, ...] = get_args(Impact)
URGENCIES: tuple[str, ...] = get_args(Urgency)


class Level(Strict):
    name_ru: str
    reaction_minutes: int = Field(gt=0)
    resolution_hours: Decimal | None = Field(None, gt=0)


class SupportLevels(Strict):
    """A priority from a ticket's impact and urgency, and each level's time limits."""

    clause: Clause
    priorities: dict[Impact, dict[Urgency, int]]
    levels: dict[int, Level]

    @model_validator(mode="after")
    def _complete(self) -> SupportLevels:
        missing = [f"{impact}.{urgency}" for impact in IMPACTS for urgency in URGENCIES
                   if urgency not in self.priorities.get(cast(Impact, impact), {})]
        if missing:
            raise ValueError(f"priorities: no level for {', '.join(missing)}")
        for impact, row in self.priorities.items():
            for urgency, level in row.items():
                if level not in self.levels:
                    raise ValueError(f"priorities.{impact}.{urgency}: level {level} is not "
                                     "among the levels")
        return self


class ContractDeadline(Strict):
    """How a contract's promised days are counted, and the rules' own promise where the
    contract states none."""

    clause: Clause
    days_kind: Literal["calendar", "working"]
    days: int | None = Field(None, ge=0, le=3650)


class Publication(Strict):
    clause: Clause
    day: int = Field(ge=1, le=28)  # of the month after the quarter


class ProfileObligations(Strict):
    """What the operator owes under a profile's source, beyond the indicators."""

    publication: Publication | None = None
    fee_recalculation: FeeRecalculation | None = None
    planned_notice: PlannedNotice | None = None
    planned_notice_working_days: PlannedNoticeWorkingDays | None = None
    contract_deadline: ContractDeadline | None = None
    support_levels: SupportLevels | None = None
    restoration_working_hours: RestorationWorkingHours | None = None


class OutOfScope(Strict):
    numbers: str
    what: str
    why: str


class ProfileEntry(Strict):
    key: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]*$")
    profile: str | None = Field(None, pattern=r"^[a-z0-9][a-z0-9.-]*$")
    regulation: bool = False  # an edition of the resolution itself: the floor of every profile
    extends: str | None = None
    title: str
    source: str
    seed: str | None = None
    effective_from: date | Unknown | None = None  # None: never in force by date
    effective_to: date | Unknown | None = None  # the last day in force
    method: dict[str, Any] = Field(default_factory=dict)
    obligations: ProfileObligations | None = None
    suspensions: dict[SuspensionReason, Clause] = Field(default_factory=dict)
    out_of_scope: list[OutOfScope] | None = None
    per_test: dict[LineService, PerTest] | None = None
    indicators: list[IndicatorOverride] = Field(default_factory=list)
    drop_indicators: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> ProfileEntry:
        ids = [i.id for i in self.indicators]
        if len(ids) != len(set(ids)):
            repeated = sorted({i for i in ids if ids.count(i) > 1})
            raise ValueError(f"indicator ids repeat: {', '.join(repeated)}")
        if isinstance(self.effective_to, date) and isinstance(self.effective_from, date) and \
                self.effective_to < self.effective_from:
            raise ValueError("effective_to must not come before effective_from")
        if self.effective_to is not None and self.effective_from is None:
            raise ValueError("an edition never in force (no effective_from) has no "
                             "effective_to")
        return self


class File(Strict):
    version: Literal[3]
    method: Method = Method()
    profiles: list[ProfileEntry] = Field(min_length=1)


class Profile(Strict):
    """One edition of a profile, with everything it inherits resolved."""

    key: str
    profile: str  # the registry's name for the rules this edition is of
    regulation: bool
    rests_on: str | None  # the regulation's edition under an operator's (None: is one)
    title: str
    source: str
    seed: str | None
    effective_from: date | None
    effective_to: date | None
    # the dates the source does not give: netq's reading of each is a warning
    unknown_dates: tuple[Literal["effective_from", "effective_to"], ...] = ()
    floor_from: date | None  # the days the regulation's edition is in force
    floor_to: date | None
    method: Method
    obligations: ProfileObligations
    suspensions: dict[SuspensionReason, Clause]
    out_of_scope: tuple[OutOfScope, ...]
    per_test: dict[LineService, PerTest]
    indicators: tuple[Indicator, ...]

    def norms_for(self, service: str) -> PerTest | None:
        """The per-test norms of a line's service (none for a service it has none for)."""
        return self.per_test.get(cast(LineService, service))

    @property
    def criteria(self) -> str:
        """The key of what per-test judgement depends on, the judging code included:
        editions that judge tests alike share daily rollups, and a change to how a test is
        judged (the norms, the layer, the code) builds new ones."""
        from netq.collector.compliance.judgement import CODE_SHA256

        basis = {"per_test": {s: p.model_dump(mode="json") for s, p in self.per_test.items()},
                 "latency_packets_min": self.method.latency_packets_min,
                 "speed_layer": self.method.speed_layer, "judgement": CODE_SHA256}
        return hashlib.sha256(json.dumps(basis, sort_keys=True).encode()).hexdigest()[:16]

    def at_layer(self, layer: SpeedLayer) -> Profile:
        """The edition read with speed at another layer: a reading the sources leave open,
        computed beside the verdict (never the verdict)."""
        if layer == self.method.speed_layer:
            return self
        return self.model_copy(update={"method": self.method.model_copy(
            update={"speed_layer": layer, "speed_layer_clause": None})})

    def in_force_on(self, day: date) -> bool:
        return all(start is not None and start <= day and (end is None or day <= end)
                   for start, end in ((self.effective_from, self.effective_to),
                                      (self.floor_from, self.floor_to)))

    def warnings(self) -> list[Notice]:
        """What every document judged under this edition must say of its readings."""
        said = []
        if "effective_from" in self.unknown_dates:
            said.append(Notice(
                "%(edition)s: its source does not give the date it took effect; netq applies "
                "it from %(day)s, when the regulation it rests on took effect (set "
                "effective_from in thresholds.yaml)",
                {"edition": self.key, "day": str(self.effective_from)}))
        if "effective_to" in self.unknown_dates:
            said.append(Notice(
                "%(edition)s: its source marks it superseded but gives no end date; it is "
                "applied to every later day (set effective_to in thresholds.yaml when the next "
                "edition is known)", {"edition": self.key}))
        restoration = self.obligations.restoration_working_hours
        if restoration is not None and restoration.working_day.clause is None:
            day = restoration.working_day
            hours = f"{day.from_:%H:%M}–{day.to:%H:%M}"
            said.append(Notice(
                "%(edition)s: its source does not state the working day its working hours "
                "are counted in; netq assumes %(hours)s, Monday to Friday (set working_day in "
                "thresholds.yaml from the operator's published hours)",
                {"edition": self.key, "hours": hours}))
        return said


class Thresholds:
    def __init__(self, editions: dict[str, Profile], source: str, sha256: str) -> None:
        self.profiles = editions  # every edition, by its key
        self.source = source
        self.sha256 = sha256  # of the file as read: what every manifest names

    def profile(self, key: str) -> Profile:
        """An edition by its key."""
        if key not in self.profiles:
            raise ThresholdsError(f"no profile {key!r} in {self.source}; there are: "
                                  f"{', '.join(self.profiles)}")
        return self.profiles[key]

    def names(self) -> list[str]:
        """The profile names a registry row may carry."""
        return sorted({p.profile for p in self.profiles.values()})

    def regulation(self) -> str:
        """The name of the profile that is the resolution itself."""
        return next(p.profile for p in self.profiles.values() if p.regulation)

    def editions(self, name: str) -> list[Profile]:
        """The editions of a profile (or of the profile an edition key belongs to), oldest
        first; the undated last."""
        if name not in self.names() and name in self.profiles:
            name = self.profiles[name].profile
        found = [p for p in self.profiles.values() if p.profile == name]
        if not found:
            raise ThresholdsError(f"no profile {name!r} in {self.source}; there are: "
                                  f"{', '.join(self.names())}")
        return sorted(found, key=lambda p: (p.effective_from is None,
                                            p.effective_from or date.max))

    def in_force(self, name: str, day: date) -> Profile | None:
        for edition in self.editions(name):
            if edition.in_force_on(day):
                return edition
        return None

    def publication(self, day: date) -> Publication | None:
        """The earliest publication deadline any edition in force on `day` sets."""
        found = [p.obligations.publication for p in self.profiles.values()
                 if p.in_force_on(day) and p.obligations.publication is not None]
        return min(found, key=lambda p: p.day, default=None)

    def criteria(self) -> dict[str, Profile]:
        """One edition per distinct per-test judgement, keyed by its criteria key: every
        edition as it judges, and read at the Ethernet layer (a reading shown beside)."""
        found: dict[str, Profile] = {}
        for profile in self.profiles.values():
            for reading in (profile, profile.at_layer("ethernet")):
                found.setdefault(reading.criteria, reading)
        return found


def default_path() -> Path:
    return Path(str(resources.files("netq") / "thresholds.yaml"))


OLDER_LAYOUTS = {
    1: "version 1 is the old layout; version 3 names every norm's clause and the profile each "
       "edition is of (see CHANGELOG.md)",
    2: "version 2 judged an operator's rules instead of the resolution; in version 3 every "
       "profile rests on the resolution (`regulation: true`) through `extends`, planned "
       "notice and contract days are obligations with their clauses, the support matrix "
       "belongs to its profile and speed is judged as the TCP payload (see CHANGELOG.md)",
}


def load(path: str | Path | None = None) -> Thresholds:
    source = str(path or default_path())
    document = yamlfile.load(source)
    if isinstance(document.data, dict) and document.data.get("version") in OLDER_LAYOUTS:
        raise ThresholdsError(f"{document.where(('version',))}: "
                              f"{OLDER_LAYOUTS[document.data['version']]}")
    try:
        parsed = document.validate(File, document.data)
    except ConfigError as exc:
        raise ThresholdsError(str(exc)) from None
    entries = {entry.key: (index, entry) for index, entry in enumerate(parsed.profiles)}
    if len(entries) != len(parsed.profiles):
        raise ThresholdsError(f"{source}: profile keys repeat")
    resolved: dict[str, Profile] = {}

    def resolve(key: str, chain: tuple[str, ...]) -> Profile:
        if key in resolved:
            return resolved[key]
        index, entry = entries[key]
        where = ("profiles", index)
        if entry.extends is not None and entry.extends not in entries:
            raise ThresholdsError(f"{document.where((*where, 'extends'))}: "
                                  f"profile {key} extends {entry.extends!r}, which is not here")
        if entry.extends in chain:
            raise ThresholdsError(f"{document.where(where)}: profiles extend "
                                  f"each other in a circle: {' → '.join((*chain, key))}")
        base = resolve(entry.extends, (*chain, key)) if entry.extends else None
        try:
            profile = _merge(entry, base, parsed.method,
                             resolved.get(base.rests_on or base.key) if base else None)
        except ValidationError as exc:
            raise ThresholdsError(yamlfile.describe(exc, document, where)) from None
        except FloorError as exc:
            raise ThresholdsError(f"{document.where((*where, *exc.at))}: {exc}") from None
        except ValueError as exc:
            raise ThresholdsError(f"{document.where(where)}: {exc}") from None
        resolved[key] = profile
        return profile

    for key in entries:
        resolve(key, ())
    if not any(p.regulation for p in resolved.values()):
        raise ThresholdsError(f"{source}: no profile is the regulation (`regulation: true`): "
                              "every profile rests on the resolution's annex")
    for key, edition in resolved.items():
        if edition.regulation and edition.obligations.publication is None:
            raise ThresholdsError(f"{document.where(('profiles', entries[key][0]))}: the "
                                  "regulation sets when its values are published "
                                  "(obligations.publication)")
    if len({p.profile for p in resolved.values() if p.regulation}) > 1:
        raise ThresholdsError(f"{source}: editions of more than one profile say "
                              "`regulation: true`; the resolution is one profile")
    _no_overlap(resolved, entries, document)
    digest = hashlib.sha256(Path(source).read_bytes()).hexdigest()
    return Thresholds(resolved, source, digest)


class FloorError(ValueError):
    """An operator's rule that would go below the regulation; `at` is the key in the entry."""

    def __init__(self, at: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.at = at


def _no_overlap(resolved: dict[str, Profile], entries: dict[str, tuple[int, ProfileEntry]],
                document: yamlfile.Document) -> None:
    """Two dated editions of one profile never both in force on a day."""
    by_name: dict[str, list[Profile]] = {}
    for edition in resolved.values():
        if edition.effective_from is not None:
            by_name.setdefault(edition.profile, []).append(edition)
    for editions in by_name.values():
        editions.sort(key=lambda e: e.effective_from or date.min)
        for earlier, later in itertools.pairwise(editions):
            if earlier.effective_to is None or earlier.effective_to >= (
                    later.effective_from or date.max):
                where = ("profiles", entries[later.key][0], "effective_from")
                raise ThresholdsError(
                    f"{document.where(where)}: edition {later.key} of "
                    f"profile {later.profile} begins on {later.effective_from} while "
                    f"{earlier.key} is in force (give {earlier.key} an effective_to before it)")


def _merge(entry: ProfileEntry, base: Profile | None, method: Method,
           floor: Profile | None) -> Profile:
    """An entry resolved over the edition it extends; `floor`: the regulation's edition the
    base rests on (None when the entry is the first regulation edition)."""
    if not entry.regulation and base is None:
        raise FloorError(("extends",), f"profile {entry.key} extends nothing: every profile "
                         "rests on the regulation (extends: an edition with regulation: true)")
    if entry.regulation and base is not None and not base.regulation:
        raise FloorError(("extends",), f"regulation edition {entry.key} extends "
                         f"{base.key}, an operator's rules")
    floor = None if entry.regulation else floor
    inherited = base.method.model_dump() if base else method.model_dump()
    merged_method = Method.model_validate({**inherited, **entry.method})
    if floor is not None:
        _method_not_laxer(merged_method, floor)
    indicators = _indicators(entry, base, merged_method, floor)
    # an operator's own per-test norms replace its earlier edition's, never the floor's
    per_test = entry.per_test if floor is None else _stricter_per_test(
        floor.per_test, entry.per_test) if entry.per_test is not None else None
    if per_test is None and base is not None:
        per_test = base.per_test
    if per_test is None:
        raise ValueError(f"profile {entry.key} has no per_test norms and extends none")
    owed = base.obligations.model_dump(exclude_none=True, by_alias=True) if base else {}
    if entry.obligations is not None:
        given = entry.obligations.model_dump(exclude_none=True, by_alias=True)
        if floor is not None:
            _obligations_not_laxer(given, floor)
        owed.update(given)
    dates, unknown = _dates(entry, floor)
    return Profile.model_validate({
        "key": entry.key, "profile": entry.profile or entry.key,
        "regulation": entry.regulation, "rests_on": None if floor is None else floor.key,
        "title": entry.title, "source": entry.source, "seed": entry.seed,
        **dates, "unknown_dates": unknown,
        "floor_from": dates["effective_from"] if floor is None else floor.effective_from,
        "floor_to": dates["effective_to"] if floor is None else floor.effective_to,
        "per_test": per_test, "obligations": owed, "method": merged_method,
        "suspensions": {**(base.suspensions if base else {}), **entry.suspensions},
        "out_of_scope": entry.out_of_scope if entry.out_of_scope is not None
        else base.out_of_scope if base else (),
        "indicators": indicators,
    })


def _dates(entry: ProfileEntry, floor: Profile | None,
           ) -> tuple[dict[str, date | None], list[str]]:
    unknown = [name for name in ("effective_from", "effective_to")
               if getattr(entry, name) == "unknown"]
    if entry.regulation and unknown:
        raise FloorError((unknown[0],), "the regulation's own dates must be known")
    start = floor.effective_from if entry.effective_from == "unknown" and floor is not None \
        else None if entry.effective_from == "unknown" else entry.effective_from
    end = None if entry.effective_to == "unknown" else entry.effective_to
    if floor is not None and floor.effective_to is not None and start is not None and (
            end is None or end > floor.effective_to):
        raise FloorError(("effective_to",), (
            f"{entry.key} rests on {floor.key}, in force until {floor.effective_to}, but runs "
            "beyond it: end it then and add an edition that extends the regulation's next"))
    return {"effective_from": start, "effective_to": end}, unknown


def _method_not_laxer(method: Method, floor: Profile) -> None:
    for name, op in STRICTER_METHOD.items():
        mine, theirs = getattr(method, name), getattr(floor.method, name)
        if not (mine <= theirs if op == "<=" else mine >= theirs):
            raise FloorError(("method", name), (
                f"{mine} is laxer than the regulation's {theirs} ({floor.key}); an operator's "
                "rules may only make the method stricter"))


def _indicators(entry: ProfileEntry, base: Profile | None, method: Method,
                floor: Profile | None) -> list[dict[str, Any]]:
    """The base's indicators with the entry's changes; an operator's never below the
    regulation's."""
    inherited = {i.id: i for i in (base.indicators if base else ())}
    for dropped in entry.drop_indicators:
        if floor is not None and dropped in inherited and inherited[dropped].regulation:
            raise FloorError(("drop_indicators",), (
                f"indicator {dropped} is the regulation's ({inherited[dropped].clause}): an "
                "operator's rules add to the resolution's indicators, never drop one"))
    indicators: dict[str, dict[str, Any]] = {
        i.id: i.model_dump() for i in inherited.values() if i.id not in entry.drop_indicators}
    for position, override in enumerate(entry.indicators):
        at = ("indicators", position)
        given = override.model_dump(exclude_none=True)
        if override.id in indicators:
            before = inherited[override.id]
            if "norm" in given and "clause" not in given:
                raise FloorError(at, f"indicator {override.id}: a new norm needs its own clause "
                                 "(the inherited one cites another source)")
            if "norm" in given:  # judged anew against the floor below
                given.update(source_norm=None, raised_by=None)
            changed = Indicator.model_validate({**indicators[override.id], **given})
            if floor is not None and before.regulation:
                _override_not_laxer(before, changed, at)
            indicators[override.id] = changed.model_dump()
            continue
        own = Indicator.model_validate({"averaging": method.averaging,
                                        "regulation": entry.regulation, **given})
        indicators[override.id] = own.model_dump()
    if floor is None:
        return list(indicators.values())
    return _against_the_floor(indicators, entry)


def _override_not_laxer(before: Indicator, changed: Indicator, at: tuple[str | int, ...]) -> None:
    if (changed.measure, changed.service) != (before.measure, before.service):
        raise FloorError(at, f"indicator {before.id} is the regulation's: its measure and "
                         "service stay as the resolution defines them")
    if not changed.norm.at_least_as_strict_as(before.norm):
        raise FloorError(at, (
            f"indicator {before.id}: {changed.norm} is laxer than the regulation's "
            f"{before.norm} ({before.clause}); an operator's rules may only be stricter"))
    if not set(before.technologies or TECHNOLOGIES) <= set(changed.technologies or TECHNOLOGIES):
        raise FloorError(at, f"indicator {before.id}: it cannot leave out lines the "
                         "regulation counts")


def _against_the_floor(indicators: dict[str, dict[str, Any]],
                       entry: ProfileEntry) -> list[dict[str, Any]]:
    """Each of the entry's own indicators judged by the regulation's norm where that is
    stricter on the same measure and lines; one the regulation already counts alike (same
    measure, lines and averaging, and after that the same norm) folds into it, both clauses
    cited."""
    regulation = [Indicator.model_validate(i) for i in indicators.values() if i["regulation"]]
    own_ids = {o.id for o in entry.indicators if not indicators[o.id]["regulation"]}
    for own_id in sorted(own_ids):
        own = Indicator.model_validate(indicators[own_id])
        same = [r for r in regulation if r.measure == own.measure and own.overlaps(r)
                and r.norm.op == own.norm.op]
        strictest = next((r for r in same if all(r.norm.at_least_as_strict_as(o.norm)
                                                 for o in same)), None)
        if strictest is not None and not own.norm.at_least_as_strict_as(strictest.norm):
            own = own.model_copy(update={"source_norm": own.norm, "norm": strictest.norm,
                                         "raised_by": strictest.clause})
        twin = next((r for r in same if r.service == own.service
                     and r.technologies == own.technologies and r.norm == own.norm
                     and (r.averaging == own.averaging or r.service == "customer")), None)
        if twin is not None:
            del indicators[own_id]
            indicators[twin.id]["clause"] = f"{twin.clause}; {entry.key}: {own.clause}"
            continue
        indicators[own_id] = own.model_dump()
    return list(indicators.values())


def _stricter_per_test(base: dict[LineService, PerTest], given: dict[LineService, PerTest],
                       ) -> dict[LineService, PerTest]:
    """Per service and norm, the stricter of the base's and the entry's, for the
    technologies either covers; both clauses cited where both set it."""
    merged: dict[LineService, PerTest] = dict(base)
    for service, own in given.items():
        mine = base.get(service)
        if mine is None:
            merged[service] = own
            continue
        fields: dict[str, Any] = {}
        for name, op in PER_TEST_STRICTER.items():
            fields[name] = _stricter_limit(getattr(mine, name), getattr(own, name), op,
                                           f"per_test.{service}.{name}")
        merged[service] = PerTest.model_validate(
            {k: v.model_dump() if v is not None else None for k, v in fields.items()})
    return merged


def _stricter_limit(floor: Limit | None, own: Limit | None, op: str, name: str,
                    ) -> Limit | None:
    if floor is None or own is None:
        return floor or own
    pick = max if op == ">=" else min
    value = pick(floor.value, own.value)
    technologies = None if floor.technologies is None or own.technologies is None else \
        tuple(sorted(set(floor.technologies) | set(own.technologies)))
    for technology in technologies or TECHNOLOGIES:
        applicable = [x.value for x in (floor, own) if x.holds_for(technology)]
        if pick(applicable) != value:
            raise FloorError(tuple(name.split(".")), (
                f"{value} for every technology would be stricter than either source for "
                f"{technology}: give the norm per technology in separate editions"))
    clause = floor.clause if floor.value == value else own.clause
    if floor.value == own.value:
        clause = f"{floor.clause}; {own.clause}"
    return type(floor).model_validate({"value": value, "clause": clause,
                                       "technologies": technologies})


def _obligations_not_laxer(given: dict[str, Any], floor: Profile) -> None:
    """An operator's obligation may replace the regulation's only with one at least as
    strict: an earlier publication, a shorter time to the fee, a longer notice."""
    owed = floor.obligations
    checks = {
        "publication": (owed.publication, "day", "<="),
        "fee_recalculation": (owed.fee_recalculation, "after_hours", "<="),
        "planned_notice": (owed.planned_notice, "hours", ">="),
    }
    for name, (theirs, field, op) in checks.items():
        if name not in given or theirs is None:
            continue
        mine, limit = Decimal(str(given[name][field])), Decimal(str(getattr(theirs, field)))
        if not (mine <= limit if op == "<=" else mine >= limit):
            raise FloorError(("obligations", name, field), (
                f"{mine} is laxer than the regulation's {limit} ({theirs.clause}); an "
                "operator's rules may only be stricter"))
