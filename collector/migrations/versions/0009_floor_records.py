"""What the inspector-grade judgement reads: lawful suspensions of a line (taken out of its
availability, each under the clause of its profile), the profile a support call or a contract
without a line is counted under, and contracts whose days come from the rules, not the
contract.

Revision ID: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "suspensions",
        sa.Column("suspension_id", sa.String(128), primary_key=True),
        sa.Column("connection_id", sa.String(128), nullable=False, index=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True)),
        sa.Column("reason", sa.String(32), nullable=False),
    )
    with op.batch_alter_table("support_calls") as batch:
        batch.add_column(sa.Column("profile", sa.String(64)))
    with op.batch_alter_table("contracts") as batch:
        batch.add_column(sa.Column("profile", sa.String(64)))
        batch.alter_column("promised_days", existing_type=sa.Integer, nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("contracts") as batch:
        batch.alter_column("promised_days", existing_type=sa.Integer, nullable=False)
        batch.drop_column("profile")
    with op.batch_alter_table("support_calls") as batch:
        batch.drop_column("profile")
    op.drop_table("suspensions")
