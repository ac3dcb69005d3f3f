"""The gateway's edge, as one plain ASGI middleware in front of its own routes.

For every request it checks the body size, verifies a bearer token when one is sent, charges the
rate limits, and then either proxies the request to an upstream (by path prefix, path untouched)
or hands it to the gateway's own routes. A plain ASGI layer rather than a FastAPI route: the proxy
path never parses bodies, builds no Request/Response objects on success and reuses the pooled
aiohttp session, which is what keeps it near nginx (docs/architecture.md §6).

Each concern is its own module, called from this one layer: routing.py (which upstream, which
limit), bodies.py (the client's body), identity.py (tokens and rights), limits.py (rate limits),
proxy.py (the hop itself).
"""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.adapters.breaker import CircuitBreaker
from gateway.config import Settings
from gateway.edge.bodies import ClientGone, limited_receive
from gateway.edge.identity import Identity
from gateway.edge.limits import rate_limit
from gateway.edge.proxy import Upstream, proxy
from gateway.edge.routing import (
    IMPORT_PATHS,
    PROXY_PREFIXES,
    UNLIMITED_PREFIXES,
    is_photo_route,
    match_upstream,
)
from gateway.metrics import (
    PROXY_REQUESTS,
    PROXY_SECONDS,
    RouteLabels,
    export_breakers,
    status_class,
)
from servicekit.errors import ProblemError, problem_response


class EdgeMiddleware:
    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.upstreams = {
            name: Upstream(
                name,
                url.rstrip("/"),
                settings.upstream_timeouts[name],
                CircuitBreaker(
                    failure_threshold=settings.breaker_failure_threshold,
                    open_seconds=settings.breaker_open_seconds,
                ),
                RouteLabels(tuple(p for p, n in PROXY_PREFIXES.items() if n == name)),
            )
            for name, url in settings.upstreams.items()
        }
        self.breakers = {name: upstream.breaker for name, upstream in self.upstreams.items()}
        export_breakers(self.breakers)
        self.identity = Identity(settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                # The readiness report shows each upstream's breaker (adapters/upstreams.py).
                scope["app"].state.upstream_breakers = self.breakers
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path.startswith(UNLIMITED_PREFIXES):
            await self.app(scope, receive, send)
            return
        upstream_name = match_upstream(path)
        if upstream_name is not None:
            await self._measured(scope, receive, send, path, self.upstreams[upstream_name])
            return
        await self._answer(scope, receive, send, path, None)

    async def _measured(
        self, scope: Scope, receive: Receive, send: Send, path: str, upstream: Upstream
    ) -> None:
        """A proxied request, counted by upstream, route template and status class. The route is
        also what the request-id middleware labels the generic request metrics with."""
        state = scope.setdefault("state", {})
        status = [500]
        started = time.perf_counter()

        async def send_counted(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self._answer(scope, receive, send_counted, path, upstream.name)
        finally:
            route = state.get("route_label") or upstream.routes.fallback(path)
            state["route_label"] = route
            PROXY_REQUESTS.labels(upstream.name, scope["method"], route, status_class(status[0])).inc()
            PROXY_SECONDS.labels(upstream.name, route).observe(time.perf_counter() - started)

    async def _answer(
        self, scope: Scope, receive: Receive, send: Send, path: str, upstream_name: str | None
    ) -> None:
        try:
            await self._handle(scope, receive, send, path, upstream_name)
        except ProblemError as problem:
            response = problem_response(
                Request(scope),
                code=problem.code,
                status=problem.status,
                params=problem.params,
                headers=problem.headers,
            )
            await response(scope, receive, send)
        except ClientGone:
            return  # nobody left to answer

    async def _handle(
        self, scope: Scope, receive: Receive, send: Send, path: str, upstream_name: str | None
    ) -> None:
        headers = _header_map(scope)
        limit = self.settings.max_photo_body_bytes if is_photo_route(path) else self.settings.max_body_bytes
        if path in IMPORT_PATHS:
            limit = self.settings.max_import_body_bytes
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise ProblemError("payload_too_large", 413, params={"limit": limit})

        user = None
        if not path.startswith("/api/v1/auth/"):
            verified = self.identity.verify(scope, headers.get(b"authorization"))
            if verified is not None:
                user = verified.user
                await self.identity.follow_rights(scope, verified)
        await rate_limit(scope, self.settings, path, user)

        if upstream_name is None:
            await self.app(scope, limited_receive(receive, limit), send)
            return
        await proxy(scope, receive, send, self.upstreams[upstream_name], headers, limit, self.settings)


def _header_map(scope: Scope) -> dict[bytes, bytes]:
    return dict(scope["headers"])
