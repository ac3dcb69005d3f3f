"""Notifications: user-targeted events become inbox entries (read/unread, private to their user)
and are pushed live over SSE; with two gateway processes a user connected to either gets each
notification exactly once."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import aio_pika
import httpx
import pytest
from sqlalchemy import select, text

from contracts import DisputeStateChangedV1, Envelope, HotspotDetectedV1, PostMentionedV1, ReportUrgedV1
from gateway.adapters.tables import notifications
from gateway.config import Settings
from servicekit.db import create_engine
from servicekit.stack import free_port
from servicekit.tokens import TokenSigner
from tests.gateway.conftest import Gateway, run_cli
from tests.gateway.helpers import (
    SseReader,
    order_accepted,
    publish,
    publish_envelopes,
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


async def _staff(gw: Gateway, role: str, department: str) -> tuple[str, dict[str, str]]:
    created, phone = await gw.register()
    granted = await gw.client.post(
        f"/api/v1/admin/users/{created['id']}/roles",
        json={"role": role, "department": department},
        headers=await gw.admin_headers(),
    )
    assert granted.status_code == 200, granted.text
    tokens = await gw.login(phone, "resident-pass-1")
    return created["id"], {"Authorization": f"Bearer {tokens['access_token']}"}


async def _items(gw: Gateway, headers: dict[str, str]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = (await gw.client.get("/api/v1/me/notifications", headers=headers)).json()[
        "items"
    ]
    return items


def _urged(community: uuid.UUID, reporter: str, assignee: str | None) -> ReportUrgedV1:
    return ReportUrgedV1(
        community_id=community,
        report_id=uuid.uuid4(),
        reporter_id=uuid.UUID(reporter),
        category="water_drains",
        department="property",
        building="3",
        status="assigned" if assignee else "accepted",
        assignee_id=uuid.UUID(assignee) if assignee else None,
        urged_by=uuid.UUID(reporter),
    )


async def test_an_urge_notifies_the_assignee_and_the_departments_managers_once(gw: Gateway) -> None:
    # The reporter happens to be a property manager too: still not told of their own urge.
    reporter, reporter_headers = await _staff(gw, "property_manager", "property")
    assignee, assignee_headers = await _staff(gw, "property_staff", "property")
    _, manager_headers = await _staff(gw, "property_manager", "property")
    _, heating_manager = await _staff(gw, "property_manager", "heating")
    _, property_staff = await _staff(gw, "property_staff", "property")
    _, resident = await gw.resident()
    community = uuid.UUID((await gw.client.get("/api/v1/me", headers=resident)).json()["community_id"])
    amqp, exchange = gw.settings.amqp_url.get_secret_value(), gw.settings.events_exchange

    [urged] = await publish(
        amqp, exchange, _urged(community, reporter, assignee), actor_id=uuid.UUID(reporter)
    )
    await publish_envelopes(amqp, exchange, urged)  # redelivered, as after a relay crash
    # A later urge of an unassigned report: only the managers hear of it, and it proves the
    # redelivery was handled before we count.
    [later] = await publish(amqp, exchange, _urged(community, reporter, None), actor_id=uuid.UUID(reporter))

    manager_items = await _inbox(gw, manager_headers, 2)
    assert sorted(item["event_id"] for item in manager_items) == sorted(
        [str(urged.event_id), str(later.event_id)]
    )
    assignee_items = await _inbox(gw, assignee_headers, 1)
    assert [item["event_id"] for item in assignee_items] == [str(urged.event_id)]
    assert assignee_items[0]["event_type"] == "reports.report.urged.v1"
    assert assignee_items[0]["data"]["urged_by"] == reporter
    assert assignee_items[0]["data"]["report_id"] == str(urged.payload["report_id"])
    for nobody in (reporter_headers, heating_manager, property_staff, resident):
        assert await _items(gw, nobody) == []


async def test_a_mention_notifies_the_mentioned_members_of_the_community_once(gw: Gateway) -> None:
    author, author_headers = await gw.resident()
    first, first_headers = await gw.resident()
    second, second_headers = await gw.resident()
    _, bystander = await gw.resident()
    community = uuid.UUID((await gw.client.get("/api/v1/me", headers=author_headers)).json()["community_id"])
    # A member of another community, mentioned by (a forged) id in this one's event.
    other_code = f"c-{uuid.uuid4().hex[:8]}"
    admin = await gw.admin_headers()
    made = await gw.client.post(
        "/api/v1/community/communities", json={"code": other_code, "name": "别的社区"}, headers=admin
    )
    assert made.status_code == 201, made.text
    outsider = await gw.client.post(
        "/api/v1/auth/register",
        json={
            "phone": gw.new_phone(),
            "password": "long-enough-1",
            "display_name": "x",
            "community_code": other_code,
        },
    )
    assert outsider.status_code == 201, outsider.text
    outsider_id = outsider.json()["id"]
    # Even a token claiming this community must find nothing for the outsider.
    outsider_here = {
        "Authorization": "Bearer "
        + gw.signer.sign(user_id=uuid.UUID(outsider_id), community_id=community, roles=["resident"])
    }
    amqp, exchange = gw.settings.amqp_url.get_secret_value(), gw.settings.events_exchange

    def mention(*mentioned: str) -> PostMentionedV1:
        return PostMentionedV1(
            community_id=community,
            post_id=uuid.uuid4(),
            thread_id=uuid.uuid4(),
            author_id=uuid.UUID(author),
            mentioned_user_ids=[uuid.UUID(user) for user in mentioned],
        )

    [mentioned] = await publish(
        amqp, exchange, mention(first, second, author, outsider_id), actor_id=uuid.UUID(author)
    )
    await publish_envelopes(amqp, exchange, mentioned)  # redelivered
    [later] = await publish(amqp, exchange, mention(first), actor_id=uuid.UUID(author))

    first_items = await _inbox(gw, first_headers, 2)
    assert sorted(item["event_id"] for item in first_items) == sorted(
        [str(mentioned.event_id), str(later.event_id)]
    )
    second_items = await _inbox(gw, second_headers, 1)
    assert [item["event_id"] for item in second_items] == [str(mentioned.event_id)]
    assert second_items[0]["event_type"] == "forum.post.mentioned.v1"
    assert second_items[0]["data"]["post_id"] == str(mentioned.payload["post_id"])
    for nobody in (author_headers, bystander, outsider_here):
        assert await _items(gw, nobody) == []


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
            "GATEWAY_QUEUE_EXPIRES_SECONDS": str(settings.queue_expires_seconds),
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
            async with httpx.AsyncClient(base_url=first_url) as registering:
                assert isinstance(settings, Settings)
                community, user, headers = await _stack_resident(registering, settings, "default")
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


def _dispute_in(community: uuid.UUID, *notified: uuid.UUID) -> DisputeStateChangedV1:
    return DisputeStateChangedV1(
        community_id=community,
        dispute_id=uuid.uuid4(),
        from_state=None,
        to_state="reported",
        notify_user_ids=list(notified),
    )


async def _other_community_resident(gw: Gateway) -> tuple[uuid.UUID, uuid.UUID, dict[str, str]]:
    """(community id, user id, headers) of a resident of a community of their own."""
    code = f"c-{uuid.uuid4().hex[:8]}"
    made = await gw.client.post(
        "/api/v1/community/communities",
        json={"code": code, "name": "别的社区"},
        headers=await gw.admin_headers(),
    )
    assert made.status_code == 201, made.text
    phone = gw.new_phone()
    created = await gw.client.post(
        "/api/v1/auth/register",
        json={"phone": phone, "password": "long-enough-1", "display_name": "x", "community_code": code},
    )
    assert created.status_code == 201, created.text
    tokens = await gw.login(phone, "long-enough-1")
    return (
        uuid.UUID(made.json()["id"]),
        uuid.UUID(created.json()["id"]),
        {"Authorization": f"Bearer {tokens['access_token']}"},
    )


async def test_an_event_writes_nothing_for_a_user_outside_its_community(gw: Gateway) -> None:
    """A forum of community A naming a user of community B (a dispute party) reaches A's user
    only: no notification row is written for B's user, whatever inbox would or would not show it."""
    member, member_headers = await gw.resident()
    community = uuid.UUID((await gw.client.get("/api/v1/me", headers=member_headers)).json()["community_id"])
    _, outsider, _ = await _other_community_resident(gw)
    amqp, exchange = gw.settings.amqp_url.get_secret_value(), gw.settings.events_exchange
    [dispute] = await publish(amqp, exchange, _dispute_in(community, uuid.UUID(member), outsider))
    [order] = await publish(amqp, exchange, order_accepted(community, outsider))
    [later] = await publish(amqp, exchange, _dispute_in(community, uuid.UUID(member)))
    # The later event was consumed after the other two (one queue, in order).
    await _inbox(gw, member_headers, 2)
    async with gw.app.state.runtime.uow() as uow:
        rows = (
            await uow.session.execute(
                select(notifications.c.user_id, notifications.c.event_id).where(
                    notifications.c.event_id.in_([dispute.event_id, order.event_id, later.event_id])
                )
            )
        ).all()
    assert sorted((row.user_id, row.event_id) for row in rows) == sorted(
        [(uuid.UUID(member), dispute.event_id), (uuid.UUID(member), later.event_id)]
    )


