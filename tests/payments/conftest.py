"""A payments app and a local WeChat Pay server per test module; a community per test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from tests.payments.helpers import Community, Service, running_service


@pytest.fixture(scope="module")
async def service() -> AsyncIterator[Service]:
    async with running_service() as running:
        yield running


@pytest.fixture
def community(service: Service) -> Iterator[Community]:
    yield Community(service)
    service.set_clock(None)
    service.wechat.down = False
    service.wechat.refunds_succeed_at_once = False
