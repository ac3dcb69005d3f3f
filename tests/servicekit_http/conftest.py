"""One real servicekit application for the HTTP-convention tests (docs/architecture.md §4, §5).

It is built with ``create_service_app`` on the errand service's settings, runs through its real
lifespan (PostgreSQL database migrated, RabbitMQ connection, outbox relay, consumer) and is shared
by all the tests here: they only read through it. Access tokens are signed with an Ed25519 key
made here; the app knows only its public half.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import APIRouter, Depends, FastAPI, Request
from pydantic import BaseModel, Field
from sqlalchemy import text

import errand.main
from errand.config import Settings as ErrandSettings
from servicekit.app import create_service_app, get_runtime
from servicekit.auth import CurrentUser, User, require_roles
from servicekit.db import create_engine
from servicekit.errors import ProblemError
from servicekit.i18n import register_messages
from servicekit.logging import get_logger
from servicekit.migrations import migrate
from servicekit.testing import delete_messaging, isolated_database, isolated_settings, new_namespace

# A code of our own (a service may register ``order_already_taken`` with its own wording, and the
# catalogue refuses the same code with other text).
TAKEN = "httptest_order_already_taken"
TAKEN_TEXT = {
    "zh-CN": ("订单已被接走", "这个跑腿订单已经被其他跑腿员接走了。"),
    "en": ("Order already taken", "Another courier has already accepted this errand."),
    "ko": ("이미 접수된 주문", "다른 배달원이 이미 이 심부름을 수락했습니다."),
}
register_messages({TAKEN: TAKEN_TEXT})

SECRET_TEXT = "SELECT secret FROM users"
ISSUER = "weilinli-gateway"
AUDIENCE = "weilinli"

log = get_logger("tests.servicekit_http")


class ThingIn(BaseModel):
    name: str = Field(min_length=1, max_length=20)
    price_fen: int = Field(ge=0)


def build_router() -> APIRouter:
    router = APIRouter()

    @router.get("/things/{thing_id}")
    async def get_thing(thing_id: int) -> dict[str, int]:
        return {"id": thing_id}

    @router.post("/things", status_code=201)
    async def create_thing(thing: ThingIn) -> dict[str, Any]:
        return thing.model_dump()

    @router.post("/things/{thing_id}/take")
    async def take_thing(thing_id: int) -> None:
        raise ProblemError(TAKEN, 409)

    @router.get("/boom")
    async def boom() -> None:
        raise RuntimeError(SECRET_TEXT)

    @router.get("/bad-sql")
    async def bad_sql(request: Request) -> None:
        async with get_runtime(request).engine.connect() as conn:
            await conn.execute(text("SELECT secret FROM users_that_do_not_exist WHERE token = 'abc'"))

    @router.get("/db-now")
    async def db_now(request: Request) -> dict[str, str]:
        # Its own engine (servicekit's create_engine), so no background task of the runtime can
        # refresh the pool before the test's request meets a dropped connection.
        engine = request.app.state.probe_engine
        async with engine.connect() as conn:
            row = (await conn.execute(text("SELECT now(), pg_backend_pid()"))).one()
            return {"now": str(row[0]), "pid": str(row[1])}

    @router.get("/db-engine/{name}")
    async def db_engine(request: Request, name: str) -> dict[str, str]:
        # An engine a test put in app.state.engines (a tiny pool, a role with no connections left).
        engine = request.app.state.engines[name]
        async with engine.connect() as conn:
            return {"now": str((await conn.execute(text("SELECT now()"))).scalar_one())}

    @router.get("/logged")
    async def logged() -> dict[str, bool]:
        log.info("handling_logged_thing", marker="servicekit-http-test")
        return {"ok": True}

    @router.get("/me")
    async def me(user: User) -> dict[str, Any]:
        return _user_json(user)

    @router.get("/committee-only")
    async def committee_only(
        user: Annotated[CurrentUser, Depends(require_roles("committee"))],
    ) -> dict[str, Any]:
        return _user_json(user)

    return router


def _user_json(user: CurrentUser) -> dict[str, Any]:
    return {
        "id": str(user.id),
        "community_id": str(user.community_id),
        "roles": sorted(user.roles),
        "household_id": str(user.household_id) if user.household_id else None,
        "building": user.building,
        "token_id": user.token_id,
    }


# -- keys and tokens ------------------------------------------------------------------------
DROP: Any = object()  # a claim value meaning "leave this claim out"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass(frozen=True)
class Tokens:
    """Signs access tokens like the gateway does (EdDSA), and forges the ones it never would."""

    private: Ed25519PrivateKey
    public_pem: str

    @staticmethod
    def claims(**overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        values: dict[str, Any] = {
            "sub": str(uuid.uuid4()),
            "community_id": str(uuid.uuid4()),
            "roles": ["resident"],
            "household_id": str(uuid.uuid4()),
            "building": "3号楼",
            "iat": now,
            "exp": now + 600,
            "jti": uuid.uuid4().hex,
            "iss": ISSUER,
            "aud": AUDIENCE,
        }
        values.update(overrides)
        return {key: value for key, value in values.items() if value is not DROP}

    def sign(self, payload: dict[str, Any] | None = None, *, key: Ed25519PrivateKey | None = None) -> str:
        return jwt.encode(
            payload if payload is not None else self.claims(), key or self.private, algorithm="EdDSA"
        )

    @staticmethod
    def unsigned(header: dict[str, Any], payload: dict[str, Any]) -> str:
        """``header.payload`` without a signature, each segment base64url JSON."""

        def segment(obj: dict[str, Any]) -> str:
            return b64url(json.dumps(obj, separators=(",", ":")).encode())

        return f"{segment(header)}.{segment(payload)}"

    @staticmethod
    def other_key() -> Ed25519PrivateKey:
        return Ed25519PrivateKey.generate()


@pytest.fixture(scope="session")
def tokens() -> Tokens:
    private = Ed25519PrivateKey.generate()
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return Tokens(private, public_pem.decode())


# -- the application ------------------------------------------------------------------------
@dataclass
class Kit:
    app: FastAPI
    client: httpx.AsyncClient
    settings: ErrandSettings


@pytest.fixture(scope="session")
async def kit(tokens: Tokens) -> AsyncIterator[Kit]:
    settings = isolated_settings(ErrandSettings, namespace=new_namespace(), jwt_public_key=tokens.public_pem)
    app = create_service_app(
        settings, title="servicekit http test", routers=[build_router()], handlers={}, configure_logs=False
    )
    try:
        async with isolated_database(settings):
            await migrate(settings, errand.main.MIGRATIONS)
            app.state.probe_engine = create_engine(settings.database_url.get_secret_value(), pool_size=2)
            app.state.engines = {}
            async with app.router.lifespan_context(app):
                # Unexpected errors are re-raised by Starlette after the 500 is sent (for the
                # server to log); the client here must see the response like a real client does.
                transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
                async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                    yield Kit(app, client, settings)
    finally:
        if hasattr(app.state, "probe_engine"):
            await app.state.probe_engine.dispose()
        for engine in getattr(app.state, "engines", {}).values():
            await engine.dispose()
        await delete_messaging(settings, settings.queue_name, settings.dead_letter_queue_name)
