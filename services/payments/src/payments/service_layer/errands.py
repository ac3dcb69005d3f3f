"""Errands' money, learnt only from errand's events (docs/architecture.md §11):

- every `errand.order.*` event keeps the local projection (price, tip, courier, status): the amount
  of a payment comes from there, never from the client;
- `cancelled` / `expired`: the cancellation fee (as errand quoted it) goes from the order's escrow
  to the courier who had accepted (or the platform), the rest is refunded through WeChat Pay;
- `errand.order.settled.v1`: the escrow goes to the courier, less the platform's fee;
- a payment that arrives after the order ended is refunded; a tip paid after settlement goes
  straight on to the courier.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from contracts import Envelope, OrderCancelledV1, OrderCompletedV1, OrderCreatedV1, OrderEvent, OrderSettledV1
from payments.adapters import ledger_store
from payments.adapters.tables import errand_orders, payments, refunds
from payments.domain import ledger
from payments.domain.payments import Status
from payments.service_layer.payments import ERRAND_PURPOSES, OPEN_REFUNDS, request_refund
from servicekit.db import UnitOfWork

TERMINAL = ("completed", "cancelled", "expired", "failed")
ENDED_UNPAID = ("cancelled", "expired", "failed")


async def record_order(uow: UnitOfWork, envelope: Envelope, event: OrderEvent) -> dict[str, Any]:
    """Upsert the order as the event describes it; a late event never moves an ended order back."""
    values: dict[str, Any] = {
        "community_id": event.community_id,
        "order_id": event.order_id,
        "requester_id": event.requester_id,
        "courier_id": event.courier_id,
        "order_type": event.order_type,
        "status": event.status,
        "price_fen": event.price_fen,
        "updated_at": envelope.occurred_at,
    }
    changes = dict(values)
    changes.pop("order_id")
    changes.pop("community_id")
    if event.courier_id is None:
        changes.pop("courier_id")
    if isinstance(event, OrderCreatedV1):
        values["order_tip_fen"] = values["tip_fen"] = event.tip_fen
    if isinstance(event, OrderCompletedV1):
        values["tip_fen"] = changes["tip_fen"] = event.tip_fen
    if isinstance(event, OrderCancelledV1):
        values["cancel_fee_fen"] = changes["cancel_fee_fen"] = event.cancel_fee_fen
    statement = pg_insert(errand_orders).values(**values)
    await uow.session.execute(
        statement.on_conflict_do_update(
            index_elements=[errand_orders.c.order_id],
            set_=changes,
            where=errand_orders.c.status.not_in(TERMINAL) | (errand_orders.c.status == event.status),
        )
    )
    row = (
        (await uow.session.execute(select(errand_orders).where(errand_orders.c.order_id == event.order_id)))
        .mappings()
        .one()
    )
    return dict(row)


async def escrow_free(uow: UnitOfWork, community_id: uuid.UUID, order_id: uuid.UUID) -> int:
    """What the order's escrow holds that no refund in flight is already taking."""
    held = await ledger_store.balance(uow, community_id, ledger.Account(ledger.AccountKind.ESCROW, order_id))
    in_flight = (
        await uow.session.execute(
            select(func.coalesce(func.sum(refunds.c.amount_fen), 0))
            .select_from(refunds.join(payments, refunds.c.payment_id == payments.c.id))
            .where(
                payments.c.ref_id == order_id,
                payments.c.purpose.in_([purpose.value for purpose in ERRAND_PURPOSES]),
                refunds.c.status.in_(OPEN_REFUNDS),
            )
        )
    ).scalar_one()
    return held - int(in_flight)


async def unwind(uow: UnitOfWork, order: dict[str, Any], now: datetime) -> None:
    """An order that ended without delivery: the fee as quoted, the rest back to the payer."""
    community_id, order_id = order["community_id"], order["order_id"]
    escrow = ledger.Account(ledger.AccountKind.ESCROW, order_id)
    free = await escrow_free(uow, community_id, order_id)
    fee = min(int(order["cancel_fee_fen"]), max(free, 0))
    if fee > 0:
        to = (
            ledger.Account(ledger.AccountKind.COURIER, order["courier_id"])
            if order["courier_id"]
            else ledger.Account(ledger.AccountKind.PLATFORM, community_id)
        )
        booked = await ledger_store.post(
            uow,
            community_id,
            ledger.split_from_escrow(
                kind=ledger.MovementKind.CANCEL_FEE, ref=str(order_id), escrow=escrow, shares=[(to, fee)]
            ),
            now,
        )
        if booked:
            free -= fee
    if free <= 0:
        return
    reason = "order_cancelled" if order["status"] == "cancelled" else "order_expired"
    live = (
        (
            await uow.session.execute(
                select(payments)
                .where(
                    payments.c.ref_id == order_id,
                    payments.c.purpose.in_([purpose.value for purpose in ERRAND_PURPOSES]),
                    payments.c.status.in_([Status.PAID.value, Status.REFUNDING.value]),
                )
                .order_by(payments.c.paid_at.desc())
                .with_for_update()
            )
        )
        .mappings()
        .all()
    )
    for payment in live:
        if free <= 0:
            break
        before = free
        refund_id = await request_refund(uow, payment, free, reason, now)
        if refund_id is not None:
            amount = (
                await uow.session.execute(select(refunds.c.amount_fen).where(refunds.c.id == refund_id))
            ).scalar_one()
            free = before - int(amount)


async def settle(uow: UnitOfWork, event: OrderSettledV1, now: datetime) -> None:
    """The order is completed and paid: its escrow goes to the courier, less the platform's fee."""
    await uow.session.execute(
        update(errand_orders)
        .where(errand_orders.c.order_id == event.order_id, errand_orders.c.settled_at.is_(None))
        .values(settled_at=now, courier_id=event.courier_id, platform_fee_fen=event.platform_fee_fen)
    )
    await _pass_on(
        uow,
        event.community_id,
        event.order_id,
        event.courier_id,
        event.platform_fee_fen,
        str(event.order_id),
        now,
    )


async def _pass_on(
    uow: UnitOfWork,
    community_id: uuid.UUID,
    order_id: uuid.UUID,
    courier_id: uuid.UUID,
    platform_fee_fen: int,
    ref: str,
    now: datetime,
) -> None:
    free = await escrow_free(uow, community_id, order_id)
    if free <= 0:
        return
    platform = min(platform_fee_fen, free)
    shares = [(ledger.Account(ledger.AccountKind.COURIER, courier_id), free - platform)]
    if platform:
        shares.append((ledger.Account(ledger.AccountKind.PLATFORM, community_id), platform))
    await ledger_store.post(
        uow,
        community_id,
        ledger.split_from_escrow(
            kind=ledger.MovementKind.SETTLEMENT,
            ref=ref,
            escrow=ledger.Account(ledger.AccountKind.ESCROW, order_id),
            shares=[(account, amount) for account, amount in shares if amount > 0],
        ),
        now,
    )


async def after_errand_payment(
    uow: UnitOfWork, community_id: uuid.UUID, order_id: uuid.UUID, payment_id: uuid.UUID, now: datetime
) -> None:
    order = (
        (await uow.session.execute(select(errand_orders).where(errand_orders.c.order_id == order_id)))
        .mappings()
        .first()
    )
    if order is None:
        return
    if order["status"] in ENDED_UNPAID:
        await unwind(uow, dict(order), now)
    elif order["settled_at"] is not None and order["courier_id"] is not None:
        # Money after settlement (a tip paid late): straight on to the courier, no platform fee.
        await _pass_on(uow, community_id, order_id, order["courier_id"], 0, f"{order_id}:{payment_id}", now)
