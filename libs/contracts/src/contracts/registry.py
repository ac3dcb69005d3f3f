"""Registry of event payload models, keyed by their routing key (``event_type``).

A model is registered explicitly with the :func:`register` class decorator. The routing key is
the ``event_type`` class variable the model declares; it is never derived from the class name.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from contracts.envelope import EventPayload

__all__ = ["EVENT_MODELS", "EVENT_TYPE_PATTERN", "UnknownEventType", "payload_model", "register"]

#: ``<producer>.<aggregate>.<happening>.v<version>``, e.g. ``errand.order.accepted.v1``.
EVENT_TYPE_PATTERN = re.compile(r"^[a-z_]+\.[a-z_]+\.[a-z_]+\.v[0-9]+$")

#: Every known event payload model, by event type (= RabbitMQ routing key).
EVENT_MODELS: dict[str, type[EventPayload]] = {}

_M = TypeVar("_M", bound="type[EventPayload]")


class UnknownEventType(ValueError):
    """An event type no payload model is registered for."""

    def __init__(self, event_type: str) -> None:
        super().__init__(f"unknown event type: {event_type!r}")
        self.event_type = event_type


def register(cls: _M) -> _M:
    """Class decorator: register ``cls`` under the ``event_type`` it declares.

    Raises ``TypeError`` when ``cls`` is not an :class:`EventPayload` subclass or declares no
    ``event_type`` of its own, and ``ValueError`` when the event type does not match
    :data:`EVENT_TYPE_PATTERN` or is already registered.
    """
    from contracts.envelope import EventPayload  # late: envelope imports this module

    if not (isinstance(cls, type) and issubclass(cls, EventPayload)) or cls is EventPayload:
        raise TypeError(f"{cls!r} is not an EventPayload subclass")
    event_type = cls.__dict__.get("event_type")
    if not isinstance(event_type, str):
        # Declared on the class itself: an inherited routing key would silently alias two models.
        raise TypeError(f"{cls.__qualname__} must declare its own `event_type: ClassVar[str] = '...'`")
    if not EVENT_TYPE_PATTERN.fullmatch(event_type):
        raise ValueError(
            f"{cls.__qualname__}: event_type {event_type!r} does not match {EVENT_TYPE_PATTERN.pattern}"
        )
    existing = EVENT_MODELS.get(event_type)
    if existing is not None:
        raise ValueError(
            f"{cls.__qualname__}: event_type {event_type!r} is already registered by {existing.__qualname__}"
        )
    EVENT_MODELS[event_type] = cls
    return cls


def payload_model(event_type: str) -> type[EventPayload]:
    """The payload model registered for ``event_type``; :class:`UnknownEventType` otherwise."""
    try:
        return EVENT_MODELS[event_type]
    except KeyError:
        raise UnknownEventType(event_type) from None
