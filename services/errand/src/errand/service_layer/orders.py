"""Use cases of orders (quotes are in quotes.py, the row store in order_store.py, points in
points.py): load -> domain decision -> write + timeline + event -> commit.
Redis (the open-order index) is updated only after the commit, from what was committed."""

from __future__ import annotations

import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, update

from contracts import (
    OrderAcceptedV1,
    OrderCancelledV1,
    OrderCompletedV1,
    OrderCreatedV1,
    OrderDeliveredV1,
    OrderExpiredV1,
    OrderPickedUpV1,
    OrderRecipientCodeV1,
)
from errand.adapters.tables import (
    couriers,
    orders,
    points_ledger,
    quotes,
    resident_households,
)
from errand.domain.orders import ACTIVE_FOR_COURIER, ORDER, Action, OrderStatus
from errand.domain.rules import (
    cancellation_fee,
    delivery_points,
    level_for,
    rating_points,
    release_window_open,
)
from errand.service_layer.access import OrderGuard, Party
from errand.service_layer.context import ErrandContext
from errand.service_layer.order_store import (
    event_fields,
    finish,
    index_open,
    load_order,
    move,
    record_timeline,
    view_of,
)
from errand.service_layer.points import add_points
from errand.service_layer.proof_photos import StagedPhoto, attach
from errand.service_layer.quotes import parse_time, recipient_household, refuse_quote
from errand.service_layer.views import order_people, order_view
from servicekit import idempotency, photos
from servicekit.auth import CurrentUser
from servicekit.db import UnitOfWork
from servicekit.domain import DomainError
from servicekit.errors import NotFound
from servicekit.pagination import newest_first, page_of

SENSITIVE_DETAILS = ("parcel_code", "bill_account")


# -- creating an order -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Created:
    status: int
    body: dict[str, Any]
    replayed: bool


async def create_order(
    ctx: ErrandContext,
    uow: UnitOfWork,
    actor: CurrentUser,
    body: dict[str, Any],
    keyed: idempotency.Keyed,
) -> Created:
    claim, stored = await keyed.claim(uow, scope="errand.orders.create", user_id=actor.id)
    if stored is not None:
        return Created(stored.status, stored.body, replayed=True)
    now = ctx.now()
    order_id = uuid.uuid4()
    quote_id = uuid.UUID(body["quote_id"])
    # Claim the quote in one statement; only when that fails, find out why.
    quote = (
        await uow.session.execute(
            update(quotes)
            .where(
                quotes.c.id == quote_id,
                quotes.c.community_id == actor.community_id,
                quotes.c.requester_id == actor.id,
                quotes.c.order_id.is_(None),
                quotes.c.expires_at > now,
            )
            .values(order_id=order_id)
            .returning(quotes)
        )
    ).first()
    if quote is None:
        await refuse_quote(uow, actor, quote_id)
    tip_fen = int(body.get("tip_fen") or 0)
    if tip_fen > ctx.settings.max_tip_fen:
        raise DomainError("order_details_invalid", 422, field="tip_fen", type=quote.order_type)
    spec = dict(quote.spec)
    household = (
        await uow.session.execute(
            select(resident_households.c.household_id, resident_households.c.elderly_alone).where(
                resident_households.c.community_id == actor.community_id,
                resident_households.c.user_id == actor.id,
            )
        )
    ).first()
    recipient = spec.get("recipient")
    receiving = await recipient_household(uow, actor, recipient)
    pickup, dropoff = spec.get("pickup"), spec["dropoff"]
    anchor = pickup or dropoff  # where the courier goes first: what the feed measures from
    scheduled_at = parse_time(spec.get("scheduled_at"))
    details = {
        key: spec[key]
        for key in (
            "merchant_id",
            "items",
            "weight_kg",
            "floors",
            "parcel_code",
            "bill_account",
            "bill_kind",
            "queue_minutes",
            "time_slot",
            "service_kind",
        )
        if spec.get(key) is not None
    }
    values = {
        "id": order_id,
        "community_id": actor.community_id,
        "requester_id": actor.id,
        "household_id": household.household_id if household else actor.household_id,
        # Priority follows the household that receives, not only the one that pays.
        "elderly_alone": bool(household and household.elderly_alone)
        or bool(receiving and receiving.elderly_alone),
        "recipient": recipient,
        "recipient_household_id": receiving.household_id if receiving else None,
        # `sms_due`: the recipient is a name and phone; errand.order.recipient_code.v1 takes the
        # code to the gateway (a notification if the phone has an account, else an SMS).
        "recipient_notice": None if recipient is None else ("notification" if receiving else "sms_due"),
        "order_type": quote.order_type,
        "status": OrderStatus.DISPATCHING.value,
        "price_fen": quote.price_fen,
        "tip_fen": tip_fen,
        "breakdown": quote.breakdown,
        "note": body.get("note"),
        "pickup": pickup,
        "dropoff": dropoff,
        "details": details,
        "pickup_building": pickup["building"] if pickup else None,
        "dropoff_building": dropoff["building"],
        "lat": anchor["lat"],
        "lng": anchor["lng"],
        "distance_m": quote.distance_m,
        "scheduled_at": scheduled_at,
        "delivery_code": f"{secrets.randbelow(10_000):04d}",
        "created_at": now,
        "dispatch_expires_at": max(now, scheduled_at or now)
        + timedelta(seconds=ctx.settings.dispatch_timeout_seconds),
        "updated_at": now,
    }
    row = (await uow.session.execute(insert(orders).values(**values).returning(orders))).one()
    created = await record_timeline(uow, row, None, "create", actor=actor.id, role="requester", at=now)
    uow.emit(
        OrderCreatedV1(**event_fields(row), tip_fen=tip_fen, scheduled_at=scheduled_at),
        actor_id=actor.id,
    )
    if row.recipient_notice == "sms_due" and recipient is not None:
        uow.emit(
            OrderRecipientCodeV1(
                community_id=row.community_id,
                order_id=row.id,
                requester_id=row.requester_id,
                order_type=row.order_type,
                recipient_phone=recipient["phone"],
                delivery_code=row.delivery_code,
            ),
            actor_id=actor.id,
        )
    found = await order_people(uow, row.community_id, [row], ctx.settings.points, [created])
    response = order_view(row, Party.REQUESTER, timeline=[created], people_=found)
    if claim is not None:
        await claim.record(uow, 201, response)
    await uow.commit()
    await index_open(ctx, row)
    return Created(201, response, replayed=False)


