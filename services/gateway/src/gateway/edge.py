"""The gateway's edge, as one plain ASGI middleware in front of its own routes.

For every request it checks the body size, verifies a bearer token when one is sent, charges the
rate limits, and then either proxies the request to an upstream (by path prefix, path untouched)
or hands it to the gateway's own routes. A plain ASGI layer rather than a FastAPI route: the proxy
path never parses bodies, builds no Request/Response objects on success and reuses the pooled
aiohttp session, which is what keeps it near nginx (docs/architecture.md §6).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass

import aiohttp
import jwt
from multidict import CIMultiDict
from redis.exceptions import RedisError
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.adapters.breaker import CircuitBreaker
from gateway.adapters.ratelimit import Limit, RateLimiter, RateLimiterUnavailable, retry_after_header
from gateway.adapters.rights import DELETED, RightsBoard
from gateway.config import Settings
from gateway.metrics import (
    PROXY_REQUESTS,
    PROXY_SECONDS,
    RATE_LIMITED,
    ROUTE_HEADER,
    RouteLabels,
    export_breakers,
    status_class,
)
from gateway.service_layer.accounts import current_claims
from servicekit.auth import CurrentUser, TokenVerifier
from servicekit.errors import ProblemError, problem_response
from servicekit.logging import get_logger
from servicekit.tokens import TokenSigner

log = get_logger(__name__)

PROXY_PREFIXES = {
    "/api/v1/errand": "errand",
    "/api/v1/reports": "reports",
    "/open311": "reports",
    "/api/v1/forum": "forum",
    "/api/v1/payments": "payments",
    "/api/v1/fees": "payments",
}
# Public paths that must stay cheap and unthrottled (probes, scrapes, docs).
# The faces (/console/, /app/) are static files: a page load fetches a dozen at once.
_UNLIMITED_PREFIXES = ("/health/", "/metrics", "/docs", "/openapi.json", "/redoc", "/console/", "/app/")
_AUTH_THROTTLED = frozenset(
    {"/api/v1/auth/login", "/api/v1/auth/register", "/api/v1/auth/wechat", "/api/v1/auth/refresh"}
)
# Routes carrying photos (reports' photo upload, an errand's delivery proof) get the large limit.
_PHOTO_SEGMENTS = frozenset({"photos", "deliver"})
# The directory import takes a sheet of up to 10 MB (the route itself refuses a larger file).
_IMPORT_PATHS = frozenset({"/api/v1/community/directory/import"})
# Streamed exports (reports, orders): see _proxy's timeout.
_DOWNLOAD_SUFFIX = ".csv"

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
    }
)
_HOP_BY_HOP_BYTES = frozenset(name.encode() for name in HOP_BY_HOP)
# The upstream's Date and Server are dropped from its answer: the gateway's own server (uvicorn)
# always adds both, and RFC 9110 allows one Date. Same cost as the hop-by-hop filter (one lookup).
# Its route-template header is for the gateway's metrics only (gateway.metrics).
_RESPONSE_DROPPED = _HOP_BY_HOP_BYTES | {b"date", b"server", ROUTE_HEADER}
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
# Bodies up to this size are read whole before proxying: cheaper than a stream, and retryable.
_BUFFER_LIMIT = 64 * 1024
_RETRY_PAUSE_SECONDS = 0.05
_TOKEN_CACHE_SIZE = 10_000
_RIGHTS_CACHE_SIZE = 50_000
# After Redis fails, the rights mirror is not asked for this long (tokens are taken as they are).
_RIGHTS_BACKOFF_SECONDS = 1.0
_DELETED_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="weilinli", error="invalid_token"'}


@dataclass(slots=True)
class _Verified:
    """A verified bearer token, and the token forwarded in its place once its rights are stale."""

    user: CurrentUser
    issued: int
    expires: float
    minted: str | None = None
    minted_for: str | None = None


class _ClientGone(Exception):
    pass


@dataclass(slots=True)
class _Upstream:
    name: str
    base_url: str
    timeout: float
    breaker: CircuitBreaker
    routes: RouteLabels


def match_upstream(path: str) -> str | None:
    for prefix, name in PROXY_PREFIXES.items():
        if path.startswith(prefix) and (len(path) == len(prefix) or path[len(prefix)] in "/."):
            return name
    return None


class EdgeMiddleware:
    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.upstreams = {
            name: _Upstream(
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
        # Verified tokens until they expire: an Ed25519 check per request would cost more than
        # the whole proxy hop. Rights changed since a token was issued: see _follow_rights.
        self._token_cache: dict[str, _Verified] = {}
        self._rights_backoff_until = 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                # The readiness report shows each upstream's breaker (adapters/upstreams.py).
                scope["app"].state.upstream_breakers = self.breakers
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path.startswith(_UNLIMITED_PREFIXES):
            await self.app(scope, receive, send)
            return
        upstream_name = match_upstream(path)
        if upstream_name is not None:
            await self._measured(scope, receive, send, path, self.upstreams[upstream_name])
            return
        await self._answer(scope, receive, send, path, None)

    async def _measured(
        self, scope: Scope, receive: Receive, send: Send, path: str, upstream: _Upstream
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
        except _ClientGone:
            return  # nobody left to answer

    async def _handle(
        self, scope: Scope, receive: Receive, send: Send, path: str, upstream_name: str | None
    ) -> None:
        headers = _header_map(scope)
        limit = self.settings.max_photo_body_bytes if _is_photo_route(path) else self.settings.max_body_bytes
        if path in _IMPORT_PATHS:
            limit = self.settings.max_import_body_bytes
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise ProblemError("payload_too_large", 413, params={"limit": limit})

        user = None
        if not path.startswith("/api/v1/auth/"):
            verified = self._verify(scope, headers.get(b"authorization"))
            if verified is not None:
                user = verified.user
                await self._follow_rights(scope, verified)
        await self._rate_limit(scope, path, user)

        if upstream_name is None:
            await self.app(scope, _limited_receive(receive, limit), send)
            return
        await self._proxy(scope, receive, send, self.upstreams[upstream_name], headers, limit)

    # -- auth and limits ----------------------------------------------------------------------
    def _verify(self, scope: Scope, authorization: bytes | None) -> _Verified | None:
        if authorization is None:
            return None
        scheme, _, token_bytes = authorization.partition(b" ")
        if scheme.lower() != b"bearer":
            return None  # other schemes are the service's business (e.g. Open311 api keys)
        token = token_bytes.strip().decode("latin-1")
        cached = self._token_cache.get(token)
        now = time.time()
        if cached is not None and cached.expires > now:
            return cached
        verifier: TokenVerifier = scope["app"].state.token_verifier
        user = verifier.verify(token)  # raises the 401 problem
        claims = jwt.decode(token, options={"verify_signature": False})
        verified = _Verified(user, int(claims.get("iat", 0)), float(claims.get("exp", now)))
        if len(self._token_cache) >= _TOKEN_CACHE_SIZE:
            self._token_cache.clear()
        self._token_cache[token] = verified
        return verified

    async def _follow_rights(self, scope: Scope, verified: _Verified) -> None:
        """Rights follow changes at once (README): a token issued before the user's last grant,
        revocation, household approval is forwarded as a re-minted token with today's claims; a
        deleted account's token is refused."""
        stamp = await self._stamp_of(scope, verified.user.id)
        if stamp is None:
            return
        if stamp == DELETED:
            raise ProblemError("account_deleted", 401, headers=_DELETED_CHALLENGE)
        if verified.issued > float(stamp):
            return  # issued after the change: its claims are current
        if verified.minted_for != stamp:
            verified.minted = await self._remint(scope, verified)
            verified.minted_for = stamp
        assert verified.minted is not None
        authorization = b"Bearer " + verified.minted.encode()
        scope["headers"] = [
            (name, authorization if name == b"authorization" else value) for name, value in scope["headers"]
        ]

    async def _stamp_of(self, scope: Scope, user_id: uuid.UUID) -> str | None:
        """The user's rights stamp: kept by the board for rights_cache_seconds, so the staleness
        check is one dict lookup per request and one Redis GET per user per period."""
        now = time.monotonic()
        board: RightsBoard = scope["app"].state.rights_board
        stamps = board.local
        cached = stamps.get(user_id)
        if cached is not None and now - cached[1] < self.settings.rights_cache_seconds:
            return cached[0]
        if now < self._rights_backoff_until:
            return cached[0] if cached is not None else None
        try:
            stamp = await board.read(user_id)
        except RedisError:
            # Decision (README): without Redis the token is taken as it is, as every service
            # would take it; the rate limiter makes the same choice for ordinary traffic.
            self._rights_backoff_until = now + _RIGHTS_BACKOFF_SECONDS
            log.warning("rights_mirror_unavailable")
            return cached[0] if cached is not None else None
        if len(stamps) >= _RIGHTS_CACHE_SIZE:
            stamps.clear()
        stamps[user_id] = (stamp, now)
        return stamp

    async def _remint(self, scope: Scope, verified: _Verified) -> str:
        state = scope["app"].state
        async with state.runtime.uow() as uow:
            claims = await current_claims(uow, verified.user.id)
        if claims is None:
            raise ProblemError("account_deleted", 401, headers=_DELETED_CHALLENGE)
        signer: TokenSigner = state.token_signer
        # Never outlives the token it stands for; it is only ever seen by the services.
        return signer.sign(
            user_id=verified.user.id,
            community_id=claims["community_id"],
            roles=claims["roles"],
            household_id=claims["household_id"],
            building=claims["building"],
            ttl_seconds=max(1, int(verified.expires - time.time())),
        )

    async def _rate_limit(self, scope: Scope, path: str, user: CurrentUser | None) -> None:
        settings = self.settings
        if not settings.rate_limit_enabled:
            return
        ip = client_ip(scope, settings.trusted_proxies)
        strict = path in _AUTH_THROTTLED
        if strict:
            limits = [
                Limit(
                    f"auth-ip:{ip}", settings.auth_rate_limit_per_ip, settings.auth_rate_limit_window_seconds
                )
            ]
        else:
            limits = [Limit(f"ip:{ip}", settings.rate_limit_per_ip, settings.rate_limit_window_seconds)]
            if user is not None:
                limits.append(
                    Limit(f"user:{user.id}", settings.rate_limit_per_user, settings.rate_limit_window_seconds)
                )
        limiter: RateLimiter = scope["app"].state.rate_limiter
        try:
            wait = await limiter.check(limits)
        except RateLimiterUnavailable:
            # Decision (README): ordinary traffic fails open, since every service verifies tokens
            # itself; login and registration fail closed, since they are what attackers guess at.
            if strict:
                raise ProblemError("rate_limiter_unavailable", 503, headers={"Retry-After": "1"}) from None
            return
        if wait > 0:
            RATE_LIMITED.labels("auth" if strict else "traffic").inc()
            raise ProblemError("rate_limited", 429, headers={"Retry-After": retry_after_header(wait)})

    # -- proxy --------------------------------------------------------------------------------
    async def _proxy(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        upstream: _Upstream,
        headers: Mapping[bytes, bytes],
        limit: int,
    ) -> None:
        session: aiohttp.ClientSession = scope["app"].state.upstream_session
        method: str = scope["method"]
        url = upstream.base_url + scope["raw_path"].decode("latin-1")
        if scope["query_string"]:
            url += "?" + scope["query_string"].decode("latin-1")
        forward = _forward_headers(scope)

        body: bytes | AsyncIterator[bytes] | None
        stream: _StreamedBody | None = None
        declared = headers.get(b"content-length")
        has_body = declared not in (None, b"0") or b"transfer-encoding" in headers
        if not has_body:
            body = None
        elif declared is not None and declared.isdigit() and int(declared) <= _BUFFER_LIMIT:
            body = await _read_body(receive, limit)
        else:
            stream = _StreamedBody(receive, limit)
            body = stream.chunks()
        retryable = method in IDEMPOTENT_METHODS and stream is None

        deadline = time.monotonic() + upstream.timeout
        attempt = 0
        while True:
            if not upstream.breaker.allow():
                raise ProblemError(
                    "upstream_unavailable",
                    503,
                    params={"service": upstream.name},
                    headers={"Retry-After": retry_after_header(upstream.breaker.retry_after())},
                )
            remaining = deadline - time.monotonic()
            timeout = aiohttp.ClientTimeout(
                total=remaining, connect=min(remaining, self.settings.upstream_connect_timeout_seconds)
            )
            if scope["path"].endswith(_DOWNLOAD_SUFFIX):
                # An export streams for as long as it has rows: the budget bounds each wait for
                # the next chunk, not the whole download.
                timeout = aiohttp.ClientTimeout(
                    total=None,
                    connect=min(remaining, self.settings.upstream_connect_timeout_seconds),
                    sock_read=upstream.timeout,
                )
            try:
                response = await session.request(
                    method,
                    url,
                    headers=forward,
                    data=body,
                    allow_redirects=False,
                    auto_decompress=False,
                    timeout=timeout,
                )
            except (TimeoutError, aiohttp.ClientError, _ClientGone) as exc:
                if stream is not None and stream.too_large:
                    # Our own refusal of the client's body surfaces from aiohttp as a write error.
                    upstream.breaker.release()
                    raise ProblemError("payload_too_large", 413, params={"limit": limit}) from None
                if isinstance(exc, _ClientGone):
                    upstream.breaker.release()
                    return
                upstream.breaker.record_failure()
                if isinstance(exc, TimeoutError):
                    raise ProblemError("upstream_timeout", 504, params={"service": upstream.name}) from None
                attempt += 1
                if (
                    retryable
                    and attempt <= self.settings.proxy_retries
                    and deadline - time.monotonic() > _RETRY_PAUSE_SECONDS * 2
                ):
                    await asyncio.sleep(_RETRY_PAUSE_SECONDS * attempt)
                    continue
                log.warning("upstream_failed", upstream=upstream.name, error=type(exc).__name__)
                raise ProblemError("bad_gateway", 502, params={"service": upstream.name}) from None
            except BaseException:
                upstream.breaker.release()
                raise
            break

        try:
            if response.status in (502, 503, 504):
                upstream.breaker.record_failure()
            else:
                upstream.breaker.record_success()
            template = None
            for name, value in response.raw_headers:
                if name.lower() == ROUTE_HEADER:
                    template = value
                    break
            scope.setdefault("state", {})["route_label"] = upstream.routes.label(scope["path"], template)
            await send(
                {
                    "type": "http.response.start",
                    "status": response.status,
                    "headers": [
                        (name, value)
                        for name, value in response.raw_headers
                        if name.lower() not in _RESPONSE_DROPPED
                    ],
                }
            )
            length = response.content_length
            if method == "HEAD":
                await send({"type": "http.response.body", "body": b"", "more_body": False})
            elif length is not None and length <= _BUFFER_LIMIT:
                # Small answers (most API answers) in one piece: one send instead of a stream.
                await send({"type": "http.response.body", "body": await response.read(), "more_body": False})
            else:
                async for chunk in response.content.iter_any():
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                await send({"type": "http.response.body", "body": b"", "more_body": False})
        except (aiohttp.ClientError, TimeoutError):
            # The upstream failed mid-body: the status is already sent, so all that is left is to
            # cut the response short; the client sees a truncated body, not a wrong one.
            log.warning("upstream_body_failed", upstream=upstream.name)
        finally:
            response.release()


