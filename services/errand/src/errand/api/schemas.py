"""Request bodies. Every model forbids unknown fields, so a write to a server-owned field
(status, price, courier...) is a 422 rather than silently ignored (OWASP API3)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from contracts.common import OrderType
from errand.domain.merchants import CATEGORIES
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
    amount_fen: Annotated[int, Field(ge=1, le=1_000_000)]


class MerchantIn(Strict):
    name: Annotated[CleanText, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
    category: MerchantCategory
    address: Text
    lat: Latitude
    lng: Longitude
    phone: Annotated[str, StringConstraints(pattern=r"^\+?[0-9 -]{5,20}$")] | None = None
    opening_hours: ShortText | None = None
    tags: Annotated[list[ShortText], Field(max_length=20)] = []
