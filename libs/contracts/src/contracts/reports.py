"""Events produced by the reports service (我要报事 / 报修). Payloads carry ids, the category code,
the department and the building; never the description, photos or the reporter's contact."""

from typing import ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field

from contracts.common import CategoryCode, Department, Label, RejectReason, ReportStatus, Stars
from contracts.envelope import EventPayload
from contracts.registry import register

__all__ = [
    "ReportEvent",
    "ReportOverdueV1",
    "ReportRatedV1",
    "ReportStatusChangedV1",
    "ReportSubmittedV1",
    "ReportUrgedV1",
]


class ReportEvent(EventPayload):
    """Fields every report event carries (not an event itself, not registered).

    `reporter_id` is None for reports filed through Open311 without a WeiLinli account;
    `building` is None when the location has no building (e.g. an Open311 point);
    `source_thread_id` is the forum thread the report was escalated from, if any.
    """

    report_id: UUID
    reporter_id: UUID | None
    category: CategoryCode
    department: Department
    building: Label | None = None
    source_thread_id: UUID | None = None


@register
class ReportSubmittedV1(ReportEvent):
    """A report was filed (app, Open311, or forum escalation).

    Producer: reports. Consumers: gateway (notifies the department's managers), forum (thread
    echo when `source_thread_id` is set; hotspots by category and building).
    """

    event_type: ClassVar[str] = "reports.report.submitted.v1"

    status: Literal["submitted"] = "submitted"
    public_area: bool
    due_accept_at: AwareDatetime
    due_resolve_at: AwareDatetime


@register
class ReportStatusChangedV1(ReportEvent):
    """A report moved in its state machine (accept, assign, grab, start, pause, resume, transfer,
    resolve, confirm/auto-close, reopen, reject, cancel).

    Producer: reports. Consumers: gateway (notifies reporter, assignee and the supporters who
    said "me too"), forum (posts the progress back into `source_thread_id`).
    `reject_reason` / `duplicate_of` are set only when `to_status` is `rejected`.
    """

    event_type: ClassVar[str] = "reports.report.status_changed.v1"

    from_status: ReportStatus
    to_status: ReportStatus
    assignee_id: UUID | None = None
    supporter_ids: list[UUID] = Field(default_factory=list)
    reject_reason: RejectReason | None = None
    duplicate_of: UUID | None = None


@register
class ReportOverdueV1(ReportEvent):
    """A report passed its SLA (`kind`: not accepted / not resolved by `due_at`); it is flagged
    and escalated to the committee.

    Producer: reports. Consumers: gateway (notifies assignee, the department's managers and the
    committee), forum (hotspots).
    """

    event_type: ClassVar[str] = "reports.report.overdue.v1"

    kind: Literal["accept", "resolve"]
    due_at: AwareDatetime
    status: ReportStatus
    assignee_id: UUID | None = None


@register
class ReportRatedV1(ReportEvent):
    """The reporter rated the handling of a report (once).

    Producer: reports. Consumers: gateway (notifies the assignee), forum (thread echo).
    """

    event_type: ClassVar[str] = "reports.report.rated.v1"

    assignee_id: UUID | None = None
    overall: Stars
    speed: Stars
    attitude: Stars


@register
class ReportUrgedV1(ReportEvent):
    """The reporter urged (催单) a report that is taking long; at most once an hour.

    Producer: reports. Consumer: gateway (notifies the assignee, and the property managers of the
    report's department). Not in docs/contract.md's first event table: added so `/urge` can notify.
    """

    event_type: ClassVar[str] = "reports.report.urged.v1"

    status: ReportStatus
    assignee_id: UUID | None = None
    urged_by: UUID
