"""/health/live, /health/ready and /metrics.

Live says the process answers. Ready says it can do its work: each named check (database,
broker, and whatever a service adds, e.g. the gateway's upstreams) passes within its timeout.
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
    async def one(check: HealthCheck) -> dict[str, Any]:
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
    return all(result.get("ok") for result in results), report


class Live(BaseModel):
    status: Literal["live"]
    service: str


class CheckResult(BaseModel):
    model_config = ConfigDict(extra="allow")
    ok: bool
    detail: str | None = None


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
        summary="Dependencies are reachable",
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
