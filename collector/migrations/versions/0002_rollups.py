"""Daily rollups per connection (by per-test criteria), their build state, down intervals,
and the record of every quarter computed.

Revision ID: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)
# a migration is a snapshot: the column names are written out, not imported from tables.py
COUNTS = [
    "results_n", "digest", "excluded_n", "infrastructure_n", "deferred_n", "probe_error_n",
    "unjudged_n", "latency_n", "delay_pass_n", "loss_pass_n", "rtt_n", "packets_sent",
    "packets_lost", "speed_down_n", "speed_down_pass_n", "speed_down_below_floor_n",
    "speed_up_n", "speed_up_pass_n", "attempts_n", "attempts_failed_n", "started_n",
    "premature_n",
]
SUMS = ["rtt_mean_sum_ms", "rtt_mean_sq_sum", "speed_down_share_sum", "speed_up_share_sum",
        "covered_s"]
EXTREMES = ["speed_down_share_min", "speed_down_share_max", "speed_up_share_min",
            "speed_up_share_max"]


def upgrade() -> None:
    op.create_table(
        "rollups",
        sa.Column("criteria", sa.String(16), primary_key=True),
        sa.Column("connection_id", sa.String(128), primary_key=True),
        sa.Column("effective_from", sa.Date, primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        *(sa.Column(n, sa.BigInteger, nullable=False, server_default="0") for n in COUNTS),
        *(sa.Column(n, sa.Float, nullable=False, server_default="0") for n in SUMS),
        *(sa.Column(n, sa.Float) for n in EXTREMES),
    )
    op.create_index("rollups_quarter", "rollups", ["criteria", "day"])
    op.create_table(
        "rollup_criteria",
        sa.Column("criteria", sa.String(16), primary_key=True),
        sa.Column("profile", sa.String(64), nullable=False),
        sa.Column("built_at", TZ, nullable=False),
    )
    op.create_table(
        "down_intervals",
        sa.Column("result_id", sa.String(36), primary_key=True),
        sa.Column("connection_id", sa.String(128), nullable=False),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("ended_at", TZ, nullable=False),
    )
    op.create_index("down_intervals_connection_time", "down_intervals",
                    ["connection_id", "started_at"])
    op.create_table(
        "compliance_runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("quarter", sa.String(8), nullable=False),
        sa.Column("profile", sa.String(64), nullable=False),
        sa.Column("computed_at", TZ, nullable=False),
        sa.Column("snapshot_sha256", sa.String(64), nullable=False),
        sa.Column("profile_sha256", sa.String(64), nullable=False),
        sa.Column("code_version", sa.String(64), nullable=False),
        sa.Column("document", sa.JSON, nullable=False),
    )


def downgrade() -> None:
    for table in ("compliance_runs", "down_intervals", "rollup_criteria", "rollups"):
        op.drop_table(table)
