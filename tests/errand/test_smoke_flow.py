"""The whole happy path once, as a resident and a courier would go through it."""

from __future__ import annotations

from tests.errand.conftest import ErrandApp
from tests.errand.helpers import drive, go_online, make_courier, place_order, post


async def test_an_errand_from_quote_to_completion(errand_app: ErrandApp) -> None:
    client, community = errand_app.client, errand_app.community()
    requester = community.person("resident")
    courier = await make_courier(errand_app.app, community)
    await go_online(client, courier)
    order = await place_order(client, requester)
    assert order["status"] == "dispatching"
    assert len(order["delivery_code"]) == 4
    await drive(client, order, courier, requester, "completed")
    final = await client.get(f"/api/v1/errand/orders/{order['id']}", headers=requester.headers)
    body = final.json()
    assert body["status"] == "completed"
    assert [row["to_status"] for row in body["timeline"]] == [
        "dispatching",
        "accepted",
        "arrived",
        "picked_up",
        "delivered",
        "completed",
    ]
    rated = await post(client, order["id"], "rate", requester, {"stars": 5})
    assert rated.status_code == 200
