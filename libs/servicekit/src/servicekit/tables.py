"""The messaging tables every service database has: the outbox and the inbox.

They live in their own MetaData so each service's Alembic environment can include them next to
its own tables, and its first migration creates them with ``servicekit.migrations``.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

messaging_metadata = MetaData()

OUTBOX_NOTIFY_CHANNEL = "weilinli_outbox"

# A row is an event waiting to be published. The relay deletes it once the broker confirmed it,
# so an empty table means nothing is pending.
outbox_messages = Table(
    "outbox_messages",
    messaging_metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("event_id", UUID(as_uuid=True), nullable=False, unique=True),
    Column("event_type", String(200), nullable=False),
    Column("body", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# A row is an event this service has already applied; written in the same transaction as the
# handler's effect, so a redelivered event finds it and is skipped.
processed_events = Table(
    "processed_events",
    messaging_metadata,
    Column("event_id", UUID(as_uuid=True), primary_key=True),
    Column("event_type", String(200), nullable=False),
    Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_processed_events_processed_at", "processed_at"),
)

# Idempotency-Key of creating endpoints: the first response is kept and replayed (docs/architecture.md §5).
idempotency_keys = Table(
    "idempotency_keys",
    messaging_metadata,
    Column("scope", String(100), nullable=False),
    Column("user_id", UUID(as_uuid=True), nullable=False),
    Column("key", String(200), nullable=False),
    Column("request_fingerprint", String(64), nullable=False),
    Column("response_status", Integer, nullable=True),
    Column("response_body", JSONB, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("scope", "user_id", "key"),
    Index("ix_idempotency_keys_created_at", "created_at"),
)

# Wakes the relay as soon as an outbox insert commits (NOTIFY is delivered at commit).
CREATE_NOTIFY_FUNCTION = f"""
CREATE OR REPLACE FUNCTION weilinli_outbox_notify() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('{OUTBOX_NOTIFY_CHANNEL}', '');
    RETURN NULL;
END;
$$ LANGUAGE plpgsql
"""
CREATE_NOTIFY_TRIGGER = """
CREATE TRIGGER outbox_messages_notify AFTER INSERT ON outbox_messages
FOR EACH STATEMENT EXECUTE FUNCTION weilinli_outbox_notify()
"""
DROP_NOTIFY_TRIGGER = "DROP TRIGGER IF EXISTS outbox_messages_notify ON outbox_messages"
DROP_NOTIFY_FUNCTION = "DROP FUNCTION IF EXISTS weilinli_outbox_notify()"
