"""schemathesis 4 against the reports service's OpenAPI (the `/api/v1/reports` API and Open311):
no generated request may make the service answer 5xx.

The service runs as a real uvicorn server on its own event loop in a background thread, because
schemathesis' generated tests are synchronous; the token holds every role so the generated calls
reach past authentication."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

import reports.main
from reports.config import Settings
from servicekit.stack import ServiceSpec, running_stack
from servicekit.testing import new_namespace, served_in_thread
from servicekit.tokens import TokenSigner

SIGNER = TokenSigner.generate()
COMMUNITY = uuid.uuid4()
TOKEN = SIGNER.sign(
    user_id=uuid.uuid4(),
    community_id=COMMUNITY,
    roles=["resident", "property_manager", "committee", "admin"],
    household_id=uuid.uuid4(),
    building="3",
    ttl_seconds=3600,
)
schema = schemathesis.openapi.from_dict(reports.main.create_app(Settings()).openapi())


@contextlib.asynccontextmanager
async def reports_url() -> AsyncIterator[str]:
    spec = ServiceSpec("reports", Settings, reports.main.create_app, reports.main.MIGRATIONS)
    async with running_stack([spec], namespace=new_namespace(), public_key_pem=SIGNER.public_pem) as stack:
        yield stack.urls["reports"]


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with served_in_thread(reports_url, name="reports-under-test") as url:
        yield url


@schema.parametrize()
@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case: schemathesis.Case, base_url: str) -> None:
    response = case.call(base_url=base_url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
    assert response.status_code < 500, (case.method, case.path, response.status_code, response.text[:500])
