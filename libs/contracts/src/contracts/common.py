"""Closed value sets and constrained scalars shared by the event models (docs/contract.md)."""

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

__all__ = [
    "Board",
    "CategoryCode",
    "DeliberationState",
    "Department",
    "DisputeState",
    "Fen",
    "Label",
    "OrderStatus",
    "OrderType",
    "RejectReason",
    "ReportStatus",
    "Role",
    "Stars",
]

Role = Literal["resident", "courier", "property_staff", "property_manager", "committee", "mediator", "admin"]

#: Who works a report: property company, heating company, community police (社区民警),
#: urban management (城管), the committee.
Department = Literal["property", "heating", "police", "urban_management", "committee"]

OrderType = Literal["buy", "deliver", "pickup_parcel", "pay_bill", "queue", "home_service"]

OrderStatus = Literal[
    "dispatching",
    "accepted",
    "arrived",
    "picked_up",
    "delivered",
    "completed",
    "expired",
    "cancelled",
    "failed",
]

ReportStatus = Literal[
    "submitted",
    "accepted",
    "assigned",
    "in_progress",
    "paused",
    "resolved",
    "closed",
    "reopened",
    "rejected",
    "cancelled",
]

RejectReason = Literal["not_responsible", "duplicate", "invalid"]

DisputeState = Literal[
    "reported",
    "triaged",
    "mediator_proposed",
    "in_mediation",
    "agreement_proposed",
    "agreed",
    "monitoring",
    "resolved",
    "escalated",
    "withdrawn",
    "closed_not_dispute",
    "reopened",
]

DeliberationState = Literal[
    "collecting",
    "screening",
    "deliberating",
    "voting",
    "decided",
    "acting",
    "supervising",
    "evaluating",
    "closed",
    "rejected",
    "expired",
]

Board = Literal["grievances", "mutual_help", "deliberation", "announcements"]

#: Money in integer fen (1/100 yuan), never negative.
Fen = Annotated[int, Field(ge=0)]

#: A rating of 1 to 5 stars.
Stars = Annotated[int, Field(ge=1, le=5)]

#: A directory label as the community writes it: building ("3", "3号楼"), unit, room.
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]

#: A report category's `code` (reports service, seeded and editable by managers).
CategoryCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
