"""100 couriers accept the same order at the same moment, against a real server (uvicorn, real
PostgreSQL and Redis): exactly one wins, 99 are told order_already_taken, one courier holds it."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import func, select

from errand.adapters.tables import order_timeline, orders
from servicekit.stack import Stack
from servicekit.tokens import TokenSigner
from tests.errand.helpers import Community, Person, errand_server, make_courier, offset, place_order

COURIERS = 100


@pytest.fixture
async def server(namespace: str) -> AsyncIterator[tuple[Stack, TokenSigner]]:
    signer = TokenSigner.generate()
    async with errand_server(namespace, signer) as stack:
        yield stack, signer


async def test_one_hundred_couriers_accept_one_order(server: tuple[Stack, TokenSigner]) -> None:
    stack, signer = server
    app = stack.apps["errand"]
    community = Community(signer)
    requester = community.person("resident")
    couriers = [await make_courier(app, community) for _ in range(COURIERS)]
    async with httpx.AsyncClient(base_url=stack.urls["errand"], timeout=60) as client:
        lat, lng = offset(0)
        gate = asyncio.Semaphore(10)  # setting up is not the race: keep it gentle

        async def online(courier: Person) -> int:
            async with gate:
                response = await client.put(
                    "/api/v1/errand/courier/presence",
                    json={"online": True, "lat": lat, "lng": lng},
                    headers=courier.headers,
                )
                return response.status_code

        assert set(await asyncio.gather(*(online(courier) for courier in couriers))) == {200}
        order = await place_order(client, requester)

    # The race: a fresh pool of 100 connections, all opened, then every accept released at once.
    limits = httpx.Limits(max_connections=COURIERS, max_keepalive_connections=COURIERS)
    async with httpx.AsyncClient(base_url=stack.urls["errand"], limits=limits, timeout=60) as client:
        await asyncio.gather(*(client.get("/health/live") for _ in range(COURIERS)))
        start = asyncio.Event()

        async def accept(courier_headers: dict[str, str]) -> httpx.Response:
            await start.wait()
            return await client.post(f"/api/v1/errand/orders/{order['id']}/accept", headers=courier_headers)

        tasks = [asyncio.create_task(accept(courier.headers)) for courier in couriers]
        await asyncio.sleep(0.05)
        start.set()
        responses = await asyncio.gather(*tasks)

    statuses = Counter(response.status_code for response in responses)
    assert statuses == {200: 1, 409: COURIERS - 1}, statuses
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"order_already_taken"}
    winner = next(r for r in responses if r.status_code == 200).json()["courier_id"]
    async with app.state.runtime.uow() as uow:
        row = (await uow.session.execute(select(orders).where(orders.c.id == uuid.UUID(order["id"])))).one()
        accepts = (
            await uow.session.execute(
                select(func.count()).where(
                    order_timeline.c.order_id == row.id, order_timeline.c.action == "accept"
                )
            )
        ).scalar_one()
    assert (row.status, str(row.courier_id)) == ("accepted", winner)
    assert accepts == 1
