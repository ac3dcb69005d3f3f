"""Accounts and tokens: registration, login (throttled, not revealing accounts), access-token
claims, refresh rotation with family revocation on reuse, logout, and the CLI."""

from __future__ import annotations

import jwt
import pytest

from tests.gateway.conftest import ADMIN_PHONE, Gateway, run_cli

pytestmark = pytest.mark.timeout(60)


async def test_register_returns_masked_phone_and_resident_role(gw: Gateway) -> None:
    created, phone = await gw.register()
    assert created["phone_masked"] == f"{phone[:3]}****{phone[-4:]}"
    assert created["roles"] == ["resident"]
    registered = await gw.tap.wait_for("gateway.user.registered.v1", user_id=created["id"])
    assert registered["payload"]["channel"] == "phone"
    assert registered["payload"]["display_name"] == "居民"  # the other services' people know the name

    again = await gw.client.post(
        "/api/v1/auth/register",
        json={"phone": phone, "password": "another-pass", "display_name": "x", "community_code": "default"},
    )
    assert again.status_code == 409
    assert again.json()["code"] == "phone_taken"


@pytest.mark.parametrize("phone", ["12345678901", "1380013800", "+1 555 123 4567", "23800138000"])
async def test_only_mainland_mobile_numbers_register(gw: Gateway, phone: str) -> None:
    response = await gw.client.post(
        "/api/v1/auth/register", json={"phone": phone, "password": "long-enough-1", "display_name": "x"}
    )
    assert response.status_code == 422


async def test_server_owned_fields_cannot_be_sent(gw: Gateway) -> None:
    response = await gw.client.post(
        "/api/v1/auth/register",
        json={"phone": gw.new_phone(), "password": "long-enough-1", "display_name": "x", "roles": ["admin"]},
    )
    assert response.status_code == 422


async def test_wrong_password_and_unknown_phone_get_the_same_answer(gw: Gateway) -> None:
    _, phone = await gw.register()
    wrong_password = await gw.client.post(
        "/api/v1/auth/login", json={"phone": phone, "password": "nope-nope"}
    )
    unknown_phone = await gw.client.post(
        "/api/v1/auth/login", json={"phone": gw.new_phone(), "password": "nope-nope"}
    )
    assert wrong_password.status_code == unknown_phone.status_code == 401
    first, second = wrong_password.json(), unknown_phone.json()
    first.pop("request_id")
    second.pop("request_id")
    assert first == second
    assert first["code"] == "bad_credentials"


async def test_login_is_throttled_per_phone(gw: Gateway) -> None:
    _, phone = await gw.register()
    codes = [
        (
            await gw.client.post("/api/v1/auth/login", json={"phone": phone, "password": "guess-123"})
        ).status_code
        for _ in range(5)
    ]
    assert codes == [401] * 5
    throttled = await gw.client.post(
        "/api/v1/auth/login", json={"phone": phone, "password": "resident-pass-1"}
    )
    assert throttled.status_code == 429
    assert throttled.json()["code"] == "login_throttled"
    assert int(throttled.headers["retry-after"]) >= 1


