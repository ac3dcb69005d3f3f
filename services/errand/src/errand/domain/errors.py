"""Domain errors: each carries a stable code and the HTTP status it maps to (docs/architecture.md §5)."""

from __future__ import annotations

from collections.abc import Mapping


class DomainError(Exception):
    code = "domain_error"
    status = 409

    def __init__(self, **params: object) -> None:
        super().__init__(self.code)
        self.params: Mapping[str, object] = params


class IllegalTransition(DomainError):
    code = "order_transition_not_allowed"


class OrderAlreadyTaken(DomainError):
    code = "order_already_taken"


class CannotAcceptOwnOrder(DomainError):
    code = "cannot_accept_own_order"


class CourierNotVerified(DomainError):
    code = "courier_not_verified"
    status = 403


class CourierOffline(DomainError):
    code = "courier_offline"


class CourierAtCapacity(DomainError):
    code = "courier_at_capacity"


class ReleaseWindowPassed(DomainError):
    code = "release_window_passed"


class ReleaseLimitReached(DomainError):
    code = "release_daily_limit_reached"


class DeliveryCodeIncorrect(DomainError):
    code = "delivery_code_incorrect"
    status = 422


class DeliveryCodeLocked(DomainError):
    code = "delivery_code_locked"


class AlreadyRated(DomainError):
    code = "order_already_rated"


class NotRatableYet(DomainError):
    code = "order_not_delivered_yet"


class QuoteExpired(DomainError):
    code = "quote_expired"
    status = 410


class QuoteAlreadyUsed(DomainError):
    code = "quote_already_used"


class OutsideServiceArea(DomainError):
    code = "outside_service_area"
    status = 422


class OrderDetailsInvalid(DomainError):
    """A field the order type needs is missing or does not fit the type."""

    code = "order_details_invalid"
    status = 422
