"""Errand domain: quotes, orders with their timeline, couriers and their points, households,
merchants.

Revision ID: 0003
Revises: 0002
"""

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def uuid_col(name: str, *args: Any, **kw: Any) -> sa.Column[Any]:
    return sa.Column(name, UUID(as_uuid=True), *args, **kw)


def upgrade() -> None:
    op.create_table(
        "quotes",
        uuid_col("id", primary_key=True),
        uuid_col("community_id", nullable=False),
        uuid_col("requester_id", nullable=False),
        sa.Column("order_type", sa.String(32), nullable=False),
        sa.Column("spec", JSONB, nullable=False),
        sa.Column("price_fen", sa.Integer, nullable=False),
        sa.Column("breakdown", JSONB, nullable=False),
        sa.Column("distance_m", sa.Integer, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        uuid_col("order_id", nullable=True),
    )
    op.create_table(
        "orders",
        uuid_col("id", primary_key=True),
        uuid_col("community_id", nullable=False),
        uuid_col("requester_id", nullable=False),
        uuid_col("household_id", nullable=True),
        sa.Column("elderly_alone", sa.Boolean, nullable=False, server_default=sa.text("false")),
        sa.Column("order_type", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("price_fen", sa.Integer, nullable=False),
        sa.Column("tip_fen", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("breakdown", JSONB, nullable=False),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("pickup", JSONB, nullable=True),
        sa.Column("dropoff", JSONB, nullable=False),
        sa.Column("details", JSONB, nullable=False),
        sa.Column("pickup_building", sa.String(64), nullable=True),
        sa.Column("dropoff_building", sa.String(64), nullable=False),
        sa.Column("lat", sa.Float, nullable=False),
        sa.Column("lng", sa.Float, nullable=False),
        sa.Column("distance_m", sa.Integer, nullable=False),
        sa.Column("scheduled_at", TS, nullable=True),
        uuid_col("courier_id", nullable=True),
        sa.Column("delivery_code", sa.String(8), nullable=False),
        sa.Column("delivery_attempts", sa.SmallInteger, nullable=False, server_default=sa.text("0")),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("dispatch_expires_at", TS, nullable=True),
        sa.Column("accepted_at", TS, nullable=True),
        sa.Column("delivered_at", TS, nullable=True),
        sa.Column("auto_complete_at", TS, nullable=True),
        sa.Column("completed_at", TS, nullable=True),
        sa.Column("completion", sa.String(16), nullable=True),
        sa.Column("cancel_fee_fen", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("cancel_reason", sa.Text, nullable=True),
        sa.Column("fail_reason", sa.Text, nullable=True),
        sa.Column("rating_stars", sa.SmallInteger, nullable=True),
        sa.Column("rating_comment", sa.Text, nullable=True),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_index("ix_orders_requester", "orders", ["community_id", "requester_id", "created_at"])
    op.create_index("ix_orders_courier", "orders", ["community_id", "courier_id", "created_at"])
    op.create_index("ix_orders_community_created", "orders", ["community_id", "created_at"])
    op.create_index(
        "ix_orders_dispatch_expiry",
        "orders",
        ["dispatch_expires_at"],
        postgresql_where=sa.text("status = 'dispatching'"),
    )
    op.create_index(
        "ix_orders_auto_complete",
        "orders",
        ["auto_complete_at"],
        postgresql_where=sa.text("status = 'delivered'"),
    )
    op.create_table(
        "order_timeline",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        uuid_col("order_id", sa.ForeignKey("orders.id", ondelete="CASCADE"), nullable=False),
        uuid_col("community_id", nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("from_status", sa.String(16), nullable=True),
        sa.Column("to_status", sa.String(16), nullable=False),
        uuid_col("actor_id", nullable=True),
        sa.Column("actor_role", sa.String(16), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("note", sa.Text, nullable=True),
    )
    op.create_index("ix_order_timeline_order", "order_timeline", ["order_id", "id"])
    op.create_table(
        "couriers",
        uuid_col("community_id", primary_key=True),
        uuid_col("user_id", primary_key=True),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("points", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "points_ledger",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        uuid_col("community_id", nullable=False),
        uuid_col("courier_id", nullable=False),
        uuid_col("order_id", nullable=True),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("points", sa.Integer, nullable=False),
        sa.Column("at", TS, nullable=False),
    )
    op.create_index("ix_points_ledger_courier", "points_ledger", ["community_id", "courier_id", "at"])
    op.create_table(
        "resident_households",
        uuid_col("community_id", primary_key=True),
        uuid_col("user_id", primary_key=True),
        uuid_col("household_id", nullable=False),
        sa.Column("building", sa.String(64), nullable=False),
        sa.Column("elderly_alone", sa.Boolean, nullable=False),
        sa.Column("verified_at", TS, nullable=False),
    )
    op.create_index("ix_resident_households_household", "resident_households", ["household_id"])
    op.create_table(
        "merchants",
        uuid_col("id", primary_key=True),
        uuid_col("community_id", nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("address", sa.String(200), nullable=False),
        sa.Column("lat", sa.Float, nullable=False),
        sa.Column("lng", sa.Float, nullable=False),
        sa.Column("phone", sa.String(32), nullable=True),
        sa.Column("opening_hours", sa.String(64), nullable=True),
        sa.Column("tags", sa.Text, nullable=False, server_default=sa.text("''")),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_merchants_community_category", "merchants", ["community_id", "category", "name"])


def downgrade() -> None:
    for table in (
        "merchants",
        "resident_households",
        "points_ledger",
        "couriers",
        "order_timeline",
        "orders",
    ):
        op.drop_table(table)
    op.drop_table("quotes")
