"""Access tokens verified by the service itself, and role dependencies (docs/architecture.md §4)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid
from typing import Any

import httpx
import jwt
import pytest

from servicekit.errors import PROBLEM_CONTENT_TYPE

DROP: Any = object()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def assert_401(response: httpx.Response, code: str) -> dict[str, Any]:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].split(";")[0] == PROBLEM_CONTENT_TYPE
    body = response.json()
    assert body["code"] == code, body
    assert body["status"] == 401
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith("Bearer "), challenge
    assert 'realm="weilinli"' in challenge
    return body


def with_claims(tokens, **overrides: Any) -> dict[str, Any]:
    values = tokens.claims()
    for name, value in overrides.items():
        if value is DROP:
            values.pop(name, None)
        else:
            values[name] = value
    return values


async def test_no_token_is_401_unauthorized_with_a_challenge(kit) -> None:
    response = await kit.client.get("/me", headers={"Accept-Language": "en"})
    body = assert_401(response, "unauthorized")
    assert body["title"] == "Sign-in required"
    assert response.headers["www-authenticate"] == 'Bearer realm="weilinli"'


async def test_a_valid_token_gives_the_current_user(kit, tokens) -> None:
    claims = tokens.claims(roles=["resident", "courier"], building="7号楼")
    response = await kit.client.get("/me", headers=bearer(tokens.sign(claims)))
    assert response.status_code == 200, response.text
    assert response.json() == {
        "id": claims["sub"],
        "community_id": claims["community_id"],
        "roles": ["courier", "resident"],
        "household_id": claims["household_id"],
        "building": "7号楼",
        "token_id": claims["jti"],
    }


async def test_household_and_building_are_optional(kit, tokens) -> None:
    claims = with_claims(tokens, household_id=DROP, building=DROP, roles=["courier"])
    response = await kit.client.get("/me", headers=bearer(tokens.sign(claims)))
    assert response.status_code == 200, response.text
    assert response.json()["household_id"] is None
    assert response.json()["building"] is None


async def test_an_expired_token_is_401_token_expired(kit, tokens) -> None:
    now = int(time.time())
    claims = tokens.claims(iat=now - 3600, exp=now - 120)  # beyond the 10 s leeway
    response = await kit.client.get("/me", headers={**bearer(tokens.sign(claims)), "Accept-Language": "en"})
    body = assert_401(response, "token_expired")
    assert body["title"] == "Session expired"
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


async def test_a_token_expired_within_the_leeway_still_passes(kit, tokens) -> None:
    now = int(time.time())
    claims = tokens.claims(iat=now - 600, exp=now - 2)
    response = await kit.client.get("/me", headers=bearer(tokens.sign(claims)))
    assert response.status_code == 200, response.text


async def test_a_tampered_payload_is_401_token_invalid(kit, tokens) -> None:
    header, payload, signature = tokens.sign(tokens.claims(roles=["resident"])).split(".")
    # Flip one character in the middle of the payload segment.
    middle = len(payload) // 2
    flipped = "A" if payload[middle] != "A" else "B"
    tampered = f"{header}.{payload[:middle]}{flipped}{payload[middle + 1 :]}.{signature}"
    assert_401(await kit.client.get("/me", headers=bearer(tampered)), "token_invalid")


async def test_an_escalated_payload_with_the_old_signature_is_401(kit, tokens) -> None:
    original = tokens.claims(roles=["resident"])
    header, _payload, signature = tokens.sign(original).split(".")
    escalated = tokens.unsigned({"alg": "EdDSA", "typ": "JWT"}, {**original, "roles": ["committee", "admin"]})
    forged = escalated.split(".")[1]
    response = await kit.client.get("/committee-only", headers=bearer(f"{header}.{forged}.{signature}"))
    assert_401(response, "token_invalid")


async def test_a_token_signed_by_another_key_is_401(kit, tokens) -> None:
    token = tokens.sign(tokens.claims(), key=tokens.other_key())
    assert_401(await kit.client.get("/me", headers=bearer(token)), "token_invalid")


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
async def test_an_alg_none_token_is_401(kit, tokens, alg: str) -> None:
    unsigned = tokens.unsigned({"alg": alg, "typ": "JWT"}, tokens.claims(roles=["committee"]))
    for token in (f"{unsigned}.", unsigned):
        assert_401(await kit.client.get("/committee-only", headers=bearer(token)), "token_invalid")


@pytest.mark.parametrize(("alg", "digest"), [("HS256", hashlib.sha256), ("HS512", hashlib.sha512)])
async def test_an_hmac_token_keyed_with_the_public_key_is_401(kit, tokens, alg: str, digest: Any) -> None:
    """Algorithm confusion: the attacker knows the public key and uses it as an HMAC secret."""
    signing_input = tokens.unsigned({"alg": alg, "typ": "JWT"}, tokens.claims(roles=["committee"]))
    for secret in (tokens.public_pem.encode(), tokens.public_pem.strip().encode()):
        signature = b64url(hmac.new(secret, signing_input.encode(), digest).digest())
        token = f"{signing_input}.{signature}"
        assert_401(await kit.client.get("/committee-only", headers=bearer(token)), "token_invalid")


@pytest.mark.parametrize(
    "overrides",
    [
        {"iss": "someone-else"},
        {"aud": "other-audience"},
        {"aud": ["other-audience"]},
        {"iss": DROP},
        {"aud": DROP},
    ],
    ids=["issuer", "audience", "audience-list", "no-issuer", "no-audience"],
)
async def test_wrong_or_missing_issuer_or_audience_is_401(kit, tokens, overrides: dict[str, Any]) -> None:
    token = tokens.sign(with_claims(tokens, **overrides))
    assert_401(await kit.client.get("/me", headers=bearer(token)), "token_invalid")


@pytest.mark.parametrize("claim", ["sub", "community_id", "roles", "exp", "iat", "jti"])
async def test_a_missing_required_claim_is_401(kit, tokens, claim: str) -> None:
    token = tokens.sign(with_claims(tokens, **{claim: DROP}))
    assert_401(await kit.client.get("/me", headers=bearer(token)), "token_invalid")


@pytest.mark.parametrize(
    "overrides",
    [
        {"roles": ["resident", "superuser"]},
        {"roles": "committee"},
        {"roles": [1]},
        {"sub": "not-a-uuid"},
        {"community_id": "community-a"},
        {"household_id": "nope"},
        {"nbf": int(time.time()) + 3600},
    ],
    ids=["unknown-role", "roles-string", "roles-int", "sub", "community", "household", "not-yet-valid"],
)
async def test_malformed_claims_are_401(kit, tokens, overrides: dict[str, Any]) -> None:
    token = tokens.sign(with_claims(tokens, **overrides))
    assert_401(await kit.client.get("/me", headers=bearer(token)), "token_invalid")


@pytest.mark.parametrize(
    "authorization",
    ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Token abc", "bearer-but-not-really"],
)
async def test_other_authorization_schemes_are_401(kit, authorization: str) -> None:
    response = await kit.client.get("/me", headers={"Authorization": authorization})
    assert response.status_code == 401, response.text
    assert response.json()["code"] in {"token_invalid", "unauthorized"}
    assert response.headers["www-authenticate"].startswith("Bearer ")


async def test_garbage_bearer_token_is_401(kit) -> None:
    for token in ("abc", "a.b.c", "....", "x" * 5000):
        assert_401(await kit.client.get("/me", headers=bearer(token)), "token_invalid")


async def test_the_bearer_scheme_is_case_insensitive(kit, tokens) -> None:
    response = await kit.client.get("/me", headers={"Authorization": f"bearer {tokens.sign()}"})
    assert response.status_code == 200, response.text


async def test_a_missing_role_is_403_forbidden(kit, tokens) -> None:
    token = tokens.sign(tokens.claims(roles=["resident", "courier"]))
    response = await kit.client.get("/committee-only", headers={**bearer(token), "Accept-Language": "ko"})
    assert response.status_code == 403, response.text
    assert response.headers["content-type"].split(";")[0] == PROBLEM_CONTENT_TYPE
    body = response.json()
    assert body["code"] == "forbidden"
    assert body["title"] == "권한 없음"


async def test_the_role_admits_its_holder(kit, tokens) -> None:
    user_id = str(uuid.uuid4())
    token = tokens.sign(tokens.claims(sub=user_id, roles=["resident", "committee"]))
    response = await kit.client.get("/committee-only", headers=bearer(token))
    assert response.status_code == 200, response.text
    assert response.json()["id"] == user_id
    assert response.json()["roles"] == ["committee", "resident"]


async def test_no_token_on_a_role_route_is_401_not_403(kit) -> None:
    assert_401(await kit.client.get("/committee-only"), "unauthorized")


def test_require_roles_refuses_unknown_roles() -> None:
    from servicekit.auth import require_roles

    with pytest.raises(ValueError, match="superuser"):
        require_roles("committee", "superuser")


def test_pyjwt_itself_refuses_to_make_the_confused_token(tokens) -> None:
    """Guards the test above: the HMAC token had to be forged by hand."""
    with pytest.raises(jwt.InvalidKeyError):
        jwt.encode(tokens.claims(), tokens.public_pem, algorithm="HS256")
