"""One reports app per test module through its real lifespan (migrated database, RabbitMQ,
outbox relay, consumer); every test works in a community of its own, so tests never see each
other's data. Staff are added through the real `gateway.role.granted.v1` handler."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aio_pika
import httpx
from asgi_lifespan import LifespanManager
from PIL import Image
from sqlalchemy import text

import reports.main
from contracts import Envelope, RoleGrantedV1
from reports.config import Settings
from reports.consumers import role_granted
from servicekit.migrations import migrate
from servicekit.runtime import ServiceRuntime
from servicekit.testing import delete_messaging, isolated_database, isolated_settings, new_namespace
from servicekit.tokens import TokenSigner


@dataclass
class Service:
    app: Any
    client: httpx.AsyncClient
    settings: Settings
    signer: TokenSigner

    @property
    def runtime(self) -> ServiceRuntime:
        runtime: ServiceRuntime = self.app.state.runtime
        return runtime

    def set_clock(self, now: datetime | None) -> None:
        if now is None:
            if hasattr(self.app.state, "clock"):
                del self.app.state.clock
        else:
            self.app.state.clock = lambda: now

    async def sql(self, statement: str, **params: Any) -> list[Any]:
        async with self.runtime.engine.begin() as conn:
            result = await conn.execute(text(statement), params)
            return list(result.all()) if result.returns_rows else []


@dataclass
class Person:
    id: uuid.UUID
    token: str
    roles: tuple[str, ...]
    building: str | None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Community:
    service: Service
    id: uuid.UUID = field(default_factory=uuid.uuid4)

    def person(self, *roles: str, building: str | None = None) -> Person:
        user_id = uuid.uuid4()
        token = self.service.signer.sign(
            user_id=user_id,
            community_id=self.id,
            roles=roles,
            household_id=uuid.uuid4() if building else None,
            building=building,
            ttl_seconds=3600,
        )
        return Person(user_id, token, roles, building)

    def resident(self, building: str = "3") -> Person:
        return self.person("resident", building=building)

    async def staff(self, role: str = "property_staff", department: str = "property") -> Person:
        person = self.person(role)
        await self.grant(person.id, role, department)
        return person

    async def grant(self, user_id: uuid.UUID, role: str, department: str) -> None:
        event = RoleGrantedV1(community_id=self.id, user_id=user_id, role=role, department=department)  # type: ignore[arg-type]
        envelope = Envelope.wrap(event, producer="gateway")
        async with self.service.runtime.uow() as uow:
            await role_granted(envelope, event, uow)
            await uow.commit()

    async def submit(
        self, reporter: Person, category: str = "stairwell_lighting", **extra: Any
    ) -> dict[str, Any]:
        body = {
            "category": category,
            "location": {"building": reporter.building or "3", "unit": "2", "area": "stairwell 4F"},
            "description": "楼道灯坏了 the stairwell light on 4F is out",
            **extra,
        }
        response = await self.service.client.post("/api/v1/reports", json=body, headers=reporter.headers)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result


async def call(
    service: Service, person: Person | None, method: str, path: str, **kwargs: Any
) -> httpx.Response:
    headers = dict(kwargs.pop("headers", {}))
    if person is not None:
        headers.update(person.headers)
    return await service.client.request(method, path, headers=headers, **kwargs)


@contextlib.asynccontextmanager
async def running_service(**overrides: Any) -> AsyncIterator[Service]:
    """The reports app with its real lifespan on a fresh database and exchange; jobs are
    driven by the tests (job_interval_seconds=0), photos go to a temporary root."""
    namespace = new_namespace()
    signer = TokenSigner.generate()
    with tempfile.TemporaryDirectory(prefix="reports-photos-") as photo_root:
        settings = isolated_settings(
            Settings,
            namespace=namespace,
            jwt_public_key=signer.public_pem,
            photo_root=photo_root,
            job_interval_seconds=0,
            **overrides,
        )
        async with isolated_database(settings):
            await migrate(settings, reports.main.MIGRATIONS)
            app = reports.main.create_app(settings)
            try:
                async with LifespanManager(app) as manager:
                    transport = httpx.ASGITransport(app=manager.app)
                    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                        yield Service(app, client, settings, signer)
            finally:
                await delete_messaging(settings, settings.queue_name, settings.dead_letter_queue_name)


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (64, 48), exif: bytes | None = None) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", size, (200, 120, 40))
    if exif is not None:
        image.save(out, format=fmt, exif=exif)
    else:
        image.save(out, format=fmt)
    return out.getvalue()


def gps_exif() -> bytes:
    """EXIF with a GPS position (39.9042 N, 116.4074 E: Beijing) and a camera model."""
    exif = Image.Exif()
    exif[0x0110] = "WeiLinli test phone"  # Model
    exif[0x8825] = {1: "N", 2: (39.0, 54.0, 15.12), 3: "E", 4: (116.0, 24.0, 26.64)}  # GPSInfo IFD
    return exif.tobytes()


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


class EventTap:
    """A private queue bound to the test exchange: what the service really published."""

    def __init__(self, service: Service, pattern: str = "reports.#") -> None:
        self.service = service
        self.pattern = pattern
        self.events: list[dict[str, Any]] = []

    async def __aenter__(self) -> EventTap:
        self._connection = await aio_pika.connect(self.service.settings.amqp_url.get_secret_value())
        channel = await self._connection.channel()
        exchange = await channel.declare_exchange(
            self.service.settings.events_exchange, aio_pika.ExchangeType.TOPIC, durable=True
        )
        self._queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await self._queue.bind(exchange, routing_key=self.pattern)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._connection.close()

    async def collect(
        self, until: Callable[[list[dict[str, Any]]], bool], timeout: float = 10.0
    ) -> list[dict[str, Any]]:
        """Read until ``until(events)`` holds (or the timeout passes) and return the events."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not until(self.events) and asyncio.get_running_loop().time() < deadline:
            message = await self._queue.get(fail=False, no_ack=True)
            if message is None:
                await asyncio.sleep(0.05)
                continue
            self.events.append(json.loads(message.body))
        return self.events

    def of(self, report_id: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["payload"].get("report_id") == report_id]
