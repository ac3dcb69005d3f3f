"""What the forum answers: one response model per shape, for /openapi.json and typed clients.

The use cases build the JSON (servicekit.answers.Out keeps it byte for byte: key order, absent
fields absent, unknown fields passed through); `named` hands these models JSON-ready values.
"""

from __future__ import annotations

from typing import Any

from servicekit.answers import Id, Number, Out, PersonOut, Timestamp


class Page(Out):
    next_cursor: str | None = None


# -- threads and posts ------------------------------------------------------------------------------


class ModerationState(Out):
    """Why a post is not visible: shown to its author and to moderators."""

    status: str
    hidden_by: str | None = None
    reason: str | None = None


class PostOut(Out):
    id: Id
    thread_id: Id
    author_id: Id | None = None
    author: PersonOut | None = None
    kind: str
    body: str
    status: str
    like_count: int
    liked_by_me: bool
    edited_at: Timestamp | None = None
    created_at: Timestamp
    moderation: ModerationState | None = None
    flag_weight: Number | None = None


class ThreadFields(Out):
    id: Id
    board: str
    title: str
    author_id: Id | None = None
    author: PersonOut | None = None
    building: str | None = None
    created_at: Timestamp
    last_post_at: Timestamp | None = None
    escalated_at: Timestamp | None = None
    report_id: Id | None = None


class ThreadOut(ThreadFields):
    """One thread with its opening post and replies (visible ones, plus the caller's own)."""

    opening_post: PostOut
    posts: list[PostOut]


class ThreadCard(ThreadFields):
    excerpt: str
    opening_status: str
    rank: Number | None = None


class ThreadPage(Page):
    items: list[ThreadCard]


class Revision(Out):
    body: str
    replaced_at: Timestamp | None = None


class CurrentText(Out):
    body: str
    since: Timestamp


class PostHistory(Out):
    post_id: Id
    current: CurrentText
    revisions: list[Revision]


class Notice(Out):
    id: Id
    kind: str
    thread_id: Id | None = None
    post_id: Id | None = None
    detail: dict[str, Any] | None = None
    created_at: Timestamp


class NoticePage(Page):
    items: list[Notice]


class MemberOut(Out):
    user_id: Id
    user: PersonOut | None = None
    trust_level: int
    is_mediator: bool
    household_id: Id | None = None
    household_building: str | None = None
    first_seen_at: Timestamp | None = None


# -- disputes --------------------------------------------------------------------------------------


class Party(Out):
    user_id: Id | None = None
    user: PersonOut | None = None
    role: str
    accepted_mediator: bool | None = None
    accepted_agreement: bool | None = None


class Step(Out):
    """One entry of a case's timeline."""

    action: str
    actor_id: Id | None = None
    actor: PersonOut | None = None
    from_state: str | None = None
    to_state: str | None = None
    detail: dict[str, Any] | None = None
    at: Timestamp


class DisputeOut(Out):
    """A case as the caller sees it: the complainant is null to the other parties when hidden."""

    id: Id
    thread_id: Id | None = None
    state: str
    summary: str
    complainant_id: Id | None = None
    complainant: PersonOut | None = None
    complainant_hidden: bool
    reporter_id: Id | None = None
    reporter: PersonOut | None = None
    mediator_id: Id | None = None
    mediator: PersonOut | None = None
    my_role: str
    parties: list[Party]
    terms: list[dict[str, Any]] | None = None
    timeline: list[Step]
    created_at: Timestamp
    updated_at: Timestamp


class DisputePage(Page):
    items: list[DisputeOut]


class NoteOut(Out):
    id: Id
    author_id: Id
    author: PersonOut | None = None
    body: str
    created_at: Timestamp


class NotePage(Page):
    items: list[NoteOut]


# -- deliberations ---------------------------------------------------------------------------------


class Votes(Out):
    yes: int
    no: int
    abstain: int


class MilestoneOut(Out):
    id: Id
    title: str
    due_at: Timestamp
    done_at: Timestamp | None = None
    overdue: bool


class RatingSummary(Out):
    average: Number | None = None
    count: int


class Mine(Out):
    """The caller's household: whether it supported, how it voted, how it rated."""

    supported: bool
    vote: str | None = None
    rating: int | None = None


class DeliberationOut(Out):
    id: Id
    title: str
    body: str
    building: str | None = None
    proposer_id: Id | None = None
    proposer: PersonOut | None = None
    state: str
    support_threshold: int
    window_ends_at: Timestamp | None = None
    household_supports: int
    quorum: int
    pass_ratio: Number
    votes: Votes
    reject_reason: str | None = None
    minutes: dict[str, Any] | None = None
    owner_id: Id | None = None
    owner: PersonOut | None = None
    progress: int | None = None
    milestones: list[MilestoneOut]
    rating_threshold: Number | None = None
    rating: RatingSummary
    hotspot_id: Id | None = None
    mine: Mine
    timeline: list[Step]
    created_at: Timestamp
    updated_at: Timestamp


class DeliberationPage(Page):
    items: list[DeliberationOut]


# -- hotspots --------------------------------------------------------------------------------------


class HotspotReason(Out):
    """Why a burst was raised: counts, what was expected, the residents' words and complaint cues."""

    rule: str
    posts: int
    reports: int
    complaints: int
    expected: Number | None = None
    days: int
    words: list[str]
    cues: list[str]


class HotspotOut(Out):
    id: Id
    keyword: str
    related_keywords: list[str] | None = None
    building: str | None = None
    week: str
    window_start: Timestamp
    window_end: Timestamp
    count: int
    baseline: Number | None = None
    score: Number | None = None
    evidence_post_ids: list[Id] | None = None
    evidence_report_ids: list[Id] | None = None
    deliberation_id: Id | None = None
    detected_at: Timestamp
    reason: HotspotReason | None = None


class HotspotPage(Page):
    items: list[HotspotOut]


# -- lexicon --------------------------------------------------------------------------------------


class LexiconEntryOut(Out):
    word: str
    kind: str
    topic: str | None = None
    created_by: Id | None = None
    created_at: Timestamp


class LexiconTopic(Out):
    name: str
    synonyms: list[str]
    related: list[str]


class LexiconTypo(Out):
    word: str
    meant: str


class LexiconOut(Out):
    """A community's own entries and everything early warning and search hear with them."""

    entries: list[LexiconEntryOut]
    topics: list[LexiconTopic]
    typos: list[LexiconTypo]
    stop_words: list[str]


# -- moderation ------------------------------------------------------------------------------------


class FlagOut(Out):
    """The post's flag weight after this flag, and whether it is now hidden."""

    post_id: Id
    weight: Number
    hidden: bool


class FlagSummary(Out):
    reason: str
    weight: Number
    note: str | None = None


class QueueItem(Out):
    id: Id
    cause: str
    detail: dict[str, Any] | None = None
    status: str
    created_at: Timestamp
    post: PostOut
    flags: list[FlagSummary]


class QueuePage(Page):
    items: list[QueueItem]


class DecisionOut(Out):
    id: Id
    status: str


class LogEntry(Out):
    id: Id
    post_id: Id | None = None
    actor_id: Id | None = None
    actor: PersonOut | None = None
    by: str
    action: str
    detail: dict[str, Any] | None = None
    created_at: Timestamp


class LogPage(Page):
    items: list[LogEntry]


class WatchedWord(Out):
    id: Id
    word: str
    action: str


class WatchedWordPage(Page):
    items: list[WatchedWord]
