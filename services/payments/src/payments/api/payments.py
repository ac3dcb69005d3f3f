"""POST /api/v1/payments, GET /api/v1/payments/{id}, GET /api/v1/payments/ledger."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from payments.api.deps import Context, Provider
from payments.api.schemas import LedgerOut, PaymentCreated, PaymentIn, PaymentOut
from payments.service_layer import payments as cases
from servicekit import idempotency
from servicekit.idempotency import IdempotencyKey
from servicekit.pagination import Limit

router = APIRouter(prefix="/api/v1/payments", tags=["payments"])


@router.post("", status_code=201, response_model=PaymentCreated)
async def create_payment(
    body: PaymentIn,
    ctx: Context,
    client: Provider,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    created = await cases.create_payment(
        ctx.uow,
        client,
        ctx.user,
        body.model_dump(mode="json"),
        keyed=idempotency.Keyed.of(idempotency_key, body),
        timing=ctx.settings.errand_payment_timing,
        now=ctx.now,
        ttl_seconds=ctx.settings.payment_ttl_seconds,
    )
    return JSONResponse(created.body, status_code=created.status)


@router.get("/ledger", response_model=LedgerOut)
async def my_ledger(
    ctx: Context,
    limit: Limit = 20,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    account: Annotated[Literal["resident", "courier"] | None, Query(alias="as")] = None,
) -> Any:
    """The caller's own account: a courier's earnings and payouts, a resident's payments and refunds."""
    kind = account or ("courier" if ctx.user.has_any("courier") else "resident")
    return await cases.ledger_page(ctx.uow, ctx.user, kind, cursor=cursor, limit=limit)


@router.get("/{payment_id}", response_model=PaymentOut)
async def get_payment(payment_id: uuid.UUID, ctx: Context) -> Any:
    return await cases.load_view(ctx.uow, ctx.user, payment_id)
