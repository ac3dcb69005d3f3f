"""Money end to end (issue 17): the real errand and payments services as servers on one exchange,
WeChat Pay as the local server. Errand and payments learn of each other only through events:

- an order placed at errand becomes payable at payments (its amount from errand's event), is paid
  through WeChat Pay's callback, and once the courier completes it errand settles it and the
  courier's account at payments holds the fee and the tip;
- an order cancelled at errand is refunded in full through WeChat Pay."""

from __future__ import annotations

import asyncio
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from servicekit.testing import new_namespace
from servicekit.tokens import TokenSigner
from tests.e2e.stack import stack_of
from tests.errand.helpers import Community, drive, drop_redis_keys, go_online, make_courier, place_order
from tests.payments.wechatpay_server import Keys, WechatPayServer

NOTIFY = "/api/v1/payments/wechat/notify"
REFUND_NOTIFY = "/api/v1/payments/wechat/refund-notify"


async def eventually(check: Callable[[], Awaitable[Any]], what: str, attempts: int = 300) -> Any:
    for _ in range(attempts):
        result = await check()
        if result:
            return result
        await asyncio.sleep(0.05)
    raise AssertionError(f"never happened: {what}")


async def test_an_errand_is_paid_settled_to_its_courier_and_a_cancelled_one_refunded() -> None:
    namespace, signer, keys = new_namespace(), TokenSigner.generate(), Keys()
    wechat = WechatPayServer(keys)
    base = await wechat.start()
    prefix = f"wltest:{namespace}:errand"
    try:
        with tempfile.TemporaryDirectory(prefix="errand-photos-") as photos:
            async with stack_of(
                ["errand", "payments"],
                namespace=namespace,
                signer=signer,
                overrides={
                    "errand": {"redis_key_prefix": prefix, "photo_root": photos},
                    "payments": {
                        **keys.settings(base),
                        "sweep_interval_seconds": 0,
                        "sweep_after_seconds": 0,
                    },
                },
            ) as stack:
                try:
                    async with (
                        httpx.AsyncClient(base_url=stack.urls["errand"], timeout=10) as errand,
                        httpx.AsyncClient(base_url=stack.urls["payments"], timeout=10) as money,
                    ):
                        await _flows(stack.apps, errand, money, wechat, Community(signer))
                finally:
                    await drop_redis_keys(stack.settings["errand"].redis_url, prefix)
    finally:
        await wechat.stop()


async def _flows(
    apps: dict[str, Any],
    errand: httpx.AsyncClient,
    money: httpx.AsyncClient,
    wechat: WechatPayServer,
    community: Community,
) -> None:
    requester = community.person("resident")
    courier = await make_courier(apps["errand"], community)
    await go_online(errand, courier)

    # Paid before dispatch, completed, settled to the courier.
    order = await place_order(errand, requester, tip_fen=200)
    due = int(order["price_fen"]) + 200

    payment = await eventually(
        lambda: _created(money, requester.headers, order["id"]),
        "payments learns of the order from errand's event",
    )
    assert payment["amount_fen"] == due
    no = uuid.UUID(payment["id"]).hex
    wechat.pay(no)
    assert (await wechat.post(money, NOTIFY, wechat.payment_callback(no))).status_code == 204
    await drive(errand, order, courier, requester, "completed")

    async def courier_balance() -> int:
        ledger = await money.get("/api/v1/payments/ledger", headers=courier.headers)
        return int(ledger.json()["balance_fen"])

    await eventually(lambda: _equals(courier_balance, due), "the courier's account holds fee + tip")

    # Cancelled while dispatching (no fee): refunded in full through WeChat Pay.
    second = await place_order(errand, requester)
    created = await eventually(
        lambda: _created(money, requester.headers, second["id"]), "payments learns of the second order"
    )
    second_no = uuid.UUID(created["id"]).hex
    wechat.pay(second_no)
    wechat.refunds_succeed_at_once = True
    assert (await wechat.post(money, NOTIFY, wechat.payment_callback(second_no))).status_code == 204
    cancelled = await errand.post(
        f"/api/v1/errand/orders/{second['id']}/cancel",
        json={"reason": "changed my mind"},
        headers=requester.headers,
    )
    assert cancelled.status_code == 200, cancelled.text

    async def refunded() -> bool:
        await apps["payments"].state.sweep.run_once(datetime.now(UTC))
        view = await money.get(f"/api/v1/payments/{created['id']}", headers=requester.headers)
        return bool(view.json()["status"] == "refunded")

    await eventually(refunded, "the cancelled order is refunded", attempts=100)
    assert sum(refund.amount for refund in wechat.refunds.values()) == created["amount_fen"]


async def _equals(read: Callable[[], Awaitable[int]], expected: int) -> bool:
    return await read() == expected


async def _created(money: httpx.AsyncClient, headers: dict[str, str], order_id: str) -> dict[str, Any] | None:
    response = await money.post(
        "/api/v1/payments",
        json={"purpose": "errand_order", "ref_id": order_id, "openid": "o-requester"},
        headers=headers,
    )
    return response.json() if response.status_code == 201 else None
