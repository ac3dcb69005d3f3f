"""Business rules as plain data (filled from configuration) and the pure functions that apply
them: pricing, cancellation fees, releases, points and levels, masking of codes."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta


# -- pricing -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PricingRules:
    """Effort-based price in fen. Every number is configuration (ERRAND_PRICING as JSON)."""

    base_fen: dict[str, int] = field(
        default_factory=lambda: {
            "buy": 500,
            "deliver": 400,
            "pickup_parcel": 300,
            "pay_bill": 400,
            "queue": 600,
            "home_service": 800,
        }
    )
    included_distance_m: int = 300
    per_100m_fen: int = 50
    max_distance_m: int = 1500
    included_weight_kg: float = 3.0
    per_kg_fen: int = 100
    per_floor_without_lift_fen: int = 100
    queue_per_10_minutes_fen: int = 300
    night_start_hour: int = 22
    night_end_hour: int = 6
    night_surcharge_fen: int = 300


@dataclass(frozen=True)
class PriceLine:
    code: str
    amount_fen: int
    quantity: float | None = None
    unit: str | None = None


@dataclass(frozen=True)
class Price:
    price_fen: int
    breakdown: tuple[PriceLine, ...]


def is_night(rules: PricingRules, local_time: datetime) -> bool:
    hour = local_time.hour
    if rules.night_start_hour <= rules.night_end_hour:
        return rules.night_start_hour <= hour < rules.night_end_hour
    return hour >= rules.night_start_hour or hour < rules.night_end_hour


def price_errand(
    rules: PricingRules,
    *,
    order_type: str,
    distance_m: float,
    weight_kg: float,
    floors_without_lift: int,
    queue_minutes: int,
    local_time: datetime,
) -> Price:
    """The itemised price. ``local_time`` is when the errand runs, in the community's zone."""
    lines = [PriceLine("base", rules.base_fen[order_type])]
    extra_m = max(0.0, distance_m - rules.included_distance_m)
    if extra_m > 0:
        steps = math.ceil(extra_m / 100)
        lines.append(PriceLine("distance", steps * rules.per_100m_fen, round(distance_m), "m"))
    extra_kg = max(0.0, weight_kg - rules.included_weight_kg)
    if extra_kg > 0:
        lines.append(PriceLine("weight", math.ceil(extra_kg) * rules.per_kg_fen, weight_kg, "kg"))
    if floors_without_lift > 0:
        lines.append(
            PriceLine(
                "floors", floors_without_lift * rules.per_floor_without_lift_fen, floors_without_lift, "floor"
            )
        )
    if queue_minutes > 0:
        lines.append(
            PriceLine(
                "queue", math.ceil(queue_minutes / 10) * rules.queue_per_10_minutes_fen, queue_minutes, "min"
            )
        )
    if is_night(rules, local_time):
        lines.append(PriceLine("night", rules.night_surcharge_fen))
    return Price(sum(line.amount_fen for line in lines), tuple(lines))


# -- cancellation and release --------------------------------------------------------------------
@dataclass(frozen=True)
class CancellationRules:
    """Free while dispatching and for a short grace after acceptance; then a share of the price
    (clamped) compensates the courier who already set out."""

    free_grace_seconds: int = 120
    fee_percent: int = 20
    fee_min_fen: int = 200
    fee_max_fen: int = 1000


def cancellation_fee(
    rules: CancellationRules, *, status: str, price_fen: int, accepted_at: datetime | None, now: datetime
) -> int:
    if status == "dispatching" or accepted_at is None:
        return 0
    if now - accepted_at <= timedelta(seconds=rules.free_grace_seconds):
        return 0
    fee = max(rules.fee_min_fen, price_fen * rules.fee_percent // 100)
    return min(fee, rules.fee_max_fen, price_fen)


@dataclass(frozen=True)
class ReleaseRules:
    window_seconds: int = 300
    daily_limit: int = 2
    points_deduction: int = 5


def release_window_open(rules: ReleaseRules, *, accepted_at: datetime, now: datetime) -> bool:
    return now - accepted_at <= timedelta(seconds=rules.window_seconds)


# -- points and levels ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Level:
    code: str
    name_zh: str
    min_points: int
    max_concurrent_jobs: int


@dataclass(frozen=True)
class PointsRules:
    on_time: int = 10
    late: int = -10
    five_star: int = 5
    bad_rating: int = -10
    bad_rating_max_stars: int = 2
    promised_minutes: int = 45
    levels: tuple[Level, ...] = (
        Level("novice", "新手", -1_000_000, 2),
        Level("regular", "熟手", 100, 3),
        Level("expert", "达人", 300, 4),
        Level("lead_runner", "领跑员", 800, 5),
    )


def level_for(rules: PointsRules, points: int) -> Level:
    ordered = sorted(rules.levels, key=lambda level: level.min_points)
    current = ordered[0]
    for level in ordered:
        if points >= level.min_points:
            current = level
    return current


def next_level(rules: PointsRules, points: int) -> Level | None:
    above = [level for level in rules.levels if level.min_points > points]
    return min(above, key=lambda level: level.min_points) if above else None


def delivery_points(rules: PointsRules, *, accepted_at: datetime, delivered_at: datetime) -> tuple[str, int]:
    on_time = delivered_at - accepted_at <= timedelta(minutes=rules.promised_minutes)
    return ("on_time_delivery", rules.on_time) if on_time else ("late_delivery", rules.late)


def rating_points(rules: PointsRules, stars: int) -> tuple[str, int] | None:
    if stars == 5:
        return "five_star_rating", rules.five_star
    if stars <= rules.bad_rating_max_stars:
        return "bad_rating", rules.bad_rating
    return None


# -- personal data -------------------------------------------------------------------------------
def mask(secret: str | None, visible: int = 2) -> str | None:
    """Keep only the last characters: enough to recognise, useless to misuse."""
    if secret is None:
        return None
    if visible <= 0 or len(secret) <= visible:
        return "*" * len(secret)
    return "*" * (len(secret) - visible) + secret[-visible:]
