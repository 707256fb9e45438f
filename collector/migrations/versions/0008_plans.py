"""Test plans served to probes: every set of plans applied (`netq fleet plan apply`), kept,
so a record's plan version leads back to the plan its probe ran; the plan version on every
result; and tokens that supersede a probe's older ones at their first use (rotation).

Revision ID: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "plan_sets",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source_sha256", sa.String(64), nullable=False),
        sa.Column("plans", sa.JSON, nullable=False),
    )
    with op.batch_alter_table("results") as batch:
        batch.add_column(sa.Column("plan", sa.String(64)))
    with op.batch_alter_table("probe_tokens") as batch:
        batch.add_column(sa.Column("supersedes", sa.Boolean, nullable=False,
                                   server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("probe_tokens") as batch:
        batch.drop_column("supersedes")
    with op.batch_alter_table("results") as batch:
        batch.drop_column("plan")
    op.drop_table("plan_sets")
