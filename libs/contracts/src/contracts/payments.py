"""Events produced by the payments service. Payloads carry ids and amounts in fen, never a
payer's openid, a provider's transaction id or anything else about the payer's bank."""

from typing import ClassVar, Literal
from uuid import UUID

from contracts.envelope import EventPayload
from contracts.registry import register

__all__ = [
    "PaymentEvent",
    "PaymentFailedV1",
    "PaymentPurpose",
    "PaymentSucceededV1",
    "RefundSucceededV1",
]

#: What a payment pays for; `ref_id` names the object (an errand order, a fee bill, a report).
PaymentPurpose = Literal["errand_order", "errand_goods", "tip", "property_bill", "repair_charge"]


class PaymentEvent(EventPayload):
    """Fields every payment event carries (not an event itself, not registered)."""

    payment_id: UUID
    payer_id: UUID
    purpose: PaymentPurpose
    ref_id: UUID
    amount_fen: int


@register
class PaymentSucceededV1(PaymentEvent):
    """WeChat Pay confirmed the payment (callback or query) and the ledger booked it, once.

    Producer: payments. Consumers: errand (an order paid before dispatch or on delivery; settles),
    gateway (notifies the payer).
    """

    event_type: ClassVar[str] = "payments.payment.succeeded.v1"


@register
class PaymentFailedV1(PaymentEvent):
    """The payment will not be paid: closed (expired unpaid, or closed by the service) or failed at
    the provider. Nothing was booked.

    Producer: payments. Consumers: errand, gateway.
    """

    event_type: ClassVar[str] = "payments.payment.failed.v1"

    reason: Literal["closed", "failed"]


@register
class RefundSucceededV1(PaymentEvent):
    """Money went back to the payer: `refund_fen` this time, `refunded_total_fen` of the payment's
    `amount_fen` so far. `reason` says why (an errand cancelled or expired, a manager's refund).

    Producer: payments. Consumers: errand, gateway (notifies the payer).
    """

    event_type: ClassVar[str] = "payments.refund.succeeded.v1"

    refund_id: UUID
    refund_fen: int
    refunded_total_fen: int
    reason: Literal["order_cancelled", "order_expired", "order_failed", "manual", "overpaid"]