# -- reading -------------------------------------------------------------------------------------------
async def get_order(
    ctx: ErrandContext, uow: UnitOfWork, guard: OrderGuard, order_id: uuid.UUID
) -> dict[str, Any]:
    row = await load_order(uow, guard.actor, order_id)
    party = guard.check(row)
    return await view_of(ctx, uow, row, party)


async def list_orders(
    ctx: ErrandContext,
    uow: UnitOfWork,
    actor: CurrentUser,
    *,
    as_: str,
    status: str | None,
    limit: int,
    cursor: str | None,
) -> dict[str, Any]:
    owner = orders.c.requester_id if as_ == "requester" else orders.c.courier_id
    party = Party.REQUESTER if as_ == "requester" else Party.COURIER
    if party is Party.COURIER and not actor.has_any("courier"):
        return {"items": [], "next_cursor": None}
    query = select(orders).where(orders.c.community_id == actor.community_id, owner == actor.id)
    if status is not None:
        query = query.where(orders.c.status == status)
    page = newest_first(query, key=orders.c.created_at, id_column=orders.c.id, cursor=cursor, limit=limit)
    rows, next_cursor = page_of(
        (await uow.session.execute(page)).all(), limit, lambda r: (r.created_at, r.id)
    )
    found = await order_people(uow, actor.community_id, rows, ctx.settings.points)
    return {"items": [order_view(row, party, people_=found) for row in rows], "next_cursor": next_cursor}


async def cancel_quote(
    ctx: ErrandContext, uow: UnitOfWork, guard: OrderGuard, order_id: uuid.UUID
) -> dict[str, Any]:
    row = await load_order(uow, guard.actor, order_id)
    guard.check(row)
    now = ctx.now()
    status = OrderStatus(row.status)
    cancellable = (status, Action.CANCEL) in _cancellable
    rules = ctx.settings.cancellation
    fee = (
        cancellation_fee(
            rules, status=row.status, price_fen=row.price_fen, accepted_at=row.accepted_at, now=now
        )
        if cancellable
        else 0
    )
    free_until = None
    if cancellable and row.accepted_at is not None:
        free_until = (row.accepted_at + timedelta(seconds=rules.free_grace_seconds)).isoformat()
    return {
        "order_id": str(row.id),
        "status": row.status,
        "cancellable": cancellable,
        "fee_fen": fee,
        "free_until": free_until,
    }


