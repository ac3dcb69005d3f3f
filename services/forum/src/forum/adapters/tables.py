"""Tables of the forum service's own database. Every domain row carries `community_id`."""

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR

from servicekit.people import people_table

metadata = MetaData()


def _created() -> Column[object]:
    return Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now())


# --- projections of gateway facts (learned from events) -----------------------------------------
# Every user of a community the gateway told us about (servicekit.people).
people = people_table(metadata)

households = Table(
    "households",
    metadata,
    Column("community_id", Uuid, primary_key=True),
    Column("user_id", Uuid, primary_key=True),
    Column("household_id", Uuid, nullable=False),
    Column("building", String(64), nullable=False),
    Column("verified_at", DateTime(timezone=True), nullable=False),
)

mediators = Table(
    "mediators",
    metadata,
    Column("community_id", Uuid, primary_key=True),
    Column("user_id", Uuid, primary_key=True),
    Column("granted_at", DateTime(timezone=True), nullable=False),
)

members = Table(
    "members",
    metadata,
    Column("community_id", Uuid, primary_key=True),
    Column("user_id", Uuid, primary_key=True),
    Column("first_seen_at", DateTime(timezone=True), nullable=False),
    Column("visible_posts", Integer, nullable=False, server_default="0"),
    Column("flags_upheld", Integer, nullable=False, server_default="0"),
    Column("flags_overturned", Integer, nullable=False, server_default="0"),
)

# The posting limits, kept in the posting transaction itself (not in Redis) so that a post that
# rolls back leaves no trace: one row per member and normalised text, refreshed when the same text
# is posted again after the duplicate window. The rows of one minute are also the rate count.
post_fingerprints = Table(
    "post_fingerprints",
    metadata,
    Column("community_id", Uuid, primary_key=True),
    Column("user_id", Uuid, primary_key=True),
    Column("digest", String(64), primary_key=True),
    Column("posted_at", DateTime(timezone=True), nullable=False),
    Index("ix_post_fingerprints_member_posted", "community_id", "user_id", "posted_at"),
    Index("ix_post_fingerprints_posted", "posted_at"),
)

# --- threads and posts ---------------------------------------------------------------------------
threads = Table(
    "threads",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("community_id", Uuid, nullable=False),
    Column("board", String(32), nullable=False),
    Column("title", String(200), nullable=False),
    Column("author_id", Uuid, nullable=False),
    Column("building", String(64)),
    Column("escalated_at", DateTime(timezone=True)),
    Column("escalated_by", Uuid),
    Column("report_id", Uuid),
    Column("last_post_at", DateTime(timezone=True), nullable=False),
    Column("search", TSVECTOR, nullable=False),
    _created(),
    Index("ix_threads_search", "search", postgresql_using="gin"),
    Index("ix_threads_community_created", "community_id", "created_at", "id"),
)

posts = Table(
    "posts",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("community_id", Uuid, nullable=False),
    Column("thread_id", Uuid, ForeignKey("threads.id", ondelete="CASCADE"), nullable=False),
    Column("author_id", Uuid),  # None for system posts
    Column("kind", String(16), nullable=False),  # opening | reply | system
    Column("body", Text, nullable=False),
    # visible | hidden | pending (waiting for a mediator because of a watched word)
    Column("status", String(16), nullable=False),
    Column("hidden_by", String(16)),  # system | moderator
    Column("hidden_reason", String(64)),
    Column("flag_weight", Float, nullable=False, server_default="0"),
    Column("like_count", Integer, nullable=False, server_default="0"),
    Column("edited_at", DateTime(timezone=True)),
    Column("source_event_id", Uuid, unique=True),  # a report event echoed as a system post
    _created(),
    Index("ix_posts_thread_created", "thread_id", "created_at", "id"),
    # The few posts not shown to everyone: thread lists leave their threads out cheaply.
    Index("ix_posts_not_visible", "thread_id", postgresql_where=text("status <> 'visible'")),
)

