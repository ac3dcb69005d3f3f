"""Property fees: a manager sets fee items per household and issues bills (amount from the item,
area-based or fixed); residents see their household's bills (`scope=mine`) and pay one through
WeChat Pay, the money going to the property company's account; arrears are `?status=overdue`."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from contracts import HouseholdVerifiedV1
from tests.payments.helpers import Community, Person, Service


async def _item(service: Service, manager: Person, household: uuid.UUID, **extra: Any) -> dict[str, Any]:
    body = {
        "household_id": str(household),
        "name": "物业服务费",
        "basis": "area",
        "unit_price_fen": 185,
        "area_m2": 88.5,
        "period": "month",
        **extra,
    }
    response = await service.client.post("/api/v1/fees/items", json=body, headers=manager.headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def _bill(service: Service, manager: Person, item_id: str, period: str, due: date) -> Any:
    return await service.client.post(
        "/api/v1/fees/bills",
        json={"item_id": item_id, "period_label": period, "due_date": due.isoformat()},
        headers=manager.headers,
    )


async def test_bills_are_issued_seen_by_the_household_and_paid_to_the_property_company(
    service: Service, community: Community
) -> None:
    manager = community.person("property_manager")
    resident = community.resident()
    assert resident.household_id is not None
    item = await _item(service, manager, resident.household_id)
    today = datetime.now(UTC).date()
    issued = await _bill(service, manager, item["id"], "2026-11", today - timedelta(days=3))
    assert issued.status_code == 201, issued.text
    assert issued.json()["amount_fen"] == 16373  # 1.85 yuan x 88.50 m2
    assert issued.json()["overdue"] is True
    again = await _bill(service, manager, item["id"], "2026-11", today)
    assert again.status_code == 409
    assert again.json()["code"] == "fee_bill_exists"
    upcoming = await _bill(service, manager, item["id"], "2026-12", today + timedelta(days=20))
    assert upcoming.json()["overdue"] is False

    # A second member of the household, known from the gateway's verification event.
    partner = community.person("resident")
    await service.deliver(
        HouseholdVerifiedV1(
            community_id=community.id,
            user_id=partner.id,
            household_id=resident.household_id,
            building="3",
            unit="2",
            room="502",
            elderly_alone=False,
        ),
        producer="gateway",
    )
    mine = await service.client.get("/api/v1/fees/bills?scope=mine", headers=partner.headers)
    assert {bill["period_label"] for bill in mine.json()["items"]} == {"2026-11", "2026-12"}
    stranger = community.resident()
    assert (await service.client.get("/api/v1/fees/bills?scope=mine", headers=stranger.headers)).json()[
        "items"
    ] == []
    assert (await service.client.get("/api/v1/fees/bills", headers=stranger.headers)).status_code == 403
    assert (
        await community.pay_intent(stranger, uuid.UUID(issued.json()["id"]), "property_bill")
    ).status_code == 404

    arrears = await service.client.get("/api/v1/fees/bills?status=overdue", headers=manager.headers)
    assert [bill["id"] for bill in arrears.json()["items"]] == [issued.json()["id"]]

    payment = await community.paid(partner, uuid.UUID(issued.json()["id"]), "property_bill")
    assert payment["amount_fen"] == 16373
    assert await service.balance(community.id, "property", community.id) == 16373
    assert await service.trial_balance() == 0
    arrears = await service.client.get("/api/v1/fees/bills?status=overdue", headers=manager.headers)
    assert arrears.json()["items"] == []
    paid = await service.client.get("/api/v1/fees/bills?status=paid", headers=manager.headers)
    assert [bill["payment_id"] for bill in paid.json()["items"]] == [payment["id"]]
    twice = await community.pay_intent(resident, uuid.UUID(issued.json()["id"]), "property_bill")
    assert twice.json()["code"] == "payment_nothing_due"

    receipt = await service.client.get(
        f"/api/v1/fees/bills/{issued.json()['id']}/receipt",
        headers={**resident.headers, "Accept-Language": "en"},
    )
    assert receipt.status_code == 200, receipt.text
    assert receipt.json()["title"] == "Property fee receipt"
    assert receipt.json()["amount_in_words"] == "壹佰陆拾叁元柒角叁分"
    assert receipt.json()["payment_id"] == payment["id"]
    assert receipt.json()["receipt_no"].startswith("WL")
    unpaid = await service.client.get(
        f"/api/v1/fees/bills/{upcoming.json()['id']}/receipt", headers=resident.headers
    )
    assert unpaid.status_code == 409
    assert unpaid.json()["code"] == "fee_bill_unpaid"
    hidden = await service.client.get(
        f"/api/v1/fees/bills/{issued.json()['id']}/receipt", headers=stranger.headers
    )
    assert hidden.status_code == 404


async def test_only_managers_write_and_bad_input_is_422(service: Service, community: Community) -> None:
    manager = community.person("property_manager")
    resident = community.resident()
    assert resident.household_id is not None
    forbidden = await service.client.post(
        "/api/v1/fees/items",
        json={
            "household_id": str(uuid.uuid4()),
            "name": "x",
            "basis": "fixed",
            "unit_price_fen": 1,
            "period": "month",
        },
        headers=resident.headers,
    )
    assert forbidden.status_code == 403
    no_area = await service.client.post(
        "/api/v1/fees/items",
        json={
            "household_id": str(uuid.uuid4()),
            "name": "x",
            "basis": "area",
            "unit_price_fen": 1,
            "period": "month",
        },
        headers={**manager.headers, "Accept-Language": "en"},
    )
    assert no_area.status_code == 422
    assert no_area.json()["code"] == "validation_failed"
    item = await _item(
        service, manager, resident.household_id, basis="fixed", unit_price_fen=3000, area_m2=None
    )
    bad_period = await _bill(service, manager, item["id"], "2026-13", date(2026, 12, 31))
    assert bad_period.status_code == 422
    other = Community(service).person("property_manager")
    assert (await _bill(service, other, item["id"], "2026-12", date(2026, 12, 31))).status_code == 404
    bad_cursor = await service.client.get("/api/v1/fees/bills?cursor=%%%", headers=manager.headers)
    assert bad_cursor.status_code == 400
