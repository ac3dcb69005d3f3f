"""/health/live, /health/ready and /metrics.

Live says the process answers. Ready says *this process* can serve: each required check passes
within its timeout. Readiness must not cascade (docs/operations.md): a dependency whose absence the
process already answers for by itself is an *advisory* check, reported (``"required": false``) but
never turning the process unready. The broker is advisory (the outbox keeps events until it is
back), Redis is advisory (each use of it has a written fallback), the gateway's upstreams are
advisory (the breaker answers 503 for that route alone). Were they required, one failing
dependency would take every replica out of its Service at once, and the edge with it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from servicekit.broker import Broker
from servicekit.metrics import metrics_endpoint

# A check returns None when healthy, or raises / returns a short reason when not.
HealthCheck = Callable[[], Awaitable[str | Mapping[str, Any] | None]]

CHECK_TIMEOUT_SECONDS = 2.0


class _Advisory:
    """A check that is reported but does not decide readiness."""

    __slots__ = ("check",)

    def __init__(self, check: HealthCheck) -> None:
        self.check = check

    async def __call__(self) -> str | Mapping[str, Any] | None:
        return await self.check()


def advisory(check: HealthCheck) -> HealthCheck:
    return check if isinstance(check, _Advisory) else _Advisory(check)


def is_advisory(check: HealthCheck) -> bool:
    return isinstance(check, _Advisory)


def database_check(engine: AsyncEngine) -> HealthCheck:
    async def check() -> None:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    return check


def redis_check(redis: Redis) -> HealthCheck:
    async def check() -> None:
        await redis.ping()

    return check


def broker_check(broker: Broker) -> HealthCheck:
    async def check() -> str | None:
        return None if broker.is_connected else "not connected"

    return check


async def run_checks(checks: Mapping[str, HealthCheck]) -> tuple[bool, dict[str, Any]]:
    """Run every check at once; ready when every required one passed. Advisory results carry
    ``"required": false``."""

    async def one(check: HealthCheck) -> dict[str, Any]:
        result = await outcome_of(check)
        if is_advisory(check):
            result["required"] = False
        return result

    async def outcome_of(check: HealthCheck) -> dict[str, Any]:
        try:
            outcome = await asyncio.wait_for(check(), timeout=CHECK_TIMEOUT_SECONDS)
        except TimeoutError:
            return {"ok": False, "detail": "timeout"}
        except Exception as exc:
            return {"ok": False, "detail": type(exc).__name__}
        if outcome is None:
            return {"ok": True}
        if isinstance(outcome, Mapping):
            return dict(outcome)
        return {"ok": False, "detail": outcome}

    names = list(checks)
    results = await asyncio.gather(*(one(checks[name]) for name in names))
    report = dict(zip(names, results, strict=True))
    ready = all(result.get("ok") for result in results if result.get("required", True))
    return ready, report


class Live(BaseModel):
    status: Literal["live"]
    service: str


class CheckResult(BaseModel):
    model_config = ConfigDict(extra="allow")
    ok: bool
    detail: str | None = None
    required: bool | None = None


class Readiness(BaseModel):
    status: Literal["ready", "not_ready"]
    service: str
    checks: dict[str, CheckResult]


def health_router(service: str) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/health/live", summary="The process is up", response_model=Live)
    async def live() -> dict[str, str]:
        return {"status": "live", "service": service}

    @router.get(
        "/health/ready",
        summary="This process can serve (advisory checks are reported, not required)",
        response_model=Readiness,
        responses={503: {"description": "not ready", "model": Readiness}},
    )
    async def ready(request: Request) -> JSONResponse:
        checks: Mapping[str, HealthCheck] = getattr(request.app.state, "health_checks", {})
        ok, report = await run_checks(checks)
        body = {"status": "ready" if ok else "not_ready", "service": service, "checks": report}
        return JSONResponse(body, status_code=200 if ok else 503)

    router.add_api_route("/metrics", metrics_endpoint, methods=["GET"], include_in_schema=False)
    return router