_cancellable = {(OrderStatus.DISPATCHING, Action.CANCEL), (OrderStatus.ACCEPTED, Action.CANCEL)}


# -- transitions -------------------------------------------------------------------------------------
async def accept(
    ctx: ErrandContext, uow: UnitOfWork, actor: CurrentUser, order_id: uuid.UUID
) -> dict[str, Any]:
    """First accept wins: the conditional UPDATE lets exactly one courier move the row out of
    `dispatching`; the others find it taken. The courier's profile row is locked first, so one
    courier's parallel accepts cannot overshoot their concurrent-job limit."""
    if not actor.has_any("courier"):
        raise NotFound()
    now = ctx.now()
    profile = (
        await uow.session.execute(
            select(couriers)
            .where(couriers.c.community_id == actor.community_id, couriers.c.user_id == actor.id)
            .with_for_update()
        )
    ).first()
    current = await load_order(uow, actor, order_id)
    if current.courier_id == actor.id and current.status == OrderStatus.ACCEPTED:
        return await view_of(ctx, uow, current, Party.COURIER)
    if current.requester_id == actor.id:
        raise DomainError("cannot_accept_own_order")
    ORDER.step(OrderStatus(current.status), Action.ACCEPT)  # taken / illegal before any other check
    if profile is None or not profile.active:
        raise DomainError("courier_not_verified", 403)
    if await ctx.index.location(actor.community_id, actor.id) is None:
        raise DomainError("courier_offline")
    level = level_for(ctx.settings.points, profile.points)
    active = (
        await uow.session.execute(
            select(func.count())
            .select_from(orders)
            .where(
                orders.c.community_id == actor.community_id,
                orders.c.courier_id == actor.id,
                orders.c.status.in_([s.value for s in ACTIVE_FOR_COURIER]),
            )
        )
    ).scalar_one()
    if active >= level.max_concurrent_jobs:
        raise DomainError("courier_at_capacity", max_jobs=level.max_concurrent_jobs, level=level.code)
    row = (
        await uow.session.execute(
            update(orders)
            .where(
                orders.c.id == order_id,
                orders.c.community_id == actor.community_id,
                orders.c.status == OrderStatus.DISPATCHING.value,
            )
            .values(status=OrderStatus.ACCEPTED.value, courier_id=actor.id, accepted_at=now, updated_at=now)
            .returning(orders)
        )
    ).first()
    if row is None:
        # Lost the race: someone else's accept committed between our read and our update.
        latest = await load_order(uow, actor, order_id)
        ORDER.step(OrderStatus(latest.status), Action.ACCEPT)
        raise DomainError("order_already_taken", status=latest.status)
    await record_timeline(
        uow, row, OrderStatus.DISPATCHING, Action.ACCEPT.value, actor=actor.id, role="courier", at=now
    )
    uow.emit(OrderAcceptedV1(**event_fields(row)), actor_id=actor.id)
    view = await view_of(ctx, uow, row, Party.COURIER)
    await uow.commit()
    await ctx.index.remove_open(row.community_id, row.id)
    return view


async def courier_step(
    ctx: ErrandContext,
    uow: UnitOfWork,
    guard: OrderGuard,
    order_id: uuid.UUID,
    action: Action,
    *,
    note: str | None = None,
) -> dict[str, Any]:
    """arrive / pickup / fail: the courier moves their own order on."""
    row = await load_order(uow, guard.actor, order_id, lock=True)
    party = guard.check(row)
    now = ctx.now()
    extra: dict[str, Any] = {"fail_reason": note} if action is Action.FAIL else {}
    updated = await move(
        uow, row, action, actor=guard.actor.id, role="courier", at=now, values=extra, note=note
    )
    if updated is not None and action is Action.PICKUP:
        uow.emit(OrderPickedUpV1(**event_fields(updated)), actor_id=guard.actor.id)
    return await finish(ctx, uow, updated or row, party)


async def photo_welcome(uow: UnitOfWork, guard: OrderGuard, order_id: uuid.UUID) -> bool:
    """Asked before `/deliver` reads its body: 404 unless the caller is this order's courier (a
    stranger's upload is never read, let alone decoded); whether a proof photo would be kept (the
    order holds one, taken with the delivery: a repeat after delivery keeps none, so its photo
    need not be decoded). Ends its transaction, so none stays open while the body arrives."""
    row = await load_order(uow, guard.actor, order_id)
    guard.check(row)
    try:
        welcome = ORDER.step(OrderStatus(row.status), Action.DELIVER).changed
    except DomainError:
        welcome = False  # refused by deliver() itself, after the body is validated, as before
    await uow.rollback()
    return welcome


