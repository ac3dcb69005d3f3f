"""Domain errors of the payments service: each carries a stable code and the HTTP status it maps
to (messages.py holds their texts in zh-CN, en and ko; main.py answers them as problem+json)."""

from __future__ import annotations

from collections.abc import Mapping


class DomainError(Exception):
    code = "payment_error"
    status = 409

    def __init__(self, **params: object) -> None:
        super().__init__(self.code)
        self.params: Mapping[str, object] = params


class IllegalTransition(DomainError):
    code = "payment_illegal_transition"


class NothingToPay(DomainError):
    code = "payment_nothing_due"


class NotPayableNow(DomainError):
    code = "payment_not_payable_now"


class PurposeNotSupported(DomainError):
    code = "payment_purpose_unsupported"
    status = 422


class OpenIdRequired(DomainError):
    code = "payment_openid_required"
    status = 422


class ProviderNotConfigured(DomainError):
    code = "payment_provider_unconfigured"
    status = 503


class ProviderUnavailable(DomainError):
    code = "payment_provider_unavailable"
    status = 503


class RefundTooLarge(DomainError):
    code = "refund_exceeds_paid"
    status = 422
