"""SMS delivery behind one small interface: a local catcher in development (readable at
`GET /dev/sms`), Tencent Cloud SMS (API 3.0 `SendSms`, TC3-HMAC-SHA256 signed) elsewhere.

Tencent Cloud's protocol: POST `/` at the endpoint with a JSON body and the headers `X-TC-Action:
SendSms`, `X-TC-Version: 2021-01-11`, `X-TC-Timestamp`, `X-TC-Region` and `Authorization:
TC3-HMAC-SHA256 Credential=<SecretId>/<date>/sms/tc3_request, SignedHeaders=content-type;host,
Signature=<hex>`, where the signature is HMAC-SHA256 over "TC3-HMAC-SHA256\\n<timestamp>\\n<scope>\\n
<sha256(canonical request)>" with a key derived from the SecretKey by date, service and
"tc3_request". The answer is `{"Response": {"SendStatusSet": [{"Code": "Ok", ...}], "RequestId"}}`
or `{"Response": {"Error": {"Code", "Message"}, "RequestId"}}`.
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

import aiohttp
from fastapi import FastAPI

from gateway.config import Settings
from servicekit.domain import DomainError
from servicekit.health import HealthCheck
from servicekit.logging import get_logger
from servicekit.runtime import ServiceRuntime

log = get_logger(__name__)

TENCENT_VERSION = "2021-01-11"
TENCENT_SERVICE = "sms"
_CATCHER_SIZE = 1000


@dataclass(frozen=True, slots=True)
class Sms:
    phone: str
    text: str
    code: str
    purpose: str
    sent_at: datetime


class SmsProvider(Protocol):
    async def send(self, sms: Sms) -> None: ...


class SmsCatcher:
    """Development: messages are kept in memory, newest last, and shown at `GET /dev/sms`."""

    def __init__(self) -> None:
        self.messages: collections.deque[Sms] = collections.deque(maxlen=_CATCHER_SIZE)

    async def send(self, sms: Sms) -> None:
        self.messages.append(sms)

    def for_phone(self, phone: str | None) -> list[Sms]:
        return [m for m in reversed(self.messages) if phone is None or m.phone == phone]


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def tc3_signature(
    *,
    secret_key: str,
    host: str,
    payload: str,
    timestamp: int,
    content_type: str,
    service: str = TENCENT_SERVICE,
) -> tuple[str, str]:
    """(credential scope, hex signature) of a TC3-HMAC-SHA256 POST to `/` with headers
    content-type and host signed."""
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    canonical_request = "\n".join(
        [
            "POST",
            "/",
            "",
            f"content-type:{content_type}\nhost:{host}\n",
            "content-type;host",
            hashlib.sha256(payload.encode()).hexdigest(),
        ]
    )
    scope = f"{date}/{service}/tc3_request"
    string_to_sign = "\n".join(
        ["TC3-HMAC-SHA256", str(timestamp), scope, hashlib.sha256(canonical_request.encode()).hexdigest()]
    )
    key = _hmac(_hmac(_hmac(("TC3" + secret_key).encode(), date), service), "tc3_request")
    return scope, hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class TencentSms:
    session: aiohttp.ClientSession
    endpoint: str
    secret_id: str
    secret_key: str
    region: str
    sdk_app_id: str
    sign_name: str
    template_id: str
    timeout_seconds: float
    delivery_template_id: str = ""

    async def send(self, sms: Sms) -> None:
        body: dict[str, Any] = {
            "PhoneNumberSet": [f"+86{sms.phone}"],
            "SmsSdkAppId": self.sdk_app_id,
            "SignName": self.sign_name,
            "TemplateId": (self.delivery_template_id or self.template_id)
            if sms.purpose == "delivery"
            else self.template_id,
            "TemplateParamSet": [sms.code],
        }
        payload = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        content_type = "application/json; charset=utf-8"
        host = urlsplit(self.endpoint).netloc
        timestamp = int(time.time())
        scope, signature = tc3_signature(
            secret_key=self.secret_key,
            host=host,
            payload=payload,
            timestamp=timestamp,
            content_type=content_type,
        )
        headers = {
            "Authorization": (
                f"TC3-HMAC-SHA256 Credential={self.secret_id}/{scope}, "
                f"SignedHeaders=content-type;host, Signature={signature}"
            ),
            "Content-Type": content_type,
            "Host": host,
            "X-TC-Action": "SendSms",
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Version": TENCENT_VERSION,
            "X-TC-Region": self.region,
        }
        try:
            async with self.session.post(
                self.endpoint.rstrip("/") + "/",
                data=payload.encode(),
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.timeout_seconds),
            ) as response:
                answer = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise DomainError("sms_unavailable", 503) from exc
        result = answer.get("Response", {}) if isinstance(answer, dict) else {}
        error = result.get("Error")
        statuses = result.get("SendStatusSet") or []
        if error or not statuses or statuses[0].get("Code") != "Ok":
            log.warning(
                "sms_refused",
                error=(error or {}).get("Code") if isinstance(error, dict) else None,
                status=statuses[0].get("Code") if statuses else None,
                request_id=result.get("RequestId"),
            )
            raise DomainError("sms_unavailable", 503)


@contextlib.asynccontextmanager
async def sms_provider(app: FastAPI, runtime: ServiceRuntime) -> AsyncIterator[Mapping[str, HealthCheck]]:
    settings = runtime.settings
    assert isinstance(settings, Settings)
    provider: SmsProvider
    if settings.sms_provider == "tencent":
        provider = TencentSms(
            session=app.state.upstream_session,
            endpoint=settings.sms_tencent_endpoint,
            secret_id=settings.sms_tencent_secret_id,
            secret_key=settings.sms_tencent_secret_key.get_secret_value(),
            region=settings.sms_tencent_region,
            sdk_app_id=settings.sms_tencent_sdk_app_id,
            sign_name=settings.sms_tencent_sign_name,
            template_id=settings.sms_tencent_template_id,
            delivery_template_id=settings.sms_tencent_delivery_template_id,
            timeout_seconds=settings.sms_timeout_seconds,
        )
    else:
        if settings.environment != "development":
            log.warning("sms_catcher_outside_development", environment=settings.environment)
        provider = SmsCatcher()
    app.state.sms = provider
    yield {}
