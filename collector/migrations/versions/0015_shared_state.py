"""State every collector on the store shares: the slot leases of measurement servers' ports
(on PostgreSQL two overlapping leases of one port are refused by an exclusion constraint,
whichever collector grants them) and each connection's latest per-line gauge readings.

Revision ID: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "line_readings",
        sa.Column("connection_id", sa.String(length=128), nullable=False),
        sa.Column("gauge", sa.String(length=64), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("measured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("profile", sa.String(length=64), nullable=False),
        sa.Column("service", sa.String(length=16), nullable=False),
        sa.Column("technology", sa.String(length=16), nullable=False),
        sa.Column("region", sa.String(length=128), nullable=False),
        sa.Column("node", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("connection_id", "gauge", "direction"),
    )
    op.create_table(
        "slot_leases",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("probe_id", sa.String(length=128), nullable=False),
        sa.Column("server", sa.String(length=64), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("slot_leases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_slot_leases_probe_id"), ["probe_id"], unique=False)
        batch_op.create_index("slot_leases_server_end", ["server", "ends_at"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        # btree_gist gives `=` on text and integers to a GiST index; a trusted extension, so
        # the store's owner may create it
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute("ALTER TABLE slot_leases ADD CONSTRAINT slot_leases_no_overlap EXCLUDE "
                   "USING gist (server WITH =, port WITH =, "
                   "tstzrange(starts_at, ends_at) WITH &&)")


def downgrade() -> None:
    op.drop_table("slot_leases")
    op.drop_table("line_readings")
