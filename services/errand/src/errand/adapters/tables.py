"""Tables of the errand service's own database. Every domain row carries `community_id`."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from servicekit.people import people_table

metadata = MetaData()

TS = DateTime(timezone=True)

quotes = Table(
    "quotes",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("community_id", UUID(as_uuid=True), nullable=False),
    Column("requester_id", UUID(as_uuid=True), nullable=False),
    Column("order_type", String(32), nullable=False),
    # The whole request (places, codes, items), copied into the order it becomes.
    Column("spec", JSONB, nullable=False),
    Column("price_fen", Integer, nullable=False),
    Column("breakdown", JSONB, nullable=False),
    Column("distance_m", Integer, nullable=False),
    Column("created_at", TS, nullable=False),
    Column("expires_at", TS, nullable=False),
    Column("order_id", UUID(as_uuid=True), nullable=True),
)

orders = Table(
    "orders",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("community_id", UUID(as_uuid=True), nullable=False),
    Column("requester_id", UUID(as_uuid=True), nullable=False),
    Column("household_id", UUID(as_uuid=True), nullable=True),
    Column("elderly_alone", Boolean, nullable=False, server_default=text("false")),
    Column("order_type", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("price_fen", Integer, nullable=False),
    Column("tip_fen", Integer, nullable=False, server_default=text("0")),
    Column("breakdown", JSONB, nullable=False),
    Column("note", Text, nullable=True),
    # Exact places and type-specific details (parcel code, bill account...): shown only to the
    # requester and the courier who accepted.
    Column("pickup", JSONB, nullable=True),
    Column("dropoff", JSONB, nullable=False),
    Column("details", JSONB, nullable=False),
    # Coarse, public-to-couriers facts for the feed.
    Column("pickup_building", String(64), nullable=True),
    Column("dropoff_building", String(64), nullable=False),
    Column("lat", Float, nullable=False),
    Column("lng", Float, nullable=False),
    Column("distance_m", Integer, nullable=False),
    Column("scheduled_at", TS, nullable=True),
    Column("courier_id", UUID(as_uuid=True), nullable=True),
    Column("delivery_code", String(8), nullable=False),
    Column("delivery_attempts", SmallInteger, nullable=False, server_default=text("0")),
    Column("created_at", TS, nullable=False),
    Column("dispatch_expires_at", TS, nullable=True),
    Column("accepted_at", TS, nullable=True),
    Column("delivered_at", TS, nullable=True),
    Column("auto_complete_at", TS, nullable=True),
    Column("completed_at", TS, nullable=True),
    Column("completion", String(16), nullable=True),
    Column("cancel_fee_fen", Integer, nullable=False, server_default=text("0")),
    Column("cancel_reason", Text, nullable=True),
    Column("fail_reason", Text, nullable=True),
    Column("rating_stars", SmallInteger, nullable=True),
    Column("rating_comment", Text, nullable=True),
    Column("updated_at", TS, nullable=False),
    # The named recipient {name, phone, household_id?} (null: the requester receives).
    Column("recipient", JSONB, nullable=True),
    Column("recipient_household_id", UUID(as_uuid=True), nullable=True),
    Column("recipient_notice", String(16), nullable=True),
    Index("ix_orders_requester", "community_id", "requester_id", "created_at"),
    Index("ix_orders_courier", "community_id", "courier_id", "created_at"),
    Index("ix_orders_community_created", "community_id", "created_at"),
    Index(
        "ix_orders_dispatch_expiry",
        "dispatch_expires_at",
        postgresql_where=text("status = 'dispatching'"),
    ),
    Index("ix_orders_auto_complete", "auto_complete_at", postgresql_where=text("status = 'delivered'")),
)

order_timeline = Table(
    "order_timeline",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("order_id", UUID(as_uuid=True), ForeignKey("orders.id", ondelete="CASCADE"), nullable=False),
    Column("community_id", UUID(as_uuid=True), nullable=False),
    Column("action", String(16), nullable=False),
    Column("from_status", String(16), nullable=True),
    Column("to_status", String(16), nullable=False),
    Column("actor_id", UUID(as_uuid=True), nullable=True),
    Column("actor_role", String(16), nullable=False),
    Column("at", TS, nullable=False),
    Column("note", Text, nullable=True),
    Index("ix_order_timeline_order", "order_id", "id"),
)

couriers = Table(
    "couriers",
    metadata,
    Column("community_id", UUID(as_uuid=True), primary_key=True),
    Column("user_id", UUID(as_uuid=True), primary_key=True),
    Column("active", Boolean, nullable=False),
    Column("points", Integer, nullable=False, server_default=text("0")),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
)

points_ledger = Table(
    "points_ledger",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("community_id", UUID(as_uuid=True), nullable=False),
    Column("courier_id", UUID(as_uuid=True), nullable=False),
    Column("order_id", UUID(as_uuid=True), nullable=True),
    Column("reason", String(32), nullable=False),
    Column("points", Integer, nullable=False),
    Column("at", TS, nullable=False),
    Index("ix_points_ledger_courier", "community_id", "courier_id", "at"),
)

resident_households = Table(
    "resident_households",
    metadata,
    Column("community_id", UUID(as_uuid=True), primary_key=True),
    Column("user_id", UUID(as_uuid=True), primary_key=True),
    Column("household_id", UUID(as_uuid=True), nullable=False),
    Column("building", String(64), nullable=False),
    Column("elderly_alone", Boolean, nullable=False),
    Column("verified_at", TS, nullable=False),
    Index("ix_resident_households_household", "household_id"),
)

merchants = Table(
    "merchants",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("community_id", UUID(as_uuid=True), nullable=False),
    Column("name", String(120), nullable=False),
    Column("category", String(32), nullable=False),
    Column("address", String(200), nullable=False),
    Column("lat", Float, nullable=False),
    Column("lng", Float, nullable=False),
    Column("phone", String(32), nullable=True),
    Column("opening_hours", String(64), nullable=True),
    Column("tags", Text, nullable=False, server_default=text("''")),
    Column("created_at", TS, nullable=False),
    Index("ix_merchants_community_category", "community_id", "category", "name"),
)

# The courier's proof of hand-over: at most one photo per order, written together with the
# delivery itself. `path` is relative to the configured photo root.
order_proof_photos = Table(
    "order_proof_photos",
    metadata,
    Column("order_id", UUID(as_uuid=True), ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True),
    Column("community_id", UUID(as_uuid=True), nullable=False),
    Column("path", String(300), nullable=False),
    Column("content_type", String(32), nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("size_bytes", Integer, nullable=False),
    Column("uploaded_by", UUID(as_uuid=True), nullable=False),
    Column("created_at", TS, nullable=False),
)

# Who belongs to which community and the name they show (servicekit.people).
people = people_table(metadata)

# An order's money as the payments service reported it (payments.* events; service_layer/money.py):
# what was paid and refunded, and when the order was settled to its courier.
order_money = Table(
    "order_money",
    metadata,
    Column("order_id", UUID(as_uuid=True), primary_key=True),
    Column("community_id", UUID(as_uuid=True), nullable=False),
    Column("paid_fen", BigInteger, nullable=False, server_default=text("0")),
    Column("refunded_fen", BigInteger, nullable=False, server_default=text("0")),
    Column("settled_at", TS),
    Column("updated_at", TS, nullable=False),
)
