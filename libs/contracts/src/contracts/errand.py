"""Events produced by the errand service (跑腿). Payloads carry ids and prices, never addresses,
parcel codes, bill accounts or delivery codes, with one exception: `errand.order.recipient_code.v1`
carries a recipient's phone and delivery code to the one service that can text it (the gateway)."""

from typing import ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field

from contracts.common import Fen, OrderStatus, OrderType
from contracts.envelope import EventPayload
from contracts.registry import register

__all__ = [
    "OrderAcceptedV1",
    "OrderCancelledV1",
    "OrderCompletedV1",
    "OrderCreatedV1",
    "OrderDeliveredV1",
    "OrderEvent",
    "OrderExpiredV1",
    "OrderPickedUpV1",
    "OrderRecipientCodeV1",
    "OrderSettledV1",
]


class OrderEvent(EventPayload):
    """Fields every errand order event carries (not an event itself, not registered).

    `status` is the order's status after the event; `courier_id` is None until a courier accepts.
    `recipient_household_id` is the household the order is for when the requester named one
    (the gateway tells its verified members of the order's progress); None otherwise.
    """

    order_id: UUID
    requester_id: UUID
    courier_id: UUID | None = None
    order_type: OrderType
    status: OrderStatus
    price_fen: Fen
    recipient_household_id: UUID | None = None


@register
class OrderCreatedV1(OrderEvent):
    """A resident placed an order; it is open to couriers.

    Producer: errand. Consumers: gateway (notifications).
    """

    event_type: ClassVar[str] = "errand.order.created.v1"

    courier_id: None = None
    status: Literal["dispatching"] = "dispatching"
    tip_fen: Fen = 0
    scheduled_at: AwareDatetime | None = None


@register
class OrderAcceptedV1(OrderEvent):
    """A courier took the order (first accept wins).

    Producer: errand. Consumers: gateway (notifies the requester).
    """

    event_type: ClassVar[str] = "errand.order.accepted.v1"

    courier_id: UUID
    status: Literal["accepted"] = "accepted"


@register
class OrderPickedUpV1(OrderEvent):
    """The courier has the goods / parcel / ticket and is on the way.

    Producer: errand. Consumers: gateway (notifies the requester).
    """

    event_type: ClassVar[str] = "errand.order.picked_up.v1"

    courier_id: UUID
    status: Literal["picked_up"] = "picked_up"


@register
class OrderDeliveredV1(OrderEvent):
    """The courier delivered (delivery code checked); the requester confirms, or the order
    completes by itself at `auto_complete_at` (24 h).

    Producer: errand. Consumers: gateway (notifies the requester).
    """

    event_type: ClassVar[str] = "errand.order.delivered.v1"

    courier_id: UUID
    status: Literal["delivered"] = "delivered"
    auto_complete_at: AwareDatetime


@register
class OrderCompletedV1(OrderEvent):
    """The order is completed, confirmed by the requester or automatically after 24 h.

    Producer: errand. Consumers: gateway (notifies the courier).
    """

    event_type: ClassVar[str] = "errand.order.completed.v1"

    courier_id: UUID
    status: Literal["completed"] = "completed"
    tip_fen: Fen = 0
    completion: Literal["confirmed", "auto"]


@register
class OrderCancelledV1(OrderEvent):
    """The requester cancelled the order (from `dispatching` or `accepted`).

    Producer: errand. Consumers: gateway (notifies the courier, if one had accepted).
    `cancel_fee_fen` is the fee charged per the cancellation rules (0 when free).
    """

    event_type: ClassVar[str] = "errand.order.cancelled.v1"

    status: Literal["cancelled"] = "cancelled"
    from_status: Literal["dispatching", "accepted"]
    cancel_fee_fen: Fen = 0


@register
class OrderExpiredV1(OrderEvent):
    """No courier accepted the order in time.

    Producer: errand. Consumers: gateway (notifies the requester).
    """

    event_type: ClassVar[str] = "errand.order.expired.v1"

    courier_id: None = None
    status: Literal["expired"] = "expired"


@register
class OrderRecipientCodeV1(EventPayload):
    """The delivery code is owed to a recipient named by name and phone (no household of the
    community): the gateway sends it as a notification if the phone has an account of the
    community, else as an SMS through its SMS adapter.

    The one payload with private data (the phone and the code), because only the gateway holds
    the SMS adapter and the accounts. Producer: errand. Consumer: gateway.
    """

    event_type: ClassVar[str] = "errand.order.recipient_code.v1"

    order_id: UUID
    requester_id: UUID
    order_type: OrderType
    recipient_phone: str = Field(pattern=r"^\+?[0-9 -]{5,20}$")
    delivery_code: str = Field(pattern=r"^[0-9]{4,8}$")


@register
class OrderSettledV1(OrderEvent):
    """A completed order's money is settled: what the requester paid is the courier's, less the
    platform's commission. Emitted once per order, when it is both completed and paid.

    Producer: errand. Consumers: payments (credits the courier's earnings from the order's escrow),
    gateway (notifies the courier).
    """

    event_type: ClassVar[str] = "errand.order.settled.v1"

    courier_id: UUID
    status: Literal["completed"] = "completed"
    tip_fen: Fen = 0
    paid_fen: Fen
    courier_earnings_fen: Fen
    platform_fee_fen: Fen
