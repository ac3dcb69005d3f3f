"""schemathesis 4 against the errand service's OpenAPI, with a valid token holding every role:
whatever it sends, the service never answers 5xx.

The service runs as a real uvicorn server on its own event loop in a thread (schemathesis
drives synchronous requests), with its own database, exchange and Redis prefix."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

import errand.main
from errand.config import Settings
from servicekit.testing import new_namespace, served_in_thread
from servicekit.tokens import TokenSigner
from tests.errand.helpers import errand_server

SIGNER = TokenSigner.generate()
COMMUNITY = uuid.uuid4()
TOKEN = SIGNER.sign(
    user_id=uuid.uuid4(),
    community_id=COMMUNITY,
    roles=["resident", "courier", "committee", "admin"],
    household_id=uuid.uuid4(),
    building="3",
    ttl_seconds=3600,
)

schema = schemathesis.openapi.from_dict(errand.main.create_app(Settings(), configure_logs=False).openapi())


@contextlib.asynccontextmanager
async def errand_url() -> AsyncIterator[str]:
    async with errand_server(new_namespace(), SIGNER) as stack:
        yield stack.urls["errand"]


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    with served_in_thread(errand_url, name="errand-under-test") as url:
        yield url


@schema.parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case: schemathesis.Case, server_url: str) -> None:
    response = case.call(base_url=server_url, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code < 500, (case.method, case.path, response.status_code, response.text[:500])
