"""The probe's configuration file (YAML), validated with errors that name the bad key."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from netq.probe.probers import PROBERS, ProberParams
from netq.probe.probers.snmp import Params as SnmpParams
from netq.probe.spool import FullPolicy

Technology = Literal["adsl", "pon", "ethernet", "docsis", "wifi", "wll", "umts", "lte", "nr"]
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNIT_S = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}


class ConfigError(Exception):
    pass


def seconds(value: Any) -> float:
    """'90', 90, '15m', '4h', '500ms' -> seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(f"{value!r} is not a duration; write e.g. 90, 90s, 15m, 4h")
    return float(match.group(1)) * _UNIT_S[match.group(2)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Test(Strict):
    """One scheduled test: its kind, how often, and the prober's own parameters."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)
    kind: str
    every: float = Field(gt=0, description="seconds between runs; each run starts at a random "
                         "moment of its period")
    params: ProberParams

    @field_validator("every", mode="before")
    @classmethod
    def _every(cls, value: Any) -> float:
        return seconds(value)


class CrossTraffic(Strict):
    """Defer speed tests while the subscriber's own traffic is on the line (SamKnows practice)."""

    snmp: SnmpParams = Field(description="snmp prober parameters of the subscriber's CPE/ONT")
    threshold_bytes_per_second: float = Field(25_000, ge=0)
    sample: float = Field(5, gt=0, le=300)
    retry_after: float = Field(300, gt=0)
    max_deferrals: int = Field(6, ge=0, le=100)

    @field_validator("sample", "retry_after", mode="before")
    @classmethod
    def _durations(cls, value: Any) -> float:
        return seconds(value)


class Upload(Strict):
    """Where the spool drains to (`netq collector serve`)."""

    url: str = Field(pattern=r"^https?://", description="the collector's base URL")
    token: str | None = Field(None, min_length=20, description="the probe's token")
    token_file: Path | None = Field(None, description="a file holding the token instead")
    batch: int = Field(500, ge=1, le=100_000)
    every: float = Field(30, gt=0, description="seconds between drains")
    timeout: float = Field(30, gt=0, le=600)
    max_backoff: float = Field(600, gt=0, description="longest wait between failed tries, s")
    unregistered_retry: float = Field(
        900, gt=0, description="seconds before a record of a connection the collector has not "
                               "registered yet is offered again")

    @field_validator("every", "timeout", "max_backoff", "unregistered_retry", mode="before")
    @classmethod
    def _durations(cls, value: Any) -> float:
        return seconds(value)

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
    tariff_down_kbps: int = Field(gt=0, le=100_000_000)
    tariff_up_kbps: int = Field(gt=0, le=100_000_000)
    spool: Path = Path("/var/lib/netq-probe/spool.db")
    spool_max_records: int = Field(1_000_000, ge=100)
    # with the disk full: drop the oldest hundredth of the queue to make room, or the new record
    spool_when_full: FullPolicy = "drop_oldest"
    metrics_listen: str = "127.0.0.1:9108"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    availability_report_every: float = Field(900, gt=0, le=900)
    tests: list[Test] = Field(min_length=1)
    cross_traffic: CrossTraffic | None = None
    collector: Upload | None = None

    @field_validator("availability_report_every", mode="before")
    @classmethod
    def _report_every(cls, value: Any) -> float:
        return seconds(value)


def _test(raw: Any, where: str) -> Test:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: a test is a mapping with kind, every and its parameters")
    fields = dict(raw)
    kind = fields.pop("kind", None)
    if kind not in PROBERS:
        raise ConfigError(f"{where}.kind: {kind!r} is not a test kind; one of {', '.join(PROBERS)}")
    every = fields.pop("every", 60 if kind == "availability" else None)
    if every is None:
        raise ConfigError(f"{where}.every: missing; how often to run, e.g. 15m")
    try:
        params = PROBERS[kind].params(**fields)
    except ValidationError as exc:
        raise ConfigError(_message(exc, where)) from None
    if kind == "availability" and len({*getattr(params, "target", []),
                                         *getattr(params, "off_net", [])}) < 2:
        raise ConfigError(f"{where}.target: availability needs at least 2 distinct targets, so "
                          "that one unreachable server is not taken for the line being down")
    try:
        return Test(kind=kind, every=every, params=params)
    except ValidationError as exc:
        raise ConfigError(_message(exc, where)) from None


def _message(exc: ValidationError, where: str = "") -> str:
    problems = []
    for error in exc.errors():
        key = ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in error["loc"])
        key = key.replace(".[", "[")
        problems.append(f"{where + '.' if where and key else where}{key}: {error['msg']}")
    return "; ".join(problems)


def parse(raw: Any, source: str = "config") -> Config:
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: the configuration must be a YAML mapping")
    fields = dict(raw)
    tests = fields.pop("tests", None)
    if not isinstance(tests, list) or not tests:
        raise ConfigError(f"{source}: tests: a list of at least one test is required")
    fields["tests"] = [_test(t, f"tests[{i}]") for i, t in enumerate(tests)]
    try:
        config = Config(**fields)
    except ValidationError as exc:
        raise ConfigError(f"{source}: {_message(exc)}") from None
    if config.collector is not None:
        config.collector.secret()  # a token that cannot be read is a config error, now
    return config


def load(path: str | Path) -> Config:
    try:
        text = Path(path).read_text("utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the probe configuration {path}: {exc.strerror}") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    return parse(raw, str(path))
