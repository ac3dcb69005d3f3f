"""What a running service holds, started and stopped in one place: the database engine, units of
work, the broker connection, the outbox relay and the event consumer.

The FastAPI lifespan uses it; so do tests and benchmarks that need a service without HTTP.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import Self

import redis.asyncio as aioredis

from servicekit.broker import Broker
from servicekit.consumer import EventConsumer, EventHandler
from servicekit.db import UnitOfWorkFactory, create_engine, session_factory
from servicekit.health import HealthCheck, advisory, broker_check, database_check, redis_check
from servicekit.observability import MessagingSampler
from servicekit.outbox import OutboxRelay
from servicekit.retention import RetentionJob
from servicekit.settings import BaseServiceSettings


class ServiceRuntime:
    def __init__(
        self,
        settings: BaseServiceSettings,
        *,
        handlers: Mapping[str, EventHandler] | None = None,
        run_relay: bool = True,
        run_retention: bool = True,
        relay_class: type[OutboxRelay] = OutboxRelay,
    ) -> None:
        self.settings = settings
        self.engine = create_engine(
            settings.database_url.get_secret_value(),
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            pool_timeout=settings.db_pool_timeout_seconds,
        )
        self.sessions = session_factory(self.engine)
        self.uow = UnitOfWorkFactory(self.sessions, producer=settings.service_name)
        self.broker = Broker(settings)
        # Redis is for fast paths (presence, rate limits, fan-out); connecting is lazy.
        self.redis: aioredis.Redis = aioredis.from_url(settings.redis_url, decode_responses=True)
        self.relay = relay_class(self.engine, self.broker, settings) if run_relay else None
        self.retention = RetentionJob(self.engine, settings) if run_retention else None
        # No handlers, no consumer: a queue bound to no event type would only be left behind.
        self.consumer = EventConsumer(self.broker, self.uow, settings, handlers) if handlers else None
        self.sampler = MessagingSampler(
            self.engine, self.broker, settings, has_queue=self.consumer is not None
        )

    @property
    def health_checks(self) -> dict[str, HealthCheck]:
        """Without its database a service serves nothing; the broker and Redis are advisory
        (servicekit.health): the outbox holds events, and each use of Redis has its fallback."""
        return {
            "database": database_check(self.engine),
            "broker": advisory(broker_check(self.broker)),
            "redis": advisory(redis_check(self.redis)),
        }

    async def start(self) -> None:
        await self.broker.connect()
        if self.relay is not None:
            self.relay.start()
        if self.consumer is not None:
            await self.consumer.start()
        if self.retention is not None:
            self.retention.start()
        self.sampler.start()

    async def stop(self) -> None:
        # Stop taking work first, then finish publishing, then let go of connections.
        await self.sampler.stop()
        if self.retention is not None:
            await self.retention.stop()
        if self.consumer is not None:
            await self.consumer.stop()
        if self.relay is not None:
            await self.relay.stop()
        await self.broker.close()
        await self.redis.aclose()
        await self.engine.dispose()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()
