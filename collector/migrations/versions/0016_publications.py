"""Publishing a report is an act of its own (`netq report publish`): when and where each
quarter's report went up. Reports written before this revision counted as published when
written; each keeps that standing (its moment, no address), so an upgrade raises no alert.

Revision ID: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "publications",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("quarter", sa.String(length=8), nullable=False),
        sa.Column("profile", sa.String(length=64), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("report_run", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["report_run"], ["report_runs.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("publications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_publications_quarter"), ["quarter"], unique=False)
    op.execute("INSERT INTO publications (quarter, profile, url, published_at, recorded_at, "
               "report_run) SELECT quarter, profile, '', generated_at, generated_at, id "
               "FROM report_runs")


def downgrade() -> None:
    op.drop_table("publications")
