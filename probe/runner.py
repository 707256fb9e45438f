"""Runs one prober and stamps its outcome into a result record."""

from __future__ import annotations

from structlog.typing import FilteringBoundLogger

from netq.probe.probers import PROBERS, ProberParams
from netq.record import Identity, Kind, Outcome, Record, now


async def run_test(
    kind: Kind, params: ProberParams, identity: Identity, log: FilteringBoundLogger
) -> Record:
    started = now()
    try:
        outcome = await PROBERS[kind].probe(params, log)
    except Exception as exc:  # a prober bug must still leave a record, marked as ours
        log.exception("prober_failed", kind=kind)
        outcome = Outcome(params.target_text(), False, {},
                          error=f"probe error: {type(exc).__name__}: {exc}",
                          exclusion="probe_error")
    return Record(identity, kind, started, now(), outcome)
