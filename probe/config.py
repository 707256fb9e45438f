"""The probe's configuration file (YAML): errors name the file, the line and the key."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import ConfigDict, Field, field_validator

from netq import yamlfile
from netq.errors import ConfigError
from netq.model import Duration, Strict, Technology
from netq.probe.envelope import Envelope, Limits, host_of
from netq.probe.probers import PROBERS, ProberParams
from netq.probe.probers.snmp import Params as SnmpParams
from netq.probe.spool import FullPolicy
from netq.record import Kind

# keys earlier versions took and no longer use: accepted, with a warning, so that an upgrade
# does not stop a probe whose file still has them
RETIRED = {
    "tariff_down_kbps": "tariffs are the collector's: `netq connections import`",
    "tariff_up_kbps": "tariffs are the collector's: `netq connections import`",
}


class Test(Strict):
    """One scheduled test: its kind, how often, and the prober's own parameters."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)
    kind: Kind
    every: Duration = Field(gt=0, description="seconds between runs")
    params: ProberParams
    # the share of a day's runs in the evening peak, 19:00-23:00 Minsk (probe/schedule.py);
    # none: a random moment of each period
    peak_share: float | None = Field(None, ge=0, le=1)
    # a plan's measurement server: the test's target is the port its slot names
    server: str | None = None


class Server(Strict):
    """A measurement server of a plan: one test at a time on each port."""

    host: str = Field(min_length=1, max_length=253)
    ports: list[Annotated[int, Field(ge=1, le=65_535)]] = Field(min_length=1, max_length=64)

    @field_validator("ports")
    @classmethod
    def _distinct(cls, ports: list[int]) -> list[int]:
        if len(set(ports)) != len(ports):
            raise ValueError("a port is listed twice")
        return ports


class CrossTraffic(Strict):
    """Defer speed tests while the subscriber's own traffic is on the line (SamKnows practice)."""

    snmp: SnmpParams = Field(description="snmp prober parameters of the subscriber's CPE/ONT")
    threshold_bytes_per_second: float = Field(25_000, ge=0)
    sample: Duration = Field(5, gt=0, le=300)
    retry_after: Duration = Field(300, gt=0)
    max_deferrals: int = Field(6, ge=0, le=100)


class Upload(Strict):
    """Where the spool drains to (`netq collector serve`)."""

    url: str = Field(pattern=r"^https?://", description="the collector's base URL")
    token: str | None = Field(None, min_length=20, description="the probe's token")
    token_file: Path | None = Field(None, description="a file holding the token instead")
    batch: int = Field(500, ge=1, le=100_000)
    every: Duration = Field(30, gt=0, description="seconds between drains")
    timeout: Duration = Field(30, gt=0, le=600)
    max_backoff: Duration = Field(600, gt=0, description="longest wait between failed tries, s")
    unregistered_retry: Duration = Field(
        900, gt=0, description="seconds before a record of a connection the collector has not "
                               "registered yet is offered again")
    plan_every: Duration = Field(
        300, ge=0, description="seconds between requests for the probe's central test plan "
                               "until it has one (then the plan's own); 0: never ask")

    def bearer(self) -> dict[str, str]:
        """The Authorization header, the token read afresh: a rotated token file is used
        from the next request (ConfigError while it cannot be read)."""
        return {"Authorization": f"Bearer {self.secret()}"}

    def secret(self) -> str:
        if self.token:
            return self.token
        if self.token_file is None:
            raise ConfigError("collector: give token or token_file")
        try:
            return self.token_file.read_text("utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"collector.token_file: cannot read {self.token_file}: "
                              f"{exc.strerror}") from None


