"""Quotes and orders: residents order, couriers move their orders on, requesters close them."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from contracts.common import OrderStatus
from errand.api.delivery import DELIVER_REQUEST_BODY, read_delivery
from errand.api.deps import Ctx, ItsCourier, Requester, Resident, UoW, Viewer
from errand.api.schemas import (
    CancelIn,
    CancelQuoteOut,
    FailIn,
    OrderIn,
    OrderOut,
    OrderPage,
    QuoteIn,
    QuoteOut,
    RateIn,
    ReleasedOut,
    TipIn,
)
from errand.domain.orders import Action
from errand.service_layer import orders as cases
from errand.service_layer import quotes
from errand.service_layer.proof_photos import read_proof_photo
from servicekit import idempotency
from servicekit.auth import User
from servicekit.idempotency import IdempotencyKey
from servicekit.pagination import Cursor, Limit
from servicekit.photos import photo_response, store_of

router = APIRouter(prefix="/api/v1/errand", tags=["errand orders"])


@router.post(
    "/quotes",
    status_code=201,
    summary="Price an errand (effort-based, in fen)",
    response_model=QuoteOut,
    response_model_exclude_unset=True,
)
async def create_quote(body: QuoteIn, user: Resident, ctx: Ctx, uow: UoW) -> dict[str, Any]:
    return await quotes.create_quote(ctx, uow, user, body.model_dump(mode="json", exclude_none=True))


@router.post(
    "/orders",
    status_code=201,
    summary="Order on a quote (Idempotency-Key supported)",
    response_model=OrderOut,
    response_model_exclude_unset=True,
)
async def create_order(
    body: OrderIn, user: Resident, ctx: Ctx, uow: UoW, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    created = await cases.create_order(
        ctx, uow, user, body.model_dump(mode="json"), idempotency.Keyed.of(idempotency_key, body)
    )
    headers = {"Idempotent-Replayed": "true"} if created.replayed else {}
    return JSONResponse(created.body, status_code=created.status, headers=headers)


@router.get(
    "/orders",
    summary="My orders, as requester or as courier, newest first",
    response_model=OrderPage,
    response_model_exclude_unset=True,
)
async def list_orders(
    user: User,
    ctx: Ctx,
    uow: UoW,
    as_: Annotated[Literal["requester", "courier"], Query(alias="as")] = "requester",
    status: OrderStatus | None = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> dict[str, Any]:
    return await cases.list_orders(ctx, uow, user, as_=as_, status=status, limit=limit, cursor=cursor)


@router.get(
    "/orders/{order_id}",
    summary="An order with its timeline (requester, its courier, admin)",
    response_model=OrderOut,
    response_model_exclude_unset=True,
)
async def get_order(order_id: uuid.UUID, guard: Viewer, ctx: Ctx, uow: UoW) -> dict[str, Any]:
    return await cases.get_order(ctx, uow, guard, order_id)


@router.get(
    "/orders/{order_id}/cancel-quote",
    summary="What cancelling now would cost",
    response_model=CancelQuoteOut,
    response_model_exclude_unset=True,
)
async def cancel_quote(order_id: uuid.UUID, guard: Requester, ctx: Ctx, uow: UoW) -> dict[str, Any]:
    return await cases.cancel_quote(ctx, uow, guard, order_id)


@router.post(
    "/orders/{order_id}/cancel",
    summary="Cancel (free before acceptance, then per the rules)",
    response_model=OrderOut,
    response_model_exclude_unset=True,
)
async def cancel(order_id: uuid.UUID, body: CancelIn, guard: Requester, ctx: Ctx, uow: UoW) -> dict[str, Any]:
    return await cases.cancel(ctx, uow, guard, order_id, body.reason)


@router.post(
    "/orders/{order_id}/accept",
    summary="Accept an open order: the first courier wins",
    response_model=OrderOut,
    response_model_exclude_unset=True,
)
async def accept(order_id: uuid.UUID, user: User, ctx: Ctx, uow: UoW) -> dict[str, Any]:
    return await cases.accept(ctx, uow, user, order_id)


@router.post(
    "/orders/{order_id}/arrive",
    summary="The courier is at the pickup place",
    response_model=OrderOut,
    response_model_exclude_unset=True,
)
async def arrive(order_id: uuid.UUID, guard: ItsCourier, ctx: Ctx, uow: UoW) -> dict[str, Any]:
    return await cases.courier_step(ctx, uow, guard, order_id, Action.ARRIVE)


@router.post(
    "/orders/{order_id}/pickup",
    summary="The courier has the goods",
    response_model=OrderOut,
    response_model_exclude_unset=True,
)
async def pickup(order_id: uuid.UUID, guard: ItsCourier, ctx: Ctx, uow: UoW) -> dict[str, Any]:
    return await cases.courier_step(ctx, uow, guard, order_id, Action.PICKUP)


@router.post(
    "/orders/{order_id}/deliver",
    summary="Hand over, checked by the requester's delivery code (JSON, or multipart with a proof photo)",
    openapi_extra=DELIVER_REQUEST_BODY,
    response_model=OrderOut,
    response_model_exclude_unset=True,
)
async def deliver(
    order_id: uuid.UUID, request: Request, guard: ItsCourier, ctx: Ctx, uow: UoW
) -> dict[str, Any]:
    # Who is asking is settled before a byte of the body is read (a stranger gets 404, not 415).
    photo_welcome = await cases.photo_welcome(uow, guard, order_id)
    body, photo = await read_delivery(request, store_of(request.app), keep_photo=photo_welcome)
    return await cases.deliver(ctx, uow, guard, order_id, body.delivery_code, body.proof_note, photo)


@router.get(
    "/orders/{order_id}/proof-photo",
    summary="The courier's proof-of-delivery photo (requester, its courier, admin)",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}}}},
)
async def proof_photo(order_id: uuid.UUID, request: Request, guard: Viewer, uow: UoW) -> Response:
    stream, content_type = await read_proof_photo(uow, guard, order_id, store_of(request.app))
    return photo_response(stream, content_type)


@router.post(
    "/orders/{order_id}/fail",
    summary="The errand cannot be done after pickup",
    response_model=OrderOut,
    response_model_exclude_unset=True,
)
async def fail(order_id: uuid.UUID, body: FailIn, guard: ItsCourier, ctx: Ctx, uow: UoW) -> dict[str, Any]:
    return await cases.courier_step(ctx, uow, guard, order_id, Action.FAIL, note=body.reason)


@router.post(
    "/orders/{order_id}/release",
    summary="Give the order back (window, daily limit, points)",
    response_model=ReleasedOut,
    response_model_exclude_unset=True,
)
async def release(order_id: uuid.UUID, guard: ItsCourier, ctx: Ctx, uow: UoW) -> dict[str, Any]:
    return await cases.release(ctx, uow, guard, order_id)


@router.post(
    "/orders/{order_id}/confirm",
    summary="The requester confirms receipt",
    response_model=OrderOut,
    response_model_exclude_unset=True,
)
async def confirm(order_id: uuid.UUID, guard: Requester, ctx: Ctx, uow: UoW) -> dict[str, Any]:
    return await cases.confirm(ctx, uow, guard, order_id)


@router.post(
    "/orders/{order_id}/rate",
    summary="Rate the courier once, after delivery",
    response_model=OrderOut,
    response_model_exclude_unset=True,
)
async def rate(order_id: uuid.UUID, body: RateIn, guard: Requester, ctx: Ctx, uow: UoW) -> dict[str, Any]:
    return await cases.rate(ctx, uow, guard, order_id, body.stars, body.comment)


@router.post(
    "/orders/{order_id}/tip",
    summary="Tip the courier after delivery",
    response_model=OrderOut,
    response_model_exclude_unset=True,
)
async def tip(order_id: uuid.UUID, body: TipIn, guard: Requester, ctx: Ctx, uow: UoW) -> dict[str, Any]:
    return await cases.tip(ctx, uow, guard, order_id, body.tip_fen)
