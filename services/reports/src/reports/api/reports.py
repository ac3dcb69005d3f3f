"""`/api/v1/reports`: categories, submission, lists, detail, photos, the state machine, the
resident's confirm/reopen/rate/urge/cancel, "me too", committee supervision and statistics."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Header, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import and_, or_, select, update

from contracts.common import Department
from reports.adapters import repository as repo
from reports.adapters.tables import categories, people, reports
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
from reports.domain.model import OPEN_STATUSES, Action, DomainError, Status
from reports.service_layer import photos as photo_cases
from reports.service_layer import reports as cases
from reports.service_layer import stats as stats_cases
from servicekit import idempotency
from servicekit.auth import CurrentUser, User, require_roles
from servicekit.errors import NotFound, ProblemError
from servicekit.pagination import Cursor, Limit, TimeIdCursor, encode_cursor, read_cursor
from servicekit.people import require_members
from servicekit.photos import PhotoStore, intake, multipart_body, photo_form
from servicekit.text import Text

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])

Resident = Annotated[CurrentUser, Depends(require_roles("resident"))]
StatsReader = Annotated[CurrentUser, Depends(require_roles("property_manager", "committee"))]
Manager = Annotated[CurrentUser, Depends(require_roles("property_manager"))]


def _category_out(row: Any) -> CategoryOut:
    return CategoryOut(
        code=row["code"],
        names={"zh-CN": row["name_zh"], "en": row["name_en"], "ko": row["name_ko"]},
        department=row["department"],
        sla_accept_hours=row["sla_accept_hours"],
        sla_resolve_hours=row["sla_resolve_hours"],
        photo_required=row["photo_required"],
        public_area_default=row["public_area_default"],
        assignment_mode=row["assignment_mode"],
        active=row["active"],
    )


def _domain(exc: DomainError) -> ProblemError:
    return ProblemError(exc.code, exc.status, params=exc.params)


# -- categories ------------------------------------------------------------------------------------
@router.get("/categories", response_model=list[CategoryOut])
async def list_categories(ctx: Context) -> list[CategoryOut]:
    rows = await repo.list_categories(ctx.uow.session, ctx.viewer.community_id)
    await ctx.uow.commit()  # the first request of a community seeds its categories
    return [_category_out(row) for row in rows]


@router.patch("/categories/{code}", response_model=CategoryOut)
async def edit_category(code: str, body: CategoryPatch, ctx: Context, _: Manager) -> CategoryOut:
    changes = body.model_dump(exclude_none=True)
    await repo.ensure_categories(ctx.uow.session, ctx.viewer.community_id)
    where = and_(categories.c.community_id == ctx.viewer.community_id, categories.c.code == code)
    current = (
        (await ctx.uow.session.execute(select(categories).where(where).with_for_update())).mappings().first()
    )
    if current is None:
        raise NotFound()
    merged = {**current, **changes}
    if merged["sla_accept_hours"] > merged["sla_resolve_hours"]:
        raise ProblemError("validation_failed", 422)
    row = (
        (
            await ctx.uow.session.execute(
                update(categories).where(where).values(**changes, updated_at=ctx.now).returning(categories)
            )
        )
        .mappings()
        .one()
    )
    await ctx.uow.commit()
    return _category_out(row)


# -- submission and lists -----------------------------------------------------------------------------
@router.post("", status_code=201, response_model=SubmittedOut)
async def submit_report(
    body: SubmitIn,
    ctx: Context,
    user: User,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
) -> Any:
    claim, stored = await idempotency.claim(
        ctx.uow,
        scope="reports.submit",
        user_id=ctx.viewer.user_id,
        key=idempotency_key,
        request_fingerprint=idempotency.fingerprint(body.model_dump(mode="json")),
    )
    if stored is not None:
        return JSONResponse(stored.body, status_code=stored.status)
    location = body.location
    reporter_id, source, filed_by = ctx.viewer.user_id, "app", None
    if body.on_behalf_of is not None:
        # 代客报修: only the office files for someone else, and only for a person of its community.
        if not {"property_staff", "property_manager"} & set(user.roles):
            raise ProblemError("forbidden", 403)
        await require_members(ctx.uow.session, ctx.viewer.community_id, [body.on_behalf_of], people)
        reporter_id, source, filed_by = body.on_behalf_of, "office", ctx.viewer.user_id
    elif "resident" not in user.roles:
        raise ProblemError("forbidden", 403)
    created = await cases.submit(
        ctx.uow,
        community_id=ctx.viewer.community_id,
        reporter_id=reporter_id,
        filed_by=filed_by,
        new=cases.NewReport(
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
            source=source,
        ),
        now=ctx.now,
    )
    assert created is not None  # only thread escalations can conflict
    duplicates = await cases.possible_duplicates(
        ctx.uow,
        community_id=ctx.viewer.community_id,
        report=created,
        window_days=ctx.settings.duplicate_window_days,
    )
    # A new report has no photos yet and one timeline row: the summary says all of it.
    out = SubmittedOut(
        **summary(
            ctx.viewer, created, await names_for(ctx.uow, ctx.viewer.community_id, [created])
        ).model_dump(),
        possible_duplicates=[DuplicateOut(**d) for d in duplicates],
    )
    body_json = out.model_dump(mode="json")
    if claim is not None:
        await claim.record(ctx.uow, 201, body_json)
    await ctx.uow.commit()
    return JSONResponse(body_json, status_code=201)


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
    viewer = ctx.viewer
    conditions: list[Any] = [reports.c.community_id == viewer.community_id]
    if scope == "mine":
        conditions.append(reports.c.reporter_id == viewer.user_id)
    elif scope == "building":
        if viewer.building is None:
            return ReportPage(items=[])
        conditions += [reports.c.building == viewer.building, reports.c.public_area.is_(True)]
    else:
        if viewer.is_committee:
            pass  # the committee supervises every department
        elif viewer.is_staff and viewer.departments:
            conditions.append(reports.c.department.in_(set(viewer.departments.values())))
        else:
            raise ProblemError("forbidden", 403)
    if status:
        conditions.append(reports.c.status.in_([s.value for s in status]))
    if category:
        conditions.append(reports.c.category == category)
    if overdue is not None:
        breached = or_(reports.c.accept_breached_at.isnot(None), reports.c.resolve_breached_at.isnot(None))
        is_overdue = and_(breached, reports.c.status.in_([s.value for s in OPEN_STATUSES]))
        conditions.append(is_overdue if overdue else ~is_overdue)
    if supervised is not None:
        conditions.append(
            reports.c.supervised_at.isnot(None) if supervised else reports.c.supervised_at.is_(None)
        )
    if assignee is not None:
        conditions.append(reports.c.assignee_id == assignee)
    position = read_cursor(cursor, TimeIdCursor)
    if position is not None:
        at, last_id = position.at, position.id
        conditions.append(
            or_(reports.c.submitted_at < at, and_(reports.c.submitted_at == at, reports.c.id < last_id))
        )
    rows = (
        (
            await ctx.uow.session.execute(
                select(reports)
                .where(*conditions)
                .order_by(reports.c.submitted_at.desc(), reports.c.id.desc())
                .limit(limit + 1)
            )
        )
        .mappings()
        .all()
    )
    page = rows[:limit]
    next_cursor = (
        encode_cursor({"at": page[-1]["submitted_at"].isoformat(), "id": str(page[-1]["id"])})
        if len(rows) > limit
        else None
    )
    names = await names_for(ctx.uow, viewer.community_id, page)
    return ReportPage(items=[summary(viewer, row, names) for row in page], next_cursor=next_cursor)


@router.get("/staff", response_model=StaffPage)
async def list_staff(ctx: Context, _: StatsReader, department: Department | None = None) -> StaffPage:
    """Whom a manager (their department) or the committee (any) can assign a report to, with
    each one's open jobs."""
    limit = ctx.settings.max_open_jobs_per_staff
    items = await cases.staff_list(ctx.uow, ctx.viewer, department=department, max_open_jobs=limit)
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
        community_id=ctx.viewer.community_id,
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
    row = await cases.visible_report(ctx.uow, ctx.viewer, report_id)
    return await detail(ctx.uow, ctx.viewer, row)


