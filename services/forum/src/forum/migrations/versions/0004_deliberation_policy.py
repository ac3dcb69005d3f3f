"""The community's deliberation policy, and its snapshot on each topic (pass ratio).

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "deliberation_policies",
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("support_threshold", sa.Integer(), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("quorum_households", sa.Integer(), nullable=False),
        sa.Column("pass_ratio", sa.Float(), nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("support_threshold >= 1", name="ck_deliberation_policies_threshold"),
        sa.CheckConstraint("window_days BETWEEN 1 AND 90", name="ck_deliberation_policies_window"),
        sa.CheckConstraint("quorum_households >= 1", name="ck_deliberation_policies_quorum"),
        sa.CheckConstraint("pass_ratio > 0 AND pass_ratio <= 1", name="ck_deliberation_policies_pass_ratio"),
        sa.PrimaryKeyConstraint("community_id"),
    )
    # Topics opened before the policy existed carried the simple majority (more yes than no).
    op.add_column("deliberations", sa.Column("pass_ratio", sa.Float(), server_default="0.5", nullable=False))


def downgrade() -> None:
    op.drop_column("deliberations", "pass_ratio")
    op.drop_table("deliberation_policies")
