"""Results whose plan version no applied set had: flagged, beside the results.

Revision ID: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "unknown_plan_results",
        sa.Column("result_id", sa.String(36), primary_key=True),
        sa.Column("plan", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("unknown_plan_results")
