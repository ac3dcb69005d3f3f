"""Roles, the directory, household claims, courier applications, and who may see what (BOLA)."""

from __future__ import annotations

import uuid

import jwt
import pytest

from tests.gateway.conftest import Gateway

pytestmark = pytest.mark.timeout(60)


async def test_resident_cannot_grant_roles(gw: Gateway) -> None:
    _, resident = await gw.resident()
    other, _ = await gw.resident()
    for role in ("admin", "mediator", "courier"):
        response = await gw.client.post(
            f"/api/v1/admin/users/{other}/roles", json={"role": role}, headers=resident
        )
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"
    revoke = await gw.client.delete(f"/api/v1/admin/users/{other}/roles/resident", headers=resident)
    assert revoke.status_code == 403


async def test_admin_grants_staff_with_default_department_and_revokes(gw: Gateway) -> None:
    admin = await gw.admin_headers()
    staff, _ = await gw.resident()
    granted = await gw.client.post(
        f"/api/v1/admin/users/{staff}/roles", json={"role": "property_staff"}, headers=admin
    )
    assert granted.status_code == 200
    assert {"role": "property_staff", "department": "property"} in granted.json()["roles"]
    event = await gw.tap.wait_for("gateway.role.granted.v1", user_id=staff, role="property_staff")
    assert event["payload"]["department"] == "property"

    heating = await gw.client.post(
        f"/api/v1/admin/users/{staff}/roles",
        json={"role": "property_manager", "department": "heating"},
        headers=admin,
    )
    assert {"role": "property_manager", "department": "heating"} in heating.json()["roles"]

    revoked = await gw.client.delete(f"/api/v1/admin/users/{staff}/roles/property_staff", headers=admin)
    assert revoked.status_code == 204
    event = await gw.tap.wait_for("gateway.role.revoked.v1", user_id=staff, role="property_staff")
    assert event["payload"]["department"] == "property"

    not_staff = await gw.client.post(
        f"/api/v1/admin/users/{staff}/roles",
        json={"role": "courier", "department": "property"},
        headers=admin,
    )
    assert not_staff.status_code == 422


async def test_committee_appoints_mediators_only(gw: Gateway) -> None:
    _, committee = await gw.user_with_role("committee")
    volunteer, _ = await gw.resident()
    mediator = await gw.client.post(
        f"/api/v1/admin/users/{volunteer}/roles", json={"role": "mediator"}, headers=committee
    )
    assert mediator.status_code == 200
    await gw.tap.wait_for("gateway.role.granted.v1", user_id=volunteer, role="mediator")
    courier = await gw.client.post(
        f"/api/v1/admin/users/{volunteer}/roles", json={"role": "courier"}, headers=committee
    )
    assert courier.status_code == 403


async def test_granting_to_an_unknown_user_is_not_found(gw: Gateway) -> None:
    admin = await gw.admin_headers()
    response = await gw.client.post(
        f"/api/v1/admin/users/{uuid.uuid4()}/roles", json={"role": "courier"}, headers=admin
    )
    assert response.status_code == 404


async def test_profiles_of_others_do_not_exist_for_a_resident(gw: Gateway) -> None:
    me, mine = await gw.resident()
    other, theirs = await gw.resident()
    assert (await gw.client.get(f"/api/v1/community/users/{me}", headers=mine)).status_code == 200
    read = await gw.client.get(f"/api/v1/community/users/{other}", headers=mine)
    assert read.status_code == 404
    change = await gw.client.patch(
        f"/api/v1/community/users/{other}", json={"display_name": "hacked"}, headers=mine
    )
    assert change.status_code == 404
    unchanged = await gw.client.get("/api/v1/me", headers=theirs)
    assert unchanged.json()["display_name"] == "居民"
    own = await gw.client.patch(f"/api/v1/community/users/{me}", json={"display_name": "老王"}, headers=mine)
    assert own.json()["display_name"] == "老王"
    server_owned = await gw.client.patch(
        f"/api/v1/community/users/{me}", json={"roles": ["admin"]}, headers=mine
    )
    assert server_owned.status_code == 422