post_revisions = Table(
    "post_revisions",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("community_id", Uuid, nullable=False),
    Column("post_id", Uuid, ForeignKey("posts.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("body", Text, nullable=False),
    Column("replaced_at", DateTime(timezone=True), nullable=False),
)

post_likes = Table(
    "post_likes",
    metadata,
    Column("post_id", Uuid, ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Uuid, primary_key=True),
    Column("community_id", Uuid, nullable=False),
    _created(),
)

# Mentions and moderation notices for a member (mentions also go out as forum.post.mentioned.v1).
notices = Table(
    "notices",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("community_id", Uuid, nullable=False),
    Column("user_id", Uuid, nullable=False),
    Column("kind", String(32), nullable=False),  # mention | post_hidden | post_restored | ...
    Column("thread_id", Uuid),
    Column("post_id", Uuid),
    Column("detail", JSONB, nullable=False),
    _created(),
    Index("ix_notices_user", "community_id", "user_id", "created_at"),
)

# --- moderation ------------------------------------------------------------------------------------
flags = Table(
    "flags",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("community_id", Uuid, nullable=False),
    Column("post_id", Uuid, ForeignKey("posts.id", ondelete="CASCADE"), nullable=False),
    Column("flagger_id", Uuid, nullable=False),
    Column("reason", String(16), nullable=False),
    Column("note", String(500)),
    Column("weight", Float, nullable=False),
    Column("outcome", String(16)),  # upheld | overturned, once a moderator decided
    _created(),
    UniqueConstraint("post_id", "flagger_id", name="uq_flags_post_flagger"),
)

moderation_items = Table(
    "moderation_items",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("community_id", Uuid, nullable=False),
    Column("post_id", Uuid, ForeignKey("posts.id", ondelete="CASCADE"), nullable=False),
    Column("cause", String(32), nullable=False),  # flags | watched_word | moderator
    Column("detail", JSONB, nullable=False),
    Column("status", String(16), nullable=False),  # open | approved | rejected
    Column("decided_by", Uuid),
    Column("decided_at", DateTime(timezone=True)),
    _created(),
    Index("ix_moderation_open", "community_id", "status", "created_at"),
)

moderation_log = Table(
    "moderation_log",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("community_id", Uuid, nullable=False),
    Column("post_id", Uuid),
    Column("actor_id", Uuid),  # None when the system acted
    Column("action", String(32), nullable=False),
    Column("detail", JSONB, nullable=False),
    _created(),
)

watched_words = Table(
    "watched_words",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("community_id", Uuid, nullable=False),
    Column("word", String(64), nullable=False),
    Column("action", String(32), nullable=False),
    _created(),
    UniqueConstraint("community_id", "word", name="uq_watched_words_word"),
)

# --- disputes (调解) -----------------------------------------------------------------------------------
disputes = Table(
    "disputes",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("community_id", Uuid, nullable=False),
    Column("thread_id", Uuid),
    Column("reporter_id", Uuid, nullable=False),
    Column("complainant_id", Uuid, nullable=False),
    Column("complainant_hidden", Boolean, nullable=False),
    Column("parties_key", String(2000), nullable=False),  # sorted party ids: finds a repeat complaint
    Column("summary", Text, nullable=False),
    Column("state", String(32), nullable=False),
    Column("mediator_id", Uuid),
    Column("terms", JSONB),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    _created(),
    Index("ix_disputes_parties", "community_id", "parties_key"),
)

dispute_parties = Table(
    "dispute_parties",
    metadata,
    Column("dispute_id", Uuid, ForeignKey("disputes.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Uuid, primary_key=True),
    Column("role", String(16), nullable=False),  # complainant | respondent
    Column("accepted_mediator", Boolean, nullable=False, server_default="false"),
    Column("accepted_agreement", Boolean, nullable=False, server_default="false"),
)

dispute_notes = Table(
    "dispute_notes",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("community_id", Uuid, nullable=False),
    Column("dispute_id", Uuid, ForeignKey("disputes.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("author_id", Uuid, nullable=False),
    Column("body", Text, nullable=False),
    _created(),
)

dispute_timeline = Table(
    "dispute_timeline",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("community_id", Uuid, nullable=False),
    Column("dispute_id", Uuid, ForeignKey("disputes.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("actor_id", Uuid),
    Column("action", String(32), nullable=False),
    Column("from_state", String(32)),
    Column("to_state", String(32), nullable=False),
    Column("detail", JSONB, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    # The order of the timeline (migration 0007): written order, never (at, uuid4).
    Column("seq", BigInteger, Identity(), nullable=False),
    Index("ix_dispute_timeline_seq", "dispute_id", "seq"),
)

# --- deliberations (议事) --------------------------------------------------------------------------------
deliberations = Table(
    "deliberations",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("community_id", Uuid, nullable=False),
    Column("title", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("building", String(64)),
    Column("proposer_id", Uuid, nullable=False),
    Column("state", String(32), nullable=False),
    Column("support_threshold", Integer, nullable=False),
    Column("window_ends_at", DateTime(timezone=True), nullable=False),
    Column("quorum", Integer, nullable=False),
    # Share of the yes + no votes that carries the vote (with more yes than no), from the
    # community's policy when the topic was opened.
    Column("pass_ratio", Float, nullable=False, server_default="0.5"),
    Column("rating_threshold", Float, nullable=False),
    Column("reject_reason", String(500)),
    Column("minutes", JSONB),
    Column("owner_id", Uuid),
    Column("progress", Integer, nullable=False, server_default="0"),
    # Ratings belong to one evaluation; sending the topic back to acting starts the next one.
    Column("evaluation_round", Integer, nullable=False, server_default="1"),
    Column("hotspot_id", Uuid),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    _created(),
    CheckConstraint("progress BETWEEN 0 AND 100", name="ck_deliberations_progress"),
)

# The community's deliberation policy (committee/admin); topics copy it when they are opened, so
# changing it never moves the goalposts of a running topic. No row: the service's defaults.
deliberation_policies = Table(
    "deliberation_policies",
    metadata,
    Column("community_id", Uuid, primary_key=True),
    Column("support_threshold", Integer, nullable=False),
    Column("window_days", Integer, nullable=False),
    Column("quorum_households", Integer, nullable=False),
    Column("pass_ratio", Float, nullable=False),
    Column("updated_by", Uuid, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("support_threshold >= 1", name="ck_deliberation_policies_threshold"),
    CheckConstraint("window_days BETWEEN 1 AND 90", name="ck_deliberation_policies_window"),
    CheckConstraint("quorum_households >= 1", name="ck_deliberation_policies_quorum"),
    CheckConstraint("pass_ratio > 0 AND pass_ratio <= 1", name="ck_deliberation_policies_pass_ratio"),
)

deliberation_supports = Table(
    "deliberation_supports",
    metadata,
    Column("deliberation_id", Uuid, ForeignKey("deliberations.id", ondelete="CASCADE"), primary_key=True),
    # One per household, whichever of its accounts came first: the primary key enforces it.
    Column("household_id", Uuid, primary_key=True),
    Column("user_id", Uuid, nullable=False),
    _created(),
)

deliberation_votes = Table(
    "deliberation_votes",
    metadata,
    Column("deliberation_id", Uuid, ForeignKey("deliberations.id", ondelete="CASCADE"), primary_key=True),
    Column("household_id", Uuid, primary_key=True),
    Column("user_id", Uuid, nullable=False),
    Column("choice", String(16), nullable=False),
    _created(),
)

deliberation_ratings = Table(
    "deliberation_ratings",
    metadata,
    Column("deliberation_id", Uuid, ForeignKey("deliberations.id", ondelete="CASCADE"), primary_key=True),
    Column("household_id", Uuid, primary_key=True),
    Column("user_id", Uuid, nullable=False),
    Column("stars", Integer, nullable=False),
    Column("round", Integer, nullable=False),
    _created(),
)

milestones = Table(
    "milestones",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("community_id", Uuid, nullable=False),
    Column("deliberation_id", Uuid, ForeignKey("deliberations.id", ondelete="CASCADE"), nullable=False),
    Column("title", String(200), nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("done_at", DateTime(timezone=True)),
    Column("overdue", Boolean, nullable=False, server_default="false"),
    Index("ix_milestones_open", "done_at", "overdue", "due_at"),
)

deliberation_timeline = Table(
    "deliberation_timeline",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("community_id", Uuid, nullable=False),
    Column("deliberation_id", Uuid, ForeignKey("deliberations.id", ondelete="CASCADE"), nullable=False),
    Column("actor_id", Uuid),
    Column("action", String(32), nullable=False),
    Column("from_state", String(32)),
    Column("to_state", String(32), nullable=False),
    Column("detail", JSONB, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    # The order of the timeline (migration 0007): written order, never (at, uuid4).
    Column("seq", BigInteger, Identity(), nullable=False),
    Index("ix_deliberation_timeline_seq", "deliberation_id", "seq"),
)

# --- hotspots (未诉先办) -------------------------------------------------------------------------------
keyword_mentions = Table(
    "keyword_mentions",
    metadata,
    Column("community_id", Uuid, primary_key=True),
    Column("building", String(64), primary_key=True),  # "" for the whole community
    Column("keyword", String(64), primary_key=True),
    Column("source_kind", String(8), primary_key=True),  # post | report
    Column("source_id", Uuid, primary_key=True),
    Column("day", Date, nullable=False),
    Column("tone", String(16), nullable=False, server_default="complaint"),  # complaint | neutral
    Column("words", JSON, nullable=False, server_default="[]"),  # the words that named the topic
    Column("cues", JSON, nullable=False, server_default="[]"),  # the complaint cues of the text
    Index("ix_keyword_mentions_day", "community_id", "day"),
)

# A community's own additions to the built-in lexicon (forum.domain.lexicon), one entry per word.
lexicon_entries = Table(
    "lexicon_entries",
    metadata,
    Column("community_id", Uuid, primary_key=True),
    Column("word", String(16), primary_key=True),
    Column("kind", String(16), nullable=False),  # synonym | related | typo | stop
    Column("topic", String(16)),  # the topic (synonym, related) or the word meant (typo)
    Column("created_by", Uuid, nullable=False),
    _created(),
)

hotspots = Table(
    "hotspots",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("community_id", Uuid, nullable=False),
    Column("keyword", String(64), nullable=False),
    Column("building", String(64)),
    Column("related", JSON, nullable=False),
    Column("window_start", DateTime(timezone=True), nullable=False),
    Column("window_end", DateTime(timezone=True), nullable=False),
    Column("count", Integer, nullable=False),
    Column("baseline", Float, nullable=False),
    Column("score", Float, nullable=False),
    Column("evidence_post_ids", JSON, nullable=False),
    Column("evidence_report_ids", JSON, nullable=False),
    Column("reason", JSON),  # why it was raised (forum.domain.hotspots.explain)
    Column("deliberation_id", Uuid),
    _created(),
    Index("ix_hotspots_series", "community_id", "building", "keyword", "window_end"),
)
