"""The hour-of-day sums behind the report's profile of speed and delay by Minsk hour, kept
beside the rollups. Every criteria is rebuilt once (its rollups with it) to fill them.

Revision ID: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hourly",
        sa.Column("criteria", sa.String(16), primary_key=True),
        sa.Column("connection_id", sa.String(128), primary_key=True),
        sa.Column("effective_from", sa.Date, primary_key=True),
        sa.Column("month", sa.Date, primary_key=True),
        sa.Column("hour", sa.Integer, primary_key=True),
        *(sa.Column(name, sa.BigInteger, nullable=False, server_default="0")
          for name in ("speed_down_n", "rtt_n")),
        *(sa.Column(name, sa.Float, nullable=False, server_default="0")
          for name in ("speed_down_share_sum", "rtt_mean_sum_ms")),
    )
    op.execute("DELETE FROM rollup_criteria")  # built again, with their hours


def downgrade() -> None:
    op.drop_table("hourly")