async def _stack_resident(
    client: httpx.AsyncClient, settings: Settings, community_code: str
) -> tuple[uuid.UUID, uuid.UUID, dict[str, str]]:
    """(community id, user id, headers) of a new resident of `community_code` (created with its
    admin by the operator CLI when new)."""
    await run_cli(
        settings, "create-admin", "--phone", f"136{uuid.uuid4().int % 10**8:08d}", "--password",
        "admin-pass-123", "--community-code", community_code,
    )  # fmt: skip
    phone = f"137{uuid.uuid4().int % 10**8:08d}"
    created = await client.post(
        "/api/v1/auth/register",
        json={
            "phone": phone,
            "password": "long-enough-1",
            "display_name": "x",
            "community_code": community_code,
        },
    )
    assert created.status_code == 201, created.text
    login = await client.post("/api/v1/auth/login", json={"phone": phone, "password": "long-enough-1"})
    assert login.status_code == 200, login.text
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    me = (await client.get("/api/v1/me", headers=headers)).json()
    return uuid.UUID(me["community_id"]), uuid.UUID(created.json()["id"]), headers


async def test_the_stream_pushes_exactly_what_the_inbox_holds(namespace: str) -> None:
    """Community A's dispute names A's member and B's resident; B has an event of its own. Each
    stream pushes exactly its inbox (same representation), nothing of another community, even to
    a token that claims another community than the user's."""
    signer = TokenSigner.generate()
    async with running_gateway(namespace, signer) as (url, stack), httpx.AsyncClient(base_url=url) as client:
        settings = stack.settings["gateway"]
        assert isinstance(settings, Settings)
        community_a, member, member_headers = await _stack_resident(client, settings, f"a-{namespace}")
        community_b, outsider, outsider_headers = await _stack_resident(client, settings, f"b-{namespace}")
        # The outsider with a token claiming community A (as a confused or forged issuer would):
        # the inbox it opens lists nothing, so its stream must push nothing either.
        outsider_as_a = {
            "Authorization": f"Bearer {user_token(signer, user_id=outsider, community_id=community_a)}"
        }
        async with (
            SseReader(client, url + STREAM, member_headers).running() as member_stream,
            SseReader(client, url + STREAM, outsider_headers).running() as outsider_stream,
            SseReader(client, url + STREAM, outsider_as_a).running() as forged_stream,
        ):
            amqp, exchange = settings.amqp_url.get_secret_value(), settings.events_exchange
            await publish(amqp, exchange, _dispute_in(community_a, member, outsider))
            [order_b] = await publish(amqp, exchange, order_accepted(community_b, outsider))
            # Sentinels: one per inbox, after everything else (one queue, in order).
            [last_a] = await publish(amqp, exchange, _dispute_in(community_a, member))
            [last_b] = await publish(amqp, exchange, order_accepted(community_b, outsider))
            await _until_received({str(last_a.event_id)}, member_stream)
            await _until_received({str(last_b.event_id)}, outsider_stream)
            for headers, reader in (
                (member_headers, member_stream),
                (outsider_headers, outsider_stream),
                (outsider_as_a, forged_stream),
            ):
                inbox = (await client.get("/api/v1/me/notifications", headers=headers)).json()["items"]
                assert sorted(reader.notifications(), key=lambda n: n["id"]) == sorted(
                    inbox, key=lambda n: n["id"]
                )
            assert len(member_stream.notifications()) == 2
            assert sorted(n["event_id"] for n in outsider_stream.notifications()) == sorted(
                [str(order_b.event_id), str(last_b.event_id)]
            )
            assert forged_stream.notifications() == []


