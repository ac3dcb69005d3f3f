"""Helpers for the gateway tests: real uvicorn servers on free ports (the gateway itself and tiny
upstreams of our own for the error cases), tokens, and a running gateway."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aio_pika
import aio_pika.abc
import httpx
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

import gateway.config
import gateway.main
from contracts import Envelope, EventPayload, OrderAcceptedV1
from servicekit.auth import TokenVerifier, User
from servicekit.db import drop_database
from servicekit.errors import install_error_handlers
from servicekit.outbox import envelope_message
from servicekit.serve import UVICORN_OPTIONS
from servicekit.stack import ServiceSpec, Stack, free_port, running_stack
from servicekit.testing import delete_messaging, isolated_settings
from servicekit.tokens import TokenSigner

# Tests hash many passwords on a shared two-core machine; production keeps argon2's defaults.
CHEAP_PASSWORD_HASHES = {"password_hash_time_cost": 1, "password_hash_memory_kib": 8192}

GATEWAY_SPEC = ServiceSpec(
    "gateway", gateway.config.Settings, gateway.main.create_app, gateway.main.MIGRATIONS
)


@contextlib.asynccontextmanager
async def serve_app(app: Any, port: int | None = None) -> AsyncIterator[str]:
    """Serve an ASGI app with uvicorn on a loopback port until the block ends."""
    port = port or free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="on", **UVICORN_OPTIONS)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("server stopped during start-up")
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=10)


def tiny_upstream(signer: TokenSigner, *, seen: list[dict[str, Any]] | None = None) -> FastAPI:
    """A small real service: echoes what it received, sleeps on demand, and has one GET route
    behind servicekit's token verification (the same check every service makes)."""
    app = FastAPI()
    app.state.token_verifier = TokenVerifier(
        signer.public_pem, issuer=signer.issuer, audience=signer.audience
    )
    install_error_handlers(app)
    log = seen if seen is not None else []

    async def echo(request: Request) -> Response:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
        record = {
            "method": request.method,
            "path": request.url.path,
            "raw_path": request.scope["raw_path"].decode(),
            "query": request.url.query,
            "headers": dict(request.headers.items()),
            "body_bytes": size,
        }
        log.append(record)
        return JSONResponse(record, headers={"Connection": "keep-alive", "X-Upstream": "tiny"})

    async def slow(seconds: float) -> dict[str, float]:
        await asyncio.sleep(seconds)
        return {"slept": seconds}

    async def set_cookie() -> Response:
        return JSONResponse({"ok": True}, headers={"Set-Cookie": "session=someone-elses; Path=/"})

    for prefix in (
        "/api/v1/errand",
        "/api/v1/reports",
        "/api/v1/forum",
        "/api/v1/payments",
        "/api/v1/fees",
        "/open311",
    ):
        app.add_api_route(prefix + "/slow/{seconds}", slow, methods=["GET"])
        app.add_api_route(prefix + "/set-cookie", set_cookie, methods=["GET"])
        for method in ("GET", "POST", "PUT", "DELETE", "PATCH"):
            app.add_api_route(
                prefix + "/{rest:path}", echo, methods=[method], name=f"echo_{method}_{prefix.strip('/')}"
            )

    @app.get("/api/v1/whoami")
    async def whoami(user: User) -> dict[str, str]:
        return {"id": str(user.id)}

    @app.get("/health/ready")
    async def ready() -> dict[str, str]:
        return {"status": "ready"}

    return app


@contextlib.asynccontextmanager
async def running_gateway(
    namespace: str, signer: TokenSigner, **overrides: Any
) -> AsyncIterator[tuple[str, Stack]]:
    values: dict[str, Any] = {"jwt_private_key": signer.private_pem, **CHEAP_PASSWORD_HASHES}
    values.update(overrides)
    async with running_stack(
        [GATEWAY_SPEC], namespace=namespace, public_key_pem=signer.public_pem, overrides={"gateway": values}
    ) as stack:
        yield stack.urls["gateway"], stack


class ConnectionCounter:
    """A TCP server that accepts and hangs up at once, counting connections (a crashing upstream)."""

    def __init__(self) -> None:
        self.connections = 0

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        writer.close()

    @contextlib.asynccontextmanager
    async def serve(self) -> AsyncIterator[str]:
        server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.close()
            await server.wait_closed()


