"""Events produced by the forum service (邻里喧 · 调解 · 议事厅). Thread titles and post texts are
public forum content; mediation notes and dispute summaries never travel."""

from typing import Annotated, ClassVar, Self
from uuid import UUID

from pydantic import AwareDatetime, Field, StringConstraints, model_validator

from contracts.common import Board, CategoryCode, DeliberationState, DisputeState, Label
from contracts.envelope import EventPayload
from contracts.registry import register

__all__ = [
    "DeliberationStateChangedV1",
    "DisputeStateChangedV1",
    "HotspotDetectedV1",
    "PostCreatedV1",
    "PostMentionedV1",
    "ThreadEscalatedV1",
]

_Text = Annotated[str, StringConstraints(min_length=1)]


@register
class ThreadEscalatedV1(EventPayload):
    """A thread was turned into a repair report by its author, a mediator or a manager.

    Producer: forum. Consumer: reports (creates the report with `source_thread_id = thread_id`;
    `body` becomes the description, `suggested_category` the category when set).
    """

    event_type: ClassVar[str] = "forum.thread.escalated.v1"

    thread_id: UUID
    author_id: UUID
    escalated_by: UUID
    board: Board
    title: _Text
    body: _Text
    building: Label | None = None
    suggested_category: CategoryCode | None = None


@register
class PostCreatedV1(EventPayload):
    """A post (a thread's opening post or a reply) became visible.

    Producer: forum. Consumer: forum (hotspot keyword mining over `text`).
    """

    event_type: ClassVar[str] = "forum.post.created.v1"

    post_id: UUID
    thread_id: UUID
    author_id: UUID
    board: Board
    building: Label | None = None
    text: _Text


@register
class PostMentionedV1(EventPayload):
    """A post @-mentioned members of the community (only those it became visible to).

    Producer: forum. Consumer: gateway (notifies each of `mentioned_user_ids`). Not in docs/contract.md's
    first event table: added so mentions notify like every other user-targeted event.
    """

    event_type: ClassVar[str] = "forum.post.mentioned.v1"

    post_id: UUID
    thread_id: UUID
    author_id: UUID
    mentioned_user_ids: list[UUID] = Field(min_length=1, max_length=50)


@register
class DisputeStateChangedV1(EventPayload):
    """A dispute (调解) moved in its state machine; `from_state` is None when it was reported.

    Producer: forum. Consumer: gateway (notifies `notify_user_ids`: the parties and the mediator).
    """

    event_type: ClassVar[str] = "forum.dispute.state_changed.v1"

    dispute_id: UUID
    thread_id: UUID | None = None
    from_state: DisputeState | None
    to_state: DisputeState
    mediator_id: UUID | None = None
    notify_user_ids: list[UUID]


@register
class DeliberationStateChangedV1(EventPayload):
    """A deliberation topic (议事) moved in its state machine; `from_state` is None when it was
    opened.

    Producer: forum. Consumer: gateway (notifies `notify_user_ids`: proposer, owner, supporters
    as fits the transition).
    """

    event_type: ClassVar[str] = "forum.deliberation.state_changed.v1"

    deliberation_id: UUID
    title: _Text
    building: Label | None = None
    from_state: DeliberationState | None
    to_state: DeliberationState
    owner_id: UUID | None = None
    notify_user_ids: list[UUID]


@register
class HotspotDetectedV1(EventPayload):
    """A keyword is rising in posts and reports of a building (or the whole community when
    `building` is None) within [`window_start`, `window_end`): 未诉先办, act before complaints.

    Producer: forum. Consumer: gateway (notifies managers and the committee).
    `count` is the mentions in the window, `baseline` the expected count, `score` how far above.
    """

    event_type: ClassVar[str] = "forum.hotspot.detected.v1"

    hotspot_id: UUID
    keyword: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    building: Label | None = None
    window_start: AwareDatetime
    window_end: AwareDatetime
    count: int = Field(ge=1)
    baseline: float = Field(ge=0, allow_inf_nan=False)
    score: float = Field(allow_inf_nan=False)
    evidence_post_ids: list[UUID]
    evidence_report_ids: list[UUID]

    @model_validator(mode="after")
    def _window_is_ordered(self) -> Self:
        if self.window_end <= self.window_start:
            raise ValueError("window_end must be after window_start")
        return self
