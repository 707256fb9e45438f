"""The collector's tables, one definition for SQLite and PostgreSQL (SQLAlchemy Core).

Migrations (collector/migrations) create them; this module is how the code names them.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

# One row per connection per tariff period (DESIGN.md's registry); effective_from is a date
# in Europe/Minsk, FIRST_PERIOD for "since the start".
connections = Table(
    "connections", metadata,
    Column("connection_id", String(128), primary_key=True),
    Column("effective_from", Date, primary_key=True),
    Column("service", String(16), nullable=False),
    Column("technology", String(16), nullable=False),
    Column("tariff_down_kbps", Integer, nullable=False),
    Column("tariff_up_kbps", Integer, nullable=False),
    Column("region", String(128), nullable=False),
    Column("node", String(128), nullable=False),
    Column("profile", String(64), nullable=False),
)

probes = Table(
    "probes", metadata,
    Column("probe_id", String(128), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# Only a hash of each token is kept; the token itself is shown once, at creation.
probe_tokens = Table(
    "probe_tokens", metadata,
    Column("token_sha256", String(64), primary_key=True),
    Column("probe_id", String(128), ForeignKey("probes.probe_id"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
)

# The connections a probe may write results for.
probe_connections = Table(
    "probe_connections", metadata,
    Column("probe_id", String(128), ForeignKey("probes.probe_id"), primary_key=True),
    Column("connection_id", String(128), primary_key=True),
)

# Append-only. In PostgreSQL partitioned by month of started_at (see the migration), so the
# key carries started_at; a record's id with its own started_at is the idempotency key.
results = Table(
    "results", metadata,
    Column("id", String(36), primary_key=True),
    Column("started_at", DateTime(timezone=True), primary_key=True),
    Column("ended_at", DateTime(timezone=True), nullable=False),
    Column("probe_id", String(128), nullable=False),
    Column("connection_id", String(128), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("target", Text, nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("error", Text),
    Column("exclusion", String(32)),
    Column("metrics", JSON, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
)
