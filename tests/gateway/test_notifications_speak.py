"""Notifications that speak (issue 11 point 3): each notification type has a title and a body in
the reader's language with a link to its object; a new report reaches its department's staff and
managers; decisions reach the applicant; a browser opens the stream with a single-use ticket; a
reconnecting stream replays what it missed, then goes live, without gaps or repeats."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from contracts import (
    DeliberationStateChangedV1,
    DisputeStateChangedV1,
    HotspotDetectedV1,
    OrderAcceptedV1,
    OrderCancelledV1,
    OrderCompletedV1,
    OrderCreatedV1,
    OrderDeliveredV1,
    OrderExpiredV1,
    OrderPickedUpV1,
    OrderSettledV1,
    PaymentFailedV1,
    PostMentionedV1,
    RefundSucceededV1,
    ReportOverdueV1,
    ReportRatedV1,
    ReportStatusChangedV1,
    ReportSubmittedV1,
    ReportUrgedV1,
)
from contracts.envelope import EventPayload
from gateway.config import Settings
from servicekit.tokens import TokenSigner
from tests.gateway.conftest import Gateway
from tests.gateway.helpers import SseReader, order_accepted, publish, running_gateway
from tests.gateway.test_notifications import _stack_resident

pytestmark = pytest.mark.timeout(120)

INBOX = "/api/v1/me/notifications"
STREAM = INBOX + "/stream"

# What each reader sees, by event type: (zh-CN, en, ko) titles.
TITLES = {
    "errand.order.created.v1": ("订单已发布", "Your errand is posted", "심부름이 등록되었습니다"),
    "errand.order.accepted.v1": ("跑腿员已接单", "Your errand has been accepted", "심부름이 접수되었습니다"),
    "errand.order.picked_up.v1": ("跑腿员已取货", "Your errand is on its way", "배달이 출발했습니다"),
    "errand.order.delivered.v1": ("订单已送达", "Your errand was delivered", "배달이 완료되었습니다"),
    "errand.order.completed.v1": ("订单已完成", "Errand completed", "심부름이 완료되었습니다"),
    "errand.order.cancelled.v1": ("订单已取消", "Errand cancelled", "주문이 취소되었습니다"),
    "errand.order.expired.v1": ("订单暂无人接单", "No courier took your errand", "배달원을 찾지 못했습니다"),
    "reports.report.submitted.v1": ("新报事待受理", "New report to handle", "새 민원이 접수되었습니다"),
    "reports.report.status_changed.v1": ("报事已解决", "Report resolved", "민원 해결됨"),
    "reports.report.overdue.v1": ("报事已超时", "Report overdue", "민원 처리 기한 초과"),
    "reports.report.rated.v1": ("收到居民评价", "A resident rated your work", "주민 평가가 도착했습니다"),
    "reports.report.urged.v1": ("居民催单", "A resident is waiting", "민원 처리 독촉"),
    "forum.post.mentioned.v1": ("有邻居@了您", "You were mentioned", "회원님이 언급되었습니다"),
    "forum.dispute.state_changed.v1": ("纠纷调解有新进展", "Dispute update", "분쟁 조정 진행 상황"),
    "forum.deliberation.state_changed.v1": ("议事有新进展", "Deliberation update", "주민 협의 진행 상황"),
    "forum.hotspot.detected.v1": ("发现热点问题", "A concern is rising", "급증하는 민원 감지"),
    "errand.order.settled.v1": ("收入已入账", "Earnings credited", "수입이 입금되었습니다"),
    "payments.refund.succeeded.v1": ("退款已到账", "Refund made", "환불되었습니다"),
    "payments.payment.failed.v1": ("支付未完成", "Payment not completed", "결제가 완료되지 않았습니다"),
    "gateway.household_claim.decided.v1": (
        "住户认证申请已通过",
        "Household claim approved",
        "세대 인증 신청이 승인되었습니다",
    ),
    "gateway.courier_application.decided.v1": (
        "跑腿员申请未通过",
        "Courier application declined",
        "배달원 신청이 반려되었습니다",
    ),
}
LINKS = {
    "errand.order": "errand_order",
    "reports.report": "report",
    "forum.post": "forum_thread",
    "forum.dispute": "dispute",
    "forum.deliberation": "deliberation",
    "forum.hotspot": "hotspot",
    "gateway.household_claim": "household_claim",
    "gateway.courier_application": "courier_application",
    "payments.payment": "payment",
    "payments.refund": "payment",
}
_LATIN = re.compile(r"[A-Za-z]")


async def _person(
    gw: Gateway, *, locale: str = "zh-CN", roles: tuple[tuple[str, str | None], ...] = ()
) -> Any:
    phone = gw.new_phone()
    created = await gw.client.post(
        "/api/v1/auth/register",
        json={
            "phone": phone,
            "password": "resident-pass-1",
            "display_name": "居民",
            "locale": locale,
            "community_code": "default",
        },
    )
    assert created.status_code == 201, created.text
    user_id = created.json()["id"]
    admin = await gw.admin_headers()
    for role, department in roles:
        body = {"role": role} if department is None else {"role": role, "department": department}
        granted = await gw.client.post(f"/api/v1/admin/users/{user_id}/roles", json=body, headers=admin)
        assert granted.status_code == 200, granted.text
    tokens = await gw.login(phone, "resident-pass-1")
    return user_id, {"Authorization": f"Bearer {tokens['access_token']}"}, created.json()["community_id"]


async def _items(gw: Gateway, headers: dict[str, str], count: int) -> list[dict[str, Any]]:
    for _ in range(300):
        got = await gw.client.get(INBOX + "?limit=100", headers=headers)
        items: list[dict[str, Any]] = got.json()["items"]
        if len(items) >= count:
            return items
        await asyncio.sleep(0.05)
    raise AssertionError(f"fewer than {count} notifications: {[i['event_type'] for i in items]}")


def _events_for(community: uuid.UUID, user: uuid.UUID) -> list[EventPayload]:
    other = uuid.uuid4()
    now = datetime.now(UTC)
    order = {"community_id": community, "order_id": uuid.uuid4(), "order_type": "buy", "price_fen": 800}
    money = {
        "community_id": community,
        "payment_id": uuid.uuid4(),
        "purpose": "errand_order",
        "ref_id": uuid.uuid4(),
    }
    report = {
        "community_id": community,
        "report_id": uuid.uuid4(),
        "category": "heating_cold",
        "building": "3",
    }
    return [
        OrderCreatedV1(**order, requester_id=user),
        OrderAcceptedV1(**order, requester_id=user, courier_id=other),
        OrderPickedUpV1(**order, requester_id=user, courier_id=other),
        OrderDeliveredV1(**order, requester_id=user, courier_id=other, auto_complete_at=now),
        OrderCompletedV1(**order, requester_id=other, courier_id=user, completion="confirmed", tip_fen=300),
        OrderCancelledV1(**order, requester_id=other, courier_id=user, from_status="accepted"),
        OrderExpiredV1(**order, requester_id=user),
        OrderSettledV1(
            **order,
            requester_id=other,
            courier_id=user,
            paid_fen=800,
            courier_earnings_fen=800,
            platform_fee_fen=0,
        ),
        RefundSucceededV1(
            **money,
            payer_id=user,
            amount_fen=800,
            refund_id=uuid.uuid4(),
            refund_fen=600,
            refunded_total_fen=600,
            reason="order_cancelled",
        ),
        PaymentFailedV1(**money, payer_id=user, amount_fen=800, reason="closed"),
        ReportSubmittedV1(
            **report,
            reporter_id=other,
            department="heating",
            public_area=False,
            due_accept_at=now,
            due_resolve_at=now,
        ),
        ReportStatusChangedV1(
            **report, reporter_id=user, department="heating", from_status="in_progress", to_status="resolved"
        ),
        ReportOverdueV1(
            **report, reporter_id=other, department="heating", kind="resolve", due_at=now, status="assigned"
        ),
        ReportRatedV1(
            **report,
            reporter_id=other,
            department="heating",
            assignee_id=user,
            overall=5,
            speed=4,
            attitude=5,
        ),
        ReportUrgedV1(
            **report,
            reporter_id=other,
            department="heating",
            status="assigned",
            assignee_id=user,
            urged_by=other,
        ),
        PostMentionedV1(
            community_id=community,
            post_id=uuid.uuid4(),
            thread_id=uuid.uuid4(),
            author_id=other,
            mentioned_user_ids=[user],
        ),
        DisputeStateChangedV1(
            community_id=community,
            dispute_id=uuid.uuid4(),
            from_state="triaged",
            to_state="in_mediation",
            notify_user_ids=[user],
        ),
        DeliberationStateChangedV1(
            community_id=community,
            deliberation_id=uuid.uuid4(),
            title="加装电梯",
            from_state="deliberating",
            to_state="voting",
            notify_user_ids=[user],
        ),
        HotspotDetectedV1(
            community_id=community,
            hotspot_id=uuid.uuid4(),
            keyword="暖气不热",
            building="3",
            window_start=now - timedelta(days=1),
            window_end=now,
            count=9,
            baseline=1.0,
            score=5.0,
            evidence_post_ids=[],
            evidence_report_ids=[],
        ),
    ]


async def test_each_notification_type_speaks_the_readers_language(gw: Gateway) -> None:
    """Three readers (zh-CN, en, ko) hold the same roles and receive every notification type; each
    reads titles and bodies in their own language, Chinese text carries no Latin letters (no ids,
    no English state names), every notification links to its object, and the stored representation
    is the same for all."""
    admin = await gw.admin_headers()
    roles: tuple[tuple[str, str | None], ...] = (("property_manager", "heating"), ("committee", None))
    readers = [await _person(gw, locale=locale, roles=roles) for locale in ("zh-CN", "en", "ko")]
    community = uuid.UUID(readers[0][2])
    building = await gw.client.post("/api/v1/community/buildings", json={"name": "9号楼"}, headers=admin)
    for user_id, headers, _ in readers:
        await publish(
            gw.settings.amqp_url.get_secret_value(),
            gw.settings.events_exchange,
            *_events_for(community, uuid.UUID(user_id)),
        )
        household = await gw.client.post(
            "/api/v1/community/households",
            json={
                "building_id": building.json()["id"],
                "unit": "1",
                "room": f"{uuid.uuid4().int % 9000 + 1000}",
            },
            headers=admin,
        )
        assert household.status_code == 201, household.text
        claim = await gw.client.post(
            "/api/v1/me/household-claims",
            json={"household_id": household.json()["id"], "real_name": "张三"},
            headers=headers,
        )
        assert claim.status_code == 201, claim.text
        decided = await gw.client.post(
            f"/api/v1/community/household-claims/{claim.json()['id']}/decision",
            json={"decision": "approve"},
            headers=admin,
        )
        assert decided.status_code == 200, decided.text
        application = await gw.client.post(
            "/api/v1/me/courier-application",
            json={"real_name": "张三", "id_number_last4": "123X"},
            headers=headers,
        )
        assert application.status_code == 201, application.text
        rejected = await gw.client.post(
            f"/api/v1/community/courier-applications/{application.json()['id']}/decision",
            json={"decision": "reject"},
            headers=admin,
        )
        assert rejected.status_code == 200, rejected.text

    for index, (_, headers, _) in enumerate(readers):
        items = await _items(gw, headers, len(TITLES))
        by_type = {item["event_type"]: item for item in items}
        assert set(by_type) == set(TITLES)
        for event_type, titles in TITLES.items():
            item = by_type[event_type]
            assert item["title"] == titles[index], (event_type, item["title"])
            assert item["body"], event_type
            prefix = event_type.rsplit(".", 2)[0]
            assert item["link"]["type"] == LINKS[prefix], event_type
            uuid.UUID(item["link"]["id"])
            assert "T" in item["created_at"]
            assert item["created_at"].endswith(("Z", "+00:00"))
            if index == 0:
                assert not _LATIN.search(item["title"] + item["body"]), (event_type, item["body"])
    zh = {i["event_type"]: i for i in await _items(gw, readers[0][1], len(TITLES))}
    assert zh["reports.report.status_changed.v1"]["body"] == "您关注的报事由“处理中”变为“已解决”。"
    assert zh["errand.order.completed.v1"]["body"] == "您配送的帮买订单已完成，收到小费 3.00 元。"
    en = {i["event_type"]: i for i in await _items(gw, readers[1][1], len(TITLES))}
    assert en["reports.report.submitted.v1"]["body"] == (
        "A new report (building 3) came in for the heating company; please accept it soon."
    )


async def test_a_new_report_reaches_its_departments_staff_and_managers_only(gw: Gateway) -> None:
    reporter, reporter_headers, community = await _person(gw)
    _, staff_headers, _ = await _person(gw, roles=(("property_staff", "heating"),))
    _, manager_headers, _ = await _person(gw, roles=(("property_manager", "heating"),))
    _, other_staff_headers, _ = await _person(gw, roles=(("property_staff", "property"),))
    _, other_manager_headers, _ = await _person(gw, roles=(("property_manager", "police"),))
    now = datetime.now(UTC)
    [sent] = await publish(
        gw.settings.amqp_url.get_secret_value(),
        gw.settings.events_exchange,
        ReportSubmittedV1(
            community_id=uuid.UUID(community),
            report_id=uuid.uuid4(),
            reporter_id=uuid.UUID(reporter),
            category="heating_cold",
            department="heating",
            public_area=False,
            due_accept_at=now,
            due_resolve_at=now,
        ),
        actor_id=uuid.UUID(reporter),
    )
    for headers in (staff_headers, manager_headers):
        [item] = await _items(gw, headers, 1)
        assert item["event_id"] == str(sent.event_id)
        assert item["title"] == "新报事待受理"
        assert item["body"] == "供热公司收到一条新的报事，请及时受理。"
    # One event, one delivery: once the staff have it, the others' inboxes are settled without it.
    for headers in (reporter_headers, other_staff_headers, other_manager_headers):
        assert (await gw.client.get(INBOX, headers=headers)).json()["items"] == []


async def test_a_courier_application_decision_reaches_the_applicant_in_the_same_transaction(
    gw: Gateway,
) -> None:
    _, applicant, _ = await _person(gw, locale="en")
    admin = await gw.admin_headers()
    application = await gw.client.post(
        "/api/v1/me/courier-application",
        json={"real_name": "李四", "id_number_last4": "4321"},
        headers=applicant,
    )
    decided = await gw.client.post(
        f"/api/v1/community/courier-applications/{application.json()['id']}/decision",
        json={"decision": "approve"},
        headers=admin,
    )
    assert decided.status_code == 200
    # Written with the decision: in the inbox as soon as the decision has answered.
    [item] = (await gw.client.get(INBOX, headers=applicant)).json()["items"]
    assert item["title"] == "Courier application approved"
    assert item["link"] == {"type": "courier_application", "id": application.json()["id"]}
    # Deciding again changes nothing and tells nobody twice.
    await gw.client.post(
        f"/api/v1/community/courier-applications/{application.json()['id']}/decision",
        json={"decision": "approve"},
        headers=admin,
    )
    assert len((await gw.client.get(INBOX, headers=applicant)).json()["items"]) == 1
    assert (await gw.client.get(INBOX, headers=admin)).json()["items"] == []


async def _stack_user(
    client: httpx.AsyncClient, settings: Settings
) -> tuple[uuid.UUID, uuid.UUID, dict[str, str]]:
    return await _stack_resident(client, settings, "default")


async def _received(reader: SseReader, count: int) -> list[dict[str, Any]]:
    for _ in range(300):
        if len(reader.notifications()) >= count:
            return reader.notifications()
        await asyncio.sleep(0.05)
    raise AssertionError(f"the stream got {len(reader.notifications())} of {count}")


async def test_a_stream_ticket_opens_one_stream_once_and_expires(namespace: str) -> None:
    signer = TokenSigner.generate()
    async with (
        running_gateway(namespace, signer, stream_ticket_seconds=1) as (url, stack),
        httpx.AsyncClient(base_url=url) as client,
    ):
        settings = stack.settings["gateway"]
        assert isinstance(settings, Settings)
        community, user, headers = await _stack_user(client, settings)
        assert (await client.post(INBOX + "/stream-ticket")).status_code == 401
        issued = await client.post(INBOX + "/stream-ticket", headers=headers)
        assert issued.status_code == 200
        assert issued.json()["expires_in"] == 1
        ticket = issued.json()["ticket"]
        async with SseReader(client, url + STREAM + f"?ticket={ticket}", {}).running() as stream:
            [sent] = await publish(
                settings.amqp_url.get_secret_value(),
                settings.events_exchange,
                order_accepted(community, user),
            )
            [pushed] = await _received(stream, 1)
            assert pushed["event_id"] == str(sent.event_id)
            assert pushed["title"] == "跑腿员已接单"
            [listed] = (await client.get(INBOX, headers=headers)).json()["items"]
            assert pushed == listed
            # Used once: a second open is refused, while the first stream is still open.
            reused = await client.get(STREAM, params={"ticket": ticket})
            assert reused.status_code == 401
            assert reused.json()["code"] == "stream_ticket_invalid"
        assert (await client.get(STREAM, params={"ticket": "made-up"})).status_code == 401
        unused = (await client.post(INBOX + "/stream-ticket", headers=headers)).json()["ticket"]
        await asyncio.sleep(1.5)  # past the ticket's life (configured to 1 s here)
        expired = await client.get(STREAM, params={"ticket": unused})
        assert expired.status_code == 401
        assert expired.json()["code"] == "stream_ticket_invalid"


async def test_a_reconnecting_stream_replays_what_it_missed_then_goes_live(namespace: str) -> None:
    signer = TokenSigner.generate()
    async with running_gateway(namespace, signer) as (url, stack), httpx.AsyncClient(base_url=url) as client:
        settings = stack.settings["gateway"]
        assert isinstance(settings, Settings)
        amqp, exchange = settings.amqp_url.get_secret_value(), settings.events_exchange
        community, user, headers = await _stack_user(client, settings)
        async with SseReader(client, url + STREAM, headers).running() as first:
            await publish(amqp, exchange, order_accepted(community, user))
            [seen] = await _received(first, 1)
        # Offline: three more arrive.
        missed = await publish(amqp, exchange, *(order_accepted(community, user) for _ in range(3)))
        for _ in range(300):
            listed = (await client.get(INBOX, headers=headers)).json()["items"]
            if len(listed) == 4:
                break
            await asyncio.sleep(0.05)
        offline = [n for n in listed if n["id"] != seen["id"]]
        ticket = (await client.post(INBOX + "/stream-ticket", headers=headers)).json()["ticket"]
        resumed_at = {"Last-Event-ID": seen["id"]}
        async with SseReader(client, url + STREAM + f"?ticket={ticket}", resumed_at).running() as second:
            replayed = await _received(second, 3)
            # Oldest first, as the inbox ordered them (the consumer may handle events in parallel).
            assert [n["id"] for n in replayed] == [n["id"] for n in reversed(offline)]
            assert {n["event_id"] for n in replayed} == {str(e.event_id) for e in missed}
            [live] = await publish(amqp, exchange, order_accepted(community, user))
            got = await _received(second, 4)
            [sentinel] = await publish(amqp, exchange, order_accepted(community, user))
            got = await _received(second, 5)
            assert [n["event_id"] for n in got] == [
                *(n["event_id"] for n in replayed),
                str(live.event_id),
                str(sentinel.event_id),
            ]
            assert [event["id"] for event in second.events] == [n["id"] for n in got]
        inbox = (await client.get(INBOX + "?limit=100", headers=headers)).json()["items"]
        assert sorted(n["id"] for n in got) == sorted(n["id"] for n in inbox if n["id"] != seen["id"])
        # A browser's new EventSource cannot send the header: `?last_event_id=` replays the same.
        ticket = (await client.post(INBOX + "/stream-ticket", headers=headers)).json()["ticket"]
        query = f"?ticket={ticket}&last_event_id={seen['id']}"
        async with SseReader(client, url + STREAM + query, {}).running() as third:
            again = await _received(third, 5)
            assert [n["id"] for n in again] == [n["id"] for n in got]
