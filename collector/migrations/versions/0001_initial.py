"""Registry, probes and their tokens, results (partitioned by month in PostgreSQL).

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "connections",
        sa.Column("connection_id", sa.String(128), primary_key=True),
        sa.Column("effective_from", sa.Date, primary_key=True),
        sa.Column("service", sa.String(16), nullable=False),
        sa.Column("technology", sa.String(16), nullable=False),
        sa.Column("tariff_down_kbps", sa.Integer, nullable=False),
        sa.Column("tariff_up_kbps", sa.Integer, nullable=False),
        sa.Column("region", sa.String(128), nullable=False),
        sa.Column("node", sa.String(128), nullable=False),
        sa.Column("profile", sa.String(64), nullable=False),
    )
    op.create_table(
        "probes",
        sa.Column("probe_id", sa.String(128), primary_key=True),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "probe_tokens",
        sa.Column("token_sha256", sa.String(64), primary_key=True),
        sa.Column("probe_id", sa.String(128), sa.ForeignKey("probes.probe_id"), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("revoked_at", TZ),
    )
    op.create_table(
        "probe_connections",
        sa.Column("probe_id", sa.String(128), sa.ForeignKey("probes.probe_id"),
                  primary_key=True),
        sa.Column("connection_id", sa.String(128), primary_key=True),
    )
    columns: list[sa.schema.SchemaItem] = [
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("started_at", TZ, primary_key=True),
        sa.Column("ended_at", TZ, nullable=False),
        sa.Column("probe_id", sa.String(128), nullable=False),
        sa.Column("connection_id", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("ok", sa.Boolean, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("exclusion", sa.String(32)),
        sa.Column("metrics", sa.JSON, nullable=False),
        sa.Column("received_at", TZ, nullable=False),
    ]
    if op.get_bind().dialect.name == "postgresql":
        # monthly partitions are created as data for a month first arrives (store.py)
        op.create_table("results", *columns, postgresql_partition_by="RANGE (started_at)")
    else:
        op.create_table("results", *columns)
    op.create_index("results_connection_time", "results", ["connection_id", "started_at"])


def downgrade() -> None:
    for table in ("results", "probe_connections", "probe_tokens", "probes", "connections"):
        op.drop_table(table)