def _is_photo_route(path: str) -> bool:
    return path.rstrip("/").rpartition("/")[2] in _PHOTO_SEGMENTS


def _header_map(scope: Scope) -> dict[bytes, bytes]:
    return dict(scope["headers"])


def client_ip(scope: Scope, trusted_proxies: tuple[str, ...]) -> str:
    client = scope.get("client")
    peer = str(client[0]) if client else "unknown"
    if peer in trusted_proxies:
        for name, value in scope["headers"]:
            if name == b"x-forwarded-for":
                # The nearest hop not ours is the client as far as we can tell.
                hops: list[str] = [h.strip() for h in value.decode("latin-1").split(",") if h.strip()]
                for hop in reversed(hops):
                    if hop not in trusted_proxies:
                        return hop
    return peer


def _forward_headers(scope: Scope) -> CIMultiDict[str]:
    headers: CIMultiDict[str] = CIMultiDict()
    connection_tokens: set[str] = set()
    forwarded_for = ""
    for raw_name, raw_value in scope["headers"]:
        if raw_name == b"connection":
            connection_tokens.update(t.strip().lower() for t in raw_value.decode("latin-1").split(","))
    for raw_name, raw_value in scope["headers"]:
        name = raw_name.decode("latin-1")
        if raw_name in _HOP_BY_HOP_BYTES or name in connection_tokens or raw_name == b"x-request-id":
            continue
        if raw_name == b"x-forwarded-for":
            forwarded_for = raw_value.decode("latin-1")
            continue
        headers.add(name, raw_value.decode("latin-1"))
    client = scope.get("client")
    peer = client[0] if client else ""
    headers["X-Forwarded-For"] = f"{forwarded_for}, {peer}" if forwarded_for else peer
    headers["X-Forwarded-Proto"] = scope.get("scheme", "http")
    for raw_name, raw_value in scope["headers"]:
        if raw_name == b"host":
            headers["X-Forwarded-Host"] = raw_value.decode("latin-1")
            break
    # The same id the request-id middleware accepted or made, so logs line up across the hop.
    request_id = (scope.get("state") or {}).get("request_id")
    if request_id:
        headers["X-Request-ID"] = request_id
    return headers


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise ProblemError("payload_too_large", 413, params={"limit": limit})
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


class _StreamedBody:
    """The client's body passed through chunk by chunk, counting against the limit."""

    def __init__(self, receive: Receive, limit: int) -> None:
        self._receive = receive
        self._limit = limit
        self.too_large = False

    async def chunks(self) -> AsyncIterator[bytes]:
        size = 0
        while True:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                raise _ClientGone
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self._limit:
                self.too_large = True
                raise _ClientGone
            if chunk:
                yield chunk
            if not message.get("more_body", False):
                return


def _limited_receive(receive: Receive, limit: int) -> Receive:
    size = 0

    async def limited() -> Message:
        nonlocal size
        message = await receive()
        if message["type"] == "http.request":
            size += len(message.get("body", b""))
            if size > limit:
                raise ProblemError("payload_too_large", 413, params={"limit": limit})
        return message

    return limited
