"""Outbox drain rate after an outage: how fast the relay empties a backlog once it can publish.

The producer (errand, its own throw-away database) commits ``--events`` events while no relay
runs, as during a broker outage; then the production relay starts and the time until the outbox
is empty gives the drain rate in events/s. Beside it, the limit: aio-pika publishing the same
messages straight to the same exchange, persistent, with publisher confirms, in windows of the
relay's batch size. Every message is routed to a durable quorum queue, as in production.
Databases, exchanges and queues are removed at the end, also on error or Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import sys
import time
from collections.abc import Sequence
from typing import Any

import aio_pika
import uvloop
from sqlalchemy import text

from bench.event_latency import bench_settings, create_messaging_tables, new_payload
from errand.config import Settings as ErrandSettings
from servicekit.logging import configure_logging
from servicekit.outbox import OutboxRelay, envelope_message
from servicekit.runtime import ServiceRuntime
from servicekit.settings import BaseServiceSettings
from servicekit.testing import delete_messaging, isolated_database, new_namespace

DESCRIPTION = "outbox backlog (20,000 rows) drained after an outage, events/s, beside aio-pika's own limit"


async def outbox_rows(runtime: ServiceRuntime) -> int:
    async with runtime.engine.connect() as conn:
        return int((await conn.execute(text("SELECT count(*) FROM outbox_messages"))).scalar_one())


async def fill(runtime: ServiceRuntime, events: int, per_commit: int = 500) -> list[dict[str, Any]]:
    bodies: list[dict[str, Any]] = []
    while len(bodies) < events:
        async with runtime.uow() as uow:
            for _ in range(min(per_commit, events - len(bodies))):
                bodies.append(uow.emit(new_payload()).model_dump(mode="json"))
            await uow.commit()
    return bodies


async def drain(runtime: ServiceRuntime, settings: BaseServiceSettings, events: int) -> float:
    relay = OutboxRelay(runtime.engine, runtime.broker, settings)
    started = time.perf_counter()
    relay.start()
    try:
        while await outbox_rows(runtime):  # noqa: ASYNC110 - the database is what we wait on
            await asyncio.sleep(0.05)
        return time.perf_counter() - started
    finally:
        await relay.stop()


async def direct(settings: BaseServiceSettings, bodies: list[dict[str, Any]], window: int) -> float:
    """aio-pika alone: the same messages, persistent, confirmed, ``window`` at a time."""
    connection = await aio_pika.connect(settings.amqp_url.get_secret_value())
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(settings.events_exchange)
        started = time.perf_counter()
        for start in range(0, len(bodies), window):
            await asyncio.gather(
                *(
                    exchange.publish(envelope_message(body), routing_key=body["event_type"], timeout=30)
                    for body in bodies[start : start + window]
                )
            )
        return time.perf_counter() - started


async def run(events: int) -> dict[str, Any]:
    settings = bench_settings(ErrandSettings, f"bench{new_namespace()}", "errand")
    queue_name = f"{settings.queue_prefix}drain.sink"
    async with contextlib.AsyncExitStack() as stack:
        stack.push_async_callback(delete_messaging, settings, queue_name)
        await stack.enter_async_context(isolated_database(settings))
        await create_messaging_tables(settings)
        runtime = await stack.enter_async_context(ServiceRuntime(settings, run_relay=False))
        channel = await runtime.broker.connection.channel()
        queue = await channel.declare_queue(queue_name, durable=True, arguments={"x-queue-type": "quorum"})
        await queue.bind(runtime.broker.exchange, routing_key="#")

        filled_at = time.perf_counter()
        bodies = await fill(runtime, events)
        fill_seconds = time.perf_counter() - filled_at
        relay_seconds = await drain(runtime, settings, events)
        await queue.purge()
        direct_seconds = await direct(settings, bodies, settings.outbox_batch_size)
        await queue.purge()
        await channel.close()
    return {
        "events": events,
        "fill_seconds": round(fill_seconds, 2),
        "relay_seconds": round(relay_seconds, 2),
        "relay_events_per_s": round(events / relay_seconds, 1),
        "direct_seconds": round(direct_seconds, 2),
        "direct_events_per_s": round(events / direct_seconds, 1),
        "ratio": round(direct_seconds / relay_seconds, 2),
        "outbox_batch_size": settings.outbox_batch_size,
    }


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench outbox_drain", description=DESCRIPTION)
    parser.add_argument("--events", type=int, default=20_000, help="backlog size (default 20,000)")
    args = parser.parse_args(list(argv))
    if args.events <= 0:
        parser.error("need --events > 0")
    return args


def main(argv: Sequence[str] = ()) -> int:
    args = parse_args(argv)
    configure_logging("bench", "WARNING")
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(sys.stderr)
    try:
        result = uvloop.run(run(args.events))
    except KeyboardInterrupt:
        print("outbox_drain: interrupted (database and broker objects removed)", file=sys.stderr)
        return 130
    print(
        f"outbox_drain: {result['events']} events committed while no relay ran ({result['fill_seconds']} s)"
    )
    print(
        f"  relay drain     {result['relay_seconds']:>7} s  {result['relay_events_per_s']:>9} events/s"
        f"  (batch {result['outbox_batch_size']})"
    )
    print(
        f"  aio-pika direct {result['direct_seconds']:>7} s  {result['direct_events_per_s']:>9} events/s"
        "  (same messages, confirms, windows of one batch)"
    )
    print(f"  relay / direct  {result['ratio']}")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