# -- photos -----------------------------------------------------------------------------------------
PhotoKind = Literal["before", "after"]
_photo_kind: TypeAdapter[PhotoKind] = TypeAdapter(PhotoKind)
_PHOTO_BODY = multipart_body(
    "file",
    "JPEG, PNG or WebP, at most 10 MB and 40 megapixels; stored at most 2048 px on its longest side",
    {"kind": {"type": "string", "enum": ["before", "after"], "default": "before"}},
)


@router.post("/{report_id}/photos", status_code=201, response_model=ReportOut, openapi_extra=_PHOTO_BODY)
async def upload_photo(report_id: uuid.UUID, request: Request, ctx: Context) -> ReportOut:
    # The caller and the count first: a stranger's or a seventh upload is never read.
    await photo_cases.check_upload(ctx.uow, ctx.viewer, report_id)
    async with photo_form(request, file_field="file", text_fields=("kind",)) as (fields, upload):
        try:
            kind = _photo_kind.validate_python(fields.get("kind", "before"))
        except ValidationError as exc:
            raise RequestValidationError(
                [{**error, "loc": ("body", "kind")} for error in exc.errors(include_url=False)]
            ) from exc
        clean = await intake(upload)
    store = PhotoStore(ctx.settings.photo_root)
    await photo_cases.add_photo(
        ctx.uow, ctx.viewer, report_id, kind=kind, clean=clean, store=store, now=ctx.now
    )
    # The upload committed; the same session reads the result in a fresh transaction.
    row = await cases.visible_report(ctx.uow, ctx.viewer, report_id)
    return await detail(ctx.uow, ctx.viewer, row)


