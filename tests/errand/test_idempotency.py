"""Idempotency-Key on order creation: the same request twice makes one order."""

from __future__ import annotations

import asyncio

from tests.errand.conftest import ErrandApp
from tests.errand.helpers import quote_body


async def test_same_key_same_request_twice_creates_one_order(errand_app: ErrandApp) -> None:
    client, community = errand_app.client, errand_app.community()
    requester = community.person("resident")
    quote = (await client.post("/api/v1/errand/quotes", json=quote_body(), headers=requester.headers)).json()
    headers = {**requester.headers, "Idempotency-Key": "order-7f1c"}
    body = {"quote_id": quote["quote_id"], "note": "ring twice", "tip_fen": 100}
    first = await client.post("/api/v1/errand/orders", json=body, headers=headers)
    again = await client.post("/api/v1/errand/orders", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    mine = await client.get("/api/v1/errand/orders", headers=requester.headers)
    assert [order["id"] for order in mine.json()["items"]] == [first.json()["id"]]

    other_body = await client.post("/api/v1/errand/orders", json={**body, "tip_fen": 500}, headers=headers)
    assert (other_body.status_code, other_body.json()["code"]) == (422, "idempotency_key_reused")


async def test_concurrent_retries_with_one_key_create_one_order(errand_app: ErrandApp) -> None:
    client, community = errand_app.client, errand_app.community()
    requester = community.person("resident")
    quote = (await client.post("/api/v1/errand/quotes", json=quote_body(), headers=requester.headers)).json()
    headers = {**requester.headers, "Idempotency-Key": "flaky-network-retry"}
    responses = await asyncio.gather(
        *(
            client.post("/api/v1/errand/orders", json={"quote_id": quote["quote_id"]}, headers=headers)
            for _ in range(5)
        )
    )
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    mine = await client.get("/api/v1/errand/orders", headers=requester.headers)
    assert len(mine.json()["items"]) == 1


async def test_without_a_key_a_quote_makes_one_order_only(errand_app: ErrandApp) -> None:
    client, community = errand_app.client, errand_app.community()
    requester = community.person("resident")
    quote = (await client.post("/api/v1/errand/quotes", json=quote_body(), headers=requester.headers)).json()
    first = await client.post(
        "/api/v1/errand/orders", json={"quote_id": quote["quote_id"]}, headers=requester.headers
    )
    second = await client.post(
        "/api/v1/errand/orders", json={"quote_id": quote["quote_id"]}, headers=requester.headers
    )
    assert first.status_code == 201
    assert (second.status_code, second.json()["code"]) == (409, "quote_already_used")
