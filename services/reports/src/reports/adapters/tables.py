"""Tables of the reports service's own database. Every domain row carries `community_id`."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKeyConstraint,
    Identity,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import UUID

from servicekit.people import people_table

metadata = MetaData()

# Every user of a community the gateway told us about (servicekit.people).
people = people_table(metadata)

# Every community the gateway announced (gateway.community.created.v1): the code a client without
# a token names (`GET /categories?community=`) and the jurisdictions of Open311 discovery.
communities = Table(
    "communities",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Seeded per community on first use, then the community's managers edit their own copy.
categories = Table(
    "categories",
    metadata,
    Column("community_id", UUID(as_uuid=True), nullable=False),
    Column("code", String(64), nullable=False),
    Column("name_zh", String(64), nullable=False),
    Column("name_en", String(64), nullable=False),
    Column("name_ko", String(64), nullable=False),
    Column("department", String(32), nullable=False),
    Column("sla_accept_hours", Integer, nullable=False),
    Column("sla_resolve_hours", Integer, nullable=False),
    Column("photo_required", Boolean, nullable=False),
    Column("public_area_default", Boolean, nullable=False),
    Column("assignment_mode", String(16), nullable=False),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("community_id", "code"),
)

# Local projection of gateway.role.granted/revoked.v1 for the staff roles.
staff = Table(
    "staff",
    metadata,
    Column("community_id", UUID(as_uuid=True), nullable=False),
    Column("user_id", UUID(as_uuid=True), nullable=False),
    Column("role", String(32), nullable=False),
    Column("department", String(32), nullable=False),
    Column("granted_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("community_id", "user_id", "role"),
)

reports = Table(
    "reports",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("community_id", UUID(as_uuid=True), nullable=False),
    Column("category", String(64), nullable=False),
    Column("department", String(32), nullable=False),
    Column("reporter_id", UUID(as_uuid=True)),
    Column("source", String(16), nullable=False),
    Column("source_thread_id", UUID(as_uuid=True)),
    Column("building", String(64)),
    Column("unit", String(64)),
    Column("room", String(64)),
    Column("area", String(200)),
    Column("lat", Float),
    Column("lng", Float),
    Column("description", Text, nullable=False),
    Column("public_area", Boolean, nullable=False),
    Column("anonymous", Boolean, nullable=False),
    Column("status", String(16), nullable=False),
    Column("assignee_id", UUID(as_uuid=True)),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("accepted_at", DateTime(timezone=True)),
    Column("first_resolved_at", DateTime(timezone=True)),
    Column("resolved_at", DateTime(timezone=True)),
    Column("closed_at", DateTime(timezone=True)),
    Column("due_accept_at", DateTime(timezone=True), nullable=False),
    Column("due_resolve_at", DateTime(timezone=True), nullable=False),
    Column("paused_since", DateTime(timezone=True)),
    Column("paused_seconds", BigInteger, nullable=False, server_default=text("0")),
    # Breaches are stored when they happen (job or late transition), never recomputed.
    Column("accept_breached_at", DateTime(timezone=True)),
    Column("resolve_breached_at", DateTime(timezone=True)),
    Column("supervised_at", DateTime(timezone=True)),
    Column("supervision_reason", String(32)),
    Column("reopen_count", Integer, nullable=False, server_default=text("0")),
    Column("last_urged_at", DateTime(timezone=True)),
    Column("reject_reason", String(32)),
    Column("duplicate_of", UUID(as_uuid=True)),
    Column("resolution_note", Text),
    Column("support_count", Integer, nullable=False, server_default=text("0")),
    Column("rating_overall", SmallInteger),
    Column("rating_speed", SmallInteger),
    Column("rating_attitude", SmallInteger),
    Column("rating_comment", Text),
    Column("rated_at", DateTime(timezone=True)),
    Column("open311_token", UUID(as_uuid=True)),
    CheckConstraint("rating_overall BETWEEN 1 AND 5", name="ck_reports_rating_overall"),
    Index("ix_reports_community_submitted", "community_id", "submitted_at", "id"),
    Index("ix_reports_community_status", "community_id", "status"),
    Index("ix_reports_assignee_status", "community_id", "assignee_id", "status"),
    Index("ix_reports_reporter", "community_id", "reporter_id", "submitted_at"),
    Index("ix_reports_building_category", "community_id", "building", "category", "submitted_at"),
    # One report per forum thread, whatever the redeliveries.
    Index(
        "uq_reports_source_thread",
        "community_id",
        "source_thread_id",
        unique=True,
        postgresql_where=text("source_thread_id IS NOT NULL"),
    ),
    Index(
        "uq_reports_open311_token",
        "open311_token",
        unique=True,
        postgresql_where=text("open311_token IS NOT NULL"),
    ),
)

# The timeline: one row per transition (who, when, note), plus supervision and urge marks.
report_events = Table(
    "report_events",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("community_id", UUID(as_uuid=True), nullable=False),
    Column("report_id", UUID(as_uuid=True), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor_id", UUID(as_uuid=True)),
    Column("action", String(32), nullable=False),
    Column("from_status", String(16)),
    Column("to_status", String(16)),
    Column("note", Text),
    ForeignKeyConstraint(["report_id"], ["reports.id"], ondelete="CASCADE"),
    Index("ix_report_events_report", "report_id", "id"),
)

report_photos = Table(
    "report_photos",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("community_id", UUID(as_uuid=True), nullable=False),
    Column("report_id", UUID(as_uuid=True), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("path", String(300), nullable=False),
    Column("content_type", String(32), nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("size_bytes", Integer, nullable=False),
    Column("uploaded_by", UUID(as_uuid=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    ForeignKeyConstraint(["report_id"], ["reports.id"], ondelete="CASCADE"),
    Index("ix_report_photos_report", "report_id", "created_at"),
)

# "Me too": supporters follow the report (they are in status_changed.supporter_ids).
report_supporters = Table(
    "report_supporters",
    metadata,
    Column("report_id", UUID(as_uuid=True), nullable=False),
    Column("user_id", UUID(as_uuid=True), nullable=False),
    Column("community_id", UUID(as_uuid=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("report_id", "user_id"),
    ForeignKeyConstraint(["report_id"], ["reports.id"], ondelete="CASCADE"),
)

# API keys of Open311 clients (POST requests), managed by admins; only a hash is kept.
open311_keys = Table(
    "open311_keys",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("community_id", UUID(as_uuid=True), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("label", String(100), nullable=False),
    Column("created_by", UUID(as_uuid=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
)