@router.get(
    "/{report_id}/photos/{photo_id}",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}}}},
)
async def get_photo(report_id: uuid.UUID, photo_id: uuid.UUID, ctx: Context) -> Response:
    data, content_type = await photo_cases.read_photo(
        ctx.uow, ctx.viewer, report_id, photo_id, PhotoStore(ctx.settings.photo_root)
    )
    return Response(data, media_type=content_type, headers={"Cache-Control": "private, max-age=3600"})


# -- the state machine -------------------------------------------------------------------------------
async def _transition(ctx: Context, report_id: uuid.UUID, command: cases.Command) -> ReportOut:
    try:
        row = await cases.transition(
            ctx.uow,
            ctx.viewer,
            report_id,
            command,
            now=ctx.now,
            max_open_jobs=ctx.settings.max_open_jobs_per_staff,
        )
    except DomainError as exc:
        raise _domain(exc) from exc
    out = await detail(ctx.uow, ctx.viewer, row)
    await ctx.uow.commit()
    return out


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
    try:
        row = await cases.rate(
            ctx.uow,
            ctx.viewer,
            report_id,
            overall=body.overall,
            speed=body.speed,
            attitude=body.attitude,
            comment=body.comment,
            now=ctx.now,
        )
    except DomainError as exc:
        raise _domain(exc) from exc
    out = await detail(ctx.uow, ctx.viewer, row)
    await ctx.uow.commit()
    return out


@router.post("/{report_id}/urge", response_model=ReportOut)
async def urge(report_id: uuid.UUID, ctx: Context) -> ReportOut:
    try:
        row = await cases.urge(
            ctx.uow,
            ctx.viewer,
            report_id,
            now=ctx.now,
            interval=timedelta(minutes=ctx.settings.urge_interval_minutes),
        )
    except DomainError as exc:
        raise _domain(exc) from exc
    out = await detail(ctx.uow, ctx.viewer, row)
    await ctx.uow.commit()
    return out


@router.post("/{report_id}/support", response_model=ReportOut)
async def support(report_id: uuid.UUID, ctx: Context) -> ReportOut:
    try:
        row = await cases.support(ctx.uow, ctx.viewer, report_id, now=ctx.now)
    except DomainError as exc:
        raise _domain(exc) from exc
    out = await detail(ctx.uow, ctx.viewer, row)
    await ctx.uow.commit()
    return out


@router.post("/{report_id}/escalate", response_model=ReportOut)
async def escalate(
    report_id: uuid.UUID, ctx: Context, body: Annotated[EscalateIn | None, Body()] = None
) -> ReportOut:
    request = body or EscalateIn()
    row = await cases.escalate(
        ctx.uow, ctx.viewer, report_id, reason=request.reason, note=request.note, now=ctx.now
    )
    out = await detail(ctx.uow, ctx.viewer, row)
    await ctx.uow.commit()
    return out
