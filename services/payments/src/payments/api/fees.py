"""Property fees: fee items per household (`/api/v1/fees/items`) and the bills issued from them
(`/api/v1/fees/bills`). Managers write; committee and admin read; a resident reads their own
household's bills with `?scope=mine` and pays one with `POST /api/v1/payments` (purpose
`property_bill`)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from payments.api.deps import Context
from payments.api.schemas import FeeBillOut, FeeBillPage, FeeItemOut, FeeItemPage, ReceiptOut
from payments.domain.fees import Basis
from payments.service_layer import fees as cases
from servicekit.auth import require_roles
from servicekit.i18n import negotiate_locale
from servicekit.pagination import Cursor, Limit
from servicekit.text import Text

router = APIRouter(prefix="/api/v1/fees", tags=["fees"])

Writer = Annotated[Any, Depends(require_roles("property_manager", "admin"))]


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


@router.post("/items", status_code=201, response_model=FeeItemOut)
async def create_item(body: ItemIn, ctx: Context, _: Writer) -> dict[str, Any]:
    return await cases.create_item(
        ctx.uow,
        ctx.user,
        household_id=body.household_id,
        name=body.name,
        basis=body.basis,
        unit_price_fen=body.unit_price_fen,
        area_m2=body.area_m2,
        period=body.period,
        now=ctx.now,
    )


@router.get("/items", response_model=FeeItemPage)
async def list_items(
    ctx: Context,
    _: Annotated[Any, Depends(require_roles(*cases.STAFF))],
    household_id: uuid.UUID | None = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> dict[str, Any]:
    return await cases.list_items(ctx.uow, ctx.user, household_id=household_id, limit=limit, cursor=cursor)


@router.post("/bills", status_code=201, response_model=FeeBillOut)
async def issue_bill(body: BillIn, ctx: Context, _: Writer) -> dict[str, Any]:
    return await cases.issue_bill(
        ctx.uow,
        ctx.user,
        item_id=body.item_id,
        period_label=body.period_label,
        due_date=body.due_date,
        now=ctx.now,
        timezone=ctx.settings.community_timezone,
    )


@router.get("/bills", response_model=FeeBillPage)
async def list_bills(
    ctx: Context,
    scope: Literal["community", "mine"] = "community",
    status: Literal["issued", "paid", "overdue"] | None = None,
    household_id: uuid.UUID | None = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Staff see the community's bills (`?status=overdue` is the arrears list); `?scope=mine` is a
    resident's own household's bills."""
    return await cases.list_bills(
        ctx.uow,
        ctx.user,
        scope=scope,
        status=status,
        household_id=household_id,
        limit=limit,
        cursor=cursor,
        now=ctx.now,
        timezone=ctx.settings.community_timezone,
    )


@router.get("/bills/{bill_id}/receipt", response_model=ReceiptOut)
async def receipt(bill_id: uuid.UUID, ctx: Context, request: Request) -> dict[str, Any]:
    """The receipt of a paid bill: the household's members and the office (committee, managers,
    admin) may read it; another household's bill is 404, an unpaid one 409 `fee_bill_unpaid`."""
    return await cases.receipt(
        ctx.uow,
        ctx.user,
        bill_id,
        locale=negotiate_locale(request.headers.get("accept-language")),
        timezone=ctx.settings.community_timezone,
    )
