"""The operator's records: support calls, trouble tickets, contracts, planned works.

Revision ID: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "support_calls",
        sa.Column("call_id", sa.String(128), primary_key=True),
        sa.Column("offered_at", TZ, nullable=False, index=True),
        sa.Column("answered_at", TZ),
        sa.Column("answer_s", sa.Float),
    )
    op.create_table(
        "tickets",
        sa.Column("ticket_id", sa.String(128), primary_key=True),
        sa.Column("connection_id", sa.String(128), nullable=False),
        sa.Column("registered_at", TZ, nullable=False, index=True),
        sa.Column("restored_at", TZ),
        sa.Column("fault", sa.String(16), nullable=False),
        sa.Column("restore_h", sa.Float),
    )
    op.create_table(
        "contracts",
        sa.Column("contract_id", sa.String(128), primary_key=True),
        sa.Column("connection_id", sa.String(128)),
        sa.Column("registered_on", sa.Date, nullable=False),
        sa.Column("promised_days", sa.Integer, nullable=False),
        sa.Column("activated_on", sa.Date, index=True),
        sa.Column("customer_delay_days", sa.Integer, nullable=False),
        sa.Column("days_taken", sa.Integer),
    )
    op.create_table(
        "planned_works",
        sa.Column("work_id", sa.String(128), primary_key=True),
        sa.Column("announced_at", TZ, nullable=False),
        sa.Column("starts_at", TZ, nullable=False),
        sa.Column("ends_at", TZ, nullable=False),
        sa.Column("nodes", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for table in ("planned_works", "contracts", "tickets", "support_calls"):
        op.drop_table(table)
