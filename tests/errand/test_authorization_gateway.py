"""The same authorization matrix through the gateway (real servers): the gateway forwards
`/api/v1/errand/...` untouched and every caller gets the same answer as directly."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from servicekit.stack import Stack
from servicekit.testing import new_namespace
from servicekit.tokens import TokenSigner
from tests.errand.helpers import (
    errand_behind_gateway,
)
from tests.errand.test_authorization import MATRIX, check_endpoint


@pytest.fixture(scope="module")
async def through_gateway() -> AsyncIterator[tuple[Stack, TokenSigner, httpx.AsyncClient]]:
    signer = TokenSigner.generate()
    async with (
        errand_behind_gateway(new_namespace(), signer) as stack,
        httpx.AsyncClient(base_url=stack.urls["gateway"], timeout=30) as client,
    ):
        yield stack, signer, client


@pytest.mark.parametrize("endpoint", list(MATRIX))
async def test_who_may_touch_an_order_through_the_gateway(
    through_gateway: tuple[Stack, TokenSigner, httpx.AsyncClient], endpoint: str
) -> None:
    stack, signer, client = through_gateway
    await check_endpoint(client, stack.apps["errand"], signer, endpoint)
