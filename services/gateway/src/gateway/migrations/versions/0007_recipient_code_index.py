"""Find who was told an order's delivery code (a recipient named by phone who has an account), so
the order's progress reaches them too: a partial index on the order id of those notifications.

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "CREATE INDEX notifications_recipient_code ON notifications ((data->>'order_id')) "
        "WHERE event_type = 'errand.order.recipient_code.v1'"
    )


def downgrade() -> None:
    op.execute("DROP INDEX notifications_recipient_code")
