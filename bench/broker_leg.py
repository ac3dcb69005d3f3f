"""The limit beside event_latency (issue 16.5): RabbitMQ's own publish -> consume leg, measured in
the same run at the same rate. Not a benchmark of its own (no DESCRIPTION).

aio-pika publishes persistent messages with publisher confirms to a private topic exchange bound to
a private durable quorum queue (as the services' queues are), one message per tick on absolute
deadlines; a consumer on a second connection in the same process (prefetch 8) records when each
message arrives. Latency: `publish()` called -> delivery callback, so it includes the publish's
confirm round trip only as far as delivery overtakes it. Exchange and queue are deleted at the end.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from typing import Any

import aio_pika

AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"


def _percentile(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


async def broker_leg(rate: float, seconds: float, amqp_url: str = AMQP_URL) -> dict[str, Any]:
    name = f"wlbench.brokerleg.{uuid.uuid4().hex[:8]}"
    sent: dict[str, float] = {}
    arrived: dict[str, float] = {}
    everything = asyncio.Event()
    count = int(rate * seconds)
    publisher = await aio_pika.connect(amqp_url)
    consumer = await aio_pika.connect(amqp_url)
    try:
        pub_channel = await publisher.channel(publisher_confirms=True)
        exchange = await pub_channel.declare_exchange(name, aio_pika.ExchangeType.TOPIC, durable=True)
        con_channel = await consumer.channel()
        await con_channel.set_qos(prefetch_count=8)
        queue = await con_channel.declare_queue(name, durable=True, arguments={"x-queue-type": "quorum"})
        await queue.bind(name, routing_key="#")

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            arrived[message.message_id or ""] = time.perf_counter()
            await message.ack()
            if len(arrived) >= count:
                everything.set()

        await queue.consume(on_message)
        body = b"x" * 600  # about an envelope's size
        start = time.perf_counter()
        pending = []
        for index in range(count):
            delay = start + index / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            message_id = str(index)
            sent[message_id] = time.perf_counter()
            pending.append(
                asyncio.ensure_future(
                    exchange.publish(
                        aio_pika.Message(
                            body, message_id=message_id, delivery_mode=aio_pika.DeliveryMode.PERSISTENT
                        ),
                        routing_key="bench.leg",
                    )
                )
            )
        await asyncio.gather(*pending)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(everything.wait(), 30)
        await con_channel.close()
        await pub_channel.queue_delete(name)
        await pub_channel.exchange_delete(name)
    finally:
        await consumer.close()
        await publisher.close()
    latencies = sorted((arrived[key] - sent[key]) * 1000 for key in arrived if key in sent)
    if not latencies:
        return {"sent": len(sent), "received": 0}
    return {
        "sent": len(sent),
        "received": len(latencies),
        "p50_ms": round(_percentile(latencies, 50), 2),
        "p99_ms": round(_percentile(latencies, 99), 2),
        "max_ms": round(latencies[-1], 2),
    }
