"""One row per result id, unpartitioned, so no id is stored twice whatever the partitioning
of `results` (a unique key on a partitioned table must include the partition key), with the
probe that sent it and a digest of its content, to tell a duplicate from a conflict.

Revision ID: 0005
"""

import sqlalchemy as sa
from alembic import op

from netq.collector.identity import FIELDS, content_digest

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    ids = op.create_table(
        "result_ids",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("probe_id", sa.String(128), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
    )
    results = sa.table("results", *(sa.column(field) for field in FIELDS),
                       sa.column("metrics", sa.JSON))
    db = op.get_bind()
    seen: set[str] = set()
    batch: list[dict[str, str]] = []
    # a store from before may hold an id twice (PostgreSQL): the first row keeps it
    for row in db.execute(sa.select(results).order_by(results.c.started_at)).mappings():
        if row["id"] in seen:
            continue
        seen.add(row["id"])
        batch.append({"id": row["id"], "probe_id": row["probe_id"],
                      "digest": content_digest(dict(row))})
        if len(batch) == 1000:
            op.bulk_insert(ids, batch)
            batch = []
    if batch:
        op.bulk_insert(ids, batch)


def downgrade() -> None:
    op.drop_table("result_ids")