def user_token(signer: TokenSigner, **kwargs: Any) -> str:
    return signer.sign(
        user_id=kwargs.pop("user_id", uuid.uuid4()),
        community_id=kwargs.pop("community_id", uuid.uuid4()),
        roles=kwargs.pop("roles", ["resident"]),
        **kwargs,
    )


async def wait_for(
    predicate: Callable[[], Awaitable[bool]], *, attempts: int = 200, pause: float = 0.05
) -> bool:
    for _ in range(attempts):
        if await predicate():
            return True
        await asyncio.sleep(pause)
    return False


class EventTap:
    """A queue of our own bound to a test exchange: what the gateway published."""

    def __init__(self, amqp_url: str, exchange: str, routing_key: str = "gateway.#") -> None:
        self._amqp_url = amqp_url
        self._exchange = exchange
        self._routing_key = routing_key
        self.events: list[dict[str, Any]] = []

    @contextlib.asynccontextmanager
    async def open(self) -> AsyncIterator[EventTap]:
        connection = await aio_pika.connect(self._amqp_url)
        async with connection:
            channel = await connection.channel()
            queue = await channel.declare_queue(exclusive=True, auto_delete=True)
            await queue.bind(self._exchange, routing_key=self._routing_key)

            async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
                async with message.process():
                    self.events.append(json.loads(message.body))

            await queue.consume(on_message)
            yield self

    async def wait_for(self, event_type: str, **payload: Any) -> dict[str, Any]:
        def match() -> dict[str, Any] | None:
            for event in self.events:
                if event["event_type"] == event_type and all(
                    event["payload"].get(k) == v for k, v in payload.items()
                ):
                    return event
            return None

        for _ in range(200):
            found = match()
            if found is not None:
                return found
            await asyncio.sleep(0.05)
        raise AssertionError(f"no {event_type} {payload} among {[e['event_type'] for e in self.events]}")


async def publish(
    amqp_url: str, exchange_name: str, *payloads: EventPayload, actor_id: uuid.UUID | None = None
) -> list[Envelope]:
    """Publish events to a test exchange as their producing service's relay would."""
    envelopes = [Envelope.wrap(p, producer=p.event_type.split(".")[0], actor_id=actor_id) for p in payloads]
    await publish_envelopes(amqp_url, exchange_name, *envelopes)
    return envelopes


async def publish_envelopes(amqp_url: str, exchange_name: str, *envelopes: Envelope) -> None:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(exchange_name)
        for envelope in envelopes:
            await exchange.publish(
                envelope_message(envelope.model_dump(mode="json")), routing_key=envelope.event_type, timeout=5
            )


def order_accepted(community_id: uuid.UUID, requester_id: uuid.UUID) -> OrderAcceptedV1:
    return OrderAcceptedV1(
        community_id=community_id,
        order_id=uuid.uuid4(),
        requester_id=requester_id,
        courier_id=uuid.uuid4(),
        order_type="buy",
        price_fen=800,
    )


class SseReader:
    """Reads a Server-Sent Events stream in the background, collecting its events."""

    def __init__(self, client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> None:
        self._client = client
        self._url = url
        self._headers = headers
        self.events: list[dict[str, str]] = []
        self.ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def _read(self) -> None:
        async with self._client.stream("GET", self._url, headers=self._headers, timeout=None) as response:
            assert response.status_code == 200, await response.aread()
            current: dict[str, str] = {}
            async for line in response.aiter_lines():
                if not line:
                    if current.get("event") == "ready":
                        self.ready.set()
                    elif current.get("event"):
                        self.events.append(current)
                    current = {}
                    continue
                name, _, value = line.partition(":")
                current[name] = value.strip()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[SseReader]:
        self._task = asyncio.create_task(self._read())
        try:
            await asyncio.wait_for(self.ready.wait(), timeout=20)
            yield self
        finally:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, httpx.HTTPError):
                await self._task

    def notifications(self) -> list[dict[str, Any]]:
        return [json.loads(event["data"]) for event in self.events if event.get("event") == "notification"]


