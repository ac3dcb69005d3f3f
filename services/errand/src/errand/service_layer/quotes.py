"""Quotes: price an errand described by the request body, and say why a quote cannot become an
order. The household a recipient belongs to is checked here (a quote and an order both need it)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, NoReturn

from sqlalchemy import func, insert, select

from errand.adapters.tables import (
    merchants,
    quotes,
    resident_households,
)
from errand.domain.geo import distance_m
from errand.domain.rules import (
    price_errand,
)
from errand.domain.specs import OrderDetails, check_details
from errand.service_layer.context import ErrandContext
from servicekit.auth import CurrentUser
from servicekit.db import UnitOfWork
from servicekit.domain import DomainError


async def create_quote(
    ctx: ErrandContext, uow: UnitOfWork, actor: CurrentUser, spec: dict[str, Any]
) -> dict[str, Any]:
    """Price the errand described by ``spec`` (the validated request body, JSON-ready)."""
    now = ctx.now()
    await recipient_household(uow, actor, spec.get("recipient"))
    order_type = spec["type"]
    pickup, dropoff = spec.get("pickup"), spec["dropoff"]
    if order_type == "buy":
        merchant = await _merchant_for(uow, actor.community_id, spec, dropoff)
        spec = {**spec, "merchant_id": str(merchant.id)}
        pickup = {
            "building": merchant.name[:64],
            "detail": merchant.address,
            "lat": merchant.lat,
            "lng": merchant.lng,
        }
        spec["pickup"] = pickup
    check_details(
        OrderDetails(
            order_type=order_type,
            has_pickup=pickup is not None,
            merchant_id=spec.get("merchant_id"),
            nearest_merchant=bool(spec.get("nearest_merchant")),
            items=tuple(spec.get("items") or ()),
            parcel_code=spec.get("parcel_code"),
            bill_account=spec.get("bill_account"),
            queue_minutes=int(spec.get("queue_minutes") or 0),
            has_time_slot=spec.get("time_slot") is not None,
        )
    )
    scheduled_at = parse_time(spec.get("scheduled_at"))
    if scheduled_at is not None and not now <= scheduled_at <= now + timedelta(days=7):
        raise DomainError("order_details_invalid", 422, field="scheduled_at", type=order_type)
    distance = (
        0.0 if pickup is None else distance_m(pickup["lat"], pickup["lng"], dropoff["lat"], dropoff["lng"])
    )
    rules = ctx.settings.pricing
    if distance > rules.max_distance_m:
        raise DomainError(
            "outside_service_area", 422, distance_m=round(distance), max_distance_m=rules.max_distance_m
        )
    price = price_errand(
        rules,
        order_type=order_type,
        distance_m=distance,
        weight_kg=float(spec.get("weight_kg") or 0),
        floors_without_lift=int(spec.get("floors") or 0),
        queue_minutes=int(spec.get("queue_minutes") or 0),
        local_time=(scheduled_at or now).astimezone(ctx.zone),
    )
    breakdown = [{k: v for k, v in vars(line).items() if v is not None} for line in price.breakdown]
    quote_id = uuid.uuid4()
    expires_at = now + timedelta(seconds=ctx.settings.quote_ttl_seconds)
    await uow.session.execute(
        insert(quotes).values(
            id=quote_id,
            community_id=actor.community_id,
            requester_id=actor.id,
            order_type=order_type,
            spec=spec,
            price_fen=price.price_fen,
            breakdown=breakdown,
            distance_m=round(distance),
            created_at=now,
            expires_at=expires_at,
        )
    )
    await uow.commit()
    return {
        "quote_id": str(quote_id),
        "type": order_type,
        "price_fen": price.price_fen,
        "breakdown": breakdown,
        "distance_m": round(distance),
        "expires_at": expires_at.isoformat(),
    }


async def _merchant_for(
    uow: UnitOfWork, community_id: uuid.UUID, spec: dict[str, Any], dropoff: dict[str, Any]
) -> Any:
    query = select(merchants).where(merchants.c.community_id == community_id)
    if spec.get("merchant_id"):
        row = (
            await uow.session.execute(query.where(merchants.c.id == uuid.UUID(spec["merchant_id"])))
        ).first()
        if row is None:
            raise DomainError("order_details_invalid", 422, field="merchant_id", type="buy")
        return row
    if not spec.get("nearest_merchant"):
        raise DomainError("order_details_invalid", 422, field="merchant_id", type="buy")
    if spec.get("merchant_category"):
        query = query.where(merchants.c.category == spec["merchant_category"])
    # "nearest" (就近买): squared degree distance is enough to rank shops within one circle.
    lat, lng = dropoff["lat"], dropoff["lng"]
    nearest = (
        await uow.session.execute(
            query.order_by(func.power(merchants.c.lat - lat, 2) + func.power(merchants.c.lng - lng, 2)).limit(
                1
            )
        )
    ).first()
    if nearest is None:
        raise DomainError("order_details_invalid", 422, field="merchant_category", type="buy")
    return nearest


def parse_time(value: Any) -> datetime | None:
    if value is None:
        return None
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


async def recipient_household(uow: UnitOfWork, actor: CurrentUser, recipient: dict[str, Any] | None) -> Any:
    """The recipient's household as this service knows it (verified households of the caller's
    community, with their elderly-alone flag); a household id it does not know: 422."""
    if not recipient or not recipient.get("household_id"):
        return None
    found = (
        await uow.session.execute(
            select(resident_households.c.household_id, resident_households.c.elderly_alone)
            .where(
                resident_households.c.community_id == actor.community_id,
                resident_households.c.household_id == uuid.UUID(str(recipient["household_id"])),
            )
            .limit(1)
        )
    ).first()
    if found is None:
        raise DomainError("recipient_household_unknown", 422)
    return found


async def refuse_quote(uow: UnitOfWork, actor: CurrentUser, quote_id: uuid.UUID) -> NoReturn:
    quote = (
        await uow.session.execute(
            select(quotes.c.order_id, quotes.c.expires_at).where(
                quotes.c.id == quote_id,
                quotes.c.community_id == actor.community_id,
                quotes.c.requester_id == actor.id,
            )
        )
    ).first()
    if quote is None:
        raise DomainError("quote_not_found", 404)
    if quote.order_id is not None:
        raise DomainError("quote_already_used", order_id=str(quote.order_id))
    raise DomainError("quote_expired", 410, expired_at=quote.expires_at.isoformat())
