"""Request bodies and responses. Every request model forbids unknown fields, so a write to a
server-owned field (status, price, courier...) is a 422 rather than silently ignored (OWASP API3)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AliasChoices,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from contracts.common import OrderStatus, OrderType
from errand.domain.merchants import CATEGORIES
from servicekit.answers import Id, Number, Out, Timestamp
from servicekit.answers import PersonOut as Person
from servicekit.text import Text as CleanText


def _known_category(value: str) -> str:
    if value not in CATEGORIES:
        raise ValueError(f"unknown category; one of {', '.join(CATEGORIES)}")
    return value


MerchantCategory = Annotated[
    str, AfterValidator(_known_category), Field(json_schema_extra={"enum": list(CATEGORIES)})
]


# servicekit's Text: no NUL (PostgreSQL cannot store it) and no XML-illegal control characters,
# refused here as a 422 rather than later as a 500.
Text = Annotated[CleanText, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ShortText = Annotated[CleanText, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Code = Annotated[CleanText, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]
Note = Annotated[CleanText, StringConstraints(max_length=500)]
Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=180)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Place(Strict):
    """A place in the community. Only `building` is shown to couriers before they accept."""

    building: ShortText
    unit: ShortText | None = None
    room: ShortText | None = None
    detail: Text | None = Field(default=None, description="address line, landmark")
    contact_name: ShortText | None = None
    contact_phone: Annotated[str, StringConstraints(pattern=r"^\+?[0-9 -]{5,20}$")] | None = None
    lat: Latitude
    lng: Longitude


class TimeSlot(Strict):
    start: AwareDatetime
    end: AwareDatetime

    @model_validator(mode="after")
    def _ordered(self) -> TimeSlot:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class Recipient(Strict):
    """Who receives, when not the requester (吕女士 orders for her mother): a household of the
    community (its verified members get the delivery code as a notification), or a name and phone
    (an SMS is due)."""

    name: ShortText
    phone: Annotated[str, StringConstraints(pattern=r"^\+?[0-9 -]{5,20}$")]
    household_id: uuid.UUID | None = None


class QuoteIn(Strict):
    type: OrderType
    pickup: Place | None = None
    dropoff: Place
    recipient: Recipient | None = None
    items: Annotated[list[Text], Field(max_length=30)] | None = None
    weight_kg: Annotated[float, Field(ge=0, le=50)] | None = None
    floors: Annotated[int, Field(ge=0, le=40, description="floors climbed without a lift")] | None = None
    scheduled_at: AwareDatetime | None = None
    merchant_id: uuid.UUID | None = Field(default=None, description="buy: from this merchant")
    nearest_merchant: bool | None = Field(default=None, description="buy: from the nearest merchant")
    merchant_category: ShortText | None = None
    parcel_code: Code | None = Field(default=None, description="pickup_parcel: shown only to the courier")
    bill_account: Code | None = Field(default=None, description="pay_bill: shown only to the courier")
    bill_kind: Literal["electricity", "water", "gas", "heating", "phone", "property"] | None = None
    queue_minutes: Annotated[int, Field(ge=1, le=480)] | None = None
    time_slot: TimeSlot | None = None
    service_kind: ShortText | None = None


class OrderIn(Strict):
    quote_id: uuid.UUID
    note: Note | None = None
    tip_fen: Annotated[int, Field(ge=0, le=1_000_000)] = 0


class CancelIn(Strict):
    reason: Text


class PresenceIn(Strict):
    online: bool
    lat: Latitude | None = None
    lng: Longitude | None = None


class DeliverIn(Strict):
    delivery_code: Annotated[CleanText, StringConstraints(min_length=1, max_length=8)]
    proof_note: Note | None = None


class FailIn(Strict):
    reason: Text


class RateIn(Strict):
    stars: Annotated[int, Field(ge=1, le=5)]
    comment: Note | None = None


class TipIn(Strict):
    # `tip_fen` as on orders; `amount_fen`, the name this body had first, is still accepted.
    tip_fen: Annotated[int, Field(ge=1, le=1_000_000, validation_alias=AliasChoices("tip_fen", "amount_fen"))]


class MerchantIn(Strict):
    name: Annotated[CleanText, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
    category: MerchantCategory
    address: Text
    lat: Latitude
    lng: Longitude
    phone: Annotated[str, StringConstraints(pattern=r"^\+?[0-9 -]{5,20}$")] | None = None
    opening_hours: ShortText | None = None
    tags: Annotated[list[ShortText], Field(max_length=20)] = []


# -- responses ---------------------------------------------------------------------------------------
# What the service answers, for the OpenAPI description and typed clients. The use cases build the
# JSON; these models describe it without changing it: ids and times stay the strings the use cases
# wrote (with their format noted), a number stays an int or a float as computed, a field the use
# case left out stays out (servicekit.answers.Out), and a field not listed
# here is passed through (extra="allow").
class LevelRef(Out):
    code: str
    name: str


class PersonOut(Person):
    """Someone the answer names: `{id, display_name}` (a courier's level to the requester)."""

    level: LevelRef | None = None


class PlaceOut(Out):
    building: str
    unit: str | None = None
    room: str | None = None
    detail: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    lat: Number
    lng: Number


class RecipientOut(Out):
    """Masked (`吕**`, `****5678`) unless the caller may see it whole."""

    name: str
    phone: str
    household_id: Id | None = None


class RatingOut(Out):
    stars: int
    comment: str | None = None


class TimelineEntry(Out):
    action: str
    from_status: OrderStatus | None = None
    to_status: OrderStatus
    actor_id: Id | None = None
    actor: PersonOut | None = None
    actor_role: str | None = None
    at: Timestamp | None = None
    note: str | None = None


class OrderOut(Out):
    """An order as the caller's party sees it (errand.service_layer.views.order_view): places and
    codes are null or masked where the party may not see them; `timeline` only on one order."""

    id: Id
    type: OrderType
    status: OrderStatus
    requester_id: Id
    courier_id: Id | None = None
    requester: PersonOut | None = None
    courier: PersonOut | None = None
    price_fen: int
    tip_fen: int
    breakdown: list[dict[str, Any]] | None = None
    note: str | None = None
    pickup: PlaceOut | None = None
    dropoff: PlaceOut | None = None
    recipient: RecipientOut | None = None
    pickup_building: str | None = None
    dropoff_building: str | None = None
    distance_m: Number | None = None
    details: dict[str, Any] = Field(default_factory=dict)
    pickup_code: str | None = None
    bill_account: str | None = None
    delivery_code: str | None = None
    scheduled_at: Timestamp | None = None
    created_at: Timestamp | None = None
    dispatch_expires_at: Timestamp | None = None
    accepted_at: Timestamp | None = None
    delivered_at: Timestamp | None = None
    auto_complete_at: Timestamp | None = None
    completed_at: Timestamp | None = None
    completion: str | None = None
    cancel_fee_fen: int | None = None
    cancel_reason: str | None = None
    fail_reason: str | None = None
    rating: RatingOut | None = None
    timeline: list[TimelineEntry] = Field(default_factory=list)


class OrderPage(Out):
    items: list[OrderOut]
    next_cursor: str | None = None


class QuoteOut(Out):
    quote_id: Id
    type: OrderType
    price_fen: int
    breakdown: list[dict[str, Any]]
    distance_m: Number
    expires_at: Timestamp


class CancelQuoteOut(Out):
    order_id: Id
    status: OrderStatus
    cancellable: bool
    fee_fen: int
    free_until: Timestamp | None = None


class ReleasedOut(Out):
    id: Id
    status: OrderStatus
    released: bool


class PresenceOut(Out):
    """`{online: false}`, or online with the location and when presence lapses."""

    online: bool
    lat: Number | None = None
    lng: Number | None = None
    expires_at: Timestamp | None = None


class FeedCard(Out):
    """What a courier sees of an open order before accepting (views.feed_card)."""

    id: Id
    type: OrderType
    price_fen: int
    tip_fen: int
    pickup_building: str | None = None
    dropoff_building: str | None = None
    item_count: int | None = None
    weight_kg: Number | None = None
    scheduled_at: Timestamp | None = None
    created_at: Timestamp | None = None
    distance_m: Number | None = None
    priority: bool = False
    """Received by an elderly-alone household: shown first and marked (关爱优先)."""


class FeedOut(Out):
    items: list[FeedCard]
    next_cursor: str | None = None
    radius_m: Number


class CourierLevel(Out):
    code: str
    name: str
    max_concurrent_jobs: int


class NextLevel(Out):
    code: str
    name: str
    min_points: int


class PointsEntry(Out):
    reason: str
    points: int
    order_id: Id | None = None
    at: Timestamp


class PointsOut(Out):
    points: int
    level: CourierLevel
    next_level: NextLevel | None = None
    items: list[PointsEntry]
    next_cursor: str | None = None


class EarningsPeriod(Out):
    period: str = Field(description="YYYY-MM-DD or YYYY-MM, local time")
    orders: int
    fee_fen: int
    tip_fen: int
    total_fen: int


class EarningsOut(Out):
    by: Literal["day", "month"]
    timezone: str
    items: list[EarningsPeriod]
    total_fen: int


class DayStats(Out):
    date: str
    created: int
    completed: int
    expired: int
    cancelled: int


class AcceptanceSeconds(Out):
    p50: Number | None = None
    p90: Number | None = None


class StatsOut(Out):
    from_: Timestamp = Field(alias="from")
    to: Timestamp
    timezone: str
    orders_per_day: list[DayStats]
    acceptance_seconds: AcceptanceSeconds
    expiry_rate: Number
    couriers_active: int
    couriers_online: int


class MerchantOut(Out):
    id: Id
    name: str
    category: str
    address: str
    lat: Number
    lng: Number
    phone: str | None = None
    opening_hours: str | None = None
    tags: list[str] = Field(default_factory=list)


class MerchantPage(Out):
    items: list[MerchantOut]
    next_cursor: str | None = None


class CategoryOut(Out):
    code: str
    names: dict[str, str]


class CategoryList(Out):
    items: list[CategoryOut]
