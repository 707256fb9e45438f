"""SNMP polling of ONT/OLT/CPE interfaces (IF-MIB by default; OIDs per vendor in config).

pysnmp is imported on first use: subscriber probes that never poll do not pay for it.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field
from structlog.typing import FilteringBoundLogger

from netq.address import HostPort, split_host_port
from netq.probe.probers import Prober, ProberParams
from netq.record import Outcome

OPER_STATUS = {1: "up", 2: "down", 3: "testing", 4: "unknown", 5: "dormant",
               6: "notPresent", 7: "lowerLayerDown"}


class Params(ProberParams):
    target: HostPort = Field(description="agent host[:port]")
    community: str = Field("public", description="SNMPv2c community")
    if_index: list[int] = Field(min_length=1, description="interface index; repeat for several")
    oper_status_oid: str = Field("1.3.6.1.2.1.2.2.1.8", description="IF-MIB::ifOperStatus")
    in_octets_oid: str = Field("1.3.6.1.2.1.31.1.1.1.6", description="IF-MIB::ifHCInOctets")
    out_octets_oid: str = Field("1.3.6.1.2.1.31.1.1.1.10", description="IF-MIB::ifHCOutOctets")
    timeout: float = Field(2, gt=0, le=60, description="seconds per request")
    retries: int = Field(1, ge=0, le=10, description="resends before the agent counts as dead")


class SnmpError(Exception):
    pass


async def poll(params: Params) -> list[dict[str, Any]]:
    """Status and counters of each interface; raises SnmpError when the agent does not answer."""
    try:
        from pysnmp.hlapi.v3arch.asyncio import (
            CommunityData,
            ContextData,
            ObjectIdentity,
            ObjectType,
            SnmpEngine,
            UdpTransportTarget,
            get_cmd,
        )
    except ImportError:
        raise SnmpError("SNMP polling needs pysnmp: pip install 'netq[snmp]'") from None

    host, port = split_host_port(params.target, 161)
    engine = SnmpEngine()
    try:
        transport = await UdpTransportTarget.create(
            (host, port), timeout=params.timeout, retries=params.retries)
        oids = [f"{base}.{i}" for i in params.if_index
                for base in (params.oper_status_oid, params.in_octets_oid, params.out_octets_oid)]
        error_indication, error_status, error_index, var_binds = await get_cmd(
            engine, CommunityData(params.community, mpModel=1), transport, ContextData(),
            *(ObjectType(ObjectIdentity(oid)) for oid in oids), lookupMib=False)
    except Exception as exc:  # pysnmp raises its own errors for unresolvable hosts and the like
        raise SnmpError(f"SNMP agent {params.target}: {exc}") from exc
    finally:
        engine.close_dispatcher()
    if error_indication:
        raise SnmpError(f"SNMP agent {params.target}: {error_indication}")
    if error_status:
        raise SnmpError(f"SNMP agent {params.target}: {error_status.prettyPrint()} "
                        f"at {oids[int(error_index) - 1] if error_index else '?'}")
    values = [_number(value) for _, value in var_binds]
    return [
        {"if_index": i, "oper_status": _status(values[3 * n]),
         "in_octets": values[3 * n + 1], "out_octets": values[3 * n + 2]}
        for n, i in enumerate(params.if_index)
    ]


def _status(value: int | None) -> str | None:
    return None if value is None else OPER_STATUS.get(value)


def _number(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):  # noSuchObject / noSuchInstance
        return None


async def probe(params: Params, log: FilteringBoundLogger) -> Outcome:
    try:
        interfaces = await poll(params)
    except SnmpError as exc:
        return Outcome(params.target, False, {"agent": params.target, "interfaces": []},
                       error=str(exc))
    log.debug("snmp_poll", agent=params.target, interfaces=interfaces)
    return Outcome(params.target, True, {"agent": params.target, "interfaces": interfaces})


PROBER = Prober(Params, probe, scheduling="background",
                example="--target 192.0.2.10 --if-index 1 --community public")
