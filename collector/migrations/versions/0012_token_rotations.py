"""A rotation's new token names the tokens it supersedes, by id: its first use revokes exactly
those (comparing creation times let a token made on a clock set ahead outlive every
rotation). A rotation pending at the upgrade supersedes the probe's other live tokens.

Revision ID: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "token_rotations",
        sa.Column("token_sha256", sa.String(64), primary_key=True),
        sa.Column("superseded_sha256", sa.String(64), primary_key=True),
    )
    op.execute("""
        INSERT INTO token_rotations (token_sha256, superseded_sha256)
        SELECT new.token_sha256, old.token_sha256
        FROM probe_tokens new JOIN probe_tokens old
          ON old.probe_id = new.probe_id AND old.token_sha256 <> new.token_sha256
        WHERE new.supersedes AND new.revoked_at IS NULL AND old.revoked_at IS NULL
    """)


def downgrade() -> None:
    op.drop_table("token_rotations")
