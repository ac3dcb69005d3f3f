"""Property fees: fee items per household (`/api/v1/fees/items`) and the bills issued from them
(`/api/v1/fees/bills`). Managers write; committee and admin read; a resident reads their own
household's bills with `?scope=mine` and pays one with `POST /api/v1/payments` (purpose
`property_bill`)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import Select, Table, insert, select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert

from payments.adapters.tables import fee_bills, fee_items, household_members
from payments.api.deps import Context
from payments.api.schemas import FeeBillOut, FeeBillPage, FeeItemOut, FeeItemPage, ReceiptOut
from payments.domain.fees import Basis, amount_in_words, bill_amount, is_overdue
from payments.service_layer.payments import is_member
from servicekit.auth import require_roles
from servicekit.errors import NotFound, ProblemError
from servicekit.i18n import negotiate_locale, translate
from servicekit.pagination import CursorModel, Limit, encode_cursor, read_cursor
from servicekit.text import Text

router = APIRouter(prefix="/api/v1/fees", tags=["fees"])

Writer = Annotated[Any, Depends(require_roles("property_manager", "admin"))]
STAFF = ("property_manager", "committee", "admin")


class ItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    household_id: uuid.UUID
    name: Text = Field(min_length=1, max_length=64)
    basis: Basis
    unit_price_fen: int = Field(gt=0, le=10_000_000)
    area_m2: float | None = Field(default=None, gt=0, le=100_000)
    period: Literal["month", "quarter", "year"]

    @model_validator(mode="after")
    def _area_for_area_basis(self) -> ItemIn:
        if self.basis == Basis.AREA and self.area_m2 is None:
            raise ValueError("area_m2 is required for an area-based fee")
        return self


class BillIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item_id: uuid.UUID
    period_label: Annotated[str, Field(pattern=r"^\d{4}(-(0[1-9]|1[0-2])|-Q[1-4])?$")]
    due_date: date


def _item(row: Any) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "household_id": str(row["household_id"]),
        "name": row["name"],
        "basis": row["basis"],
        "unit_price_fen": int(row["unit_price_fen"]),
        "area_m2": row["area_m2"] / 100 if row["area_m2"] is not None else None,
        "period": row["period"],
        "created_at": row["created_at"].isoformat(),
    }


def _bill(row: Any, today: date) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "item_id": str(row["item_id"]),
        "household_id": str(row["household_id"]),
        "period_label": row["period_label"],
        "amount_fen": int(row["amount_fen"]),
        "due_date": row["due_date"].isoformat(),
        "status": row["status"],
        "overdue": is_overdue(row["status"], row["due_date"], today),
        "issued_at": row["issued_at"].isoformat(),
        "paid_at": row["paid_at"].isoformat() if row["paid_at"] else None,
        "payment_id": str(row["payment_id"]) if row["payment_id"] else None,
    }


def _position(moment: str, row_id: str) -> tuple[datetime, uuid.UUID]:
    try:
        return datetime.fromisoformat(moment), uuid.UUID(row_id)
    except ValueError as exc:
        raise ProblemError("invalid_cursor", 400) from exc


def _today(ctx: Any) -> date:
    now: datetime = ctx.now
    return now.astimezone(ZoneInfo(ctx.settings.community_timezone)).date()


@router.post("/items", status_code=201, response_model=FeeItemOut)
async def create_item(body: ItemIn, ctx: Context, _: Writer) -> dict[str, Any]:
    row = {
        "id": uuid.uuid4(),
        "community_id": ctx.user.community_id,
        "household_id": body.household_id,
        "name": body.name,
        "basis": body.basis.value,
        "unit_price_fen": body.unit_price_fen,
        "area_m2": round(body.area_m2 * 100) if body.area_m2 is not None else None,
        "period": body.period,
        "created_by": ctx.user.id,
        "created_at": ctx.now,
    }
    await ctx.uow.session.execute(insert(fee_items).values(**row))
    await ctx.uow.commit()
    return _item(row)


@router.get("/items", response_model=FeeItemPage)
async def list_items(
    ctx: Context,
    _: Annotated[Any, Depends(require_roles(*STAFF))],
    household_id: uuid.UUID | None = None,
    limit: Limit = 20,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> dict[str, Any]:
    query = select(fee_items).where(fee_items.c.community_id == ctx.user.community_id)
    if household_id is not None:
        query = query.where(fee_items.c.household_id == household_id)
    return await _page(ctx, query, fee_items, "created_at", cursor, limit, _item)


@router.post("/bills", status_code=201, response_model=FeeBillOut)
async def issue_bill(body: BillIn, ctx: Context, _: Writer) -> dict[str, Any]:
    item = (
        (
            await ctx.uow.session.execute(
                select(fee_items).where(
                    fee_items.c.id == body.item_id, fee_items.c.community_id == ctx.user.community_id
                )
            )
        )
        .mappings()
        .first()
    )
    if item is None:
        raise NotFound()
    row = {
        "id": uuid.uuid4(),
        "community_id": ctx.user.community_id,
        "item_id": item["id"],
        "household_id": item["household_id"],
        "period_label": body.period_label,
        "amount_fen": bill_amount(Basis(item["basis"]), int(item["unit_price_fen"]), item["area_m2"]),
        "due_date": body.due_date,
        "status": "issued",
        "issued_by": ctx.user.id,
        "issued_at": ctx.now,
        "paid_at": None,
        "payment_id": None,
    }
    inserted = await ctx.uow.session.execute(
        pg_insert(fee_bills)
        .values(**row)
        .on_conflict_do_nothing(constraint="uq_fee_bills_item_period")
        .returning(fee_bills.c.id)
    )
    if inserted.first() is None:
        raise ProblemError("fee_bill_exists", 409, params={"period": body.period_label})
    await ctx.uow.commit()
    return _bill(row, _today(ctx))


@router.get("/bills", response_model=FeeBillPage)
async def list_bills(
    ctx: Context,
    scope: Literal["community", "mine"] = "community",
    status: Literal["issued", "paid", "overdue"] | None = None,
    household_id: uuid.UUID | None = None,
    limit: Limit = 20,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> dict[str, Any]:
    """Staff see the community's bills (`?status=overdue` is the arrears list); `?scope=mine` is a
    resident's own household's bills."""
    query = select(fee_bills).where(fee_bills.c.community_id == ctx.user.community_id)
    if scope == "mine":
        households = set(
            (
                await ctx.uow.session.execute(
                    select(household_members.c.household_id).where(
                        household_members.c.community_id == ctx.user.community_id,
                        household_members.c.user_id == ctx.user.id,
                    )
                )
            ).scalars()
        )
        if ctx.user.household_id is not None:
            households.add(ctx.user.household_id)
        query = query.where(fee_bills.c.household_id.in_(households))
    elif not ctx.user.has_any(*STAFF):
        raise ProblemError("forbidden", 403)
    if household_id is not None:
        query = query.where(fee_bills.c.household_id == household_id)
    today = _today(ctx)
    if status == "overdue":
        query = query.where(fee_bills.c.status == "issued", fee_bills.c.due_date < today)
    elif status is not None:
        query = query.where(fee_bills.c.status == status)
    return await _page(ctx, query, fee_bills, "issued_at", cursor, limit, lambda row: _bill(row, today))


class PageCursor(CursorModel):
    at: str
    id: str


async def _page(
    ctx: Any,
    query: Select[Any],
    table: Table,
    time_column: str,
    cursor: str | None,
    limit: int,
    shape: Callable[[Any], dict[str, Any]],
) -> dict[str, Any]:
    """Newest first by (time, id), `limit` rows and the cursor of the next page."""
    moment, row_id = table.c[time_column], table.c.id
    position = read_cursor(cursor, PageCursor)
    if position is not None:
        query = query.where(tuple_(moment, row_id) < tuple_(*_position(position.at, position.id)))
    result = await ctx.uow.session.execute(query.order_by(moment.desc(), row_id.desc()).limit(limit + 1))
    rows = result.mappings().all()
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if more else None
    return {
        "items": [shape(row) for row in rows],
        "next_cursor": encode_cursor({"at": last[time_column].isoformat(), "id": str(last["id"])})
        if last
        else None,
    }


@router.get("/bills/{bill_id}/receipt", response_model=ReceiptOut)
async def receipt(bill_id: uuid.UUID, ctx: Context, request: Request) -> dict[str, Any]:
    """The receipt of a paid bill: the household's members and the office (committee, managers,
    admin) may read it; another household's bill is 404, an unpaid one 409 `fee_bill_unpaid`."""
    row = (
        (
            await ctx.uow.session.execute(
                select(fee_bills, fee_items.c.name)
                .select_from(fee_bills.join(fee_items, fee_bills.c.item_id == fee_items.c.id))
                .where(fee_bills.c.id == bill_id, fee_bills.c.community_id == ctx.user.community_id)
            )
        )
        .mappings()
        .first()
    )
    if row is None or not (
        ctx.user.has_any(*STAFF) or await is_member(ctx.uow, ctx.user, row["household_id"])
    ):
        raise NotFound()
    if row["status"] != "paid":
        raise ProblemError("fee_bill_unpaid", 409)
    title, _ = translate("fee_receipt", negotiate_locale(request.headers.get("accept-language")), {})
    return {
        "title": title,
        "receipt_no": f"WL{row['paid_at'].astimezone(ZoneInfo(ctx.settings.community_timezone)):%Y%m%d}"
        f"{row['id'].hex[:10].upper()}",
        "bill_id": str(row["id"]),
        "household_id": str(row["household_id"]),
        "item": row["name"],
        "period_label": row["period_label"],
        "amount_fen": int(row["amount_fen"]),
        "amount_in_words": amount_in_words(int(row["amount_fen"])),
        "paid_at": row["paid_at"].isoformat(),
        "payment_id": str(row["payment_id"]),
    }
