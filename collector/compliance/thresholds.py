"""thresholds.yaml: dated profiles of norms and the method, validated at load.

A profile may `extends` another and override indicators by id; everything else is inherited.
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
from typing import Annotated, Any, Literal, cast, get_args

from pydantic import Field, ValidationError, model_validator

from netq import yamlfile
from netq.errors import ConfigError
from netq.model import Strict, Technology

Service = Literal["fixed", "wireless", "data", "customer"]
LineService = Literal["fixed", "wireless"]
Measure = Literal[
    "contracts_on_time", "calls_answered_in_time", "tickets_restored_in_time",
    "speed_max_of_tariff_down", "speed_max_of_tariff_up",
    "speed_min_of_tariff_down", "speed_min_of_tariff_up",
    "delay_mean", "packet_loss", "availability",
    "attempts_successful", "attempts_failed", "premature_disconnections",
    "sessions_meeting_speed", "sessions_meeting_delay", "sessions_meeting_loss",
    "sessions_over_delay", "sessions_below_down_floor",
]
# the services whose lines an indicator of a service takes in ("data": byfly's tables,
# which do not tell wired from wireless)
LINES: dict[str, tuple[str, ...]] = {"fixed": ("fixed",), "wireless": ("wireless",),
                                     "data": ("fixed", "wireless"), "customer": ()}


class ThresholdsError(ConfigError):
    """thresholds.yaml cannot be used, or has no such profile; the message says where."""


Clause = Annotated[str, Field(min_length=1, description="where in the source the norm stands")]


class Method(Strict):
    latency_packets_min: int = Field(100, ge=1)
    outage_min_minutes: Decimal = Field(Decimal(5), gt=0)
    min_sample: int = Field(30, ge=1)
    call_answer_max_s: Decimal = Field(Decimal(180), gt=0)
    ticket_restore_max_hours: Decimal = Field(Decimal(36), gt=0)
    planned_notice_hours: Decimal = Field(Decimal(24), ge=0)
    contract_days: Literal["calendar", "working"] = "calendar"
    # pooled: every session counts alike; per_subscriber: each connection's own figure, then
    # their mean ("среднее для всей совокупности Абонентов")
    averaging: Literal["pooled", "per_subscriber"] = "pooled"
    # the layer tariffs are sold at: the measured TCP payload is converted to it with the
    # segment sizes the probe records (judgement.at_layer)
    speed_layer: Literal["tcp_payload", "ip", "ethernet"] = "ethernet"


class Limit(Strict):
    value: Decimal
    clause: Clause
    # the technologies the norm holds for (None: every technology of the service)
    technologies: tuple[Technology, ...] | None = None

    def holds_for(self, technology: str) -> bool:
        return self.technologies is None or technology in self.technologies


class SpeedLimit(Limit):
    value: Decimal = Field(gt=0, le=100)  # percent of the tariff


class PerTest(Strict):
    """What one test must show to meet the norm, for one service class. A norm left out is
    one the source does not set: the tests are counted, never judged against it."""

    speed_min_share_of_tariff: SpeedLimit | None = None
    delay_max_ms: Limit | None = None
    loss_max_percent: Limit | None = None
    down_floor_kbps: Limit | None = None

    def speed_norm_for(self, technology: str) -> Decimal | None:
        speed = self.speed_min_share_of_tariff
        return speed.value if speed is not None and speed.holds_for(technology) else None

    def down_floor_for(self, technology: str) -> Decimal | None:
        floor = self.down_floor_kbps
        return floor.value if floor is not None and floor.holds_for(technology) else None


class Norm(Strict):
    op: Literal[">=", "<="]
    value: Decimal

    def met_by(self, value: float) -> bool:
        figure = Decimal(repr(value))
        return figure >= self.value if self.op == ">=" else figure <= self.value


class Indicator(Strict):
    id: str
    measure: Measure
    service: Service
    unit: str
    norm: Norm
    clause: Clause
    name_ru: str = Field(min_length=1)
    technologies: tuple[Technology, ...] | None = None

    def covers(self, service: str, technology: str) -> bool:
        """Whether a line of this service and technology is in the indicator's population."""
        return service in LINES[self.service] and (
            self.technologies is None or technology in self.technologies)


