"""The operator's own records, imported from CSV: support calls, trouble tickets, contracts,
planned works, suspensions. They feed the customer-service indicators (1–3), show the planned
works inside availability, take lawful suspensions out of it, and list the tickets owed a fee
recalculation.

Each row is checked on its own: good rows are stored (an id seen before is updated, so a file
imported twice is stored once), bad rows are named by line and reason and nothing of them is
kept. Times without an offset are Minsk local time, as the operator's systems write them.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from sqlalchemy import Table, insert, select, update

from netq.collector import tables
from netq.collector.compliance.quarter import MINSK
from netq.collector.compliance.thresholds import Impact, SuspensionReason, Urgency
from netq.text import text_problem

if TYPE_CHECKING:
    from netq.collector.store import Store

MAX_ROWS = 5_000_000


def moment(value: Any) -> datetime | None:
    """RFC 3339, or 'YYYY-MM-DD HH:MM[:SS]' in Minsk time; blank is None."""
    if blank_to_none(value) is None:
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise ValueError(f"{value!r} is not a date and time (2026-07-01 09:30 or "
                             "RFC 3339)") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=MINSK)
    return parsed.astimezone(UTC)


def blank_to_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


# a time as the operator's systems write it, kept in UTC
MinskTime = Annotated[datetime, BeforeValidator(moment)]


class Row(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    # (earlier, later, strictly): two fields that must come in this order when both are given
    ORDER: ClassVar[tuple[str, str, bool]]

    @field_validator("*", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> Any:
        if isinstance(value, str) and (problem := text_problem(value)):
            raise ValueError(problem)
        return blank_to_none(value)

    @model_validator(mode="after")
    def _in_order(self) -> Row:
        earlier, later, strictly = self.ORDER
        first, then = getattr(self, earlier), getattr(self, later)
        if first is not None and then is not None and (then <= first if strictly
                                                       else then < first):
            raise ValueError(f"{later} is {'not after' if strictly else 'before'} {earlier}")
        return self

    def stored(self) -> dict[str, Any]:
        """The row as its table's columns."""
        raise NotImplementedError


class Call(Row):
    call_id: str = Field(min_length=1, max_length=128)
    offered_at: MinskTime
    answered_at: MinskTime | None = None
    # the profile whose subscribers' line took the call; blank: counted for the operator's
    # whole, in every profile's document
    profile: str | None = Field(None, max_length=64)
    ORDER = ("offered_at", "answered_at", False)

    def stored(self) -> dict[str, Any]:
        wait = None if self.answered_at is None else \
            (self.answered_at - self.offered_at).total_seconds()
        return {**self.model_dump(), "answer_s": wait}


class Ticket(Row):
    ticket_id: str = Field(min_length=1, max_length=128)
    connection_id: str = Field(min_length=1, max_length=128)
    registered_at: MinskTime
    restored_at: MinskTime | None = None
    fault: Literal["operator", "subscriber", "third_party"]
    acknowledged_at: MinskTime | None = None
    impact: Impact | None = None
    urgency: Urgency | None = None
    ORDER = ("registered_at", "restored_at", False)

    @model_validator(mode="after")
    def _acknowledged_in_order(self) -> Ticket:
        if self.acknowledged_at is not None and self.acknowledged_at < self.registered_at:
            raise ValueError("acknowledged_at is before registered_at")
        return self

    def stored(self) -> dict[str, Any]:
        hours = None if self.restored_at is None else \
            (self.restored_at - self.registered_at).total_seconds() / 3600
        return {**self.model_dump(), "restore_h": hours}


class Contract(Row):
    contract_id: str = Field(min_length=1, max_length=128)
    connection_id: str | None = Field(None, max_length=128)
    registered_on: date
    # blank: the days the profile's rules promise (cosmos2025 3.26: 15 working days)
    promised_days: int | None = Field(None, ge=0, le=3650)
    activated_on: date | None = None
    # recorded and shown; no clause lets it move the deadline (docs/method.md)
    customer_delay_days: int = Field(0, ge=0, le=3650)
    promised_days_kind: Literal["calendar", "working"] | None = None
    # for a contract with no line in the registry yet; blank: its line's profile
    profile: str | None = Field(None, max_length=64)
    ORDER = ("registered_on", "activated_on", False)

    def stored(self) -> dict[str, Any]:
        taken = None if self.activated_on is None else \
            (self.activated_on - self.registered_on).days
        return {**self.model_dump(), "days_taken": taken}


class PlannedWork(Row):
    work_id: str = Field(min_length=1, max_length=128)
    announced_at: MinskTime
    starts_at: MinskTime
    ends_at: MinskTime
    nodes: str = Field(min_length=1, description="affected nodes, separated by ;")
    ORDER = ("starts_at", "ends_at", True)

    def stored(self) -> dict[str, Any]:
        nodes = ";".join(sorted({n.strip() for n in self.nodes.split(";") if n.strip()}))
        return {**self.model_dump(), "nodes": nodes}


