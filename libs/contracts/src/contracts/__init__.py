"""WeiLinli event contracts: the envelope and one versioned payload model per event
(docs/contract.md §Events, docs/architecture.md §3). Depends on pydantic only."""

from contracts.envelope import Envelope, EventPayload
from contracts.errand import (
    OrderAcceptedV1,
    OrderCancelledV1,
    OrderCompletedV1,
    OrderCreatedV1,
    OrderDeliveredV1,
    OrderEvent,
    OrderExpiredV1,
    OrderPickedUpV1,
    OrderRecipientCodeV1,
    OrderSettledV1,
)
from contracts.forum import (
    DeliberationStateChangedV1,
    DisputeStateChangedV1,
    HotspotDetectedV1,
    PostCreatedV1,
    PostMentionedV1,
    ThreadEscalatedV1,
)
from contracts.gateway import (
    CommunityCreatedV1,
    HouseholdVerifiedV1,
    RoleGrantedV1,
    RoleRevokedV1,
    UserDeletedV1,
    UserProfileChangedV1,
    UserRegisteredV1,
)
from contracts.payments import (
    PaymentEvent,
    PaymentFailedV1,
    PaymentPurpose,
    PaymentSucceededV1,
    RefundSucceededV1,
)
from contracts.registry import EVENT_MODELS, EVENT_TYPE_PATTERN, UnknownEventType, payload_model, register
from contracts.reports import (
    ReportEvent,
    ReportOverdueV1,
    ReportRatedV1,
    ReportStatusChangedV1,
    ReportSubmittedV1,
    ReportUrgedV1,
)

__all__ = [
    "EVENT_MODELS",
    "EVENT_TYPE_PATTERN",
    "CommunityCreatedV1",
    "DeliberationStateChangedV1",
    "DisputeStateChangedV1",
    "Envelope",
    "EventPayload",
    "HotspotDetectedV1",
    "HouseholdVerifiedV1",
    "OrderAcceptedV1",
    "OrderCancelledV1",
    "OrderCompletedV1",
    "OrderCreatedV1",
    "OrderDeliveredV1",
    "OrderEvent",
    "OrderExpiredV1",
    "OrderPickedUpV1",
    "OrderRecipientCodeV1",
    "OrderSettledV1",
    "PaymentEvent",
    "PaymentFailedV1",
    "PaymentPurpose",
    "PaymentSucceededV1",
    "PostCreatedV1",
    "PostMentionedV1",
    "RefundSucceededV1",
    "ReportEvent",
    "ReportOverdueV1",
    "ReportRatedV1",
    "ReportStatusChangedV1",
    "ReportSubmittedV1",
    "ReportUrgedV1",
    "RoleGrantedV1",
    "RoleRevokedV1",
    "ThreadEscalatedV1",
    "UnknownEventType",
    "UserDeletedV1",
    "UserProfileChangedV1",
    "UserRegisteredV1",
    "payload_model",
    "register",
]
