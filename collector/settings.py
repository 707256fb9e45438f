"""The collector's configuration file (YAML); command-line options override it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ConfigDict, Field

from netq import yamlfile
from netq.errors import Unavailable
from netq.model import Duration, Strict

DEFAULT_PATH = Path("/etc/netq/collector.yaml")
CONFIG_ENV = "NETQ_CONFIG"


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


@dataclass(frozen=True)
class Configured:
    """A server's settings, and where they and its store were taken from (for messages)."""

    settings: Settings
    path: Path | None  # the configuration file read, if any
    db_from: str  # what named the store: "--db", "$NETQ_DB", "db: in FILE", or the default


def located(given: str | Path | None) -> tuple[Path | None, str]:
    """The configuration a command reads and what chose it: --config, else $NETQ_CONFIG,
    else the packaged /etc/netq/collector.yaml when the machine has one. So every command on
    a server takes the server's store and norms, not an empty ./netq.db."""
    if given is not None:
        return Path(given), "--config"
    if os.environ.get(CONFIG_ENV):
        return Path(os.environ[CONFIG_ENV]), f"${CONFIG_ENV}"
    if DEFAULT_PATH.exists():
        return DEFAULT_PATH, "the server's default"
    return None, ""


def server(given: str | Path | None, db: str | None = None,
           overrides: dict[str, Any] | None = None) -> Configured:
    """The settings a command on a server runs with: the command line's `db` and
    `overrides` over the configuration `located` finds."""
    path, chosen_by = located(given)
    if path is not None and not path.is_file():
        raise Unavailable(f"no configuration at {path} (given by {chosen_by})")
    if path is not None and not os.access(path, os.R_OK):
        if db is None or given is not None:
            raise Unavailable(f"cannot read {path} ({chosen_by}), which names the store: run "
                              "as root or as the netq user (runuser -u netq -- netq …), or "
                              "give --db")
        path = None  # the store is on the command line: go on without the server's file
    settings = load(path, {"db": db, **(overrides or {})})
    if db is not None:
        db_from = "$NETQ_DB" if db == os.environ.get("NETQ_DB") else "--db"
    elif settings.db is not None:
        db_from = f"db: in {path}"
    else:
        where = f"no db: in {path}" if path is not None else f"no {DEFAULT_PATH}"
        db_from = f"the default: no --db, no $NETQ_DB, {where}"
    return Configured(settings, path, db_from)
