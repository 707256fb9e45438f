"""thresholds.yaml: dated profiles of norms and the method, validated at load.

A profile may `extends` another and override indicators by id; everything else is inherited.
Norm values stay Decimal so that a boundary ("exactly 1 %") compares exactly.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, time
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from netq import yamlfile
from netq.collector.registry import TECHNOLOGIES

Service = Literal["fixed", "wireless", "customer"]
Technology = Literal[TECHNOLOGIES]  # type: ignore[valid-type]
Measure = Literal[
    "contracts_on_time", "calls_answered_in_time", "tickets_restored_in_time",
    "speed_max_of_tariff_down", "speed_max_of_tariff_up",
    "speed_min_of_tariff_down", "speed_min_of_tariff_up",
    "delay_mean", "packet_loss", "availability",
    "attempts_successful", "attempts_failed", "premature_disconnections",
    "sessions_meeting_speed", "sessions_meeting_delay", "sessions_meeting_loss",
    "sessions_over_delay", "sessions_below_down_floor",
]


class ThresholdsError(Exception):
    """thresholds.yaml cannot be used; the message names the file and line."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Method(Strict):
    latency_packets_min: int = Field(100, ge=1)
    loss_timeout_s: Decimal = Field(Decimal(3), gt=0)
    outage_min_minutes: Decimal = Field(Decimal(5), gt=0)
    deferral_bytes_per_second: int = Field(25_000, ge=0)
    min_sample: int = Field(30, ge=1)
    call_answer_max_s: Decimal = Field(Decimal(180), gt=0)
    ticket_restore_max_hours: Decimal = Field(Decimal(36), gt=0)
    planned_notice_hours: Decimal = Field(Decimal(24), ge=0)


class PerTest(Strict):
    """What one test must show to meet the norm, for one service class."""

    speed_min_share_of_tariff: Decimal = Field(gt=0, le=100)  # percent
    delay_max_ms: Decimal = Field(gt=0)
    loss_max_percent: Decimal = Field(ge=0, le=100)
    down_floor_kbps: int | None = Field(None, gt=0)


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
    name_ru: str = Field(min_length=1)
    technologies: tuple[Technology, ...] | None = None


class IndicatorOverride(Strict):
    id: str
    measure: Measure | None = None
    service: Service | None = None
    unit: str | None = None
    norm: Norm | None = None
    name_ru: str | None = None
    technologies: tuple[Technology, ...] | None = None


class ProfileEntry(Strict):
    key: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]*$")
    extends: str | None = None
    title: str
    source: str
    seed: str | None = None
    effective_from: date | None = None
    method: dict[str, Any] = Field(default_factory=dict)
    per_test: dict[Literal["fixed", "wireless"], PerTest] | None = None
    indicators: list[IndicatorOverride] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_ids(self) -> ProfileEntry:
        ids = [i.id for i in self.indicators]
        if len(ids) != len(set(ids)):
            repeated = sorted({i for i in ids if ids.count(i) > 1})
            raise ValueError(f"indicator ids repeat: {', '.join(repeated)}")
        return self


Urgency = Literal["high", "normal", "low"]
Impact = Literal["fully_down", "major_degradation", "degradation", "planning"]


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


class Obligations(Strict):
    fee_recalculation_after_hours: Decimal = Field(Decimal(36), gt=0)
    restore_within_working_hours: Decimal = Field(Decimal(24), gt=0)
    working_day: WorkingDay
    priority_source: str
    priorities: dict[Impact, dict[Urgency, int]]
    levels: dict[int, Level]
    node_outage_connections: int = Field(2, ge=1)

    @model_validator(mode="after")
    def _complete(self) -> Obligations:
        for impact, row in self.priorities.items():
            for urgency, level in row.items():
                if level not in self.levels:
                    raise ValueError(f"priorities.{impact}.{urgency}: level {level} is not "
                                     "among the levels")
        return self


