"""Indicators 1–3 from the operator's imported records, over the quarter.

- 1: contracts whose deadline fell in the quarter (registration day + the promised days, in
  calendar or working days as the contract or the profile says, + the days the customer
  caused), on time when activated by the deadline; a contract still pending past its
  deadline is late. Each contract counts once, in the quarter of its deadline; deadlines
  still ahead of `today` are not yet counted.
- 2: support calls offered in the quarter, answered within `call_answer_max_s`.
- 3: trouble tickets registered in the quarter with the fault on the operator's side,
  restored within `ticket_restore_max_hours`; tickets of other faults are counted apart.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, case, func, select

from netq.collector import tables
from netq.collector.compliance import workcalendar
from netq.collector.compliance.indicators import Figure, share_figure
from netq.collector.compliance.quarter import Quarter
from netq.collector.compliance.thresholds import Method


def deadline(registered_on: date, promised_days: int, kind: str,
             customer_delay_days: int) -> date:
    """The day access is due: the promised days counted from the registration day, then the
    customer's own delay on top (calendar days)."""
    if kind == "working":
        due = workcalendar.add_working_days(registered_on, promised_days)
    else:
        due = registered_on + timedelta(days=promised_days)
    return due + timedelta(days=customer_delay_days)


def figures(db: Any, quarter: Quarter, method: Method,
            today: date) -> tuple[dict[str, Figure], dict[str, int]]:
    """The figure of each customer measure, and the records counted apart."""
    c, k, t = tables.contracts, tables.support_calls, tables.tickets
    counted_until = min(today, quarter.last_day)
    due_n = on_time = pending_late = delayed = 0
    # a deadline is at most 3650 + 3650 days after registration (the columns' bounds)
    for row in db.execute(select(c).where(
            c.c.registered_on <= quarter.last_day)).mappings():
        due = deadline(row["registered_on"], row["promised_days"],
                       row["promised_days_kind"] or method.contract_days,
                       row["customer_delay_days"])
        if not quarter.first_day <= due <= counted_until:
            continue
        due_n += 1
        delayed += row["customer_delay_days"] > 0
        if row["activated_on"] is not None and row["activated_on"] <= due:
            on_time += 1
        elif row["activated_on"] is None or row["activated_on"] > counted_until:
            pending_late += 1
    calls = db.execute(select(
        func.count(),
        func.sum(case((k.c.answer_s <= float(method.call_answer_max_s), 1), else_=0)),
    ).where(and_(k.c.offered_at >= quarter.start, k.c.offered_at < quarter.end))).one()
    in_quarter = and_(t.c.registered_at >= quarter.start, t.c.registered_at < quarter.end)
    tickets = db.execute(select(
        func.count(),
        func.sum(case((t.c.restore_h <= float(method.ticket_restore_max_hours), 1), else_=0)),
    ).where(and_(in_quarter, t.c.fault == "operator"))).one()
    other_faults = db.execute(select(func.count()).where(and_(
        in_quarter, t.c.fault != "operator"))).scalar_one()
    return {
        "contracts_on_time": share_figure(on_time, due_n),
        "calls_answered_in_time": share_figure(calls[1] or 0, calls[0]),
        "tickets_restored_in_time": share_figure(tickets[1] or 0, tickets[0]),
    }, {"contracts_customer_delayed": delayed,
        "contracts_pending_past_deadline": pending_late,
        "tickets_not_operator_fault": int(other_faults)}
