"""Errand learns of payments through events only and settles a completed, paid order once:
`payments.payment.succeeded.v1` arriving before or after the completion ends in exactly one
`errand.order.settled.v1` with the courier's earnings (fee + tips; no commission)."""

from __future__ import annotations

import asyncio
import uuid

import aio_pika

from contracts import Envelope, EventPayload, PaymentSucceededV1
from tests.errand.conftest import ErrandApp
from tests.errand.helpers import drive, go_online, make_courier, place_order


async def publish(errand_app: ErrandApp, payload: EventPayload) -> None:
    """What the payments service's relay does: the envelope on the exchange, routed by its type."""
    envelope = Envelope.wrap(payload, producer="payments")
    connection = await aio_pika.connect(errand_app.settings.amqp_url.get_secret_value())
    try:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(
            errand_app.settings.events_exchange, aio_pika.ExchangeType.TOPIC, durable=True
        )
        await exchange.publish(
            aio_pika.Message(envelope.to_json(), delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
            routing_key=envelope.event_type,
        )
    finally:
        await connection.close()


def paid(
    community_id: uuid.UUID, order: dict[str, object], payer: uuid.UUID, amount: int
) -> PaymentSucceededV1:
    return PaymentSucceededV1(
        community_id=community_id,
        payment_id=uuid.uuid4(),
        payer_id=payer,
        purpose="errand_order",
        ref_id=uuid.UUID(str(order["id"])),
        amount_fen=amount,
    )


async def test_paid_before_completion_settles_once_at_completion(errand_app: ErrandApp) -> None:
    client, community = errand_app.client, errand_app.community()
    requester = community.person("resident")
    courier = await make_courier(errand_app.app, community)
    await go_online(client, courier)
    order = await place_order(client, requester, tip_fen=300)
    amount = int(order["price_fen"]) + 300
    await publish(errand_app, paid(community.id, order, requester.id, amount))
    await drive(client, order, courier, requester, "completed")
    settled = await errand_app.events.wait_for(
        errand_app.events.of_order(order["id"], "errand.order.settled.v1"), what="settlement"
    )
    assert settled.payload["courier_id"] == str(courier.id)
    assert settled.payload["paid_fen"] == amount
    assert settled.payload["courier_earnings_fen"] == amount
    assert settled.payload["platform_fee_fen"] == 0
    await asyncio.sleep(0.5)
    assert (
        len(
            [
                e
                for e in errand_app.events.seen
                if e.event_type == "errand.order.settled.v1" and e.payload["order_id"] == order["id"]
            ]
        )
        == 1
    )


async def test_paid_on_delivery_after_completion_settles_then(errand_app: ErrandApp) -> None:
    client, community = errand_app.client, errand_app.community()
    requester = community.person("resident")
    courier = await make_courier(errand_app.app, community)
    await go_online(client, courier)
    order = await place_order(client, requester)
    await drive(client, order, courier, requester, "completed")
    await errand_app.events.wait_for(errand_app.events.of_order(order["id"], "errand.order.completed.v1"))
    await asyncio.sleep(0.3)  # the completion is consumed, nothing to settle yet
    assert not any(
        e.event_type == "errand.order.settled.v1" and e.payload["order_id"] == order["id"]
        for e in errand_app.events.seen
    )
    await publish(errand_app, paid(community.id, order, requester.id, int(order["price_fen"])))
    settled = await errand_app.events.wait_for(
        errand_app.events.of_order(order["id"], "errand.order.settled.v1"), what="settlement"
    )
    assert settled.payload["paid_fen"] == order["price_fen"]
