"""`/api/v1/reports`: categories, submission, lists, detail, photos, the state machine, the
resident's confirm/reopen/rate/urge/cancel, "me too", committee supervision and statistics."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import TypeAdapter, ValidationError

from contracts.common import Department
from reports.api.deps import Context
from reports.api.present import detail, names_for, summary
from reports.api.schemas import (
    CategoryOut,
    CategoryPatch,
    DuplicateOut,
    EscalateIn,
    NoteIn,
    RateIn,
    ReasonIn,
    RejectIn,
    ReportOut,
    ReportPage,
    ResolveIn,
    StaffIn,
    StaffPage,
    StatsOut,
    SubmitIn,
    SubmittedOut,
)
from reports.domain.model import Action, Status
from reports.service_layer import categories as category_cases
from reports.service_layer import photos as photo_cases
from reports.service_layer import reports as cases
from reports.service_layer import stats as stats_cases
from servicekit import idempotency
from servicekit.app import get_runtime
from servicekit.auth import CurrentUser, User, optional_user, require_roles
from servicekit.domain import DomainError
from servicekit.i18n import negotiate_locale
from servicekit.idempotency import IdempotencyKey
from servicekit.logging import correlation_id_var
from servicekit.pagination import Cursor, Limit
from servicekit.photos import intake, multipart_body, photo_form, photo_response, store_of
from servicekit.text import Text

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])

Resident = Annotated[CurrentUser, Depends(require_roles("resident"))]
StatsReader = Annotated[CurrentUser, Depends(require_roles("property_manager", "committee"))]
Manager = Annotated[CurrentUser, Depends(require_roles("property_manager"))]


def _category_out(row: Any, locale: str) -> CategoryOut:
    names = {"zh-CN": row["name_zh"], "en": row["name_en"], "ko": row["name_ko"]}
    return CategoryOut(
        code=row["code"],
        name=names[locale],
        names={"zh-CN": row["name_zh"], "en": row["name_en"], "ko": row["name_ko"]},
        department=row["department"],
        sla_accept_hours=row["sla_accept_hours"],
        sla_resolve_hours=row["sla_resolve_hours"],
        photo_required=row["photo_required"],
        public_area_default=row["public_area_default"],
        assignment_mode=row["assignment_mode"],
        active=row["active"],
    )


# -- categories ------------------------------------------------------------------------------------
@router.get("/categories", response_model=list[CategoryOut])
async def list_categories(
    request: Request,
    user: Annotated[CurrentUser | None, Depends(optional_user)],
    community: Annotated[Text | None, Query(max_length=64, description="community code (no token)")] = None,
) -> list[CategoryOut]:
    """Anyone, with or without a token: the caller's community, else `?community=<code>` (which
    may be left out while the deployment has one community)."""
    async with get_runtime(request).uow(correlation_id=correlation_id_var.get()) as uow:
        community_id = (
            user.community_id if user is not None else await category_cases.community_named(uow, community)
        )
        rows = await category_cases.list_categories(uow, community_id)
    locale = negotiate_locale(request.headers.get("accept-language"))
    return [_category_out(row, locale) for row in rows]


@router.patch("/categories/{code}", response_model=CategoryOut)
async def edit_category(
    code: str, body: CategoryPatch, ctx: Context, _: Manager, request: Request
) -> CategoryOut:
    row = await category_cases.edit_category(
        ctx.uow, ctx.actor.community_id, code, body.model_dump(exclude_none=True), now=ctx.now
    )
    return _category_out(row, negotiate_locale(request.headers.get("accept-language")))


# -- submission and lists -----------------------------------------------------------------------------
@router.post("", status_code=201, response_model=SubmittedOut)
async def submit_report(
    body: SubmitIn,
    ctx: Context,
    user: User,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    location = body.location
    # 代客报修: only the office files for someone else; anyone else files as a resident.
    office = bool({"property_staff", "property_manager"} & set(user.roles))
    allowed = office if body.on_behalf_of is not None else "resident" in user.roles
    if not allowed:
        raise DomainError("forbidden", 403)
    new = cases.NewReport(
        category=body.category,
        description=body.description,
        building=location.building,
        unit=location.unit,
        room=location.room,
        area=location.area,
        lat=location.lat,
        lng=location.lng,
        public_area=body.public_area,
        anonymous=body.anonymous,
        source="app" if body.on_behalf_of is None else "office",
    )

    async def answer(created: Any, duplicates: list[dict[str, Any]]) -> dict[str, Any]:
        # The answer carries the report as its detail shows it, first timeline row included.
        out = SubmittedOut(
            **(await detail(ctx.uow, ctx.actor, created)).model_dump(),
            possible_duplicates=[DuplicateOut(**d) for d in duplicates],
        )
        return out.model_dump(mode="json")

    status, answered = await cases.submit_once(
        ctx.uow,
        ctx.actor,
        new,
        keyed=idempotency.Keyed.of(idempotency_key, body),
        on_behalf_of=body.on_behalf_of,
        now=ctx.now,
        window_days=ctx.settings.duplicate_window_days,
        answer=answer,
    )
    return JSONResponse(answered, status_code=status)


@router.get("", response_model=ReportPage)
async def list_reports(
    ctx: Context,
    scope: Literal["mine", "building", "queue"] = "mine",
    status: Annotated[list[Status] | None, Query()] = None,
    category: Annotated[Text | None, Query(max_length=64)] = None,
    overdue: bool | None = None,
    supervised: bool | None = None,
    assignee: uuid.UUID | None = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> ReportPage:
    actor = ctx.actor
    page, next_cursor = await cases.list_reports(
        ctx.uow,
        actor,
        scope=scope,
        statuses=status or [],
        category=category,
        overdue=overdue,
        supervised=supervised,
        assignee=assignee,
        limit=limit,
        cursor=cursor,
    )
    names = await names_for(ctx.uow, actor.community_id, page)
    return ReportPage(items=[summary(actor, row, names) for row in page], next_cursor=next_cursor)


@router.get("/staff", response_model=StaffPage)
async def list_staff(ctx: Context, _: StatsReader, department: Department | None = None) -> StaffPage:
    """Whom a manager (their department) or the committee (any) can assign a report to, with
    each one's open jobs."""
    limit = ctx.settings.max_open_jobs_per_staff
    items = await cases.staff_list(ctx.uow, ctx.actor, department=department, max_open_jobs=limit)
    return StaffPage.model_validate({"items": items, "max_open_jobs": limit})


