"""Incoming events -> use cases. Maps each consumed event_type to its handler."""

from contracts import Envelope, EventPayload
from gateway.adapters.notify_hub import NotificationHub
from gateway.service_layer import notifications
from servicekit.consumer import EventHandler
from servicekit.db import UnitOfWork


def build_handlers(hub: NotificationHub) -> dict[str, EventHandler]:
    async def notify(envelope: Envelope, event: EventPayload, uow: UnitOfWork) -> None:
        items = await notifications.record(uow, envelope, event)
        if items:
            hub.publish_after_commit(uow, items)

    return dict.fromkeys(notifications.CONSUMED, notify)
