"""A community that has errands paid on delivery: no payment before the courier delivered."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from contracts import OrderDeliveredV1
from tests.payments.helpers import Community, Service, running_service


@pytest.fixture(scope="module")
async def service() -> AsyncIterator[Service]:
    async with running_service(errand_payment_timing="on_delivery") as running:
        yield running


async def test_an_errand_is_paid_once_delivered(service: Service) -> None:
    community = Community(service)
    payer, courier = community.resident(), community.person("courier")
    order_id = await community.order(payer, price_fen=900, tip_fen=0)
    early = await community.pay_intent(payer, order_id)
    assert early.status_code == 409
    assert early.json()["code"] == "payment_not_payable_now"
    await community.accept(order_id, payer, courier, price_fen=900)
    await service.deliver(
        OrderDeliveredV1(
            community_id=community.id,
            order_id=order_id,
            requester_id=payer.id,
            courier_id=courier.id,
            order_type="buy",
            price_fen=900,
            auto_complete_at=datetime.now(UTC) + timedelta(hours=24),
        )
    )
    payment = await community.paid(payer, order_id)
    assert payment["amount_fen"] == 900
    assert await service.balance(community.id, "escrow", order_id) == 900
