"""A reports app per test module (see helpers.running_service); a community per test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.reports.helpers import Community, Service, running_service


@pytest.fixture(scope="module")
async def service() -> AsyncIterator[Service]:
    async with running_service() as running:
        yield running


@pytest.fixture
def community(service: Service) -> AsyncIterator[Community]:
    yield Community(service)
    service.set_clock(None)
