"""The payment aggregate: its purposes, its state machine and its refunds' arithmetic.

```
pending --paid (callback or query)--> paid --refund--> refunding --all refunded--> refunded
pending --close / expiry--> closed        refunding --partly refunded, or refused--> paid
pending --payment error--> failed         closed|failed --provider says paid--> paid
```
(`MACHINE`; how refunds settle a payment is arithmetic on their sums: `after_refunds`). A refund has
its own machine (`REFUND_MACHINE`).
The last line is not a loophole: when WeChat Pay says money arrived for an order we had closed
(a race between our close and the payer's confirmation), the money is there and is booked; the
service then refunds what it no longer owes.
"""

from __future__ import annotations

from enum import StrEnum

from servicekit.domain import DomainError, Machine


class Purpose(StrEnum):
    ERRAND_ORDER = "errand_order"  # an errand's fee and the tip given when ordering
    ERRAND_GOODS = "errand_goods"  # a 帮买 errand's goods (estimate)
    TIP = "tip"  # a tip added after ordering
    PROPERTY_BILL = "property_bill"  # a property-fee bill
    REPAIR_CHARGE = "repair_charge"  # a paid repair on a report


class Status(StrEnum):
    PENDING = "pending"
    PAID = "paid"
    CLOSED = "closed"
    REFUNDING = "refunding"
    REFUNDED = "refunded"
    FAILED = "failed"


class Action(StrEnum):
    PAY = "pay"
    CLOSE = "close"
    FAIL = "fail"
    REFUND = "refund"


# The only moves. A repeated PAY, CLOSE or FAIL is a no-op (flaky networks, replayed callbacks), and
# so is money WeChat Pay confirms again for a payment already refunding or refunded.
MACHINE: Machine[Status, Action] = Machine(
    {
        (Status.PENDING, Action.PAY): Status.PAID,
        (Status.CLOSED, Action.PAY): Status.PAID,
        (Status.FAILED, Action.PAY): Status.PAID,
        (Status.REFUNDING, Action.PAY): Status.REFUNDING,
        (Status.REFUNDED, Action.PAY): Status.REFUNDED,
        (Status.PENDING, Action.CLOSE): Status.CLOSED,
        (Status.PENDING, Action.FAIL): Status.FAILED,
        (Status.PAID, Action.REFUND): Status.REFUNDING,
        (Status.REFUNDING, Action.REFUND): Status.REFUNDING,
    },
    illegal="payment_illegal_transition",
    repeatable=frozenset({Action.PAY, Action.CLOSE, Action.FAIL}),
    state_param="status",
)

LIVE = frozenset({Status.PAID, Status.REFUNDING, Status.REFUNDED})


# A refund: `pending` (asked, not yet sent or answered) --WeChat Pay accepts--> `processing`
# --> `succeeded` | `failed` (CLOSED or ABNORMAL at WeChat Pay). An ended refund takes no news.
class RefundStatus(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class RefundAction(StrEnum):
    ACCEPT = "accept"  # WeChat Pay answers PROCESSING
    SUCCEED = "succeed"
    FAIL = "fail"


REFUND_MACHINE: Machine[RefundStatus, RefundAction] = Machine(
    {
        (RefundStatus.PENDING, RefundAction.ACCEPT): RefundStatus.PROCESSING,
        # Asked again while it processes: still processing (WeChat Pay's refund id noted again).
        (RefundStatus.PROCESSING, RefundAction.ACCEPT): RefundStatus.PROCESSING,
        (RefundStatus.PENDING, RefundAction.SUCCEED): RefundStatus.SUCCEEDED,
        (RefundStatus.PROCESSING, RefundAction.SUCCEED): RefundStatus.SUCCEEDED,
        (RefundStatus.PENDING, RefundAction.FAIL): RefundStatus.FAILED,
        (RefundStatus.PROCESSING, RefundAction.FAIL): RefundStatus.FAILED,
    },
    illegal="refund_illegal_transition",
    repeatable=frozenset({RefundAction.SUCCEED, RefundAction.FAIL}),
    state_param="status",
)
REFUND_ENDED = frozenset({RefundStatus.SUCCEEDED, RefundStatus.FAILED})

# WeChat Pay did not answer (or is not configured): the client may try again after this long.
RETRY_AFTER_SECONDS = 5


def provider_unavailable() -> DomainError:
    return DomainError("payment_provider_unavailable", 503, retry_after=RETRY_AFTER_SECONDS)


def provider_unconfigured() -> DomainError:
    return DomainError("payment_provider_unconfigured", 503, retry_after=RETRY_AFTER_SECONDS)


def after_refunds(amount_fen: int, refunded_fen: int, in_flight: int) -> Status:
    """The status once refunds settle: ``refunded_fen`` succeeded, ``in_flight`` still pending."""
    if in_flight:
        return Status.REFUNDING
    if refunded_fen >= amount_fen:
        return Status.REFUNDED
    return Status.PAID


def refundable(amount_fen: int, refunded_or_pending_fen: int, requested_fen: int) -> int:
    """How much of ``requested_fen`` can still be refunded (never more than was paid)."""
    return max(0, min(requested_fen, amount_fen - refunded_or_pending_fen))
