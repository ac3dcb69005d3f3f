"""Request and response bodies of the reports API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from servicekit.text import Text

LONG_TEXT = Field(min_length=1, max_length=2000)


class In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LocationIn(In):
    building: Text = Field(min_length=1, max_length=64)
    unit: Text | None = Field(default=None, max_length=64)
    room: Text | None = Field(default=None, max_length=64)
    area: Text | None = Field(default=None, max_length=200)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lng: float | None = Field(default=None, ge=-180, le=180)


class SubmitIn(In):
    category: Text = Field(min_length=1, max_length=64)
    location: LocationIn
    description: Text = LONG_TEXT
    public_area: bool | None = None
    anonymous: bool = False
    # 代客报修: property staff file for a resident who phoned or walked in. The resident is the
    # reporter; the report's `source` is "office" and its first timeline row names the staff member.
    on_behalf_of: uuid.UUID | None = None


class NoteIn(In):
    note: Text | None = Field(default=None, max_length=2000)


class StaffIn(NoteIn):
    staff_id: uuid.UUID


class ReasonIn(In):
    reason: Text = Field(min_length=1, max_length=500)


class ResolveIn(In):
    note: Text = LONG_TEXT


class RejectIn(In):
    reason: Literal["not_responsible", "duplicate", "invalid"]
    duplicate_of: uuid.UUID | None = None
    note: Text | None = Field(default=None, max_length=2000)


class RateIn(In):
    overall: int = Field(ge=1, le=5)
    speed: int = Field(ge=1, le=5)
    attitude: int = Field(ge=1, le=5)
    comment: Text | None = Field(default=None, max_length=500)


class EscalateIn(In):
    reason: Literal["overdue", "disputed", "other"] = "disputed"
    note: Text | None = Field(default=None, max_length=2000)


class CategoryOut(BaseModel):
    code: str
    name: str = Field(description="the name in the caller's language (Accept-Language)")
    names: dict[str, str]
    department: str
    sla_accept_hours: int
    sla_resolve_hours: int
    photo_required: bool
    public_area_default: bool
    assignment_mode: Literal["assign", "grab"]
    active: bool


class CategoryPatch(In):
    name_zh: Text | None = Field(default=None, min_length=1, max_length=64)
    name_en: Text | None = Field(default=None, min_length=1, max_length=64)
    name_ko: Text | None = Field(default=None, min_length=1, max_length=64)
    department: Literal["property", "heating", "police", "urban_management", "committee"] | None = None
    sla_accept_hours: int | None = Field(default=None, ge=1, le=8760)
    sla_resolve_hours: int | None = Field(default=None, ge=1, le=8760)
    photo_required: bool | None = None
    public_area_default: bool | None = None
    assignment_mode: Literal["assign", "grab"] | None = None
    active: bool | None = None


class LocationOut(BaseModel):
    building: str | None
    unit: str | None
    room: str | None
    area: str | None
    lat: float | None
    lng: float | None


class PersonOut(BaseModel):
    """A person as every view shows one (docs/contract.md)."""

    id: uuid.UUID
    display_name: str | None


class TimelineOut(BaseModel):
    at: datetime
    actor_id: uuid.UUID | None
    actor: PersonOut | None = None
    action: str
    from_status: str | None
    to_status: str | None
    note: str | None


class PhotoOut(BaseModel):
    id: uuid.UUID
    kind: Literal["before", "after"]
    content_type: str
    width: int
    height: int
    size_bytes: int
    url: str
    created_at: datetime


class RatingOut(BaseModel):
    overall: int
    speed: int
    attitude: int
    comment: str | None


class ReportOut(BaseModel):
    id: uuid.UUID
    category: str
    department: str
    status: str
    location: LocationOut
    description: str
    public_area: bool
    anonymous: bool
    reporter_id: uuid.UUID | None
    assignee_id: uuid.UUID | None
    reporter: PersonOut | None = None
    assignee: PersonOut | None = None
    source: str
    source_thread_id: uuid.UUID | None
    submitted_at: datetime
    updated_at: datetime
    accepted_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    due_accept_at: datetime
    due_resolve_at: datetime
    paused_seconds: int
    accept_breached_at: datetime | None
    resolve_breached_at: datetime | None
    overdue: bool
    supervised_at: datetime | None
    supervision_reason: str | None
    support_count: int
    reopen_count: int
    reject_reason: str | None
    duplicate_of: uuid.UUID | None
    resolution_note: str | None
    rating: RatingOut | None
    photos: list[PhotoOut] = []
    timeline: list[TimelineOut] = []


class DuplicateOut(BaseModel):
    id: uuid.UUID
    status: str
    submitted_at: datetime
    support_count: int


class SubmittedOut(ReportOut):
    possible_duplicates: list[DuplicateOut]


class ReportPage(BaseModel):
    items: list[ReportOut]
    next_cursor: str | None = None


class StatsRow(BaseModel):
    key: str | None
    count: int
    resolved: int
    accept_p50_seconds: float | None
    accept_p90_seconds: float | None
    resolve_p50_seconds: float | None
    resolve_p90_seconds: float | None
    sla_breach_rate: float | None
    reopen_rate: float | None
    satisfaction_avg: float | None
    ratings: int


class StatsOut(BaseModel):
    since: datetime
    until: datetime
    by_category: list[StatsRow]
    by_staff: list[StatsRow]
    by_month: list[StatsRow]


class KeyIn(In):
    label: Text = Field(min_length=1, max_length=100)


class KeyOut(BaseModel):
    id: uuid.UUID
    label: str
    created_at: datetime
    revoked_at: datetime | None
    api_key: str | None = None


def as_dict(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")


class StaffMemberOut(BaseModel):
    id: uuid.UUID
    display_name: str | None
    department: str
    roles: list[str]
    open_jobs: int
    on_duty: bool


class StaffPage(BaseModel):
    items: list[StaffMemberOut]
    max_open_jobs: int
