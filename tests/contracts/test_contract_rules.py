"""What the contracts refuse: unknown types, extra fields, naive times, bad or duplicate routing
keys; and the routing key is what a model declares, never its class name."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from uuid import UUID, uuid4

import pytest
from pydantic import ValidationError

from contracts import (
    EVENT_MODELS,
    Envelope,
    EventPayload,
    HotspotDetectedV1,
    OrderAcceptedV1,
    OrderCreatedV1,
    ReportRatedV1,
    RoleGrantedV1,
    UnknownEventType,
    payload_model,
    register,
)
from contracts import envelope as envelope_module
from contracts import registry as registry_module

COMMUNITY = UUID("00000000-0000-4000-8000-000000000001")


@pytest.fixture
def scratch_registry() -> Iterator[dict[str, type[EventPayload]]]:
    """Let a test register throw-away models; the real registry is restored afterwards."""
    saved = dict(EVENT_MODELS)
    try:
        yield EVENT_MODELS
    finally:
        EVENT_MODELS.clear()
        EVENT_MODELS.update(saved)


def _accepted() -> OrderAcceptedV1:
    return OrderAcceptedV1(
        community_id=COMMUNITY,
        order_id=uuid4(),
        requester_id=uuid4(),
        courier_id=uuid4(),
        order_type="buy",
        price_fen=800,
    )


def _envelope_dict() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(Envelope.wrap(_accepted(), producer="errand").to_json())
    return data


def test_public_names() -> None:
    assert envelope_module.EventPayload is EventPayload
    assert registry_module.EVENT_MODELS is EVENT_MODELS
    assert issubclass(UnknownEventType, ValueError)
    assert payload_model("errand.order.accepted.v1") is OrderAcceptedV1


# --- unknown event types -------------------------------------------------------------------------


def test_payload_model_of_unknown_type_raises() -> None:
    with pytest.raises(UnknownEventType, match=r"errand\.order\.teleported\.v1"):
        payload_model("errand.order.teleported.v1")


def test_parse_payload_of_unknown_type_raises() -> None:
    data = _envelope_dict()
    data["event_type"] = "errand.order.accepted.v9"
    envelope = Envelope.from_json(json.dumps(data))  # the envelope itself is fine
    with pytest.raises(UnknownEventType) as caught:
        envelope.parse_payload()
    assert caught.value.event_type == "errand.order.accepted.v9"
    assert isinstance(caught.value, ValueError)


def test_wrap_refuses_an_unregistered_payload_class() -> None:
    class Unregistered(EventPayload):
        event_type: ClassVar[str] = "test.thing.unregistered.v1"

    with pytest.raises(UnknownEventType):
        Envelope.wrap(Unregistered(community_id=COMMUNITY), producer="test")


# --- extra fields ---------------------------------------------------------------------------------


def test_extra_envelope_field_is_rejected() -> None:
    data = _envelope_dict()
    data["priority"] = 9
    with pytest.raises(ValidationError, match="priority"):
        Envelope.from_json(json.dumps(data))


def test_extra_payload_field_is_rejected() -> None:
    data = _envelope_dict()
    data["payload"]["phone"] = "13800000000"
    envelope = Envelope.from_json(json.dumps(data))
    with pytest.raises(ValidationError, match="phone"):
        envelope.parse_payload()


def test_extra_field_is_rejected_when_building_a_payload() -> None:
    with pytest.raises(ValidationError, match="phone"):
        RoleGrantedV1.model_validate(
            {"community_id": COMMUNITY, "user_id": uuid4(), "role": "admin", "phone": "x"}
        )


def test_missing_payload_field_is_rejected() -> None:
    data = _envelope_dict()
    del data["payload"]["community_id"]
    with pytest.raises(ValidationError, match="community_id"):
        Envelope.from_json(json.dumps(data)).parse_payload()


# --- time -----------------------------------------------------------------------------------------


def test_naive_occurred_at_is_rejected_by_wrap() -> None:
    with pytest.raises(ValidationError, match="occurred_at"):
        Envelope.wrap(_accepted(), producer="errand", occurred_at=datetime(2025, 3, 1, 9, 30))


def test_naive_occurred_at_is_rejected_on_the_wire() -> None:
    data = _envelope_dict()
    data["occurred_at"] = "2025-03-01T09:30:00"
    with pytest.raises(ValidationError, match="occurred_at"):
        Envelope.from_json(json.dumps(data))


def test_naive_payload_time_is_rejected() -> None:
    with pytest.raises(ValidationError, match="scheduled_at"):
        OrderCreatedV1(
            community_id=COMMUNITY,
            order_id=uuid4(),
            requester_id=uuid4(),
            order_type="buy",
            price_fen=800,
            scheduled_at=datetime(2025, 3, 1, 9, 30),
        )


# --- value rules ----------------------------------------------------------------------------------


def test_models_are_frozen() -> None:
    payload = _accepted()
    with pytest.raises(ValidationError):
        payload.price_fen = 1  # type: ignore[misc]
    envelope = Envelope.wrap(payload, producer="errand")
    with pytest.raises(ValidationError):
        envelope.producer = "forum"  # type: ignore[misc]


@pytest.mark.parametrize(
    "change",
    [
        {"price_fen": -1},
        {"order_type": "teleport"},
        {"status": "completed"},
        {"courier_id": None},
        {"community_id": "not-a-uuid"},
    ],
)
def test_invalid_order_values_are_rejected(change: dict[str, Any]) -> None:
    data = _accepted().model_dump(mode="json") | change
    with pytest.raises(ValidationError):
        OrderAcceptedV1.model_validate(data)


@pytest.mark.parametrize("stars", [0, 6])
def test_ratings_are_one_to_five(stars: int) -> None:
    with pytest.raises(ValidationError):
        ReportRatedV1(
            community_id=COMMUNITY,
            report_id=uuid4(),
            reporter_id=uuid4(),
            category="elevator",
            department="property",
            overall=stars,
            speed=3,
            attitude=3,
        )


def test_unknown_role_or_department_is_rejected() -> None:
    with pytest.raises(ValidationError):
        RoleGrantedV1.model_validate({"community_id": COMMUNITY, "user_id": uuid4(), "role": "superuser"})
    with pytest.raises(ValidationError):
        RoleGrantedV1.model_validate(
            {"community_id": COMMUNITY, "user_id": uuid4(), "role": "property_staff", "department": "fire"}
        )


def test_hotspot_window_must_be_ordered() -> None:
    start = datetime(2025, 3, 1, tzinfo=UTC)
    with pytest.raises(ValidationError, match="window_end"):
        HotspotDetectedV1(
            community_id=COMMUNITY,
            hotspot_id=uuid4(),
            keyword="漏水",
            window_start=start,
            window_end=start - timedelta(days=7),
            count=3,
            baseline=1.0,
            score=2.0,
            evidence_post_ids=[],
            evidence_report_ids=[],
        )


# --- registration ---------------------------------------------------------------------------------


def test_registering_a_duplicate_event_type_raises(scratch_registry: dict[str, type[EventPayload]]) -> None:
    class AnotherAccepted(EventPayload):
        event_type: ClassVar[str] = "errand.order.accepted.v1"

    with pytest.raises(ValueError, match="already registered"):
        register(AnotherAccepted)
    assert scratch_registry["errand.order.accepted.v1"] is OrderAcceptedV1


def test_registering_an_inherited_event_type_raises(scratch_registry: dict[str, type[EventPayload]]) -> None:
    class OrderAcceptedV2(OrderAcceptedV1):  # forgot to declare its own routing key
        pass

    with pytest.raises(TypeError, match="event_type"):
        register(OrderAcceptedV2)
    assert "errand.order.accepted.v2" not in scratch_registry


@pytest.mark.parametrize(
    "event_type",
    [
        "errand.order.accepted",
        "errand.order.accepted.V1",
        "errand.order.accepted.v",
        "Errand.order.accepted.v1",
        "errand.order-accepted.v1",
        "errand.order.accepted.v1.extra",
        "errand..accepted.v1",
        "errand.order.accepted2.v1",
        " errand.order.accepted.v1",
        "errand.order.accepted.v1\n",
        "",
    ],
)
def test_event_type_not_matching_the_pattern_raises(
    scratch_registry: dict[str, type[EventPayload]], event_type: str
) -> None:
    class Bad(EventPayload):
        pass

    Bad.event_type = event_type
    with pytest.raises(ValueError, match="does not match"):
        register(Bad)
    assert event_type not in scratch_registry


def test_registering_something_else_raises(scratch_registry: dict[str, type[EventPayload]]) -> None:
    with pytest.raises(TypeError):
        register(EventPayload)
    with pytest.raises(TypeError):
        register(dict)  # type: ignore[type-var]


def test_routing_key_is_declared_never_derived_from_the_class_name(
    scratch_registry: dict[str, type[EventPayload]],
) -> None:
    @register
    class SomethingCompletelyDifferent(EventPayload):
        event_type: ClassVar[str] = "test.parcel_locker.full.v3"

        locker_id: UUID

    assert SomethingCompletelyDifferent.event_type == "test.parcel_locker.full.v3"
    assert payload_model("test.parcel_locker.full.v3") is SomethingCompletelyDifferent
    assert not any("something" in key.lower() for key in scratch_registry)

    sample = SomethingCompletelyDifferent(community_id=COMMUNITY, locker_id=uuid4())
    envelope = Envelope.wrap(sample, producer="test")
    assert envelope.event_type == "test.parcel_locker.full.v3"
    assert Envelope.from_json(envelope.to_json()).parse_payload() == sample


def test_every_contract_model_declares_its_own_routing_key() -> None:
    for event_type, model in EVENT_MODELS.items():
        assert model.__dict__.get("event_type") == event_type