class Suspension(Row):
    """A period the operator lawfully suspended a line's service; `reason` is taken out of
    availability only where the line's profile names the clause that allows it."""

    suspension_id: str = Field(min_length=1, max_length=128)
    connection_id: str = Field(min_length=1, max_length=128)
    starts_at: MinskTime
    ends_at: MinskTime | None = None  # blank: still suspended
    reason: SuspensionReason
    ORDER = ("starts_at", "ends_at", True)

    def stored(self) -> dict[str, Any]:
        return self.model_dump()


Check = Callable[["Store", Any, Mapping[str, Any]], str | None]


@dataclass(frozen=True)
class Kind:
    model: type[Row]
    table: Table
    key: str
    checks: tuple[Check, ...] = ()


def _known_connection(store: Store, db: Any, row: Mapping[str, Any]) -> str | None:
    connection_id = row.get("connection_id")
    if connection_id is None:
        return None
    found = db.execute(select(tables.connections.c.connection_id).where(
        tables.connections.c.connection_id == connection_id).limit(1)).first()
    return None if found else f"connection_id: {connection_id} is not in the connections registry"


def _known_profile(store: Store, db: Any, row: Mapping[str, Any]) -> str | None:
    profile = row.get("profile")
    if profile is None or profile in store.norms.names():
        return None
    return f"profile: {profile} is not a profile of {store.norms.source} (there are: " \
           f"{', '.join(store.norms.names())})"


KINDS = {
    "calls": Kind(Call, tables.support_calls, "call_id", (_known_profile,)),
    "tickets": Kind(Ticket, tables.tickets, "ticket_id", (_known_connection,)),
    "contracts": Kind(Contract, tables.contracts, "contract_id",
                      (_known_connection, _known_profile)),
    "planned-works": Kind(PlannedWork, tables.planned_works, "work_id"),
    "suspensions": Kind(Suspension, tables.suspensions, "suspension_id", (_known_connection,)),
}


@dataclass
class Summary:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[str] = field(default_factory=list)


def import_csv(store: Store, kind_name: str, lines: Iterable[str], source: str,
               delimiter: str = ",") -> Summary:
    """Import one CSV file of a kind; every good row in one transaction."""
    kind = KINDS[kind_name]
    reader = csv.DictReader(lines, delimiter=delimiter)
    columns = set(kind.model.model_fields)
    required = {n for n, f in kind.model.model_fields.items() if f.is_required()}
    header = {name.strip() for name in reader.fieldnames or ()}
    summary = Summary()
    if not required <= header or not header <= columns:
        summary.rejected.append(
            f"{source}: line 1: the columns must be {', '.join(kind.model.model_fields)} "
            f"(missing: {', '.join(sorted(required - header)) or 'none'}; "
            f"unknown: {', '.join(sorted(header - columns)) or 'none'})")
        return summary
    good: dict[str, tuple[int, dict[str, Any]]] = {}
    for number, raw in enumerate(reader, start=2):
        if number > MAX_ROWS + 1:
            summary.rejected.append(f"{source}: more than {MAX_ROWS} rows; split the file")
            return Summary(rejected=summary.rejected)
        try:
            row = kind.model.model_validate({k.strip(): v for k, v in raw.items() if k})
        except ValidationError as exc:
            reasons = "; ".join(
                ".".join(map(str, e["loc"])) + ": " * bool(e["loc"])
                + e["msg"].removeprefix("Value error, ") for e in exc.errors())
            summary.rejected.append(f"{source}: line {number}: {reasons}")
            continue
        values = row.stored()
        good[values[kind.key]] = (number, values)  # a later line for the same id wins
    key = kind.table.c[kind.key]
    with store.engine.begin() as db:
        for number, values in good.values():
            problem = next((p for check in kind.checks if (p := check(store, db, values))),
                           None)
            if problem:
                summary.rejected.append(f"{source}: line {number}: {problem}")
                continue
            current = db.execute(select(kind.table).where(key == values[kind.key])) \
                .mappings().first()
            if current is None:
                db.execute(insert(kind.table).values(**values))
                summary.inserted += 1
            elif _same(current, values):
                summary.unchanged += 1
            else:
                db.execute(update(kind.table).where(key == values[kind.key]).values(**values))
                summary.updated += 1
    return summary


def _same(current: Mapping[Any, Any], values: Mapping[str, Any]) -> bool:
    def normal(value: Any) -> Any:
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=UTC)
        return value
    return all(normal(current[k]) == normal(v) for k, v in values.items())

