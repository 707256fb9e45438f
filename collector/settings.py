"""The collector's configuration file (YAML); command-line options override it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ConfigDict, Field

from netq import yamlfile
from netq.model import Duration, Strict

DEFAULT_PATH = Path("/etc/netq/collector.yaml")


class Operator(Strict):
    """Who publishes: printed on the title page of every report and protocol."""

    # an unquoted УНП in YAML is a number: read as written
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)
    name: str = Field(min_length=1, max_length=300)
    # УНП: the 9-digit payer's registration number of a Belarusian organisation
    registration_number: str = Field(pattern=r"^\d{9}$")
    address: str = Field(min_length=1, max_length=500)
    contact: str = Field(min_length=1, max_length=300)  # phone, e-mail or web page


class Settings(Strict):
    db: str | None = Field(None, description="SQLite path or postgresql:// URL")
    # norms and method; the packaged thresholds.yaml when not given. The collector judges
    # every result as it arrives (daily rollups) under every profile's per-test norms.
    thresholds: str | None = None
    listen: str = "127.0.0.1:8080"
    max_body_bytes: int = Field(8 * 1024 * 1024, ge=1024, le=256 * 1024 * 1024)
    max_records: int = Field(5000, ge=1, le=100_000)
    # bytes of request bodies (inflated) parsed and stored at once; more are answered 503:
    # bounds the memory a burst of large batches takes (the packaged unit's MemoryMax is 2G)
    max_inflight_bytes: int = Field(64 * 1024 * 1024, ge=1024, le=4 * 1024 * 1024 * 1024)
    # requests a second per probe, over every endpoint, and at once; more are answered 429
    probe_requests_per_second: float = Field(20, gt=0, le=10_000)
    probe_requests_burst: int = Field(200, ge=1, le=1_000_000)
    # seconds a connection may sit idle, before its first request or between requests
    idle_timeout: Duration = Field(5, ge=1, le=300)
    # seconds from a request's first byte to its last: a slower client is cut off
    read_timeout: Duration = Field(60, ge=1, le=3600)
    # connections served at once; more are answered 503 (also capped by the open-files limit)
    max_connections: int = Field(4096, ge=1, le=100_000)
    # how often the quarter to date is judged for /metrics (seconds; 0: never)
    compliance_every: Duration = Field(300, ge=0)
    # how often the lines' latest readings and the slot leases are read for /metrics
    lines_every: Duration = Field(30, ge=0)
    # TLS directly; or leave both empty and terminate TLS at a reverse proxy (README)
    tls_certfile: str | None = None
    tls_keyfile: str | None = None
    operator: Operator | None = None


def load(path: str | Path | None, overrides: dict[str, Any] | None = None) -> Settings:
    """The settings of the file at `path` (none: defaults) with `overrides` on top."""
    document = (yamlfile.load(path) if path is not None
                else yamlfile.Document("settings", {}))
    raw = {**document.mapping(),
           **{k: v for k, v in (overrides or {}).items() if v is not None}}
    return document.validate(Settings, raw)
