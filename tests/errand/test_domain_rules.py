"""The order state machine, table-complete, and the pure rules (pricing, fees, points, masks)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from errand.domain.orders import ORDER, REPEATABLE, TAKEN, TRANSITIONS, Action, OrderStatus
from errand.domain.rules import (
    CancellationRules,
    PointsRules,
    PricingRules,
    cancellation_fee,
    delivery_points,
    level_for,
    mask,
    price_errand,
    rating_points,
)
from errand.domain.specs import OrderDetails, check_details
from servicekit.domain import DomainError

ALLOWED = {
    ("dispatching", "accept"): "accepted",
    ("accepted", "arrive"): "arrived",
    ("arrived", "pickup"): "picked_up",
    ("picked_up", "deliver"): "delivered",
    ("delivered", "confirm"): "completed",
    ("delivered", "auto_complete"): "completed",
    ("dispatching", "expire"): "expired",
    ("dispatching", "cancel"): "cancelled",
    ("accepted", "cancel"): "cancelled",
    ("accepted", "release"): "dispatching",
    ("arrived", "release"): "dispatching",
    ("picked_up", "fail"): "failed",
}
PAIRS = [(status, action) for status in OrderStatus for action in Action]


def test_the_table_is_exactly_api_md() -> None:
    assert {(s.value, a.value): t.value for (s, a), t in TRANSITIONS.items()} == ALLOWED


@pytest.mark.parametrize(("status", "action"), PAIRS, ids=[f"{s.value}-{a.value}" for s, a in PAIRS])
def test_every_transition_is_allowed_repeated_or_refused(status: OrderStatus, action: Action) -> None:
    target = ALLOWED.get((status.value, action.value))
    if target is not None:
        step = ORDER.step(status, action)
        assert (step.after, step.changed) == (OrderStatus(target), True)
        return
    already_there = action in REPEATABLE and any(
        t == status.value for (_s, a), t in ALLOWED.items() if a == action.value
    )
    if already_there:
        step = ORDER.step(status, action)  # a retried request is a no-op
        assert (step.after, step.changed) == (status, False)
        return
    taken = action is Action.ACCEPT and status in TAKEN
    with pytest.raises(DomainError) as caught:
        ORDER.step(status, action)
    assert caught.value.code == ("order_already_taken" if taken else "order_transition_not_allowed")
    assert caught.value.status == 409
    assert caught.value.params == {"status": status.value, "action": action.value}


PRICING = PricingRules()
NOON = datetime(2026, 11, 22, 12, 0)


def test_price_is_itemised_and_adds_up() -> None:
    price = price_errand(
        PRICING,
        order_type="buy",
        distance_m=520,
        weight_kg=6.5,
        floors_without_lift=4,
        queue_minutes=0,
        local_time=NOON,
    )
    lines = {line.code: line.amount_fen for line in price.breakdown}
    assert lines == {"base": 500, "distance": 150, "weight": 400, "floors": 400}
    assert price.price_fen == sum(lines.values())


def test_night_surcharge_and_queue_minutes() -> None:
    night = price_errand(
        PRICING,
        order_type="queue",
        distance_m=0,
        weight_kg=0,
        floors_without_lift=0,
        queue_minutes=35,
        local_time=NOON.replace(hour=23),
    )
    assert {line.code: line.amount_fen for line in night.breakdown} == {
        "base": 600,
        "queue": 1200,
        "night": 300,
    }
    early = price_errand(
        PRICING,
        order_type="deliver",
        distance_m=0,
        weight_kg=0,
        floors_without_lift=0,
        queue_minutes=0,
        local_time=NOON.replace(hour=6),
    )
    assert [line.code for line in early.breakdown] == ["base"]


def test_pricing_follows_configuration() -> None:
    rules = PricingRules(per_100m_fen=80, included_distance_m=0)
    price = price_errand(
        rules,
        order_type="deliver",
        distance_m=250,
        weight_kg=0,
        floors_without_lift=0,
        queue_minutes=0,
        local_time=NOON,
    )
    assert price.price_fen == 400 + 3 * 80


def test_cancellation_fee_rule() -> None:
    rules = CancellationRules()
    now = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)
    assert cancellation_fee(rules, status="dispatching", price_fen=900, accepted_at=None, now=now) == 0
    grace = now - timedelta(seconds=60)
    assert cancellation_fee(rules, status="accepted", price_fen=900, accepted_at=grace, now=now) == 0
    late = now - timedelta(minutes=10)
    assert (
        cancellation_fee(rules, status="accepted", price_fen=900, accepted_at=late, now=now) == 200
    )  # the minimum
    assert (
        cancellation_fee(rules, status="accepted", price_fen=9000, accepted_at=late, now=now) == 1000
    )  # the cap
    assert (
        cancellation_fee(rules, status="accepted", price_fen=100, accepted_at=late, now=now) == 100
    )  # never above the price


def test_levels_points_and_masks() -> None:
    rules = PointsRules()
    assert level_for(rules, -30).code == "novice"
    assert level_for(rules, 120).code == "regular"
    assert level_for(rules, 800).name_zh == "领跑员"
    accepted = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)
    assert delivery_points(rules, accepted_at=accepted, delivered_at=accepted + timedelta(minutes=30)) == (
        "on_time_delivery",
        10,
    )
    assert delivery_points(rules, accepted_at=accepted, delivered_at=accepted + timedelta(minutes=90)) == (
        "late_delivery",
        -10,
    )
    assert rating_points(rules, 5) == ("five_star_rating", 5)
    assert rating_points(rules, 1) == ("bad_rating", -10)
    assert rating_points(rules, 4) is None
    assert mask("3-2-1108") == "******08"
    assert mask("12") == "**"
    assert mask("4821", 0) == "****"


@pytest.mark.parametrize(
    ("details", "field"),
    [
        (OrderDetails("buy", has_pickup=True, items=("milk",)), "merchant_id"),
        (OrderDetails("buy", has_pickup=True, nearest_merchant=True), "items"),
        (OrderDetails("deliver", has_pickup=False), "pickup"),
        (OrderDetails("pickup_parcel", has_pickup=True), "parcel_code"),
        (OrderDetails("pay_bill", has_pickup=False), "bill_account"),
        (OrderDetails("queue", has_pickup=True), "queue_minutes"),
        (OrderDetails("home_service", has_pickup=False), "time_slot"),
    ],
)
def test_each_type_needs_its_fields(details: OrderDetails, field: str) -> None:
    with pytest.raises(DomainError) as caught:
        check_details(details)
    assert (caught.value.code, caught.value.status) == ("order_details_invalid", 422)
    assert caught.value.params["field"] == field
