"""Tables of the payments service's own database. Every domain row carries `community_id`."""

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

metadata = MetaData()

# -- the ledger (domain/ledger.py) ------------------------------------------------------------------
ledger_accounts = Table(
    "ledger_accounts",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("community_id", UUID(as_uuid=True), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("owner_id", UUID(as_uuid=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("community_id", "kind", "owner_id", name="uq_ledger_accounts_owner"),
)

ledger_movements = Table(
    "ledger_movements",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("community_id", UUID(as_uuid=True), nullable=False),
    Column("kind", String(16), nullable=False),
    # The fact it books (payment id, refund id, order id, payout id): once per kind.
    Column("ref", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("kind", "ref", name="uq_ledger_movements_ref"),
)

ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("movement_id", BigInteger, ForeignKey("ledger_movements.id"), nullable=False),
    Column("account_id", BigInteger, ForeignKey("ledger_accounts.id"), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    CheckConstraint("amount_fen <> 0", name="ck_ledger_entries_moves_money"),
    Index("ix_ledger_entries_account", "account_id", "id"),
    Index("ix_ledger_entries_movement", "movement_id"),
)

# -- payments ------------------------------------------------------------------------------------
payments = Table(
    "payments",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("community_id", UUID(as_uuid=True), nullable=False),
    Column("payer_id", UUID(as_uuid=True), nullable=False),
    Column("purpose", String(32), nullable=False),
    Column("ref_id", UUID(as_uuid=True), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),
    # Our order number at WeChat Pay (32 hex characters of the id) and theirs once paid.
    Column("out_trade_no", String(32), nullable=False, unique=True),
    Column("transaction_id", String(64), unique=True),
    Column("prepay_id", String(128)),
    Column("openid", String(128)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("paid_at", DateTime(timezone=True)),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    # The last time the service asked the provider about it (the pending-order sweep).
    Column("checked_at", DateTime(timezone=True)),
    CheckConstraint("amount_fen > 0", name="ck_payments_amount_positive"),
    Index("ix_payments_ref", "community_id", "purpose", "ref_id"),
    Index("ix_payments_payer", "community_id", "payer_id", "created_at"),
    Index("ix_payments_pending", "expires_at", postgresql_where=text("status = 'pending'")),
    # One open order per object and payer at a time: a second POST reuses it.
    Index(
        "uq_payments_one_pending",
        "purpose",
        "ref_id",
        unique=True,
        postgresql_where=text("status = 'pending'"),
    ),
)

refunds = Table(
    "refunds",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("community_id", UUID(as_uuid=True), nullable=False),
    Column("payment_id", UUID(as_uuid=True), ForeignKey("payments.id"), nullable=False),
    Column("out_refund_no", String(64), nullable=False, unique=True),
    Column("refund_id", String(64), unique=True),
    Column("amount_fen", BigInteger, nullable=False),
    Column("reason", String(32), nullable=False),
    # pending (not yet accepted by the provider), processing, succeeded, failed
    Column("status", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("succeeded_at", DateTime(timezone=True)),
    CheckConstraint("amount_fen > 0", name="ck_refunds_amount_positive"),
    Index("ix_refunds_payment", "payment_id"),
    Index("ix_refunds_open", "created_at", postgresql_where=text("status IN ('pending', 'processing')")),
)

# Callbacks and answers that were verified but not believed (amount differs, unknown order):
# flagged for a person, never credited.
provider_anomalies = Table(
    "provider_anomalies",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("community_id", UUID(as_uuid=True)),
    Column("kind", String(32), nullable=False),
    Column("out_trade_no", String(64)),
    Column("detail", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# -- errand orders as errand's events describe them ---------------------------------------------
errand_orders = Table(
    "errand_orders",
    metadata,
    Column("community_id", UUID(as_uuid=True), nullable=False),
    Column("order_id", UUID(as_uuid=True), nullable=False),
    Column("requester_id", UUID(as_uuid=True), nullable=False),
    Column("courier_id", UUID(as_uuid=True)),
    Column("order_type", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("price_fen", BigInteger, nullable=False),
    # Tip given when ordering, and the order's whole tip as its latest event says.
    Column("order_tip_fen", BigInteger, nullable=False, server_default=text("0")),
    Column("tip_fen", BigInteger, nullable=False, server_default=text("0")),
    Column("goods_estimate_fen", BigInteger, nullable=False, server_default=text("0")),
    Column("cancel_fee_fen", BigInteger, nullable=False, server_default=text("0")),
    # errand.order.settled.v1 arrived: the escrow went to the courier (later tips follow it).
    Column("settled_at", DateTime(timezone=True)),
    Column("platform_fee_fen", BigInteger, nullable=False, server_default=text("0")),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("order_id"),
    Index("ix_errand_orders_community", "community_id", "order_id"),
)

# -- property fees ------------------------------------------------------------------------------
fee_items = Table(
    "fee_items",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("community_id", UUID(as_uuid=True), nullable=False),
    Column("household_id", UUID(as_uuid=True), nullable=False),
    Column("name", String(64), nullable=False),
    # area: unit_price_fen per square metre x area_m2; fixed: unit_price_fen
    Column("basis", String(8), nullable=False),
    Column("unit_price_fen", BigInteger, nullable=False),
    Column("area_m2", BigInteger),  # in hundredths of a square metre (8850 = 88.50 m2)
    Column("period", String(8), nullable=False),  # month | quarter | year
    Column("created_by", UUID(as_uuid=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_fee_items_household", "community_id", "household_id"),
)

fee_bills = Table(
    "fee_bills",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("community_id", UUID(as_uuid=True), nullable=False),
    Column("item_id", UUID(as_uuid=True), ForeignKey("fee_items.id"), nullable=False),
    Column("household_id", UUID(as_uuid=True), nullable=False),
    Column("period_label", String(16), nullable=False),  # 2026-12, 2026-Q4, 2026
    Column("amount_fen", BigInteger, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("status", String(16), nullable=False),  # issued | paid
    Column("issued_by", UUID(as_uuid=True), nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("paid_at", DateTime(timezone=True)),
    Column("payment_id", UUID(as_uuid=True)),
    CheckConstraint("amount_fen > 0", name="ck_fee_bills_amount_positive"),
    UniqueConstraint("item_id", "period_label", name="uq_fee_bills_item_period"),
    Index("ix_fee_bills_household", "community_id", "household_id", "issued_at"),
)

# Who lives where (gateway.household.verified.v1): a resident pays and sees their household's bills.
household_members = Table(
    "household_members",
    metadata,
    Column("community_id", UUID(as_uuid=True), nullable=False),
    Column("user_id", UUID(as_uuid=True), nullable=False),
    Column("household_id", UUID(as_uuid=True), nullable=False),
    PrimaryKeyConstraint("community_id", "user_id", "household_id"),
)

# -- courier payouts (weekly settlement) and reconciliation ------------------------------------
payouts = Table(
    "payouts",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("community_id", UUID(as_uuid=True), nullable=False),
    Column("courier_id", UUID(as_uuid=True), nullable=False),
    Column("week", String(8), nullable=False),  # ISO week 2026-W49
    Column("amount_fen", BigInteger, nullable=False),
    # The instruction for the provider's transfer API (商家转账), as sent or to be sent.
    Column("out_batch_no", String(64), nullable=False),
    Column("status", String(16), nullable=False),  # instructed
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("community_id", "courier_id", "week", name="uq_payouts_week"),
)

reconciliations = Table(
    "reconciliations",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("bill_date", Date, nullable=False, unique=True),
    Column("rows", Integer, nullable=False),
    Column("differences", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

__all__ = [
    "errand_orders",
    "fee_bills",
    "fee_items",
    "household_members",
    "ledger_accounts",
    "ledger_entries",
    "ledger_movements",
    "metadata",
    "payments",
    "payouts",
    "provider_anomalies",
    "reconciliations",
    "refunds",
]