async def test_an_event_of_the_wrong_shape_goes_to_the_dlq_with_no_inbox_row_and_no_effect(
    gw: Gateway,
) -> None:
    """Poison is never acknowledged silently: the payload is checked against its contract model
    before the handler runs (here: no price, an unknown field, a requester id that is no uuid list)."""
    resident_id, headers = await gw.resident()
    me = (await gw.client.get("/api/v1/me", headers=headers)).json()
    community = uuid.UUID(me["community_id"])
    valid = order_accepted(community, uuid.UUID(resident_id))
    payload = valid.model_dump(mode="json")
    del payload["price_fen"]
    payload["surprise"] = 1
    poison = Envelope(
        event_id=uuid.uuid4(),
        event_type=valid.event_type,
        occurred_at=datetime.now(UTC),
        producer="errand",
        payload=payload,
    )
    await publish_envelopes(gw.settings.amqp_url.get_secret_value(), gw.settings.events_exchange, poison)

    dead = await _dead_letter(gw, poison.event_id)
    assert dead["payload"] == payload
    # A valid event published after it is applied: the consumer went on, and the poison did nothing.
    sent = await publish(gw.settings.amqp_url.get_secret_value(), gw.settings.events_exchange, valid)
    items = await _inbox(gw, headers, 1)
    assert [item["event_id"] for item in items] == [str(sent[0].event_id)]
    engine = create_engine(gw.settings.database_url.get_secret_value(), pool_size=1)
    try:
        async with engine.connect() as conn:
            inbox_rows = (
                await conn.execute(
                    text("SELECT count(*) FROM processed_events WHERE event_id = :id"),
                    {"id": poison.event_id},
                )
            ).scalar()
            notes = (
                await conn.execute(
                    text("SELECT count(*) FROM notifications WHERE event_id = :id"), {"id": poison.event_id}
                )
            ).scalar()
    finally:
        await engine.dispose()
    assert inbox_rows == 0
    assert notes == 0


async def _dead_letter(gw: Gateway, event_id: uuid.UUID) -> dict[str, Any]:
    connection = await aio_pika.connect(gw.settings.amqp_url.get_secret_value())
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(gw.settings.dead_letter_queue_name, passive=True)
        for _ in range(300):
            message = await queue.get(fail=False, no_ack=True)
            if message is None:
                await asyncio.sleep(0.1)
                continue
            body: dict[str, Any] = json.loads(message.body)
            if body.get("event_id") == str(event_id):
                return body
    raise AssertionError(f"event {event_id} did not reach {gw.settings.dead_letter_queue_name}")
