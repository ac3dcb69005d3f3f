"""Incoming events -> use cases. Maps each consumed event_type to its handler."""

from __future__ import annotations

from contracts import (
    Envelope,
    EventPayload,
    HouseholdVerifiedV1,
    OrderCompletedV1,
    PaymentSucceededV1,
    RefundSucceededV1,
    RoleGrantedV1,
    RoleRevokedV1,
    UserDeletedV1,
)
from errand.adapters.tables import people
from errand.service_layer import money
from errand.service_layer.couriers import record_household, set_courier_active
from errand.service_layer.erasure import erase_person
from servicekit.consumer import EventHandler
from servicekit.db import UnitOfWork
from servicekit.people import forget_person, learning_people


async def on_role_granted(envelope: Envelope, event: EventPayload, uow: UnitOfWork) -> None:
    assert isinstance(event, RoleGrantedV1)
    if event.role == "courier":
        await set_courier_active(uow, event.community_id, event.user_id, active=True, at=envelope.occurred_at)


async def on_role_revoked(envelope: Envelope, event: EventPayload, uow: UnitOfWork) -> None:
    assert isinstance(event, RoleRevokedV1)
    if event.role == "courier":
        # The profile (points, history) stays; the courier can no longer accept.
        await set_courier_active(
            uow, event.community_id, event.user_id, active=False, at=envelope.occurred_at
        )


async def on_household_verified(envelope: Envelope, event: EventPayload, uow: UnitOfWork) -> None:
    assert isinstance(event, HouseholdVerifiedV1)
    await record_household(
        uow,
        event.community_id,
        event.user_id,
        event.household_id,
        event.building,
        elderly_alone=event.elderly_alone,
        at=envelope.occurred_at,
    )


async def on_user_deleted(envelope: Envelope, event: EventPayload, uow: UnitOfWork) -> None:
    assert isinstance(event, UserDeletedV1)
    await erase_person(uow, event.community_id, event.user_id)
    await forget_person(uow, people, event.community_id, event.user_id)


async def on_payment_succeeded(envelope: Envelope, event: EventPayload, uow: UnitOfWork) -> None:
    assert isinstance(event, PaymentSucceededV1)
    if event.purpose in money.ERRAND_PURPOSES:
        await money.record_paid(
            uow, event.community_id, event.ref_id, paid_fen=event.amount_fen, at=envelope.occurred_at
        )
        await money.settle_if_due(uow, event.community_id, event.ref_id, at=envelope.occurred_at)


async def on_refund_succeeded(envelope: Envelope, event: EventPayload, uow: UnitOfWork) -> None:
    assert isinstance(event, RefundSucceededV1)
    if event.purpose in money.ERRAND_PURPOSES:
        await money.record_paid(
            uow, event.community_id, event.ref_id, refunded_fen=event.refund_fen, at=envelope.occurred_at
        )


async def on_order_completed(envelope: Envelope, event: EventPayload, uow: UnitOfWork) -> None:
    """Errand's own completion, heard back from the exchange: settle it if it is paid already."""
    assert isinstance(event, OrderCompletedV1)
    await money.settle_if_due(uow, event.community_id, event.order_id, at=envelope.occurred_at)


# The gateway's events about people also feed the people projection (servicekit.people): the
# names an order shows for its requester and courier.
handlers: dict[str, EventHandler] = learning_people(
    people,
    {
        RoleGrantedV1.event_type: on_role_granted,
        RoleRevokedV1.event_type: on_role_revoked,
        HouseholdVerifiedV1.event_type: on_household_verified,
        UserDeletedV1.event_type: on_user_deleted,
        PaymentSucceededV1.event_type: on_payment_succeeded,
        RefundSucceededV1.event_type: on_refund_succeeded,
        OrderCompletedV1.event_type: on_order_completed,
    },
)
