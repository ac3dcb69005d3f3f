"""Every event survives wrap -> to_json -> from_json -> parse_payload unchanged, and its JSON
fits its own published JSON schema."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from uuid import UUID, uuid4

import pytest

from contracts import (
    EVENT_MODELS,
    CommunityCreatedV1,
    DeliberationStateChangedV1,
    DisputeStateChangedV1,
    Envelope,
    EventPayload,
    HotspotDetectedV1,
    HouseholdVerifiedV1,
    OrderAcceptedV1,
    OrderCancelledV1,
    OrderCompletedV1,
    OrderCreatedV1,
    OrderDeliveredV1,
    OrderExpiredV1,
    OrderPickedUpV1,
    OrderRecipientCodeV1,
    OrderSettledV1,
    PaymentFailedV1,
    PaymentSucceededV1,
    PostCreatedV1,
    PostMentionedV1,
    RefundSucceededV1,
    ReportOverdueV1,
    ReportRatedV1,
    ReportStatusChangedV1,
    ReportSubmittedV1,
    ReportUrgedV1,
    RoleGrantedV1,
    RoleRevokedV1,
    ThreadEscalatedV1,
    UserDeletedV1,
    UserProfileChangedV1,
    UserRegisteredV1,
)

COMMUNITY = UUID("00000000-0000-4000-8000-000000000001")
SHANGHAI = timezone(timedelta(hours=8))
NOW = datetime(2025, 3, 1, 9, 30, tzinfo=SHANGHAI)
A, B, C = uuid4(), uuid4(), uuid4()


def _order(model: type[OrderCreatedV1] | type[OrderExpiredV1], **extra: object) -> EventPayload:
    return model.model_validate(
        {
            "community_id": COMMUNITY,
            "order_id": uuid4(),
            "requester_id": A,
            "order_type": "pickup_parcel",
            "price_fen": 600,
            **extra,
        }
    )


SAMPLES: dict[str, Callable[[], EventPayload]] = {
    "errand.order.recipient_code.v1": lambda: OrderRecipientCodeV1(
        community_id=COMMUNITY,
        order_id=A,
        requester_id=A,
        order_type="deliver",
        recipient_phone="+86 13800001234",
        delivery_code="0427",
    ),
    "gateway.community.created.v1": lambda: CommunityCreatedV1(
        community_id=COMMUNITY, code="demo", name="演示社区"
    ),
    "gateway.user.registered.v1": lambda: UserRegisteredV1(
        community_id=COMMUNITY, user_id=A, channel="wechat", display_name="吕女士"
    ),
    "gateway.user.profile_changed.v1": lambda: UserProfileChangedV1(
        community_id=COMMUNITY, user_id=A, display_name="吕阿姨", locale="ko"
    ),
    "gateway.role.granted.v1": lambda: RoleGrantedV1(
        community_id=COMMUNITY, user_id=A, role="property_staff", department="heating"
    ),
    "gateway.role.revoked.v1": lambda: RoleRevokedV1(community_id=COMMUNITY, user_id=A, role="courier"),
    "gateway.user.deleted.v1": lambda: UserDeletedV1(community_id=COMMUNITY, user_id=A),
    "gateway.household.verified.v1": lambda: HouseholdVerifiedV1(
        community_id=COMMUNITY,
        household_id=uuid4(),
        user_id=A,
        building="3号楼",
        unit="2",
        room="502",
        elderly_alone=True,
    ),
    "errand.order.created.v1": lambda: OrderCreatedV1(
        community_id=COMMUNITY,
        order_id=uuid4(),
        requester_id=A,
        order_type="buy",
        price_fen=800,
        tip_fen=200,
        scheduled_at=NOW + timedelta(hours=1),
    ),
    "errand.order.accepted.v1": lambda: OrderAcceptedV1(
        community_id=COMMUNITY,
        order_id=uuid4(),
        requester_id=A,
        courier_id=B,
        order_type="queue",
        price_fen=0,
    ),
    "errand.order.picked_up.v1": lambda: OrderPickedUpV1(
        community_id=COMMUNITY,
        order_id=uuid4(),
        requester_id=A,
        courier_id=B,
        order_type="deliver",
        price_fen=500,
    ),
    "errand.order.delivered.v1": lambda: OrderDeliveredV1(
        community_id=COMMUNITY,
        order_id=uuid4(),
        requester_id=A,
        courier_id=B,
        order_type="pay_bill",
        price_fen=300,
        auto_complete_at=NOW + timedelta(hours=24),
    ),
    "errand.order.completed.v1": lambda: OrderCompletedV1(
        community_id=COMMUNITY,
        order_id=uuid4(),
        requester_id=A,
        courier_id=B,
        order_type="home_service",
        price_fen=5000,
        tip_fen=500,
        completion="auto",
    ),
    "errand.order.cancelled.v1": lambda: OrderCancelledV1(
        community_id=COMMUNITY,
        order_id=uuid4(),
        requester_id=A,
        courier_id=B,
        order_type="buy",
        price_fen=800,
        from_status="accepted",
        cancel_fee_fen=200,
    ),
    "errand.order.expired.v1": lambda: _order(OrderExpiredV1),
    "errand.order.settled.v1": lambda: OrderSettledV1(
        community_id=COMMUNITY,
        order_id=uuid4(),
        requester_id=A,
        courier_id=B,
        order_type="buy",
        price_fen=800,
        tip_fen=200,
        paid_fen=1000,
        courier_earnings_fen=900,
        platform_fee_fen=100,
    ),
    "payments.payment.succeeded.v1": lambda: PaymentSucceededV1(
        community_id=COMMUNITY,
        payment_id=uuid4(),
        payer_id=A,
        purpose="errand_order",
        ref_id=uuid4(),
        amount_fen=1000,
    ),
    "payments.payment.failed.v1": lambda: PaymentFailedV1(
        community_id=COMMUNITY,
        payment_id=uuid4(),
        payer_id=A,
        purpose="property_bill",
        ref_id=uuid4(),
        amount_fen=25000,
        reason="closed",
    ),
    "payments.refund.succeeded.v1": lambda: RefundSucceededV1(
        community_id=COMMUNITY,
        payment_id=uuid4(),
        payer_id=A,
        purpose="errand_order",
        ref_id=uuid4(),
        amount_fen=1000,
        refund_id=uuid4(),
        refund_fen=800,
        refunded_total_fen=800,
        reason="order_cancelled",
    ),
    "reports.report.submitted.v1": lambda: ReportSubmittedV1(
        community_id=COMMUNITY,
        report_id=uuid4(),
        reporter_id=A,
        category="heating_no_heat",
        department="heating",
        building="7",
        source_thread_id=C,
        public_area=False,
        due_accept_at=NOW + timedelta(hours=2),
        due_resolve_at=NOW + timedelta(hours=48),
    ),
    "reports.report.status_changed.v1": lambda: ReportStatusChangedV1(
        community_id=COMMUNITY,
        report_id=uuid4(),
        reporter_id=None,
        category="noise",
        department="police",
        from_status="accepted",
        to_status="rejected",
        reject_reason="duplicate",
        duplicate_of=uuid4(),
        supporter_ids=[B, C],
    ),
    "reports.report.overdue.v1": lambda: ReportOverdueV1(
        community_id=COMMUNITY,
        report_id=uuid4(),
        reporter_id=A,
        category="elevator",
        department="property",
        building="12",
        kind="resolve",
        due_at=NOW,
        status="in_progress",
        assignee_id=B,
    ),
    "reports.report.rated.v1": lambda: ReportRatedV1(
        community_id=COMMUNITY,
        report_id=uuid4(),
        reporter_id=A,
        category="elevator",
        department="property",
        assignee_id=B,
        overall=5,
        speed=4,
        attitude=1,
    ),
    "reports.report.urged.v1": lambda: ReportUrgedV1(
        community_id=COMMUNITY,
        report_id=uuid4(),
        reporter_id=A,
        category="heating",
        department="heating",
        building="7号楼",
        status="assigned",
        assignee_id=B,
        urged_by=A,
    ),
    "forum.post.mentioned.v1": lambda: PostMentionedV1(
        community_id=COMMUNITY,
        post_id=uuid4(),
        thread_id=C,
        author_id=A,
        mentioned_user_ids=[B, C],
    ),
    "forum.thread.escalated.v1": lambda: ThreadEscalatedV1(
        community_id=COMMUNITY,
        thread_id=C,
        author_id=A,
        escalated_by=B,
        board="grievances",
        title="3号楼楼道灯坏了一周",
        body="晚上上下楼很危险, 老人摔过一次。",
        building="3号楼",
        suggested_category="lighting",
    ),
    "forum.post.created.v1": lambda: PostCreatedV1(
        community_id=COMMUNITY,
        post_id=uuid4(),
        thread_id=C,
        author_id=A,
        board="mutual_help",
        text="楼下的快递柜又满了 @物业",
    ),
    "forum.dispute.state_changed.v1": lambda: DisputeStateChangedV1(
        community_id=COMMUNITY,
        dispute_id=uuid4(),
        thread_id=C,
        from_state="mediator_proposed",
        to_state="in_mediation",
        mediator_id=C,
        notify_user_ids=[A, B, C],
    ),
    "forum.deliberation.state_changed.v1": lambda: DeliberationStateChangedV1(
        community_id=COMMUNITY,
        deliberation_id=uuid4(),
        title="加装电梯议事",
        from_state=None,
        to_state="collecting",
        notify_user_ids=[A],
    ),
    "forum.hotspot.detected.v1": lambda: HotspotDetectedV1(
        community_id=COMMUNITY,
        hotspot_id=uuid4(),
        keyword="漏水",
        building="5",
        window_start=datetime(2025, 2, 24, tzinfo=UTC),
        window_end=datetime(2025, 3, 3, tzinfo=UTC),
        count=9,
        baseline=1.5,
        score=6.0,
        evidence_post_ids=[uuid4(), uuid4()],
        evidence_report_ids=[uuid4()],
    ),
}


def test_every_registered_event_has_a_sample() -> None:
    assert set(SAMPLES) == set(EVENT_MODELS)


@pytest.mark.parametrize("event_type", sorted(SAMPLES))
def test_round_trip(event_type: str) -> None:
    payload = SAMPLES[event_type]()
    assert type(payload) is EVENT_MODELS[event_type]
    assert payload.event_type == event_type

    actor, event_id = uuid4(), uuid4()
    envelope = Envelope.wrap(
        payload,
        producer=event_type.split(".")[0],
        correlation_id="req-123",
        actor_id=actor,
        event_id=event_id,
    )
    assert envelope.event_type == event_type
    assert envelope.event_id == event_id

    body = envelope.to_json()
    assert isinstance(body, bytes)
    received = Envelope.from_json(body)
    assert received == envelope
    assert Envelope.from_json(body.decode("utf-8")) == envelope

    parsed = received.parse_payload()
    assert type(parsed) is type(payload)
    assert parsed == payload


@pytest.mark.parametrize("event_type", sorted(SAMPLES))
def test_payload_json_fits_published_schema(event_type: str) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    payload = SAMPLES[event_type]()
    jsonschema.validate(payload.model_dump(mode="json"), type(payload).model_json_schema())


def test_envelope_json_fits_published_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    envelope = Envelope.wrap(SAMPLES["errand.order.accepted.v1"](), producer="errand")
    jsonschema.validate(envelope.model_dump(mode="json"), Envelope.model_json_schema())


def test_wrap_fills_id_and_utc_time() -> None:
    before = datetime.now(UTC)
    first = Envelope.wrap(SAMPLES["gateway.user.registered.v1"](), producer="gateway")
    second = Envelope.wrap(SAMPLES["gateway.user.registered.v1"](), producer="gateway")
    assert first.event_id != second.event_id
    assert first.event_id.version == 4
    assert first.occurred_at.utcoffset() == timedelta(0)
    assert before <= first.occurred_at <= datetime.now(UTC)
    assert first.correlation_id is None
    assert first.actor_id is None


def test_occurred_at_is_normalised_to_utc() -> None:
    envelope = Envelope.wrap(SAMPLES["gateway.user.registered.v1"](), producer="gateway", occurred_at=NOW)
    assert envelope.occurred_at == NOW
    assert envelope.occurred_at.utcoffset() == timedelta(0)
    assert b'"occurred_at":"2025-03-01T01:30:00Z"' in envelope.to_json()


def test_payload_is_dumped_in_json_mode() -> None:
    payload = SAMPLES["errand.order.delivered.v1"]()
    envelope = Envelope.wrap(payload, producer="errand")
    assert envelope.payload["order_id"] == str(payload.model_dump()["order_id"])
    assert isinstance(envelope.payload["auto_complete_at"], str)
    assert "event_type" not in envelope.payload


def test_chinese_text_travels_unescaped() -> None:
    body = Envelope.wrap(SAMPLES["forum.post.created.v1"](), producer="forum").to_json()
    assert "快递柜".encode() in body


def test_a_registration_published_before_names_travelled_still_validates() -> None:
    """`display_name` is optional on gateway.user.registered.v1: an old message still parses."""
    old = {"community_id": str(COMMUNITY), "user_id": str(A), "channel": "phone"}
    parsed = UserRegisteredV1.model_validate(old)
    assert parsed.display_name is None