async def deliver(
    ctx: ErrandContext,
    uow: UnitOfWork,
    guard: OrderGuard,
    order_id: uuid.UUID,
    code: str,
    proof_note: str | None = None,
    photo: StagedPhoto | None = None,
) -> dict[str, Any]:
    """Hand over against the requester's code. A repeat after success is a no-op (a photo sent
    with the repeat is ignored); the photo is stored only with a delivery that commits."""
    row = await load_order(uow, guard.actor, order_id, lock=True)
    party = guard.check(row)
    now = ctx.now()
    if not ORDER.step(OrderStatus(row.status), Action.DELIVER).changed:
        return await finish(ctx, uow, row, party)
    limit = ctx.settings.delivery_code_max_attempts
    if row.delivery_attempts >= limit:
        raise DomainError("delivery_code_locked", max_attempts=limit)
    if not hmac.compare_digest(code.encode(), row.delivery_code.encode()):
        attempts = row.delivery_attempts + 1
        await uow.session.execute(
            update(orders).where(orders.c.id == row.id).values(delivery_attempts=attempts)
        )
        await uow.commit()  # the failed attempt counts even though the request fails
        if attempts >= limit:
            raise DomainError("delivery_code_locked", max_attempts=limit)
        raise DomainError("delivery_code_incorrect", 422, attempts_left=limit - attempts)
    auto_at = now + timedelta(hours=ctx.settings.auto_complete_hours)
    updated = await move(
        uow,
        row,
        Action.DELIVER,
        actor=guard.actor.id,
        role="courier",
        at=now,
        values={"delivered_at": now, "auto_complete_at": auto_at},
        note=proof_note,
    )
    assert updated is not None
    stored: str | None = None
    try:
        if photo is not None:
            stored = await attach(uow, photo, updated, uploaded_by=guard.actor.id, at=now)
        reason, points = delivery_points(ctx.settings.points, accepted_at=row.accepted_at, delivered_at=now)
        await add_points(uow, row.community_id, row.courier_id, row.id, reason, points, now)
        uow.emit(OrderDeliveredV1(**event_fields(updated), auto_complete_at=auto_at), actor_id=guard.actor.id)
        return await finish(ctx, uow, updated, party)
    except BaseException:
        if photo is not None and stored is not None:
            await photos.discard(photo.store, stored)
        raise


async def release(
    ctx: ErrandContext, uow: UnitOfWork, guard: OrderGuard, order_id: uuid.UUID
) -> dict[str, Any]:
    """The courier gives the order back to the feed: within the window after accepting, a few
    times a day, at a points cost."""
    row = await load_order(uow, guard.actor, order_id, lock=True)
    guard.check(row)
    now = ctx.now()
    ORDER.step(OrderStatus(row.status), Action.RELEASE)
    rules = ctx.settings.release
    if not release_window_open(rules, accepted_at=row.accepted_at, now=now):
        raise DomainError("release_window_passed", window_seconds=rules.window_seconds)
    local_midnight = now.astimezone(ctx.zone).replace(hour=0, minute=0, second=0, microsecond=0)
    released_today = (
        await uow.session.execute(
            select(func.count())
            .select_from(points_ledger)
            .where(
                points_ledger.c.community_id == row.community_id,
                points_ledger.c.courier_id == guard.actor.id,
                points_ledger.c.reason == "release",
                points_ledger.c.at >= local_midnight,
            )
        )
    ).scalar_one()
    if released_today >= rules.daily_limit:
        raise DomainError("release_daily_limit_reached", daily_limit=rules.daily_limit)
    updated = await move(
        uow,
        row,
        Action.RELEASE,
        actor=guard.actor.id,
        role="courier",
        at=now,
        values={
            "courier_id": None,
            "accepted_at": None,
            "dispatch_expires_at": now + timedelta(seconds=ctx.settings.dispatch_timeout_seconds),
        },
    )
    assert updated is not None
    await add_points(uow, row.community_id, guard.actor.id, row.id, "release", -rules.points_deduction, now)
    await uow.commit()
    await index_open(ctx, updated)
    return {"id": str(row.id), "status": updated.status, "released": True}


