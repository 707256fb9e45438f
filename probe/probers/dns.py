"""DNS resolution time and failures: names resolved through a resolver, one query each.

As RIPE Atlas and SamKnows measure it: each name is asked of the resolver the subscriber
uses (the operator's), over UDP, one query after another, without retries, so a lost query
is a failure and not a slow answer. The time runs from the query sent to the answer's arrival
by the kernel's receive timestamp. An answer is a response with NOERROR or NXDOMAIN: the
resolver did its job; SERVFAIL, REFUSED and silence are failures. A late answer to an
earlier query is not taken for the answer to the next one (id and question must match).

dnspython is imported on first use: probes without a DNS test do not pay for it (75 ms, 3 MB).
"""

from __future__ import annotations

import asyncio
import socket
import statistics
import time
from typing import TYPE_CHECKING, Annotated, Any, Literal

from prometheus_client import CollectorRegistry, Gauge
from pydantic import AfterValidator, Field
from structlog.typing import FilteringBoundLogger

from netq.address import HostPort, split_host_port
from netq.probe import stamp
from netq.probe.probers import Observe, Prober, ProberParams
from netq.record import Outcome

if TYPE_CHECKING:
    import dns.message

DEFAULT_PORT = 53
ANSWERED = ("NOERROR", "NXDOMAIN")


def _valid_name(name: str) -> str:
    import dns.exception
    import dns.name

    try:
        dns.name.from_text(name)
    except dns.exception.DNSException as exc:
        raise ValueError(f"{name!r} is not a domain name: {exc}") from None
    return name


class Params(ProberParams):
    target: HostPort = Field(description="the resolver, host[:port] (port 53 when not given)")
    name: list[Annotated[str, AfterValidator(_valid_name)]] = Field(
        min_length=1, max_length=100, description="a name to resolve; repeat for each")
    qtype: Literal["A", "AAAA"] = Field("A", description="the record type asked for")
    timeout: float = Field(2.0, gt=0, le=30, description="seconds after which a query failed")


async def probe(params: Params, log: FilteringBoundLogger) -> Outcome:
    host, port = split_host_port(params.target, DEFAULT_PORT)
    loop = asyncio.get_running_loop()
    try:
        family, _, _, _, address = (await loop.getaddrinfo(
            host, port, type=socket.SOCK_DGRAM))[0]
    except socket.gaierror as exc:
        return Outcome(params.target, False, unmeasured(params),
                       error=f"cannot resolve the resolver's name {host}: {exc.strerror}")
    queries: list[dict[str, Any]] = []
    with Resolver(family, address) as resolver:
        for name in params.name:
            query = await resolver.ask(name, params.qtype, params.timeout)
            if resolver.refused:
                return Outcome(params.target, False, metrics(params, queries),
                               error=f"no DNS server answers at {params.target} "
                                     "(port unreachable)")
            queries.append(query)
    result = metrics(params, queries)
    log.debug("dns_queries", queries=result["queries"], failed=result["failed"])
    return Outcome(params.target, True, result)


class Resolver:
    """One UDP socket to the resolver. The answer's time is the kernel's receive timestamp,
    as for STAMP: the probe's own scheduling delay (a busy CPU) does not count as the
    resolver's."""

    def __init__(self, family: int, address: Any) -> None:
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, stamp.SO_TIMESTAMPNS, 1)
        self.sock.setblocking(False)
        self.sock.connect(address)
        self.refused = False
        self.waiting: tuple[dns.message.Message, asyncio.Future[tuple[Any, float]]] | None = None

    def __enter__(self) -> Resolver:
        asyncio.get_running_loop().add_reader(self.sock.fileno(), self._readable)
        return self

    def __exit__(self, *_: object) -> None:
        asyncio.get_running_loop().remove_reader(self.sock.fileno())
        self.sock.close()

    def _readable(self) -> None:
        import dns.exception
        import dns.message

        while True:
            try:
                data, ancdata, _, _ = self.sock.recvmsg(65535, 256)
            except (BlockingIOError, InterruptedError):
                return
            except ConnectionRefusedError:  # ICMP port unreachable: no server there
                self.refused = True
                if self.waiting and not self.waiting[1].done():
                    self.waiting[1].set_result((None, 0.0))
                continue
            except OSError:
                continue
            arrived = stamp.kernel_timestamp(ancdata) or time.time()
            if self.waiting is None or self.waiting[1].done():
                continue  # an answer to a query already given up on
            try:
                response = dns.message.from_wire(data)
            except dns.exception.DNSException:
                continue
            query, answer = self.waiting
            if query.is_response(response):
                answer.set_result((response, arrived))

    async def ask(self, name: str, qtype: str, wait_s: float) -> dict[str, Any]:
        import dns.message
        import dns.rcode
        import dns.rdatatype

        wanted = dns.rdatatype.from_text(qtype)
        query = dns.message.make_query(name, wanted)
        answer: asyncio.Future[tuple[Any, float]] = asyncio.get_running_loop().create_future()
        self.waiting = (query, answer)
        sent = time.time()
        try:
            self.sock.send(query.to_wire())
            async with asyncio.timeout(wait_s):
                response, arrived = await answer
        except (TimeoutError, ConnectionRefusedError) as exc:
            self.refused = self.refused or isinstance(exc, ConnectionRefusedError)
            return {"name": name, "rcode": None, "ms": None, "addresses": 0}
        finally:
            self.waiting = None
        if response is None:
            return {"name": name, "rcode": None, "ms": None, "addresses": 0}
        addresses = sum(len(rrset) for rrset in response.answer if rrset.rdtype == wanted)
        return {"name": name, "rcode": dns.rcode.to_text(response.rcode()),
                "ms": round(max(0.0, arrived - sent) * 1000, 3), "addresses": addresses}


def metrics(params: Params, queries: list[dict[str, Any]]) -> dict[str, Any]:
    answered = [q["ms"] for q in queries if q["rcode"] in ANSWERED]
    times = {"min": min(answered), "mean": round(statistics.fmean(answered), 3),
             "median": round(statistics.median(answered), 3),
             "max": max(answered)} if answered else None
    return {**unmeasured(params), "queries": len(queries), "answered": len(answered),
            "failed": len(queries) - len(answered),
            "failure_ratio": round(1 - len(answered) / len(queries), 6) if queries else None,
            "resolution_ms": times, "results": queries}


def unmeasured(params: Params) -> dict[str, Any]:
    return {"qtype": params.qtype, "timeout_s": params.timeout, "queries": 0, "answered": 0,
            "failed": 0, "failure_ratio": None, "resolution_ms": None, "results": []}


def observer(registry: CollectorRegistry) -> Observe:
    mean = Gauge("netq_probe_dns_resolution_mean_seconds", "Mean time to an answer in the "
                 "last DNS test.", ["target"], registry=registry)
    failed = Gauge("netq_probe_dns_failure_ratio", "Share of the last DNS test's queries that "
                   "got no answer (silence, SERVFAIL, REFUSED).", ["target"], registry=registry)

    def observe(outcome: Outcome) -> None:
        if not outcome.ok:
            return
        if outcome.metrics["resolution_ms"]:
            mean.labels(outcome.target).set(outcome.metrics["resolution_ms"]["mean"] / 1000)
        failed.labels(outcome.target).set(outcome.metrics["failure_ratio"])

    return observe


PROBER = Prober(Params, probe, scheduling="background", observer=observer,
                example="--target 192.0.2.53 --name www.gov.by --name mail.ru")
