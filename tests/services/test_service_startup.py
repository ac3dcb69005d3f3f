"""Each service's real application starts through its lifespan, is ready, and stops cleanly."""

from __future__ import annotations

import importlib
from typing import Any

import aio_pika
import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from servicekit.migrations import migrate
from servicekit.runtime import ServiceRuntime
from servicekit.testing import delete_messaging, isolated_database, isolated_settings

SERVICES = ["errand", "reports", "forum", "payments", "gateway"]
CLOSED = "http://127.0.0.1:1"  # nothing listens on port 1: the gateway's upstreams are down

PUBLIC_PEM = (
    Ed25519PrivateKey.generate()
    .public_key()
    .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    .decode()
)


async def queue_exists(settings: Any, name: str) -> bool:
    connection = await aio_pika.connect(settings.amqp_url.get_secret_value())
    try:
        channel = await connection.channel()
        try:
            await channel.declare_queue(name, passive=True)
        except aio_pika.exceptions.ChannelClosed:
            return False
        return True
    finally:
        await connection.close()


@pytest.mark.parametrize("service", SERVICES)
async def test_service_starts_is_ready_and_stops(service: str, namespace: str, restore_logging: None) -> None:
    main = importlib.import_module(f"{service}.main")
    settings_class = importlib.import_module(f"{service}.config").Settings
    overrides: dict[str, Any] = {"jwt_public_key": PUBLIC_PEM}
    if service == "gateway":
        overrides.update(
            errand_url=CLOSED,
            reports_url=CLOSED,
            forum_url=CLOSED,
            payments_url=CLOSED,
            upstream_health_timeout_seconds=1,
        )
    settings = isolated_settings(settings_class, namespace=namespace, **overrides)
    app = main.create_app(settings)
    try:
        async with isolated_database(settings):
            await migrate(settings, main.MIGRATIONS)
            async with app.router.lifespan_context(app):
                runtime = app.state.runtime
                assert isinstance(runtime, ServiceRuntime)
                assert runtime.broker.is_connected
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                    live = await client.get("/health/live")
                    ready = await client.get("/health/ready")
                    openapi = await client.get("/openapi.json")
                assert live.status_code == 200
                assert live.json() == {"status": "live", "service": service}
                body = ready.json()
                assert body["service"] == service
                assert body["checks"]["database"] == {"ok": True}, body
                assert body["checks"]["broker"] == {"ok": True, "required": False}, body
                if service == "gateway":
                    upstreams = {
                        name: check for name, check in body["checks"].items() if name.startswith("upstream:")
                    }
                    assert set(upstreams) == {
                        "upstream:errand",
                        "upstream:reports",
                        "upstream:forum",
                        "upstream:payments",
                    }
                    assert all(check["ok"] is False for check in upstreams.values()), upstreams
                    # No upstream runs here, and still the gateway is ready: it can serve (its own
                    # routes; the breakers answer for the others). Readiness never cascades.
                    assert all(check["required"] is False for check in upstreams.values()), upstreams
                assert ready.status_code == 200, body
                assert body["status"] == "ready"
                assert openapi.status_code == 200
                if runtime.consumer is not None:
                    assert await queue_exists(settings, settings.queue_name)
                # The retention job (inbox, Idempotency-Key rows) runs in every service.
                assert runtime.retention is not None
                assert runtime.retention._task is not None
            # Stopped: connections let go, the relay and the consumer gone.
            assert not runtime.broker.is_connected
            assert runtime.relay is None or runtime.relay._task is None
            assert runtime.retention is not None
            assert runtime.retention._task is None
            assert runtime.engine.pool.checkedout() == 0
    finally:
        await delete_messaging(settings, settings.queue_name, settings.dead_letter_queue_name)