WECHAT_APPID = "wx-test-appid"
WECHAT_SECRET = "wx-test-secret"


def fake_wechat(calls: list[dict[str, str]] | None = None) -> FastAPI:
    """A local server speaking WeChat's code2session protocol: JSON labelled text/plain, errors
    as `errcode`/`errmsg` with HTTP 200. Codes `ok-<openid>` succeed; a few codes stand for
    WeChat's documented errors."""
    app = FastAPI()
    log = calls if calls is not None else []
    errors = {
        "used": (40163, "code been used"),
        "busy": (-1, "system error"),
        "limited": (45011, "api minute-quota reach limit"),
    }

    @app.get("/sns/jscode2session")
    async def code2session(appid: str, secret: str, js_code: str, grant_type: str) -> Response:
        log.append({"appid": appid, "js_code": js_code, "grant_type": grant_type})
        if appid != WECHAT_APPID or secret != WECHAT_SECRET:
            body: dict[str, Any] = {"errcode": 40013, "errmsg": "invalid appid"}
        elif grant_type != "authorization_code":
            body = {"errcode": 40002, "errmsg": "invalid grant_type"}
        elif js_code.startswith("ok-"):
            body = {"openid": js_code[3:], "session_key": "c2Vzc2lvbg==", "unionid": None}
        elif js_code in errors:
            body = {"errcode": errors[js_code][0], "errmsg": errors[js_code][1]}
        else:
            body = {"errcode": 40029, "errmsg": "invalid code"}
        return Response(json.dumps(body), media_type="text/plain")

    return app


@contextlib.asynccontextmanager
async def deployed_gateway(
    namespace: str, signer: TokenSigner, **overrides: str
) -> AsyncIterator[tuple[str, gateway.config.Settings]]:
    """The gateway started exactly as it is deployed (`python -m gateway`: servicekit.serve and
    its uvicorn configuration) in a process of its own, on its own database and exchange.
    ``overrides`` are GATEWAY_* variables without the prefix (e.g. ``TRUSTED_PROXIES``)."""
    port = free_port()
    settings = isolated_settings(gateway.config.Settings, namespace=namespace, http_port=port)
    env = {
        **os.environ,
        "GATEWAY_HTTP_HOST": "127.0.0.1",
        "GATEWAY_HTTP_PORT": str(port),
        "GATEWAY_DATABASE_URL": settings.database_url.get_secret_value(),
        "GATEWAY_AMQP_URL": settings.amqp_url.get_secret_value(),
        "GATEWAY_EVENTS_EXCHANGE": settings.events_exchange,
        "GATEWAY_DEAD_LETTER_EXCHANGE": settings.dead_letter_exchange,
        "GATEWAY_QUEUE_PREFIX": settings.queue_prefix,
        "GATEWAY_JWT_PRIVATE_KEY": signer.private_pem,
        "GATEWAY_JWT_PUBLIC_KEY": signer.public_pem,
        "GATEWAY_LOG_LEVEL": "WARNING",
        **{f"GATEWAY_{name.upper()}": str(value) for name, value in CHEAP_PASSWORD_HASHES.items()},
        **{f"GATEWAY_{name.upper()}": value for name, value in overrides.items()},
    }
    output = tempfile.TemporaryFile()  # noqa: SIM115 - closed in the finally below
    process = subprocess.Popen([sys.executable, "-m", "gateway"], env=env, stdout=output, stderr=output)
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(timeout=2) as client:
            for _ in range(600):
                if process.poll() is not None:
                    output.seek(0)
                    tail = output.read().decode(errors="replace")[-2000:]
                    raise RuntimeError(f"gateway exited with {process.returncode}: {tail}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"{url}/health/live")).status_code == 200:
                        break
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError("gateway did not come up within 60 s")
        yield url, settings
    finally:
        process.terminate()
        try:
            await asyncio.to_thread(process.wait, 20)
        except subprocess.TimeoutExpired:
            process.kill()
            await asyncio.to_thread(process.wait)
        output.close()
        with contextlib.suppress(Exception):
            await delete_messaging(settings, settings.queue_name, settings.dead_letter_queue_name)
        with contextlib.suppress(Exception):
            await drop_database(settings.database_url.get_secret_value())
