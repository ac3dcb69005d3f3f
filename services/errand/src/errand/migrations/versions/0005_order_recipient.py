"""An order may name its recipient (a household of the community, or a name and phone): who
receives the goods and the delivery code, and whose household sets the feed's priority.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("orders", sa.Column("recipient", JSONB, nullable=True))
    op.add_column("orders", sa.Column("recipient_household_id", UUID(as_uuid=True), nullable=True))
    # How the delivery code reaches the recipient: `notification` (an account in the household)
    # or `sms_due` (no account: an SMS is owed; sent by the gateway's SMS adapter).
    op.add_column("orders", sa.Column("recipient_notice", sa.String(16), nullable=True))


def downgrade() -> None:
    op.drop_column("orders", "recipient_notice")
    op.drop_column("orders", "recipient_household_id")
    op.drop_column("orders", "recipient")