@router.get("/stats", response_model=StatsOut)
async def report_stats(
    ctx: Context,
    _: StatsReader,
    since: datetime | None = None,
    until: datetime | None = None,
    category: Annotated[Text | None, Query(max_length=64)] = None,
) -> StatsOut:
    until_at = _aware(until) if until else ctx.now
    since_at = _aware(since) if since else until_at - timedelta(days=365)
    result = await stats_cases.compute(
        ctx.uow,
        community_id=ctx.actor.community_id,
        since=since_at,
        until=until_at,
        timezone=ctx.settings.community_timezone,
        category=category,
    )
    return StatsOut.model_validate({"since": since_at, "until": until_at, **result})


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


@router.get("/{report_id}", response_model=ReportOut)
async def get_report(report_id: uuid.UUID, ctx: Context) -> ReportOut:
    row = await cases.visible_report(ctx.uow, ctx.actor, report_id)
    return await detail(ctx.uow, ctx.actor, row)


# -- photos -----------------------------------------------------------------------------------------
PhotoKind = Literal["before", "after"]
_photo_kind: TypeAdapter[PhotoKind] = TypeAdapter(PhotoKind)
_PHOTO_BODY = multipart_body(
    "photo",
    "JPEG, PNG or WebP, at most 10 MB and 40 megapixels; stored at most 2048 px on its longest side"
    " (the older field name `file` is still accepted)",
    {"kind": {"type": "string", "enum": ["before", "after"], "default": "before"}},
)


@router.post("/{report_id}/photos", status_code=201, response_model=ReportOut, openapi_extra=_PHOTO_BODY)
async def upload_photo(report_id: uuid.UUID, request: Request, ctx: Context) -> ReportOut:
    # The caller and the count first: a stranger's or a seventh upload is never read.
    await photo_cases.check_upload(ctx.uow, ctx.actor, report_id)
    async with photo_form(request, file_field="photo", file_aliases=("file",), text_fields=("kind",)) as (
        fields,
        upload,
    ):
        try:
            kind = _photo_kind.validate_python(fields.get("kind", "before"))
        except ValidationError as exc:
            raise RequestValidationError(
                [{**error, "loc": ("body", "kind")} for error in exc.errors(include_url=False)]
            ) from exc
        clean = await intake(upload)
    await photo_cases.add_photo(
        ctx.uow, ctx.actor, report_id, kind=kind, clean=clean, store=store_of(request.app), now=ctx.now
    )
    # The upload committed; the same session reads the result in a fresh transaction.
    row = await cases.visible_report(ctx.uow, ctx.actor, report_id)
    return await detail(ctx.uow, ctx.actor, row)


@router.get(
    "/{report_id}/photos/{photo_id}",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}}}},
)
async def get_photo(report_id: uuid.UUID, photo_id: uuid.UUID, request: Request, ctx: Context) -> Response:
    stream, content_type = await photo_cases.read_photo(
        ctx.uow, ctx.actor, report_id, photo_id, store_of(request.app)
    )
    return photo_response(stream, content_type)


# -- the state machine -------------------------------------------------------------------------------
async def _transition(ctx: Context, report_id: uuid.UUID, command: cases.Command) -> ReportOut:
    row = await cases.transition(
        ctx.uow,
        ctx.actor,
        report_id,
        command,
        now=ctx.now,
        max_open_jobs=ctx.settings.max_open_jobs_per_staff,
    )
    return await detail(ctx.uow, ctx.actor, row)


OptionalNote = Annotated[NoteIn | None, Body()]


def _note(body: NoteIn | None) -> str | None:
    return body.note if body is not None else None


