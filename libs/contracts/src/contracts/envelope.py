"""The event envelope (docs/architecture.md §3) and the base class of every event payload."""

from datetime import UTC, datetime
from typing import Any, ClassVar, Self
from uuid import UUID, uuid4

from pydantic import AwareDatetime, BaseModel, ConfigDict, field_validator

from contracts.registry import EVENT_MODELS, UnknownEventType, payload_model

__all__ = ["Envelope", "EventPayload", "UnknownEventType"]


class EventPayload(BaseModel):
    """Base class of every event payload.

    Subclasses declare their routing key as ``event_type: ClassVar[str] = "<producer>.<aggregate>.
    <happening>.v<n>"`` and are registered with ``@register``. The key is never derived from the
    class name. Every payload is scoped to one community.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str]

    community_id: UUID


class Envelope(BaseModel):
    """What travels on the exchange ``weilinli.events`` (routing key = ``event_type``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: UUID
    event_type: str
    occurred_at: AwareDatetime
    producer: str
    correlation_id: str | None = None
    actor_id: UUID | None = None
    payload: dict[str, Any]

    @field_validator("occurred_at")
    @classmethod
    def _to_utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)

    @classmethod
    def wrap(
        cls,
        payload: EventPayload,
        *,
        producer: str,
        correlation_id: str | None = None,
        actor_id: UUID | None = None,
        event_id: UUID | None = None,
        occurred_at: datetime | None = None,
    ) -> Self:
        """Put ``payload`` in a new envelope.

        ``event_id`` defaults to a fresh uuid4 and ``occurred_at`` to now (UTC); a naive
        ``occurred_at`` is rejected. The payload's class must be the model registered for its
        event type (otherwise no consumer could parse it): :class:`UnknownEventType` if not.
        """
        event_type = getattr(type(payload), "event_type", None)
        if not isinstance(event_type, str) or EVENT_MODELS.get(event_type) is not type(payload):
            raise UnknownEventType(str(event_type))
        return cls(
            event_id=event_id if event_id is not None else uuid4(),
            event_type=event_type,
            occurred_at=occurred_at if occurred_at is not None else datetime.now(UTC),
            producer=producer,
            correlation_id=correlation_id,
            actor_id=actor_id,
            payload=payload.model_dump(mode="json"),
        )

    def to_json(self) -> bytes:
        """UTF-8 JSON, the message body."""
        return self.model_dump_json().encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes | str) -> Self:
        """Parse a message body; raises pydantic ``ValidationError`` on a malformed envelope."""
        return cls.model_validate_json(data)

    def parse_payload(self) -> EventPayload:
        """Validate ``payload`` with the model registered for ``event_type``.

        Raises :class:`UnknownEventType` for an unregistered type and pydantic
        ``ValidationError`` for a payload that does not fit the model.
        """
        return payload_model(self.event_type).model_validate(self.payload)