async def test_access_token_carries_the_contract_claims(gw: Gateway) -> None:
    created, phone = await gw.register()
    tokens = await gw.login(phone, "resident-pass-1")
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == gw.settings.access_token_ttl_seconds
    claims = jwt.decode(
        tokens["access_token"], gw.signer.public_pem, algorithms=["EdDSA"], audience="weilinli"
    )
    assert claims["sub"] == created["id"]
    assert claims["community_id"] == created["community_id"]
    assert claims["roles"] == ["resident"]
    assert claims["household_id"] is None
    assert claims["building"] is None
    assert {"exp", "iat", "jti"} <= set(claims)
    me = await gw.client.get("/api/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.status_code == 200
    assert me.json()["id"] == created["id"]


async def test_refresh_rotates_and_reuse_revokes_the_family(gw: Gateway) -> None:
    _, phone = await gw.register()
    first = await gw.login(phone, "resident-pass-1")
    second = (
        await gw.client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    ).json()
    assert second["refresh_token"] != first["refresh_token"]
    third = (
        await gw.client.post("/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]})
    ).json()

    reused = await gw.client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reused.status_code == 401
    assert reused.json()["code"] == "refresh_reused"
    # The whole family is gone, including the newest token the thief may hold.
    newest = await gw.client.post("/api/v1/auth/refresh", json={"refresh_token": third["refresh_token"]})
    assert newest.status_code == 401
    assert newest.json()["code"] == "refresh_invalid"
    # Another sign-in is another family and unaffected.
    other = await gw.login(phone, "resident-pass-1")
    fine = await gw.client.post("/api/v1/auth/refresh", json={"refresh_token": other["refresh_token"]})
    assert fine.status_code == 200


async def test_refresh_rejects_garbage(gw: Gateway) -> None:
    for token in ("nonsense", "0" * 32 + ".secret", "not-hex.secret"):
        response = await gw.client.post("/api/v1/auth/refresh", json={"refresh_token": token})
        assert response.status_code == 401
        assert response.json()["code"] == "refresh_invalid"


async def test_logout_revokes_the_family(gw: Gateway) -> None:
    _, phone = await gw.register()
    tokens = await gw.login(phone, "resident-pass-1")
    out = await gw.client.post(
        "/api/v1/auth/logout",
        json={"refresh_token": tokens["refresh_token"]},
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )
    assert out.status_code == 204
    after = await gw.client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert after.status_code == 401


async def test_cli_grants_roles_that_the_next_token_carries(gw: Gateway) -> None:
    created, phone = await gw.register()
    printed = await run_cli(gw.settings, "grant-role", "--phone", phone, "--role", "property_manager")
    assert "property_manager" in printed
    event = await gw.tap.wait_for("gateway.role.granted.v1", user_id=created["id"], role="property_manager")
    assert event["payload"]["department"] == "property"
    tokens = await gw.login(phone, "resident-pass-1")
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    assert claims["roles"] == ["property_manager", "resident"]
    with pytest.raises(SystemExit):
        await run_cli(gw.settings, "grant-role", "--phone", "13111111111", "--role", "courier")
    admin_login = await gw.client.post(
        "/api/v1/auth/login", json={"phone": ADMIN_PHONE, "password": "admin-pass-123"}
    )
    assert (
        "admin"
        in jwt.decode(admin_login.json()["access_token"], options={"verify_signature": False})["roles"]
    )


async def test_a_changed_name_is_announced_to_the_other_services(gw: Gateway) -> None:
    user_id, headers = await gw.resident()
    renamed = await gw.client.patch("/api/v1/me", json={"display_name": "吕阿姨"}, headers=headers)
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["display_name"] == "吕阿姨"
    changed = await gw.tap.wait_for("gateway.user.profile_changed.v1", user_id=user_id)
    assert changed["payload"]["display_name"] == "吕阿姨"
    assert changed["payload"]["locale"] is None
    # The same through /community/users/{id}, with a language: the event carries both.
    patched = await gw.client.patch(
        f"/api/v1/community/users/{user_id}", json={"display_name": "吕奶奶", "locale": "ko"}, headers=headers
    )
    assert patched.status_code == 200, patched.text
    both = await gw.tap.wait_for("gateway.user.profile_changed.v1", user_id=user_id, display_name="吕奶奶")
    assert both["payload"]["locale"] == "ko"
    # Nothing changed, nothing announced (the later change is seen; the no-op never was).
    same = await gw.client.patch("/api/v1/me", json={"display_name": "吕奶奶"}, headers=headers)
    assert same.status_code == 200
    later = await gw.client.patch("/api/v1/me", json={"locale": "en"}, headers=headers)
    assert later.status_code == 200
    await gw.tap.wait_for("gateway.user.profile_changed.v1", user_id=user_id, locale="en")
    announced = [
        e["payload"]
        for e in gw.tap.events
        if e["event_type"] == "gateway.user.profile_changed.v1" and e["payload"]["user_id"] == user_id
    ]
    assert [(a["display_name"], a["locale"]) for a in announced] == [
        ("吕阿姨", None),
        ("吕奶奶", "ko"),
        ("吕奶奶", "en"),
    ]