@router.post("/{report_id}/accept", response_model=ReportOut)
async def accept(report_id: uuid.UUID, ctx: Context, body: OptionalNote = None) -> ReportOut:
    return await _transition(ctx, report_id, cases.Command(Action.ACCEPT, note=_note(body)))


@router.post("/{report_id}/assign", response_model=ReportOut)
async def assign(report_id: uuid.UUID, body: StaffIn, ctx: Context) -> ReportOut:
    return await _transition(
        ctx, report_id, cases.Command(Action.ASSIGN, note=body.note, staff_id=body.staff_id)
    )


@router.post("/{report_id}/grab", response_model=ReportOut)
async def grab(report_id: uuid.UUID, ctx: Context, body: OptionalNote = None) -> ReportOut:
    return await _transition(ctx, report_id, cases.Command(Action.GRAB, note=_note(body)))


@router.post("/{report_id}/start", response_model=ReportOut)
async def start(report_id: uuid.UUID, ctx: Context, body: OptionalNote = None) -> ReportOut:
    return await _transition(ctx, report_id, cases.Command(Action.START, note=_note(body)))


@router.post("/{report_id}/pause", response_model=ReportOut)
async def pause(report_id: uuid.UUID, body: ReasonIn, ctx: Context) -> ReportOut:
    return await _transition(ctx, report_id, cases.Command(Action.PAUSE, note=body.reason))


@router.post("/{report_id}/resume", response_model=ReportOut)
async def resume(report_id: uuid.UUID, ctx: Context, body: OptionalNote = None) -> ReportOut:
    return await _transition(ctx, report_id, cases.Command(Action.RESUME, note=_note(body)))


@router.post("/{report_id}/transfer", response_model=ReportOut)
async def transfer(report_id: uuid.UUID, body: StaffIn, ctx: Context) -> ReportOut:
    return await _transition(
        ctx, report_id, cases.Command(Action.TRANSFER, note=body.note, staff_id=body.staff_id)
    )


@router.post("/{report_id}/resolve", response_model=ReportOut)
async def resolve(report_id: uuid.UUID, body: ResolveIn, ctx: Context) -> ReportOut:
    return await _transition(ctx, report_id, cases.Command(Action.RESOLVE, note=body.note))


@router.post("/{report_id}/reject", response_model=ReportOut)
async def reject(report_id: uuid.UUID, body: RejectIn, ctx: Context) -> ReportOut:
    return await _transition(
        ctx,
        report_id,
        cases.Command(
            Action.REJECT, note=body.note, reject_reason=body.reason, duplicate_of=body.duplicate_of
        ),
    )


@router.post("/{report_id}/confirm", response_model=ReportOut)
async def confirm(report_id: uuid.UUID, ctx: Context, body: OptionalNote = None) -> ReportOut:
    return await _transition(ctx, report_id, cases.Command(Action.CONFIRM, note=_note(body)))


@router.post("/{report_id}/reopen", response_model=ReportOut)
async def reopen(report_id: uuid.UUID, body: ReasonIn, ctx: Context) -> ReportOut:
    return await _transition(ctx, report_id, cases.Command(Action.REOPEN, note=body.reason))


@router.post("/{report_id}/cancel", response_model=ReportOut)
async def cancel(report_id: uuid.UUID, ctx: Context, body: OptionalNote = None) -> ReportOut:
    return await _transition(ctx, report_id, cases.Command(Action.CANCEL, note=_note(body)))


# -- beyond the state machine ------------------------------------------------------------------------
@router.post("/{report_id}/rate", response_model=ReportOut)
async def rate(report_id: uuid.UUID, body: RateIn, ctx: Context) -> ReportOut:
    row = await cases.rate(
        ctx.uow,
        ctx.actor,
        report_id,
        overall=body.overall,
        speed=body.speed,
        attitude=body.attitude,
        comment=body.comment,
        now=ctx.now,
    )
    return await detail(ctx.uow, ctx.actor, row)


@router.post("/{report_id}/urge", response_model=ReportOut)
async def urge(report_id: uuid.UUID, ctx: Context) -> ReportOut:
    row = await cases.urge(
        ctx.uow,
        ctx.actor,
        report_id,
        now=ctx.now,
        interval=timedelta(minutes=ctx.settings.urge_interval_minutes),
    )
    return await detail(ctx.uow, ctx.actor, row)


@router.post("/{report_id}/support", response_model=ReportOut)
async def support(report_id: uuid.UUID, ctx: Context) -> ReportOut:
    row = await cases.support(ctx.uow, ctx.actor, report_id, now=ctx.now)
    return await detail(ctx.uow, ctx.actor, row)


@router.post("/{report_id}/escalate", response_model=ReportOut)
async def escalate(
    report_id: uuid.UUID, ctx: Context, body: Annotated[EscalateIn | None, Body()] = None
) -> ReportOut:
    request = body or EscalateIn()
    row = await cases.escalate(
        ctx.uow, ctx.actor, report_id, reason=request.reason, note=request.note, now=ctx.now
    )
    return await detail(ctx.uow, ctx.actor, row)
