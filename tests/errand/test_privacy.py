"""Personal data (docs/architecture.md §4): before acceptance a courier sees the building only; exact places
and codes reach only the courier who accepted; nothing of it ever reaches another courier, the
feed or the events; once an order is final its codes are masked for everyone."""

from __future__ import annotations

import json

from tests.errand.conftest import ErrandApp
from tests.errand.helpers import drive, go_online, make_courier, place, place_order, post

PARCEL_CODE = "8-4-2719"
BILL_ACCOUNT = "0105566778"
SECRETS = ["2719", "0105566778", "1101", "号楼", "13800138000", "leave it with the guard"]


async def test_feed_and_other_couriers_never_see_addresses_or_codes(errand_app: ErrandApp) -> None:
    client, community = errand_app.client, errand_app.community()
    requester = community.person("resident")
    courier, other = (
        await make_courier(errand_app.app, community),
        await make_courier(errand_app.app, community),
    )
    await go_online(client, courier)
    await go_online(client, other)
    dropoff = place("3", -100, contact_phone="13800138000")
    parcel = await place_order(
        client,
        requester,
        "pickup_parcel",
        parcel_code=PARCEL_CODE,
        dropoff=dropoff,
        note="leave it with the guard",
    )
    bill = await place_order(client, requester, "pay_bill", bill_account=BILL_ACCOUNT, dropoff=dropoff)
    assert parcel["pickup_code"] == PARCEL_CODE  # the requester sees their own codes
    assert bill["bill_account"] == BILL_ACCOUNT

    feed = await client.get("/api/v1/errand/courier/feed", headers=other.headers)
    assert feed.status_code == 200
    cards = {card["id"]: card for card in feed.json()["items"]}
    assert {parcel["id"], bill["id"]} <= set(cards)
    assert cards[parcel["id"]]["dropoff_building"] == "3"
    for secret in SECRETS:
        assert secret not in feed.text, secret

    accepted = await post(client, parcel["id"], "accept", courier)
    assert accepted.status_code == 200
    view = accepted.json()
    assert view["pickup_code"] == PARCEL_CODE
    assert view["dropoff"]["room"] == "1101"
    assert view["delivery_code"] is None  # the requester hands it over; the courier never reads it
    await post(client, bill["id"], "accept", courier)
    courier_bill = await client.get(f"/api/v1/errand/orders/{bill['id']}", headers=courier.headers)
    assert courier_bill.json()["bill_account"] == BILL_ACCOUNT

    for order_id in (parcel["id"], bill["id"]):
        peek = await client.get(f"/api/v1/errand/orders/{order_id}", headers=other.headers)
        assert peek.status_code == 404
        for secret in SECRETS:
            assert secret not in peek.text
    admin = await client.get(
        f"/api/v1/errand/orders/{parcel['id']}", headers=community.person("admin").headers
    )
    assert admin.status_code == 200
    assert admin.json()["pickup_code"] == "******19"
    assert admin.json()["dropoff"] is None
    assert "1101" not in admin.text


async def test_codes_are_masked_for_everyone_once_completed(errand_app: ErrandApp) -> None:
    client, community = errand_app.client, errand_app.community()
    requester = community.person("resident")
    courier = await make_courier(errand_app.app, community)
    await go_online(client, courier)
    order = await place_order(client, requester, "pickup_parcel", parcel_code=PARCEL_CODE)
    await drive(client, order, courier, requester, "completed")
    for who in (requester, courier):
        view = (await client.get(f"/api/v1/errand/orders/{order['id']}", headers=who.headers)).json()
        assert view["pickup_code"] == "******19"
        assert view["delivery_code"] in (None, "****")
        assert PARCEL_CODE not in json.dumps(view)


async def test_events_carry_ids_not_codes(errand_app: ErrandApp) -> None:
    client, community = errand_app.client, errand_app.community()
    requester = community.person("resident")
    courier = await make_courier(errand_app.app, community)
    await go_online(client, courier)
    order = await place_order(client, requester, "pickup_parcel", parcel_code=PARCEL_CODE)
    await drive(client, order, courier, requester, "completed")
    tap = errand_app.events
    await tap.wait_for(tap.of_order(order["id"], "errand.order.completed.v1"), what="completed")
    published = [e for e in tap.seen if e.payload.get("order_id") == order["id"]]
    assert len(published) == 5
    for envelope in published:
        text = json.dumps(envelope.payload)
        assert PARCEL_CODE not in text
        assert not {"delivery_code", "pickup", "dropoff", "parcel_code"} & set(envelope.payload)
