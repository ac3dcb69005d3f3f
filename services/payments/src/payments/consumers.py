"""Incoming events -> use cases.

- `errand.order.*.v1` keep the projection of errand orders (what a payment for an order costs);
  `cancelled` / `expired` also take the cancellation fee and refund the rest (service_layer/errands.py);
- `errand.order.settled.v1` credits the courier's earnings from the order's escrow;
- `gateway.household.verified.v1` records who may see and pay a household's property bills.
The inbox makes every redelivery a no-op; the ledger's unique (kind, ref) makes even a second
event about the same fact book nothing.
"""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert as pg_insert

from contracts import (
    Envelope,
    EventPayload,
    HouseholdVerifiedV1,
    OrderAcceptedV1,
    OrderCancelledV1,
    OrderCompletedV1,
    OrderCreatedV1,
    OrderDeliveredV1,
    OrderEvent,
    OrderExpiredV1,
    OrderPickedUpV1,
    OrderSettledV1,
)
from payments.adapters.tables import household_members
from payments.service_layer import errands
from servicekit.consumer import EventHandler
from servicekit.db import UnitOfWork


async def on_order_event(envelope: Envelope, event: EventPayload, uow: UnitOfWork) -> None:
    assert isinstance(event, OrderEvent)
    order = await errands.record_order(uow, envelope, event)
    if isinstance(event, OrderCancelledV1 | OrderExpiredV1) and order["status"] == event.status:
        await errands.unwind(uow, order, envelope.occurred_at)


async def on_order_settled(envelope: Envelope, event: EventPayload, uow: UnitOfWork) -> None:
    assert isinstance(event, OrderSettledV1)
    await errands.record_order(uow, envelope, event)
    await errands.settle(uow, event, envelope.occurred_at)


async def on_household_verified(envelope: Envelope, event: EventPayload, uow: UnitOfWork) -> None:
    assert isinstance(event, HouseholdVerifiedV1)
    await uow.session.execute(
        pg_insert(household_members)
        .values(community_id=event.community_id, user_id=event.user_id, household_id=event.household_id)
        .on_conflict_do_nothing()
    )


handlers: dict[str, EventHandler] = {
    **{
        model.event_type: on_order_event
        for model in (
            OrderCreatedV1,
            OrderAcceptedV1,
            OrderPickedUpV1,
            OrderDeliveredV1,
            OrderCompletedV1,
            OrderCancelledV1,
            OrderExpiredV1,
        )
    },
    OrderSettledV1.event_type: on_order_settled,
    HouseholdVerifiedV1.event_type: on_household_verified,
}
