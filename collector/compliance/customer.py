"""Indicators 1–3 from the operator's imported records, counted in SQL over the quarter.

- 1: contracts activated in the quarter, on time when the days taken (less the days the
  customer caused) are within the days promised; customer-caused delays are counted.
- 2: support calls offered in the quarter, answered within `call_answer_max_s`.
- 3: trouble tickets registered in the quarter with the fault on the operator's side,
  restored within `ticket_restore_max_hours`; tickets of other faults are counted apart.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, case, func, select

from netq.collector import tables
from netq.collector.compliance.indicators import Figure, share_figure
from netq.collector.compliance.quarter import Quarter
from netq.collector.compliance.thresholds import Method


def figures(db: Any, quarter: Quarter, method: Method) -> tuple[dict[str, Figure], dict[str, int]]:
    """The figure of each customer measure, and the records counted apart."""
    c, k, t = tables.contracts, tables.support_calls, tables.tickets
    contracts = db.execute(select(
        func.count(),
        func.sum(case((c.c.days_taken <= c.c.promised_days, 1), else_=0)),
        func.sum(case((c.c.customer_delay_days > 0, 1), else_=0)),
    ).where(and_(c.c.activated_on >= quarter.first_day,
                 c.c.activated_on <= quarter.last_day))).one()
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
        "contracts_on_time": share_figure(contracts[1] or 0, contracts[0]),
        "calls_answered_in_time": share_figure(calls[1] or 0, calls[0]),
        "tickets_restored_in_time": share_figure(tickets[1] or 0, tickets[0]),
    }, {"contracts_customer_delayed": int(contracts[2] or 0),
        "tickets_not_operator_fault": int(other_faults)}
