"""One row per result id, unpartitioned, so no id is stored twice whatever the partitioning
of `results` (a unique key on a partitioned table must include the partition key), with the
probe that sent it.

Revision ID: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "result_ids",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("probe_id", sa.String(128), nullable=False),
    )
    # a store from before may hold an id twice (PostgreSQL): it is claimed once
    op.execute("INSERT INTO result_ids (id, probe_id) "
               "SELECT id, min(probe_id) FROM results GROUP BY id")


def downgrade() -> None:
    op.drop_table("result_ids")
