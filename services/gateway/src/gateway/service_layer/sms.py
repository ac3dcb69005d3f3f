"""SMS verification codes: issue (rate limited per phone), verify (five wrong tries kill a code).

Only a hash of each code is stored. A new code for a phone and purpose replaces the earlier ones.
A code is spent by its first correct use. Codes for purposes that need an account (reset, login,
delete) are only sent when the account exists, with the same 202 either way, so the endpoint tells
nobody which phones have accounts.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from datetime import timedelta

from sqlalchemy import select, update

from gateway.adapters.ratelimit import Limit, RateLimiter, RateLimiterUnavailable, retry_after_header
from gateway.adapters.sms import Sms, SmsProvider
from gateway.adapters.tables import sms_codes, users
from gateway.config import Settings
from servicekit.clock import system_clock as _now
from servicekit.db import UnitOfWork
from servicekit.domain import DomainError

PURPOSES = ("register", "reset", "login", "delete")
_TEXTS = {
    "register": "【微邻里】您的注册验证码为{code}，{minutes}分钟内有效。",
    "reset": "【微邻里】您正在重置密码，验证码为{code}，{minutes}分钟内有效。如非本人操作请忽略。",
    "login": "【微邻里】您的登录验证码为{code}，{minutes}分钟内有效。",
    "delete": "【微邻里】您正在注销账号，验证码为{code}，{minutes}分钟内有效。如非本人操作请忽略。",
}


# The delivery code of an errand, to a recipient who has no account (no language known: zh-CN).
_DELIVERY_TEXT = "【微邻里】有人为您下了一笔{kind}跑腿订单，收货码{code}，送达时请告诉跑腿员。"
_ORDER_KINDS = {
    "buy": "帮买",
    "deliver": "帮送",
    "pickup_parcel": "代取快递",
    "pay_bill": "代缴",
    "queue": "排队取号",
    "home_service": "家政维修",
}


async def send_delivery_code(provider: SmsProvider, *, phone: str, code: str, order_type: str) -> None:
    text = _DELIVERY_TEXT.format(kind=_ORDER_KINDS.get(order_type, ""), code=code)
    await provider.send(Sms(phone, text, code, "delivery", _now()))


def _hash(phone: str, purpose: str, code: str) -> str:
    return hashlib.sha256(f"{phone}:{purpose}:{code}".encode()).hexdigest()


async def request_code(
    uow: UnitOfWork,
    settings: Settings,
    limiter: RateLimiter,
    provider: SmsProvider,
    *,
    phone: str,
    purpose: str,
) -> None:
    limits = [
        Limit(f"sms-minute:{phone}", settings.sms_per_minute, 60.0),
        Limit(f"sms-hour:{phone}", settings.sms_per_hour, 3600.0),
    ]
    try:
        wait = await limiter.check(limits)
    except RateLimiterUnavailable:
        # Fails closed: every code sent costs money and can be used to harass a number.
        raise DomainError("rate_limiter_unavailable", 503, retry_after=1) from None
    if wait > 0:
        raise DomainError("sms_rate_limited", 429, retry_after=retry_after_header(wait))
    has_account = (
        await uow.session.scalar(
            select(users.c.id).where(users.c.phone == phone, users.c.deleted_at.is_(None))
        )
        is not None
    )
    if (purpose == "register") == has_account:
        return  # nothing to verify for this phone; the answer is the same 202
    code = f"{secrets.randbelow(10**6):06d}"
    now = _now()
    await uow.session.execute(
        update(sms_codes)
        .where(sms_codes.c.phone == phone, sms_codes.c.purpose == purpose, sms_codes.c.used_at.is_(None))
        .values(used_at=now)
    )
    await uow.session.execute(
        sms_codes.insert().values(
            id=uuid.uuid4(),
            phone=phone,
            purpose=purpose,
            code_hash=_hash(phone, purpose, code),
            expires_at=now + timedelta(seconds=settings.sms_code_ttl_seconds),
        )
    )
    await uow.commit()
    minutes = settings.sms_code_ttl_seconds // 60
    await provider.send(Sms(phone, _TEXTS[purpose].format(code=code, minutes=minutes), code, purpose, now))


async def spend_code(uow: UnitOfWork, settings: Settings, *, phone: str, purpose: str, code: str) -> None:
    """Spend the phone's live code for the purpose in this unit of work, or raise.

    A wrong code counts an attempt (committed at once, whatever the caller does next); the fifth
    wrong one kills the code (`sms_code_dead`), and so does every try after it.
    """
    row = (
        await uow.session.execute(
            select(sms_codes)
            .where(
                sms_codes.c.phone == phone,
                sms_codes.c.purpose == purpose,
                sms_codes.c.used_at.is_(None),
                sms_codes.c.expires_at > _now(),
            )
            .order_by(sms_codes.c.created_at.desc())
            .limit(1)
            .with_for_update()
        )
    ).first()
    if row is None:
        raise DomainError("sms_code_invalid", 422)
    if row.attempts >= settings.sms_code_max_attempts:
        raise DomainError("sms_code_dead", 422)
    if not hmac.compare_digest(row.code_hash, _hash(phone, purpose, code)):
        attempts = row.attempts + 1
        await uow.session.execute(update(sms_codes).where(sms_codes.c.id == row.id).values(attempts=attempts))
        await uow.commit()
        raise DomainError(
            "sms_code_dead" if attempts >= settings.sms_code_max_attempts else "sms_code_invalid", 422
        )
    await uow.session.execute(update(sms_codes).where(sms_codes.c.id == row.id).values(used_at=_now()))
