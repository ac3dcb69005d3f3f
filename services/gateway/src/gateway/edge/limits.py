"""Rate limits at the edge: per client IP and per user, stricter on the sign-in routes; and who the
client is behind trusted proxies."""

from __future__ import annotations

from starlette.types import Scope

from gateway.adapters.ratelimit import Limit, RateLimiter, RateLimiterUnavailable, retry_after_header
from gateway.config import Settings
from gateway.metrics import (
    RATE_LIMITED,
)
from servicekit.auth import CurrentUser
from servicekit.errors import ProblemError

_AUTH_THROTTLED = frozenset(
    {"/api/v1/auth/login", "/api/v1/auth/register", "/api/v1/auth/wechat", "/api/v1/auth/refresh"}
)


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


async def rate_limit(scope: Scope, settings: Settings, path: str, user: CurrentUser | None) -> None:
    """Charge the request's limits; 429 when one is spent."""
    if not settings.rate_limit_enabled:
        return
    ip = client_ip(scope, settings.trusted_proxies)
    strict = path in _AUTH_THROTTLED
    if strict:
        limits = [
            Limit(f"auth-ip:{ip}", settings.auth_rate_limit_per_ip, settings.auth_rate_limit_window_seconds)
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