class File(Strict):
    version: Literal[1]
    method: Method = Method()
    profiles: list[ProfileEntry] = Field(min_length=1)
    obligations: Obligations


class Profile(Strict):
    """A profile with everything it inherits resolved."""

    key: str
    title: str
    source: str
    seed: str | None
    effective_from: date | None
    method: Method
    per_test: dict[Literal["fixed", "wireless"], PerTest]
    indicators: tuple[Indicator, ...]

    @property
    def criteria(self) -> str:
        """The key of what per-test judgement depends on: profiles that judge tests alike
        share daily rollups."""
        basis = {"per_test": {s: p.model_dump(mode="json") for s, p in self.per_test.items()},
                 "latency_packets_min": self.method.latency_packets_min}
        return hashlib.sha256(json.dumps(basis, sort_keys=True).encode()).hexdigest()[:16]

    def in_force_on(self, day: date) -> bool:
        return self.effective_from is not None and self.effective_from <= day


class Thresholds:
    def __init__(self, profiles: dict[str, Profile], obligations: Obligations,
                 source: str) -> None:
        self.profiles = profiles
        self.obligations = obligations
        self.source = source

    def profile(self, key: str) -> Profile:
        if key not in self.profiles:
            raise ThresholdsError(f"no profile {key!r} in {self.source}; there are: "
                                  f"{', '.join(self.profiles)}")
        return self.profiles[key]

    def criteria(self) -> dict[str, Profile]:
        """One profile per distinct per-test judgement, keyed by its criteria key."""
        found: dict[str, Profile] = {}
        for profile in self.profiles.values():
            found.setdefault(profile.criteria, profile)
        return found


def default_path() -> Path:
    return Path(str(resources.files("netq") / "thresholds.yaml"))


def load(path: str | Path | None = None) -> Thresholds:
    source = str(path or default_path())
    try:
        data, lines = yamlfile.load(source)
    except yamlfile.YamlError as exc:
        raise ThresholdsError(str(exc)) from None
    try:
        parsed = File.model_validate(data)
    except ValidationError as exc:
        raise ThresholdsError(yamlfile.describe(exc, source, lines)) from None
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
            raise ThresholdsError(f"{source}:{yamlfile.line_of(lines, (*where, 'extends'))}: "
                                  f"profile {key} extends {entry.extends!r}, which is not here")
        if entry.extends in chain:
            raise ThresholdsError(f"{source}:{yamlfile.line_of(lines, where)}: profiles extend "
                                  f"each other in a circle: {' → '.join((*chain, key))}")
        base = resolve(entry.extends, (*chain, key)) if entry.extends else None
        try:
            profile = _merge(entry, base, parsed.method)
        except ValidationError as exc:
            raise ThresholdsError(yamlfile.describe(exc, source, lines, where)) from None
        except ValueError as exc:
            raise ThresholdsError(f"{source}:{yamlfile.line_of(lines, where)}: {exc}") from None
        resolved[key] = profile
        return profile

    for key in entries:
        resolve(key, ())
    return Thresholds(resolved, parsed.obligations, source)


def _merge(entry: ProfileEntry, base: Profile | None, method: Method) -> Profile:
    indicators: dict[str, dict[str, Any]] = {
        i.id: i.model_dump() for i in (base.indicators if base else ())}
    for override in entry.indicators:
        given = override.model_dump(exclude_none=True)
        indicators[override.id] = {**indicators.get(override.id, {}), **given}
    per_test = entry.per_test or (base.per_test if base else None)
    if per_test is None:
        raise ValueError(f"profile {entry.key} has no per_test norms and extends none")
    inherited = base.method.model_dump() if base else method.model_dump()
    return Profile.model_validate({
        "key": entry.key, "title": entry.title, "source": entry.source, "seed": entry.seed,
        "effective_from": entry.effective_from, "per_test": per_test,
        "method": {**inherited, **entry.method},
        "indicators": list(indicators.values()),
    })
