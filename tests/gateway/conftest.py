"""One gateway for a test module: in-process with its real lifespan, its own database, exchange
and Redis keys; an admin made with the real CLI; helpers to register and sign in users."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

import gateway.main
from gateway.cli import run_command
from gateway.config import Settings
from servicekit.migrations import migrate
from servicekit.testing import delete_messaging, isolated_database, isolated_settings, new_namespace
from servicekit.tokens import TokenSigner
from tests.gateway.helpers import CHEAP_PASSWORD_HASHES, EventTap

ADMIN_PHONE = "13900000001"
ADMIN_PASSWORD = "admin-pass-123"


@dataclass
class Gateway:
    client: httpx.AsyncClient
    settings: Settings
    signer: TokenSigner
    app: Any
    tap: EventTap
    _phones: list[int] = field(default_factory=lambda: [0])

    def new_phone(self) -> str:
        self._phones[0] += 1
        return f"137{uuid.uuid4().int % 10**8:08d}"

    async def register(self, *, password: str = "resident-pass-1") -> tuple[dict[str, Any], str]:
        phone = self.new_phone()
        response = await self.client.post(
            "/api/v1/auth/register",
            json={"phone": phone, "password": password, "display_name": "居民", "community_code": "default"},
        )
        assert response.status_code == 201, response.text
        return response.json(), phone

    async def login(self, phone: str, password: str) -> dict[str, Any]:
        response = await self.client.post("/api/v1/auth/login", json={"phone": phone, "password": password})
        assert response.status_code == 200, response.text
        tokens: dict[str, Any] = response.json()
        return tokens

    async def resident(self) -> tuple[str, dict[str, str]]:
        """A new resident: (user id, Authorization header)."""
        created, phone = await self.register()
        tokens = await self.login(phone, "resident-pass-1")
        return created["id"], {"Authorization": f"Bearer {tokens['access_token']}"}

    async def admin_headers(self) -> dict[str, str]:
        tokens = await self.login(ADMIN_PHONE, ADMIN_PASSWORD)
        return {"Authorization": f"Bearer {tokens['access_token']}"}

    async def user_with_role(self, role: str) -> tuple[str, dict[str, str]]:
        created, phone = await self.register()
        admin = await self.admin_headers()
        granted = await self.client.post(
            f"/api/v1/admin/users/{created['id']}/roles", json={"role": role}, headers=admin
        )
        assert granted.status_code == 200, granted.text
        tokens = await self.login(phone, "resident-pass-1")
        return created["id"], {"Authorization": f"Bearer {tokens['access_token']}"}


async def run_cli(settings: Settings, *args: str) -> str:
    """The operator CLI, in-process (a subprocess would spend seconds importing)."""
    return await run_command(list(args), settings)


def gateway_settings(namespace: str, signer: TokenSigner, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "jwt_private_key": signer.private_pem,
        "jwt_public_key": signer.public_pem,
        "auth_rate_limit_per_ip": 10_000,
        "rate_limit_per_ip": 100_000,
        "rate_limit_per_user": 100_000,
        "auth_rate_limit_per_phone": 5,
        **CHEAP_PASSWORD_HASHES,
        # Nothing is proxied in these tests: closed ports.
        "errand_url": "http://127.0.0.1:1",
        "reports_url": "http://127.0.0.1:1",
        "forum_url": "http://127.0.0.1:1",
        "payments_url": "http://127.0.0.1:1",
    }
    values.update(overrides)
    return isolated_settings(Settings, namespace=namespace, **values)


@pytest.fixture(scope="module")
async def gw() -> AsyncIterator[Gateway]:
    namespace = new_namespace()
    signer = TokenSigner.generate()
    settings = gateway_settings(namespace, signer)
    async with isolated_database(settings):
        await migrate(settings, gateway.main.MIGRATIONS)
        await run_cli(settings, "create-admin", "--phone", ADMIN_PHONE, "--password", ADMIN_PASSWORD)
        app = gateway.main.create_app(settings)
        try:
            async with LifespanManager(app) as manager:
                transport = httpx.ASGITransport(app=manager.app)
                tap = EventTap(settings.amqp_url.get_secret_value(), settings.events_exchange)
                async with (
                    httpx.AsyncClient(transport=transport, base_url="http://test") as client,
                    tap.open(),
                ):
                    yield Gateway(client=client, settings=settings, signer=signer, app=app, tap=tap)
        finally:
            await delete_messaging(settings, settings.queue_name, settings.dead_letter_queue_name)
