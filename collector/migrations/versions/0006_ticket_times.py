"""What the sources time and classify a ticket and a contract by: when the operator began
work on a ticket (reaction), its impact and urgency as registered, and whether a contract's
promised days are calendar or working days; the availability time that probes without an
off-net target measured (the access network, not the Internet), and the speed tests whose
segment size was assumed rather than recorded.

Revision ID: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("acknowledged_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("impact", sa.String(24)))
        batch.add_column(sa.Column("urgency", sa.String(8)))
    with op.batch_alter_table("contracts") as batch:
        batch.add_column(sa.Column("promised_days_kind", sa.String(8)))
    with op.batch_alter_table("rollups") as batch:
        batch.add_column(sa.Column("covered_on_net_only_s", sa.Float, nullable=False,
                                   server_default="0"))
        batch.add_column(sa.Column("speed_segment_assumed_n", sa.BigInteger, nullable=False,
                                   server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("rollups") as batch:
        batch.drop_column("speed_segment_assumed_n")
        batch.drop_column("covered_on_net_only_s")
    with op.batch_alter_table("contracts") as batch:
        batch.drop_column("promised_days_kind")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("urgency")
        batch.drop_column("impact")
        batch.drop_column("acknowledged_at")
