"""The people projection: who belongs to which community (servicekit.people), to refuse user
ids of another community in request bodies.

Revision ID: 0004
Revises: 0003
"""

from servicekit.migrations import create_people_table, drop_people_table

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_people_table()


def downgrade() -> None:
    drop_people_table()
