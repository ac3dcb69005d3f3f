"""Notifications: user-targeted events become inbox entries (read/unread, private to their user)
and are pushed live over SSE; with two gateway processes a user connected to either gets each
notification exactly once."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from contracts import HotspotDetectedV1
from servicekit.stack import free_port
from servicekit.tokens import TokenSigner
from tests.gateway.conftest import Gateway
from tests.gateway.helpers import (
    SseReader,
    order_accepted,
    publish,
    running_gateway,
    user_token,
)

pytestmark = pytest.mark.timeout(90)

STREAM = "/api/v1/me/notifications/stream"


async def _inbox(gw: Gateway, headers: dict[str, str], count: int) -> list[dict[str, Any]]:
    for _ in range(200):
        items: list[dict[str, Any]] = (
            await gw.client.get("/api/v1/me/notifications", headers=headers)
        ).json()["items"]
        if len(items) >= count:
            return items
        await asyncio.sleep(0.05)
    raise AssertionError(f"inbox has fewer than {count} notifications")


async def test_inbox_newest_first_read_marks_and_privacy(gw: Gateway) -> None:
    resident_id, headers = await gw.resident()
    me = (await gw.client.get("/api/v1/me", headers=headers)).json()
    community = uuid.UUID(me["community_id"])
    sent = await publish(
        gw.settings.amqp_url.get_secret_value(),
        gw.settings.events_exchange,
        order_accepted(community, uuid.UUID(resident_id)),
    )
    first = await _inbox(gw, headers, 1)
    sent += await publish(
        gw.settings.amqp_url.get_secret_value(),
        gw.settings.events_exchange,
        order_accepted(community, uuid.UUID(resident_id)),
    )
    items = await _inbox(gw, headers, 2)
    assert [item["event_id"] for item in items] == [str(sent[1].event_id), str(sent[0].event_id)]
    assert items[0]["event_type"] == "errand.order.accepted.v1"
    assert not items[0]["read"]

    read = await gw.client.post(f"/api/v1/me/notifications/{first[0]['id']}/read", headers=headers)
    assert read.status_code == 200
    assert read.json()["read"]
    unread = (await gw.client.get("/api/v1/me/notifications?unread=true", headers=headers)).json()["items"]
    assert [item["id"] for item in unread] == [items[0]["id"]]

    page = (await gw.client.get("/api/v1/me/notifications?limit=1", headers=headers)).json()
    assert page["next_cursor"]
    rest = (
        await gw.client.get(f"/api/v1/me/notifications?limit=1&cursor={page['next_cursor']}", headers=headers)
    ).json()
    assert rest["items"][0]["id"] == items[1]["id"]

    # Another resident sees none of it and cannot mark it.
    _, nosy = await gw.resident()
    assert (await gw.client.get("/api/v1/me/notifications", headers=nosy)).json()["items"] == []
    stolen = await gw.client.post(f"/api/v1/me/notifications/{items[0]['id']}/read", headers=nosy)
    assert stolen.status_code == 404


async def test_a_redelivered_event_notifies_once(gw: Gateway) -> None:
    resident_id, headers = await gw.resident()
    community = uuid.UUID((await gw.client.get("/api/v1/me", headers=headers)).json()["community_id"])
    event = order_accepted(community, uuid.UUID(resident_id))
    amqp, exchange = gw.settings.amqp_url.get_secret_value(), gw.settings.events_exchange
    [envelope] = await publish(amqp, exchange, event)
    # The same envelope again, as a relay that crashed after publishing would send it.
    import aio_pika

    from servicekit.outbox import envelope_message

    connection = await aio_pika.connect(amqp)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        target = await channel.get_exchange(exchange)
        await target.publish(
            envelope_message(envelope.model_dump(mode="json")), routing_key=envelope.event_type
        )
    # A later event proves the redelivery was processed before we count.
    [later] = await publish(amqp, exchange, order_accepted(community, uuid.UUID(resident_id)))
    items = await _inbox(gw, headers, 2)
    await asyncio.sleep(0)  # nothing timed: the later event arrived after the redelivery
    assert sorted(item["event_id"] for item in items) == sorted([str(envelope.event_id), str(later.event_id)])


async def test_hotspots_notify_managers_and_committee_only(gw: Gateway) -> None:
    _, committee = await gw.user_with_role("committee")
    _, resident = await gw.resident()
    community = uuid.UUID((await gw.client.get("/api/v1/me", headers=committee)).json()["community_id"])
    now = datetime.now(UTC)
    await publish(
        gw.settings.amqp_url.get_secret_value(),
        gw.settings.events_exchange,
        HotspotDetectedV1(
            community_id=community,
            hotspot_id=uuid.uuid4(),
            keyword="漏水",
            window_start=now - timedelta(days=7),
            window_end=now,
            count=12,
            baseline=2.0,
            score=5.0,
            evidence_post_ids=[],
            evidence_report_ids=[],
        ),
    )
    items = await _inbox(gw, committee, 1)
    assert items[0]["event_type"] == "forum.hotspot.detected.v1"
    assert items[0]["data"]["keyword"] == "漏水"
    assert (await gw.client.get("/api/v1/me/notifications", headers=resident)).json()["items"] == []


async def _until_received(event_ids: set[str], *readers: SseReader) -> None:
    for _ in range(400):
        if all(event_ids <= {n["event_id"] for n in reader.notifications()} for reader in readers):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("not every stream received the notifications")


async def _wait_live(url: str) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(600):
            try:
                if (await client.get(f"{url}/health/live")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.05)
    raise AssertionError("the second gateway did not start")


async def test_each_notification_reaches_the_user_once_through_either_gateway_process(namespace: str) -> None:
    signer = TokenSigner.generate()
    async with running_gateway(namespace, signer) as (first_url, stack):
        settings = stack.settings["gateway"]
        port = free_port()
        env = {
            **os.environ,
            "GATEWAY_HTTP_PORT": str(port),
            "GATEWAY_DATABASE_URL": settings.database_url.get_secret_value(),
            "GATEWAY_EVENTS_EXCHANGE": settings.events_exchange,
            "GATEWAY_DEAD_LETTER_EXCHANGE": settings.dead_letter_exchange,
            "GATEWAY_QUEUE_PREFIX": settings.queue_prefix,
            "GATEWAY_JWT_PRIVATE_KEY": signer.private_pem,
            "GATEWAY_JWT_PUBLIC_KEY": signer.public_pem,
            "GATEWAY_LOG_LEVEL": "WARNING",
        }
        second = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "gateway",
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            second_url = f"http://127.0.0.1:{port}"
            await _wait_live(second_url)
            user, community = uuid.uuid4(), uuid.uuid4()
            headers = {"Authorization": f"Bearer {user_token(signer, user_id=user, community_id=community)}"}
            async with (
                httpx.AsyncClient() as client,
                SseReader(client, second_url + STREAM, headers).running() as on_second,
                SseReader(client, first_url + STREAM, headers).running() as on_first,
            ):
                amqp, exchange = settings.amqp_url.get_secret_value(), settings.events_exchange
                sent = await publish(amqp, exchange, *(order_accepted(community, user) for _ in range(6)))
                # Someone else's event travels too and must reach neither stream.
                await publish(amqp, exchange, order_accepted(community, uuid.uuid4()))
                expected = {str(envelope.event_id) for envelope in sent}
                await _until_received(expected, on_second, on_first)
                # Once all arrived, one more: anything duplicated would have come before it.
                [sentinel] = await publish(amqp, exchange, order_accepted(community, user))
                await _until_received({str(sentinel.event_id)}, on_second, on_first)
                expected_all = sorted([*expected, str(sentinel.event_id)])
                assert sorted(n["event_id"] for n in on_second.notifications()) == expected_all
                assert sorted(n["event_id"] for n in on_first.notifications()) == expected_all
        finally:
            second.terminate()
            await second.wait()