async def cancel(
    ctx: ErrandContext, uow: UnitOfWork, guard: OrderGuard, order_id: uuid.UUID, reason: str
) -> dict[str, Any]:
    row = await load_order(uow, guard.actor, order_id, lock=True)
    party = guard.check(row)
    now = ctx.now()
    fee = cancellation_fee(
        ctx.settings.cancellation,
        status=row.status,
        price_fen=row.price_fen,
        accepted_at=row.accepted_at,
        now=now,
    )
    updated = await move(
        uow,
        row,
        Action.CANCEL,
        actor=guard.actor.id,
        role="requester",
        at=now,
        values={"cancel_fee_fen": fee, "cancel_reason": reason},
        note=reason,
    )
    if updated is None:
        return await finish(ctx, uow, row, party)
    uow.emit(
        OrderCancelledV1(**event_fields(updated), from_status=row.status, cancel_fee_fen=fee),
        actor_id=guard.actor.id,
    )
    view = await finish(ctx, uow, updated, party)
    await ctx.index.remove_open(row.community_id, row.id)
    return view


async def confirm(
    ctx: ErrandContext, uow: UnitOfWork, guard: OrderGuard, order_id: uuid.UUID
) -> dict[str, Any]:
    row = await load_order(uow, guard.actor, order_id, lock=True)
    party = guard.check(row)
    updated = await complete(uow, row, at=ctx.now(), actor=guard.actor.id, auto=False)
    return await finish(ctx, uow, updated or row, party)


async def complete(uow: UnitOfWork, row: Any, *, at: datetime, actor: uuid.UUID | None, auto: bool) -> Any:
    action = Action.AUTO_COMPLETE if auto else Action.CONFIRM
    updated = await move(
        uow,
        row,
        action,
        actor=actor,
        role="system" if auto else "requester",
        at=at,
        values={"completed_at": at, "completion": "auto" if auto else "confirmed"},
    )
    if updated is not None:
        uow.emit(
            OrderCompletedV1(
                **event_fields(updated), tip_fen=updated.tip_fen, completion="auto" if auto else "confirmed"
            ),
            actor_id=actor,
        )
    return updated


async def expire(uow: UnitOfWork, row: Any, *, at: datetime) -> Any:
    updated = await move(uow, row, Action.EXPIRE, actor=None, role="system", at=at, values={})
    if updated is not None:
        uow.emit(OrderExpiredV1(**event_fields(updated)))
    return updated


RATABLE = frozenset({OrderStatus.DELIVERED, OrderStatus.COMPLETED})


async def rate(
    ctx: ErrandContext,
    uow: UnitOfWork,
    guard: OrderGuard,
    order_id: uuid.UUID,
    stars: int,
    comment: str | None,
) -> dict[str, Any]:
    row = await load_order(uow, guard.actor, order_id, lock=True)
    party = guard.check(row)
    if OrderStatus(row.status) not in RATABLE:
        raise DomainError("order_not_delivered_yet", status=row.status)
    if row.rating_stars is not None:
        raise DomainError("order_already_rated")
    now = ctx.now()
    updated = (
        await uow.session.execute(
            update(orders)
            .where(orders.c.id == row.id)
            .values(rating_stars=stars, rating_comment=comment, updated_at=now)
            .returning(orders)
        )
    ).one()
    earned = rating_points(ctx.settings.points, stars)
    if earned is not None and row.courier_id is not None:
        await add_points(uow, row.community_id, row.courier_id, row.id, earned[0], earned[1], now)
    return await finish(ctx, uow, updated, party)


async def tip(
    ctx: ErrandContext, uow: UnitOfWork, guard: OrderGuard, order_id: uuid.UUID, amount_fen: int
) -> dict[str, Any]:
    row = await load_order(uow, guard.actor, order_id, lock=True)
    party = guard.check(row)
    if OrderStatus(row.status) not in RATABLE:
        raise DomainError("order_not_delivered_yet", status=row.status)
    if row.tip_fen + amount_fen > ctx.settings.max_tip_fen:
        raise DomainError("order_details_invalid", 422, field="amount_fen", type=row.order_type)
    updated = (
        await uow.session.execute(
            update(orders)
            .where(orders.c.id == row.id)
            .values(tip_fen=orders.c.tip_fen + amount_fen, updated_at=ctx.now())
            .returning(orders)
        )
    ).one()
    return await finish(ctx, uow, updated, party)
