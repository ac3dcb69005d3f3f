"""Tables of the gateway service's own database. Every domain row carries `community_id`."""

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

metadata = MetaData()


def _created_at() -> Column[object]:
    return Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now())


communities = Table(
    "communities",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    # What residents type at sign-up (e.g. "hepingli-east"); unique across the deployment.
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("timezone", String(64), nullable=False, server_default="Asia/Shanghai"),
    _created_at(),
)

users = Table(
    "users",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("community_id", UUID(as_uuid=True), ForeignKey("communities.id"), nullable=False),
    Column("phone", String(20), unique=True),
    Column("password_hash", String(200)),
    Column("wechat_openid", String(128), unique=True),
    Column("display_name", String(64), nullable=False),
    Column("locale", String(10), nullable=False, server_default="zh-CN"),
    # Set when the committee approves a household claim (real-name binding).
    Column("real_name", String(64)),
    Column("household_id", UUID(as_uuid=True)),
    # Rights that follow changes at once (adapters/rights.py).
    Column("rights_changed_at", DateTime(timezone=True)),
    # 注销: sign-in closed; the row stays (anonymised) for what accounting must keep.
    Column("deleted_at", DateTime(timezone=True)),
    _created_at(),
    CheckConstraint(
        "phone IS NOT NULL OR wechat_openid IS NOT NULL OR deleted_at IS NOT NULL", name="users_has_identity"
    ),
)
Index("users_community", users.c.community_id)

# Roles are held per community; staff roles carry the department they work for.
role_grants = Table(
    "role_grants",
    metadata,
    Column("user_id", UUID(as_uuid=True), ForeignKey("users.id"), nullable=False),
    Column("community_id", UUID(as_uuid=True), ForeignKey("communities.id"), nullable=False),
    Column("role", String(32), nullable=False),
    Column("department", String(32)),
    Column("granted_by", UUID(as_uuid=True)),
    _created_at(),
    PrimaryKeyConstraint("user_id", "community_id", "role"),
)

# One row per refresh token ever issued; a family is one sign-in and its rotations.
refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("family_id", UUID(as_uuid=True), nullable=False),
    Column("user_id", UUID(as_uuid=True), ForeignKey("users.id"), nullable=False),
    Column("community_id", UUID(as_uuid=True), nullable=False),
    # Only a hash of the secret half is kept: a database leak yields no usable token.
    Column("secret_hash", String(64), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
    _created_at(),
)
Index("refresh_tokens_family", refresh_tokens.c.family_id)

buildings = Table(
    "buildings",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("community_id", UUID(as_uuid=True), ForeignKey("communities.id"), nullable=False),
    Column("name", String(64), nullable=False),
    # Null: not known (buildings created through the API before the directory import said).
    Column("has_lift", Boolean),
    _created_at(),
    UniqueConstraint("community_id", "name", name="buildings_name_unique"),
)

households = Table(
    "households",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("community_id", UUID(as_uuid=True), ForeignKey("communities.id"), nullable=False),
    Column("building_id", UUID(as_uuid=True), ForeignKey("buildings.id"), nullable=False),
    Column("unit", String(64), nullable=False),
    Column("room", String(64), nullable=False),
    Column("floor", SmallInteger),  # null: not known; negative for basements
    Column("elderly_alone", Boolean, nullable=False, server_default="false"),
    Column("disability", Boolean, nullable=False, server_default="false"),
    Column("low_income", Boolean, nullable=False, server_default="false"),
    _created_at(),
    UniqueConstraint("building_id", "unit", "room", name="households_address_unique"),
)
Index("households_community", households.c.community_id, households.c.building_id)

