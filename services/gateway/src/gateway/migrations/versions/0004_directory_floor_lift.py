"""The directory knows each household's floor and whether its building has a lift (both nullable:
households created one by one through the API may not say).
Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 12:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("buildings", sa.Column("has_lift", sa.Boolean(), nullable=True))
    op.add_column("households", sa.Column("floor", sa.SmallInteger(), nullable=True))


def downgrade() -> None:
    op.drop_column("households", "floor")
    op.drop_column("buildings", "has_lift")
