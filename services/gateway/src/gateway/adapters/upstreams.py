"""The gateway's pooled HTTP client to the three services, and their readiness checks.

An upstream's check is advisory (servicekit.health): the gateway stays ready while an upstream is
down, since its breaker answers 503 `upstream_unavailable` for that route alone; the report shows
the upstream's own readiness and the breaker's state, and so do the metrics.

aiohttp rather than httpx: as a proxy client here httpx's default transport was about 9x slower
(docs/architecture.md §6). The same session will carry the proxied requests.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping

import aiohttp
from fastapi import FastAPI

from gateway.adapters.breaker import CircuitBreaker
from gateway.config import Settings
from servicekit.health import HealthCheck, advisory
from servicekit.runtime import ServiceRuntime


def upstream_check(
    session: aiohttp.ClientSession,
    name: str,
    base_url: str,
    timeout: float,
    breakers: Mapping[str, CircuitBreaker] | None = None,
) -> HealthCheck:
    async def check() -> Mapping[str, object]:
        breaker = (breakers or {}).get(name)
        extra: dict[str, object] = {} if breaker is None else {"breaker": breaker.state.value}
        try:
            async with session.get(
                f"{base_url}/health/ready", timeout=aiohttp.ClientTimeout(total=timeout)
            ) as response:
                return {"ok": response.status == 200, "status": response.status, **extra}
        except (aiohttp.ClientError, TimeoutError) as exc:
            return {"ok": False, "detail": type(exc).__name__, **extra}

    return advisory(check)


@contextlib.asynccontextmanager
async def upstream_client(app: FastAPI, runtime: ServiceRuntime) -> AsyncIterator[Mapping[str, HealthCheck]]:
    settings = runtime.settings
    assert isinstance(settings, Settings)
    connector = aiohttp.TCPConnector(limit=200, limit_per_host=100, keepalive_timeout=30)
    # No cookie jar: a proxy's session is shared by every user, so a Set-Cookie from one answer
    # must never ride along on someone else's request. Cookies pass through as plain headers.
    async with aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar()) as session:
        app.state.upstream_session = session
        # The edge middleware puts its breakers here when the application starts (edge.py).
        breakers: Mapping[str, CircuitBreaker] = getattr(app.state, "upstream_breakers", {})
        yield {
            f"upstream:{name}": upstream_check(
                session, name, url, settings.upstream_health_timeout_seconds, breakers
            )
            for name, url in settings.upstreams.items()
        }