async def test_directory_flags_claims_and_verified_households(gw: Gateway) -> None:
    _, committee = await gw.user_with_role("committee")
    building = await gw.client.post("/api/v1/community/buildings", json={"name": "3号楼"}, headers=committee)
    assert building.status_code == 201
    household = await gw.client.post(
        "/api/v1/community/households",
        json={"building_id": building.json()["id"], "unit": "2单元", "room": "501", "elderly_alone": True},
        headers=committee,
    )
    assert household.status_code == 201
    assert household.json()["elderly_alone"] is True
    listed = await gw.client.get("/api/v1/community/households", headers=committee)
    assert any(
        item["id"] == household.json()["id"] and "low_income" in item for item in listed.json()["items"]
    )

    resident_id, resident = await gw.resident()
    assert (await gw.client.get("/api/v1/community/households", headers=resident)).status_code == 403
    claim = await gw.client.post(
        "/api/v1/me/household-claims",
        json={"building": "3号楼", "unit": "2单元", "room": "501", "real_name": "王秀英"},
        headers=resident,
    )
    assert claim.status_code == 201
    assert claim.json()["status"] == "pending"
    claim_id = claim.json()["id"]

    # Another resident can neither read nor decide it.
    _, nosy = await gw.resident()
    assert (await gw.client.get(f"/api/v1/me/household-claims/{claim_id}", headers=nosy)).status_code == 404
    decide_as_resident = await gw.client.post(
        f"/api/v1/community/household-claims/{claim_id}/decision", json={"decision": "approve"}, headers=nosy
    )
    assert decide_as_resident.status_code == 403

    approved = await gw.client.post(
        f"/api/v1/community/household-claims/{claim_id}/decision",
        json={"decision": "approve"},
        headers=committee,
    )
    assert approved.json()["status"] == "approved"
    event = await gw.tap.wait_for("gateway.household.verified.v1", user_id=resident_id)
    assert event["payload"]["building"] == "3号楼"
    assert event["payload"]["elderly_alone"] is True
    assert "low_income" not in event["payload"]
    again = await gw.client.post(
        f"/api/v1/community/household-claims/{claim_id}/decision",
        json={"decision": "reject"},
        headers=committee,
    )
    assert again.status_code == 409

    me = (await gw.client.get("/api/v1/me", headers=resident)).json()
    assert me["household"]["room"] == "501"
    assert "elderly_alone" not in me["household"]  # flags are for the committee only


async def test_claim_by_household_id_and_one_live_claim(gw: Gateway) -> None:
    _, committee = await gw.user_with_role("committee")
    building = await gw.client.post("/api/v1/community/buildings", json={"name": "7号楼"}, headers=committee)
    household = await gw.client.post(
        "/api/v1/community/households",
        json={"building_id": building.json()["id"], "unit": "1单元", "room": "101"},
        headers=committee,
    )
    _, resident = await gw.resident()
    body = {"household_id": household.json()["id"], "real_name": "李雷"}
    first = await gw.client.post("/api/v1/me/household-claims", json=body, headers=resident)
    assert first.status_code == 201
    second = await gw.client.post("/api/v1/me/household-claims", json=body, headers=resident)
    assert second.status_code == 409
    assert second.json()["code"] == "claim_exists"
    unknown = await gw.client.post(
        "/api/v1/me/household-claims",
        json={"household_id": str(uuid.uuid4()), "real_name": "李雷"},
        headers=resident,
    )
    assert unknown.status_code in (404, 409)


