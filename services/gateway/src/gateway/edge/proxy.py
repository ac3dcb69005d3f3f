"""The proxy hop: forward a request to its upstream through the pooled aiohttp session, behind the
upstream's circuit breaker, with bounded retries of idempotent methods, and stream the answer back."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass

import aiohttp
from multidict import CIMultiDict
from starlette.types import Receive, Scope, Send

from gateway.adapters.breaker import CircuitBreaker
from gateway.adapters.ratelimit import retry_after_header
from gateway.config import Settings
from gateway.edge.bodies import ClientGone, StreamedBody, read_body
from gateway.metrics import (
    ROUTE_HEADER,
    RouteLabels,
)
from servicekit.errors import ProblemError
from servicekit.logging import get_logger

# Streamed exports (reports, orders): see _proxy's timeout.
log = get_logger(__name__)

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


@dataclass(slots=True)
class Upstream:
    name: str
    base_url: str
    timeout: float
    breaker: CircuitBreaker
    routes: RouteLabels


def forward_headers(scope: Scope) -> CIMultiDict[str]:
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


async def proxy(
    scope: Scope,
    receive: Receive,
    send: Send,
    upstream: Upstream,
    headers: Mapping[bytes, bytes],
    limit: int,
    settings: Settings,
) -> None:
    session: aiohttp.ClientSession = scope["app"].state.upstream_session
    method: str = scope["method"]
    url = upstream.base_url + scope["raw_path"].decode("latin-1")
    if scope["query_string"]:
        url += "?" + scope["query_string"].decode("latin-1")
    forward = forward_headers(scope)

    body: bytes | AsyncIterator[bytes] | None
    stream: StreamedBody | None = None
    declared = headers.get(b"content-length")
    has_body = declared not in (None, b"0") or b"transfer-encoding" in headers
    if not has_body:
        body = None
    elif declared is not None and declared.isdigit() and int(declared) <= _BUFFER_LIMIT:
        body = await read_body(receive, limit)
    else:
        stream = StreamedBody(receive, limit)
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
            total=remaining, connect=min(remaining, settings.upstream_connect_timeout_seconds)
        )
        if scope["path"].endswith(_DOWNLOAD_SUFFIX):
            # An export streams for as long as it has rows: the budget bounds each wait for
            # the next chunk, not the whole download.
            timeout = aiohttp.ClientTimeout(
                total=None,
                connect=min(remaining, settings.upstream_connect_timeout_seconds),
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
        except (TimeoutError, aiohttp.ClientError, ClientGone) as exc:
            if stream is not None and stream.too_large:
                # Our own refusal of the client's body surfaces from aiohttp as a write error.
                upstream.breaker.release()
                raise ProblemError("payload_too_large", 413, params={"limit": limit}) from None
            if isinstance(exc, ClientGone):
                upstream.breaker.release()
                return
            upstream.breaker.record_failure()
            if isinstance(exc, TimeoutError):
                raise ProblemError("upstream_timeout", 504, params={"service": upstream.name}) from None
            attempt += 1
            if (
                retryable
                and attempt <= settings.proxy_retries
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
