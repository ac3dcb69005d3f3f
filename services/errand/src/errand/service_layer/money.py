"""An errand's money, learnt from the payments service's events only (docs/architecture.md §11).

- `payments.payment.succeeded.v1` / `payments.refund.succeeded.v1` for an order (purposes
  errand_order, tip, errand_goods) add to what the order has been paid / refunded;
- the order's own `errand.order.completed.v1` marks it done;
- once an order is both completed and paid, errand settles it: `errand.order.settled.v1` says
  what the courier earns (what was paid, less the platform's commission on the fee; tips are
  the courier's whole), and the payments service moves it from the order's escrow to the courier.
  The commission is 0 %: the courier's earnings (`GET /courier/earnings`) are fee + tips.

Separate from orders.py on purpose: the order state machine does not know about money.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from contracts import OrderSettledV1
from errand.adapters.tables import order_money, orders
from servicekit.db import UnitOfWork

ERRAND_PURPOSES = frozenset({"errand_order", "tip", "errand_goods"})
# The platform takes no commission today (the contract: a courier earns fee + tips).
COMMISSION_PERCENT = 0


async def record_paid(
    uow: UnitOfWork,
    community_id: uuid.UUID,
    order_id: uuid.UUID,
    *,
    paid_fen: int = 0,
    refunded_fen: int = 0,
    at: datetime,
) -> None:
    statement = pg_insert(order_money).values(
        order_id=order_id,
        community_id=community_id,
        paid_fen=paid_fen,
        refunded_fen=refunded_fen,
        updated_at=at,
    )
    await uow.session.execute(
        statement.on_conflict_do_update(
            index_elements=[order_money.c.order_id],
            set_={
                "paid_fen": order_money.c.paid_fen + paid_fen,
                "refunded_fen": order_money.c.refunded_fen + refunded_fen,
                "updated_at": at,
            },
        )
    )


def platform_fee(price_fen: int, paid_fen: int, commission_percent: int) -> int:
    """The platform's commission: a share of the fee part of what was paid, never of the tip."""
    return min(price_fen, paid_fen) * commission_percent // 100


async def settle_if_due(
    uow: UnitOfWork,
    community_id: uuid.UUID,
    order_id: uuid.UUID,
    *,
    at: datetime,
    commission_percent: int = COMMISSION_PERCENT,
) -> bool:
    """Emit `errand.order.settled.v1` once, when the order is completed and something was paid."""
    money = (
        await uow.session.execute(
            select(order_money).where(order_money.c.order_id == order_id).with_for_update()
        )
    ).first()
    if money is None or money.settled_at is not None or money.paid_fen - money.refunded_fen <= 0:
        return False
    order = (
        await uow.session.execute(
            select(orders).where(orders.c.id == order_id, orders.c.community_id == community_id)
        )
    ).first()
    if order is None or order.status != "completed" or order.courier_id is None:
        return False
    paid = int(money.paid_fen - money.refunded_fen)
    fee = platform_fee(order.price_fen, paid, commission_percent)
    await uow.session.execute(
        update(order_money).where(order_money.c.order_id == order_id).values(settled_at=at)
    )
    uow.emit(
        OrderSettledV1(
            community_id=community_id,
            order_id=order_id,
            requester_id=order.requester_id,
            courier_id=order.courier_id,
            order_type=order.order_type,
            price_fen=order.price_fen,
            tip_fen=order.tip_fen,
            recipient_household_id=order.recipient_household_id,
            paid_fen=paid,
            courier_earnings_fen=paid - fee,
            platform_fee_fen=fee,
        )
    )
    return True
