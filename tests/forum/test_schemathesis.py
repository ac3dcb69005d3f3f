"""schemathesis 4 against the forum service's OpenAPI, with a valid token holding staff and
resident roles: whatever it sends, the service never answers 5xx.

The service runs as a real uvicorn server on its own event loop in a thread (schemathesis
drives synchronous requests), with its own database, exchange and Redis prefix."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

import forum.main
from forum.config import Settings
from servicekit.testing import new_namespace, served_in_thread
from tests.e2e.stack import stack_of
from tests.forum.helpers import SIGNER

TOKEN = SIGNER.sign(
    user_id=uuid.uuid4(),
    community_id=uuid.uuid4(),
    roles=["resident", "property_manager", "committee", "admin"],
    household_id=uuid.uuid4(),
    building="3号楼",
    ttl_seconds=3600,
)

schema = schemathesis.openapi.from_dict(forum.main.create_app(Settings()).openapi())


@contextlib.asynccontextmanager
async def forum_url() -> AsyncIterator[str]:
    namespace = new_namespace()
    overrides = {"forum": {"redis_prefix": f"wltest:{namespace}:forum:", "jobs_enabled": False}}
    async with stack_of(["forum"], namespace=namespace, signer=SIGNER, overrides=overrides) as stack:
        yield stack.urls["forum"]


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    with served_in_thread(forum_url, name="forum-under-test") as url:
        yield url


@schema.parametrize()
@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case: schemathesis.Case, server_url: str) -> None:
    response = case.call(base_url=server_url, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code < 500, (case.method, case.path, response.status_code, response.text[:500])
