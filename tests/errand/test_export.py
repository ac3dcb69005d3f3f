"""`GET /api/v1/errand/orders/export.csv`: the committee's and admin's CSV of orders, read back
with the csv module; nothing private in it (no addresses, phones, codes or notes)."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

from tests.errand.conftest import ErrandApp
from tests.errand.helpers import Person, drive, go_online, make_courier, place, place_order

EXPORT = "/api/v1/errand/orders/export.csv"
SECRETS = ["8-4-2719", "0105566778", "1101", "13800138000", "leave it with the guard", "王阿姨"]


async def export(app: ErrandApp, person: Person, **params: str) -> list[dict[str, str]]:
    response = await app.client.get(EXPORT, params=params, headers=person.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")
    text = response.content.decode("utf-8-sig")
    for secret in SECRETS:
        assert secret not in text, secret
    return list(csv.DictReader(io.StringIO(text)))


async def test_orders_export_parses_back_without_private_data(errand_app: ErrandApp) -> None:
    client, community = errand_app.client, errand_app.community()
    requester = community.person("resident")
    courier = await make_courier(errand_app.app, community)
    await go_online(client, courier)
    dropoff = place("3", -100, contact_phone="13800138000", contact_name="王阿姨")
    parcel = await place_order(
        client,
        requester,
        "pickup_parcel",
        parcel_code="8-4-2719",
        dropoff=dropoff,
        note="leave it with the guard",
        tip_fen=150,
    )
    bill = await place_order(client, requester, "pay_bill", bill_account="0105566778", dropoff=dropoff)
    await drive(client, parcel, courier, requester, "completed")

    for reader in (community.person("committee"), community.person("admin")):
        rows = await export(errand_app, reader)
        assert [row["编号"] for row in rows] == [parcel["id"], bill["id"]]  # oldest first
        first = rows[0]
        assert (first["类型"], first["状态"]) == ("pickup_parcel", "completed")
        assert first["下单人编号"] == str(requester.id)
        assert first["跑腿员编号"] == str(courier.id)
        assert first["送达楼号"] == "3"
        assert first["价格(元)"] == f"{parcel['price_fen'] // 100}.{parcel['price_fen'] % 100:02d}"
        assert first["小费(元)"] == "1.50"
        assert first["完成时间"] != ""
        assert datetime.fromisoformat(first["完成时间"]).tzinfo is not None
        assert rows[1]["状态"] == bill["status"]
        assert rows[1]["跑腿员编号"] == ""

    committee = community.person("committee")
    tomorrow = (errand_app.clock() + timedelta(days=2)).date().isoformat()
    assert await export(errand_app, committee, **{"from": tomorrow}) == []
    assert len(await export(errand_app, committee, to=tomorrow)) == 2
    # Another community's orders are not in it.
    assert await export(errand_app, errand_app.community().person("committee")) == []


async def test_orders_export_refuses_others_and_bad_ranges(errand_app: ErrandApp) -> None:
    community = errand_app.community()
    for person in (
        community.person("resident"),
        community.person("resident", "courier"),
        community.person("property_manager"),
    ):
        response = await errand_app.client.get(EXPORT, headers=person.headers)
        assert response.status_code == 403
    assert (await errand_app.client.get(EXPORT)).status_code == 401
    bad = await errand_app.client.get(
        EXPORT, params={"from": "last week"}, headers=community.person("admin").headers
    )
    assert bad.status_code == 422
    assert bad.json()["code"] == "invalid_time_range"
