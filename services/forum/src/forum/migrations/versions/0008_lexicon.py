"""Early warning that hears topics: each community's own lexicon entries (synonyms, related words,
typos, stop words), and the tone and words of each counted mention, and why a hotspot was raised.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lexicon_entries",
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("word", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("topic", sa.String(length=16)),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("community_id", "word"),
    )
    op.add_column(
        "keyword_mentions",
        sa.Column("tone", sa.String(length=16), server_default="complaint", nullable=False),
    )
    op.add_column("keyword_mentions", sa.Column("words", sa.JSON(), server_default="[]", nullable=False))
    op.add_column("keyword_mentions", sa.Column("cues", sa.JSON(), server_default="[]", nullable=False))
    op.add_column("hotspots", sa.Column("reason", sa.JSON()))


def downgrade() -> None:
    op.drop_column("hotspots", "reason")
    op.drop_column("keyword_mentions", "cues")
    op.drop_column("keyword_mentions", "words")
    op.drop_column("keyword_mentions", "tone")
    op.drop_table("lexicon_entries")