class IndicatorOverride(Strict):
    id: str
    measure: Measure | None = None
    service: Service | None = None
    unit: str | None = None
    norm: Norm | None = None
    clause: Clause | None = None
    name_ru: str | None = None
    technologies: tuple[Technology, ...] | None = None


class FeeRecalculation(Strict):
    clause: Clause
    after_hours: Decimal = Field(gt=0)
    # not_subscriber_fault: any fault that is not the subscriber's; full_loss_of_access: only
    # those that left the subscriber with no access at all (byfly 4.1.22)
    condition: Literal["not_subscriber_fault", "full_loss_of_access"]


class SupportLevels(Strict):
    clause: Clause


class RestorationWorkingHours(Strict):
    clause: Clause
    hours: Decimal = Field(gt=0)


class PlannedNoticeWorkingDays(Strict):
    clause: Clause
    days: int = Field(ge=1)


class ProfileObligations(Strict):
    """What the operator owes under a profile's source, beyond the indicators."""

    fee_recalculation: FeeRecalculation | None = None
    support_levels: SupportLevels | None = None
    restoration_working_hours: RestorationWorkingHours | None = None
    planned_notice_working_days: PlannedNoticeWorkingDays | None = None


class ProfileEntry(Strict):
    key: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]*$")
    profile: str | None = Field(None, pattern=r"^[a-z0-9][a-z0-9.-]*$")
    extends: str | None = None
    title: str
    source: str
    seed: str | None = None
    effective_from: date | None = None
    effective_to: date | None = None  # the last day in force
    superseded: bool = False
    method: dict[str, Any] = Field(default_factory=dict)
    obligations: ProfileObligations | None = None
    per_test: dict[LineService, PerTest] | None = None
    indicators: list[IndicatorOverride] = Field(default_factory=list)
    drop_indicators: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> ProfileEntry:
        ids = [i.id for i in self.indicators]
        if len(ids) != len(set(ids)):
            repeated = sorted({i for i in ids if ids.count(i) > 1})
            raise ValueError(f"indicator ids repeat: {', '.join(repeated)}")
        if self.effective_to is not None and (self.effective_from is None
                                              or self.effective_to < self.effective_from):
            raise ValueError("effective_to must not come before effective_from")
        return self


Urgency = Literal["high", "normal", "low"]
Impact = Literal["fully_down", "major_degradation", "degradation", "planning"]
IMPACTS: tuple[str, ...] = get_args(Impact)
URGENCIES: tuple[str, ...] = get_args(Urgency)


class Level(Strict):
    name_ru: str
    reaction_minutes: int = Field(gt=0)
    resolution_hours: Decimal | None = Field(None, gt=0)


class WorkingDay(Strict):
    from_: time = Field(alias="from")
    to: time

    @model_validator(mode="after")
    def _order(self) -> WorkingDay:
        if self.to <= self.from_:
            raise ValueError("the working day must end after it begins")
        return self


class Support(Strict):
    working_day: WorkingDay
    priorities: dict[Impact, dict[Urgency, int]]
    levels: dict[int, Level]

    @model_validator(mode="after")
    def _complete(self) -> Support:
        for impact, row in self.priorities.items():
            for urgency, level in row.items():
                if level not in self.levels:
                    raise ValueError(f"priorities.{impact}.{urgency}: level {level} is not "
                                     "among the levels")
        return self


class File(Strict):
    version: Literal[2]
    method: Method = Method()
    profiles: list[ProfileEntry] = Field(min_length=1)
    support: Support


