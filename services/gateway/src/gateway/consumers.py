"""Incoming events -> use cases. Maps each consumed event_type to its handler.

`errand.order.recipient_code.v1` is a notification when the recipient's phone has an account of
the community, else an SMS through the SMS adapter, sent inside the handler: a failed send fails
the handler (retried, then dead-lettered), and the inbox row committed after it makes a redelivery
send nothing twice (at least once: a crash between the send and the commit sends it again).
"""

from collections.abc import Callable

from contracts import Envelope, EventPayload, OrderRecipientCodeV1
from gateway.adapters.notify_hub import NotificationHub
from gateway.adapters.sms import SmsProvider
from gateway.service_layer import notifications
from gateway.service_layer.sms import send_delivery_code
from servicekit.consumer import EventHandler
from servicekit.db import UnitOfWork


def build_handlers(hub: NotificationHub, sms: Callable[[], SmsProvider]) -> dict[str, EventHandler]:
    """``sms``: the SMS provider of the running app (it exists once the lifespan started)."""

    async def notify(envelope: Envelope, event: EventPayload, uow: UnitOfWork) -> None:
        items = await notifications.record(uow, envelope, event)
        if items:
            hub.publish_after_commit(uow, items)

    async def recipient_code(envelope: Envelope, event: EventPayload, uow: UnitOfWork) -> None:
        assert isinstance(event, OrderRecipientCodeV1)
        if await notifications.account_of_phone(uow, event.model_dump(mode="json")):
            await notify(envelope, event, uow)
            return
        await send_delivery_code(
            sms(),
            phone=notifications.national_phone(event.recipient_phone),
            code=event.delivery_code,
            order_type=event.order_type,
        )

    handlers: dict[str, EventHandler] = dict.fromkeys(notifications.CONSUMED, notify)
    handlers[OrderRecipientCodeV1.event_type] = recipient_code
    return handlers
