"""schemathesis 4 against the payments service's OpenAPI: no generated request may make the service
answer 5xx. WeChat Pay is the local server (tests/payments/wechatpay_server.py), so creating a
payment reaches the provider; the callbacks get generated bodies and headers (all refused, 4xx).

The service runs as a real uvicorn server on its own event loop in a background thread, because
schemathesis' generated tests are synchronous; the token holds every role."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

import payments.main
from payments.config import Settings
from servicekit.stack import ServiceSpec, running_stack
from servicekit.testing import new_namespace, served_in_thread
from servicekit.tokens import TokenSigner
from tests.payments.wechatpay_server import Keys, WechatPayServer

SIGNER = TokenSigner.generate()
TOKEN = SIGNER.sign(
    user_id=uuid.uuid4(),
    community_id=uuid.uuid4(),
    roles=["resident", "courier", "property_manager", "committee", "admin"],
    household_id=uuid.uuid4(),
    building="3",
    ttl_seconds=3600,
)
schema = schemathesis.openapi.from_dict(payments.main.create_app(Settings()).openapi())


@contextlib.asynccontextmanager
async def payments_url() -> AsyncIterator[str]:
    keys = Keys()
    wechat = WechatPayServer(keys)
    base = await wechat.start()
    spec = ServiceSpec("payments", Settings, payments.main.create_app, payments.main.MIGRATIONS)
    try:
        async with running_stack(
            [spec],
            namespace=new_namespace(),
            public_key_pem=SIGNER.public_pem,
            overrides={"payments": {**keys.settings(base), "sweep_interval_seconds": 0}},
        ) as stack:
            yield stack.urls["payments"]
    finally:
        await wechat.stop()


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with served_in_thread(payments_url, name="payments-under-test") as url:
        yield url


@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case: schemathesis.Case, base_url: str) -> None:
    response = case.call(base_url=base_url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
    assert response.status_code < 500, (case.method, case.path, response.status_code, response.text[:500])
