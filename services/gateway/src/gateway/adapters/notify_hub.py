"""Live notifications across gateway replicas.

Each event is consumed by one replica (the replicas share the gateway's queue); once the
notifications it produced are committed, that replica publishes them on a Redis channel. Every
replica listens on the channel and hands each notification to the SSE streams of its recipient
that are connected to it. So a user connected to any replica gets each notification exactly once
per open stream, and nothing is pushed for a transaction that rolled back.

A stream listens for one user *in one community* (the token's): it receives exactly the
notifications that user's inbox lists, which is filtered the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import secrets
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import Any

import redis.asyncio as aioredis
from fastapi import FastAPI
from redis.exceptions import RedisError
from sqlalchemy import event
from sqlalchemy.orm import Session

from gateway.config import Settings
from servicekit.db import UnitOfWork
from servicekit.health import HealthCheck
from servicekit.logging import get_logger
from servicekit.runtime import ServiceRuntime

log = get_logger(__name__)

_QUEUE_SIZE = 256
_RECONNECT_SECONDS = 1.0


class TicketStoreUnavailable(Exception):
    """Redis did not answer: no ticket can be issued or redeemed."""


class NotificationHub:
    def __init__(self) -> None:
        self._redis: aioredis.Redis | None = None
        self._channel = ""
        # (user_id, community_id) -> the queues of that user's open streams on this replica.
        self._streams: dict[tuple[uuid.UUID, uuid.UUID], set[asyncio.Queue[dict[str, Any]]]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._subscribed = asyncio.Event()
        self.ticket_seconds = 60

    # -- producing side (the consumer's unit of work) ----------------------------------------------
    def publish_after_commit(self, uow: UnitOfWork, items: list[dict[str, Any]]) -> None:
        """Publish ``items`` when (and only if) the unit of work commits."""
        loop = asyncio.get_running_loop()

        def committed(session: Session) -> None:
            task = loop.create_task(self._publish(items))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

        event.listen(uow.session.sync_session, "after_commit", committed, once=True)

    async def _publish(self, items: list[dict[str, Any]]) -> None:
        if self._redis is None:
            return
        try:
            for item in items:
                await self._redis.publish(self._channel, json.dumps(item, default=str))
        except (RedisError, OSError) as exc:
            # The inbox has it; only the live push is lost while Redis is down.
            log.warning("notification_push_failed", error=type(exc).__name__)

    # -- stream tickets (a browser's EventSource cannot send a header) ----------------------------
    def _ticket_key(self, ticket: str) -> str:
        # Only a digest is stored: a Redis dump does not hand out live tickets.
        return self._channel + ":ticket:" + hashlib.sha256(ticket.encode()).hexdigest()

    async def issue_ticket(self, user_id: uuid.UUID, community_id: uuid.UUID) -> str:
        ticket = secrets.token_urlsafe(32)
        value = json.dumps({"user_id": str(user_id), "community_id": str(community_id)})
        if self._redis is None:
            raise TicketStoreUnavailable
        try:
            await self._redis.set(self._ticket_key(ticket), value, ex=self.ticket_seconds)
        except (RedisError, OSError) as exc:
            raise TicketStoreUnavailable from exc
        return ticket

    async def redeem_ticket(self, ticket: str) -> tuple[uuid.UUID, uuid.UUID] | None:
        """(user id, community id) of a live ticket, which is used up by this call (GETDEL: two
        streams racing on one ticket, one wins); None for an unknown, used or expired ticket."""
        if self._redis is None:
            raise TicketStoreUnavailable
        try:
            raw = await self._redis.getdel(self._ticket_key(ticket))
        except (RedisError, OSError) as exc:
            raise TicketStoreUnavailable from exc
        if raw is None:
            return None
        value = json.loads(raw)
        return uuid.UUID(value["user_id"]), uuid.UUID(value["community_id"])

    # -- consuming side (SSE streams of this replica) ---------------------------------------------
    @contextlib.contextmanager
    def listen(self, user_id: uuid.UUID, community_id: uuid.UUID) -> Iterator[asyncio.Queue[dict[str, Any]]]:
        """A queue of the notifications of ``user_id`` in ``community_id`` (as the inbox has them)."""
        key = (user_id, community_id)
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=_QUEUE_SIZE)
        self._streams.setdefault(key, set()).add(queue)
        try:
            yield queue
        finally:
            streams = self._streams.get(key)
            if streams is not None:
                streams.discard(queue)
                if not streams:
                    del self._streams[key]

    def _deliver(self, raw: str) -> None:
        try:
            item = json.loads(raw)
            key = (uuid.UUID(item["user_id"]), uuid.UUID(item["community_id"]))
        except (ValueError, KeyError, TypeError):
            log.warning("notification_message_malformed")
            return
        for queue in self._streams.get(key, ()):
            with contextlib.suppress(asyncio.QueueFull):
                # A stream that stopped reading loses live pushes; its inbox still has them.
                queue.put_nowait(item)

    async def _listen_forever(self, client: aioredis.Redis) -> None:
        while True:
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self._channel)
                self._subscribed.set()
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        self._deliver(message["data"])
            except (RedisError, OSError) as exc:
                self._subscribed.clear()
                log.warning("notification_subscription_lost", error=type(exc).__name__)
                await asyncio.sleep(_RECONNECT_SECONDS)
            finally:
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]

    @contextlib.asynccontextmanager
    async def running(self, settings: Settings) -> AsyncIterator[None]:
        client: aioredis.Redis = aioredis.from_url(settings.redis_url, decode_responses=True)
        self._redis = client
        self._channel = settings.redis_prefix + "notifications"
        self.ticket_seconds = settings.stream_ticket_seconds
        listener = asyncio.create_task(self._listen_forever(client))
        # Streams opened right after start-up should not miss anything: wait briefly for the
        # subscription (a dead Redis must not block start-up, so only briefly).
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._subscribed.wait(), timeout=2.0)
        try:
            yield
        finally:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener
            if self._tasks:
                await asyncio.gather(*self._tasks, return_exceptions=True)
            await client.aclose()


def hub_hook(
    hub: NotificationHub,
) -> Callable[[FastAPI, ServiceRuntime], contextlib.AbstractAsyncContextManager[Mapping[str, HealthCheck]]]:
    @contextlib.asynccontextmanager
    async def hook(app: FastAPI, runtime: ServiceRuntime) -> AsyncIterator[Mapping[str, HealthCheck]]:
        settings = runtime.settings
        assert isinstance(settings, Settings)
        app.state.notification_hub = hub
        async with hub.running(settings):
            yield {}

    return hook
