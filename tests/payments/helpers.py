"""One payments app per test module through its real lifespan (migrated database, RabbitMQ, outbox
relay, consumer) talking to a local WeChat Pay server (tests/payments/wechatpay_server.py); every
test works in a community of its own. Errand's events are applied through the service's real
handlers, in a unit of work with the inbox, as the consumer does."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from sqlalchemy import text

import payments.main
import tests.reports.helpers
from contracts import Envelope, EventPayload, OrderAcceptedV1, OrderCreatedV1
from payments.config import Settings
from payments.consumers import handlers
from payments.service_layer.sweep import Sweep, SweepResult
from servicekit.clock import system_clock
from servicekit.migrations import migrate
from servicekit.runtime import ServiceRuntime
from servicekit.testing import delete_messaging, isolated_database, isolated_settings, new_namespace
from servicekit.tokens import TokenSigner
from tests.payments.wechatpay_server import Keys, WechatPayServer

NOTIFY = "/api/v1/payments/wechat/notify"
REFUND_NOTIFY = "/api/v1/payments/wechat/refund-notify"


@dataclass
class Service:
    app: Any
    client: httpx.AsyncClient
    settings: Settings
    signer: TokenSigner
    wechat: WechatPayServer

    @property
    def runtime(self) -> ServiceRuntime:
        runtime: ServiceRuntime = self.app.state.runtime
        return runtime

    @property
    def sweep(self) -> Sweep:
        sweep: Sweep = self.app.state.sweep
        return sweep

    async def run_sweep(self, now: datetime | None = None) -> SweepResult:
        return await self.sweep.run_once(now or datetime.now(UTC))

    def set_clock(self, now: datetime | None) -> None:
        if now is None:
            self.app.state.clock = system_clock
        else:
            self.app.state.clock = lambda: now

    async def sql(self, statement: str, **params: Any) -> list[Any]:
        async with self.runtime.engine.begin() as conn:
            result = await conn.execute(text(statement), params)
            return list(result.all()) if result.returns_rows else []

    async def deliver(
        self, event: EventPayload, *, producer: str = "errand", envelope: Envelope | None = None
    ) -> Envelope:
        """Apply an event as the consumer does: inbox + handler + commit in one unit of work."""
        envelope = envelope or Envelope.wrap(event, producer=producer)
        async with self.runtime.uow() as uow:
            if await uow.mark_processed(envelope):
                await handlers[envelope.event_type](envelope, event, uow)
            await uow.commit()
        return envelope

    async def trial_balance(self) -> int:
        rows = await self.sql("SELECT coalesce(sum(amount_fen), 0) FROM ledger_entries")
        return int(rows[0][0])

    async def balance(self, community_id: uuid.UUID, kind: str, owner_id: uuid.UUID) -> int:
        rows = await self.sql(
            "SELECT coalesce(sum(e.amount_fen), 0) FROM ledger_entries e "
            "JOIN ledger_accounts a ON a.id = e.account_id "
            "WHERE a.community_id = :c AND a.kind = :k AND a.owner_id = :o",
            c=community_id,
            k=kind,
            o=owner_id,
        )
        return int(rows[0][0])


@dataclass
class Person:
    id: uuid.UUID
    token: str
    roles: tuple[str, ...]
    household_id: uuid.UUID | None = None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Community:
    service: Service
    id: uuid.UUID = field(default_factory=uuid.uuid4)

    def person(self, *roles: str, household_id: uuid.UUID | None = None) -> Person:
        user_id = uuid.uuid4()
        token = self.service.signer.sign(
            user_id=user_id,
            community_id=self.id,
            roles=roles,
            household_id=household_id,
            building="3" if household_id else None,
            ttl_seconds=3600,
        )
        return Person(user_id, token, roles, household_id)

    def resident(self) -> Person:
        return self.person("resident", household_id=uuid.uuid4())

    async def order(
        self, requester: Person, *, price_fen: int = 800, tip_fen: int = 200, order_type: str = "buy"
    ) -> uuid.UUID:
        order_id = uuid.uuid4()
        await self.service.deliver(
            OrderCreatedV1(
                community_id=self.id,
                order_id=order_id,
                requester_id=requester.id,
                order_type=order_type,  # type: ignore[arg-type]
                price_fen=price_fen,
                tip_fen=tip_fen,
            )
        )
        return order_id

    async def accept(
        self, order_id: uuid.UUID, requester: Person, courier: Person, price_fen: int = 800
    ) -> None:
        await self.service.deliver(
            OrderAcceptedV1(
                community_id=self.id,
                order_id=order_id,
                requester_id=requester.id,
                courier_id=courier.id,
                order_type="buy",
                price_fen=price_fen,
            )
        )

    async def pay_intent(
        self, payer: Person, ref_id: uuid.UUID, purpose: str = "errand_order", **headers: str
    ) -> httpx.Response:
        return await self.service.client.post(
            "/api/v1/payments",
            json={"purpose": purpose, "ref_id": str(ref_id), "openid": f"o-{payer.id.hex[:20]}"},
            headers={**payer.headers, **headers},
        )

    async def paid(self, payer: Person, ref_id: uuid.UUID, purpose: str = "errand_order") -> dict[str, Any]:
        """Open a payment, pay it at WeChat Pay and let WeChat Pay call back: the payment as it is now."""
        created = await self.pay_intent(payer, ref_id, purpose)
        assert created.status_code == 201, created.text
        payment = created.json()
        no = uuid.UUID(payment["id"]).hex
        self.service.wechat.pay(no)
        answer = await self.service.wechat.post(
            self.service.client, NOTIFY, self.service.wechat.payment_callback(no)
        )
        assert answer.status_code == 204, answer.text
        result: dict[str, Any] = payment
        return result


@contextlib.asynccontextmanager
async def running_service(**overrides: Any) -> AsyncIterator[Service]:
    namespace = new_namespace()
    signer = TokenSigner.generate()
    keys = Keys()
    wechat = WechatPayServer(keys)
    base_url = await wechat.start()
    try:
        values = {
            **keys.settings(base_url),
            "sweep_interval_seconds": 0,
            "sweep_after_seconds": 0,
            **overrides,
        }
        settings = isolated_settings(
            Settings, namespace=namespace, jwt_public_key=signer.public_pem, **values
        )
        async with isolated_database(settings):
            await migrate(settings, payments.main.MIGRATIONS)
            app = payments.main.create_app(settings)
            try:
                async with LifespanManager(app) as manager:
                    transport = httpx.ASGITransport(app=manager.app)
                    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                        yield Service(app, client, settings, signer, wechat)
            finally:
                await delete_messaging(settings, settings.queue_name, settings.dead_letter_queue_name)
    finally:
        await wechat.stop()


class EventTap(tests.reports.helpers.EventTap):
    """The reports tests' tap (it reads only `service.settings`), on the payments events."""

    def __init__(self, service: Service, pattern: str = "payments.#") -> None:
        super().__init__(service, pattern)  # type: ignore[arg-type]
