"""The people projection (servicekit.people): the names an order shows for its requester and
courier, learned from the gateway's events.

Revision ID: 0006
Revises: 0005
"""

from servicekit.migrations import create_people_table, drop_people_table

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_people_table()


def downgrade() -> None:
    drop_people_table()