household_claims = Table(
    "household_claims",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("community_id", UUID(as_uuid=True), nullable=False),
    Column("user_id", UUID(as_uuid=True), ForeignKey("users.id"), nullable=False),
    Column("household_id", UUID(as_uuid=True), ForeignKey("households.id"), nullable=False),
    Column("real_name", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("decided_by", UUID(as_uuid=True)),
    Column("decided_at", DateTime(timezone=True)),
    _created_at(),
)
# At most one open or approved claim per user.
Index(
    "household_claims_one_live",
    household_claims.c.user_id,
    unique=True,
    postgresql_where=household_claims.c.status.in_(["pending", "approved"]),
)

courier_applications = Table(
    "courier_applications",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("community_id", UUID(as_uuid=True), nullable=False),
    Column("user_id", UUID(as_uuid=True), ForeignKey("users.id"), nullable=False),
    Column("real_name", String(64), nullable=False),
    Column("id_number_last4", String(4), nullable=False),
    Column("note", String(500)),
    Column("status", String(16), nullable=False),
    Column("decided_by", UUID(as_uuid=True)),
    Column("decided_at", DateTime(timezone=True)),
    _created_at(),
)
Index(
    "courier_applications_one_live",
    courier_applications.c.user_id,
    unique=True,
    postgresql_where=courier_applications.c.status.in_(["pending", "approved"]),
)

notifications = Table(
    "notifications",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("community_id", UUID(as_uuid=True), nullable=False),
    Column("user_id", UUID(as_uuid=True), nullable=False),
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Column("event_type", String(200), nullable=False),
    Column("data", JSONB, nullable=False),
    Column("read_at", DateTime(timezone=True)),
    _created_at(),
    UniqueConstraint("user_id", "event_id", name="notifications_once_per_event"),
)
Index("notifications_inbox", notifications.c.user_id, notifications.c.created_at.desc(), notifications.c.id)
# Who was told an order's delivery code (migration 0007).
Index(
    "notifications_recipient_code",
    notifications.c.data["order_id"].astext,
    postgresql_where=notifications.c.event_type == "errand.order.recipient_code.v1",
)

# SMS verification codes: only a hash of the code; dead after five wrong tries (service_layer/sms.py).
sms_codes = Table(
    "sms_codes",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("phone", String(20), nullable=False),
    Column("purpose", String(16), nullable=False),
    Column("code_hash", String(64), nullable=False),
    Column("attempts", SmallInteger, nullable=False, server_default="0"),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True)),
    _created_at(),
)
Index("sms_codes_phone", sms_codes.c.phone, sms_codes.c.purpose, sms_codes.c.created_at)

# WeChat subscription messages (订阅消息). A user's one-shot grants per template, counted up by
# `POST /me/wechat-subscriptions` after `wx.requestSubscribeMessage`, one spent per message sent.
wechat_subscriptions = Table(
    "wechat_subscriptions",
    metadata,
    Column("user_id", UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("template_id", String(128), nullable=False),
    Column("remaining", Integer, nullable=False, server_default="0"),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("user_id", "template_id", name="wechat_subscriptions_pkey"),
    CheckConstraint("remaining >= 0", name="wechat_subscriptions_remaining"),
)

# The outbox of subscription messages: one row per notification of a subscribed user, written in
# the notification's transaction (so a redelivered event, which writes no notification, writes
# none), sent by the push job (service_layer/wechat_push.py) outside the consumer.
wechat_messages = Table(
    "wechat_messages",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column(
        "notification_id",
        UUID(as_uuid=True),
        ForeignKey("notifications.id", ondelete="CASCADE"),
        nullable=False,
        unique=True,
    ),
    Column("user_id", UUID(as_uuid=True), nullable=False),
    # pending -> sent | refused (43101) | skipped (no template or grant) | failed (gave up)
    Column("status", String(16), nullable=False, server_default="pending"),
    Column("attempts", SmallInteger, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("last_error", String(200)),
    Column("sent_at", DateTime(timezone=True)),
    _created_at(),
)
Index(
    "wechat_messages_due",
    wechat_messages.c.next_attempt_at,
    postgresql_where=wechat_messages.c.status == "pending",
)
