"""The money office: the weekly courier settlement run and its transfer instructions
(`/api/v1/payments/payouts`), the daily trade bill reconciliation
(`/api/v1/payments/reconciliations`) and the provider's flagged answers (`/anomalies`). Admin runs
them; committee may read the payouts."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import or_, select

from payments.adapters.tables import provider_anomalies
from payments.adapters.wechatpay import WechatPayError
from payments.api.deps import Context, Provider
from payments.api.schemas import AnomalyPage, PayoutsOut, ReconciliationOut
from payments.domain.errors import ProviderUnavailable
from payments.service_layer import payouts as cases
from payments.service_layer.reconciliation import reconcile
from servicekit.auth import require_roles
from servicekit.pagination import CursorModel, Limit, encode_cursor, read_cursor

router = APIRouter(prefix="/api/v1/payments", tags=["payments-office"])

Admin = Annotated[Any, Depends(require_roles("admin"))]
Reader = Annotated[Any, Depends(require_roles("admin", "committee"))]
WEEK = r"^\d{4}-W(0[1-9]|[1-4]\d|5[0-3])$"


class RunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    week: Annotated[str, Field(pattern=WEEK)] | None = None


def _shape(week: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "week": week,
        "payouts": [
            {
                "id": str(row["id"]),
                "courier_id": str(row["courier_id"]),
                "amount_fen": int(row["amount_fen"]),
                "status": row["status"],
                "created_at": row["created_at"].isoformat(),
            }
            for row in rows
        ],
        "instruction": cases.instruction(week, rows),
    }


@router.post("/payouts/run", response_model=PayoutsOut)
async def run_payouts(body: RunIn, ctx: Context, _: Admin) -> dict[str, Any]:
    """Pay out every courier's balance of this week (idempotent per week)."""
    week = body.week or cases.iso_week(ctx.now)
    await cases.run_settlement(ctx.uow, ctx.user.community_id, week, ctx.now)
    await ctx.uow.commit()
    return _shape(week, await cases.list_payouts(ctx.uow, ctx.user.community_id, week))


@router.get("/payouts", response_model=PayoutsOut)
async def list_payouts(
    ctx: Context, _: Reader, week: Annotated[str | None, Query(pattern=WEEK)] = None
) -> dict[str, Any]:
    chosen = week or cases.iso_week(ctx.now)
    return _shape(chosen, await cases.list_payouts(ctx.uow, ctx.user.community_id, chosen))


class ReconcileIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    bill_date: date


@router.post("/reconciliations", response_model=ReconciliationOut)
async def run_reconciliation(body: ReconcileIn, ctx: Context, client: Provider, _: Admin) -> dict[str, Any]:
    """Download the day's trade bill and list every difference with the ledger: this community's,
    and those no community can be named for (an order number the service never made)."""
    try:
        bill = await client.trade_bill(body.bill_date.isoformat())
    except WechatPayError as exc:
        raise ProviderUnavailable() from exc
    result = await reconcile(ctx.uow, body.bill_date, bill, ctx.now)
    await ctx.uow.commit()
    mine = str(ctx.user.community_id)
    result["differences"] = [item for item in result["differences"] if item["community_id"] in (mine, None)]
    return result


class AnomalyCursor(CursorModel):
    id: int


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
    query = select(provider_anomalies).where(
        or_(
            provider_anomalies.c.community_id == ctx.user.community_id,
            provider_anomalies.c.community_id.is_(None),
        )
    )
    position = read_cursor(cursor, AnomalyCursor)
    if position is not None:
        query = query.where(provider_anomalies.c.id < position.id)
    rows = (
        (await ctx.uow.session.execute(query.order_by(provider_anomalies.c.id.desc()).limit(limit + 1)))
        .mappings()
        .all()
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "items": [
            {
                "id": str(row["id"]),
                "kind": row["kind"],
                "out_trade_no": row["out_trade_no"],
                "detail": row["detail"],
                "at": row["created_at"].isoformat(),
            }
            for row in rows
        ],
        "next_cursor": encode_cursor({"id": rows[-1]["id"]}) if more else None,
    }
