"""Every order action endpoint in every order state, through HTTP: the allowed ones move the
order (and add a timeline row), a repeat is a no-op, the forbidden ones are 409 with a stable
code, and a courier action on an order without its courier is 404."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from errand.domain.orders import TAKEN, OrderStatus
from tests.errand.conftest import ErrandApp
from tests.errand.helpers import Person, drive, go_online, make_courier, place_order, post
from tests.errand.test_domain_rules import ALLOWED

STATUSES = [s.value for s in OrderStatus]
ACTIONS = ["accept", "arrive", "pickup", "deliver", "fail", "release", "cancel", "confirm"]
COURIER_ACTIONS = {"arrive", "pickup", "deliver", "fail", "release"}
REPEATABLE_HTTP = {"arrive", "pickup", "deliver", "fail", "cancel", "confirm"}
WITHOUT_COURIER = {"dispatching", "expired", "cancelled"}


async def order_in(errand_app: ErrandApp, status: str) -> tuple[dict[str, Any], Person, Person, Person]:
    client, community = errand_app.client, errand_app.community()
    requester = community.person("resident")
    courier = await make_courier(errand_app.app, community)
    other_courier = await make_courier(errand_app.app, community)
    await go_online(client, courier)
    await go_online(client, other_courier)
    order = await place_order(client, requester)
    if status in {"accepted", "arrived", "picked_up", "delivered", "completed"}:
        await drive(client, order, courier, requester, status)
    elif status == "failed":
        await drive(client, order, courier, requester, "picked_up")
        assert (
            await post(client, order["id"], "fail", courier, {"reason": "shop closed"})
        ).status_code == 200
    elif status == "cancelled":
        assert (
            await post(client, order["id"], "cancel", requester, {"reason": "changed my mind"})
        ).status_code == 200
    elif status == "expired":
        jobs = errand_app.app.state.errand_jobs
        timeout = timedelta(seconds=errand_app.settings.dispatch_timeout_seconds + 1)
        await jobs.run_once(errand_app.clock() + timeout)
    current = await client.get(f"/api/v1/errand/orders/{order['id']}", headers=requester.headers)
    assert current.json()["status"] == status
    return order, requester, courier, other_courier


def body_for(action: str, order: dict[str, Any]) -> Any:
    return {
        "deliver": {"delivery_code": order["delivery_code"]},
        "fail": {"reason": "shop closed"},
        "cancel": {"reason": "no longer needed"},
    }.get(action)


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("action", ACTIONS)
async def test_action_in_state(errand_app: ErrandApp, status: str, action: str) -> None:
    errand_app.clock.reset()
    client = errand_app.client
    order, requester, courier, other_courier = await order_in(errand_app, status)
    actor = {"accept": other_courier, "cancel": requester, "confirm": requester}.get(action, courier)
    before = (await client.get(f"/api/v1/errand/orders/{order['id']}", headers=requester.headers)).json()
    response = await post(client, order["id"], action, actor, body_for(action, order))
    after = (await client.get(f"/api/v1/errand/orders/{order['id']}", headers=requester.headers)).json()

    target = ALLOWED.get((status, action))
    if action in COURIER_ACTIONS and status in WITHOUT_COURIER:
        assert response.status_code == 404, response.text
        assert after["status"] == status
    elif target is not None:
        assert response.status_code == 200, response.text
        assert after["status"] == target
        assert len(after["timeline"]) == len(before["timeline"]) + 1
        row = after["timeline"][-1]
        assert (row["action"], row["from_status"], row["to_status"]) == (action, status, target)
        assert row["actor_id"] == str(actor.id)
    elif action in REPEATABLE_HTTP and any(t == status for (_s, a), t in ALLOWED.items() if a == action):
        assert response.status_code == 200, response.text
        assert after["timeline"] == before["timeline"]  # a retried request changes nothing
    else:
        assert response.status_code == 409, response.text
        expected = (
            "order_already_taken"
            if action == "accept" and OrderStatus(status) in TAKEN
            else "order_transition_not_allowed"
        )
        assert response.json()["code"] == expected
        assert after["status"] == status
