"""The evening peak's download tests, each as % of its tariff, kept beside the rollups for the
consistent speed of the lines (80/80). Every criteria is rebuilt once (its rollups with it) to
fill them.

Revision ID: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "peak_speeds",
        sa.Column("criteria", sa.String(16), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("result_id", sa.String(36), primary_key=True),
        sa.Column("connection_id", sa.String(128), nullable=False, index=True),
        sa.Column("effective_from", sa.Date, nullable=False),
        sa.Column("share_percent", sa.Float, nullable=False),
        sqlite_with_rowid=False,
    )
    op.execute("DELETE FROM rollup_criteria")  # built again, with their evening peaks


def downgrade() -> None:
    op.drop_table("peak_speeds")
