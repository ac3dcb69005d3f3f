"""The money office: the weekly courier settlement run and its transfer instructions
(`/api/v1/payments/payouts`), the daily trade bill reconciliation
(`/api/v1/payments/reconciliations`) and the provider's flagged answers (`/anomalies`). Admin runs
them; committee may read the payouts."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from payments.api.deps import Context, Provider
from payments.api.schemas import AnomalyPage, PayoutsOut, ReconciliationOut
from payments.service_layer import payouts as cases
from payments.service_layer.anomalies import list_anomalies as anomalies
from payments.service_layer.reconciliation import reconcile_day
from servicekit.auth import require_roles
from servicekit.pagination import Limit

router = APIRouter(prefix="/api/v1/payments", tags=["payments-office"])

Admin = Annotated[Any, Depends(require_roles("admin"))]
Reader = Annotated[Any, Depends(require_roles("admin", "committee"))]
WEEK = r"^\d{4}-W(0[1-9]|[1-4]\d|5[0-3])$"


class RunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    week: Annotated[str, Field(pattern=WEEK)] | None = None


@router.post("/payouts/run", response_model=PayoutsOut)
async def run_payouts(body: RunIn, ctx: Context, _: Admin) -> dict[str, Any]:
    """Pay out every courier's balance of this week (idempotent per week)."""
    return await cases.run_week(ctx.uow, ctx.user.community_id, body.week or cases.iso_week(ctx.now), ctx.now)


@router.get("/payouts", response_model=PayoutsOut)
async def list_payouts(
    ctx: Context, _: Reader, week: Annotated[str | None, Query(pattern=WEEK)] = None
) -> dict[str, Any]:
    return await cases.week_view(ctx.uow, ctx.user.community_id, week or cases.iso_week(ctx.now))


class ReconcileIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    bill_date: date


@router.post("/reconciliations", response_model=ReconciliationOut)
async def run_reconciliation(body: ReconcileIn, ctx: Context, client: Provider, _: Admin) -> dict[str, Any]:
    """Download the day's trade bill and list every difference with the ledger: this community's,
    and those no community can be named for (an order number the service never made)."""
    return await reconcile_day(ctx.uow, client, ctx.user.community_id, body.bill_date, ctx.now)


@router.get("/anomalies", response_model=AnomalyPage)
async def list_anomalies(
    ctx: Context,
    _: Admin,
    limit: Limit = 20,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> dict[str, Any]:
    """What WeChat Pay said that was verified but not believed (an amount or merchant not ours, an
    unknown order or refund, a refund that failed), newest first: this community's and those no
    community can be named for. Nothing here was credited; a person decides."""
    return await anomalies(ctx.uow, ctx.user.community_id, limit=limit, cursor=cursor)
