"""Posting limits in PostgreSQL: the duplicate and rate checks commit or roll back with the post.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "post_fingerprints",
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("community_id", "user_id", "digest"),
    )
    op.create_index(
        "ix_post_fingerprints_member_posted",
        "post_fingerprints",
        ["community_id", "user_id", "posted_at"],
        unique=False,
    )
    op.create_index("ix_post_fingerprints_posted", "post_fingerprints", ["posted_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_post_fingerprints_posted", table_name="post_fingerprints")
    op.drop_index("ix_post_fingerprints_member_posted", table_name="post_fingerprints")
    op.drop_table("post_fingerprints")