class Config(Strict):
    probe_id: str = Field(min_length=1, max_length=128)
    connection_id: str = Field(min_length=1, max_length=128)
    technology: Technology
    spool: Path = Path("/var/lib/netq-probe/spool.db")
    spool_max_records: int = Field(1_000_000, ge=100)
    # with the disk full: drop the oldest hundredth of the queue to make room, or the new record
    spool_when_full: FullPolicy = "drop_oldest"
    metrics_listen: str = "127.0.0.1:9108"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    availability_report_every: Duration = Field(900, gt=0, le=900)
    # the probe's own tests: run until a central plan comes, and whenever none meets it
    tests: list[Test] = Field(default_factory=list)
    cross_traffic: CrossTraffic | None = None
    collector: Upload | None = None
    # where the last good central plan is kept (beside the spool when not given)
    plan_cache: Path | None = None
    # what a central plan may ask of this box (probe/envelope.py)
    limits: Limits = Field(default_factory=Limits)
    retired: tuple[str, ...] = Field((), exclude=True)  # what the file had of RETIRED

    @property
    def plans(self) -> bool:
        """The probe asks the collector for a central plan."""
        return self.collector is not None and self.collector.plan_every > 0

    def plan_cache_path(self) -> Path:
        return self.plan_cache or self.spool.with_name("plan.json")

    def envelope(self) -> Envelope:
        """The limits, with the hosts of the probe's own tests and the collector's allowed."""
        own = [host_of(target) for test in self.tests
               for target in PROBERS[test.kind].aims(test.params)]
        if self.collector is not None:
            own.append(urlsplit(self.collector.url).hostname or "")
        return Envelope.of(self.limits, [host for host in own if host])


def parse_test(document: yamlfile.Document, at: yamlfile.Path_,
               servers: dict[str, Server] | None = None) -> Test:
    """The test at `at`; `servers` are those of the plan it comes in (a probe's own file
    has none)."""
    fields = dict(document.mapping(at))
    kind = fields.pop("kind", None)
    if kind not in PROBERS:
        raise document.error((*at, "kind"), f"{kind!r} is not a test kind; one of "
                                             f"{', '.join(PROBERS)}")
    prober = PROBERS[kind]
    every = fields.pop("every", prober.every)
    if every is None:
        raise document.error((*at, "every"), "missing; how often to run, e.g. 15m")
    peak_share = fields.pop("peak_share", None)
    if peak_share is not None and prober.scheduling == "continuous":
        raise document.error((*at, "peak_share"), f"{kind} tests run on the clock, "
                                                  "not at chosen moments")
    server = fields.pop("server", None)
    if server is not None:
        if prober.occupies is None:
            raise document.error((*at, "server"), f"{kind} tests hold no server; give "
                                                  "their target")
        if servers is None or server not in servers:
            known = ", ".join(servers or {}) or "none"
            raise document.error((*at, "server"), f"{server!r} is not a server of the plan's "
                                                  f"servers ({known})")
        if "target" in fields:
            raise document.error((*at, "target"), "give a target or a server, not both")
        fields["target"] = f"{servers[server].host}:{servers[server].ports[0]}"
    params = document.validate(prober.params, fields, at)
    test = document.validate(Test, {"kind": kind, "every": every, "params": params,
                                    "peak_share": peak_share, "server": server}, at)
    if peak_share is not None and test.every > 86_400:
        raise document.error((*at, "every"), "at most a day with a peak_share")
    return test


def parse(raw: Any, source: str = "config") -> Config:
    """The configuration in `raw` (a dict, or the Document of a file)."""
    document = raw if isinstance(raw, yamlfile.Document) else yamlfile.Document(source, raw)
    fields = dict(document.mapping())
    tests = fields.get("tests", [])
    if not isinstance(tests, list):
        raise document.error(("tests",), "a list of tests")
    fields["tests"] = [parse_test(document, ("tests", i)) for i in range(len(tests))]
    fields["retired"] = tuple(key for key in RETIRED if fields.pop(key, None) is not None)
    config = document.validate(Config, fields)
    if not config.tests and not config.plans:
        raise document.error(("tests",), "a list of at least one test is required when the "
                                         "probe does not get a central plan from a collector")
    if config.collector is not None:
        config.collector.secret()  # a token that cannot be read is a config error, now
    return config


def load(path: str | Path) -> Config:
    return parse(yamlfile.load(path))
