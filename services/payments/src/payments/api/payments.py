"""POST /api/v1/payments, GET /api/v1/payments/{id}, GET /api/v1/payments/ledger."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query
from fastapi.responses import JSONResponse

from payments.adapters import ledger_store
from payments.adapters.wechatpay import WechatPayError
from payments.api.deps import Context, Provider
from payments.api.schemas import LedgerOut, PaymentCreated, PaymentIn, PaymentOut
from payments.domain import ledger
from payments.domain.errors import ProviderUnavailable
from payments.domain.payments import Purpose
from payments.service_layer import payments as cases
from servicekit import idempotency
from servicekit.errors import ProblemError
from servicekit.pagination import CursorModel, Limit, encode_cursor, read_cursor

router = APIRouter(prefix="/api/v1/payments", tags=["payments"])


@router.post("", status_code=201, response_model=PaymentCreated)
async def create_payment(
    body: PaymentIn,
    ctx: Context,
    client: Provider,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
) -> Any:
    claim, stored = await idempotency.claim(
        ctx.uow,
        scope="payments.create",
        user_id=ctx.user.id,
        key=idempotency_key,
        request_fingerprint=idempotency.fingerprint(body.model_dump(mode="json")),
    )
    if stored is not None:
        return JSONResponse(stored.body, status_code=stored.status)
    due = await cases.amount_due(
        ctx.uow, ctx.user, Purpose(body.purpose), body.ref_id, ctx.settings.errand_payment_timing
    )
    try:
        created = await cases.open_payment(
            ctx.uow,
            client,
            user=ctx.user,
            due=due,
            openid=body.openid,
            now=ctx.now,
            ttl_seconds=ctx.settings.payment_ttl_seconds,
        )
    except WechatPayError as exc:
        # Nothing was kept: the client may simply try again (same Idempotency-Key).
        if exc.status in (400, 403) and exc.code in ("PARAM_ERROR", "INVALID_REQUEST", "NO_AUTH"):
            raise ProblemError("payment_provider_refused", 422, params={"code": exc.code}) from exc
        raise ProviderUnavailable() from exc
    if claim is not None:
        await claim.record(ctx.uow, 201, created)
    await ctx.uow.commit()
    return JSONResponse(created, status_code=201)


class EntryCursor(CursorModel):
    id: int


@router.get("/ledger", response_model=LedgerOut)
async def my_ledger(
    ctx: Context,
    limit: Limit = 20,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    account: Annotated[Literal["resident", "courier"] | None, Query(alias="as")] = None,
) -> Any:
    """The caller's own account: a courier's earnings and payouts, a resident's payments and refunds."""
    kind = account or ("courier" if ctx.user.has_any("courier") else "resident")
    if kind == "courier" and not ctx.user.has_any("courier"):
        raise ProblemError("forbidden", 403)
    own = ledger.Account(ledger.AccountKind(kind), ctx.user.id)
    position = read_cursor(cursor, EntryCursor)
    rows = await ledger_store.entries(
        ctx.uow, ctx.user.community_id, own, before_id=position.id if position else None, limit=limit + 1
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "account": kind,
        "balance_fen": await ledger_store.balance(ctx.uow, ctx.user.community_id, own),
        "items": [row.as_json() for row in rows],
        "next_cursor": encode_cursor({"id": rows[-1].id}) if more and rows else None,
    }


@router.get("/{payment_id}", response_model=PaymentOut)
async def get_payment(payment_id: uuid.UUID, ctx: Context) -> Any:
    return await cases.load_view(ctx.uow, ctx.user, payment_id)
