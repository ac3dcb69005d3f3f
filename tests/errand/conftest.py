"""One errand app (real lifespan, real PostgreSQL, Redis and RabbitMQ) for the whole folder:
tests keep apart by using a fresh community each, and the Redis keys carry the namespace."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

import errand.main
from errand.config import Settings
from servicekit.migrations import migrate
from servicekit.testing import delete_messaging, isolated_database, isolated_settings, new_namespace
from servicekit.tokens import TokenSigner
from tests.errand.helpers import Community, EventTap, MovableClock, drop_redis_keys


@dataclass
class ErrandApp:
    app: FastAPI
    client: httpx.AsyncClient
    settings: Settings
    signer: TokenSigner
    clock: MovableClock
    events: EventTap

    def community(self) -> Community:
        return Community(self.signer)


@pytest.fixture(scope="session")
async def errand_app() -> AsyncIterator[ErrandApp]:
    namespace = new_namespace()
    signer = TokenSigner.generate()
    clock = MovableClock()
    with tempfile.TemporaryDirectory(prefix="errand-photos-") as photo_root:
        settings = isolated_settings(
            Settings,
            namespace=namespace,
            jwt_public_key=signer.public_pem,
            redis_key_prefix=f"wltest:{namespace}:errand",
            photo_root=Path(photo_root),
        )
        async with isolated_database(settings):
            await migrate(settings, errand.main.MIGRATIONS)
            app = errand.main.create_app(settings, clock=clock, run_jobs=False)
            events = EventTap(settings.amqp_url.get_secret_value(), settings.events_exchange)
            await events.start()
            try:
                async with LifespanManager(app) as manager:
                    transport = httpx.ASGITransport(app=manager.app)
                    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                        yield ErrandApp(app, client, settings, signer, clock, events)
            finally:
                await events.stop()
                await delete_messaging(settings, settings.queue_name, settings.dead_letter_queue_name)
                await drop_redis_keys(settings.redis_url, settings.redis_key_prefix)
