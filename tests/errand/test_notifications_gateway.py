"""A resident following an order receives each status change as a notification through the
gateway: errand publishes, the gateway's consumer files it in the right person's inbox."""

from __future__ import annotations

import asyncio

import httpx

from servicekit.testing import new_namespace
from servicekit.tokens import TokenSigner
from tests.errand.helpers import (
    Community,
    Person,
    drive,
    enrol_in_gateway,
    errand_behind_gateway,
    go_online,
    make_courier,
    place_order,
)


async def inbox_types(client: httpx.AsyncClient, who: Person, order_id: str) -> list[str]:
    response = await client.get("/api/v1/me/notifications", params={"limit": "50"}, headers=who.headers)
    assert response.status_code == 200, response.text
    return [
        item["event_type"]
        for item in response.json()["items"]
        if item.get("data", {}).get("order_id") == order_id
    ]


async def wait_for_inbox(
    client: httpx.AsyncClient, who: Person, order_id: str, expected: set[str]
) -> list[str]:
    for _ in range(200):
        seen = await inbox_types(client, who, order_id)
        if expected <= set(seen):
            return seen
        await asyncio.sleep(0.05)
    raise AssertionError(f"inbox has {seen}, expected {expected}")


async def test_requester_and_courier_are_notified_of_each_status_change() -> None:
    signer = TokenSigner.generate()
    async with (
        errand_behind_gateway(new_namespace(), signer) as stack,
        httpx.AsyncClient(base_url=stack.urls["gateway"], timeout=30) as client,
    ):
        community = Community(signer)
        requester = community.person("resident")
        courier = await make_courier(stack.apps["errand"], community)
        await enrol_in_gateway(stack.apps["gateway"], community, requester, courier)
        await go_online(client, courier)
        order = await place_order(client, requester)
        await drive(client, order, courier, requester, "completed")
        requester_seen = await wait_for_inbox(
            client,
            requester,
            order["id"],
            {"errand.order.accepted.v1", "errand.order.picked_up.v1", "errand.order.delivered.v1"},
        )
        courier_seen = await wait_for_inbox(client, courier, order["id"], {"errand.order.completed.v1"})
    # Newest first; nobody is told about what they did themselves.
    assert requester_seen == [
        "errand.order.delivered.v1",
        "errand.order.picked_up.v1",
        "errand.order.accepted.v1",
    ]
    assert courier_seen == ["errand.order.completed.v1"]
