"""Dependencies shared by the gateway's routers."""

from __future__ import annotations

import contextlib
from typing import Annotated

from fastapi import Depends, Request

from gateway.adapters.ratelimit import Limit, RateLimiter, RateLimiterUnavailable, retry_after_header
from gateway.config import Settings
from gateway.service_layer.accounts import TokenPolicy
from servicekit.auth import CurrentUser, require_roles
from servicekit.errors import ProblemError


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_policy(request: Request) -> TokenPolicy:
    settings = get_settings(request)
    return TokenPolicy(
        signer=request.app.state.token_signer,
        access_ttl_seconds=settings.access_token_ttl_seconds,
        refresh_ttl_seconds=settings.refresh_token_ttl_seconds,
    )


class PhoneThrottle:
    """Failed logins per phone number (guessing one account's password from many addresses).
    Only failures count, so a user signing in on several devices is never throttled."""

    def __init__(self, request: Request, phone: str) -> None:
        settings = get_settings(request)
        self._enabled = settings.rate_limit_enabled
        self._limiter: RateLimiter = request.app.state.rate_limiter
        self._limits = [
            Limit(
                f"login-phone:{phone}",
                settings.auth_rate_limit_per_phone,
                settings.auth_rate_limit_window_seconds,
            )
        ]

    async def ensure_allowed(self) -> None:
        if not self._enabled:
            return
        try:
            wait = await self._limiter.peek(self._limits)
        except RateLimiterUnavailable:
            raise ProblemError("rate_limiter_unavailable", 503, headers={"Retry-After": "1"}) from None
        if wait > 0:
            raise ProblemError("login_throttled", 429, headers={"Retry-After": retry_after_header(wait)})

    async def record_failure(self) -> None:
        if self._enabled:
            with contextlib.suppress(RateLimiterUnavailable):
                await self._limiter.charge(self._limits)


Policy = Annotated[TokenPolicy, Depends(get_policy)]
Admin = Annotated[CurrentUser, Depends(require_roles("admin"))]
CommitteeOrAdmin = Annotated[CurrentUser, Depends(require_roles("committee", "admin"))]
