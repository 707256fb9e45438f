"""The rollup column of the jitter measure's per-test norm (measures/sessions_meeting_jitter.py):
the latency sessions that met it. Written by scripts/migration.

Revision ID: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("rollups", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("jitter_pass_n", sa.BigInteger(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("rollups", schema=None) as batch_op:
        batch_op.drop_column("jitter_pass_n")
