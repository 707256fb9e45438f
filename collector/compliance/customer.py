"""Indicators 1–3 from the operator's imported records, over the quarter, for one profile.

The records are the operator's complete account of its contracts, calls and tickets, not a
sample: a figure is judged on its value whatever n is.

- 1: contracts whose deadline fell in the quarter, on time when activated by the deadline; a
  contract still pending past its deadline is late. The deadline is the promised days from the
  registration day: the contract's, else those the profile's rules promise, counted in the
  days the contract or else the profile's source names (com645: "дней", calendar; cosmos2025
  3.26: working days). The customer's own delay moves no deadline: no clause says it does (it
  is counted, and shown as a reading beside). Each contract counts once, in the quarter of its
  deadline; deadlines still ahead of now are not counted yet.
- 2: support calls offered in the quarter, answered within `call_answer_max_s`.
- 3: trouble tickets registered in the quarter of every fault that is not the subscriber's
  (the operator's or a third party's: the Rules' п. 28, whose 36 hours the item borrows,
  covers "неисправности … не по вине абонента"), restored within `ticket_restore_max_hours`;
  a ticket counts once it is due: restored, or open past that time.

A contract or ticket belongs to the profile of its line's registry row in force on its
registration day (a contract with no line yet: its own `profile`); a call to its `profile`.
Records that carry none are the operator's whole: counted in every profile's figure, and said.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from netq.collector.compliance import workcalendar
from netq.collector.compliance.figures import Figure, share_figure
from netq.collector.compliance.notices import Notice
from netq.collector.compliance.quarter import Quarter, minsk_day
from netq.collector.compliance.thresholds import Profile
from netq.collector.registry import RegistryPeriods


def deadline(registered_on: date, promised_days: int, kind: str,
             customer_delay_days: int = 0) -> date:
    """The day access is due: the promised days counted from the registration day (and, in
    the reading that grants it, the customer's own delay on top, in calendar days)."""
    if kind == "working":
        due = workcalendar.add_working_days(registered_on, promised_days)
    else:
        due = registered_on + timedelta(days=promised_days)
    return due + timedelta(days=customer_delay_days)


@dataclass(frozen=True)
class Records:
    """What indicators 1–3 are made of, and the records counted apart."""

    figures: dict[str, Figure]  # by the records they come from: contracts, calls, tickets
    apart: dict[str, int]
    warnings: list[Notice]


@dataclass(frozen=True)
class Imported:
    """The operator's records a quarter's items 1–3 are made of, as the store holds them
    (queries.imported): contracts registered by its end, tickets registered in it of faults
    not the subscriber's, the registry periods of their lines, and the quarter's calls of the
    profile or of none, counted (offered, answered within the method's time, of no profile)."""

    contracts: list[Mapping[str, Any]]
    tickets: list[Mapping[str, Any]]
    registry: RegistryPeriods
    calls: tuple[int, int, int]


def figures(imported: Imported, quarter: Quarter, edition: Profile, name: str, now: datetime,
            customer_delay: bool = False) -> Records:
    """The figure of each customer measure for the profile `name`, as of `now`;
    `customer_delay`: the reading that moves a deadline by the customer's recorded delay."""
    counted_until = min(minsk_day(now), quarter.last_day)
    rules = edition.obligations.contract_deadline
    contracts, tickets, registry = imported.contracts, imported.tickets, imported.registry

    def profile_of(connection_id: str | None, day: date) -> str | None:
        if connection_id is None:
            return None
        row = registry.in_force(connection_id, day) or next(
            iter(registry.periods.get(connection_id, [])), None)
        return None if row is None else row.profile

    due_n = on_time = pending_late = delayed = unpromised = unassigned = 0
    for row in contracts:
        owner = profile_of(row["connection_id"], row["registered_on"]) or row["profile"]
        if owner not in (name, None):
            continue
        days = row["promised_days"] if row["promised_days"] is not None else \
            None if rules is None else rules.days
        if days is None:
            unpromised += 1
            continue
        kind = row["promised_days_kind"] or (rules.days_kind if rules else "calendar")
        due = deadline(row["registered_on"], days, kind,
                       row["customer_delay_days"] if customer_delay else 0)
        if not quarter.first_day <= due <= counted_until:
            continue
        due_n += 1
        unassigned += owner is None
        delayed += row["customer_delay_days"] > 0
        if row["activated_on"] is not None and row["activated_on"] <= due:
            on_time += 1
        elif row["activated_on"] is None or row["activated_on"] > counted_until:
            pending_late += 1
    calls_n, answered, calls_unassigned = imported.calls
    restore_max = timedelta(hours=float(edition.method.ticket_restore_max_hours))
    ticket_n = restored_in_time = not_yet_due = third_party = 0
    for row in tickets:
        if profile_of(row["connection_id"], minsk_day(row["registered_at"])) != name:
            continue
        restored = row["restored_at"]
        if restored is None and now < row["registered_at"] + restore_max:
            not_yet_due += 1
            continue
        ticket_n += 1
        third_party += row["fault"] == "third_party"
        restored_in_time += restored is not None and \
            restored - row["registered_at"] <= restore_max
    warnings = []
    if calls_unassigned:
        warnings.append(Notice(
            "support calls of the quarter that carry no profile, counted in item 2 for the "
            "operator's whole, in every profile's document (give the calls CSV a profile "
            "column): %(n)s", {"n": calls_unassigned}))
    if unassigned:
        warnings.append(Notice(
            "contracts due in the quarter with neither a line nor a profile, counted in item 1 "
            "of every profile's document: %(n)s", {"n": unassigned}))
    if unpromised:
        warnings.append(Notice(
            "contracts that state no promised days under rules that promise none, which item 1 "
            "cannot judge (profile %(profile)s): %(n)s", {"n": unpromised, "profile": name}))
    return Records(
        figures={
            "contracts": share_figure(on_time, due_n),
            "calls": share_figure(answered, calls_n),
            "tickets": share_figure(restored_in_time, ticket_n),
        },
        apart={"contracts_customer_delayed": delayed,
               "contracts_pending_past_deadline": pending_late,
               "contracts_without_promised_days": unpromised,
               "calls_without_profile": calls_unassigned,
               "tickets_third_party_fault": third_party,
               "tickets_not_yet_due": not_yet_due},
        warnings=warnings)
