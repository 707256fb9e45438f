"""The collector's configuration file (YAML); command-line options override it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    db: str | None = Field(None, description="SQLite path or postgresql:// URL")
    # norms and method; the packaged thresholds.yaml when not given. The collector judges
    # every result as it arrives (daily rollups) under every profile's per-test norms.
    thresholds: str | None = None
    listen: str = "127.0.0.1:8080"
    max_body_bytes: int = Field(8 * 1024 * 1024, ge=1024, le=256 * 1024 * 1024)
    max_records: int = Field(5000, ge=1, le=100_000)
    # seconds a connection may sit idle, before its first request or between requests
    idle_timeout: float = Field(5, ge=1, le=300)
    # seconds from a request's first byte to its last: a slower client is cut off
    read_timeout: float = Field(60, ge=1, le=3600)
    # connections served at once; more are answered 503 (also capped by the open-files limit)
    max_connections: int = Field(4096, ge=1, le=100_000)
    # how often the quarter to date is judged for /metrics (seconds; 0: never)
    compliance_every: float = Field(300, ge=0)
    # TLS directly; or leave both empty and terminate TLS at a reverse proxy (README)
    tls_certfile: str | None = None
    tls_keyfile: str | None = None
