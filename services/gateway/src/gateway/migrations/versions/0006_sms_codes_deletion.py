"""SMS verification codes (only a hash of each code is kept), and a deleted account may have
neither phone nor openid left.
Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 13:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sms_codes",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("phone", sa.String(20), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("attempts", sa.SmallInteger(), nullable=False, server_default="0"),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_index("sms_codes_phone", "sms_codes", ["phone", "purpose", "created_at"])
    op.drop_constraint("users_has_identity", "users", type_="check")
    op.create_check_constraint(
        "users_has_identity",
        "users",
        "phone IS NOT NULL OR wechat_openid IS NOT NULL OR deleted_at IS NOT NULL",
    )


def downgrade() -> None:
    op.drop_constraint("users_has_identity", "users", type_="check")
    op.create_check_constraint(
        "users_has_identity", "users", "phone IS NOT NULL OR wechat_openid IS NOT NULL"
    )
    op.drop_index("sms_codes_phone", table_name="sms_codes")
    op.drop_table("sms_codes")
