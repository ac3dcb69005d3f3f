"""WeChat Pay's callbacks (no token: the signature is the proof).

`POST /api/v1/payments/wechat/notify` (payments) and `/refund-notify` (refunds). WeChat Pay reads
2xx as received; anything else it repeats later (for about a day), so a 4xx here means "not
believed": a bad or stale signature, a resource that does not decrypt, an order we do not know, an
amount that is not the order's. Those answer `{"code": "FAIL", "message": ...}` and credit nothing;
a valid callback, also when replayed, answers 204 and is booked once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from payments.adapters.wechatpay import SignatureRejected, WechatPayClient
from payments.api.deps import clock, provider_of
from payments.api.schemas import ProviderAnswer
from payments.service_layer.payments import Outcome, on_payment_notification, on_refund_notification
from servicekit.app import get_runtime
from servicekit.db import UnitOfWork
from servicekit.i18n import negotiate_locale, translate
from servicekit.logging import get_logger

router = APIRouter(prefix="/api/v1/payments/wechat", tags=["wechat-pay"])
log = get_logger(__name__)

# Only for the callbacks' documentation: their failure answer is WeChat Pay's, not problem+json.
_FAIL: dict[int | str, dict[str, Any]] = {
    status: {"model": ProviderAnswer, "description": "not believed; nothing credited"}
    for status in (400, 401, 404, 503)
}

_STATUS = {
    "missing_headers": 401,
    "bad_timestamp": 401,
    "stale_timestamp": 401,
    "unknown_serial": 401,
    "bad_signature": 401,
    "bad_algorithm": 400,
    "undecryptable": 400,
}


def fail(request: Request, status: int, reason: str) -> JSONResponse:
    _, message = translate(
        f"wechatpay_{reason}", negotiate_locale(request.headers.get("accept-language")), {}
    )
    return JSONResponse({"code": "FAIL", "message": message}, status_code=status)


async def _open(request: Request) -> tuple[Any, Response | None]:
    client = provider_of(request)
    if client is None:
        return None, fail(request, 503, "not_configured")
    raw = await request.body()
    try:
        body = raw.decode("utf-8")
        notification = client.open_notification(request.headers, body)
    except UnicodeDecodeError:
        return None, fail(request, 400, "undecryptable")
    except SignatureRejected as exc:
        log.warning("wechatpay_callback_rejected", reason=exc.reason)
        return None, fail(request, _STATUS.get(exc.reason, 400), exc.reason)
    return (client, notification), None


@router.post("/notify", status_code=204, responses=_FAIL)
async def payment_notify(request: Request) -> Response:
    return await _apply(request, on_payment_notification)


@router.post("/refund-notify", status_code=204, responses=_FAIL)
async def refund_notify(request: Request) -> Response:
    return await _apply(request, on_refund_notification)


Apply = Callable[[UnitOfWork, WechatPayClient, dict[str, Any], datetime], Awaitable[Outcome]]


async def _apply(request: Request, apply: Apply) -> Response:
    opened, refused = await _open(request)
    if refused is not None:
        return refused
    client, notification = opened
    async with get_runtime(request).uow() as uow:
        outcome = await apply(uow, client, notification.resource, clock(request))
    return _answer(request, outcome)


def _answer(request: Request, outcome: Outcome) -> Response:
    if outcome == Outcome.UNKNOWN_ORDER:
        return fail(request, 404, "unknown_order")
    if outcome == Outcome.MISMATCH:
        return fail(request, 400, "amount_mismatch")
    return Response(status_code=204)
