"""Object-level authorization (OWASP API1) over every endpoint that takes an order id: the
requester, its courier, another resident, another courier, admin, someone of another community
and anonymous. docs/contract.md decides who may; everyone else gets 404, anonymous 401."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from servicekit.tokens import TokenSigner
from tests.errand.conftest import ErrandApp
from tests.errand.helpers import Community, Person, drive, go_online, make_courier, place_order

PERSONAS = [
    "requester",
    "its_courier",
    "other_resident",
    "other_courier",
    "admin",
    "other_community",
    "anonymous",
]

# endpoint -> (method, state the order is put in first, body, {persona: expected status})
OK_REQUESTER = {"requester": 200}
OK_COURIER = {"its_courier": 200}
MATRIX: dict[str, tuple[str, str, Any, dict[str, int]]] = {
    "": ("GET", "accepted", None, {"requester": 200, "its_courier": 200, "admin": 200}),
    "cancel-quote": ("GET", "accepted", None, OK_REQUESTER),
    "cancel": ("POST", "accepted", {"reason": "plans changed"}, OK_REQUESTER),
    # Its courier repeats the accept (a no-op); another courier finds the order taken.
    "accept": ("POST", "accepted", None, {"its_courier": 200, "other_courier": 409}),
    "arrive": ("POST", "accepted", None, OK_COURIER),
    "pickup": ("POST", "arrived", None, OK_COURIER),
    "deliver": ("POST", "picked_up", "code", OK_COURIER),
    "fail": ("POST", "picked_up", {"reason": "pharmacy closed"}, OK_COURIER),
    "release": ("POST", "accepted", None, OK_COURIER),
    "confirm": ("POST", "delivered", None, OK_REQUESTER),
    "rate": ("POST", "delivered", {"stars": 4}, OK_REQUESTER),
    "tip": ("POST", "delivered", {"amount_fen": 200}, OK_REQUESTER),
}


async def check_endpoint(client: httpx.AsyncClient, app: FastAPI, signer: TokenSigner, endpoint: str) -> None:
    """Put a fresh order in the endpoint's state and call the endpoint as each persona: the
    refused first (they must change nothing), then the ones docs/contract.md admits."""
    method, state, body, allowed = MATRIX[endpoint]
    community = Community(signer)
    requester = community.person("resident")
    courier, other_courier = await make_courier(app, community), await make_courier(app, community)
    await go_online(client, courier)
    await go_online(client, other_courier)
    order = await place_order(client, requester, "pickup_parcel")
    await drive(client, order, courier, requester, state)
    if body == "code":
        body = {"delivery_code": order["delivery_code"]}
    people: dict[str, Person | None] = {
        "requester": requester,
        "its_courier": courier,
        "other_resident": community.person("resident"),
        "other_courier": other_courier,
        "admin": community.person("admin"),
        "other_community": Community(signer).person("resident", "courier", "admin", "committee"),
        "anonymous": None,
    }
    path = f"/api/v1/errand/orders/{order['id']}" + (f"/{endpoint}" if endpoint else "")
    for persona in sorted(PERSONAS, key=lambda p: allowed.get(p, 404) == 200):
        who = people[persona]
        response = await client.request(method, path, json=body, headers=who.headers if who else {})
        expected = 401 if who is None else allowed.get(persona, 404)
        assert response.status_code == expected, (persona, response.text)
        if expected == 404:
            assert response.json()["code"] == "not_found"
            assert "pickup_code" not in response.text
        if expected == 200:
            break  # the first admitted caller may have moved the order on
        after = await client.get(f"/api/v1/errand/orders/{order['id']}", headers=requester.headers)
        assert after.json()["status"] == state, persona  # a refused caller changed nothing


@pytest.mark.parametrize("endpoint", list(MATRIX))
async def test_who_may_touch_an_order(errand_app: ErrandApp, endpoint: str) -> None:
    errand_app.clock.reset()
    await check_endpoint(errand_app.client, errand_app.app, errand_app.signer, endpoint)
