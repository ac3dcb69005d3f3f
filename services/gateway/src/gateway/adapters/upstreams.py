"""The gateway's pooled HTTP client to the three services, and their readiness checks.

aiohttp rather than httpx: as a proxy client here httpx's default transport was about 9x slower
(docs/architecture.md §6). The same session will carry the proxied requests.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping

import aiohttp
from fastapi import FastAPI

from gateway.config import Settings
from servicekit.health import HealthCheck
from servicekit.runtime import ServiceRuntime


def upstream_check(session: aiohttp.ClientSession, name: str, base_url: str, timeout: float) -> HealthCheck:
    async def check() -> Mapping[str, object]:
        try:
            async with session.get(
                f"{base_url}/health/ready", timeout=aiohttp.ClientTimeout(total=timeout)
            ) as response:
                return {"ok": response.status == 200, "status": response.status}
        except (aiohttp.ClientError, TimeoutError) as exc:
            return {"ok": False, "detail": type(exc).__name__}

    return check


@contextlib.asynccontextmanager
async def upstream_client(app: FastAPI, runtime: ServiceRuntime) -> AsyncIterator[Mapping[str, HealthCheck]]:
    settings = runtime.settings
    assert isinstance(settings, Settings)
    connector = aiohttp.TCPConnector(limit=200, limit_per_host=100, keepalive_timeout=30)
    # No cookie jar: a proxy's session is shared by every user, so a Set-Cookie from one answer
    # must never ride along on someone else's request. Cookies pass through as plain headers.
    async with aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar()) as session:
        app.state.upstream_session = session
        yield {
            f"upstream:{name}": upstream_check(session, name, url, settings.upstream_health_timeout_seconds)
            for name, url in settings.upstreams.items()
        }
