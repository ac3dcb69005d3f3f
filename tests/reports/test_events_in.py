"""Events consumed through the real broker: a forum escalation redelivered three times (and
escalated again under a new event id) creates one report linked to the thread, and its status
changes go back out carrying the thread id; role grants build the staff projection."""

from __future__ import annotations

import asyncio
import uuid

import aio_pika

from contracts import Envelope, EventPayload, RoleGrantedV1, ThreadEscalatedV1
from servicekit.outbox import envelope_message
from tests.reports.helpers import Community, EventTap, Service, call


async def publish(
    service: Service, payload: EventPayload, copies: int = 1, envelope: Envelope | None = None
) -> Envelope:
    envelope = envelope or Envelope.wrap(payload, producer="forum")
    connection = await aio_pika.connect(service.settings.amqp_url.get_secret_value())
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(service.settings.events_exchange)
        for _ in range(copies):
            await exchange.publish(
                envelope_message(envelope.model_dump(mode="json")), routing_key=envelope.event_type, timeout=5
            )
    return envelope


async def wait_for(service: Service, sql: str, want: object, **params: object) -> list[object]:
    rows: list[object] = []
    for _ in range(200):
        rows = await service.sql(sql, **params)
        if rows == want:
            return rows
        await asyncio.sleep(0.05)
    return rows


async def test_forum_escalation_redelivered_three_times_creates_one_report(
    service: Service, community: Community
) -> None:
    thread_id, author = uuid.uuid4(), community.resident("6")
    escalation = ThreadEscalatedV1(
        community_id=community.id,
        thread_id=thread_id,
        author_id=author.id,
        escalated_by=uuid.uuid4(),
        board="grievances",
        title="6号楼电梯又坏了",
        body="The lift in building 6 has been stuck for two days; my mother cannot go out.",
        building="6",
        suggested_category="lifts",
    )
    envelope = await publish(service, escalation, copies=3)
    processed = await wait_for(
        service, "SELECT count(*) FROM processed_events WHERE event_id = :e", [(1,)], e=str(envelope.event_id)
    )
    assert processed == [(1,)]
    await publish(service, escalation)  # escalated again: a new event id, the same thread
    count_sql = "SELECT count(*) FROM processed_events WHERE event_type = 'forum.thread.escalated.v1'"
    await wait_for(service, count_sql, [(2,)])
    await asyncio.sleep(0.2)  # let any straggling copy be handled before counting
    rows = await service.sql(
        "SELECT id, category, building, reporter_id, source FROM reports WHERE source_thread_id = :t",
        t=str(thread_id),
    )
    assert len(rows) == 1
    report_id, category, building, reporter_id, source = rows[0]
    assert (category, building, reporter_id, source) == ("lifts", "6", author.id, "forum")

    manager = await community.staff("property_manager")
    async with EventTap(service, "reports.report.status_changed.v1") as tap:
        accepted = await call(service, manager, "POST", f"/api/v1/reports/{report_id}/accept")
        assert accepted.status_code == 200
        await tap.collect(lambda events: bool(tap.of(str(report_id))))
    assert tap.of(str(report_id))[0]["payload"]["source_thread_id"] == str(thread_id)


async def test_role_granted_event_adds_staff_of_a_department(service: Service, community: Community) -> None:
    user_id = uuid.uuid4()
    await publish(
        service,
        RoleGrantedV1(
            community_id=community.id, user_id=user_id, role="property_staff", department="heating"
        ),
    )
    await publish(service, RoleGrantedV1(community_id=community.id, user_id=uuid.uuid4(), role="courier"))
    rows = await wait_for(
        service,
        "SELECT role, department FROM staff WHERE user_id = :u",
        [("property_staff", "heating")],
        u=str(user_id),
    )
    assert rows == [("property_staff", "heating")]
    assert await service.sql("SELECT count(*) FROM staff WHERE community_id = :c", c=str(community.id)) == [
        (1,)
    ]
