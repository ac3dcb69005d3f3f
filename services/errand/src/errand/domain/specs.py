"""What each order type needs (docs/contract.md "Order types")."""

from __future__ import annotations

from dataclasses import dataclass

from servicekit.domain import DomainError

ORDER_TYPES = ("buy", "deliver", "pickup_parcel", "pay_bill", "queue", "home_service")


@dataclass(frozen=True)
class OrderDetails:
    order_type: str
    has_pickup: bool
    merchant_id: str | None = None
    nearest_merchant: bool = False
    items: tuple[str, ...] = ()
    parcel_code: str | None = None
    bill_account: str | None = None
    queue_minutes: int = 0
    has_time_slot: bool = False


def check_details(details: OrderDetails) -> None:
    """Raise ``order_details_invalid`` naming the first field the type needs and lacks."""
    missing = _missing_field(details)
    if missing is not None:
        raise DomainError("order_details_invalid", 422, field=missing, type=details.order_type)


def _missing_field(d: OrderDetails) -> str | None:
    match d.order_type:
        case "buy":
            if d.merchant_id is None and not d.nearest_merchant:
                return "merchant_id"  # or nearest_merchant: true (帮买 from the nearest shop)
            if not d.items:
                return "items"
        case "deliver":
            if not d.has_pickup:
                return "pickup"
        case "pickup_parcel":
            if not d.has_pickup:
                return "pickup"
            if not d.parcel_code:
                return "parcel_code"
        case "pay_bill":
            if not d.bill_account:
                return "bill_account"
        case "queue":
            if not d.has_pickup:
                return "pickup"
            if d.queue_minutes <= 0:
                return "queue_minutes"
        case "home_service":
            if not d.has_time_slot:
                return "time_slot"
    return None