async def test_courier_application_approved_grants_the_role(gw: Gateway) -> None:
    applicant, headers = await gw.resident()
    applied = await gw.client.post(
        "/api/v1/me/courier-application",
        json={"real_name": "张三", "id_number_last4": "123x"},
        headers=headers,
    )
    assert applied.status_code == 201
    assert applied.json()["status"] == "pending"
    assert applied.json()["id_number_last4"] == "123X"
    _, committee = await gw.user_with_role("committee")
    decided = await gw.client.post(
        f"/api/v1/community/courier-applications/{applied.json()['id']}/decision",
        json={"decision": "approve"},
        headers=committee,
    )
    assert decided.json()["status"] == "approved"
    await gw.tap.wait_for("gateway.role.granted.v1", user_id=applicant, role="courier")
    me = (await gw.client.get("/api/v1/me", headers=headers)).json()
    assert me["courier_status"] == "approved"
    assert "courier" in me["roles"]


async def test_communities_are_created_by_admins(gw: Gateway) -> None:
    _, resident = await gw.resident()
    body = {"code": f"c-{uuid.uuid4().hex[:8]}", "name": "和平里东社区"}
    assert (
        await gw.client.post("/api/v1/community/communities", json=body, headers=resident)
    ).status_code == 403
    admin = await gw.admin_headers()
    created = await gw.client.post("/api/v1/community/communities", json=body, headers=admin)
    assert created.status_code == 201
    duplicate = await gw.client.post("/api/v1/community/communities", json=body, headers=admin)
    assert duplicate.status_code == 409
    listed = await gw.client.get("/api/v1/community/communities", headers=admin)
    assert body["code"] in {c["code"] for c in listed.json()}
    # With two communities a sign-up must say which one.
    undecided = await gw.client.post(
        "/api/v1/auth/register",
        json={"phone": gw.new_phone(), "password": "long-enough-1", "display_name": "x"},
    )
    assert undecided.status_code == 422
    assert undecided.json()["code"] == "community_required"
    joined = await gw.client.post(
        "/api/v1/auth/register",
        json={
            "phone": gw.new_phone(),
            "password": "long-enough-1",
            "display_name": "x",
            "community_code": body["code"],
        },
    )
    assert joined.json()["community_id"] == created.json()["id"]
    # Its members see nothing of the default community's users.
    token = gw.signer.sign(
        user_id=uuid.UUID(joined.json()["id"]), community_id=uuid.UUID(created.json()["id"]), roles=["admin"]
    )
    other_admin = {"Authorization": f"Bearer {token}"}
    resident_id, _ = await gw.resident()
    assert (
        await gw.client.get(f"/api/v1/community/users/{resident_id}", headers=other_admin)
    ).status_code == 404
    assert jwt.decode(token, options={"verify_signature": False})["community_id"] == created.json()["id"]


async def test_nul_characters_are_refused_not_a_server_error(gw: Gateway) -> None:
    _, committee = await gw.user_with_role("committee")
    building = await gw.client.post("/api/v1/community/buildings", json={"name": "a\x00b"}, headers=committee)
    assert building.status_code == 422
    found = await gw.client.get("/api/v1/admin/users", params={"phone": "1380013800\x00"}, headers=committee)
    assert found.status_code == 200
    assert found.json() == []


async def test_idempotency_key_replays_a_courier_application(gw: Gateway) -> None:
    _, headers = await gw.resident()
    keyed = {**headers, "Idempotency-Key": "apply-once-1"}
    body = {"real_name": "赵四", "id_number_last4": "4321"}
    first = await gw.client.post("/api/v1/me/courier-application", json=body, headers=keyed)
    again = await gw.client.post("/api/v1/me/courier-application", json=body, headers=keyed)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    other_body = await gw.client.post(
        "/api/v1/me/courier-application", json={**body, "note": "different"}, headers=keyed
    )
    assert other_body.status_code == 422
    assert other_body.json()["code"] == "idempotency_key_reused"
    without_key = await gw.client.post("/api/v1/me/courier-application", json=body, headers=headers)
    assert without_key.status_code == 409