class Profile(Strict):
    """One edition of a profile, with everything it inherits resolved."""

    key: str
    profile: str  # the registry's name for the rules this edition is of
    title: str
    source: str
    seed: str | None
    effective_from: date | None
    effective_to: date | None
    superseded: bool
    method: Method
    obligations: ProfileObligations
    per_test: dict[LineService, PerTest]
    indicators: tuple[Indicator, ...]

    def norms_for(self, service: str) -> PerTest | None:
        """The per-test norms of a line's service (none for a service it has none for)."""
        return self.per_test.get(cast(LineService, service))

    @property
    def criteria(self) -> str:
        """The key of what per-test judgement depends on, the judgement's own version
        included: editions that judge tests alike share daily rollups, and a change to how
        a test is judged builds new ones."""
        from netq.collector.compliance.judgement import VERSION

        basis = {"per_test": {s: p.model_dump(mode="json") for s, p in self.per_test.items()},
                 "latency_packets_min": self.method.latency_packets_min,
                 "speed_layer": self.method.speed_layer, "judgement": VERSION}
        return hashlib.sha256(json.dumps(basis, sort_keys=True).encode()).hexdigest()[:16]

    def in_force_on(self, day: date) -> bool:
        return self.effective_from is not None and self.effective_from <= day and (
            self.effective_to is None or day <= self.effective_to)


class Thresholds:
    def __init__(self, editions: dict[str, Profile], support: Support, source: str) -> None:
        self.profiles = editions  # every edition, by its key
        self.support = support
        self.source = source

    def profile(self, key: str) -> Profile:
        """An edition by its key."""
        if key not in self.profiles:
            raise ThresholdsError(f"no profile {key!r} in {self.source}; there are: "
                                  f"{', '.join(self.profiles)}")
        return self.profiles[key]

    def names(self) -> list[str]:
        """The profile names a registry row may carry."""
        return sorted({p.profile for p in self.profiles.values()})

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

    def criteria(self) -> dict[str, Profile]:
        """One edition per distinct per-test judgement, keyed by its criteria key."""
        found: dict[str, Profile] = {}
        for profile in self.profiles.values():
            found.setdefault(profile.criteria, profile)
        return found


def default_path() -> Path:
    return Path(str(resources.files("netq") / "thresholds.yaml"))


def load(path: str | Path | None = None) -> Thresholds:
    source = str(path or default_path())
    document = yamlfile.load(source)
    if isinstance(document.data, dict) and document.data.get("version") == 1:
        raise ThresholdsError(
            f"{document.where(('version',))}: version 1 is the old layout; "
            "version 2 names every norm's clause and the profile each edition is of, and "
            "moves `obligations` to `support` and to each profile (see CHANGELOG.md)")
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
            profile = _merge(entry, base, parsed.method)
        except ValidationError as exc:
            raise ThresholdsError(yamlfile.describe(exc, document, where)) from None
        except ValueError as exc:
            raise ThresholdsError(f"{document.where(where)}: {exc}") from None
        resolved[key] = profile
        return profile

    for key in entries:
        resolve(key, ())
    _no_overlap(resolved, entries, document)
    return Thresholds(resolved, parsed.support, source)


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


def _merge(entry: ProfileEntry, base: Profile | None, method: Method) -> Profile:
    indicators: dict[str, dict[str, Any]] = {
        i.id: i.model_dump() for i in (base.indicators if base else ())
        if i.id not in entry.drop_indicators}
    for override in entry.indicators:
        given = override.model_dump(exclude_none=True)
        if override.id in indicators and "norm" in given and "clause" not in given:
            raise ValueError(f"indicator {override.id}: a new norm needs its own clause (the "
                             "inherited one cites another source)")
        indicators[override.id] = {**indicators.get(override.id, {}), **given}
    per_test = entry.per_test or (base.per_test if base else None)
    if per_test is None:
        raise ValueError(f"profile {entry.key} has no per_test norms and extends none")
    inherited = base.method.model_dump() if base else method.model_dump()
    owed = base.obligations.model_dump(exclude_none=True) if base else {}
    if entry.obligations is not None:
        owed.update(entry.obligations.model_dump(exclude_none=True))
    return Profile.model_validate({
        "key": entry.key, "profile": entry.profile or entry.key, "title": entry.title,
        "source": entry.source, "seed": entry.seed, "effective_from": entry.effective_from,
        "effective_to": entry.effective_to, "superseded": entry.superseded,
        "per_test": per_test, "obligations": owed,
        "method": {**inherited, **entry.method},
        "indicators": list(indicators.values()),
    })
