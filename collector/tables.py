"""The collector's tables, one definition for SQLite and PostgreSQL (SQLAlchemy Core).

Migrations (collector/migrations) create them; this module is how the code names them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    false,
)

from netq.collector.compliance.measures import KEPT

metadata = MetaData()


class UtcDateTime(TypeDecorator[datetime]):
    """An instant, stored in UTC and read back as an aware UTC time on either back end.

    SQLite keeps a time's wall clock and drops its zone, so an aware non-UTC time would be
    compared as if it were UTC; a naive time has no instant at all. Both are refused or
    converted here, once, instead of by every writer and reader."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive time {value.isoformat()} has no instant; give its zone")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# One row per connection per tariff period (docs/design.md, the connections CSV);
# effective_from is a date in Europe/Minsk, FIRST_PERIOD for "since the start".
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
    Column("created_at", UtcDateTime(), nullable=False),
)

# Only a hash of each token is kept; the token itself is shown once, at creation.
probe_tokens = Table(
    "probe_tokens", metadata,
    Column("token_sha256", String(64), primary_key=True),
    Column("probe_id", String(128), ForeignKey("probes.probe_id"), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("revoked_at", UtcDateTime()),
    # a rotation's new token: its first use revokes the probe's older live tokens
    Column("supersedes", Boolean, nullable=False, server_default=false()),
)

# A rotation's new token and the tokens it supersedes, by id (never by when they were made,
# which a clock set wrong would confuse): its first use revokes exactly those.
token_rotations = Table(
    "token_rotations", metadata,
    Column("token_sha256", String(64), primary_key=True),
    Column("superseded_sha256", String(64), primary_key=True),
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
    Column("started_at", UtcDateTime(), primary_key=True),
    Column("ended_at", UtcDateTime(), nullable=False),
    Column("probe_id", String(128), nullable=False),
    Column("connection_id", String(128), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("target", Text, nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("error", Text),
    Column("exclusion", String(32)),
    Column("metrics", JSON, nullable=False),
    Column("received_at", UtcDateTime(), nullable=False),
    Column("plan", String(64)),  # the version of the plan the probe ran, when it had one
    Index("results_connection_time", "connection_id", "started_at"),
)

# Every stored result's id, once, with the probe that sent it: the guard against an id
# stored twice (see the migration). A duplicate is told from a conflict by the content
# (identity.py) of the row in `results`.
result_ids = Table(
    "result_ids", metadata,
    Column("id", String(36), primary_key=True),
    Column("probe_id", String(128), nullable=False),
)

# Per connection, registry period and Minsk day: what that day's results add to the
# indicators, judged under one set of per-test norms (`criteria`, see thresholds.py). Kept up
# to date as results arrive (collector/rollups.py), so a quarter reads O(connections × days).
# The method's own counts (judgement.py), then those the measures' per-test norms keep: a new
# measure's columns arrive with a migration (scripts/migration writes it from this table).
ROLLUP_COUNTS = (
    "results_n", "digest", "excluded_n", "infrastructure_n", "deferred_n", "probe_error_n",
    "unjudged_n", "latency_n", "rtt_n", "packets_sent", "packets_lost", "speed_down_n",
    "speed_up_n", "attempts_n", "attempts_failed_n", "started_n", "premature_n",
    "speed_segment_assumed_n", *KEPT,
)
ROLLUP_SUMS = ("rtt_mean_sum_ms", "rtt_mean_sq_sum", "speed_down_share_sum",
               "speed_up_share_sum", "covered_s",
               "covered_on_net_only_s")  # by probes with no off-net target: not the Internet
ROLLUP_EXTREMES = ("speed_down_share_min", "speed_down_share_max", "speed_up_share_min",
                   "speed_up_share_max")
rollups = Table(
    "rollups", metadata,
    Column("criteria", String(16), primary_key=True),
    Column("connection_id", String(128), primary_key=True),
    Column("effective_from", Date, primary_key=True),
    Column("day", Date, primary_key=True),
    *(Column(name, BigInteger, nullable=False, server_default="0") for name in ROLLUP_COUNTS),
    *(Column(name, Float, nullable=False, server_default="0") for name in ROLLUP_SUMS),
    *(Column(name, Float) for name in ROLLUP_EXTREMES),
    Index("rollups_quarter", "criteria", "day"),
)

# Per connection, registry period, Minsk month and Minsk hour of the day: the download speed
# and round-trip sums of the tests started in that hour, judged as the rollups judge them,
# for the report's hour-of-day profile (kept and rebuilt with the rollups).
HOURLY_COUNTS = ("speed_down_n", "rtt_n")
HOURLY_SUMS = ("speed_down_share_sum", "rtt_mean_sum_ms")
hourly = Table(
    "hourly", metadata,
    Column("criteria", String(16), primary_key=True),
    Column("connection_id", String(128), primary_key=True),
    Column("effective_from", Date, primary_key=True),
    Column("month", Date, primary_key=True),  # its first day
    Column("hour", Integer, primary_key=True),  # 0–23, Europe/Minsk
    *(Column(name, BigInteger, nullable=False, server_default="0") for name in HOURLY_COUNTS),
    *(Column(name, Float, nullable=False, server_default="0") for name in HOURLY_SUMS),
)

# Per download test started in the evening peak (19:00–23:00 Minsk) and judged, under one set
# of per-test norms: its speed as % of the tariff, for the consistent speed of the lines
# (compliance/line_counts.py). Kept and rebuilt with the rollups; narrow, since a fleet's quarter
# holds one or more of these per line and day.
peak_speeds = Table(
    "peak_speeds", metadata,
    Column("criteria", String(16), primary_key=True),
    Column("day", Date, primary_key=True),  # Minsk; first, so a quarter is one range
    Column("result_id", String(36), primary_key=True),
    Column("connection_id", String(128), nullable=False, index=True),
    Column("effective_from", Date, nullable=False),
    Column("share_percent", Float, nullable=False),
    sqlite_with_rowid=False,  # the rows kept in key order: a quarter read is one scan
)

# Results stored whose `plan` version no set applied on this collector ever had: a probe
# running a plan of its own, or an altered one. Kept and judged like any result; flagged.
unknown_plan_results = Table(
    "unknown_plan_results", metadata,
    Column("result_id", String(36), primary_key=True),
    Column("plan", String(64), nullable=False),
)

# The store's last successful write check (/readyz): one row, rewritten and committed each
# time, so that a full disk or a read-only store fails it as it would fail a batch.
readiness = Table(
    "readiness", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("checked_at", UtcDateTime(), nullable=False),
)

# The criteria whose rollups cover every stored result (built, then kept up at ingest).
rollup_criteria = Table(
    "rollup_criteria", metadata,
    Column("criteria", String(16), primary_key=True),
    Column("profile", String(64), nullable=False),
    Column("built_at", UtcDateTime(), nullable=False),
)

# Every availability interval that was down; merged into outages when a quarter is judged.
down_intervals = Table(
    "down_intervals", metadata,
    Column("result_id", String(36), primary_key=True),
    Column("connection_id", String(128), nullable=False),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("ended_at", UtcDateTime(), nullable=False),
    Index("down_intervals_connection_time", "connection_id", "started_at"),
)

# Every quarter computed, with its manifest and output: what was published can be re-derived.
compliance_runs = Table(
    "compliance_runs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("quarter", String(8), nullable=False),
    Column("profile", String(64), nullable=False),
    Column("computed_at", UtcDateTime(), nullable=False),
    Column("snapshot_sha256", String(64), nullable=False),
    Column("profile_sha256", String(64), nullable=False),
    Column("code_version", String(64), nullable=False),
    Column("document", JSON, nullable=False),
)

# The operator's own records (collector/records.py), for indicators 1–3 and planned works.
support_calls = Table(
    "support_calls", metadata,
    Column("call_id", String(128), primary_key=True),
    Column("offered_at", UtcDateTime(), nullable=False, index=True),
    Column("answered_at", UtcDateTime()),
    Column("answer_s", Float),  # null: never answered
    Column("profile", String(64)),  # the profile it is counted under; null: the operator's
)
tickets = Table(
    "tickets", metadata,
    Column("ticket_id", String(128), primary_key=True),
    Column("connection_id", String(128), nullable=False),
    Column("registered_at", UtcDateTime(), nullable=False, index=True),
    Column("restored_at", UtcDateTime()),
    Column("fault", String(16), nullable=False),
    Column("restore_h", Float),  # null: not restored yet
    Column("acknowledged_at", UtcDateTime()),  # work on it began (reaction)
    Column("impact", String(24)),  # as registered: fully_down, major_degradation, …
    Column("urgency", String(8)),  # as registered: high, normal, low
)
contracts = Table(
    "contracts", metadata,
    Column("contract_id", String(128), primary_key=True),
    Column("connection_id", String(128)),
    Column("registered_on", Date, nullable=False),
    Column("promised_days", Integer),  # null: the days the profile's rules promise
    Column("activated_on", Date, index=True),
    Column("customer_delay_days", Integer, nullable=False),
    Column("days_taken", Integer),  # activation minus registration minus customer's delay
    Column("promised_days_kind", String(8)),  # calendar or working; null: the profile's
    Column("profile", String(64)),  # for a contract with no line yet; null: the line's
)
planned_works = Table(
    "planned_works", metadata,
    Column("work_id", String(128), primary_key=True),
    Column("announced_at", UtcDateTime(), nullable=False),
    Column("starts_at", UtcDateTime(), nullable=False),
    Column("ends_at", UtcDateTime(), nullable=False),
    Column("nodes", Text, nullable=False),  # ;-separated
)

# Lawful suspensions of a line's service (a subscriber's request, non-payment, a breach):
# not unavailability, where the line's profile names the clause that allows the reason.
suspensions = Table(
    "suspensions", metadata,
    Column("suspension_id", String(128), primary_key=True),
    Column("connection_id", String(128), nullable=False, index=True),
    Column("starts_at", UtcDateTime(), nullable=False),
    Column("ends_at", UtcDateTime()),  # null: still suspended
    Column("reason", String(32), nullable=False),
)

# Every report written (`netq report quarterly`): which quarter is published, and from what.
report_runs = Table(
    "report_runs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("quarter", String(8), nullable=False, index=True),
    Column("profile", String(64), nullable=False),
    Column("generated_at", UtcDateTime(), nullable=False),
    Column("formats", String(64), nullable=False),
    Column("snapshot_sha256", String(64), nullable=False),
)

# Every set of test plans applied (`netq fleet plan apply`), kept: the latest is served, the
# others say what a record's plan version asked for.
plan_sets = Table(
    "plan_sets", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("applied_at", UtcDateTime(), nullable=False),
    Column("source_sha256", String(64), nullable=False),
    Column("plans", JSON, nullable=False),
)

# Leases of measurement servers' ports for exclusive tests (collector/slots.py), shared by
# every collector on the store and kept across restarts. On PostgreSQL an exclusion
# constraint (migration 0015, not expressible here) refuses two leases of one port that
# overlap in time, whichever collector grants them.
slot_leases = Table(
    "slot_leases", metadata,
    Column("id", String(36), primary_key=True),
    Column("probe_id", String(128), nullable=False, index=True),
    Column("server", String(64), nullable=False),
    Column("port", Integer, nullable=False),
    Column("starts_at", UtcDateTime(), nullable=False),
    Column("ends_at", UtcDateTime(), nullable=False),
    Index("slot_leases_server_end", "server", "ends_at"),
)

# Each connection's latest reading of each per-line gauge (collector/readings.py), written
# with the record it comes from, whichever collector took it: the newest measurement wins.
line_readings = Table(
    "line_readings", metadata,
    Column("connection_id", String(128), primary_key=True),
    Column("gauge", String(64), primary_key=True),
    Column("direction", String(8), primary_key=True),  # "" unless the gauge has one
    Column("value", Float, nullable=False),
    Column("measured_at", UtcDateTime(), nullable=False),
    Column("profile", String(64), nullable=False),
    Column("service", String(16), nullable=False),
    Column("technology", String(16), nullable=False),
    Column("region", String(128), nullable=False),
    Column("node", String(128), nullable=False),
)

# Each quarter's report as the operator published it (`netq report publish`): when and where.
# Only this counts a quarter as published (the deadline check, its gauge and alert): writing
# a report, a trial one included, does not.
publications = Table(
    "publications", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("quarter", String(8), nullable=False, index=True),
    Column("profile", String(64), nullable=False),
    Column("url", String(2000), nullable=False),
    Column("published_at", UtcDateTime(), nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
    # the written report it publishes
    Column("report_run", Integer, ForeignKey("report_runs.id"), nullable=False),
)
